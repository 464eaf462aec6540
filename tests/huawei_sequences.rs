//! The documented CC-Gateway event sequences (cc-gateway.md §3, §6, §9; seed 004), fed as raw
//! JSON through the decoder and the state machine, event by event.

use agentbar::adapter::huawei::{decode_event, Decoded};
use agentbar::core::actions::Action;
use agentbar::core::model::{AgentState, CallPhase, Connection};
use agentbar::core::step::{step, Effect, InitialState, Input, Intent, RejectMode};
use agentbar::core::{allowed_actions, ErrorKind, GatewayError, Media, Session};
use agentbar::i18n::Msg;
use agentbar::protocol::huawei::{decode_envelope, poll_events};
use serde_json::{json, Value};

/// Decodes one poll body and steps every event in it; returns all effects.
fn poll(s: &mut Session, body: Value, now: u64) -> Vec<Effect> {
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

fn ev(event_type: &str, content: Value) -> Value {
    json!({"message": "", "retcode": "0", "event": {"eventType": event_type, "workNo": "101", "content": content, "eventGenTime": 1_700_000_000_000u64}})
}

fn signed_in(auto_enter_idle: bool) -> Session {
    let mut s = Session::default();
    let intent = Intent::SignIn {
        agent_id: "101".into(),
        password: "agent123".into(),
        phone: "70001".into(),
        initial: InitialState::Idle,
        force: false,
        auto_enter_idle,
    };
    assert_eq!(step(&mut s, Input::Done { intent, result: Ok(Value::Null) }, 0), vec![Effect::StartPolling]);
    assert_eq!(s.agent, AgentState::SigningIn);
    poll(&mut s, ev("AgentOther_InService", Value::Null), 1);
    poll(&mut s, ev("AgentState_Ready", Value::Null), 2);
    assert_eq!(s.agent, AgentState::Idle);
    s
}

fn ring(s: &mut Session, callid: &str, now: u64) {
    poll(
        s,
        ev(
            "AgentEvent_Ringing",
            json!({"caller": "13800000000", "called": "4001", "callid": callid, "type": "main",
                   "feature": 0, "mediaAbility": 1, "transfer": "no", "transfrom": ""}),
        ),
        now,
    );
}

#[test]
fn sign_in_busy_and_wrapup_sequences() {
    for (events, expected) in [
        (vec!["AgentOther_InService", "AgentState_Ready"], AgentState::Idle),
        (
            vec!["AgentOther_InService", "AgentState_Ready", "AgentState_SetNotReady_Success"],
            AgentState::Busy { reason: 0 },
        ),
        (vec!["AgentOther_InService", "AgentState_Ready", "AgentState_Work"], AgentState::WrapUp),
    ] {
        let mut s = Session { agent: AgentState::SigningIn, ..Default::default() };
        for e in events {
            poll(&mut s, ev(e, Value::Null), 5);
        }
        assert_eq!(s.agent, expected);
    }
}

#[test]
fn inbound_answer_customer_release_back_to_ready() {
    let mut s = signed_in(true);
    // Details may come before the ring itself.
    poll(
        &mut s,
        ev(
            "AgentEvent_Incoming_CallInfo",
            json!({"callId": "1501127996-2", "skillName": "VIP", "skillId": 2, "caller": "13800000000", "called": "4001"}),
        ),
        9,
    );
    ring(&mut s, "1501127996-2", 10);
    let call = s.ringing().expect("ringing");
    assert_eq!(
        (call.caller.as_str(), call.skill.as_deref(), call.media),
        ("13800000000", Some("VIP"), Media::Voice)
    );
    let actions = allowed_actions(&s);
    assert!(actions.contains(Action::Answer) && actions.contains(Action::Reject));
    assert!(!actions.contains(Action::SignOut), "no sign-out while a call rings");

    poll(
        &mut s,
        ev(
            "AgentEvent_Talking",
            json!({"caller": "13800000000", "called": "4001", "callid": "1501127996-2", "feature": 0, "mediaAbility": 1}),
        ),
        20,
    );
    assert_eq!(s.active().map(|c| (c.phase, c.phase_since)), Some((CallPhase::Talking, 20)));
    assert!(allowed_actions(&s).contains(Action::Hold));

    poll(
        &mut s,
        ev("AgentEvent_Customer_Release", json!({"callid": "1501127996-2", "number": "13800000000"})),
        30,
    );
    poll(&mut s, ev("AgentEvent_Call_Release", json!("1501127996-2")), 30);
    poll(&mut s, ev("AgentOther_PhoneRelease", json!({"phoneState": 3})), 30);
    poll(&mut s, ev("AgentState_Ready", Value::Null), 31);
    assert!(s.calls.is_empty());
    assert_eq!(s.agent, AgentState::Idle);
}

#[test]
fn after_a_call_without_autoenteridle_the_agent_is_in_wrapup() {
    let mut s = signed_in(false);
    ring(&mut s, "7-1", 10);
    poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "7-1"})), 11);
    poll(&mut s, ev("AgentEvent_Call_Release", json!("7-1")), 12);
    poll(&mut s, ev("AgentOther_PhoneRelease", json!({"phoneState": 2})), 12);
    poll(&mut s, ev("AgentState_Work", Value::Null), 12);
    assert_eq!(s.agent, AgentState::WrapUp);
    assert!(allowed_actions(&s).contains(Action::LeaveWrapUp));
}

