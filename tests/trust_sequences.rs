//! Issue 11: the everyday cases where a click, a key or a late answer used to lose a call from
//! the agent's view. One test per hole, named after its sequence; each steps the pure core
//! (and the vendor adapters) the way the browser's I/O layer does.

use agentbar::adapter::aliyun::{self as ccc, Answer, CccState};
use agentbar::adapter::huawei::{decode_event, Decoded};
use agentbar::core::actions::Action;
use agentbar::core::model::{AgentState, CallPhase, Connection, ConsultState};
use agentbar::core::step::{
    step, CallSummary, Effect, InitialState, Input, Intent, RejectMode, ReportedState,
};
use agentbar::core::transfer::{ConsultTarget, DeviceType, TransferKind, TransferRequest};
use agentbar::core::{allowed_actions, ErrorKind, GatewayError, Refusal, Session};
use agentbar::i18n::Msg;
use agentbar::protocol::huawei::{decode_envelope, poll_events};
use serde_json::{json, Value};

// ---------------------------------------------------------------- CC-Gateway helpers

fn poll(s: &mut Session, event_type: &str, content: Value, now: u64) -> Vec<Effect> {
    let body = json!({"message": "", "retcode": "0",
        "event": {"eventType": event_type, "workNo": "101", "content": content}});
    let env = decode_envelope(&body.to_string()).expect("an envelope");
    let mut effects = vec![];
    for raw in poll_events(&env).events {
        match decode_event(&raw) {
            Decoded::Event(e) => effects.extend(step(s, Input::Event(e), now)),
            other => panic!("{} did not decode: {other:?}", raw.event_type),
        }
    }
    effects
}

fn signed_in() -> Session {
    let mut s = Session::default();
    let intent = Intent::SignIn {
        agent_id: "101".into(),
        password: "agent123".into(),
        phone: "70001".into(),
        initial: InitialState::Idle,
        force: false,
        auto_enter_idle: true,
    };
    assert_eq!(request(&mut s, intent.clone()), Ok(()));
    step(&mut s, Input::Done { intent, result: Ok(Value::Null) }, 1);
    poll(&mut s, "AgentOther_InService", Value::Null, 2);
    poll(&mut s, "AgentState_Ready", Value::Null, 3);
    assert_eq!(s.agent, AgentState::Idle);
    s
}

/// Passes an intent through the gate: Ok when it would go out as a request.
fn request(s: &mut Session, intent: Intent) -> Result<(), Refusal> {
    let effects = step(s, Input::Intent(intent.clone()), 0);
    match effects.as_slice() {
        [Effect::Request(sent)] if *sent == intent => Ok(()),
        [Effect::Refused(_, why)] => Err(*why),
        other => panic!("unexpected gate effects {other:?}"),
    }
}

fn ring(s: &mut Session, callid: &str, now: u64) {
    poll(
        s,
        "AgentEvent_Ringing",
        json!({"caller": "13800000000", "called": "4001", "callid": callid, "feature": 0, "mediaAbility": 1}),
        now,
    );
}

fn talking(s: &mut Session, callid: &str, now: u64) {
    poll(s, "AgentEvent_Talking", json!({"callid": callid, "caller": "13800000000", "called": "4001"}), now);
}

fn no_call(code: &str) -> GatewayError {
    GatewayError {
        kind: ErrorKind::NoCall,
        code: code.into(),
        message: "no call".into(),
        retry_after_secs: None,
    }
}

fn summary(id: &str) -> CallSummary {
    CallSummary {
        call_id: id.into(),
        caller: "13800000000".into(),
        called: "4001".into(),
        feature: 0,
        skill: None,
        answered: true,
    }
}

/// The gateway's re-read answers: `current` the call it reports, no held calls.
fn resynced(s: &mut Session, as_of: u64, state: ReportedState, current: Option<CallSummary>, now: u64) {
    step(s, Input::Resynced { as_of, state, current, held: Some(vec![]) }, now);
}

// ---------------------------------------------------------------- intents are idempotent

