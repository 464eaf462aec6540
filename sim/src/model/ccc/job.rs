//! A call as CCC sees it: the job (JobId, one channel per leg) and the events its call detail
//! record is made from.

use crate::model::Ms;
use serde_json::{json, Map, Value};

/// Whose leg a channel is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Customer,
    /// A simulated agent's leg (work number).
    Agent(String),
    /// The consult (CONSULTANT) leg; the model call id of the consult leg.
    Consult(String),
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub role: Role,
    pub state: &'static str,
    pub call_type: String,
    pub flags: String,
    pub destination: String,
    pub originator: String,
    pub user_id: String,
    pub extension: String,
    pub skill_group_id: Option<String>,
    pub index: i64,
    pub timestamp: Ms,
    pub release_initiator: Option<String>,
    pub release_reason: Option<String>,
    /// Fields set by `POST /sim/ccc/channel` (test aid): they win over the simulated values.
    pub overrides: Map<String, Value>,
}

impl Channel {
    pub(super) fn released(&self) -> bool {
        self.state == "RELEASED"
    }

    /// The id clients see (an override of `ChannelId` renames the channel).
    pub fn visible_id(&self) -> &str {
        self.overrides.get("ChannelId").and_then(Value::as_str).unwrap_or(&self.id)
    }

    pub(super) fn set_state(&mut self, state: &'static str, now: Ms) -> bool {
        if self.state == state {
            return false;
        }
        self.state = state;
        self.timestamp = now;
        true
    }

    pub fn to_json(&self, job_id: &str) -> Value {
        let mut v = json!({
            "ChannelId": self.id,
            "ChannelState": self.state,
            "CallType": self.call_type,
            "ChannelFlags": self.flags,
            "Destination": self.destination,
            "Originator": self.originator,
            "UserId": self.user_id,
            "UserExtension": self.extension,
            "JobId": job_id,
            "Index": self.index,
            "Timestamp": self.timestamp,
        });
        if let Some(g) = &self.skill_group_id {
            v["SkillGroupId"] = json!(g);
        }
        if let Some(r) = &self.release_initiator {
            v["ReleaseInitiator"] = json!(r);
        }
        if let Some(r) = &self.release_reason {
            v["ReleaseReason"] = json!(r);
        }
        for (k, val) in &self.overrides {
            v[k] = val.clone();
        }
        v
    }

    /// `STATE` or `STATE:FLAGS`, as `InvalidOperation.ChannelState` quotes a channel.
    pub(super) fn label(&self) -> String {
        if self.flags.is_empty() {
            self.state.to_string()
        } else {
            format!("{}:{}", self.state, self.flags)
        }
    }
}

/// One event of a CDR `EventSequence`.
#[derive(Debug, Clone)]
pub struct Ev {
    pub event: String,
    pub time: Ms,
    /// Seconds until the next event of the same sequence (agent events only).
    pub duration: Option<u64>,
}

impl Ev {
    pub(super) fn to_json(&self) -> Value {
        let mut v = json!({"Event": self.event, "EventTime": self.time});
        if let Some(d) = self.duration {
            v["Duration"] = json!(d);
        }
        v
    }
}

#[derive(Debug, Clone)]
pub struct AgentTrack {
    pub user_id: String,
    pub name: String,
    pub skill_group_id: String,
    pub events: Vec<Ev>,
}

/// A call as CCC sees it.
#[derive(Debug, Clone)]
pub struct Job {
    pub job_id: String,
    /// The model call id (the customer call).
    pub callid: String,
    pub call_type: &'static str,
    pub caller: String,
    pub called: String,
    pub skill: Option<i64>,
    pub created: Ms,
    pub channels: Vec<Channel>,
    pub next_index: i64,
    pub established: Option<Ms>,
    pub released: Option<Ms>,
    pub release_initiator: String,
    pub release_reason: String,
    pub disposition: String,
    /// An agent leg was rung at least once.
    pub rang: bool,
    /// Agents the call went through (AgentIds/AgentNames): simulated and virtual (transferees).
    pub agents: Vec<(String, String)>,
    pub agent_events: Vec<AgentTrack>,
    pub ivr_events: Vec<Ev>,
    pub queue_events: Vec<Ev>,
    pub customer_events: Vec<Ev>,
    /// Consult target of InitiateAttendedTransfer: (TransfereeType, Transferee).
    pub consult: Option<(String, String)>,
    /// Changes made by `POST /sim/ccc/cdr` (test aid), applied over the record's `Data` in
    /// order: field (or JSON pointer) → value (JSON null included), or None = removed.
    pub cdr_patch: Vec<super::cdr::CdrPatch>,
}

impl Job {
    pub(super) fn customer_number(&self) -> &str {
        if self.call_type == "OUTBOUND" {
            &self.called
        } else {
            &self.caller
        }
    }

    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id || c.visible_id() == id)
    }

    pub(super) fn active_mut(&mut self, role: &Role) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| &c.role == role && !c.released())
    }

    pub(super) fn agent_event(&mut self, user_id: &str, name: &str, group: &str, event: &str, now: Ms) {
        if !self.agents.iter().any(|(u, _)| u == user_id) {
            self.agents.push((user_id.to_string(), name.to_string()));
        }
        let track = match self.agent_events.iter().position(|t| t.user_id == user_id) {
            Some(i) => &mut self.agent_events[i],
            None => {
                self.agent_events.push(AgentTrack {
                    user_id: user_id.to_string(),
                    name: name.to_string(),
                    skill_group_id: group.to_string(),
                    events: Vec::new(),
                });
                self.agent_events.last_mut().expect("just pushed")
            }
        };
        if let Some(prev) = track.events.last_mut() {
            prev.duration = Some(now.saturating_sub(prev.time) / 1000);
        }
        track.events.push(Ev { event: event.to_string(), time: now, duration: None });
    }

    pub(super) fn active(&self, role: &Role) -> Option<&Channel> {
        self.channels.iter().find(|c| &c.role == role && !c.released())
    }
}
