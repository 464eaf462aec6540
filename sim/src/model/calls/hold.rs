//! Hold: putting the current call on hold, taking a held call back, and bridging a held call
//! with the current one (connecthold).

use super::talking_content;
use crate::codes::{self, Fail};
use crate::config::{ConnectHoldErrors, Media};
use crate::model::{emit, open_agent, CallState, Emit, Ms, Sim};
use serde_json::json;

impl Sim {
    /// `POST voicecall/{id}/hold`: the current call goes on hold.
    pub fn hold(&mut self, workno: &str, _now: Ms) -> Result<Vec<Emit>, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        let callid = agent.current.clone().ok_or_else(|| Fail::code(codes::HOLD_NO_CALL))?;
        let call = self.calls.get_mut(&callid).ok_or_else(|| Fail::code(codes::HOLD_NO_CALL))?;
        if call.state != CallState::Talking || call.media != Media::Voice {
            return Err(Fail::code(codes::HOLD_WRONG_STATE));
        }
        call.state = CallState::Held;
        agent.current = None;
        agent.muted = false;
        agent.held.push(callid.clone());
        let mut out = Vec::new();
        emit(&mut out, workno, "AgentEvent_Hold", json!(callid));
        Ok(out)
    }

    /// `POST voicecall/{id}/gethold?callid=`: a held call becomes the current call again.
    pub fn get_hold(&mut self, workno: &str, callid: Option<&str>, _now: Ms) -> Result<Vec<Emit>, Fail> {
        let event = self.cfg.knobs.gethold_event.clone();
        let callid = callid.filter(|c| !c.is_empty()).ok_or_else(|| Fail::bad_param("callid is required"))?;
        let agent = open_agent(&mut self.agents, workno)?;
        if !agent.held.iter().any(|c| c == callid) {
            return Err(Fail::code(codes::UNHOLD_NO_HELD));
        }
        if agent.current.is_some() || agent.ringing.is_some() {
            return Err(Fail::detail(codes::UNHOLD_WRONG_STATE, "another call is active"));
        }
        agent.held.retain(|c| c != callid);
        agent.current = Some(callid.to_string());
        if let Some(call) = self.calls.get_mut(callid) {
            call.state = CallState::Talking;
        }
        let mut out = Vec::new();
        if !event.is_empty() {
            if let Some(call) = self.calls.get(callid) {
                let content = talking_content(call, "main");
                emit(&mut out, workno, &event, content);
            }
        }
        Ok(out)
    }

    /// `POST voicecall/{id}/connecthold/{callid}`: bridges the held call with the current
    /// call; the agent drops out of both.
    pub fn connect_hold(&mut self, workno: &str, held: &str, now: Ms) -> Result<Vec<Emit>, Fail> {
        let (no_call, wrong_state) = match self.cfg.knobs.connect_hold_errors {
            ConnectHoldErrors::Page => (codes::HOLD_NO_CALL, codes::HOLD_WRONG_STATE),
            ConnectHoldErrors::Table => ("200-005", "200-006"),
        };
        let agent = open_agent(&mut self.agents, workno)?;
        if !agent.held.iter().any(|c| c == held) {
            return Err(Fail::detail(no_call, "no such held call"));
        }
        let current = agent
            .consult
            .clone()
            .or_else(|| agent.current.clone())
            .ok_or_else(|| Fail::detail(wrong_state, "no current call to connect to"))?;
        if !matches!(self.calls.get(&current).map(|c| &c.state), Some(CallState::Talking)) {
            return Err(Fail::detail(wrong_state, "the current call is not connected"));
        }
        let number = self.calls.get(held).map(|c| c.customer_number().to_string()).unwrap_or_default();
        let mut out = Vec::new();
        emit(&mut out, workno, "AgentEvent_Call_Release", json!(current));
        emit(&mut out, workno, "AgentEvent_Customer_Release", json!({"callid": held, "number": number}));
        self.ccc.release_hints.insert(current.clone(), "agent");
        self.ccc.release_hints.insert(held.to_string(), "agent");
        self.end_call(&current, now);
        self.end_call(held, now);
        self.finish_calls(workno, 2, true, Media::Voice, now, &mut out);
        Ok(out)
    }
}
