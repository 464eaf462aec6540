//! Read-only queries: hold list, call info, skill queues and agent lists.

use super::{open_agent, Call, CallState, Sim};
use crate::codes::{self, Fail};
use crate::config::{EmptyHoldList, HoldListOrder};
use serde_json::{json, Value};

/// Hold-list entry in seed 001's shape. The holdlist page marks callskillid, orgicallednum,
/// calldata, begintime and endtime "unused", and the seed shows them as 0 / "" / null.
fn hold_entry(call: &Call) -> Value {
    json!({
        "callfeature": call.feature,
        "callid": call.id,
        "caller": call.caller,
        "called": call.called,
        "callskill": call.skill_name,
        "callskillid": 0,
        "orgicallednum": "",
        "calldata": null,
        "begintime": null,
        "endtime": null,
    })
}

/// `callinfo` call object: the hold-list field names, filled in.
fn call_info(call: &Call) -> Value {
    json!({
        "callfeature": call.feature,
        "callid": call.id,
        "caller": call.caller,
        "called": call.called,
        "callskill": call.skill_name,
        "callskillid": call.skill_id.unwrap_or(0),
        "orgicallednum": call.called,
        "calldata": call.calldata,
        "begintime": call.answered,
        "endtime": call.ended,
    })
}

impl Sim {
    /// `GET calldata/{id}/holdlist`.
    pub fn hold_list(&mut self, workno: &str) -> Result<Value, Fail> {
        let knobs = self.cfg.knobs.clone();
        let agent = open_agent(&mut self.agents, workno)?;
        let mut ids = agent.held.clone();
        if knobs.hold_list_order == HoldListOrder::NewestFirst {
            ids.reverse();
        }
        let entries: Vec<Value> = ids
            .iter()
            .filter_map(|id| self.calls.get(id))
            .filter(|c| c.state == CallState::Held)
            .map(hold_entry)
            .collect();
        if entries.is_empty() && knobs.empty_hold_list == EmptyHoldList::Error {
            return Err(Fail::code(codes::NO_HELD_CALL));
        }
        Ok(Value::Array(entries))
    }

    /// `GET calldata/{id}/callinfo?isNoContainLastCall=`: the current call (consult leg,
    /// talking, ringing, then held), else the last ended call unless the flag says not to.
    pub fn call_info(&mut self, workno: &str, no_last_call: bool) -> Result<Value, Fail> {
        let no_call = self.cfg.knobs.call_info_no_call_retcode.clone();
        let agent = open_agent(&mut self.agents, workno)?;
        let id = agent
            .consult
            .clone()
            .or_else(|| agent.current.clone())
            .or_else(|| agent.ringing.clone())
            .or_else(|| agent.held.last().cloned())
            .or_else(|| agent.suspended.first().cloned());
        if let Some(call) = id.and_then(|id| self.calls.get(&id)) {
            return Ok(call_info(call));
        }
        if !no_last_call {
            if let Some(call) = &agent.last_call {
                return Ok(call_info(call));
            }
        }
        if no_call == "0" {
            Ok(Value::Null)
        } else {
            Err(Fail::detail(&no_call, "the agent has no call"))
        }
    }

    /// `GET calldata/{id}/appdata?callId=&isEncodeResult=`: the call's attached data (the IVR's
    /// digits, a CRM key) as a string, Base64 when asked; "" when it has none. Without
    /// `callId`, the agent's current (else ringing) call.
    pub fn app_data(&mut self, workno: &str, callid: Option<&str>, encode: bool) -> Result<Value, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        let id = callid.map(String::from).or_else(|| agent.current.clone()).or_else(|| agent.ringing.clone());
        let Some(call) = id.and_then(|id| self.calls.get(&id)) else {
            return Err(Fail::code(codes::NO_SUCH_CALL));
        };
        let data = call.calldata.clone().unwrap_or_default();
        Ok(Value::String(if encode { crate::crypto::base64(data.as_bytes()) } else { data }))
    }

    /// `GET queuedevice/{id}/agentvdnskill` → `[{name, id, mediatype, serviceType, realFlag}]`.
    pub fn vdn_skills(&mut self, workno: &str) -> Result<Value, Fail> {
        open_agent(&mut self.agents, workno)?;
        Ok(Value::Array(
            self.cfg
                .skills
                .iter()
                .map(|s| {
                    json!({
                        "name": s.name,
                        "id": s.id,
                        "mediatype": s.mediatype,
                        "serviceType": s.service_type,
                        "realFlag": s.real_flag,
                    })
                })
                .collect(),
        ))
    }

    /// Agent-list entry (SAMPLE/INFERRED shape): `{workno, name, status, phonenumber, skills}`.
    fn agent_entry(&self, workno: &str) -> Option<Value> {
        let a = self.agents.get(workno)?;
        let phone = a
            .session
            .as_ref()
            .filter(|s| !s.closed)
            .map(|s| s.phone.clone())
            .unwrap_or_else(|| a.cfg.phone.clone());
        Some(json!({
            "workno": a.cfg.workno,
            "name": a.cfg.name,
            "status": a.state_code(),
            "phonenumber": phone,
            "skills": a.cfg.skills,
        }))
    }

    /// `GET agentgroup/{id}/allagentstatus`: every agent of the VDN.
    pub fn all_agent_status(&mut self, workno: &str) -> Result<Value, Fail> {
        open_agent(&mut self.agents, workno)?;
        let list = self.agents.keys().filter_map(|w| self.agent_entry(w)).collect();
        Ok(Value::Array(list))
    }

    /// `GET agentgroup/{id}/agentbyworkno/{workno}`.
    pub fn agent_by_workno(&mut self, workno: &str, other: &str) -> Result<Value, Fail> {
        open_agent(&mut self.agents, workno)?;
        self.agent_entry(other).ok_or_else(|| Fail::bad_param(format!("no agent {other} in this VDN")))
    }
}
