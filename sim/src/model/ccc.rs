//! The Alibaba Cloud CCC (OpenAPI 2020-07-01) dialect over the same agent/call model.
//!
//! A CCC-signed-in agent is the same [`Agent`] as a Huawei one: its UserState is computed from
//! the model (ringing/current/held slots, base state), and `/sim/offer` rings it like any other.
//! What CCC adds lives here: the agent's CCC data ([`CccAgent`]), and per model call a [`Job`]
//! (JobId, channels per leg, the events of the call detail record). Jobs are not updated by hooks
//! in the call logic but by [`Sim::ccc_sync`], which runs after every operation (vendor, CCC,
//! control, timers) and turns what changed in the model into channel states and CDR events.

use super::{Agent, BaseState, Call, CallKind, CallState, Emit, Ms, Session, Sim, TimerAction};
use crate::config::{CccRejectCall, CccSignInState, Media};
use crate::params;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, VecDeque};

/// CCC data of an agent (the rest of its state is the model's).
#[derive(Debug, Clone, Default)]
pub struct CccAgent {
    pub device_id: String,
    /// Last break code (`Warm-up`, `RingingTimeout`, `RejectCall` or TakeBreak's `Code`); cleared
    /// by ReadyForService, kept through calls made from BREAK (seed 000).
    pub break_code: String,
    pub heartbeat: Ms,
    pub reserved: Ms,
    pub outbound_scenario: bool,
    /// UserState seen by the last sync, and since when.
    pub last_state: String,
    pub state_since: Ms,
}

/// A refused CCC request: HTTP status, `Code`, filled `Message`, `Params`.
#[derive(Debug, Clone, PartialEq)]
pub struct CccFail {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub params: Vec<String>,
}

impl CccFail {
    /// Fills each `%s` of the template with the next param.
    pub fn new(status: u16, code: &str, template: &str, params: Vec<String>) -> CccFail {
        let mut message = String::new();
        let mut rest = template;
        let mut it = params.iter();
        while let Some(i) = rest.find("%s") {
            message.push_str(&rest[..i]);
            message.push_str(it.next().map(String::as_str).unwrap_or(""));
            rest = &rest[i + 2..];
        }
        message.push_str(rest);
        CccFail { status, code: code.to_string(), message, params }
    }

    pub fn blank(name: &str) -> CccFail {
        CccFail::new(400, "Parameter.Blank", "The parameter %s may not be null or blank.", vec![name.into()])
    }

    pub fn invalid(name: &str, value: &str) -> CccFail {
        CccFail::new(
            400,
            "Parameter.Invalid",
            "The parameter %s (%s) is invalid.",
            vec![name.into(), value.into()],
        )
    }

    pub fn enumeration(name: &str, allowed: &str) -> CccFail {
        CccFail::new(
            400,
            "Parameter.Enumeration",
            "The parameter %s must be one of (%s).",
            vec![name.into(), allowed.into()],
        )
    }

    pub fn user_state(actual: &str, expected: &str) -> CccFail {
        CccFail::new(
            400,
            "InvalidOperation.UserState",
            "The operation is not allowed. User state (%s) does not meet expectations (%s).",
            vec![actual.into(), expected.into()],
        )
    }

    pub fn channel_state(actual: &str, expected: &str) -> CccFail {
        CccFail::new(
            400,
            "InvalidOperation.ChannelState",
            "The operation is not allowed. Channel stats (%s) does not meet expectations (%s).",
            vec![actual.into(), expected.into()],
        )
    }

    pub fn no_instance(id: &str) -> CccFail {
        CccFail::new(
            404,
            "NotExists.InstanceId",
            "The specified instance %s does not exist.",
            vec![id.into()],
        )
    }

    pub fn no_user(id: &str) -> CccFail {
        CccFail::new(404, "NotExists.UserId", "The specified user %s does not exist.", vec![id.into()])
    }

    pub fn no_job(id: &str) -> CccFail {
        CccFail::new(404, "NotExists.JobId", "The call %s does not exist.", vec![id.into()])
    }

    pub fn no_channel(channel: &str, job: &str) -> CccFail {
        CccFail::new(
            404,
            "NotExists.ChannelId",
            "The specified channel %s does not exist in call %s.",
            vec![channel.into(), job.into()],
        )
    }

    pub fn no_contact(id: &str) -> CccFail {
        CccFail::new(404, "NotExists.ContactId", "The specified contact %s does not exist.", vec![id.into()])
    }

    pub fn no_skill_group(id: &str) -> CccFail {
        CccFail::new(
            404,
            "NotExists.SkillGroupId",
            "The specified skill group %s does not exist.",
            vec![id.into()],
        )
    }
}

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
    fn released(&self) -> bool {
        self.state == "RELEASED"
    }

    /// The id clients see (an override of `ChannelId` renames the channel).
    pub fn visible_id(&self) -> &str {
        self.overrides.get("ChannelId").and_then(Value::as_str).unwrap_or(&self.id)
    }

    fn set_state(&mut self, state: &'static str, now: Ms) -> bool {
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
    fn to_json(&self) -> Value {
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
    /// Fields set by `POST /sim/ccc/cdr` (test aid), merged over the record's `Data`.
    pub cdr_patch: Map<String, Value>,
}

impl Job {
    fn customer_number(&self) -> &str {
        if self.call_type == "OUTBOUND" {
            &self.called
        } else {
            &self.caller
        }
    }

    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id || c.visible_id() == id)
    }

    fn active_mut(&mut self, role: &Role) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| &c.role == role && !c.released())
    }

    fn agent_event(&mut self, user_id: &str, name: &str, group: &str, event: &str, now: Ms) {
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
}

/// CCC state of the whole simulator.
#[derive(Debug, Default)]
pub struct CccModel {
    /// Jobs by model call id (kept after the call ended, for GetCallDetailRecord).
    pub jobs: BTreeMap<String, Job>,
    /// Who ended a call ("agent" | "customer"), noted by the call logic for the CDR.
    pub release_hints: BTreeMap<String, &'static str>,
    /// Ids the next jobs/channels take (`POST /sim/ccc/next`); `None` = generated.
    pub next_job_ids: VecDeque<String>,
    pub next_channel_ids: VecDeque<Option<String>>,
    /// Last `ContextId` issued.
    pub context: u64,
    next_job: u64,
}

/// Identity of a simulated agent in CCC.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: String,
    pub extension: String,
    pub mobile: String,
    pub name: String,
}

const WORK_MODE: &str = "ON_SITE";

/// The agent's CCC UserState (reference §2.1), computed from the model.
pub fn user_state(agent: &Agent, calls: &BTreeMap<String, Call>) -> &'static str {
    if !agent.signed_in() {
        return "OFFLINE";
    }
    if agent.ringing.is_some() {
        return "RINGING";
    }
    let dialing = agent
        .current
        .as_ref()
        .and_then(|c| calls.get(c))
        .is_some_and(|c| c.kind == CallKind::Outbound && c.state == CallState::Dialing);
    if dialing {
        return "DIALING";
    }
    if agent.has_calls() {
        return "TALKING";
    }
    match agent.state {
        BaseState::Idle => "READY",
        BaseState::Busy { .. } | BaseState::Rest { .. } => "BREAK",
        BaseState::Work => "WORKING",
    }
}

/// ListRealtimeAgentStates spelling of a UserState (reference §2.1 StateList).
fn realtime_state(state: &str) -> &'static str {
    match state {
        "READY" => "Ready",
        "BREAK" => "Break",
        "WORKING" => "ACW",
        "RINGING" => "Ringing",
        "DIALING" => "Dialing",
        "TALKING" => "Talking",
        _ => "Offline",
    }
}