#[test]
fn reject_mode_1_requeues_and_sets_busy() {
    let mut s = signed_in(true);
    ring(&mut s, "1455885056-1095", 10);
    poll(&mut s, ev("AgentEvent_No_Answer", json!("1455885056-1095")), 11);
    assert!(s.ringing().is_none(), "the banner goes away on No_Answer");
    poll(&mut s, ev("AgentState_SetNotReady_Success", json!(7)), 11);
    assert_eq!(s.agent, AgentState::Busy { reason: 7 });
}

#[test]
fn reject_mode_2_releases_and_stays_ready() {
    let mut s = signed_in(true);
    ring(&mut s, "1455885056-1096", 10);
    poll(&mut s, ev("AgentEvent_No_Answer", json!({"callid": "1455885056-1096"})), 11);
    poll(&mut s, ev("AgentOther_PhoneRelease", json!({"phoneState": 2})), 11);
    poll(&mut s, ev("AgentState_Ready", Value::Null), 11);
    assert_eq!(s.agent, AgentState::Idle);
    assert!(s.calls.is_empty());
}

#[test]
fn reject_of_a_call_that_is_gone_says_so_and_closes() {
    let mut s = signed_in(true);
    ring(&mut s, "9-9", 10);
    let intent = Intent::Reject { call_id: "9-9".into(), mode: RejectMode::Release };
    let err = GatewayError {
        kind: ErrorKind::NoCall,
        code: "200-002".into(),
        message: "no call".into(),
        retry_after_secs: None,
    };
    step(&mut s, Input::Done { intent, result: Err(err) }, 11);
    assert!(s.ringing().is_none());
    let notice = s.notice().cloned().expect("a notice");
    assert_eq!((notice.msg, notice.code.as_deref()), (Msg::CallAlreadyGone, Some("200-002")));
}

