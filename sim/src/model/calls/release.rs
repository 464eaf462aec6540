//! Ending calls: the agent hangs up (release, dropcall), the customer hangs up, and what the
//! agent does once its last call is gone (PhoneRelease, then Ready, wrap-up or a deferred state).

use crate::codes::{self, Fail};
use crate::config::Media;
use crate::model::{emit, open_agent, BaseState, Call, CallKind, Emit, Ms, Pending, Sim};
use serde_json::{json, Value};

impl Sim {
    /// Removes a call from the simulation and from its agent, keeping it as the agent's last
    /// call for `callinfo`.
    pub(crate) fn end_call(&mut self, callid: &str, now: Ms) -> Option<Call> {
        let mut call = self.calls.remove(callid)?;
        call.ended = Some(now);
        self.queue.retain(|c| c != callid);
        if let Some(agent) = call.agent.as_ref().and_then(|a| self.agents.get_mut(a)) {
            agent.forget_call(callid);
            agent.last_call = Some(call.clone());
        }
        Some(call)
    }

    /// After a call of the agent ended: when it was the last one, the phone is released and
    /// the agent goes to its next state (deferred busy/rest/work, else Ready or Work).
    /// `talked`: the call had been answered, so `autoenteridle=false` means wrap-up.
    pub(crate) fn finish_calls(
        &mut self,
        workno: &str,
        phone_state: i64,
        talked: bool,
        media: Media,
        now: Ms,
        out: &mut Vec<Emit>,
    ) {
        let chat_release = self.cfg.knobs.chat_phone_release;
        let Some(agent) = self.agents.get_mut(workno) else {
            return;
        };
        if agent.has_calls() || !agent.signed_in() {
            return;
        }
        agent.muted = false;
        if media == Media::Voice || chat_release {
            emit(out, workno, "AgentOther_PhoneRelease", json!({"phoneState": phone_state}));
        }
        let autoenteridle = agent.session.as_ref().is_none_or(|s| s.autoenteridle);
        match agent.pending.take() {
            Some(Pending::Busy { reason }) => {
                agent.state = BaseState::Busy { reason };
                emit(out, workno, "AgentState_SetNotReady_Success", json!(reason));
            }
            Some(Pending::Work) => {
                agent.state = BaseState::Work;
                emit(out, workno, "AgentState_SetWork_Success", Value::Null);
            }
            Some(Pending::Rest { secs, cause }) => self.start_rest(workno, secs, cause, now, out),
            None if talked && !autoenteridle => {
                agent.state = BaseState::Work;
                emit(out, workno, "AgentState_Work", Value::Null);
            }
            None => {
                agent.state = BaseState::Idle;
                agent.idle_since = now;
                emit(out, workno, "AgentState_Ready", Value::Null);
            }
        }
        self.dispatch_queue(now, out);
    }

    /// The agent hangs up one call: Call_Release, then (if it was the last) PhoneRelease and
    /// Ready/Work.
    pub(in crate::model) fn agent_releases(
        &mut self,
        workno: &str,
        callid: &str,
        now: Ms,
        out: &mut Vec<Emit>,
    ) {
        self.ccc.release_hints.insert(callid.to_string(), "agent");
        let Some(call) = self.end_call(callid, now) else {
            return;
        };
        emit(out, workno, "AgentEvent_Call_Release", json!(callid));
        self.orphan_consult_of(callid);
        self.finish_calls(workno, 2, call.answered.is_some(), call.media, now, out);
    }

    /// A customer call ended while a consult leg hung off it: the leg becomes a plain call.
    fn orphan_consult_of(&mut self, parent: &str) {
        for call in self.calls.values_mut() {
            if matches!(&call.kind, CallKind::Consult { parent: p, .. } if p == parent) {
                call.kind = CallKind::Consult { parent: String::new(), mode: 1 };
            }
        }
    }

    /// `DELETE voicecall/{id}/release` (and `DELETE voicecall/{id}`): hangs up the consult
    /// leg if there is one, else the current call, else the ringing call.
    pub fn release(&mut self, workno: &str, now: Ms) -> Result<Vec<Emit>, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        let target = agent
            .consult
            .clone()
            .or_else(|| agent.current.clone())
            .or_else(|| agent.ringing.clone())
            .ok_or_else(|| Fail::code(codes::NO_SUCH_CALL))?;
        let mut out = Vec::new();
        self.agent_releases(workno, &target, now, &mut out);
        Ok(out)
    }

    /// `POST voicecall/{id}/dropcall/{callid}`: hangs up that one call of the agent.
    pub fn drop_call(&mut self, workno: &str, callid: &str, now: Ms) -> Result<Vec<Emit>, Fail> {
        if !open_agent(&mut self.agents, workno)?.all_calls().iter().any(|c| c == callid) {
            return Err(Fail::code(codes::NO_SUCH_CALL));
        }
        let mut out = Vec::new();
        self.agent_releases(workno, callid, now, &mut out);
        Ok(out)
    }

    /// `POST /sim/customer-hangup`: the customer (or far party) of a call hangs up.
    pub fn customer_hangup(&mut self, callid: &str, now: Ms, out: &mut Vec<Emit>) -> Result<(), String> {
        let call = self.calls.get(callid).ok_or_else(|| format!("unknown call {callid}"))?;
        let Some(workno) = call.agent.clone() else {
            // Still queued: the caller abandons.
            self.ccc.release_hints.insert(callid.to_string(), "customer");
            self.end_call(callid, now);
            return Ok(());
        };
        // The far party of a consult leg is the target; of any other call, the customer.
        let number = match call.kind {
            CallKind::Consult { .. } => call.called.clone(),
            _ => call.customer_number().to_string(),
        };
        let (media, talked) = (call.media, call.answered.is_some());
        self.ccc.release_hints.insert(callid.to_string(), "customer");
        emit(out, &workno, "AgentEvent_Customer_Release", json!({"callid": callid, "number": number}));
        emit(out, &workno, "AgentEvent_Call_Release", json!(callid));
        self.end_call(callid, now);
        self.orphan_consult_of(callid);
        self.finish_calls(&workno, 3, talked, media, now, out);
        Ok(())
    }
}
