//! Call control through CCC: MakeCall, AnswerCall, ReleaseCall, Hold/RetrieveCall,
//! Mute/UnmuteCall and SendDtmfSignaling on the model's calls, plus how an action finds its job
//! and channel.

use super::actions::{opt, req, Acted, Params};
use super::{CccFail, Channel, Role};
use crate::codes::Fail;
use crate::config::CccRejectCall;
use crate::model::{BaseState, CallKind, CallState, Emit, Ms, Sim};
use crate::params;
use serde_json::json;
use std::collections::BTreeMap;

/// The model refused an action CCC's own checks let through: `InvalidOperation.ChannelState`,
/// with the model's reason after the expected state.
pub(super) fn model_refusal(f: Fail, actual: &str, expected: &str) -> CccFail {
    CccFail::channel_state(actual, &format!("{expected} ({})", f.message))
}

impl Sim {
    /// Finds the job of `JobId` for an agent taking part in it.
    pub(super) fn ccc_agent_job(&self, workno: &str, p: &Params) -> Result<String, CccFail> {
        let job_id = req(p, "JobId")?;
        let callid = self.ccc_job_by_id(job_id).ok_or_else(|| CccFail::no_job(job_id))?;
        let a = self.agents.get(workno).expect("known agent");
        if self.agent_job(a).as_deref() != Some(callid.as_str()) && !a.all_calls().contains(&callid) {
            return Err(CccFail::no_job(job_id));
        }
        Ok(callid)
    }

    /// The channel named by `ChannelId` (or `default` when absent) in the job.
    pub(super) fn ccc_channel(
        &self,
        callid: &str,
        p: &Params,
        name: &str,
        default: Option<Role>,
    ) -> Result<Channel, CccFail> {
        let job = self.ccc.jobs.get(callid).expect("job exists");
        match (opt(p, name), default) {
            (Some(id), _) => job
                .channel(id)
                .filter(|c| !c.released())
                .cloned()
                .ok_or_else(|| CccFail::no_channel(id, &job.job_id)),
            (None, Some(role)) => job
                .channels
                .iter()
                .find(|c| c.role == role && !c.released())
                .cloned()
                .ok_or_else(|| CccFail::blank(name)),
            (None, None) => Err(CccFail::blank(name)),
        }
    }

    pub(super) fn consult_leg(&self, workno: &str, callid: &str) -> Option<String> {
        let leg = self.agents.get(workno)?.consult.clone()?;
        match &self.calls.get(&leg)?.kind {
            CallKind::Consult { parent, .. } if parent == callid => Some(leg),
            _ => None,
        }
    }

