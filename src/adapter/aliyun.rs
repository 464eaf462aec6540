//! Alibaba Cloud CCC through the signing bridge: intents become `POST /ccc/api?action=<Action>`
//! calls; the UserContext / CallContext each answer carries (and PollUserStatus) are diffed
//! into the same neutral events the CC-Gateway's event stream gives.
//!
//! Mappings worth knowing:
//! - Reject = ReleaseCall of the ringing call (CCC has no reject). Mode 1 ("back to the queue,
//!   set me busy") adds TakeBreak; mode 2 ("release, stay ready") adds ReadyForService, because
//!   CCC puts an agent who drops a ringing call on break (BreakCode RejectCall).
//! - Busy = TakeBreak with the busy reason as the break code. Timed rest, entering wrap-up by
//!   hand, connecting a held call and conference have no CCC agent operation: they are hidden.
//! - Consult = InitiateAttendedTransfer; consult-cancel = CancelAttendedTransfer (seed 000);
//!   complete = CompleteAttendedTransfer. An attended ("talk first") transfer is the same
//!   consult, started from the transfer dialog.
//! - The toolbar shows a consult leg under its ChannelId, but CCC operations take JobIds: a
//!   ChannelId is never sent as a JobId (`CccState::job_of`); hanging up a consult leg cancels
//!   the consult.
//! - Answers are ordered by `Data.ContextId` (seed 000: CCC's system sequence): an answer
//!   older than the last one applied is dropped. After CancelAttendedTransfer its consult legs
//!   are gone, whatever state the answer (seed 000) or a later one still lists them in.

use super::encode;
use crate::core::actions::{Action, AllowedActions};
use crate::core::event::{CallOffer, Event, Media};
use crate::core::step::{InitialState, Intent, RejectMode};
use crate::core::transfer::DeviceType;
use crate::core::{ErrorKind, GatewayError};
use crate::protocol::aliyun::{
    contexts, CallContext, ChannelContext, Contexts, Envelope, UserContext, CONTEXT_READING,
};
use serde_json::{json, Value};

/// The bridge's paths below the toolbar's origin.
pub const API_PATH: &str = "/ccc/api";
pub const LOGIN_PATH: &str = "/ccc/login";
pub const LOGOUT_PATH: &str = "/ccc/logout";
pub const SESSION_PATH: &str = "/ccc/session";

/// What CCC cannot do for an agent: hidden in the views.
pub fn supported() -> AllowedActions {
    AllowedActions::all_but(&[
        Action::Rest,
        Action::TimedRest,
        Action::EnterWrapUp,
        Action::ConnectHeld,
        Action::Conference,
    ])
}

/// One CCC operation: its Action name and business parameters (the bridge adds InstanceId,
/// UserId and the signature).
#[derive(Debug, Clone, PartialEq)]
pub struct CccCall {
    pub action: &'static str,
    pub params: Value,
}

impl CccCall {
    fn new(action: &'static str, params: Value) -> CccCall {
        CccCall { action, params }
    }

    /// The bridge URL path for this call.
    pub fn path(&self) -> String {
        format!("{API_PATH}?action={}", encode(self.action))
    }
}

/// What the adapter remembers between answers: the device and the latest contexts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CccState {
    /// The CCC UserId the bridge bound this session to (`agent101@ccc-demo`).
    pub user_id: String,
    pub device_id: String,
    pub skill_groups: Vec<String>,
    pub last: Contexts,
    /// The ContextId of the newest answer applied.
    pub last_context_id: Option<i64>,
    /// Consult legs that CancelAttendedTransfer ended (bounded): later answers that still
    /// list them are not believed.
    pub cancelled_legs: Vec<String>,
}

impl CccState {
    fn call(&self) -> Option<&CallContext> {
        self.last.call.as_ref()
    }

    /// The JobId for an id the session shows. Consult legs are shown under their ChannelId;
    /// CCC operations want the JobId of the call the leg belongs to.
    pub fn job_of<'a>(&'a self, id: &'a str) -> &'a str {
        match self.call() {
            Some(c) if c.channel_contexts.iter().any(|ch| ch.channel_id == id) => &c.job_id,
            _ => id,
        }
    }

