//! Huawei CEC CC-Gateway: paths under `/agentgateway/resource/`, retcode classification, and
//! `AgentEvent_*` / `AgentState_*` / `AgentOther_*` decoding into neutral events.

use super::{encode, HttpRequest, Method};
use crate::core::event::{CallOffer, Event, Media};
use crate::core::step::{CallSummary, InitialState, Intent, ReportedState};
use crate::core::transfer::TransferKind;
use crate::core::{ErrorKind, GatewayError};
use crate::protocol::huawei::{
    self as wire, AlertingContent, CallRecord, IncomingCallInfo, RawEvent, RingingContent,
};
use crate::protocol::lenient::{value_i64, value_string};
use serde_json::{json, Value};

/// Where the agent API lives below the gateway's origin.
pub const BASE_PATH: &str = "/agentgateway/resource/";

/// Push mode (cc-gateway.md §5): the sign-in body fields naming where the gateway POSTs the
/// agent's events and the token it sends with them (the event relay supplies both).
pub const PUSH_CALLBACK_FIELD: &str = "callBackUri";
pub const PUSH_TOKEN_FIELD: &str = "serviceToken";

/// The result of decoding one raw event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Event(Event),
    /// Known, but nothing for the toolbar to do (recording, linkage phones…).
    Ignored,
    /// Not an event this toolbar knows; logged and skipped.
    Unknown(String),
}

/// Callids arrive as a bare string, or as an object with `callid`/`callId`.
fn callid_of(content: &Value) -> String {
    match content {
        Value::Object(m) => m.get("callid").or_else(|| m.get("callId")).map(value_string).unwrap_or_default(),
        other => value_string(other),
    }
}

fn content_as<T: serde::de::DeserializeOwned + Default>(content: &Value) -> T {
    serde_json::from_value(content.clone()).unwrap_or_default()
}

/// Agent numbers in events may carry an `a`/`A` prefix (cc-gateway.md §6.1).
fn agent_number(s: &str) -> String {
    s.strip_prefix(['a', 'A'])
        .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(s)
        .to_string()
}