#[test]
fn callout_dials_then_talks_or_fails() {
    let mut s = signed_in(true);
    let intent = Intent::CallOut { number: "013800000000".into() };
    step(&mut s, Input::Done { intent, result: Ok(json!("1700000000-5")) }, 10);
    assert_eq!(s.active().map(|c| c.phase), Some(CallPhase::Dialing { far_alerting: false }));
    poll(&mut s, ev("AgentState_Busy", Value::Null), 10);
    poll(
        &mut s,
        ev(
            "AgentEvent_Customer_Alerting",
            json!({"callid": "1700000000-5", "otherPhone": "013800000000", "type": "main"}),
        ),
        11,
    );
    assert_eq!(s.active().map(|c| c.phase), Some(CallPhase::Dialing { far_alerting: true }));
    poll(
        &mut s,
        ev(
            "AgentEvent_Talking",
            json!({"callid": "1700000000-5", "caller": "4001", "called": "013800000000", "feature": 7}),
        ),
        12,
    );
    let call = s.active().expect("talking");
    assert_eq!((call.phase, call.other_party()), (CallPhase::Talking, "013800000000"));

    let mut s = signed_in(true);
    poll(&mut s, ev("AgentEvent_Customer_Alerting", json!({"callid": "2-2", "otherPhone": "555"})), 11);
    poll(&mut s, ev("AgentEvent_Call_Out_Fail", json!("2-2")), 12);
    assert!(s.calls.is_empty());
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::ConnectFailed));
}

#[test]
fn hold_and_retrieve_refresh_the_hold_list() {
    let mut s = signed_in(true);
    ring(&mut s, "3-1", 10);
    poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "3-1"})), 11);
    assert_eq!(poll(&mut s, ev("AgentEvent_Hold", json!("3-1")), 12), vec![Effect::RefreshHoldList]);
    assert_eq!(s.held().count(), 1);
    assert!(allowed_actions(&s).contains(Action::Retrieve));
    assert_eq!(
        poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "3-1"})), 13),
        vec![Effect::RefreshHoldList]
    );
    assert_eq!(s.held().count(), 0);
}

#[test]
fn session_loss_signs_out_with_the_reason_and_stops_polling() {
    let mut s = signed_in(true);
    ring(&mut s, "4-1", 10);
    let err = GatewayError {
        kind: ErrorKind::SessionLost,
        code: "100-006".into(),
        message: "not login".into(),
        retry_after_secs: None,
    };
    assert_eq!(step(&mut s, Input::SessionLost(err), 20), vec![Effect::StopPolling]);
    let AgentState::SignedOut { reason: Some(n) } = &s.agent else { panic!("{:?}", s.agent) };
    assert_eq!((n.msg, n.code.as_deref()), (Msg::SessionLost, Some("100-006")));
    assert!(s.calls.is_empty());
    assert_eq!(s.connection, Connection::Offline);
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::SessionLost), "the reason is shown");
}

#[test]
fn sign_out_during_a_call_is_refused_with_a_clear_message() {
    let mut s = signed_in(true);
    let err = GatewayError {
        kind: ErrorKind::SignOutRefused,
        code: "100-010".into(),
        message: String::new(),
        retry_after_secs: None,
    };
    step(&mut s, Input::Done { intent: Intent::SignOut, result: Err(err) }, 20);
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::SignOutInCall));
    assert!(s.agent.is_signed_in());
}

#[test]
fn already_signed_in_offers_force_sign_in() {
    let mut s = Session::default();
    let intent = Intent::SignIn {
        agent_id: "101".into(),
        password: "x".into(),
        phone: "70001".into(),
        initial: InitialState::Idle,
        force: false,
        auto_enter_idle: true,
    };
    let err = GatewayError {
        kind: ErrorKind::AlreadySignedIn,
        code: "100-002".into(),
        message: String::new(),
        retry_after_secs: None,
    };
    step(&mut s, Input::Done { intent, result: Err(err) }, 1);
    assert!(s.offer_force_sign_in);
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::AlreadySignedIn));
}

#[test]
fn reconnecting_then_alive_asks_for_a_resync() {
    let mut s = signed_in(true);
    step(&mut s, Input::PollFailing { attempt: 1 }, 100);
    step(&mut s, Input::PollFailing { attempt: 2 }, 900);
    assert_eq!(s.connection, Connection::Reconnecting { attempt: 2, since: 100 });
    assert_eq!(step(&mut s, Input::PollAlive, 1000), vec![Effect::Resync]);
    assert_eq!(s.connection, Connection::Online);
}

