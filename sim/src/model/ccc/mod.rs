//! The Alibaba Cloud CCC (OpenAPI 2020-07-01) dialect over the same agent/call model.
//!
//! A CCC-signed-in agent is the same [`Agent`] as a Huawei one: its UserState is computed from
//! the model (ringing/current/held slots, base state), and `/sim/offer` rings it like any other.
//! What CCC adds lives here: the agent's CCC data ([`CccAgent`]), and per model call a [`Job`]
//! (JobId, channels per leg, the events of the call detail record). Jobs are not updated by hooks
//! in the call logic but by [`Sim::ccc_sync`], which runs after every operation (vendor, CCC,
//! control, timers) and turns what changed in the model into channel states and CDR events.

mod actions;
mod agent_state;
mod call_control;
mod cdr;
mod context;
mod errors;
mod job;
mod lists;
mod location;
mod softphone;
mod sync;
mod test_aids;
mod transfer;
mod webhook;

use super::{Agent, BaseState, Call, CallKind, CallState, Ms, Sim};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};

pub use cdr::CdrPatch;
pub use errors::{default_error_status, CccFail};
pub use job::{AgentTrack, Channel, Ev, Job, Role};
pub use location::location;

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
    /// Channel states the Webhook has told about: channel id → (state, flags).
    pub webhook_seen: BTreeMap<String, (String, String)>,
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

impl Sim {
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
            user_id: self.cfg.ccc_user_id(a),
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
}