#[test]
fn double_clicked_answer_sends_one_request_and_a_late_200_002_keeps_the_live_call() {
    let mut s = signed_in();
    ring(&mut s, "A-1", 10);
    let answer = Intent::Answer { call_id: "A-1".into() };
    assert_eq!(request(&mut s, answer.clone()), Ok(()));
    // Second click (or Alt+A again) while the first is on its way: dropped at the gate.
    assert_eq!(request(&mut s, answer.clone()), Err(Refusal::InProgress));
    assert!(s.is_pending(Action::Answer, "A-1"));
    step(&mut s, Input::Done { intent: answer.clone(), result: Ok(Value::Null) }, 11);
    // Answered at the gateway, the Talking event not here yet: still no second answer.
    assert_eq!(s.call("A-1").map(|c| c.phase), Some(CallPhase::Ringing));
    assert_eq!(request(&mut s, answer.clone()), Err(Refusal::NotAllowed));
    talking(&mut s, "A-1", 12);
    // A gateway that did get a second answer says 200-002: the live call stays.
    step(&mut s, Input::Done { intent: answer, result: Err(no_call("200-002")) }, 13);
    let call = s.active().expect("the call the agent talks on");
    assert_eq!((call.id.as_str(), call.phase), ("A-1", CallPhase::Talking));
    assert!(allowed_actions(&s).contains(Action::HangUp));
    assert!(s.notice().is_none(), "no 'call is gone' for a call that is not gone");
}

#[test]
fn a_200_002_to_answer_of_a_call_that_still_rings_takes_it_away() {
    let mut s = signed_in();
    ring(&mut s, "A-2", 10);
    let answer = Intent::Answer { call_id: "A-2".into() };
    request(&mut s, answer.clone()).unwrap();
    step(&mut s, Input::Done { intent: answer, result: Err(no_call("200-002")) }, 11);
    assert!(s.calls.is_empty());
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::CallAlreadyGone));
}

#[test]
fn double_clicked_hang_up_with_a_held_call_never_hangs_up_the_held_customer() {
    let mut s = signed_in();
    ring(&mut s, "H-1", 10);
    talking(&mut s, "H-1", 11);
    poll(&mut s, "AgentEvent_Hold", json!("H-1"), 12);
    ring(&mut s, "T-1", 13);
    talking(&mut s, "T-1", 14);
    let hang = Intent::HangUp { call_id: "T-1".into() };
    request(&mut s, hang.clone()).unwrap();
    assert_eq!(request(&mut s, hang.clone()), Err(Refusal::InProgress));
    step(&mut s, Input::Done { intent: hang.clone(), result: Ok(Value::Null) }, 15);
    // Hung up at the gateway, release event still on its way: a third click is refused too.
    assert_eq!(request(&mut s, hang), Err(Refusal::NotAllowed));
    poll(&mut s, "AgentEvent_Call_Release", json!("T-1"), 16);
    assert_eq!(s.held().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["H-1"]);
}

#[test]
fn dtmf_typed_fast_goes_out_in_order_behind_the_digit_on_its_way() {
    let mut s = signed_in();
    ring(&mut s, "D-1", 10);
    talking(&mut s, "D-1", 11);
    let digit = |d: &str| Intent::Dtmf { call_id: "D-1".into(), digits: d.into() };
    request(&mut s, digit("1")).unwrap();
    assert_eq!(step(&mut s, Input::Intent(digit("2")), 12), vec![Effect::Accepted(digit("2"))]);
    assert_eq!(step(&mut s, Input::Intent(digit("3")), 12), vec![Effect::Accepted(digit("3"))]);
    let next = step(&mut s, Input::Done { intent: digit("1"), result: Ok(Value::Null) }, 13);
    assert_eq!(next, vec![Effect::Request(digit("23"))]);
    assert!(step(&mut s, Input::Done { intent: digit("23"), result: Ok(Value::Null) }, 14).is_empty());
    assert!(s.pending.is_empty());
}

