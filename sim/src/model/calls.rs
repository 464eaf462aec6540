//! Call control: offering and routing calls, answer/reject/release, hold, consult,
//! conference, callout and transfers, and the virtual far parties.

use super::{emit, open_agent, BaseState, Call, CallKind, CallState, Emit, Ms, Pending, Sim, TimerAction};
use crate::codes::{self, Fail};
use crate::config::{CallInfoPlacement, ConnectHoldErrors, FarBehaviour, Media};
use crate::params;
use serde::Serialize;
use serde_json::{json, Value};

/// A call offered through `POST /sim/offer`.
#[derive(Debug, Clone)]
pub struct OfferRequest {
    pub agent: Option<String>,
    pub skill: Option<i64>,
    pub caller: String,
    pub called: String,
    pub media: Media,
    pub skill_name: Option<String>,
    pub calldata: Option<String>,
    pub callid: Option<String>,
    pub feature: Option<i64>,
    pub demo: bool,
}

/// What a transfer waiting for its target completes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TransferKind {
    /// Mode 2: the agent drops out when the target answers (AgentEvent_SuccTransResult).
    Success,
    /// External mode 3: agent and target talk first; the agent's hang-up completes it.
    Talk,
    /// External mode 4: three-party call (AgentEvent_Conference).
    ThreeParty,
    /// mediacall/transfer mode 2 (no Customer_Alerting for chat sessions).
    MediaSuccess,
}

/// The devicetype × mode table of reference §4.3, exactly. `outbound` refuses the external
/// release transfer (mode 1), which the docs do not allow for outbound calls.
pub fn transfer_mode_allowed(devicetype: i64, mode: i64, outbound: bool) -> bool {
    match devicetype {
        1 | 4 => matches!(mode, 0 | 2),
        2 => matches!(mode, 0 | 2 | 3),
        3 => matches!(mode, 0 | 1),
        5 => matches!(mode, 2..=4) || (mode == 1 && !outbound),
        _ => false,
    }
}

fn ringing_content(call: &Call, ctype: &str) -> Value {
    json!({
        "caller": call.caller,
        "called": call.called,
        "callid": call.id,
        "type": ctype,
        "feature": call.feature,
        "mediaAbility": call.media.ability(),
        "transfer": "no",
        "transfrom": "",
    })
}

fn talking_content(call: &Call, ctype: &str) -> Value {
    json!({
        "caller": call.caller,
        "called": call.called,
        "callid": call.id,
        "type": ctype,
        "feature": call.feature,
        "mediaAbility": call.media.ability(),
    })
}

impl Sim {
    fn call_type(&self, call: &Call) -> String {
        match call.kind {
            CallKind::Consult { .. } => self.cfg.knobs.consult_call_type.clone(),
            _ => "main".to_string(),
        }
    }

    fn talking_event(&self, callid: &str, out: &mut Vec<Emit>) {
        if let Some(call) = self.calls.get(callid) {
            if let Some(agent) = &call.agent {
                emit(out, agent, "AgentEvent_Talking", talking_content(call, &self.call_type(call)));
            }
        }
    }

    // ---------------------------------------------------------------- offering

    /// `POST /sim/offer`: rings the named agent, or an idle agent of the skill queue, or queues.
    pub fn offer(&mut self, req: OfferRequest, now: Ms, out: &mut Vec<Emit>) -> Result<String, String> {
        if let Some(agent) = &req.agent {
            if !self.agents.contains_key(agent) {
                return Err(format!("unknown agent {agent}"));
            }
        }
        let skill = req.skill.and_then(|id| self.cfg.skill(id)).cloned();
        if let (Some(id), None) = (req.skill, &skill) {
            return Err(format!("unknown skill {id}"));
        }
        let callid = match req.callid {
            Some(id) if self.calls.contains_key(&id) => return Err(format!("call {id} exists")),
            Some(id) if !id.is_empty() => id,
            _ => self.new_call_id(now),
        };
        let call = Call {
            id: callid.clone(),
            media: req.media,
            kind: CallKind::Inbound,
            feature: req.feature.unwrap_or(0),
            caller: req.caller,
            called: req.called,
            skill_id: req.skill,
            skill_name: req.skill_name.or_else(|| skill.map(|s| s.name)).unwrap_or_default(),
            calldata: req.calldata,
            state: CallState::Queued,
            agent: None,
            target_agent: req.agent.clone(),
            created: now,
            answered: None,
            ended: None,
            last_release_agent: String::new(),
            requeue_count: 0,
            demo: req.demo,
            attempt: 0,
        };
        self.calls.insert(callid.clone(), call);
        // A named agent takes the call if it is idle and not already ringing or talking
        // (held calls are allowed, so tests can build a hold list of several calls).
        let direct = req.agent.filter(|a| {
            self.agents.get(a).is_some_and(|a| {
                a.signed_in()
                    && a.state == BaseState::Idle
                    && a.pending.is_none()
                    && a.ringing.is_none()
                    && a.current.is_none()
                    && a.consult.is_none()
            })
        });
        match direct {
            Some(agent) => self.ring(&agent, &callid, now, out),
            None => {
                self.queue.push_back(callid.clone());
                self.dispatch_queue(now, out);
            }
        }
        Ok(callid)
    }