    /// Whether the session's id names a consult leg rather than a call.
    pub fn is_consult_leg(&self, id: &str) -> bool {
        self.cancelled_legs.iter().any(|l| l == id)
            || self.call().is_some_and(|c| {
                c.channel_contexts.iter().any(|ch| ch.channel_id == id && ch.call_type == "CONSULTANT")
            })
    }

    /// The customer's leg of the current call (Hold, Retrieve and DTMF act on it).
    fn customer_channel(&self) -> Option<&ChannelContext> {
        self.call().and_then(customer_leg)
    }
}

fn customer_leg(call: &CallContext) -> Option<&ChannelContext> {
    call.channel_contexts
        .iter()
        .find(|c| c.user_id.is_empty() && c.call_type != "CONSULTANT" && c.channel_state != "RELEASED")
}

fn own_leg<'a>(call: &'a CallContext, user_id: &str) -> Option<&'a ChannelContext> {
    call.channel_contexts.iter().find(|c| c.user_id == user_id && c.call_type != "CONSULTANT")
}

pub(crate) fn consult_leg(call: &CallContext) -> Option<&ChannelContext> {
    call.channel_contexts.iter().find(|c| c.call_type == "CONSULTANT" && c.channel_state != "RELEASED")
}

fn transferee_type(device: DeviceType, blind: bool) -> &'static str {
    match device {
        DeviceType::Agent => "AGENT",
        DeviceType::SkillQueue => "SKILL_GROUP",
        DeviceType::Ivr => "IVR",
        _ if blind => "EXTERNAL_NUMBER",
        _ => "EXTERNAL",
    }
}

/// The CCC operations for an intent, in order. Empty when CCC has no equivalent (the view
/// hides those actions). Sign-in's bridge login is done by the I/O layer before these.
pub fn plan(intent: &Intent, st: &CccState) -> Vec<CccCall> {
    let dev = st.device_id.as_str();
    let with_job = |id: &str, extra: Value| {
        let mut p = json!({ "JobId": st.job_of(id), "DeviceId": dev });
        if let (Value::Object(p), Value::Object(extra)) = (&mut p, extra) {
            p.extend(extra);
        }
        p
    };
    let customer_channel = st.customer_channel().map(|c| c.channel_id.clone()).unwrap_or_default();
    match intent {
        Intent::SignIn { initial, .. } => {
            let groups = serde_json::to_string(&st.skill_groups).unwrap_or_else(|_| "[]".into());
            let mut calls = vec![CccCall::new(
                "SignInGroup",
                json!({ "DeviceId": dev, "SignedSkillGroupIdList": groups }),
            )];
            match initial {
                InitialState::Idle => calls.push(CccCall::new("ReadyForService", json!({ "DeviceId": dev }))),
                InitialState::Busy => {
                    calls.push(CccCall::new("TakeBreak", json!({ "DeviceId": dev, "Code": "default" })))
                }
                InitialState::WrapUp => {}
            }
            calls
        }
        Intent::SignOut | Intent::SignOutLeavingCalls => {
            vec![CccCall::new("SignOutGroup", json!({ "DeviceId": dev }))]
        }
        Intent::Ready | Intent::LeaveWrapUp => {
            vec![CccCall::new("ReadyForService", json!({ "DeviceId": dev }))]
        }
        Intent::Busy { reason } => {
            let code = reason.map(|r| r.to_string()).unwrap_or_else(|| "default".into());
            vec![CccCall::new("TakeBreak", json!({ "DeviceId": dev, "Code": code }))]
        }
        Intent::Rest { .. }
        | Intent::EnterWrapUp
        | Intent::ConnectHeld { .. }
        | Intent::Conference { .. } => vec![],
        Intent::Answer { call_id } => vec![CccCall::new("AnswerCall", with_job(call_id, json!({})))],
        Intent::Reject { call_id, mode } => {
            let after = match mode {
                RejectMode::Requeue => {
                    CccCall::new("TakeBreak", json!({ "DeviceId": dev, "Code": "RejectCall" }))
                }
                RejectMode::Release => CccCall::new("ReadyForService", json!({ "DeviceId": dev })),
            };
            vec![CccCall::new("ReleaseCall", with_job(call_id, json!({}))), after]
        }
        // Hanging up a consult leg ends the consult and brings the customer back; ReleaseCall
        // with the customer's JobId would hang up on the customer.
        Intent::HangUp { call_id } | Intent::DropCall { call_id } if st.is_consult_leg(call_id) => {
            vec![CccCall::new("CancelAttendedTransfer", with_job(call_id, json!({})))]
        }
        Intent::HangUp { call_id } | Intent::DropCall { call_id } => {
            vec![CccCall::new("ReleaseCall", with_job(call_id, json!({})))]
        }
        Intent::Hold { call_id } => {
            vec![CccCall::new("HoldCall", with_job(call_id, json!({ "ChannelId": customer_channel })))]
        }
        Intent::Retrieve { call_id } => {
            vec![CccCall::new("RetrieveCall", with_job(call_id, json!({ "ChannelId": customer_channel })))]
        }
        Intent::Mute { call_id } => vec![CccCall::new("MuteCall", with_job(call_id, json!({})))],
        Intent::Unmute { call_id } => vec![CccCall::new("UnmuteCall", with_job(call_id, json!({})))],
        Intent::Dtmf { call_id, digits } => vec![CccCall::new(
            "SendDtmfSignaling",
            with_job(call_id, json!({ "ChannelId": customer_channel, "Dtmf": digits })),
        )],
        Intent::CallOut { number } => {
            vec![CccCall::new("MakeCall", json!({ "DeviceId": dev, "Callee": number }))]
        }
        Intent::Transfer(t) => {
            let blind = t.mode == 0;
            let action = if blind { "BlindTransfer" } else { "InitiateAttendedTransfer" };
            let params = with_job(
                &t.call_id,
                json!({ "Transferee": t.address.trim(), "TransfereeType": transferee_type(t.device, blind) }),
            );
            vec![CccCall::new(action, params)]
        }
        Intent::Consult { customer_call_id, target } => vec![CccCall::new(
            "InitiateAttendedTransfer",
            with_job(
                customer_call_id,
                json!({ "Transferee": target.address.trim(), "TransfereeType": transferee_type(target.device, false) }),
            ),
        )],
        Intent::CancelConsult { customer_call_id, .. } => {
            vec![CccCall::new("CancelAttendedTransfer", with_job(customer_call_id, json!({})))]
        }
        Intent::CompleteConsult { customer_call_id } => {
            vec![CccCall::new("CompleteAttendedTransfer", with_job(customer_call_id, json!({})))]
        }
    }
}

