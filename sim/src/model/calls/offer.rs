//! Offering a call: the skill queues, ringing an agent (and its ring timeout), answer and
//! reject.

use crate::codes::{self, Fail};
use crate::config::{CallInfoPlacement, Media};
use crate::model::{emit, open_agent, BaseState, Call, CallKind, CallState, Emit, Ms, Sim, TimerAction};
use crate::params;
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

impl Sim {
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
    pub(in crate::model) fn requeue(&mut self, workno: &str, callid: &str, now: Ms, out: &mut Vec<Emit>) {
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
}