    /// Offers queued calls to available agents, first queued first, longest idle agent first.
    pub(crate) fn dispatch_queue(&mut self, now: Ms, out: &mut Vec<Emit>) {
        let mut i = 0;
        while i < self.queue.len() {
            let callid = self.queue[i].clone();
            let Some(call) = self.calls.get(&callid) else {
                self.queue.remove(i);
                continue;
            };
            let chosen = self
                .agents
                .values()
                .filter(|a| a.available())
                .filter(|a| match &call.target_agent {
                    Some(t) => *t == a.cfg.workno,
                    None => call
                        .skill_id
                        .is_none_or(|skill| a.session.as_ref().is_some_and(|s| s.skills.contains(&skill))),
                })
                .min_by_key(|a| a.idle_since)
                .map(|a| a.cfg.workno.clone());
            match chosen {
                Some(agent) => {
                    self.queue.remove(i);
                    self.ring(&agent, &callid, now, out);
                }
                None => i += 1,
            }
        }
    }

    /// Rings an agent: Ringing (+ Incoming_CallInfo per knob), then auto-answer if set.
    fn ring(&mut self, workno: &str, callid: &str, now: Ms, out: &mut Vec<Emit>) {
        let placement = self.cfg.knobs.incoming_call_info;
        let ring_timeout = match self.agents.get(workno) {
            Some(a) if a.is_ccc() => self.cfg.knobs.ccc_ring_timeout_ms,
            _ => self.cfg.knobs.ring_timeout_ms,
        };
        let Some(call) = self.calls.get_mut(callid) else {
            return;
        };
        call.state = CallState::Ringing;
        call.agent = Some(workno.to_string());
        call.attempt += 1;
        let attempt = call.attempt;
        let info = json!({
            "callId": call.id,
            "skillName": call.skill_name,
            "skillId": call.skill_id.unwrap_or(0),
            "caller": call.caller,
            "called": call.called,
            "lastReleaseAgentId": call.last_release_agent,
            "mediaType": call.media.ability(),
            "releaseAndReQueueCount": call.requeue_count,
            "releaseAndReQueueCallFlag": call.requeue_count > 0,
        });
        let ringing = ringing_content(call, "main");
        if placement == CallInfoPlacement::Before {
            emit(out, workno, "AgentEvent_Incoming_CallInfo", info.clone());
        }
        emit(out, workno, "AgentEvent_Ringing", ringing);
        if placement == CallInfoPlacement::After {
            emit(out, workno, "AgentEvent_Incoming_CallInfo", info);
        }
        let Some(agent) = self.agents.get_mut(workno) else {
            return;
        };
        agent.ringing = Some(callid.to_string());
        if agent.session.as_ref().is_some_and(|s| s.autoanswer) {
            emit(out, workno, "AgentEvent_Auto_Answer", Value::Null);
            self.connect_answered(workno, callid, now, out);
        } else if ring_timeout > 0 {
            self.schedule(
                now + ring_timeout,
                TimerAction::RingTimeout { callid: callid.to_string(), attempt },
            );
        }
    }

    /// The ringing call is answered (by hand or automatically).
    fn connect_answered(&mut self, workno: &str, callid: &str, now: Ms, out: &mut Vec<Emit>) {
        let talk_ms = self.cfg.knobs.demo_talk_ms;
        let Some(agent) = self.agents.get_mut(workno) else {
            return;
        };
        agent.ringing = None;
        agent.current = Some(callid.to_string());
        let Some(call) = self.calls.get_mut(callid) else {
            return;
        };
        call.state = CallState::Talking;
        call.answered = Some(now);
        let demo = call.demo;
        self.talking_event(callid, out);
        if demo {
            self.schedule(now + talk_ms, TimerAction::CustomerHangup { callid: callid.to_string() });
        }
    }