    pub(super) fn ccc_call_action(
        &mut self,
        action: &str,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Acted, CccFail> {
        let state = self.state_of(workno);
        if state == "OFFLINE" {
            return Err(CccFail::user_state(state, "READY,BREAK,WORKING,RINGING,TALKING,DIALING"));
        }
        let own = Role::Agent(workno.to_string());
        let mut acted = Acted { workno: workno.to_string(), callid: None, affected: Vec::new() };
        match action {
            "MakeCall" => {
                let callee = req(p, "Callee")?;
                if !params::is_dial_string(callee) {
                    return Err(CccFail::invalid("Callee", callee));
                }
                if !matches!(state, "READY" | "BREAK" | "WORKING") {
                    return Err(CccFail::user_state(state, "READY,BREAK,WORKING"));
                }
                let caller = opt(p, "Caller");
                if let Some(c) = caller.filter(|c| !params::is_dial_string(c)) {
                    return Err(CccFail::invalid("Caller", c));
                }
                let body = json!({"called": callee});
                let (callid, ev) =
                    self.callout(workno, &body, now).map_err(|f| model_refusal(f, state, "READY"))?;
                out.extend(ev);
                // CCC's Caller is a number of the instance; masked/any dial string is kept as is.
                if let (Some(c), Some(call)) = (caller, self.calls.get_mut(&callid)) {
                    call.caller = c.to_string();
                }
                self.ccc_sync(now);
                acted.affected = self
                    .ccc
                    .jobs
                    .get(&callid)
                    .map(|j| j.channels.iter().map(|c| c.id.clone()).collect())
                    .unwrap_or_default();
                acted.callid = Some(callid);
            }
            "AnswerCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ringing = self.agents.get(workno).and_then(|a| a.ringing.clone());
                let ch = self.ccc_channel(&callid, &BTreeMap::new(), "ChannelId", Some(own.clone()))?;
                if ringing.as_deref() != Some(callid.as_str()) {
                    return Err(CccFail::channel_state(&ch.label(), "RINGING"));
                }
                out.extend(
                    self.answer(workno, Some(&callid), now)
                        .map_err(|f| model_refusal(f, ch.state, "RINGING"))?,
                );
                acted.affected = vec![ch.id];
                acted.callid = Some(callid);
            }
            "ReleaseCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", Some(own.clone()))?;
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                let ringing = self.agents.get(workno).and_then(|a| a.ringing.clone());
                if ringing.as_deref() == Some(callid.as_str()) {
                    // Rejecting a ringing call: agent → BREAK `RejectCall`.
                    let mode = self.cfg.knobs.ccc_reject_call;
                    if let Some(a) = self.agents.get_mut(workno) {
                        a.ringing = None;
                        a.state = BaseState::Busy { reason: 7 };
                        a.ccc.break_code = "RejectCall".into();
                    }
                    match mode {
                        CccRejectCall::Requeue => self.requeue(workno, &callid, now, out),
                        CccRejectCall::Release => {
                            self.ccc.release_hints.insert(callid.clone(), "agent");
                            self.end_call(&callid, now);
                            self.dispatch_queue(now, out);
                        }
                    }
                } else if let Role::Consult(leg) = &ch.role {
                    self.agent_releases(workno, &leg.clone(), now, out);
                } else {
                    if let Some(leg) = self.consult_leg(workno, &callid) {
                        self.agent_releases(workno, &leg, now, out);
                    }
                    self.agent_releases(workno, &callid, now, out);
                }
            }
            "HoldCall" | "RetrieveCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", None)?;
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                let held = self.calls.get(&callid).is_some_and(|c| c.state == CallState::Held);
                if ch.role != Role::Customer {
                    return Err(CccFail::channel_state(&ch.label(), "customer leg"));
                }
                if action == "HoldCall" {
                    let current = self.agents.get(workno).and_then(|a| a.current.clone());
                    if held || ch.state != "ANSWERED" || current.as_deref() != Some(callid.as_str()) {
                        return Err(CccFail::channel_state(&ch.label(), "ANSWERED"));
                    }
                    out.extend(self.hold(workno, now).map_err(|f| model_refusal(f, ch.state, "ANSWERED"))?);
                } else {
                    let consulting = self.consult_leg(workno, &callid).is_some();
                    if !held || consulting {
                        let flag = self.cfg.knobs.ccc_held_flag.clone();
                        return Err(CccFail::channel_state(&ch.label(), &format!("ANSWERED:{flag}")));
                    }
                    out.extend(
                        self.get_hold(workno, Some(&callid), now)
                            .map_err(|f| model_refusal(f, ch.state, "ANSWERED"))?,
                    );
                }
            }
            "MuteCall" | "UnmuteCall" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", Some(own.clone()))?;
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                if ch.role != own {
                    return Err(CccFail::channel_state(&ch.label(), "own leg"));
                }
                let on = action == "MuteCall";
                let current = self.agents.get(workno).and_then(|a| a.current.clone());
                if current.as_deref() != Some(callid.as_str()) {
                    return Err(CccFail::channel_state(&ch.label(), "ANSWERED"));
                }
                out.extend(self.mute(workno, on, now).map_err(|f| {
                    model_refusal(f, &ch.label(), if on { "ANSWERED" } else { "ANSWERED:MUTED" })
                })?);
            }
            "SendDtmfSignaling" => {
                let callid = self.ccc_agent_job(workno, p)?;
                let ch = self.ccc_channel(&callid, p, "ChannelId", None)?;
                let dtmf = req(p, "Dtmf")?;
                if !params::is_dial_string(dtmf) {
                    return Err(CccFail::invalid("Dtmf", dtmf));
                }
                acted.affected = vec![ch.id.clone()];
                acted.callid = Some(callid.clone());
                self.second_dial(workno, Some(dtmf)).map_err(|f| model_refusal(f, ch.state, "ANSWERED"))?;
            }
            "BlindTransfer" | "InitiateAttendedTransfer" => {
                self.ccc_start_transfer(action, workno, p, now, out, &mut acted)?
            }
            "CompleteAttendedTransfer" | "CancelAttendedTransfer" => {
                self.ccc_end_attended_transfer(action, workno, p, now, out, &mut acted)?
            }
            _ => unreachable!("checked by ccc_action"),
        }
        Ok(acted)
    }
}
