//! What CCC answers show of the model: the agent's UserContext, a job's CallContext, the
//! ContextId counter, and the jobs of `/sim/state`.

use super::{user_state, Job, WORK_MODE};
use crate::model::Sim;
use serde_json::{json, Value};

impl Sim {
    pub(super) fn next_context(&mut self) -> u64 {
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

    /// The agent's most recent ended call, every leg shown RELEASED (null if it had none).
    pub(super) fn ccc_last_call_released(&self, workno: &str) -> Value {
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
}