#[test]
fn rest_counts_down_from_the_requested_time() {
    let mut s = signed_in(true);
    s.requested_rest_secs = Some(900);
    poll(&mut s, ev("AgentState_SetRest_Success", json!({"reason": 3})), 1000);
    assert_eq!(s.agent, AgentState::Rest { cause: 3, until: Some(901_000), overdue: false });
    poll(&mut s, ev("AgentState_Rest_Timeout", Value::Null), 901_000);
    assert_eq!(s.agent, AgentState::Rest { cause: 3, until: Some(901_000), overdue: true });
    poll(&mut s, ev("AgentState_CancelRest_Success", Value::Null), 902_000);
    assert_eq!(s.agent, AgentState::Idle);
}

fn talking_with(s: &mut Session, callid: &str, now: u64) {
    ring(s, callid, now);
    poll(
        s,
        ev("AgentEvent_Talking", json!({"callid": callid, "caller": "13800000000", "called": "4001"})),
        now + 1,
    );
}

fn consult(s: &mut Session, customer: &str, leg: &str, events_first: bool, now: u64) {
    use agentbar::core::transfer::{ConsultTarget, DeviceType};
    let intent = Intent::Consult {
        customer_call_id: customer.into(),
        target: ConsultTarget { device: DeviceType::Agent, address: "102".into() },
    };
    let alerting = ev(
        "AgentEvent_Customer_Alerting",
        json!({"callid": leg, "otherPhone": "70002", "otherPhoneWorkno": "102", "type": "assistant"}),
    );
    if events_first {
        poll(s, ev("AgentEvent_Hold", json!(customer)), now);
        poll(s, alerting, now);
        step(s, Input::Done { intent, result: Ok(json!(leg)) }, now + 1);
    } else {
        step(s, Input::Done { intent, result: Ok(json!(leg)) }, now);
        poll(s, ev("AgentEvent_Hold", json!(customer)), now + 1);
        poll(s, alerting, now + 1);
    }
}

#[test]
fn consult_rings_then_talks_whatever_order_the_answer_and_the_events_arrive_in() {
    use agentbar::core::model::ConsultState;
    for events_first in [true, false] {
        let mut s = signed_in(true);
        talking_with(&mut s, "C-1", 10);
        consult(&mut s, "C-1", "L-1", events_first, 20);
        let c = s.consult.clone().expect("consulting");
        assert_eq!(
            (c.leg_call_id.as_deref(), c.state),
            (Some("L-1"), ConsultState::Ringing),
            "events_first={events_first}"
        );
        assert_eq!(s.call("C-1").map(|c| c.phase), Some(CallPhase::Held));
        assert!(!allowed_actions(&s).contains(Action::Transfer), "no transfer while consulting");
        poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "L-1"})), 30);
        assert_eq!(s.consult.as_ref().map(|c| c.state), Some(ConsultState::Talking));
    }
}

#[test]
fn consult_cancel_after_the_consultee_answered_returns_to_the_customer() {
    let mut s = signed_in(true);
    talking_with(&mut s, "C-1", 10);
    consult(&mut s, "C-1", "L-1", true, 20);
    poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "L-1"})), 30);
    // Cancel = drop the leg + take the customer off hold; the gateway reports both.
    let cancel = Intent::CancelConsult { customer_call_id: "C-1".into(), leg_call_id: Some("L-1".into()) };
    poll(&mut s, ev("AgentEvent_Call_Release", json!("L-1")), 40);
    assert_eq!(s.consult.as_ref().map(|c| c.state), Some(agentbar::core::model::ConsultState::Ended));
    poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "C-1"})), 41);
    step(&mut s, Input::Done { intent: cancel, result: Ok(Value::Null) }, 41);
    assert!(s.consult.is_none());
    assert_eq!(s.active().map(|c| (c.id.as_str(), c.phase)), Some(("C-1", CallPhase::Talking)));
    assert_eq!(s.calls.len(), 1);
}

