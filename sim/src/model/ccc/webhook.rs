//! CCC events for the Webhook subscription (`UpdateSubscription` with `PID_Webhook`), in the
//! documented message format (aliyun-ccc.md §6): `eventTime` (ISO-8601 UTC), `eventType`,
//! `instanceId`; agent events add `agentId`, `skillGroupIds`; call events add `contactId`
//! (JobId), `channelId`, `callType`, `skillGroupId`, `scenario`.
//!
//! Made from what `ccc_sync` saw change: the agent's UserState (AgentCheckIn, AgentReady,
//! AgentRinging, AgentDialing, AgentTalk, AgentRelease, AgentBreak, AgentCheckOut) and its
//! channels (Ringing, Established, Released, Held, Retrieved, Muted, Unmuted).

use super::Role;
use crate::model::push::iso8601;
use crate::model::{Ms, Sim};
use serde_json::{json, Value};

/// Agent event for a UserState (INFERRED mapping: WORKING, the wrap-up after a call, is
/// `AgentRelease`).
fn agent_event(state: &str) -> Option<&'static str> {
    Some(match state {
        "READY" => "AgentReady",
        "RINGING" => "AgentRinging",
        "DIALING" => "AgentDialing",
        "TALKING" => "AgentTalk",
        "WORKING" => "AgentRelease",
        "BREAK" => "AgentBreak",
        "OFFLINE" => "AgentCheckOut",
        _ => return None,
    })
}

impl Sim {
    pub(crate) fn webhook_diff(&mut self, transitions: Vec<(String, String, &'static str)>, now: Ms) {
        let instance = self.ccc_instance().to_string();
        let mut out: Vec<Value> = Vec::new();
        for (workno, old, new) in transitions {
            let Some(id) = self.ccc_identity_of(&workno) else {
                continue;
            };
            let groups: Vec<String> = self
                .agents
                .get(&workno)
                .and_then(|a| a.session.as_ref())
                .map(|s| s.skills.iter().map(|k| self.ccc_group_id(*k)).collect())
                .unwrap_or_default();
            let base = |ty: &str| {
                json!({"eventTime": iso8601(now), "eventType": ty, "instanceId": instance,
                       "agentId": id.user_id, "skillGroupIds": groups.join(",")})
            };
            if (old.is_empty() || old == "OFFLINE") && new != "OFFLINE" {
                out.push(base("AgentCheckIn"));
            }
            if old.is_empty() && new == "OFFLINE" {
                continue;
            }
            if let Some(ty) = agent_event(new) {
                let mut e = base(ty);
                if new == "BREAK" {
                    let code = self.agents.get(&workno).map(|a| a.ccc.break_code.clone()).unwrap_or_default();
                    e["breakCode"] = json!(code);
                }
                out.push(e);
            }
        }
        // Agent legs of calls.
        let mut seen = std::mem::take(&mut self.ccc.webhook_seen);
        for job in self.ccc.jobs.values() {
            for ch in &job.channels {
                let Role::Agent(_) = &ch.role else {
                    continue;
                };
                if ch.user_id.is_empty() {
                    continue;
                }
                let (old_state, old_flags) = seen.get(&ch.id).cloned().unwrap_or_default();
                if old_state == "RELEASED" || (old_state == ch.state && old_flags == ch.flags) {
                    continue;
                }
                let call = |ty: &str| {
                    let mut e = json!({"eventTime": iso8601(now), "eventType": ty, "instanceId": instance,
                        "agentId": ch.user_id, "contactId": job.job_id, "channelId": ch.id,
                        "callType": job.call_type, "scenario": ""});
                    if let Some(g) = &ch.skill_group_id {
                        e["skillGroupId"] = json!(g);
                    }
                    e
                };
                if old_state != ch.state {
                    let ty = match ch.state {
                        "RINGING" => "Ringing",
                        "ANSWERED" => "Established",
                        "RELEASED" => "Released",
                        _ => "",
                    };
                    if !ty.is_empty() {
                        out.push(call(ty));
                    }
                }
                let flag = |f: &str, s: &str| !f.is_empty() && s.split(',').any(|x| x == f);
                for (f, on, off) in [
                    (self.cfg.knobs.ccc_held_flag.as_str(), "Held", "Retrieved"),
                    (self.cfg.knobs.ccc_muted_flag.as_str(), "Muted", "Unmuted"),
                ] {
                    match (flag(f, &old_flags), flag(f, &ch.flags)) {
                        (false, true) => out.push(call(on)),
                        (true, false) => out.push(call(off)),
                        _ => {}
                    }
                }
                seen.insert(ch.id.clone(), (ch.state.to_string(), ch.flags.clone()));
            }
        }
        self.ccc.webhook_seen = seen;
        for e in out {
            self.webhook_event(e);
        }
    }
}