#[test]
fn mute_and_unmute_set_the_state_a_repeated_answer_cannot_flip_it() {
    let mut s = signed_in();
    ring(&mut s, "M-1", 10);
    talking(&mut s, "M-1", 11);
    let mute = Intent::Mute { call_id: "M-1".into() };
    step(&mut s, Input::Done { intent: mute.clone(), result: Ok(Value::Null) }, 12);
    step(&mut s, Input::Done { intent: mute, result: Ok(Value::Null) }, 13);
    assert!(s.call("M-1").unwrap().muted, "muted twice is muted");
    let unmute = Intent::Unmute { call_id: "M-1".into() };
    step(&mut s, Input::Done { intent: unmute.clone(), result: Ok(Value::Null) }, 14);
    step(&mut s, Input::Done { intent: unmute, result: Ok(Value::Null) }, 15);
    assert!(!s.call("M-1").unwrap().muted);
}

#[test]
fn a_command_for_a_call_that_is_not_on_screen_is_refused() {
    let mut s = signed_in();
    ring(&mut s, "R-1", 10);
    talking(&mut s, "R-1", 11);
    assert_eq!(request(&mut s, Intent::Hold { call_id: "other".into() }), Err(Refusal::NoSuchCall));
    assert_eq!(request(&mut s, Intent::Answer { call_id: "R-1".into() }), Err(Refusal::NotAllowed));
}

// ---------------------------------------------------------------- answers are ordered

#[test]
fn a_late_resync_answer_does_not_re_hold_a_retrieved_call() {
    let mut s = signed_in();
    ring(&mut s, "L-1", 10);
    talking(&mut s, "L-1", 11);
    poll(&mut s, "AgentEvent_Hold", json!("L-1"), 12);
    // A resync goes out while the call is held…
    let as_of = s.gen;
    // …the agent retrieves it and the gateway says so…
    talking(&mut s, "L-1", 13);
    // …then the resync's answer (read before the retrieve) arrives.
    step(
        &mut s,
        Input::Resynced {
            as_of,
            state: ReportedState::InCall,
            current: None,
            held: Some(vec![summary("L-1")]),
        },
        14,
    );
    assert_eq!(s.call("L-1").map(|c| c.phase), Some(CallPhase::Talking));
}

#[test]
fn a_late_hold_list_answer_does_not_revive_a_released_call() {
    let mut s = signed_in();
    ring(&mut s, "L-2", 10);
    talking(&mut s, "L-2", 11);
    poll(&mut s, "AgentEvent_Hold", json!("L-2"), 12);
    let as_of = s.gen;
    poll(&mut s, "AgentEvent_Customer_Release", json!({"callid": "L-2", "number": "13800000000"}), 13);
    step(&mut s, Input::HoldList { as_of, held: vec![summary("L-2")] }, 14);
    assert!(s.calls.is_empty(), "the customer hung up after the list was read");
    // A list read after the release is the gateway's word: it is believed.
    let as_of = s.gen;
    step(&mut s, Input::HoldList { as_of, held: vec![summary("L-2")] }, 15);
    assert_eq!(s.held().count(), 1);
}

/// Found by the model-based test (seed 1796181029718118003): a resync took the dialled call
/// off the screen, its release event came next, and the dial's own late answer then put it
/// back as "Dialing" for good.
#[test]
fn a_dial_answer_after_the_call_was_released_does_not_bring_it_back() {
    let mut s = signed_in();
    let dial = Intent::CallOut { number: "013800000000".into() };
    assert_eq!(request(&mut s, dial.clone()), Ok(()));
    let as_of = s.gen;
    resynced(&mut s, as_of, ReportedState::Idle, None, 10);
    poll(&mut s, "AgentEvent_Call_Release", json!("D-1"), 11);
    step(&mut s, Input::Done { intent: dial, result: Ok(json!("D-1")) }, 12);
    assert!(s.calls.is_empty(), "the gateway said D-1 was over before the dial's answer came");
}

#[test]
fn a_resync_that_reports_another_call_drops_a_connected_call_the_gateway_no_longer_has() {
    let mut s = signed_in();
    let dial = Intent::CallOut { number: "013800000000".into() };
    assert_eq!(request(&mut s, dial.clone()), Ok(()));
    step(&mut s, Input::Done { intent: dial, result: Ok(json!("D-2")) }, 10);
    assert!(s.call("D-2").is_some());
    // The dial's end was never heard of; the gateway now rings the agent with another call.
    let as_of = s.gen;
    let ringing = CallSummary { answered: false, ..summary("R-2") };
    resynced(&mut s, as_of, ReportedState::InCall, Some(ringing), 11);
    // A dialled call outranks a ringing one in the gateway's report: it is gone there.
    assert!(s.call("D-2").is_none());
    assert_eq!(s.call("R-2").map(|c| c.phase), Some(CallPhase::Ringing));
}