/// A JSON-array-of-strings parameter (`SignedSkillGroupIdList`, `StateList`, ...).
fn string_list(name: &str, value: &str) -> Result<Vec<String>, CccFail> {
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(CccFail::invalid(name, value)),
            })
            .collect(),
        // A bare comma-separated list is accepted too.
        _ if !value.trim_start().starts_with('[') => {
            Ok(value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        }
        _ => Err(CccFail::invalid(name, value)),
    }
}

type Params = BTreeMap<String, String>;

fn opt<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
}

fn req<'a>(p: &'a Params, name: &str) -> Result<&'a str, CccFail> {
    opt(p, name).ok_or_else(|| CccFail::blank(name))
}

/// What a call-control action acted on, for the answer.
struct Acted {
    workno: String,
    callid: Option<String>,
    /// Channel ids the action acted on (`cccResponseChannels = affected`).
    affected: Vec<String>,
}

impl Sim {
    // ---------------------------------------------------------------- identities

    pub fn ccc_instance(&self) -> &str {
        &self.cfg.ccc.instance_id
    }

    pub fn ccc_identity_of(&self, workno: &str) -> Option<Identity> {
        let a = self.cfg.agent(workno)?;
        let o = a.ccc.clone().unwrap_or_default();
        let extension = o.extension.unwrap_or_else(|| match workno.parse::<u64>() {
            Ok(n) => format!("800{n:05}"),
            Err(_) => format!("8000{workno}"),
        });
        Some(Identity {
            user_id: o.user_id.unwrap_or_else(|| format!("agent{workno}@{}", self.ccc_instance())),
            extension,
            mobile: o.mobile.unwrap_or_else(|| a.phone.clone()),
            name: a.name.clone(),
        })
    }

    /// Work number of a CCC UserId.
    pub fn ccc_workno(&self, user_id: &str) -> Option<String> {
        self.cfg
            .agents
            .iter()
            .find(|a| self.ccc_identity_of(&a.workno).is_some_and(|i| i.user_id == user_id))
            .map(|a| a.workno.clone())
    }

    pub fn ccc_group_id(&self, skill: i64) -> String {
        format!("skillgroup{skill}@{}", self.ccc_instance())
    }

    fn ccc_group_of(&self, group_id: &str) -> Option<i64> {
        self.cfg.skills.iter().find(|s| self.ccc_group_id(s.id) == group_id).map(|s| s.id)
    }

    /// `/sim/state` agents[].ccc.
    pub fn ccc_identity(&self, a: &Agent) -> Value {
        let Some(id) = self.ccc_identity_of(&a.cfg.workno) else {
            return Value::Null;
        };
        json!({
            "userId": id.user_id,
            "extension": id.extension,
            "signedInViaCcc": a.is_ccc(),
            "userState": user_state(a, &self.calls),
            "breakCode": a.ccc.break_code,
            "deviceId": a.ccc.device_id,
            "jobId": self.agent_job(a).and_then(|c| self.ccc.jobs.get(&c)).map(|j| j.job_id.clone()),
        })
    }

    /// `/sim/state` cccJobs[].
    pub fn ccc_job_snapshot(&self, j: &Job) -> Value {
        json!({
            "jobId": j.job_id,
            "callid": j.callid,
            "callType": j.call_type,
            "released": j.released,
            "channels": j.channels.iter().map(|c| c.to_json(&j.job_id)).collect::<Vec<_>>(),
        })
    }

    /// The model call (customer call) an agent's CCC context is about.
    fn agent_job(&self, a: &Agent) -> Option<String> {
        let consult_parent = a.consult.as_ref().and_then(|c| self.calls.get(c)).and_then(|c| match &c.kind {
            CallKind::Consult { parent, .. } if !parent.is_empty() => Some(parent.clone()),
            _ => None,
        });
        a.ringing
            .clone()
            .or_else(|| a.current.clone())
            .or(consult_parent)
            .or_else(|| a.held.first().cloned())
            .or_else(|| a.suspended.first().cloned())
    }

    // ---------------------------------------------------------------- sync

    fn new_job_id(&mut self, now: Ms) -> String {
        if let Some(id) = self.ccc.next_job_ids.pop_front() {
            return id;
        }
        self.ccc.next_job += 1;
        format!("job-{now}{:04}", self.ccc.next_job % 10_000)
    }

    fn new_channel(&mut self, job_callid: &str, default_id: String, now: Ms) -> (String, i64) {
        let id = self.ccc.next_channel_ids.pop_front().flatten().unwrap_or(default_id);
        let job = self.ccc.jobs.get_mut(job_callid).expect("job exists");
        let index = job.next_index;
        job.next_index += 1;
        let _ = now;
        (id, index)
    }

    fn ccc_new_job(&mut self, call: &Call, now: Ms) {
        let job_id = self.new_job_id(now);
        let outbound = call.kind == CallKind::Outbound;
        let group = call.skill_id.map(|s| self.ccc_group_id(s));
        let mut job = Job {
            job_id: job_id.clone(),
            callid: call.id.clone(),
            call_type: if outbound { "OUTBOUND" } else { "INBOUND" },
            caller: call.caller.clone(),
            called: call.called.clone(),
            skill: call.skill_id,
            created: call.created,
            channels: Vec::new(),
            next_index: 0,
            established: None,
            released: None,
            release_initiator: String::new(),
            release_reason: String::new(),
            disposition: String::new(),
            rang: false,
            agents: Vec::new(),
            agent_events: Vec::new(),
            ivr_events: Vec::new(),
            queue_events: Vec::new(),
            customer_events: Vec::new(),
            consult: None,
            cdr_patch: Map::new(),
        };
        if outbound {
            job.customer_events.push(Ev { event: "Ringing".into(), time: now, duration: None });
        } else {
            job.ivr_events.push(Ev { event: "Route2IVR".into(), time: call.created, duration: None });
            if call.skill_id.is_some() {
                job.queue_events.push(Ev { event: "Enqueue".into(), time: call.created, duration: None });
            }
        }
        self.ccc.jobs.insert(call.id.clone(), job);
        let default_id = format!("ch:customer:{}->{}:{now}:{job_id}", call.caller, call.called);
        let (id, index) = self.new_channel(&call.id, default_id, now);
        let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
        job.channels.push(Channel {
            id,
            role: Role::Customer,
            state: if outbound { "RINGING" } else { "ANSWERED" },
            call_type: job.call_type.to_string(),
            flags: String::new(),
            destination: call.called.clone(),
            originator: call.caller.clone(),
            user_id: String::new(),
            extension: String::new(),
            skill_group_id: group,
            index,
            timestamp: now,
            release_initiator: None,
            release_reason: None,
            overrides: Map::new(),
        });
    }