/// What `Input::Done` carries for an intent: the operation's Data, except where the state
/// machine expects the CC-Gateway's form (a consult's result is the consult leg's id).
pub fn result_of(intent: &Intent, data: &Value) -> Value {
    let attended = |i: &Intent| matches!(i, Intent::Transfer(t) if t.mode != 0);
    match intent {
        i if matches!(i, Intent::Consult { .. }) || attended(i) => contexts(data)
            .call
            .as_ref()
            .and_then(consult_leg)
            .map(|leg| Value::String(leg.channel_id.clone()))
            .unwrap_or(Value::Null),
        _ => data.clone(),
    }
}

pub fn poll_call(st: &CccState) -> CccCall {
    CccCall::new("PollUserStatus", json!({ "DeviceId": st.device_id }))
}

pub fn detail_call(job_id: &str) -> CccCall {
    CccCall::new("GetCallDetailRecord", json!({ "ContactId": job_id }))
}

/// What a CCC error code means for the toolbar (aliyun-ccc.md §4, and the bridge's own codes).
pub fn classify(code: &str) -> ErrorKind {
    match code {
        "Unauthorized.Session" | "NotExists.UserId" => ErrorKind::SessionLost,
        "Authentication.Failed" => ErrorKind::BadCredentials,
        "InvalidOperation.UserState" | "InvalidOperation.ChannelState" => ErrorKind::WrongState,
        "NotExists.JobId" | "NotExists.ChannelId" | "NotExists.ContactId" => ErrorKind::NoCall,
        c if c.starts_with("Parameter.") => ErrorKind::BadRequest,
        c if c.starts_with("Throttling") || c.starts_with("InternalService.") || c == "Bridge.Upstream" => {
            ErrorKind::Unavailable
        }
        // The bridge refused it (issue 12): not the agent's state, nothing to re-read.
        c if c.starts_with("Forbidden.") || c.starts_with("Bridge.") => ErrorKind::BadRequest,
        _ => ErrorKind::Other,
    }
}