#[test]
fn a_resync_that_reports_the_connected_call_keeps_a_second_ringing_call_and_a_newer_one() {
    let mut s = signed_in();
    ring(&mut s, "T-3", 10);
    talking(&mut s, "T-3", 11);
    let as_of = s.gen;
    ring(&mut s, "R-3", 12);
    // Read before R-3 rang, answered after: R-3 is newer than the read.
    resynced(&mut s, as_of, ReportedState::InCall, Some(summary("T-3")), 13);
    assert_eq!(s.call("R-3").map(|c| c.phase), Some(CallPhase::Ringing));
    // Read after: a ringing call can hide behind the connected one in the report.
    let as_of = s.gen;
    resynced(&mut s, as_of, ReportedState::InCall, Some(summary("T-3")), 14);
    assert_eq!(s.call("R-3").map(|c| c.phase), Some(CallPhase::Ringing));
    assert_eq!(s.call("T-3").map(|c| c.phase), Some(CallPhase::Talking));
}

#[test]
fn a_resync_that_reports_the_consult_leg_keeps_the_customer() {
    let mut s = signed_in();
    ring(&mut s, "C-4", 10);
    talking(&mut s, "C-4", 11);
    let consult = Intent::Consult {
        customer_call_id: "C-4".into(),
        target: ConsultTarget { device: DeviceType::Agent, address: "102".into() },
    };
    assert_eq!(request(&mut s, consult), Ok(()));
    // The consult's answer is still on its way when the resync reports its leg as current.
    let as_of = s.gen;
    let leg = CallSummary { feature: 51, answered: false, ..summary("L-4") };
    resynced(&mut s, as_of, ReportedState::InCall, Some(leg), 12);
    assert!(s.call("C-4").is_some(), "the customer stays while the consult leg is reported");
}

#[test]
fn a_late_resync_does_not_sign_out_an_agent_who_signed_in_since() {
    let mut s = signed_in();
    let as_of = s.gen - 3; // read before the sign-in's events
    resynced(&mut s, as_of, ReportedState::SignedOut, None, 9);
    assert_eq!(s.agent, AgentState::Idle);
}

#[test]
fn late_or_repeated_ringing_never_demotes_an_answered_call() {
    let mut s = signed_in();
    ring(&mut s, "G-1", 10);
    talking(&mut s, "G-1", 11);
    ring(&mut s, "G-1", 12);
    assert_eq!(s.active().map(|c| (c.id.as_str(), c.phase)), Some(("G-1", CallPhase::Talking)));
    assert!(s.ringing().is_none());
    poll(&mut s, "AgentEvent_Hold", json!("G-1"), 13);
    ring(&mut s, "G-1", 14);
    assert_eq!(s.call("G-1").map(|c| c.phase), Some(CallPhase::Held));
}

// ---------------------------------------------------------------- no inference

#[test]
fn a_consult_failure_that_names_the_customer_keeps_the_customer() {
    let mut s = signed_in();
    ring(&mut s, "C-1", 10);
    talking(&mut s, "C-1", 11);
    let intent = Intent::Consult {
        customer_call_id: "C-1".into(),
        target: ConsultTarget { device: DeviceType::Agent, address: "102".into() },
    };
    poll(&mut s, "AgentEvent_Hold", json!("C-1"), 12);
    step(&mut s, Input::Done { intent, result: Ok(json!("L-9")) }, 12);
    let effects = poll(&mut s, "AgentEvent_Consult_Fail", json!("C-1"), 13);
    assert!(s.call("C-1").is_some(), "the customer is still on the line");
    assert_eq!(s.consult.as_ref().map(|c| c.state), Some(ConsultState::Ended));
    assert_eq!(effects, vec![Effect::Send(Intent::Retrieve { call_id: "C-1".into() })]);
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::ConsultFailed));
}