    /// Brings the CCC view (jobs, channels, CDR events, UserState clocks) up to date with the
    /// model. Idempotent; runs after every operation.
    pub fn ccc_sync(&mut self, now: Ms) {
        let held_flag = self.cfg.knobs.ccc_held_flag.clone();
        let muted_flag = self.cfg.knobs.ccc_muted_flag.clone();
        let calls: Vec<Call> = self.calls.values().cloned().collect();
        let mut consults = Vec::new();
        for call in &calls {
            if let CallKind::Consult { parent, .. } = &call.kind {
                consults.push((call.clone(), parent.clone()));
                continue;
            }
            if !self.ccc.jobs.contains_key(&call.id) {
                self.ccc_new_job(call, now);
            }
            let cust_state = match (&call.kind, &call.state) {
                (CallKind::Outbound, CallState::Dialing) => "RINGING",
                _ => "ANSWERED",
            };
            let cust_flags = if call.state == CallState::Held { held_flag.clone() } else { String::new() };
            let agent_w = match call.state {
                CallState::Queued => None,
                _ => call.agent.clone(),
            };
            let agent_state = if call.state == CallState::Ringing { "RINGING" } else { "ANSWERED" };
            let agent_flags = match agent_w.as_ref().and_then(|w| self.agents.get(w)) {
                Some(a) if a.muted && a.current.as_deref() == Some(&call.id) => muted_flag.clone(),
                _ => String::new(),
            };
            let ident = agent_w.as_ref().and_then(|w| self.ccc_identity_of(w).map(|i| (w.clone(), i)));
            let group = call.skill_id.map(|s| self.ccc_group_id(s)).unwrap_or_default();
            let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
            if let Some(ch) = job.active_mut(&Role::Customer) {
                ch.set_state(cust_state, now);
                if ch.flags != cust_flags {
                    ch.flags = cust_flags;
                    ch.timestamp = now;
                }
            }
            // An agent leg of another agent (or of a call back in its queue) is over.
            let stale: Vec<(String, String)> = job
                .channels
                .iter_mut()
                .filter(|c| !c.released())
                .filter_map(|c| match c.role.clone() {
                    Role::Agent(w) if agent_w.as_deref() != Some(w.as_str()) => {
                        c.set_state("RELEASED", now);
                        c.release_initiator = Some(c.user_id.clone());
                        c.release_reason = Some("480 - Temporarily Unavailable".into());
                        Some((c.user_id.clone(), w))
                    }
                    _ => None,
                })
                .collect();
            for (uid, _) in stale {
                job.agent_event(&uid, "", &group, "Released", now);
            }
            let Some((workno, id)) = ident else {
                continue;
            };
            let role = Role::Agent(workno.clone());
            let mut ringing_now = false;
            match job.active_mut(&role) {
                Some(ch) => {
                    ch.set_state(agent_state, now);
                    if ch.flags != agent_flags {
                        ch.flags = agent_flags;
                        ch.timestamp = now;
                    }
                }
                None => {
                    let default_id =
                        format!("ch:user:{}->{}:{now}:{}", job.customer_number(), id.extension, job.job_id);
                    let outbound = job.call_type == "OUTBOUND";
                    let call_type = job.call_type.to_string();
                    let first_event = if outbound { "Dialing" } else { "Ringing" };
                    job.agent_event(&id.user_id, &id.name, &group, first_event, now);
                    if !outbound {
                        job.rang = true;
                        job.queue_events.push(Ev { event: "AssignAgent".into(), time: now, duration: None });
                        ringing_now = true;
                    }
                    let (ch_id, index) = self.new_channel(&call.id, default_id, now);
                    let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
                    job.channels.push(Channel {
                        id: ch_id,
                        role: role.clone(),
                        state: agent_state,
                        call_type,
                        flags: agent_flags,
                        destination: call.called.clone(),
                        originator: call.caller.clone(),
                        user_id: id.user_id.clone(),
                        extension: id.extension.clone(),
                        skill_group_id: call.skill_id.map(|_| group.clone()),
                        index,
                        timestamp: now,
                        release_initiator: None,
                        release_reason: None,
                        overrides: Map::new(),
                    });
                }
            }
            if ringing_now {
                if let Some(a) = self.agents.get_mut(&workno) {
                    a.ccc.reserved = now;
                }
            }
            let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
            let answered = |r: &Role| job.channels.iter().any(|c| &c.role == r && c.state == "ANSWERED");
            if job.established.is_none() && answered(&Role::Customer) && answered(&role) {
                job.established = Some(now);
                job.agent_event(&id.user_id, &id.name, &group, "Established", now);
                job.customer_events.push(Ev { event: "Established".into(), time: now, duration: None });
            }
        }

        // Consult legs: a CONSULTANT channel of the customer call's job.
        for (leg, parent) in consults {
            let state = if leg.state == CallState::Dialing { "RINGING" } else { "ANSWERED" };
            let Some(job) = self.ccc.jobs.get(&parent) else {
                continue;
            };
            let role = Role::Consult(leg.id.clone());
            if job.channels.iter().any(|c| c.role == role && !c.released()) {
                let job = self.ccc.jobs.get_mut(&parent).expect("job exists");
                if let Some(ch) = job.active_mut(&role) {
                    ch.set_state(state, now);
                }
                continue;
            }
            let (ttype, transferee) =
                job.consult.clone().unwrap_or_else(|| ("EXTERNAL".into(), leg.called.clone()));
            let (user_id, extension) = if ttype == "AGENT" {
                let ext = self
                    .ccc_workno(&transferee)
                    .and_then(|w| self.ccc_identity_of(&w))
                    .map(|i| i.extension)
                    .unwrap_or_default();
                (transferee.clone(), ext)
            } else {
                (String::new(), String::new())
            };
            let default_id = if ttype == "AGENT" {
                format!("ch:user:{}->{}:{now}:{}", job.customer_number(), extension, job.job_id)
            } else {
                format!("ch:customer:{}->{}:{now}:{}", job.caller, transferee, job.job_id)
            };
            let group = if ttype == "SKILL_GROUP" { Some(transferee.clone()) } else { None };
            let (destination, originator) = (job.called.clone(), job.caller.clone());
            let initiator = leg.agent.as_ref().and_then(|w| self.ccc_identity_of(w));
            let (ch_id, index) = self.new_channel(&parent, default_id, now);
            let job = self.ccc.jobs.get_mut(&parent).expect("job exists");
            if let Some(i) = initiator {
                let g = job.skill.map(|_| String::new()).unwrap_or_default();
                job.agent_event(&i.user_id, &i.name, &g, "Consulting", now);
            }
            job.channels.push(Channel {
                id: ch_id,
                role,
                state,
                call_type: "CONSULTANT".into(),
                flags: String::new(),
                destination,
                originator,
                user_id,
                extension,
                skill_group_id: group,
                index,
                timestamp: now,
                release_initiator: None,
                release_reason: None,
                overrides: Map::new(),
            });
        }

        // Ended consult legs and ended calls.
        let live: std::collections::BTreeSet<String> = self.calls.keys().cloned().collect();
        let ended: Vec<String> = self
            .ccc
            .jobs
            .values()
            .filter(|j| j.released.is_none() && !live.contains(&j.callid))
            .map(|j| j.callid.clone())
            .collect();
        for job in self.ccc.jobs.values_mut() {
            for ch in job.channels.iter_mut().filter(|c| !c.released()) {
                if let Role::Consult(leg) = &ch.role {
                    if !live.contains(leg) {
                        ch.set_state("RELEASED", now);
                        ch.release_initiator.get_or_insert_with(|| ch.user_id.clone());
                        ch.release_reason.get_or_insert_with(|| "200 - OK".into());
                    }
                }
            }
        }
        for callid in ended {
            self.ccc_finish_job(&callid, now);
        }

        // UserState clocks and the wrap-up timer.
        let wrap = self.cfg.knobs.ccc_wrap_up_ms;
        let mut timers = Vec::new();
        for a in self.agents.values_mut() {
            let st = user_state(a, &self.calls);
            if a.ccc.last_state != st {
                a.ccc.last_state = st.to_string();
                a.ccc.state_since = now;
                if st == "WORKING" && wrap > 0 && a.is_ccc() {
                    timers.push((now + wrap, a.cfg.workno.clone()));
                }
            }
        }
        for (due, agent) in timers {
            self.schedule(due, TimerAction::CccAutoReady { agent, since: now });
        }
    }

