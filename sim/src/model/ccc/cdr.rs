//! GetCallDetailRecord: the call record built from a finished job.

use super::actions::{req, Params};
use super::{CccFail, Ev};
use crate::model::{Ms, Sim};
use serde_json::{json, Value};

impl Sim {
    pub(super) fn ccc_cdr(&self, p: &Params, now: Ms) -> Result<Value, CccFail> {
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
}