#[test]
fn ready_or_phone_release_with_calls_on_screen_asks_the_gateway_once() {
    let mut s = signed_in();
    ring(&mut s, "P-1", 10);
    talking(&mut s, "P-1", 11);
    // The release event was lost; the phone went on-hook and the agent became ready.
    assert_eq!(poll(&mut s, "AgentOther_PhoneRelease", json!({"phoneState": 2}), 12), vec![Effect::Resync]);
    assert_eq!(poll(&mut s, "AgentState_Ready", Value::Null, 12), vec![Effect::Resync]);
    assert!(s.call("P-1").is_some(), "not inferred away: the resync decides");
    let as_of = s.gen;
    resynced(&mut s, as_of, ReportedState::Idle, None, 13);
    assert!(s.calls.is_empty());
    // With nothing on screen, Ready needs no read.
    assert!(poll(&mut s, "AgentState_Ready", Value::Null, 14).is_empty());
}

#[test]
fn both_spellings_of_the_mode_1_reject_trigger_set_busy() {
    for spelling in ["AgentEvent_SetNotReady_Success", "AgentState_SetNotReady_Success"] {
        let mut s = signed_in();
        ring(&mut s, "1455885056-1095", 10);
        let reject = Intent::Reject { call_id: "1455885056-1095".into(), mode: RejectMode::Requeue };
        request(&mut s, reject.clone()).unwrap();
        step(&mut s, Input::Done { intent: reject, result: Ok(json!({})) }, 11);
        poll(&mut s, "AgentEvent_No_Answer", json!("1455885056-1095"), 11);
        poll(&mut s, spelling, json!(7), 11);
        assert_eq!(s.agent, AgentState::Busy { reason: 7 }, "{spelling}");
        assert!(s.calls.is_empty());
    }
}

// ---------------------------------------------------------------- sign-out and notices

#[test]
fn sign_out_with_a_held_customer_is_not_sent_without_the_agents_confirmation() {
    let mut s = signed_in();
    ring(&mut s, "S-1", 10);
    talking(&mut s, "S-1", 11);
    poll(&mut s, "AgentEvent_Hold", json!("S-1"), 12);
    assert_eq!(request(&mut s, Intent::SignOut), Err(Refusal::NotAllowed));
    assert_eq!(s.held().count(), 1);
    // The confirmation names the calls and sends this instead; the gateway decides.
    assert_eq!(request(&mut s, Intent::SignOutLeavingCalls), Ok(()));
    let refused = GatewayError {
        kind: ErrorKind::SignOutRefused,
        code: "100-010".into(),
        message: String::new(),
        retry_after_secs: None,
    };
    step(&mut s, Input::Done { intent: Intent::SignOutLeavingCalls, result: Err(refused) }, 13);
    assert_eq!(s.held().count(), 1, "a refused sign-out keeps the held customer on screen");
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::SignOutInCall));
}

#[test]
fn notices_stack_and_are_dismissed_one_by_one() {
    let mut s = signed_in();
    let fail = |code: &str| GatewayError {
        kind: ErrorKind::Other,
        code: code.into(),
        message: String::new(),
        retry_after_secs: None,
    };
    step(&mut s, Input::Done { intent: Intent::Ready, result: Err(fail("100-001")) }, 1);
    step(&mut s, Input::Done { intent: Intent::EnterWrapUp, result: Err(fail("200-001")) }, 2);
    step(&mut s, Input::Done { intent: Intent::Ready, result: Err(fail("100-001")) }, 3);
    let codes: Vec<_> = s.notices.iter().map(|n| n.code.clone().unwrap_or_default()).collect();
    assert_eq!(codes, ["200-001", "100-001"], "the repeat replaces its older copy");
    let first = s.notices[0].id;
    step(&mut s, Input::DismissNotice(first), 4);
    assert_eq!(s.notices.len(), 1);
    assert_eq!(s.notice().and_then(|n| n.code.as_deref()), Some("100-001"));
}

