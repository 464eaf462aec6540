//! GetCallDetailRecord: the call record built from a finished job.
//!
//! Every field of seed 003's example is produced. Most come from what the call did (times,
//! parties, events); the rest are INFERRED rules documented in sim/README.md ("Call detail
//! record"): locations from a small number-prefix table ([`super::location`]), EarlyMediaState
//! from how an outbound call ended, the satisfaction survey and the analytics report from knobs
//! and from who hung up. `POST /sim/ccc/cdr` patches are applied last.

use super::actions::{req, Params};
use super::location::location;
use super::{CccFail, Ev, Job};
use crate::model::{Ms, Sim};
use serde_json::{json, Value};

/// One `POST /sim/ccc/cdr` change: a field (top-level name, or a JSON pointer such as
/// `/AnalyticsReport/Emotion/Type`) set to a value (JSON null included), or removed (`None`).
pub type CdrPatch = (String, Option<Value>);

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
        let agent_name = |user_id: &str, name: &str| {
            if name.is_empty() {
                self.ccc_workno(user_id)
                    .and_then(|w| self.cfg.agent(&w))
                    .map(|a| a.name.clone())
                    .unwrap_or_default()
            } else {
                name.to_string()
            }
        };
        let agent_names = job.agents.iter().map(|(u, n)| agent_name(u, n)).collect::<Vec<_>>().join(",");
        let duration = established.map(|e| released.saturating_sub(e) / 1000).unwrap_or(0);
        let knobs = &self.cfg.knobs;

        // Satisfaction survey (INFERRED): offered after every established call on the knob's
        // channel; the customer's score is the `cdrSatisfaction` knob.
        let survey = established.and(knobs.cdr_survey_channel.wire());
        let analytics_ready =
            established.is_some() && knobs.cdr_analytics_delay_ms.is_some_and(|d| now >= released + d);

        let mut data = json!({
            "ContactId": job.job_id,
            "InstanceId": self.ccc_instance(),
            "ContactType": job.call_type,
            "ContactDisposition": job.disposition,
            "ReleaseInitiator": job.release_initiator,
            "ReleaseReason": job.release_reason,
            "CallingNumber": job.caller,
            "CalledNumber": job.called,
            "CallerLocation": location(&job.caller),
            "CalleeLocation": location(&job.called),
            "EarlyMediaState": early_media_state(job, knobs.cdr_early_media_fail.wire()),
            "AgentIds": job.agents.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>().join(","),
            "AgentNames": agent_names,
            "SkillGroupIds": group,
            "SkillGroupNames": names(job.skill),
            "StartTime": job.created,
            "EstablishedTime": established,
            "ReleaseTime": released,
            "CallDuration": duration,
            "RecordingReady": established.is_some(),
            "SatisfactionSurveyOffered": survey.is_some(),
            "SatisfactionSurveyChannel": survey.unwrap_or(""),
            "Satisfaction": if survey.is_some() { json!(knobs.cdr_satisfaction) } else { Value::Null },
            "AnalyticsReportReady": analytics_ready,
            "AnalyticsReport": if analytics_ready {
                analytics_report(job, &names(job.skill), &agent_names, duration)
            } else {
                Value::Null
            },
            "AgentEvents": job.agent_events.iter().map(|t| {
                let mut seq: Vec<Value> = t.events.iter().map(Ev::to_json).collect();
                // The call is over: the last event of each agent (Released) lasted 0 s.
                if let Some(last) = seq.last_mut().filter(|e| e.get("Duration").is_none()) {
                    last["Duration"] = json!(0);
                }
                json!({
                    "AgentId": t.user_id,
                    "AgentName": agent_name(&t.user_id, &t.name),
                    "SkillGroupId": if t.skill_group_id.is_empty() { group.clone() } else { t.skill_group_id.clone() },
                    "EventSequence": seq,
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
        for (key, value) in &job.cdr_patch {
            apply_patch(&mut data, key, value.as_ref());
        }
        Ok(data)
    }
}

/// `EarlyMediaState` (INFERRED): the possible reason an outbound call never connected. An
/// established call and an inbound call have none (`""`); an outbound call the far end ended
/// (or failed) before answering gets `fail` (knob `cdrEarlyMediaFail`, default NotConnected);
/// one the agent gave up while it rang, `NoAnswer`.
fn early_media_state(job: &Job, fail: &str) -> String {
    if job.established.is_some() || job.call_type != "OUTBOUND" {
        return String::new();
    }
    if job.release_initiator == "agent" {
        "NoAnswer".into()
    } else {
        fail.into()
    }
}

/// The analytics report of an established call (INFERRED, deterministic): the problem counts
/// as solved when the customer ended the call; emotion, satisfaction note and to-do list
/// follow from that. TaskIds are derived from the ContactId.
fn analytics_report(job: &Job, skill_names: &str, agent_names: &str, duration: u64) -> Value {
    let solved = job.release_initiator == "customer";
    let customer = job.customer_number();
    let problem = if !skill_names.is_empty() {
        format!("Customer enquiry ({skill_names})")
    } else if job.call_type == "OUTBOUND" {
        format!("Outbound call to {customer}")
    } else {
        format!("Call from {customer}")
    };
    let handled_by = if agent_names.is_empty() { "the agent".to_string() } else { agent_names.to_string() };
    let task = |what: &str| format!("{}-{what}", job.job_id);
    json!({
        "ProblemSolving": {
            "TaskId": task("problem"),
            "Success": true,
            "Solved": solved,
            "Problem": problem,
            "Solution": if solved { format!("Handled by {handled_by} in {duration} s") } else { String::new() },
        },
        "Emotion": {
            "TaskId": task("emotion"),
            "Success": true,
            "Type": if solved { "positive" } else { "neutral" },
            "Confidence": if solved { 0.9 } else { 0.6 },
            "Remark": "",
        },
        "Satisfaction": {
            "TaskId": task("satisfaction"),
            "Success": true,
            "SatisfactionDescription": if solved { "Satisfied" } else { "Not resolved during the call" },
            "Remark": "",
        },
        "TodoList": {
            "TaskId": task("todo"),
            "Success": true,
            "Tasks": if solved { vec![] } else { vec![format!("Call back {customer}")] },
        },
    })
}

/// Applies one `/sim/ccc/cdr` change to the record. A key starting with `/` is a JSON pointer
/// (RFC 6901; `-` appends to a list); a pointer whose parent does not exist changes nothing.
fn apply_patch(data: &mut Value, key: &str, value: Option<&Value>) {
    let (parent, last) = if key.starts_with('/') {
        let Some(i) = key.rfind('/') else {
            return;
        };
        let token = key[i + 1..].replace("~1", "/").replace("~0", "~");
        match data.pointer_mut(&key[..i]) {
            Some(parent) => (parent, token),
            None => return,
        }
    } else {
        (data, key.to_string())
    };
    match parent {
        Value::Object(map) => match value {
            Some(v) => {
                map.insert(last, v.clone());
            }
            None => {
                map.remove(&last);
            }
        },
        Value::Array(items) => {
            let index = if last == "-" { Some(items.len()) } else { last.parse::<usize>().ok() };
            match (index, value) {
                (Some(i), Some(v)) if i < items.len() => items[i] = v.clone(),
                (Some(i), Some(v)) if i == items.len() => items.push(v.clone()),
                (Some(i), None) if i < items.len() => {
                    items.remove(i);
                }
                _ => {}
            }
        }
        _ => {}
    }
}