    fn ccc_finish_job(&mut self, callid: &str, now: Ms) {
        let hint = self.ccc.release_hints.remove(callid);
        let Some(job) = self.ccc.jobs.get(callid) else {
            return;
        };
        let established = job.established.is_some();
        let outbound = job.call_type == "OUTBOUND";
        let initiator =
            hint.unwrap_or(if outbound && !established { "customer" } else { "agent" }).to_string();
        let last_agent = job
            .channels
            .iter()
            .rev()
            .find(|c| matches!(c.role, Role::Agent(_)) && !c.released())
            .map(|c| c.user_id.clone());
        let customer = job.customer_number().to_string();
        let who = if initiator == "customer" { customer } else { last_agent.clone().unwrap_or_default() };
        let reason = if established { "200 - OK" } else { "487 - Request Terminated" };
        let disposition = match (established, outbound, initiator.as_str(), job.rang) {
            (true, _, _, _) => "Success",
            (false, true, _, _) => "NoAnswer",
            (false, false, "customer", true) => "AbandonedInRing",
            (false, false, "customer", false) => "AbandonedInQueue",
            _ => "NoAnswer",
        };
        let job = self.ccc.jobs.get_mut(callid).expect("job exists");
        job.released = Some(now);
        job.release_initiator = initiator;
        job.release_reason = reason.into();
        job.disposition = disposition.into();
        let mut agents = Vec::new();
        for ch in job.channels.iter_mut().filter(|c| !c.released()) {
            ch.set_state("RELEASED", now);
            ch.release_initiator.get_or_insert_with(|| who.clone());
            ch.release_reason.get_or_insert_with(|| reason.to_string());
            if matches!(ch.role, Role::Agent(_)) {
                agents.push(ch.user_id.clone());
            }
        }
        for uid in agents {
            job.agent_event(&uid, "", "", "Released", now);
        }
        job.customer_events.push(Ev { event: "Released".into(), time: now, duration: None });
    }

    /// `cccWrapUpMs` elapsed: a CCC agent still in the same wrap-up becomes READY.
    pub(crate) fn ccc_auto_ready(&mut self, workno: &str, since: Ms, now: Ms, out: &mut Vec<Emit>) {
        let Some(a) = self.agents.get_mut(workno) else {
            return;
        };
        if a.is_ccc() && a.state == BaseState::Work && !a.has_calls() && a.ccc.state_since == since {
            a.state = BaseState::Idle;
            a.idle_since = now;
            a.pending = None;
            self.dispatch_queue(now, out);
        }
    }

    // ---------------------------------------------------------------- rendering

    fn next_context(&mut self) -> u64 {
        self.ccc.context += 1;
        self.ccc.context
    }

    /// Flat UserContext of an agent.
    pub fn ccc_user_context(&self, workno: &str) -> Value {
        let Some(a) = self.agents.get(workno) else {
            return Value::Null;
        };
        let id = self.ccc_identity_of(workno).expect("configured agent");
        let groups: Vec<String> = match a.session.as_ref().filter(|_| a.signed_in()) {
            Some(s) => s.skills.iter().map(|g| self.ccc_group_id(*g)).collect(),
            None => Vec::new(),
        };
        let job = self.agent_job(a).and_then(|c| self.ccc.jobs.get(&c)).map(|j| j.job_id.clone());
        json!({
            "UserId": id.user_id,
            "InstanceId": self.ccc_instance(),
            "Extension": id.extension,
            "DeviceId": a.ccc.device_id,
            "UserState": user_state(a, &self.calls),
            "BreakCode": a.ccc.break_code,
            "WorkMode": WORK_MODE,
            "OutboundScenario": a.ccc.outbound_scenario,
            "JobId": job.unwrap_or_default(),
            "Mobile": id.mobile,
            "Heartbeat": a.ccc.heartbeat,
            "Reserved": a.ccc.reserved,
            "SignedSkillGroupIdList": groups,
        })
    }

    /// CallContext of a job; `only` restricts the channels listed.
    pub fn ccc_call_context(&self, callid: &str, only: Option<&[String]>) -> Value {
        let Some(job) = self.ccc.jobs.get(callid) else {
            return Value::Null;
        };
        let channels: Vec<Value> = job
            .channels
            .iter()
            .filter(|c| only.is_none_or(|ids| ids.iter().any(|i| i == &c.id)))
            .map(|c| c.to_json(&job.job_id))
            .collect();
        json!({
            "CallType": job.call_type,
            "InstanceId": self.ccc_instance(),
            "JobId": job.job_id,
            "ChannelContexts": channels,
        })
    }

    // ---------------------------------------------------------------- actions