/// Decodes one CC-Gateway event into a neutral event.
pub fn decode_event(raw: &RawEvent) -> Decoded {
    let c = &raw.content;
    let event = match raw.event_type.as_str() {
        "AgentOther_InService" => Event::InService,
        "AgentOther_ShutdownService" | "AgentSession_Destroyed" => Event::ShutDown,
        "AgentOther_PhoneRelease" => Event::PhoneReleased,
        "AgentState_Ready" | "AgentState_Force_Ready" => Event::Ready,
        // Seed 004 names the mode-1 reject trigger `AgentEvent_SetNotReady_Success`; the event
        // reference says `AgentState_SetNotReady_Success`. Both mean busy.
        "AgentState_SetNotReady_Success"
        | "AgentEvent_SetNotReady_Success"
        | "AgentState_Force_SetNotReady" => {
            let reason = match c {
                Value::Object(m) => m.get("reason").and_then(value_i64),
                other => value_i64(other),
            };
            Event::Busy { reason: reason.unwrap_or(0) }
        }
        "AgentState_CancelNotReady_Success" => Event::BusyCleared,
        "AgentState_SetRest_Success" => {
            let cause = match c {
                Value::Object(m) => m.get("reason").and_then(value_i64),
                other => value_i64(other),
            };
            Event::RestStarted { cause: cause.unwrap_or(0) }
        }
        "AgentState_Rest_Timeout" => Event::RestTimeout,
        "AgentState_CancelRest_Success" => Event::RestEnded,
        "AgentState_Work" | "AgentState_SetWork_Success" => Event::WrapUp,
        "AgentState_CancelWork_Success" => Event::WrapUpEnded,
        "AgentState_Busy" | "AgentEvent_Agent_Occupyed" => Event::Occupied,
        "AgentEvent_Ringing" => {
            let r: RingingContent = content_as(c);
            let transferred_from = r
                .transfrom
                .filter(|_| r.transfer.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("no")))
                .map(|t| agent_number(&t));
            Event::Ringing(CallOffer {
                call_id: r.callid,
                caller: agent_number(&r.caller),
                called: agent_number(&r.called),
                media: Media::from_media_ability(r.media_ability),
                feature: r.feature.unwrap_or(0),
                transferred_from,
                assistant: r.kind.eq_ignore_ascii_case("assistant"),
            })
        }
        "AgentEvent_Incoming_CallInfo" => {
            let info: IncomingCallInfo = content_as(c);
            Event::CallInfo { call_id: info.call_id, skill: info.skill_name, calldata: info.call_data }
        }
        "AgentEvent_Auto_Answer" => Event::AutoAnswered,
        "AgentEvent_Talking" => {
            let r: RingingContent = content_as(c);
            let call_id = if r.callid.is_empty() { callid_of(c) } else { r.callid };
            Event::Talking {
                call_id,
                caller: agent_number(&r.caller),
                called: agent_number(&r.called),
                media: Media::from_media_ability(r.media_ability),
                feature: r.feature.unwrap_or(0),
            }
        }
        "AgentEvent_Customer_Alerting" => {
            let a: AlertingContent = content_as(c);
            Event::FarAlerting {
                call_id: a.callid,
                number: a.other_phone,
                agent: a.other_phone_workno.map(|w| agent_number(&w)),
                consult_leg: a.kind.eq_ignore_ascii_case("assistant"),
            }
        }
        "AgentEvent_Hold" => Event::Held { call_id: callid_of(c) },
        "AgentEvent_Conference" => {
            let partners = c.get("partner").map(value_string).unwrap_or_default();
            Event::Conference {
                call_id: callid_of(c),
                partners: partners
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(agent_number)
                    .collect(),
            }
        }
        "AgentEvent_No_Answer" => Event::NoAnswer { call_id: callid_of(c) },
        "AgentEvent_Call_Release" => Event::CallReleased { call_id: callid_of(c) },
        "AgentEvent_Customer_Release" => Event::CustomerReleased {
            call_id: callid_of(c),
            number: c.get("number").map(value_string).unwrap_or_default(),
        },
        "AgentEvent_Connect_Fail" => Event::ConnectFailed { call_id: callid_of(c) },
        "AgentEvent_Call_Out_Fail" | "AgentEvent_Inside_Call_Fail" => {
            Event::CallOutFailed { call_id: callid_of(c) }
        }
        "AgentEvent_Consult_Fail" => Event::ConsultFailed { call_id: callid_of(c) },
        "AgentEvent_SuccTransResult" => Event::TransferResult {
            call_id: callid_of(c),
            ok: c.get("result").and_then(value_i64).unwrap_or(0) == 0,
        },
        "AgentOther_PhoneAlerting"
        | "AgentOther_PhoneOffhook"
        | "AgentOther_PhoneUnknow"
        | "AgentOther_All_Agent_Busy"
        | "AgentEvent_ReturnFromIvr"
        | "OUTBOUND_DETECT_EVENT" => return Decoded::Ignored,
        t if t.starts_with("AgentMediaEvent_")
            || t.starts_with("AgentEvent_linkage")
            || t.starts_with("AgentChat_") =>
        {
            return Decoded::Ignored
        }
        other => return Decoded::Unknown(other.to_string()),
    };
    Decoded::Event(event)
}

/// What a retcode means for the toolbar (cc-gateway.md §8).
pub fn classify(retcode: &str) -> ErrorKind {
    match retcode {
        "100-006" | "100-008" | "105-005" | "105-006" | "105-007" => ErrorKind::SessionLost,
        "000-003" => ErrorKind::AuthRetry,
        "100-002" => ErrorKind::AlreadySignedIn,
        "100-010" => ErrorKind::SignOutRefused,
        "100-004" => ErrorKind::BadCredentials,
        "100-009" | "200-004" | "200-006" | "200-008" | "200-011" | "200-014" | "200-016" => {
            ErrorKind::WrongState
        }
        "200-002" | "200-003" | "200-005" | "200-007" | "200-010" | "200-012" | "200-013" | "200-015"
        | "200-017" | "200-018" => ErrorKind::NoCall,
        "400-003" => ErrorKind::NoHeldCall,
        "000-002" | "000-006" | "100-001" | "100-013" | "100-014" | "200-001" => ErrorKind::BadRequest,
        "000-004" | "100-003" | "100-021" => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    }
}

