#![cfg(not(target_arch = "wasm32"))]
//! Fuzzing of every decoder that reads gateway or host input, on both vendors: arbitrary
//! bytes, arbitrary JSON, and real payload shapes with arbitrary values in every field. The
//! property is "never panics"; a panic in the browser kills the toolbar mid-shift.
//! `PROPTEST_CASES` bounds the run (./dev.sh test keeps it to a few seconds).

use agentbar::adapter::{aliyun as ccc, huawei as hw};
use agentbar::core::step::{step, Input};
use agentbar::core::Session;
use agentbar::protocol::{aliyun, huawei};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        "[0-9A-Za-z<>&\"'-]{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z_]{1,16}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const HUAWEI_EVENTS: &[&str] = &[
    "AgentOther_InService",
    "AgentOther_ShutdownService",
    "AgentOther_PhoneRelease",
    "AgentState_Ready",
    "AgentState_SetNotReady_Success",
    "AgentState_CancelNotReady_Success",
    "AgentState_SetRest_Success",
    "AgentState_Rest_Timeout",
    "AgentState_CancelRest_Success",
    "AgentState_Work",
    "AgentState_CancelWork_Success",
    "AgentState_Busy",
    "AgentEvent_Ringing",
    "AgentEvent_Incoming_CallInfo",
    "AgentEvent_Talking",
    "AgentEvent_Customer_Alerting",
    "AgentEvent_Hold",
    "AgentEvent_Conference",
    "AgentEvent_No_Answer",
    "AgentEvent_Call_Release",
    "AgentEvent_Customer_Release",
    "AgentEvent_Connect_Fail",
    "AgentEvent_Call_Out_Fail",
    "AgentEvent_Consult_Fail",
    "AgentEvent_SuccTransResult",
    "Totally_Unknown",
];

/// Decodes a poll body and steps every event through a session, as the toolbar does.
fn huawei_pipeline(body: &str, session: &mut Session) {
    if let Ok(env) = huawei::decode_envelope(body) {
        let _ = huawei::decode_hold_list(&env.result);
        let _ = serde_json::from_value::<huawei::AgentStatus>(env.result.clone());
        let _ = serde_json::from_value::<huawei::CallRecord>(env.result.clone());
        for raw in huawei::poll_events(&env).events {
            if let hw::Decoded::Event(e) = hw::decode_event(&raw) {
                step(session, Input::Event(e), 1);
            }
        }
    }
}

fn webhook_pipeline(body: &str, st: &mut ccc::CccState, session: &mut Session) {
    if let Ok(ev) = aliyun::decode_webhook(body) {
        let decoded = agentbar::adapter::aliyun_push::decode(&ev, st);
        for e in decoded.events {
            step(session, Input::Event(e), 1);
        }
    }
}

fn ccc_pipeline(body: &str, last: &mut aliyun::Contexts, session: &mut Session) {
    if let Ok(env) = aliyun::decode_envelope(body) {
        let _ = ccc::error_of(&env);
        let _ = serde_json::from_value::<aliyun::CallDetailRecord>(env.data.clone())
            .map(|r| agentbar::core::cdr::from_ccc(&r));
        let next = ccc::merge(last, aliyun::contexts(&env.data), env.data.get("CallContext").is_some());
        for e in ccc::diff(last, &next, "agent101@ccc-demo") {
            step(session, Input::Event(e), 1);
        }
        *last = next;
    }
}