    /// `PUT voicecall/{id}/answer[?callid=]` (also answers chat sessions: INFERRED).
    pub fn answer(&mut self, workno: &str, callid: Option<&str>, now: Ms) -> Result<Vec<Emit>, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        let ringing = agent
            .ringing
            .clone()
            .filter(|r| callid.is_none_or(|c| c.is_empty() || c == r))
            .ok_or_else(|| Fail::code(codes::NO_RINGING_CALL))?;
        let mut out = Vec::new();
        self.connect_answered(workno, &ringing, now, &mut out);
        Ok(out)
    }

    /// Puts a call back in its queue, first in line (reject mode 1, ring timeout).
    pub(super) fn requeue(&mut self, workno: &str, callid: &str, now: Ms, out: &mut Vec<Emit>) {
        if let Some(call) = self.calls.get_mut(callid) {
            call.state = CallState::Queued;
            call.agent = None;
            call.target_agent = None;
            call.last_release_agent = workno.to_string();
            call.requeue_count += 1;
            self.queue.push_front(callid.to_string());
        }
        self.dispatch_queue(now, out);
    }

    /// `POST voicecall/{id}/reject` `{callid?, mode}` (seed 004).
    pub fn reject(&mut self, workno: &str, body: &Value, now: Ms) -> Result<Vec<Emit>, Fail> {
        let obj = params::object(body)?;
        let mode = params::opt_int(obj, "mode")?.ok_or_else(|| Fail::bad_param("mode is required"))?;
        if !matches!(mode, 1 | 2) {
            return Err(Fail::bad_param("mode must be 1 or 2"));
        }
        let callid = params::opt_str(obj, "callid")?;
        let agent = open_agent(&mut self.agents, workno)?;
        let ringing = agent
            .ringing
            .clone()
            .filter(|r| callid.as_deref().is_none_or(|c| c.is_empty() || c == r))
            .ok_or_else(|| Fail::code(codes::NO_RINGING_CALL))?;
        let mut out = Vec::new();
        emit(&mut out, workno, "AgentEvent_No_Answer", json!(ringing));
        if mode == 1 {
            // The call goes back to its queue and the agent turns busy with reason 7.
            agent.ringing = None;
            agent.state = BaseState::Busy { reason: 7 };
            let busy_event = self.cfg.knobs.reject_busy_event.clone();
            emit(&mut out, workno, &busy_event, json!(7));
            self.requeue(workno, &ringing, now, &mut out);
        } else {
            self.end_call(&ringing, now);
            self.finish_calls(workno, 2, false, Media::Voice, now, &mut out);
        }
        Ok(out)
    }

    /// Ringing for `ringTimeoutMs` without an answer: taken back, agent forced busy (reason 2).
    pub(crate) fn ring_timeout(&mut self, callid: &str, attempt: u64, now: Ms, out: &mut Vec<Emit>) {
        let Some(call) = self.calls.get(callid) else {
            return;
        };
        if call.attempt != attempt || call.state != CallState::Ringing {
            return;
        }
        let Some(workno) = call.agent.clone() else {
            return;
        };
        if let Some(agent) = self.agents.get_mut(&workno) {
            agent.ringing = None;
            agent.state = BaseState::Busy { reason: 2 };
            if agent.is_ccc() {
                agent.ccc.break_code = "RingingTimeout".into();
            }
        }
        emit(out, &workno, "AgentEvent_No_Answer", json!(callid));
        emit(out, &workno, "AgentState_SetNotReady_Success", json!(2));
        self.requeue(&workno, callid, now, out);
    }

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
    pub(super) fn agent_releases(&mut self, workno: &str, callid: &str, now: Ms, out: &mut Vec<Emit>) {
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

    // ---------------------------------------------------------------- hold

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

    // ---------------------------------------------------------------- callout & far parties

    /// `PUT voicecall/{id}/callout` → the new call id.
    pub fn callout(&mut self, workno: &str, body: &Value, now: Ms) -> Result<(String, Vec<Emit>), Fail> {
        let obj = params::object(body)?;
        let called = params::opt_str(obj, "called")
            .map_err(|_| Fail::detail(codes::CALLOUT_NUMBER, "called must be a string"))?
            .filter(|c| params::is_dial_string(c))
            .ok_or_else(|| Fail::detail(codes::CALLOUT_NUMBER, "called must be 1-24 of 0-9 * #"))?;
        let caller = params::opt_str(obj, "caller")?;
        if let Some(c) = &caller {
            if c.len() > 24 || !c.chars().all(|ch| ch.is_ascii_digit()) {
                return Err(Fail::bad_param("caller must be 0-24 digits"));
            }
        }
        let skill = params::opt_int(obj, "skillid")?;
        let calldata = params::opt_str(obj, "callappdata")?;
        if calldata.as_ref().is_some_and(|d| d.len() > 16 * 1024) {
            return Err(Fail::bad_param("callappdata longer than 16 KB"));
        }
        params::opt_int(obj, "mediaability")?;
        let default_caller = self.cfg.default_caller();
        let skill_name = skill.and_then(|id| self.cfg.skill(id)).map(|s| s.name.clone()).unwrap_or_default();
        let busy_event = self.cfg.knobs.callout_busy_event;
        let behaviour = self.cfg.scenario.callout;
        let agent = open_agent(&mut self.agents, workno)?;
        if agent.ringing.is_some() || agent.current.is_some() || agent.consult.is_some() {
            return Err(Fail::detail(codes::WRONG_STATE, "agent already has an active call"));
        }
        let callid = self.new_call_id(now);
        let call = Call {
            id: callid.clone(),
            media: Media::Voice,
            kind: CallKind::Outbound,
            feature: 7,
            caller: caller.filter(|c| !c.is_empty()).unwrap_or(default_caller),
            called: called.clone(),
            skill_id: skill,
            skill_name,
            calldata,
            state: CallState::Dialing,
            agent: Some(workno.to_string()),
            target_agent: None,
            created: now,
            answered: None,
            ended: None,
            last_release_agent: String::new(),
            requeue_count: 0,
            demo: false,
            attempt: 0,
        };
        self.calls.insert(callid.clone(), call);
        if let Some(agent) = self.agents.get_mut(workno) {
            agent.current = Some(callid.clone());
        }
        let mut out = Vec::new();
        if busy_event {
            emit(&mut out, workno, "AgentState_Busy", Value::Null);
        }
        emit(
            &mut out,
            workno,
            "AgentEvent_Customer_Alerting",
            json!({"callid": callid, "otherPhone": called, "otherPhoneWorkno": "", "type": "main"}),
        );
        self.start_far(&callid, behaviour, now, &mut out);
        Ok((callid, out))
    }

    /// Starts waiting for a far party: answers/fails now (delay 0), later, or on command.
    fn start_far(&mut self, callid: &str, behaviour: FarBehaviour, now: Ms, out: &mut Vec<Emit>) {
        let delay = self.cfg.scenario.answer_delay_ms;
        let Some(call) = self.calls.get_mut(callid) else {
            return;
        };
        call.attempt += 1;
        let attempt = call.attempt;
        let answer = match behaviour {
            FarBehaviour::Ring => return,
            FarBehaviour::Answer => true,
            FarBehaviour::Fail => false,
        };
        if delay == 0 {
            let _ = self.far_result(callid, answer, now, out);
        } else {
            self.schedule(
                now + delay,
                TimerAction::FarResult { callid: callid.to_string(), answer, attempt },
            );
        }
    }

    /// Calls waiting for a far party, oldest first (`/sim/far-answer` without a callid).
    pub fn far_pending(&self) -> Vec<String> {
        let mut ids: Vec<&Call> = self
            .calls
            .values()
            .filter(|c| matches!(c.state, CallState::Dialing | CallState::Transferring { .. }))
            .collect();
        ids.sort_by_key(|c| (c.created, c.id.clone()));
        ids.into_iter().map(|c| c.id.clone()).collect()
    }

    /// The far party of a dialling/transferring call answered or failed.
    pub fn far_result(
        &mut self,
        callid: &str,
        answer: bool,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<(), String> {
        let call = self.calls.get(callid).ok_or_else(|| format!("unknown call {callid}"))?.clone();
        let workno = call.agent.clone().unwrap_or_default();
        match (&call.state, &call.kind) {
            (CallState::Dialing, CallKind::Consult { parent, mode }) => {
                self.consult_result(&workno, &call, parent, *mode, answer, now, out)
            }
            (CallState::Dialing, _) if answer => {
                if let Some(c) = self.calls.get_mut(callid) {
                    c.state = CallState::Talking;
                    c.answered = Some(now);
                }
                self.talking_event(callid, out);
            }
            (CallState::Dialing, _) => {
                let event = self.cfg.knobs.callout_fail_event.clone();
                emit(out, &workno, &event, json!(callid));
                self.end_call(callid, now);
                self.finish_calls(&workno, 3, false, call.media, now, out);
            }
            (CallState::Transferring { kind, target }, _) => {
                self.transfer_result(&workno, &call, *kind, target, answer, now, out)
            }
            _ => return Err(format!("call {callid} is not waiting for a far party")),
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn consult_result(
        &mut self,
        workno: &str,
        leg: &Call,
        parent: &str,
        mode: i64,
        answer: bool,
        now: Ms,
        out: &mut Vec<Emit>,
    ) {
        if answer {
            if let Some(c) = self.calls.get_mut(&leg.id) {
                c.state = CallState::Talking;
                c.answered = Some(now);
            }
            self.talking_event(&leg.id, out);
            if mode == 2 {
                // Three-party help: once the helper answers, all three are in one call.
                self.merge_conference(workno, parent, &leg.id, out);
            }
            return;
        }
        emit(out, workno, "AgentEvent_Consult_Fail", json!(leg.id));
        self.end_call(&leg.id, now);
        let retrieve = self.cfg.knobs.consult_fail_retrieves;
        if mode == 1 && retrieve {
            let _ = self.get_hold(workno, Some(parent), now).map(|e| out.extend(e));
        }
    }

    /// The consult leg joins the customer call: AgentEvent_Conference {callid, partner}.
    fn merge_conference(&mut self, workno: &str, parent: &str, leg: &str, out: &mut Vec<Emit>) {
        let target = self.calls.get(leg).map(|c| c.called.clone()).unwrap_or_default();
        let customer = self.calls.get(parent).map(|c| c.customer_number().to_string()).unwrap_or_default();
        let partner = format!("{customer},{target}");
        self.calls.remove(leg);
        if let Some(agent) = self.agents.get_mut(workno) {
            agent.consult = None;
            agent.held.retain(|c| c != parent);
            agent.current = Some(parent.to_string());
        }
        if let Some(c) = self.calls.get_mut(parent) {
            c.state = CallState::Conference { partner: partner.clone() };
        }
        emit(out, workno, "AgentEvent_Conference", json!({"callid": parent, "partner": partner}));
    }

    #[allow(clippy::too_many_arguments)]
    fn transfer_result(
        &mut self,
        workno: &str,
        call: &Call,
        kind: TransferKind,
        target: &str,
        answer: bool,
        now: Ms,
        out: &mut Vec<Emit>,
    ) {
        let callid = call.id.as_str();
        if !answer {
            // The target could not be reached: the agent keeps the customer.
            emit(out, workno, "AgentEvent_Connect_Fail", json!(callid));
            if let Some(c) = self.calls.get_mut(callid) {
                c.state = CallState::Talking;
            }
            self.talking_event(callid, out);
            return;
        }
        match kind {
            TransferKind::Success | TransferKind::MediaSuccess => {
                emit(out, workno, "AgentEvent_SuccTransResult", json!({"callId": callid, "result": 0}));
                emit(out, workno, "AgentEvent_Call_Release", json!(callid));
                self.end_call(callid, now);
                self.finish_calls(workno, 2, true, call.media, now, out);
            }
            TransferKind::Talk => {
                // Agent and target talk first; the agent's hang-up completes the transfer.
                if let Some(c) = self.calls.get_mut(callid) {
                    c.state = CallState::Talking;
                    c.called = target.to_string();
                }
                self.talking_event(callid, out);
            }
            TransferKind::ThreeParty => {
                let partner = format!("{},{target}", call.customer_number());
                if let Some(c) = self.calls.get_mut(callid) {
                    c.state = CallState::Conference { partner: partner.clone() };
                }
                emit(out, workno, "AgentEvent_Conference", json!({"callid": callid, "partner": partner}));
            }
        }
    }

    // ---------------------------------------------------------------- consult & conference

    /// `POST voicecall/{id}/innerhelp` → the consult leg's call id.
    pub fn inner_help(&mut self, workno: &str, body: &Value, now: Ms) -> Result<(String, Vec<Emit>), Fail> {
        let obj = params::object(body)?;
        let dst = params::opt_str(obj, "dstaddress")?
            .filter(|d| !d.is_empty() && d.chars().count() <= 24)
            .ok_or_else(|| Fail::bad_param("dstaddress is required (1-24 characters)"))?;
        let devicetype = params::opt_int(obj, "devicetype")?.unwrap_or(2);
        let mode = params::opt_int(obj, "mode")?.unwrap_or(1);
        if !matches!(devicetype, 1 | 2) {
            return Err(Fail::bad_param("devicetype must be 1 (skill) or 2 (agent)"));
        }
        if !matches!(mode, 1 | 2) {
            return Err(Fail::bad_param("mode must be 1 (consult) or 2 (three-party help)"));
        }
        let calldata = params::opt_str(obj, "callappdata")?;
        params::opt_bool(obj, "holdflag")?;
        let behaviour = self.cfg.scenario.consult_target;
        let consult_type = self.cfg.knobs.consult_call_type.clone();
        // An agent target is shown with its phone number when the directory knows it.
        let other_phone = match devicetype {
            2 => self.cfg.agent(&dst).map(|a| a.phone.clone()).unwrap_or_else(|| dst.clone()),
            _ => dst.clone(),
        };
        let agent = open_agent(&mut self.agents, workno)?;
        let parent = agent.current.clone().ok_or_else(|| Fail::code(codes::CONSULT_NO_CALL))?;
        if agent.consult.is_some()
            || !matches!(
                self.calls.get(&parent).map(|c| (&c.state, c.media)),
                Some((CallState::Talking, Media::Voice))
            )
        {
            return Err(Fail::detail(codes::WRONG_STATE, "the current call cannot be consulted now"));
        }
        let leg = self.new_call_id(now);
        let mut out = Vec::new();
        let agent = open_agent(&mut self.agents, workno)?;
        agent.consult = Some(leg.clone());
        if mode == 1 {
            // Two-party consult: the customer waits on hold.
            agent.current = None;
            agent.muted = false;
            agent.held.push(parent.clone());
            if let Some(c) = self.calls.get_mut(&parent) {
                c.state = CallState::Held;
            }
            emit(&mut out, workno, "AgentEvent_Hold", json!(parent));
        }
        self.calls.insert(
            leg.clone(),
            Call {
                id: leg.clone(),
                media: Media::Voice,
                kind: CallKind::Consult { parent: parent.clone(), mode },
                feature: if mode == 1 { 51 } else { 52 },
                caller: workno.to_string(),
                called: dst.clone(),
                skill_id: None,
                skill_name: String::new(),
                calldata,
                state: CallState::Dialing,
                agent: Some(workno.to_string()),
                target_agent: None,
                created: now,
                answered: None,
                ended: None,
                last_release_agent: String::new(),
                requeue_count: 0,
                demo: false,
                attempt: 0,
            },
        );
        let workno_target = if devicetype == 2 { dst.clone() } else { String::new() };
        emit(
            &mut out,
            workno,
            "AgentEvent_Customer_Alerting",
            json!({"callid": leg, "otherPhone": other_phone, "otherPhoneWorkno": workno_target, "type": consult_type}),
        );
        self.start_far(&leg, behaviour, now, &mut out);
        Ok((leg, out))
    }

    /// `POST voicecall/{id}/confjoin`: the answered consult leg and the held customer become
    /// one three-party call.
    pub fn conf_join(&mut self, workno: &str, _now: Ms) -> Result<Vec<Emit>, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        if agent.current.is_none() && agent.consult.is_none() && agent.held.is_empty() {
            return Err(Fail::code(codes::CONF_NO_CALL));
        }
        let leg =
            agent.consult.clone().ok_or_else(|| Fail::detail(codes::CONF_WRONG_STATE, "no consult call"))?;
        let held = agent.held.clone();
        let Some(call) = self.calls.get(&leg) else {
            return Err(Fail::code(codes::CONF_WRONG_STATE));
        };
        let parent = match (&call.state, &call.kind) {
            (CallState::Talking, CallKind::Consult { parent, .. }) if held.contains(parent) => parent.clone(),
            _ => {
                return Err(Fail::detail(
                    codes::CONF_WRONG_STATE,
                    "the consult call is not answered or the customer is not held",
                ))
            }
        };
        let mut out = Vec::new();
        self.merge_conference(workno, &parent, &leg, &mut out);
        Ok(out)
    }

    // ---------------------------------------------------------------- mute & DTMF

    /// `POST voicecall/{id}/beginmute` (`on`) and `endmute`.
    pub fn mute(&mut self, workno: &str, on: bool, _now: Ms) -> Result<Vec<Emit>, Fail> {
        let (no_call, wrong_state, event) = if on {
            (codes::MUTE_NO_CALL, codes::MUTE_WRONG_STATE, self.cfg.knobs.begin_mute_event.clone())
        } else {
            (codes::UNMUTE_NO_CALL, codes::UNMUTE_WRONG_STATE, self.cfg.knobs.end_mute_event.clone())
        };
        let agent = open_agent(&mut self.agents, workno)?;
        let callid =
            agent.consult.clone().or_else(|| agent.current.clone()).ok_or_else(|| Fail::code(no_call))?;
        let connected = matches!(
            self.calls.get(&callid).map(|c| &c.state),
            Some(CallState::Talking | CallState::Conference { .. })
        );
        if !connected || agent.muted == on {
            return Err(Fail::code(wrong_state));
        }
        agent.muted = on;
        let mut out = Vec::new();
        if !event.is_empty() {
            emit(&mut out, workno, &event, json!(callid));
        }
        Ok(out)
    }

    /// `POST voicecall/{id}/seconddialex?number=`: DTMF digits on the connected call.
    pub fn second_dial(&mut self, workno: &str, number: Option<&str>) -> Result<(), Fail> {
        let number = number.unwrap_or("");
        if !params::is_dial_string(number) {
            return Err(Fail::bad_param("number must be 1-24 of 0-9 * #"));
        }
        let agent = open_agent(&mut self.agents, workno)?;
        let connected =
            agent.consult.as_ref().or(agent.current.as_ref()).and_then(|c| self.calls.get(c)).is_some_and(
                |c| {
                    matches!(c.state, CallState::Talking | CallState::Conference { .. })
                        && c.media == Media::Voice
                },
            );
        if !connected {
            return Err(Fail::detail(codes::INTERNAL, "no connected voice call"));
        }
        Ok(())
    }

    // ---------------------------------------------------------------- transfers

    /// `POST voicecall/{id}/transfer` (reference §4.3).
    pub fn transfer(&mut self, workno: &str, body: &Value, now: Ms) -> Result<Vec<Emit>, Fail> {
        let obj = params::object(body)?;
        let devicetype =
            params::opt_int(obj, "devicetype")?.ok_or_else(|| Fail::bad_param("devicetype is required"))?;
        if !(1..=5).contains(&devicetype) {
            return Err(Fail::bad_param("devicetype must be 1-5"));
        }
        let address = params::opt_str(obj, "address")?
            .filter(|a| !a.is_empty() && a.chars().count() <= 24)
            .ok_or_else(|| Fail::bad_param("address is required (1-24 characters)"))?;
        let mode = params::opt_int(obj, "mode")?.ok_or_else(|| Fail::bad_param("mode is required"))?;
        let calldata = params::opt_str(obj, "callappdata")?;
        if calldata.as_ref().is_some_and(|d| d.len() > 16 * 1024) {
            return Err(Fail::bad_param("callappdata longer than 16 KB"));
        }
        params::opt_str(obj, "caller")?;
        params::opt_int(obj, "mediaability")?;
        params::opt_bool(obj, "holdflag")?;
        if params::opt_int(obj, "skillId")?.is_some() && devicetype != 2 {
            return Err(Fail::bad_param("skillId is only valid with devicetype 2"));
        }
        let bad_mode = self.cfg.knobs.transfer_bad_mode_retcode.clone();
        let behaviour = self.cfg.scenario.transfer_target;
        let ivr_ms = self.cfg.knobs.ivr_return_ms;
        let agent = open_agent(&mut self.agents, workno)?;
        let callid = agent.current.clone().ok_or_else(|| Fail::code(codes::TRANSFER_NO_CALL))?;
        let call = self.calls.get(&callid).ok_or_else(|| Fail::code(codes::TRANSFER_NO_CALL))?;
        if call.state != CallState::Talking || call.media != Media::Voice {
            return Err(Fail::detail(codes::TRANSFER_NO_CALL, "no connected voice call"));
        }
        let outbound = call.kind == CallKind::Outbound;
        if !transfer_mode_allowed(devicetype, mode, outbound) {
            return Err(Fail::detail(
                &bad_mode,
                format!("mode {mode} is not allowed with devicetype {devicetype}"),
            ));
        }
        let mut out = Vec::new();
        let kind = match (devicetype, mode) {
            (3, 1) => {
                // IVR hang-up transfer: the call is parked and comes back when the IVR ends.
                if let Some(c) = self.calls.get_mut(&callid) {
                    c.state = CallState::InIvr;
                }
                if let Some(a) = self.agents.get_mut(workno) {
                    a.current = None;
                    a.muted = false;
                    a.suspended.push(callid.clone());
                }
                self.schedule(now + ivr_ms, TimerAction::IvrReturn { callid });
                return Ok(out);
            }
            (_, 2) => TransferKind::Success,
            (5, 3) => TransferKind::Talk,
            (5, 4) => TransferKind::ThreeParty,
            _ => {
                // Release (blind) transfer: the agent leaves at once.
                self.agent_releases(workno, &callid, now, &mut out);
                return Ok(out);
            }
        };
        if let Some(c) = self.calls.get_mut(&callid) {
            c.state = CallState::Transferring { kind, target: address.clone() };
        }
        let target_workno = if devicetype == 2 { address.clone() } else { String::new() };
        emit(
            &mut out,
            workno,
            "AgentEvent_Customer_Alerting",
            json!({"callid": callid, "otherPhone": address, "otherPhoneWorkno": target_workno, "type": "main"}),
        );
        self.start_far(&callid, behaviour, now, &mut out);
        Ok(out)
    }

    /// An IVR hang-up transfer ended: AgentEvent_ReturnFromIvr, and the call is connected
    /// again (or held, if the agent is on another call meanwhile).
    pub(crate) fn ivr_return(&mut self, callid: &str, _now: Ms, out: &mut Vec<Emit>) {
        let Some(call) = self.calls.get_mut(callid) else {
            return;
        };
        if call.state != CallState::InIvr {
            return;
        }
        let Some(workno) = call.agent.clone() else {
            return;
        };
        let Some(agent) = self.agents.get_mut(&workno) else {
            return;
        };
        agent.suspended.retain(|c| c != callid);
        emit(out, &workno, "AgentEvent_ReturnFromIvr", json!(callid));
        if agent.current.is_none() && agent.consult.is_none() {
            agent.current = Some(callid.to_string());
            call.state = CallState::Talking;
            self.talking_event(callid, out);
        } else {
            agent.held.push(callid.to_string());
            call.state = CallState::Held;
            emit(out, &workno, "AgentEvent_Hold", json!(callid));
        }
    }

    /// `POST mediacall/{id}/transfer` (seed 002). Bad input is refused before anything
    /// changes; success answers `{"message":"success","retcode":"0"}` and the events follow.
    pub fn media_transfer(&mut self, workno: &str, body: &Value, now: Ms) -> Result<Vec<Emit>, Fail> {
        let invalid = self.cfg.knobs.media_transfer_invalid_retcode.clone();
        let no_session = self.cfg.knobs.media_transfer_no_session_retcode.clone();
        let bad = |what: &str| Fail::detail(&invalid, what);
        let obj = params::object(body).map_err(|_| bad("request body must be a JSON object"))?;
        let callid = params::opt_str(obj, "callid")
            .map_err(|_| bad("callid must be a string"))?
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("callid is required"))?;
        params::opt_str(obj, "caller").map_err(|_| bad("caller must be a string"))?;
        let devicetype = params::opt_int(obj, "devicetype")
            .map_err(|_| Fail::detail(codes::MEDIA_DEVICETYPE, "devicetype must be an integer"))?;
        let devicetype = devicetype
            .filter(|d| matches!(d, 1 | 2 | 4))
            .ok_or_else(|| Fail::detail(codes::MEDIA_DEVICETYPE, "devicetype must be 1, 2 or 4"))?;
        let mode = params::opt_int(obj, "mode")
            .map_err(|_| bad("mode must be an integer"))?
            .ok_or_else(|| bad("mode is required"))?;
        if !matches!(mode, 0 | 2) {
            return Err(bad("mode must be 0 or 2"));
        }
        let address = params::opt_str(obj, "address")
            .map_err(|_| bad("address must be a string"))?
            .ok_or_else(|| bad("address is required"))?;
        if address.is_empty() || address.chars().count() > 24 {
            return Err(bad("address must be 1-24 characters"));
        }
        let calldata = params::opt_str(obj, "calldata").map_err(|_| bad("calldata must be a string"))?;
        if calldata.as_ref().is_some_and(|d| d.len() > 2048) {
            return Err(bad("calldata longer than 2048 bytes"));
        }
        let skill = params::opt_int(obj, "skillId").map_err(|_| bad("skillId must be an integer"))?;
        if skill.is_some() && devicetype != 2 {
            return Err(bad("skillId is only valid with devicetype 2"));
        }
        let behaviour = self.cfg.scenario.transfer_target;
        let agent = open_agent(&mut self.agents, workno)?;
        let is_current = agent.current.as_deref() == Some(callid.as_str());
        let ok = is_current
            && self
                .calls
                .get(&callid)
                .is_some_and(|c| c.media == Media::Chat && c.state == CallState::Talking);
        if !ok {
            return Err(Fail::detail(&no_session, "no connected chat session with this callid"));
        }
        let mut out = Vec::new();
        if mode == 0 {
            self.agent_releases(workno, &callid, now, &mut out);
            return Ok(out);
        }
        if let Some(c) = self.calls.get_mut(&callid) {
            c.state = CallState::Transferring { kind: TransferKind::MediaSuccess, target: address };
        }
        self.start_far(&callid, behaviour, now, &mut out);
        Ok(out)
    }
}