/// Turns a failed envelope into a neutral error that keeps the vendor's code and text.
pub fn error_of(envelope: &wire::Envelope) -> GatewayError {
    GatewayError {
        kind: classify(&envelope.retcode),
        code: envelope.retcode.clone(),
        message: envelope.message.clone(),
        retry_after_secs: None,
    }
}

/// `agentState` of `GET agentstatus` (cc-gateway.md §4.1).
pub fn reported_state(code: i64) -> ReportedState {
    match code {
        2 => ReportedState::SignedOut,
        3 => ReportedState::Busy,
        4 | 6 => ReportedState::Idle,
        5 => ReportedState::WrapUp,
        7 => ReportedState::InCall,
        8 => ReportedState::Rest,
        _ => ReportedState::Unknown,
    }
}

/// INFERRED (cc-gateway.md §4.5 documents `begintime` as the answer time): a call object
/// without it was not answered yet (it rings, or the far party is being dialled). Set to false
/// if a gateway leaves `begintime` empty on answered calls: every reported call is then taken
/// as connected.
pub const BEGINTIME_IS_ANSWER_TIME: bool = true;

pub fn call_summary(r: &CallRecord) -> CallSummary {
    CallSummary {
        answered: !BEGINTIME_IS_ANSWER_TIME || r.begintime.is_some_and(|t| t > 0),
        call_id: r.callid.clone(),
        caller: agent_number(&r.caller),
        called: agent_number(&r.called),
        feature: r.callfeature,
        skill: Some(r.callskill.clone()).filter(|s| !s.is_empty()),
    }
}

fn agent_path(section: &str, agent_id: &str, rest: &str) -> String {
    format!("{section}/{}/{rest}", encode(agent_id))
}

fn req(method: Method, path: String, body: Option<Value>) -> HttpRequest {
    HttpRequest { method, path, body }
}