proptest! {
    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let mut s = Session::default();
        huawei_pipeline(&text, &mut s);
        ccc_pipeline(&text, &mut aliyun::Contexts::default(), &mut s);
        let _ = hw::guid_from_header(&text);
        let _ = agentbar::embed::protocol::parse_envelope(&serde_json::from_str(&text).unwrap_or(Value::Null));
        webhook_pipeline(&text, &mut ccc::CccState::default(), &mut s);
    }

    /// A relayed CCC webhook event (issue 15) with any JSON in any of its fields, known and
    /// unknown event types: decoded into a Result, mapped, stepped; never a panic.
    #[test]
    fn any_json_in_a_ccc_webhook_event_never_panics(
        kind in prop::sample::select(&["AgentReady", "AgentBreak", "AgentRelease", "AgentCheckIn", "AgentCheckOut",
            "AgentRinging", "AgentTalk", "AgentDialing", "Ringing", "Dialing", "Established", "Released", "Held", "Retrieved",
            "Muted", "Unmuted", "Enqueue", "AssignAgent", "Abandoned", "RingingTimeout", "QueueingTimeout",
            "InitiateConsultant", "StartConsultant", "StopConsultant", "StartConference", "StopConference",
            "BlindTransfer", "AttendedTransfer", "CDRReady", "RecordingReady", "SomethingNew", ""][..]),
        fields in prop::collection::vec((prop::sample::select(&["eventTime", "instanceId", "agentId", "contactId", "channelId",
            "callType", "skillGroupId", "scenario", "breakCode", "eventType", "extra"][..]), arb_json()), 0..8),
    ) {
        let mut event = serde_json::Map::new();
        event.insert("eventType".into(), json!(kind));
        event.insert("agentId".into(), json!("agent101@ccc-demo"));
        for (k, v) in fields {
            event.insert(k.to_string(), v);
        }
        let mut st = ccc::CccState { user_id: "agent101@ccc-demo".into(), ..Default::default() };
        let mut s = Session::default();
        for _ in 0..2 {
            webhook_pipeline(&Value::Object(event.clone()).to_string(), &mut st, &mut s);
        }
    }

    #[test]
    fn any_json_in_a_huawei_event_never_panics(
        kind in prop::sample::select(HUAWEI_EVENTS),
        content in arb_json(),
        as_list in any::<bool>(),
        work_no in arb_json(),
    ) {
        let event = json!({"eventType": kind, "workNo": work_no, "content": content, "eventGenTime": "x"});
        let body = json!({"message": "", "retcode": "0", "event": if as_list { json!([event.clone(), event]) } else { event }});
        let mut s = Session { agent: agentbar::core::AgentState::Idle, ..Default::default() };
        huawei_pipeline(&body.to_string(), &mut s);
        huawei_pipeline(&json!({"retcode": "0", "result": content_or(&body)}).to_string(), &mut s);
    }

    #[test]
    fn any_json_in_ccc_contexts_never_panics(user in arb_json(), call in arb_json(), channels in prop::collection::vec(arb_json(), 0..4), state in prop::sample::select(&["READY", "RINGING", "TALKING", "BREAK", "OFFLINE", "WORKING", "DIALING", ""][..])) {
        let mut call = call;
        if let Value::Object(m) = &mut call {
            m.insert("JobId".into(), json!("job-1"));
            m.insert("ChannelContexts".into(), Value::Array(channels));
        }
        let mut user = user;
        if let Value::Object(m) = &mut user {
            m.insert("UserState".into(), json!(state));
        }
        let body = json!({"Code": "OK", "HttpStatusCode": 200, "RequestId": "r", "Data": {"UserContext": user, "CallContext": call}});
        let mut s = Session { agent: agentbar::core::AgentState::Idle, ..Default::default() };
        let mut last = aliyun::Contexts::default();
        ccc_pipeline(&body.to_string(), &mut last, &mut s);
        ccc_pipeline(&json!({"Code": "OK", "Data": {}}).to_string(), &mut last, &mut s);
    }

    #[test]
    fn any_json_as_a_cdr_or_an_error_never_panics(data in arb_json(), params in arb_json(), code in ".{0,20}") {
        let body = json!({"Code": code, "HttpStatusCode": 400, "Message": "m", "RequestId": "r", "Params": params, "Data": data});
        ccc_pipeline(&body.to_string(), &mut aliyun::Contexts::default(), &mut Session::default());
    }

    #[test]
    fn any_host_message_never_panics(msg in arb_json(), kind in prop::sample::select(&["hello", "subscribe", "dial", "answer", "reject", "retrieve", "transfer", "consult", "setState", "x"][..])) {
        let env = json!({"v": 1, "type": kind, "id": "i", "ts": 1, "payload": msg});
        if let Ok(env) = agentbar::embed::protocol::parse_envelope(&env) {
            let s = Session::default();
            let _ = agentbar::embed::parse_command(&env, &s, agentbar::core::transfer::TransferKind::Voice);
        }
    }
}

fn content_or(body: &Value) -> Value {
    body.get("event").cloned().unwrap_or(Value::Null)
}