/// A failed answer as a neutral error; `Params` (actual vs expected state) joins the text.
pub fn error_of(env: &Envelope) -> GatewayError {
    let params = env.param_strings();
    let message = if params.is_empty() || env.message.is_empty() {
        env.message.clone()
    } else {
        format!("{} [{}]", env.message, params.join(" / "))
    };
    GatewayError {
        kind: classify(&env.code),
        code: env.code.clone(),
        message,
        retry_after_secs: env.retry_after,
    }
}

pub(crate) fn feature_of(call_type: &str) -> i64 {
    match call_type {
        "OUTBOUND" | "PREDICTIVE" | "BACK2BACK" => 7,
        "INTERNAL" => 6,
        "CONSULTANT" => 51,
        "CONFERENCE" => 53,
        _ => 0,
    }
}

fn is_held(c: &ChannelContext) -> bool {
    c.channel_flags.to_ascii_uppercase().contains("HOLD")
}

pub(crate) fn offer(call: &CallContext, user_id: &str) -> CallOffer {
    let customer = customer_leg(call);
    let own = own_leg(call, user_id);
    let outbound = feature_of(&call.call_type) == 7;
    let (caller, called) = match (customer, outbound) {
        (Some(c), false) => (c.originator.clone(), c.destination.clone()),
        (Some(c), true) => (own.map(|o| o.originator.clone()).unwrap_or_default(), c.destination.clone()),
        (None, _) => own.map(|o| (o.originator.clone(), o.destination.clone())).unwrap_or_default(),
    };
    CallOffer {
        call_id: call.job_id.clone(),
        caller,
        called,
        media: Media::Voice,
        feature: feature_of(&call.call_type),
        transferred_from: None,
        assistant: false,
    }
}

fn state_of(u: &Option<UserContext>) -> &str {
    u.as_ref().map(|u| u.user_state.as_str()).unwrap_or("")
}

/// The neutral events between two snapshots of the agent and its call.
pub fn diff(prev: &Contexts, next: &Contexts, user_id: &str) -> Vec<Event> {
    let mut out = Vec::new();
    let (ps, ns) = (state_of(&prev.user), state_of(&next.user));
    let pcall = prev.call.as_ref();
    let ncall = next.call.as_ref();

    // The call the previous snapshot had is gone, or replaced by another.
    if let Some(p) = pcall {
        if ncall.is_none_or(|n| n.job_id != p.job_id) {
            if let Some(leg) = consult_leg(p) {
                out.push(Event::CallReleased { call_id: leg.channel_id.clone() });
            }
            match customer_leg(p) {
                _ if ps == "RINGING" => out.push(Event::NoAnswer { call_id: p.job_id.clone() }),
                Some(c) if c.release_initiator == "customer" => out.push(Event::CustomerReleased {
                    call_id: p.job_id.clone(),
                    number: c.originator.clone(),
                }),
                _ => out.push(Event::CallReleased { call_id: p.job_id.clone() }),
            }
        }
    }

    if let Some(n) = ncall {
        let same = pcall.is_some_and(|p| p.job_id == n.job_id);
        let o = offer(n, user_id);
        let talking = Event::Talking {
            call_id: n.job_id.clone(),
            caller: o.caller.clone(),
            called: o.called.clone(),
            media: Media::Voice,
            feature: o.feature,
        };
        if !same {
            match ns {
                "RINGING" => out.push(Event::Ringing(o.clone())),
                "DIALING" => out.push(Event::FarAlerting {
                    call_id: n.job_id.clone(),
                    number: o.called.clone(),
                    agent: None,
                    consult_leg: false,
                }),
                "TALKING" => out.push(talking.clone()),
                _ => {}
            }
        } else if ns == "TALKING" && ps != "TALKING" {
            out.push(talking.clone());
        }
        // Hold is a mark on the customer's leg.
        let p_held = pcall.filter(|_| same).and_then(customer_leg).is_some_and(is_held);
        let n_held = customer_leg(n).is_some_and(is_held);
        if n_held && !p_held {
            out.push(Event::Held { call_id: n.job_id.clone() });
        } else if p_held && !n_held && ns == "TALKING" {
            out.push(talking.clone());
        }
        // The consult leg (CallType CONSULTANT).
        let p_leg = pcall.filter(|_| same).and_then(consult_leg);
        let n_leg = consult_leg(n);
        match (p_leg, n_leg) {
            (None, Some(l)) | (Some(_), Some(l)) if p_leg.is_none_or(|p| p.channel_id != l.channel_id) => {
                if let Some(p) = p_leg {
                    out.push(Event::CallReleased { call_id: p.channel_id.clone() });
                }
                out.push(Event::FarAlerting {
                    call_id: l.channel_id.clone(),
                    number: l.destination.clone(),
                    agent: Some(l.user_id.clone()).filter(|u| !u.is_empty()),
                    consult_leg: true,
                });
                if l.channel_state == "ANSWERED" {
                    out.push(Event::Talking {
                        call_id: l.channel_id.clone(),
                        caller: l.originator.clone(),
                        called: l.destination.clone(),
                        media: Media::Voice,
                        feature: 51,
                    });
                }
            }
            (Some(p), Some(l)) if l.channel_state == "ANSWERED" && p.channel_state != "ANSWERED" => {
                out.push(Event::Talking {
                    call_id: l.channel_id.clone(),
                    caller: l.originator.clone(),
                    called: l.destination.clone(),
                    media: Media::Voice,
                    feature: 51,
                });
            }
            (Some(p), None) => out.push(Event::CallReleased { call_id: p.channel_id.clone() }),
            _ => {}
        }
    }

    if ns != ps && !ns.is_empty() {
        match ns {
            "OFFLINE" if !ps.is_empty() => out.push(Event::ShutDown),
            "READY" => out.push(Event::Ready),
            "BREAK" => out.push(Event::Busy { reason: break_reason(next.user.as_ref()) }),
            "WORKING" => out.push(Event::WrapUp),
            _ => {}
        }
    }
    out
}