/// The request for an intent of agent `agent_id`.
pub fn request(intent: &Intent, agent_id: &str) -> HttpRequest {
    use Method::*;
    let voice = |rest: &str| agent_path("voicecall", agent_id, rest);
    let online = |rest: &str| agent_path("onlineagent", agent_id, rest);
    match intent {
        Intent::SignIn { agent_id, password, phone, initial, force, auto_enter_idle } => {
            let body = wire::SignInBody {
                password: password.clone(),
                phonenum: phone.clone(),
                autoanswer: false,
                autoenteridle: *auto_enter_idle,
                releasephone: true,
                status: match initial {
                    InitialState::Idle => 4,
                    InitialState::Busy => 3,
                    InitialState::WrapUp => 5,
                },
            };
            let path = if *force {
                agent_path("onlineagent", agent_id, "forcelogin")
            } else {
                format!("onlineagent/{}", encode(agent_id))
            };
            req(Put, path, serde_json::to_value(body).ok())
        }
        Intent::SignOut | Intent::SignOutLeavingCalls => req(Delete, online("logout"), None),
        Intent::Ready => req(Post, online("sayfree"), None),
        Intent::Busy { reason } => {
            let q = match reason {
                Some(r) => format!("saybusy?reason={r}"),
                None => "saybusy".to_string(),
            };
            req(Post, online(&q), None)
        }
        Intent::Rest { seconds, cause } => req(Post, online(&format!("rest/{seconds}/{cause}")), None),
        Intent::EnterWrapUp => req(Post, online("work"), None),
        Intent::LeaveWrapUp => req(Post, online("cancelwork"), None),
        Intent::Answer { call_id } => req(Put, voice(&format!("answer?callid={}", encode(call_id))), None),
        Intent::Reject { call_id, mode } => {
            let body = wire::RejectBody { callid: call_id.clone(), mode: mode.code() };
            req(Post, voice("reject"), serde_json::to_value(body).ok())
        }
        Intent::HangUp { .. } => req(Delete, voice("release"), None),
        Intent::Hold { .. } => req(Post, voice("hold"), None),
        Intent::Retrieve { call_id } => {
            req(Post, voice(&format!("gethold?callid={}", encode(call_id))), None)
        }
        Intent::Mute { .. } => req(Post, voice("beginmute"), None),
        Intent::Unmute { .. } => req(Post, voice("endmute"), None),
        Intent::Dtmf { digits, .. } => {
            req(Post, voice(&format!("seconddialex?number={}", encode(digits))), None)
        }
        Intent::CallOut { number } => req(Put, voice("callout"), Some(json!({ "called": number }))),
        Intent::ConnectHeld { call_id } | Intent::CompleteConsult { customer_call_id: call_id } => {
            req(Post, voice(&format!("connecthold/{}", encode(call_id))), None)
        }
        Intent::DropCall { call_id } => req(Post, voice(&format!("dropcall/{}", encode(call_id))), None),
        Intent::Transfer(t) => match t.kind {
            // A CCC transfer never reaches the CC-Gateway; treated as voice if it did.
            TransferKind::Voice | TransferKind::Ccc => {
                let mut body =
                    json!({ "devicetype": t.device.code(), "address": t.address.trim(), "mode": t.mode });
                if let Some(data) = t.calldata.as_deref().filter(|d| !d.is_empty()) {
                    body["callappdata"] = json!(data);
                }
                if let Some(skill) = t.skill_id {
                    body["skillId"] = json!(skill);
                }
                req(Post, voice("transfer"), Some(body))
            }
            TransferKind::Media => {
                let body = wire::MediaTransferBody {
                    callid: t.call_id.clone(),
                    caller: None,
                    devicetype: t.device.code(),
                    mode: t.mode,
                    address: t.address.trim().to_string(),
                    calldata: t.calldata.clone().filter(|d| !d.is_empty()),
                    skill_id: t.skill_id,
                };
                req(Post, agent_path("mediacall", agent_id, "transfer"), serde_json::to_value(body).ok())
            }
        },
        Intent::Consult { target, .. } => {
            let body =
                json!({ "dstaddress": target.address.trim(), "devicetype": target.device.code(), "mode": 1 });
            req(Post, voice("innerhelp"), Some(body))
        }
        Intent::CancelConsult { customer_call_id, .. } => {
            req(Post, voice(&format!("gethold?callid={}", encode(customer_call_id))), None)
        }
        Intent::Conference { customer_call_id } => {
            req(Post, voice("confjoin"), Some(json!({ "callid": customer_call_id })))
        }
    }
}

/// One request of a plan; `tolerate_no_call` lets the plan go on when the call is already gone.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub request: HttpRequest,
    pub tolerate_no_call: bool,
}

/// The requests an intent takes, in order. Most take one; cancelling a consult takes two:
/// end the consult leg (it may already be gone: the consultee hung up or never answered),
/// then take the customer off hold. That is CC-Gateway's form of CancelAttendedTransfer.
pub fn plan(intent: &Intent, agent_id: &str) -> Vec<Planned> {
    let last = Planned { request: request(intent, agent_id), tolerate_no_call: false };
    match intent {
        Intent::CancelConsult { leg_call_id, .. } => {
            let end_leg = match leg_call_id {
                Some(leg) => req(
                    Method::Post,
                    agent_path("voicecall", agent_id, &format!("dropcall/{}", encode(leg))),
                    None,
                ),
                // The leg's id is not known yet: during a consult the current call is the leg.
                None => req(Method::Delete, agent_path("voicecall", agent_id, "release"), None),
            };
            vec![Planned { request: end_leg, tolerate_no_call: true }, last]
        }
        _ => vec![last],
    }
}