#[test]
fn a_read_that_fails_after_the_gateway_signed_the_agent_out_keeps_the_reason_on_top() {
    let mut s = signed_in();
    talking(&mut s, "c1", 10);
    poll(&mut s, "AgentOther_ShutdownService", Value::Null, 20);
    assert!(!s.agent.is_signed_in());
    let not_signed_in = GatewayError {
        kind: ErrorKind::Other,
        code: "100-002".into(),
        message: "agent not signed in".into(),
        retry_after_secs: None,
    };
    step(&mut s, Input::ReadFailed(not_signed_in), 21);
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::SignedOutByGateway));
    let gone = GatewayError {
        kind: ErrorKind::SessionLost,
        code: "100-006".into(),
        message: String::new(),
        retry_after_secs: None,
    };
    step(&mut s, Input::ReadFailed(gone.clone()), 22);
    step(&mut s, Input::SessionLost(gone), 23);
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::SignedOutByGateway));
    assert_eq!(s.notices.len(), 1);
}

// ---------------------------------------------------------------- CCC (seed 000)

const ME: &str = "agent@ccc-test";
const JOB: &str = "job-6538214103685****";
const LEG: &str = "ch:user:1390501****->8032****:1609138902226:job-653821410368****";

fn ccc_session() -> (Session, CccState) {
    let mut s = Session {
        agent_id: "agent".into(),
        agent: AgentState::Idle,
        connection: Connection::Online,
        supported: ccc::supported(),
        ..Default::default()
    };
    s.gen = 1;
    let st = CccState { user_id: ME.into(), device_id: "device".into(), ..Default::default() };
    (s, st)
}

fn customer(flags: &str) -> Value {
    json!({"ChannelId": "ch:customer:13800000000->4001", "ChannelState": "ANSWERED", "CallType": "INBOUND",
           "UserId": "", "Originator": "13800000000", "Destination": "4001", "ChannelFlags": flags, "JobId": JOB})
}

fn agent_leg() -> Value {
    json!({"ChannelId": "ch:agent", "ChannelState": "ANSWERED", "CallType": "INBOUND", "UserId": ME,
           "Originator": "13800000000", "Destination": "8032****", "JobId": JOB})
}

fn consultee(state: &str) -> Value {
    json!({"ChannelId": LEG, "ChannelState": state, "CallType": "CONSULTANT", "UserId": "agent2@ccc-test",
           "Originator": "8032****", "Destination": "1390501****", "JobId": JOB})
}

fn data(context_id: i64, user_state: &str, call: Value) -> Value {
    json!({"ContextId": context_id, "UserContext": {"UserId": ME, "UserState": user_state, "JobId": JOB},
           "CallContext": call})
}

fn call(channels: Vec<Value>) -> Value {
    json!({"JobId": JOB, "CallType": "INBOUND", "InstanceId": "ccc-test", "ChannelContexts": channels})
}

fn absorb(s: &mut Session, st: &mut CccState, data: &Value, answer: Answer) {
    for event in ccc::absorb(st, data, answer) {
        step(s, Input::Event(event), 100);
    }
}

/// The agent talks to the customer and consults a colleague (ringing or answered).
fn ccc_consulting(consultee_state: &str) -> (Session, CccState) {
    let (mut s, mut st) = ccc_session();
    absorb(&mut s, &mut st, &data(103_600, "TALKING", call(vec![customer(""), agent_leg()])), Answer::Poll);
    assert_eq!(s.active().map(|c| c.id.as_str()), Some(JOB));
    let intent = Intent::Consult {
        customer_call_id: JOB.into(),
        target: ConsultTarget { device: DeviceType::Agent, address: "agent2@ccc-test".into() },
    };
    request(&mut s, intent.clone()).unwrap();
    let answer =
        data(103_610, "TALKING", call(vec![customer("HOLDING"), agent_leg(), consultee(consultee_state)]));
    absorb(&mut s, &mut st, &answer, Answer::Operation(&intent));
    let result = ccc::result_of(&intent, &answer);
    step(&mut s, Input::Done { intent, result: Ok(result) }, 101);
    assert_eq!(s.consult.as_ref().and_then(|c| c.leg_call_id.as_deref()), Some(LEG));
    (s, st)
}

fn seed_000_data() -> Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/aliyun/cancel_attended_transfer_seed000.json"),
    )
    .expect("seed 000 fixture");
    serde_json::from_str::<Value>(&text).expect("json")["Data"].clone()
}