/// A numeric break code (our busy reasons) is kept; CCC's own codes read as "no reason".
fn break_reason(u: Option<&UserContext>) -> i64 {
    u.and_then(|u| u.break_code.as_deref()).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Applies a fresh answer to the remembered contexts: answers without a CallContext (the state
/// operations) leave the call as it was.
pub fn merge(last: &Contexts, fresh: Contexts, has_call_context: bool) -> Contexts {
    Contexts {
        user: fresh.user.or_else(|| last.user.clone()),
        call: if has_call_context { fresh.call } else { last.call.clone() },
        context_id: fresh.context_id.or(last.context_id),
    }
}

/// Which answer a `Data` came from.
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    /// PollUserStatus: the whole picture of the agent.
    Poll,
    /// The answer of the operation carrying out this intent.
    Operation(&'a Intent),
}

/// How many cancelled consult legs are remembered.
const CANCELLED_LIMIT: usize = 8;

/// Reads an answer's contexts into the adapter's state and returns the neutral events since
/// the last answer applied. Answers older than that one (by ContextId) change nothing.
pub fn absorb(st: &mut CccState, data: &Value, answer: Answer) -> Vec<Event> {
    let mut fresh = contexts(data);
    if let (Some(id), Some(last)) = (fresh.context_id, st.last_context_id) {
        if id <= last {
            return Vec::new();
        }
    }
    let has_call_context = match answer {
        Answer::Poll => {
            data.get("CallContext").is_some() || CONTEXT_READING.poll_without_call_context_is_idle
        }
        Answer::Operation(_) => data.get("CallContext").is_some(),
    };
    if let Answer::Operation(Intent::CancelConsult { .. }) = answer {
        let legs = [st.last.call.as_ref(), fresh.call.as_ref()]
            .into_iter()
            .flatten()
            .flat_map(|c| c.channel_contexts.iter())
            .filter(|ch| ch.call_type == "CONSULTANT")
            .map(|ch| ch.channel_id.clone())
            .collect::<Vec<_>>();
        for leg in legs {
            if !st.cancelled_legs.contains(&leg) {
                if st.cancelled_legs.len() >= CANCELLED_LIMIT {
                    st.cancelled_legs.remove(0);
                }
                st.cancelled_legs.push(leg);
            }
        }
    }
    if let Some(call) = fresh.call.as_mut() {
        call.channel_contexts.retain(|ch| !st.cancelled_legs.contains(&ch.channel_id));
    }
    if fresh.context_id.is_some() {
        st.last_context_id = fresh.context_id;
    }
    let next = merge(&st.last, fresh, has_call_context);
    let events = diff(&st.last, &next, &st.user_id);
    st.last = next;
    events
}

/// The browser phone's account from what CCC says about the agent's softphone: the `Data` of
/// GetLoginDetails (`Extension`, `SipServerUrl`, `Signature2`), GetTurnServerList (a string
/// holding a JSON array of `{domain}`: decoded twice) and GetTurnCredentials
/// (`{UserName, Password}`). How CCC wants them in SIP is not published: the WebSocket is
/// `wss://<SipServerUrl><wsPath>`, the AOR's domain the server's host, and the signature the
/// digest password or a REGISTER header, each overridable in agentbar.json (INFERRED).
pub fn voice_account(
    details: &Value,
    turn_list: &Value,
    turn_creds: &Value,
    cfg: &crate::config::Softphone,
) -> Result<crate::core::voice::VoiceAccount, String> {
    use crate::config::{IceServer, SignaturePlacement};
    use crate::protocol::lenient::value_string;
    let field = |k: &str| details.get(k).map(value_string).unwrap_or_default();
    let extension = field("Extension");
    if extension.is_empty() {
        return Err("GetLoginDetails: no Extension".into());
    }
    let server = field("SipServerUrl");
    let ws = if !cfg.ws.is_empty() {
        cfg.ws.clone()
    } else if server.starts_with("ws://") || server.starts_with("wss://") {
        server.clone()
    } else if !server.is_empty() {
        format!("wss://{}{}", server.trim_end_matches('/'), cfg.ws_path)
    } else {
        return Err("GetLoginDetails: no SipServerUrl".into());
    };
    let host = server.split("://").last().unwrap_or_default();
    let host = host.split(['/', ':']).next().unwrap_or_default().to_string();
    let domain = if cfg.domain.is_empty() { host } else { cfg.domain.clone() };
    if domain.is_empty() {
        return Err("GetLoginDetails: no SIP domain".into());
    }
    let signature = Some(field("Signature2")).filter(|s| !s.is_empty()).unwrap_or_else(|| field("Signature"));
    if signature.is_empty() {
        return Err("GetLoginDetails: no Signature".into());
    }
    let (password, register_headers) = match &cfg.signature {
        SignaturePlacement::Password => (signature, vec![]),
        SignaturePlacement::Header(name) => (String::new(), vec![(name.clone(), signature)]),
    };
    // `Data` is a string holding the JSON array; a gateway that sends the array itself is fine too.
    let list = match turn_list {
        Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        other => other.clone(),
    };
    let (user, credential) = (
        turn_creds.get("UserName").map(value_string).unwrap_or_default(),
        turn_creds.get("Password").map(value_string).unwrap_or_default(),
    );
    let mut ice_servers = cfg.ice_servers.clone();
    if !user.is_empty() {
        let urls: Vec<String> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("domain").and_then(Value::as_str))
            .filter(|d| !d.is_empty() && !d.contains(|c: char| c.is_whitespace() || c == '?'))
            .map(|d| format!("turn:{d}"))
            .collect();
        if !urls.is_empty() {
            ice_servers.push(IceServer { urls, username: Some(user), credential: Some(credential) });
        }
    }
    Ok(crate::core::voice::VoiceAccount { ws, domain, extension, password, register_headers, ice_servers })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_softphone_account_comes_from_get_login_details_and_the_turn_relays() {
        use crate::config::{SignaturePlacement, Softphone};
        let details = json!({"UserId": "agent101@ccc-demo", "Extension": 8001, "DeviceId": "ACC-1",
            "SipServerUrl": "sh-sip-ccc.aliyuncs.com:443", "AgentServerUrl": "sh-wss-ccc.aliyuncs.com",
            "Signature": "old", "Signature2": "sig2", "UserKey2": "k2"});
        let turn = json!("[{\"region\":\"hangzhou\",\"name\":\"hz\",\"domain\":\"turn-hz-ecs.ccc.aliyuncs.com\",\"cidr\":\"\"}]");
        let creds = json!({"UserName": "u1", "Password": "p1"});
        let cfg = Softphone { from_ccc: true, ws_path: "/".into(), ..Default::default() };
        let a = voice_account(&details, &turn, &creds, &cfg).unwrap();
        assert_eq!(a.ws, "wss://sh-sip-ccc.aliyuncs.com:443/");
        assert_eq!(
            (a.domain.as_str(), a.extension.as_str(), a.password.as_str()),
            ("sh-sip-ccc.aliyuncs.com", "8001", "sig2")
        );
        assert_eq!(a.ice_servers[0].urls, vec!["turn:turn-hz-ecs.ccc.aliyuncs.com".to_string()]);
        assert_eq!(a.ice_servers[0].username.as_deref(), Some("u1"));
        // Overrides: the rig's WebSocket and domain, the signature as a header.
        let cfg = Softphone {
            from_ccc: true,
            ws: "ws://127.0.0.1:5066".into(),
            domain: "agentbar.test".into(),
            signature: SignaturePlacement::Header("X-Signature".into()),
            ..Default::default()
        };
        let a = voice_account(&details, &Value::Null, &Value::Null, &cfg).unwrap();
        assert_eq!(
            (a.ws.as_str(), a.domain.as_str(), a.password.as_str()),
            ("ws://127.0.0.1:5066", "agentbar.test", "")
        );
        assert_eq!(a.register_headers, vec![("X-Signature".to_string(), "sig2".to_string())]);
        assert!(a.ice_servers.is_empty(), "no TURN credentials, no TURN server");
        assert!(voice_account(&json!({"SipServerUrl": "x"}), &Value::Null, &Value::Null, &cfg).is_err());
        assert!(
            voice_account(&json!({"Extension": "1", "SipServerUrl": "x"}), &Value::Null, &Value::Null, &cfg)
                .is_err(),
            "no signature"
        );
    }

    use super::*;

    fn ctx(user_state: &str, call: Value) -> Contexts {
        contexts(&json!({
            "UserContext": { "UserId": "agent101@ccc-demo", "UserState": user_state, "InstanceId": "ccc-demo" },
            "CallContext": call,
        }))
    }

    fn inbound(job: &str, customer_state: &str, flags: &str, consult: Option<(&str, &str)>) -> Value {
        let mut channels = vec![
            json!({"ChannelId": format!("ch:customer:13800000000->4001:1:{job}"), "ChannelState": customer_state,
                   "CallType": "INBOUND", "UserId": "", "Originator": "13800000000", "Destination": "4001",
                   "ChannelFlags": flags, "JobId": job}),
            json!({"ChannelId": format!("ch:user:13800000000->80010101:1:{job}"), "ChannelState": "ANSWERED",
                   "CallType": "INBOUND", "UserId": "agent101@ccc-demo", "Originator": "13800000000",
                   "Destination": "80010101", "JobId": job}),
        ];
        if let Some((id, state)) = consult {
            channels.push(json!({"ChannelId": id, "ChannelState": state, "CallType": "CONSULTANT",
                                 "UserId": "agent102@ccc-demo", "Destination": "80010102", "JobId": job}));
        }
        json!({"JobId": job, "CallType": "INBOUND", "InstanceId": "ccc-demo", "ChannelContexts": channels})
    }

    const ME: &str = "agent101@ccc-demo";

    #[test]
    fn ring_answer_hold_retrieve_release() {
        let idle = ctx("READY", Value::Null);
        let ringing = ctx("RINGING", inbound("job-1", "ANSWERED", "", None));
        let evs = diff(&idle, &ringing, ME);
        let [Event::Ringing(o)] = evs.as_slice() else { panic!("{evs:?}") };
        assert_eq!(
            (o.call_id.as_str(), o.caller.as_str(), o.called.as_str()),
            ("job-1", "13800000000", "4001")
        );

        let talking = ctx("TALKING", inbound("job-1", "ANSWERED", "", None));
        assert!(
            matches!(diff(&ringing, &talking, ME).as_slice(), [Event::Talking { call_id, .. }] if call_id == "job-1")
        );
        let held = ctx("TALKING", inbound("job-1", "ANSWERED", "HOLDING", None));
        assert_eq!(diff(&talking, &held, ME), [Event::Held { call_id: "job-1".into() }]);
        assert!(matches!(diff(&held, &talking, ME).as_slice(), [Event::Talking { .. }]));
        let wrap = ctx("WORKING", Value::Null);
        assert_eq!(
            diff(&talking, &wrap, ME),
            [Event::CallReleased { call_id: "job-1".into() }, Event::WrapUp]
        );
    }

    #[test]
    fn a_ring_that_goes_away_is_taken_back() {
        let ringing = ctx("RINGING", inbound("job-2", "ANSWERED", "", None));
        let brk = ctx("BREAK", Value::Null);
        assert_eq!(
            diff(&ringing, &brk, ME),
            [Event::NoAnswer { call_id: "job-2".into() }, Event::Busy { reason: 0 }]
        );
    }

    #[test]
    fn consult_leg_rings_answers_and_is_cancelled() {
        let talking = ctx("TALKING", inbound("job-3", "ANSWERED", "", None));
        let ringing = ctx("TALKING", inbound("job-3", "ANSWERED", "", Some(("ch:consult:1", "RINGING"))));
        assert!(
            matches!(diff(&talking, &ringing, ME).as_slice(), [Event::FarAlerting { call_id, .. }] if call_id == "ch:consult:1")
        );
        let answered = ctx("TALKING", inbound("job-3", "ANSWERED", "", Some(("ch:consult:1", "ANSWERED"))));
        assert!(
            matches!(diff(&ringing, &answered, ME).as_slice(), [Event::Talking { call_id, feature: 51, .. }] if call_id == "ch:consult:1")
        );
        assert_eq!(diff(&answered, &talking, ME), [Event::CallReleased { call_id: "ch:consult:1".into() }]);
    }

    #[test]
    fn cancel_attended_transfer_is_seed_000() {
        let st = CccState { device_id: "device".into(), ..Default::default() };
        let calls = plan(
            &Intent::CancelConsult { customer_call_id: "job-6538214103685****".into(), leg_call_id: None },
            &st,
        );
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].action, "CancelAttendedTransfer");
        // InstanceId and UserId are set by the bridge, from the agent's session.
        assert_eq!(calls[0].params, json!({"JobId": "job-6538214103685****", "DeviceId": "device"}));
        assert_eq!(calls[0].path(), "/ccc/api?action=CancelAttendedTransfer");
    }

    #[test]
    fn reject_is_release_plus_the_chosen_state_and_unsupported_actions_plan_nothing() {
        let st = CccState { device_id: "d".into(), ..Default::default() };
        let names = |i: &Intent| plan(i, &st).iter().map(|c| c.action).collect::<Vec<_>>();
        assert_eq!(
            names(&Intent::Reject { call_id: "j".into(), mode: RejectMode::Requeue }),
            ["ReleaseCall", "TakeBreak"]
        );
        assert_eq!(
            names(&Intent::Reject { call_id: "j".into(), mode: RejectMode::Release }),
            ["ReleaseCall", "ReadyForService"]
        );
        assert!(names(&Intent::Conference { customer_call_id: "j".into() }).is_empty());
        assert!(!supported().contains(Action::Conference));
        assert!(supported().contains(Action::Consult));
    }

    #[test]
    fn a_locked_sign_in_says_how_long_and_bridge_refusals_are_not_state_problems() {
        let env: Envelope = serde_json::from_value(json!({
            "Code": "Throttling.Login", "HttpStatusCode": 429, "RequestId": "x",
            "Message": "Too many failed sign-ins for this account.", "RetryAfter": 256
        }))
        .unwrap();
        let e = error_of(&env);
        assert_eq!((e.kind, e.retry_after_secs), (ErrorKind::Unavailable, Some(256)));
        assert_eq!(classify("Forbidden.Resource"), ErrorKind::BadRequest);
        assert_eq!(classify("Bridge.ContentType"), ErrorKind::BadRequest);
    }

    #[test]
    fn errors_keep_code_and_params() {
        let env: Envelope = serde_json::from_value(json!({
            "Code": "InvalidOperation.UserState", "HttpStatusCode": 400, "RequestId": "x",
            "Message": "The operation is not allowed.", "Params": ["OFFLINE", "BREAK,READY,WORKING"]
        }))
        .unwrap();
        let e = error_of(&env);
        assert_eq!(e.kind, ErrorKind::WrongState);
        assert!(e.message.contains("OFFLINE / BREAK,READY,WORKING"));
    }
}