#[test]
fn consult_cancel_is_planned_as_drop_leg_then_retrieve() {
    use agentbar::adapter::huawei::plan;
    let p = plan(
        &Intent::CancelConsult { customer_call_id: "C-1".into(), leg_call_id: Some("L-1".into()) },
        "101",
    );
    let paths: Vec<_> =
        p.iter().map(|x| (x.request.method.as_str(), x.request.path.as_str(), x.tolerate_no_call)).collect();
    assert_eq!(
        paths,
        [("POST", "voicecall/101/dropcall/L-1", true), ("POST", "voicecall/101/gethold?callid=C-1", false)]
    );
}

#[test]
fn a_failed_consult_takes_the_customer_back() {
    let mut s = signed_in(true);
    talking_with(&mut s, "C-1", 10);
    consult(&mut s, "C-1", "L-1", true, 20);
    let effects = poll(&mut s, ev("AgentEvent_Consult_Fail", json!("L-1")), 30);
    assert_eq!(effects, vec![Effect::Send(Intent::Retrieve { call_id: "C-1".into() })]);
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::ConsultFailed));
}

#[test]
fn consult_complete_and_conference() {
    // Complete: connecthold hands the customer over; both legs leave the agent.
    let mut s = signed_in(true);
    talking_with(&mut s, "C-1", 10);
    consult(&mut s, "C-1", "L-1", true, 20);
    poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "L-1"})), 30);
    poll(&mut s, ev("AgentEvent_Call_Release", json!("L-1")), 40);
    poll(&mut s, ev("AgentEvent_Customer_Release", json!({"callid": "C-1", "number": "13800000000"})), 40);
    poll(&mut s, ev("AgentState_Ready", Value::Null), 40);
    assert!(s.consult.is_none() && s.calls.is_empty());

    // Conference: the leg merges into the customer's call.
    let mut s = signed_in(true);
    talking_with(&mut s, "C-1", 10);
    consult(&mut s, "C-1", "L-1", true, 20);
    poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "L-1"})), 30);
    poll(&mut s, ev("AgentEvent_Conference", json!({"callid": "C-1", "partner": "13800000000,70002"})), 40);
    assert!(s.consult.is_none());
    assert_eq!(s.calls.len(), 1);
    let call = s.active().expect("conference");
    assert_eq!((call.id.as_str(), call.conference.len()), ("C-1", 2));
}

#[test]
fn a_success_transfer_shows_progress_until_its_outcome() {
    use agentbar::core::transfer::{DeviceType, TransferKind, TransferRequest};
    let req = TransferRequest {
        call_id: "C-1".into(),
        kind: TransferKind::Voice,
        device: DeviceType::SkillQueue,
        mode: 2,
        address: "2".into(),
        calldata: None,
        skill_id: None,
    };
    // The target answers.
    let mut s = signed_in(true);
    talking_with(&mut s, "C-1", 10);
    step(&mut s, Input::Done { intent: Intent::Transfer(req.clone()), result: Ok(Value::Null) }, 20);
    assert!(s.transfer.is_some());
    poll(&mut s, ev("AgentEvent_Customer_Alerting", json!({"callid": "C-1", "otherPhone": "2"})), 21);
    assert_eq!(
        s.active().map(|c| c.phase),
        Some(CallPhase::Talking),
        "still on the call while the target rings"
    );
    poll(&mut s, ev("AgentEvent_SuccTransResult", json!({"callId": "C-1", "result": 0})), 22);
    assert!(s.transfer.is_none() && s.calls.is_empty());

    // The target cannot be reached: the agent is back on the call with a message.
    let mut s = signed_in(true);
    talking_with(&mut s, "C-1", 10);
    step(&mut s, Input::Done { intent: Intent::Transfer(req), result: Ok(Value::Null) }, 20);
    poll(&mut s, ev("AgentEvent_Connect_Fail", json!("C-1")), 21);
    poll(&mut s, ev("AgentEvent_Talking", json!({"callid": "C-1"})), 21);
    assert!(s.transfer.is_none());
    assert_eq!(s.active().map(|c| c.id.as_str()), Some("C-1"));
    assert_eq!(s.notice().map(|n| n.msg), Some(Msg::TransferFailed));
}