#[test]
fn ccc_cancel_answered_as_seed_000_shows_the_customer_at_once_and_hang_up_releases_the_customer_job() {
    for consultee_state in ["RINGING", "ANSWERED"] {
        let (mut s, mut st) = ccc_consulting(consultee_state);
        let cancel = Intent::CancelConsult { customer_call_id: JOB.into(), leg_call_id: Some(LEG.into()) };
        request(&mut s, cancel.clone()).unwrap();
        let plan = ccc::plan(&cancel, &st);
        assert_eq!((plan[0].action, &plan[0].params["JobId"]), ("CancelAttendedTransfer", &json!(JOB)));
        // The answer still lists the consult leg ANSWERED and the agent TALKING (seed 000).
        absorb(&mut s, &mut st, &seed_000_data(), Answer::Operation(&cancel));
        step(&mut s, Input::Done { intent: cancel, result: Ok(Value::Null) }, 102);
        let current = s.active().expect("the customer is the current call");
        assert_eq!(
            (current.id.as_str(), current.phase, current.other_party()),
            (JOB, CallPhase::Talking, "13800000000")
        );
        assert!(s.call(LEG).is_none() && s.consult.is_none(), "{consultee_state}");
        // A poll that still lists the cancelled leg is not believed.
        let stale = data(103_700, "TALKING", call(vec![customer(""), agent_leg(), consultee("ANSWERED")]));
        absorb(&mut s, &mut st, &stale, Answer::Poll);
        assert_eq!(s.active().map(|c| c.id.as_str()), Some(JOB));
        // Hang up right after: ReleaseCall with the customer's JobId, never the leg's ChannelId.
        let hang = Intent::HangUp { call_id: s.active().unwrap().id.clone() };
        request(&mut s, hang.clone()).unwrap();
        let plan = ccc::plan(&hang, &st);
        assert_eq!((plan[0].action, &plan[0].params["JobId"]), ("ReleaseCall", &json!(JOB)));
    }
}

#[test]
fn ccc_hang_up_of_a_consult_leg_cancels_the_consult_instead_of_sending_a_channel_id_as_job_id() {
    let (s, st) = ccc_consulting("ANSWERED");
    assert_eq!(s.active().map(|c| c.id.as_str()), Some(LEG), "the consultee is the current call");
    let plan = ccc::plan(&Intent::HangUp { call_id: LEG.into() }, &st);
    assert_eq!((plan[0].action, &plan[0].params["JobId"]), ("CancelAttendedTransfer", &json!(JOB)));
    let plan = ccc::plan(&Intent::Mute { call_id: LEG.into() }, &st);
    assert_eq!(plan[0].params["JobId"], json!(JOB));
}

#[test]
fn ccc_a_hang_up_ends_the_call_on_screen_however_poll_user_status_says_there_is_none() {
    let released = |flags: &str| {
        let mut c = customer(flags);
        c["ChannelState"] = json!("RELEASED");
        let mut a = agent_leg();
        a["ChannelState"] = json!("RELEASED");
        call(vec![c, a])
    };
    let forms: [(&str, Value); 3] = [
        ("CallContext: null", data(103_800, "WORKING", Value::Null)),
        (
            "no CallContext key",
            json!({"ContextId": 103_800, "UserContext": {"UserId": ME, "UserState": "WORKING", "JobId": ""}}),
        ),
        ("every leg RELEASED", data(103_800, "WORKING", released(""))),
    ];
    for (form, answer) in forms {
        let (mut s, mut st) = ccc_session();
        absorb(
            &mut s,
            &mut st,
            &data(103_600, "TALKING", call(vec![customer(""), agent_leg()])),
            Answer::Poll,
        );
        assert!(s.active().is_some());
        absorb(&mut s, &mut st, &answer, Answer::Poll);
        assert!(s.calls.is_empty(), "{form}: the call ended on screen");
        assert_eq!(s.agent, AgentState::WrapUp, "{form}");
    }
}

