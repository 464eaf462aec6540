//! The action dispatcher: instance and user checks, parameters, and the Data of call-control
//! answers.

use super::{user_state, CccFail, Job};
use crate::config::{CccResponseChannels, CccSnapshot};
use crate::model::{Emit, Ms, Sim};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A JSON-array-of-strings parameter (`SignedSkillGroupIdList`, `StateList`, ...).
pub(super) fn string_list(name: &str, value: &str) -> Result<Vec<String>, CccFail> {
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

pub(super) type Params = BTreeMap<String, String>;

pub(super) fn opt<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
}

pub(super) fn req<'a>(p: &'a Params, name: &str) -> Result<&'a str, CccFail> {
    opt(p, name).ok_or_else(|| CccFail::blank(name))
}

/// What a call-control action acted on, for the answer.
pub(super) struct Acted {
    pub(super) workno: String,
    pub(super) callid: Option<String>,
    /// Channel ids the action acted on (`cccResponseChannels = affected`).
    pub(super) affected: Vec<String>,
}

impl Sim {
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
            "GetLoginDetails",
            "GetTurnCredentials",
        ];
        if !user_actions.contains(&action) {
            return match action {
                "ListSkillGroups" | "ListBriefSkillGroups" => self.ccc_list_skill_groups(p).map(Some),
                "ListRealtimeAgentStates" => self.ccc_list_agent_states(p, now).map(Some),
                "GetCallDetailRecord" => self.ccc_cdr(p, now).map(Some),
                "UpdateSubscription" => self.ccc_update_subscription(p),
                "GetTurnServerList" => Ok(Some(self.ccc_turn_servers())),
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
            // Self only: the signed UserId is the caller (the bridge pins it to its agent).
            "GetLoginDetails" => self.ccc_login_details(&workno).map(Some),
            "GetTurnCredentials" => self.ccc_turn_credentials(&workno).map(Some),
            "PollUserStatus" => {
                self.count(&workno).poll_user_status += 1;
                Ok(self.ccc_poll(&workno, now))
            }
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
        let affected_only = self.cfg.knobs.ccc_response_channels == CccResponseChannels::Affected;
        let use_before = self.cfg.knobs.ccc_response_snapshot == CccSnapshot::Before;
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
    pub(super) fn ccc_job_by_id(&self, job_id: &str) -> Option<String> {
        self.ccc.jobs.values().find(|j| j.job_id == job_id && j.released.is_none()).map(|j| j.callid.clone())
    }

    pub(super) fn state_of(&self, workno: &str) -> &'static str {
        self.agents.get(workno).map(|a| user_state(a, &self.calls)).unwrap_or("OFFLINE")
    }
}