    /// Runs one CCC action (after the HTTP layer checked the signature). Returns `Data`.
    pub fn ccc_action(
        &mut self,
        action: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Option<Value>, CccFail> {
        let instance = req(p, "InstanceId")?;
        if instance != self.ccc_instance() {
            return Err(CccFail::no_instance(instance));
        }
        let user_actions = [
            "SignInGroup",
            "SignOutGroup",
            "ReadyForService",
            "TakeBreak",
            "PollUserStatus",
            "MakeCall",
            "AnswerCall",
            "ReleaseCall",
            "HoldCall",
            "RetrieveCall",
            "MuteCall",
            "UnmuteCall",
            "SendDtmfSignaling",
            "BlindTransfer",
            "InitiateAttendedTransfer",
            "CompleteAttendedTransfer",
            "CancelAttendedTransfer",
        ];
        if !user_actions.contains(&action) {
            return match action {
                "ListSkillGroups" | "ListBriefSkillGroups" => self.ccc_list_skill_groups(p).map(Some),
                "ListRealtimeAgentStates" => self.ccc_list_agent_states(p, now).map(Some),
                "GetCallDetailRecord" => self.ccc_cdr(p, now).map(Some),
                _ => Err(CccFail::new(
                    404,
                    "InvalidAction.NotFound",
                    "Specified api (%s) is not found, please check your url and method.",
                    vec![action.into()],
                )),
            };
        }
        let user_id = req(p, "UserId")?;
        let workno = self.ccc_workno(user_id).ok_or_else(|| CccFail::no_user(user_id))?;
        match action {
            "SignInGroup" => self.ccc_sign_in(&workno, p, now, out),
            "SignOutGroup" => self.ccc_sign_out(&workno, now, out),
            "ReadyForService" => self.ccc_ready(&workno, p, now, out),
            "TakeBreak" => self.ccc_take_break(&workno, p),
            "PollUserStatus" => Ok(self.ccc_poll(&workno, now)),
            _ => {
                // Call control: Data = {ContextId, CallContext, UserContext}.
                let before = opt(p, "JobId").and_then(|j| self.ccc_job_by_id(j)).map(|c| {
                    let cc = self.ccc_call_context(&c, None);
                    (c, cc, self.ccc_user_context(&workno))
                });
                let acted = self.ccc_call_action(action, &workno, p, now, out)?;
                self.ccc_sync(now);
                Ok(Some(self.ccc_cc_data(acted, before)))
            }
        }
    }

    fn ccc_cc_data(&mut self, acted: Acted, before: Option<(String, Value, Value)>) -> Value {
        let affected_only =
            self.cfg.knobs.ccc_response_channels == crate::config::CccResponseChannels::Affected;
        let use_before = self.cfg.knobs.ccc_response_snapshot == crate::config::CccSnapshot::Before;
        let context_id = self.next_context();
        let filter = |v: Value, ids: &[String], job: Option<&Job>| -> Value {
            if !affected_only || v.is_null() {
                return v;
            }
            let mut v = v;
            let visible: Vec<String> = job
                .map(|j| {
                    j.channels
                        .iter()
                        .filter(|c| ids.contains(&c.id))
                        .map(|c| c.visible_id().to_string())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(list) = v.get_mut("ChannelContexts").and_then(Value::as_array_mut) {
                list.retain(|c| c["ChannelId"].as_str().is_some_and(|id| visible.iter().any(|x| x == id)));
            }
            v
        };
        let (call_context, user_context) = match (use_before, before) {
            (true, Some((callid, cc, uc))) if Some(&callid) == acted.callid.as_ref() => {
                (filter(cc, &acted.affected, self.ccc.jobs.get(&callid)), uc)
            }
            _ => {
                let cc = acted.callid.as_ref().map(|c| self.ccc_call_context(c, None)).unwrap_or(Value::Null);
                let job = acted.callid.as_ref().and_then(|c| self.ccc.jobs.get(c));
                (filter(cc, &acted.affected, job), self.ccc_user_context(&acted.workno))
            }
        };
        json!({"ContextId": context_id, "CallContext": call_context, "UserContext": user_context})
    }

    /// Model call id of a live (not released) job.
    fn ccc_job_by_id(&self, job_id: &str) -> Option<String> {
        self.ccc.jobs.values().find(|j| j.job_id == job_id && j.released.is_none()).map(|j| j.callid.clone())
    }

    fn state_of(&self, workno: &str) -> &'static str {
        self.agents.get(workno).map(|a| user_state(a, &self.calls)).unwrap_or("OFFLINE")
    }

    fn ccc_sign_in(
        &mut self,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Option<Value>, CccFail> {
        let device = req(p, "DeviceId")?.to_string();
        let list = req(p, "SignedSkillGroupIdList")?;
        let groups = string_list("SignedSkillGroupIdList", list)?;
        let mut skills = Vec::new();
        for g in &groups {
            let id = self.ccc_group_of(g).ok_or_else(|| CccFail::no_skill_group(g))?;
            skills.push(id);
        }
        let additive = opt(p, "Additivity").and_then(params::parse_bool_text).unwrap_or(false);
        let start = self.cfg.knobs.ccc_sign_in_state;
        let session_id = self.next_session;
        let agent = self.agents.get_mut(workno).expect("known agent");
        let served = agent.cfg.skills.clone();
        skills.retain(|s| served.contains(s));
        if agent.is_ccc() {
            // Already online: refresh device and groups, state unchanged.
            agent.ccc.device_id = device;
            if let Some(s) = agent.session.as_mut() {
                if additive {
                    for g in skills {
                        if !s.skills.contains(&g) {
                            s.skills.push(g);
                        }
                    }
                } else {
                    s.skills = skills;
                }
            }
        } else {
            self.next_session += 1;
            // Replaces a Huawei session if there is one; calls belong to the phone and stay.
            agent.session = Some(Session {
                id: session_id,
                guid: String::new(),
                guid_issued: now,
                old_guids: Vec::new(),
                login_time: now,
                phone: agent.cfg.phone.clone(),
                autoanswer: false,
                autoenteridle: false,
                media_flags: "TFF".into(),
                skills,
                closed: false,
                events: Default::default(),
                poll_gen: 0,
                polls_in_flight: 0,
                last_poll: now,
                ccc: true,
            });
            agent.ccc.device_id = device;
            agent.ccc.heartbeat = now;
            agent.ccc.reserved = now;
            agent.pending = None;
            agent.idle_since = now;
            match start {
                CccSignInState::Break => {
                    agent.state = BaseState::Busy { reason: 0 };
                    agent.ccc.break_code = "Warm-up".into();
                }
                CccSignInState::Ready => {
                    agent.state = BaseState::Idle;
                    agent.ccc.break_code = String::new();
                }
            }
        }
        self.dispatch_queue(now, out);
        self.ccc_sync(now);
        Ok(Some(self.ccc_user_context(workno)))
    }

    fn ccc_sign_out(&mut self, workno: &str, now: Ms, out: &mut Vec<Emit>) -> Result<Option<Value>, CccFail> {
        let state = self.state_of(workno);
        if state != "OFFLINE" {
            if !matches!(state, "READY" | "BREAK" | "WORKING") {
                return Err(CccFail::user_state(state, "READY,BREAK,WORKING"));
            }
            self.sign_out(workno, now, out);
            if let Some(a) = self.agents.get_mut(workno) {
                if a.session.as_ref().is_some_and(|s| s.ccc) {
                    a.session = None;
                }
                a.ccc.break_code = String::new();
                a.ccc.device_id = String::new();
            }
        }
        self.ccc_sync(now);
        Ok(Some(self.ccc_user_context(workno)))
    }

    fn ccc_ready(
        &mut self,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Option<Value>, CccFail> {
        let state = self.state_of(workno);
        if !matches!(state, "BREAK" | "READY" | "WORKING") {
            return Err(CccFail::user_state(state, "BREAK,READY,WORKING"));
        }
        let outbound = opt(p, "OutboundScenario").and_then(params::parse_bool_text).unwrap_or(false);
        let agent = self.agents.get_mut(workno).expect("known agent");
        if agent.state != BaseState::Idle {
            agent.state = BaseState::Idle;
            agent.idle_since = now;
        }
        agent.pending = None;
        agent.ccc.break_code = String::new();
        agent.ccc.outbound_scenario = outbound;
        self.dispatch_queue(now, out);
        self.ccc_sync(now);
        Ok(Some(self.ccc_user_context(workno)))
    }

    fn ccc_take_break(&mut self, workno: &str, p: &Params) -> Result<Option<Value>, CccFail> {
        let code = req(p, "Code")?.to_string();
        let state = self.state_of(workno);
        if !matches!(state, "READY" | "BREAK" | "WORKING") {
            return Err(CccFail::user_state(state, "READY,BREAK,WORKING"));
        }
        let agent = self.agents.get_mut(workno).expect("known agent");
        agent.state = BaseState::Busy { reason: 0 };
        agent.pending = None;
        agent.ccc.break_code = code;
        Ok(Some(self.ccc_user_context(workno)))
    }

    fn ccc_poll(&mut self, workno: &str, now: Ms) -> Option<Value> {
        if let Some(a) = self.agents.get_mut(workno) {
            if a.is_ccc() {
                a.ccc.heartbeat = now;
            }
        }
        let context_id = self.next_context();
        let job = self.agents.get(workno).and_then(|a| self.agent_job(a));
        let mut data = json!({
            "ContextId": context_id,
            "UserContext": self.ccc_user_context(workno),
            "ChatContexts": [],
        });
        data["CallContext"] = match (job, self.cfg.knobs.ccc_poll_no_call) {
            (Some(c), _) => self.ccc_call_context(&c, None),
            (None, crate::config::CccNoCall::Null) => Value::Null,
            (None, crate::config::CccNoCall::Absent) => return Some(data),
            (None, crate::config::CccNoCall::Released) => self.ccc_last_call_released(workno),
        };
        Some(data)
    }

    /// The agent's most recent ended call, every leg shown RELEASED (null if it had none).
    fn ccc_last_call_released(&self, workno: &str) -> Value {
        let Some(uid) = self.ccc_identity_of(workno).map(|i| i.user_id) else { return Value::Null };
        let last = self
            .ccc
            .jobs
            .values()
            .filter(|j| j.released.is_some() && j.channels.iter().any(|c| c.user_id == uid))
            .max_by_key(|j| j.released);
        let Some(job) = last else { return Value::Null };
        let mut v = self.ccc_call_context(&job.callid, None);
        if let Some(list) = v.get_mut("ChannelContexts").and_then(Value::as_array_mut) {
            for ch in list {
                ch["ChannelState"] = json!("RELEASED");
            }
        }
        v
    }

    /// Finds the job of `JobId` for an agent taking part in it.
    fn ccc_agent_job(&self, workno: &str, p: &Params) -> Result<String, CccFail> {
        let job_id = req(p, "JobId")?;
        let callid = self.ccc_job_by_id(job_id).ok_or_else(|| CccFail::no_job(job_id))?;
        let a = self.agents.get(workno).expect("known agent");
        if self.agent_job(a).as_deref() != Some(callid.as_str()) && !a.all_calls().contains(&callid) {
            return Err(CccFail::no_job(job_id));
        }
        Ok(callid)
    }

    /// The channel named by `ChannelId` (or `default` when absent) in the job.
    fn ccc_channel(
        &self,
        callid: &str,
        p: &Params,
        name: &str,
        default: Option<Role>,
    ) -> Result<Channel, CccFail> {
        let job = self.ccc.jobs.get(callid).expect("job exists");
        match (opt(p, name), default) {
            (Some(id), _) => job
                .channel(id)
                .filter(|c| !c.released())
                .cloned()
                .ok_or_else(|| CccFail::no_channel(id, &job.job_id)),
            (None, Some(role)) => job
                .channels
                .iter()
                .find(|c| c.role == role && !c.released())
                .cloned()
                .ok_or_else(|| CccFail::blank(name)),
            (None, None) => Err(CccFail::blank(name)),
        }
    }

    fn consult_leg(&self, workno: &str, callid: &str) -> Option<String> {
        let leg = self.agents.get(workno)?.consult.clone()?;
        match &self.calls.get(&leg)?.kind {
            CallKind::Consult { parent, .. } if parent == callid => Some(leg),
            _ => None,
        }
    }

    fn channel_label(ch: &Channel) -> String {
        if ch.flags.is_empty() {
            ch.state.to_string()
        } else {
            format!("{}:{}", ch.state, ch.flags)
        }
    }

    fn ccc_call_action(
        &mut self,
        action: &str,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Acted, CccFail> {
        let state = self.state_of(workno);
        if state == "OFFLINE" {
            return Err(CccFail::user_state(state, "READY,BREAK,WORKING,RINGING,TALKING,DIALING"));
        }
        let own = Role::Agent(workno.to_string());
        let map_model = |f: crate::codes::Fail, actual: &str, expected: &str| {
            CccFail::channel_state(actual, &format!("{expected} ({})", f.message))
        };
        let mut acted = Acted { workno: workno.to_string(), callid: None, affected: Vec::new() };
        match action {
            "MakeCall" => {
                let callee = req(p, "Callee")?;
                if !params::is_dial_string(callee) {
                    return Err(CccFail::invalid("Callee", callee));
                }
                if !matches!(state, "READY" | "BREAK" | "WORKING") {
                    return Err(CccFail::user_state(state, "READY,BREAK,WORKING"));
                }
                let caller = opt(p, "Caller");
                if let Some(c) = caller.filter(|c| !params::is_dial_string(c)) {
                    return Err(CccFail::invalid("Caller", c));
                }
                let body = json!({"called": callee});
                let (callid, ev) =
                    self.callout(workno, &body, now).map_err(|f| map_model(f, state, "READY"))?;
                out.extend(ev);
                // CCC's Caller is a number of the instance; masked/any dial string is kept as is.
                if let (Some(c), Some(call)) = (caller, self.calls.get_mut(&callid)) {
                    call.caller = c.to_string();
                }
                self.ccc_sync(now);
                acted.affected = self
                    .ccc
                    .jobs
                    .get(&callid)
                    .map(|j| j.channels.iter().map(|c| c.id.clone()).collect())
                    .unwrap_or_default();
                acted.callid = Some(callid);
            }
            "AnswerCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ringing = self.agents.get(workno).and_then(|a| a.ringing.clone());
                let ch = self.ccc_channel(&callid, &BTreeMap::new(), "ChannelId", Some(own.clone()))?;
                if ringing.as_deref() != Some(callid.as_str()) {
                    return Err(CccFail::channel_state(&Self::channel_label(&ch), "RINGING"));
                }
                out.extend(
                    self.answer(workno, Some(&callid), now).map_err(|f| map_model(f, ch.state, "RINGING"))?,
                );
                acted.affected = vec![ch.id];
                acted.callid = Some(callid);
            }
            "ReleaseCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", Some(own.clone()))?;
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                let ringing = self.agents.get(workno).and_then(|a| a.ringing.clone());
                if ringing.as_deref() == Some(callid.as_str()) {
                    // Rejecting a ringing call: agent → BREAK `RejectCall`.
                    let mode = self.cfg.knobs.ccc_reject_call;
                    if let Some(a) = self.agents.get_mut(workno) {
                        a.ringing = None;
                        a.state = BaseState::Busy { reason: 7 };
                        a.ccc.break_code = "RejectCall".into();
                    }
                    match mode {
                        CccRejectCall::Requeue => self.requeue(workno, &callid, now, out),
                        CccRejectCall::Release => {
                            self.ccc.release_hints.insert(callid.clone(), "agent");
                            self.end_call(&callid, now);
                            self.dispatch_queue(now, out);
                        }
                    }
                } else if let Role::Consult(leg) = &ch.role {
                    self.agent_releases(workno, &leg.clone(), now, out);
                } else {
                    if let Some(leg) = self.consult_leg(workno, &callid) {
                        self.agent_releases(workno, &leg, now, out);
                    }
                    self.agent_releases(workno, &callid, now, out);
                }
            }
            "HoldCall" | "RetrieveCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", None)?;
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                let held = self.calls.get(&callid).is_some_and(|c| c.state == CallState::Held);
                if ch.role != Role::Customer {
                    return Err(CccFail::channel_state(&Self::channel_label(&ch), "customer leg"));
                }
                if action == "HoldCall" {
                    let current = self.agents.get(workno).and_then(|a| a.current.clone());
                    if held || ch.state != "ANSWERED" || current.as_deref() != Some(callid.as_str()) {
                        return Err(CccFail::channel_state(&Self::channel_label(&ch), "ANSWERED"));
                    }
                    out.extend(self.hold(workno, now).map_err(|f| map_model(f, ch.state, "ANSWERED"))?);
                } else {
                    let consulting = self.consult_leg(workno, &callid).is_some();
                    if !held || consulting {
                        let flag = self.cfg.knobs.ccc_held_flag.clone();
                        return Err(CccFail::channel_state(
                            &Self::channel_label(&ch),
                            &format!("ANSWERED:{flag}"),
                        ));
                    }
                    out.extend(
                        self.get_hold(workno, Some(&callid), now)
                            .map_err(|f| map_model(f, ch.state, "ANSWERED"))?,
                    );
                }
            }
            "MuteCall" | "UnmuteCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", Some(own.clone()))?;
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                if ch.role != own {
                    return Err(CccFail::channel_state(&Self::channel_label(&ch), "own leg"));
                }
                let on = action == "MuteCall";
                let current = self.agents.get(workno).and_then(|a| a.current.clone());
                if current.as_deref() != Some(callid.as_str()) {
                    return Err(CccFail::channel_state(&Self::channel_label(&ch), "ANSWERED"));
                }
                out.extend(self.mute(workno, on, now).map_err(|f| {
                    map_model(f, &Self::channel_label(&ch), if on { "ANSWERED" } else { "ANSWERED:MUTED" })
                })?);
            }
            "SendDtmfSignaling" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", None)?;
                let dtmf = req(p, "Dtmf")?;
                if !params::is_dial_string(dtmf) {
                    return Err(CccFail::invalid("Dtmf", dtmf));
                }
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                self.second_dial(workno, Some(dtmf)).map_err(|f| map_model(f, ch.state, "ANSWERED"))?;
            }
            "BlindTransfer" | "InitiateAttendedTransfer" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let transferee = req(p, "Transferee")?.to_string();
                let blind = action == "BlindTransfer";
                let allowed = if blind {
                    "AGENT,SKILL_GROUP,IVR,EXTERNAL_NUMBER"
                } else {
                    "AGENT,SKILL_GROUP,EXTERNAL"
                };
                let ttype = match opt(p, "TransfereeType") {
                    Some(t) if allowed.split(',').any(|a| a == t) => t.to_string(),
                    Some(_) => return Err(CccFail::enumeration("TransfereeType", allowed)),
                    // Without a type: an agent when it is a UserId, a skill group by its id, else a number.
                    None if transferee.contains("@") && transferee.starts_with("skillgroup") => {
                        "SKILL_GROUP".into()
                    }
                    None if transferee.contains('@') => "AGENT".into(),
                    None => {
                        if blind {
                            "EXTERNAL_NUMBER".into()
                        } else {
                            "EXTERNAL".into()
                        }
                    }
                };
                if ttype == "SKILL_GROUP" && self.ccc_group_of(&transferee).is_none() {
                    return Err(CccFail::no_skill_group(&transferee));
                }
                let own_ch = self.ccc_channel(&callid, &BTreeMap::new(), "ChannelId", Some(own.clone()))?;
                let current = self.agents.get(workno).and_then(|a| a.current.clone());
                let talking = self
                    .calls
                    .get(&callid)
                    .is_some_and(|c| c.state == CallState::Talking && c.media == Media::Voice);
                if current.as_deref() != Some(callid.as_str())
                    || !talking
                    || self.consult_leg(workno, &callid).is_some()
                {
                    let label = self
                        .ccc
                        .jobs
                        .get(&callid)
                        .and_then(|j| j.active_mut_ro(&Role::Customer))
                        .map(Self::channel_label)
                        .unwrap_or_default();
                    return Err(CccFail::channel_state(&label, "ANSWERED"));
                }
                acted.callid = Some(callid.clone());
                let me = self.ccc_identity_of(workno).expect("configured");
                let target_name = self
                    .ccc_workno(&transferee)
                    .and_then(|w| self.cfg.agent(&w))
                    .map(|a| a.name.clone())
                    .unwrap_or_default();
                if blind {
                    acted.affected = vec![own_ch.id.clone()];
                    if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                        job.agent_event(&me.user_id, &me.name, "", "BlindTransfer", now);
                        if ttype == "AGENT" && !job.agents.iter().any(|(u, _)| u == &transferee) {
                            job.agents.push((transferee.clone(), target_name));
                        }
                    }
                    self.agent_releases(workno, &callid, now, out);
                } else {
                    let ext = self
                        .ccc_workno(&transferee)
                        .and_then(|w| self.ccc_identity_of(&w))
                        .map(|i| i.extension);
                    let dst: String = ext.unwrap_or_else(|| transferee.clone()).chars().take(24).collect();
                    if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                        job.consult = Some((ttype.clone(), transferee.clone()));
                    }
                    let devicetype = if ttype == "SKILL_GROUP" { 1 } else { 2 };
                    let body = json!({"dstaddress": dst, "devicetype": devicetype, "mode": 1});
                    let (leg, ev) = self
                        .inner_help(workno, &body, now)
                        .map_err(|f| map_model(f, "ANSWERED", "ANSWERED"))?;
                    out.extend(ev);
                    self.ccc_sync(now);
                    if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                        if ttype == "AGENT" && !job.agents.iter().any(|(u, _)| u == &transferee) {
                            job.agents.push((transferee.clone(), target_name));
                        }
                        acted.affected = job
                            .channels
                            .iter()
                            .filter(|c| c.role == Role::Consult(leg.clone()))
                            .map(|c| c.id.clone())
                            .collect();
                    }
                }
            }
            "CompleteAttendedTransfer" | "CancelAttendedTransfer" => {
                let callid = self.ccc_agent_job(workno, p)?;
                acted.callid = Some(callid.clone());
                let Some(leg) = self.consult_leg(workno, &callid) else {
                    return Err(CccFail::channel_state("NONE", "CONSULTANT"));
                };
                let consult_ch =
                    self.ccc.jobs.get(&callid).and_then(|j| {
                        j.channels.iter().find(|c| c.role == Role::Consult(leg.clone())).cloned()
                    });
                acted.affected = consult_ch.iter().map(|c| c.id.clone()).collect();
                if action == "CompleteAttendedTransfer" {
                    let answered = self.calls.get(&leg).is_some_and(|c| c.state == CallState::Talking);
                    if !answered {
                        let label =
                            consult_ch.as_ref().map(Self::channel_label).unwrap_or_else(|| "RINGING".into());
                        return Err(CccFail::channel_state(&label, "ANSWERED"));
                    }
                    if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                        let me = self.cfg.agent(workno).map(|a| a.name.clone()).unwrap_or_default();
                        let uid = job
                            .channels
                            .iter()
                            .find(|c| c.role == own)
                            .map(|c| c.user_id.clone())
                            .unwrap_or_default();
                        job.agent_event(&uid, &me, "", "AttendedTransfer", now);
                    }
                    acted.affected = self
                        .ccc
                        .jobs
                        .get(&callid)
                        .map(|j| j.channels.iter().map(|c| c.id.clone()).collect())
                        .unwrap_or_default();
                    out.extend(
                        self.connect_hold(workno, &callid, now)
                            .map_err(|f| map_model(f, "ANSWERED", "ANSWERED"))?,
                    );
                } else {
                    self.agent_releases(workno, &leg, now, out);
                    out.extend(
                        self.get_hold(workno, Some(&callid), now)
                            .map_err(|f| map_model(f, "ANSWERED", "ANSWERED"))?,
                    );
                }
            }
            _ => unreachable!("checked by ccc_action"),
        }
        Ok(acted)
    }

    // ---------------------------------------------------------------- lists & records

    fn page(p: &Params) -> Result<(usize, usize), CccFail> {
        let num = |name: &str, default: usize| -> Result<usize, CccFail> {
            match opt(p, name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| CccFail::invalid(name, v)),
            }
        };
        Ok((num("PageNumber", 1)?, num("PageSize", 10)?))
    }

    fn paged(list: Vec<Value>, page: usize, size: usize) -> Value {
        let total = list.len();
        let items: Vec<Value> = list.into_iter().skip((page - 1) * size).take(size).collect();
        json!({"PageNumber": page, "PageSize": size, "TotalCount": total, "List": items})
    }

    fn ccc_list_skill_groups(&self, p: &Params) -> Result<Value, CccFail> {
        let (page, size) = Self::page(p)?;
        let pattern = opt(p, "SearchPattern").map(str::to_lowercase);
        let list: Vec<Value> = self
            .cfg
            .skills
            .iter()
            .filter(|s| {
                pattern.as_ref().is_none_or(|pat| {
                    s.name.to_lowercase().contains(pat) || self.ccc_group_id(s.id).contains(pat)
                })
            })
            .map(|s| {
                let users = self.cfg.agents.iter().filter(|a| a.skills.contains(&s.id)).count();
                json!({
                    "SkillGroupId": self.ccc_group_id(s.id),
                    "SkillGroupName": s.name,
                    "DisplayName": s.name,
                    "Description": "",
                    "InstanceId": self.ccc_instance(),
                    "MediaType": if s.media == Media::Voice { "VOICE" } else { "ONLINE" },
                    "PhoneNumberCount": 0,
                    "UserCount": users,
                })
            })
            .collect();
        Ok(Self::paged(list, page, size))
    }

    fn ccc_list_agent_states(&self, p: &Params, now: Ms) -> Result<Value, CccFail> {
        let (page, size) = Self::page(p)?;
        let states = opt(p, "StateList").map(|v| string_list("StateList", v)).transpose()?;
        let ids = opt(p, "AgentIdList").map(|v| string_list("AgentIdList", v)).transpose()?;
        let group = opt(p, "SkillGroupId").map(str::to_string);
        let list: Vec<Value> = self
            .agents
            .values()
            .filter_map(|a| {
                let id = self.ccc_identity_of(&a.cfg.workno)?;
                let st = user_state(a, &self.calls);
                let state = realtime_state(st);
                let groups: Vec<i64> = a.session.as_ref().filter(|_| a.signed_in()).map(|s| s.skills.clone()).unwrap_or_default();
                let group_ids: Vec<String> = groups.iter().map(|g| self.ccc_group_id(*g)).collect();
                if states.as_ref().is_some_and(|s| !s.iter().any(|x| x == state)) {
                    return None;
                }
                if ids.as_ref().is_some_and(|ids| !ids.contains(&id.user_id)) {
                    return None;
                }
                if group.as_ref().is_some_and(|g| !group_ids.contains(g)) {
                    return None;
                }
                let job = self.agent_job(a).and_then(|c| self.ccc.jobs.get(&c));
                let since = if a.ccc.last_state.is_empty() { now } else { a.ccc.state_since };
                Some(json!({
                    "AgentId": id.user_id,
                    "AgentName": id.name,
                    "Extension": id.extension,
                    "InstanceId": self.ccc_instance(),
                    "State": state,
                    "StateCode": if st == "BREAK" { a.ccc.break_code.clone() } else { String::new() },
                    "StateTime": since,
                    "Duration": now.saturating_sub(since) / 1000,
                    "BreakCode": a.ccc.break_code,
                    "CallType": job.map(|j| j.call_type).unwrap_or(""),
                    "CounterParty": job.map(|j| j.customer_number().to_string()).unwrap_or_default(),
                    "Mobile": id.mobile,
                    "OutboundScenario": a.ccc.outbound_scenario,
                    "SkillGroupIdList": group_ids,
                    "SkillGroupNameList": groups.iter().filter_map(|g| self.cfg.skill(*g)).map(|s| s.name.clone()).collect::<Vec<_>>(),
                    "WorkMode": WORK_MODE,
                }))
            })
            .collect();
        Ok(Self::paged(list, page, size))
    }

    fn ccc_cdr(&self, p: &Params, now: Ms) -> Result<Value, CccFail> {
        let contact = req(p, "ContactId")?;
        let delay = self.cfg.knobs.cdr_delay_ms;
        let job = self
            .ccc
            .jobs
            .values()
            .find(|j| j.job_id == contact)
            .filter(|j| j.released.is_some_and(|r| now >= r + delay))
            .ok_or_else(|| CccFail::no_contact(contact))?;
        let released = job.released.unwrap_or(now);
        let established = job.established;
        let names = |skill: Option<i64>| {
            skill.and_then(|s| self.cfg.skill(s)).map(|s| s.name.clone()).unwrap_or_default()
        };
        let group = job.skill.map(|s| self.ccc_group_id(s)).unwrap_or_default();
        let mut data = json!({
            "ContactId": job.job_id,
            "InstanceId": self.ccc_instance(),
            "ContactType": job.call_type,
            "ContactDisposition": job.disposition,
            "ReleaseInitiator": job.release_initiator,
            "ReleaseReason": job.release_reason,
            "CallingNumber": job.caller,
            "CalledNumber": job.called,
            "AgentIds": job.agents.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>().join(","),
            "AgentNames": job.agents.iter().map(|(u, n)| {
                if n.is_empty() { self.ccc_workno(u).and_then(|w| self.cfg.agent(&w)).map(|a| a.name.clone()).unwrap_or_default() } else { n.clone() }
            }).collect::<Vec<_>>().join(","),
            "SkillGroupIds": group,
            "SkillGroupNames": names(job.skill),
            "StartTime": job.created,
            "EstablishedTime": established,
            "ReleaseTime": released,
            "CallDuration": established.map(|e| released.saturating_sub(e) / 1000).unwrap_or(0),
            "RecordingReady": established.is_some(),
            "SatisfactionSurveyOffered": false,
            "AgentEvents": job.agent_events.iter().map(|t| {
                let name = if t.name.is_empty() { self.ccc_workno(&t.user_id).and_then(|w| self.cfg.agent(&w)).map(|a| a.name.clone()).unwrap_or_default() } else { t.name.clone() };
                json!({
                    "AgentId": t.user_id,
                    "AgentName": name,
                    "SkillGroupId": if t.skill_group_id.is_empty() { group.clone() } else { t.skill_group_id.clone() },
                    "EventSequence": t.events.iter().map(Ev::to_json).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
            "IvrEvents": if job.ivr_events.is_empty() { json!([]) } else { json!([{
                "FlowId": format!("flow-main@{}", self.ccc_instance()),
                "FlowType": "MAIN_FLOW",
                "EventSequence": job.ivr_events.iter().map(Ev::to_json).collect::<Vec<_>>(),
            }]) },
            "QueueEvents": if job.queue_events.is_empty() { json!([]) } else { json!([{
                "QueueId": group,
                "QueueName": names(job.skill),
                "QueueType": 1,
                "FlowId": format!("flow-main@{}", self.ccc_instance()),
                "EventSequence": job.queue_events.iter().map(Ev::to_json).collect::<Vec<_>>(),
            }]) },
            "CustomerEvents": [{
                "CustomerId": job.customer_number(),
                "EventSequence": job.customer_events.iter().map(Ev::to_json).collect::<Vec<_>>(),
            }],
        });
        if established.is_none() {
            data["EstablishedTime"] = Value::Null;
        }
        for (k, v) in &job.cdr_patch {
            if v.is_null() {
                data.as_object_mut().expect("object").remove(k);
            } else {
                data[k] = v.clone();
            }
        }
        Ok(data)
    }

    // ---------------------------------------------------------------- test aids (/sim/ccc/...)

    /// `POST /sim/ccc/next`: ids the next jobs/channels take and the next ContextId.
    pub fn ccc_set_next(&mut self, v: &Value) -> Result<Value, String> {
        let obj = v.as_object().ok_or("expected a JSON object")?;
        for key in obj.keys() {
            if !["jobIds", "channelIds", "contextId"].contains(&key.as_str()) {
                return Err(format!("unknown key `{key}`"));
            }
        }
        if let Some(ids) = obj.get("jobIds") {
            let ids = ids.as_array().ok_or("jobIds must be a list of strings")?;
            self.ccc.next_job_ids = ids
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or("jobIds must be strings"))
                .collect::<Result<_, _>>()?;
        }
        if let Some(ids) = obj.get("channelIds") {
            let ids = ids.as_array().ok_or("channelIds must be a list")?;
            self.ccc.next_channel_ids = ids
                .iter()
                .map(|i| match i {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(s.clone())),
                    _ => Err("channelIds must be strings or null"),
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(c) = obj.get("contextId") {
            let c = c.as_u64().filter(|c| *c >= 1).ok_or("contextId must be a positive integer")?;
            self.ccc.context = c - 1;
        }
        Ok(json!({
            "jobIds": self.ccc.next_job_ids,
            "channelIds": self.ccc.next_channel_ids,
            "contextId": self.ccc.context + 1,
        }))
    }

    /// `POST /sim/ccc/channel {jobId, channelId, set}`: overrides fields of a channel as CCC
    /// answers show it (test aid for the seed's placeholder values).
    pub fn ccc_patch_channel(&mut self, v: &Value) -> Result<Value, String> {
        let job_id = v.get("jobId").and_then(Value::as_str).ok_or("jobId is required")?;
        let ch_id = v.get("channelId").and_then(Value::as_str).ok_or("channelId is required")?;
        let set = v.get("set").and_then(Value::as_object).ok_or("set must be an object")?;
        let job = self.ccc.jobs.values_mut().find(|j| j.job_id == job_id).ok_or("unknown jobId")?;
        let jid = job.job_id.clone();
        let ch = job
            .channels
            .iter_mut()
            .find(|c| c.id == ch_id || c.visible_id() == ch_id)
            .ok_or("unknown channelId")?;
        for (k, val) in set {
            ch.overrides.insert(k.clone(), val.clone());
        }
        Ok(ch.to_json(&jid))
    }

    /// `POST /sim/ccc/cdr {contactId, set}`: fields merged over the call record (null removes).
    pub fn ccc_patch_cdr(&mut self, v: &Value) -> Result<Value, String> {
        let id = v.get("contactId").and_then(Value::as_str).ok_or("contactId is required")?;
        let set = v.get("set").and_then(Value::as_object).ok_or("set must be an object")?;
        let job = self.ccc.jobs.values_mut().find(|j| j.job_id == id).ok_or("unknown contactId")?;
        for (k, val) in set {
            job.cdr_patch.insert(k.clone(), val.clone());
        }
        Ok(json!({"ok": true}))
    }
}

impl Job {
    fn active_mut_ro(&self, role: &Role) -> Option<&Channel> {
        self.channels.iter().find(|c| &c.role == role && !c.released())
    }
}