#[test]
fn ccc_answers_are_applied_in_context_id_order() {
    let (mut s, mut st) = ccc_session();
    absorb(&mut s, &mut st, &data(200, "TALKING", call(vec![customer(""), agent_leg()])), Answer::Poll);
    absorb(
        &mut s,
        &mut st,
        &data(202, "TALKING", call(vec![customer("HOLDING"), agent_leg()])),
        Answer::Poll,
    );
    assert_eq!(s.call(JOB).map(|c| c.phase), Some(CallPhase::Held));
    // A poll answered before the hold arrives last: dropped, the call stays held.
    absorb(&mut s, &mut st, &data(201, "TALKING", call(vec![customer(""), agent_leg()])), Answer::Poll);
    assert_eq!(s.call(JOB).map(|c| c.phase), Some(CallPhase::Held));
    // And a late empty snapshot does not end the call.
    absorb(&mut s, &mut st, &data(199, "READY", Value::Null), Answer::Poll);
    assert!(s.call(JOB).is_some());
}

#[test]
fn ccc_talk_first_transfer_is_a_consult_with_complete_and_cancel() {
    let (mut s, mut st) = ccc_session();
    absorb(&mut s, &mut st, &data(103_600, "TALKING", call(vec![customer(""), agent_leg()])), Answer::Poll);
    let intent = Intent::Transfer(TransferRequest {
        call_id: JOB.into(),
        kind: TransferKind::Ccc,
        device: DeviceType::Agent,
        mode: 3,
        address: "agent2@ccc-test".into(),
        calldata: None,
        skill_id: None,
    });
    request(&mut s, intent.clone()).unwrap();
    assert_eq!(ccc::plan(&intent, &st)[0].action, "InitiateAttendedTransfer");
    let answer =
        data(103_610, "TALKING", call(vec![customer("HOLDING"), agent_leg(), consultee("ANSWERED")]));
    absorb(&mut s, &mut st, &answer, Answer::Operation(&intent));
    step(&mut s, Input::Done { intent: intent.clone(), result: Ok(ccc::result_of(&intent, &answer)) }, 101);
    let consult = s.consult.clone().expect("a consult bar");
    assert_eq!((consult.leg_call_id.as_deref(), consult.state), (Some(LEG), ConsultState::Talking));
    let actions = allowed_actions(&s);
    assert!(actions.contains(Action::CompleteConsult) && actions.contains(Action::CancelConsult));
    assert_eq!(s.call(LEG).map(|c| c.feature), Some(51), "the target's leg is internal, not a callout");
}

#[test]
fn ccc_consult_events_before_the_answer_show_an_internal_leg_not_a_callout() {
    // The consult leg's events can overtake InitiateAttendedTransfer's own answer (the poll).
    let (mut s, mut st) = ccc_session();
    absorb(&mut s, &mut st, &data(10, "TALKING", call(vec![customer(""), agent_leg()])), Answer::Poll);
    absorb(
        &mut s,
        &mut st,
        &data(11, "TALKING", call(vec![customer("HOLDING"), agent_leg(), consultee("RINGING")])),
        Answer::Poll,
    );
    assert_eq!(
        s.call(LEG).map(|c| (c.feature, c.phase)),
        Some((51, CallPhase::Dialing { far_alerting: true }))
    );
}

#[test]
fn after_a_conference_the_agent_can_consult_again() {
    let mut s = signed_in();
    ring(&mut s, "K-1", 10);
    talking(&mut s, "K-1", 11);
    let consult = Intent::Consult {
        customer_call_id: "K-1".into(),
        target: ConsultTarget { device: DeviceType::Agent, address: "102".into() },
    };
    request(&mut s, consult.clone()).unwrap();
    poll(&mut s, "AgentEvent_Hold", json!("K-1"), 12);
    step(&mut s, Input::Done { intent: consult.clone(), result: Ok(json!("L-1")) }, 12);
    poll(&mut s, "AgentEvent_Talking", json!({"callid": "L-1"}), 13);
    let conf = Intent::Conference { customer_call_id: "K-1".into() };
    request(&mut s, conf.clone()).unwrap();
    step(&mut s, Input::Done { intent: conf, result: Ok(Value::Null) }, 14);
    poll(&mut s, "AgentEvent_Conference", json!({"callid": "K-1", "partner": "13800000000,70002"}), 14);
    assert!(s.consult.is_none());
    assert_eq!(request(&mut s, consult), Ok(()), "{:?}", s.calls);
}
