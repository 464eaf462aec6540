//! Callouts and the virtual far parties: the callout customer, a consult target or a transfer
//! target answers or fails per `/sim/scenario`, later by timer, or on `/sim/far-answer`.

use crate::codes::{self, Fail};
use crate::config::{FarBehaviour, Media};
use crate::model::{emit, open_agent, Call, CallKind, CallState, Emit, Ms, Sim, TimerAction};
use crate::params;
use serde_json::{json, Value};

impl Sim {
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
    pub(super) fn start_far(&mut self, callid: &str, behaviour: FarBehaviour, now: Ms, out: &mut Vec<Emit>) {
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
}