#[test]
fn transfer_requests_voice_and_media() {
    use agentbar::adapter::huawei::request;
    use agentbar::core::transfer::{DeviceType, TransferKind, TransferRequest};
    let mut req = TransferRequest {
        call_id: "1552524689-16797284".into(),
        kind: TransferKind::Media,
        device: DeviceType::Agent,
        mode: 2,
        address: "205".into(),
        calldata: Some("help".into()),
        skill_id: None,
    };
    let r = request(&Intent::Transfer(req.clone()), "101");
    assert_eq!(r.path, "mediacall/101/transfer");
    assert_eq!(
        r.body,
        Some(
            json!({"callid": "1552524689-16797284", "devicetype": 2, "mode": 2, "address": "205", "calldata": "help"})
        )
    );
    req.kind = TransferKind::Voice;
    req.device = DeviceType::SkillQueue;
    req.mode = 0;
    let r = request(&Intent::Transfer(req), "101");
    assert_eq!(r.path, "voicecall/101/transfer");
    assert_eq!(r.body, Some(json!({"devicetype": 1, "address": "205", "mode": 0, "callappdata": "help"})));
}

#[test]
fn a_reload_during_a_call_recovers_from_the_gateway_queries() {
    use agentbar::core::step::{CallSummary, ReportedState};
    let mut s = Session::default();
    let effects = step(&mut s, Input::Recovered { agent_id: "101".into(), auto_enter_idle: true }, 5);
    assert_eq!(effects, vec![Effect::Resync, Effect::StartPolling]);
    let current = Some(CallSummary {
        call_id: "C-1".into(),
        caller: "13800000000".into(),
        called: "4001".into(),
        feature: 0,
        skill: None,
        answered: true,
    });
    let held = vec![CallSummary {
        call_id: "C-0".into(),
        caller: "13900000000".into(),
        called: "4001".into(),
        feature: 0,
        skill: Some("VIP".into()),
        answered: true,
    }];
    let as_of = s.gen;
    step(&mut s, Input::Resynced { as_of, state: ReportedState::InCall, current, held: Some(held) }, 6);
    assert_eq!(s.agent, AgentState::Idle, "the state under the call");
    assert_eq!(s.active().map(|c| c.id.as_str()), Some("C-1"));
    assert_eq!(s.held().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["C-0"]);
    assert!(allowed_actions(&s).contains(Action::HangUp));
}

#[test]
fn a_held_call_reported_as_current_stays_held_after_a_resync() {
    use agentbar::core::step::{CallSummary, ReportedState};
    let mut s = signed_in(true);
    talking_with(&mut s, "A", 10);
    poll(&mut s, ev("AgentEvent_Hold", json!("A")), 11);
    let a = CallSummary {
        call_id: "A".into(),
        caller: "1".into(),
        called: "2".into(),
        feature: 0,
        skill: None,
        answered: true,
    };
    let as_of = s.gen;
    step(
        &mut s,
        Input::Resynced {
            as_of,
            state: ReportedState::InCall,
            current: Some(a.clone()),
            held: Some(vec![a]),
        },
        12,
    );
    assert_eq!(s.held().count(), 1);
    assert!(s.active().is_none());
}

#[test]
fn taking_a_session_over_rereads_its_calls() {
    let mut s = Session::default();
    let intent = Intent::SignIn {
        agent_id: "101".into(),
        password: "p".into(),
        phone: "70001".into(),
        initial: InitialState::Idle,
        force: true,
        auto_enter_idle: true,
    };
    assert_eq!(
        step(&mut s, Input::Done { intent, result: Ok(Value::Null) }, 1),
        vec![Effect::StartPolling, Effect::Resync]
    );
}