/// The event long-poll.
pub fn poll_request(agent_id: &str) -> HttpRequest {
    req(Method::Get, agent_path("agentevent", agent_id, "").trim_end_matches('/').to_string(), None)
}

/// A fresh Guid for a session that survived a page reload (`result.guid`, also `Set-GUID`).
pub fn update_guid_request(agent_id: &str) -> HttpRequest {
    req(Method::Put, agent_path("onlineagent", agent_id, "updateGuid"), None)
}

/// The queries that rebuild the toolbar after an error, a reconnect or a reload.
pub fn status_request(agent_id: &str) -> HttpRequest {
    req(Method::Get, agent_path("onlineagent", agent_id, "agentstatus"), None)
}
pub fn callinfo_request(agent_id: &str) -> HttpRequest {
    req(Method::Get, agent_path("calldata", agent_id, "callinfo?isNoContainLastCall=true"), None)
}
/// The transfer directory: skill queues of the VDN and the agents with their state.
pub fn skills_request(agent_id: &str) -> HttpRequest {
    req(Method::Get, agent_path("queuedevice", agent_id, "agentvdnskill"), None)
}
pub fn agents_request(agent_id: &str) -> HttpRequest {
    req(Method::Get, agent_path("agentgroup", agent_id, "allagentstatus"), None)
}
/// The attached data of a call (the IVR's digits, a CRM key): a plain string.
pub fn appdata_request(agent_id: &str, call_id: &str) -> HttpRequest {
    req(
        Method::Get,
        agent_path("calldata", agent_id, &format!("appdata?isEncodeResult=false&callId={}", encode(call_id))),
        None,
    )
}
pub fn holdlist_request(agent_id: &str) -> HttpRequest {
    req(Method::Get, agent_path("calldata", agent_id, "holdlist"), None)
}

/// The value of a `Set-GUID` header: `JSESSIONID=<guid>` (or a bare guid).
pub fn guid_from_header(value: &str) -> Option<String> {
    let v = value.trim();
    let guid = v.strip_prefix("JSESSIONID=").unwrap_or(v);
    let guid = guid.split(';').next().unwrap_or("").trim();
    (!guid.is_empty()).then(|| guid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::step::RejectMode;

    fn raw(event_type: &str, content: Value) -> RawEvent {
        RawEvent { event_type: event_type.into(), work_no: "101".into(), content, event_gen_time: None }
    }

    #[test]
    fn reject_request_is_exactly_seed_004() {
        let r =
            request(&Intent::Reject { call_id: "1455885056-1095".into(), mode: RejectMode::Requeue }, "101");
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.path, "voicecall/101/reject");
        assert_eq!(r.body, Some(json!({"callid": "1455885056-1095", "mode": 1})));
    }

    #[test]
    fn set_guid_header_forms() {
        assert_eq!(
            guid_from_header("JSESSIONID=279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway0").as_deref(),
            Some("279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway0")
        );
        assert_eq!(guid_from_header("abc; Path=/").as_deref(), Some("abc"));
        assert_eq!(guid_from_header("JSESSIONID="), None);
    }

    #[test]
    fn agent_prefix_and_unknown_events() {
        let d = decode_event(&raw(
            "AgentEvent_Ringing",
            json!({"caller": "A1002", "called": "0105550100", "callid": "1-1", "transfer": "yes", "transfrom": "a205"}),
        ));
        let Decoded::Event(Event::Ringing(o)) = d else { panic!("{d:?}") };
        assert_eq!(
            (o.caller.as_str(), o.called.as_str(), o.transferred_from.as_deref()),
            ("1002", "0105550100", Some("205"))
        );
        assert_eq!(
            decode_event(&raw("AgentEvent_Brand_New", Value::Null)),
            Decoded::Unknown("AgentEvent_Brand_New".into())
        );
        assert_eq!(decode_event(&raw("AgentMediaEvent_Record", Value::Null)), Decoded::Ignored);
    }
}
