//! Transfers: voicecall transfer in every devicetype × mode of reference §4.3 (release,
//! success, talk, three-party, IVR hang-up and its return), and the chat session transfer
//! (mediacall).

use crate::codes::{self, Fail};
use crate::config::Media;
use crate::model::{emit, open_agent, Call, CallKind, CallState, Emit, Ms, Sim, TimerAction};
use crate::params;
use serde::Serialize;
use serde_json::{json, Value};

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

impl Sim {
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

    #[allow(clippy::too_many_arguments)]
    pub(super) fn transfer_result(
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
