//! Unit tests of the model without HTTP: operations return the events they cause.

use super::*;
use crate::config::SimConfig;
use serde_json::json;

const T0: Ms = 1_700_000_000_000;

fn types(out: &[Emit]) -> Vec<&str> {
    out.iter().map(|e| e.event_type.as_str()).collect()
}

/// A simulator with agent 101 signed in (autoanswer off) and its queue emptied.
fn signed_in() -> Sim {
    let mut sim = Sim::new(SimConfig::default());
    let body = json!({"password": "agent123", "phonenum": "70001", "autoanswer": false});
    let (_, _, out) = sim.sign_in("101", &body, false, T0).unwrap();
    assert_eq!(types(&out), ["AgentOther_InService", "AgentState_Ready"]);
    sim
}

fn offer(sim: &mut Sim, callid: &str) -> Vec<Emit> {
    let mut out = Vec::new();
    let req = OfferRequest {
        agent: Some("101".into()),
        skill: Some(1),
        caller: "13800138000".into(),
        called: "10086".into(),
        media: Media::Voice,
        skill_name: None,
        calldata: None,
        callid: Some(callid.into()),
        feature: None,
        demo: false,
    };
    sim.offer(req, T0, &mut out).unwrap();
    out
}

#[test]
fn transfer_table_matches_reference_4_3() {
    let allowed: Vec<(i64, i64)> = (0..=6)
        .flat_map(|d| (0..=5).map(move |m| (d, m)))
        .filter(|&(d, m)| transfer_mode_allowed(d, m, false))
        .collect();
    assert_eq!(
        allowed,
        [
            (1, 0),
            (1, 2),
            (2, 0),
            (2, 2),
            (2, 3),
            (3, 0),
            (3, 1),
            (4, 0),
            (4, 2),
            (5, 1),
            (5, 2),
            (5, 3),
            (5, 4)
        ]
    );
    assert!(!transfer_mode_allowed(5, 1, true));
    assert!(transfer_mode_allowed(5, 2, true));
}

#[test]
fn call_ids_are_epoch_seconds_dash_counter() {
    let mut sim = Sim::new(SimConfig::default());
    assert_eq!(sim.new_call_id(1_501_127_996_123), "1501127996-0");
    assert_eq!(sim.new_call_id(1_501_127_996_999), "1501127996-1");
}

#[test]
fn ringing_content_has_the_documented_fields() {
    let mut sim = signed_in();
    let out = offer(&mut sim, "1-1");
    assert_eq!(types(&out), ["AgentEvent_Ringing", "AgentEvent_Incoming_CallInfo"]);
    assert_eq!(
        out[0].content,
        json!({"caller": "13800138000", "called": "10086", "callid": "1-1", "type": "main",
               "feature": 0, "mediaAbility": 1, "transfer": "no", "transfrom": ""})
    );
    assert_eq!(sim.agents["101"].state_code(), 7);
}

#[test]
fn reject_mode_1_requeues_and_sets_busy_7() {
    let mut sim = signed_in();
    offer(&mut sim, "1-1");
    let out = sim.reject("101", &json!({"mode": "1"}), T0).unwrap();
    assert_eq!(types(&out), ["AgentEvent_No_Answer", "AgentState_SetNotReady_Success"]);
    assert_eq!(out[1].content, json!(7));
    assert_eq!(sim.agents["101"].state, BaseState::Busy { reason: 7 });
    assert_eq!(sim.queue, ["1-1"]);
    assert_eq!(sim.calls["1-1"].requeue_count, 1);
    // A refused request changes nothing.
    let before = sim.snapshot();
    assert_eq!(sim.reject("101", &json!({"mode": 1}), T0).unwrap_err().code, "200-002");
    assert_eq!(sim.snapshot(), before);
}

#[test]
fn customer_release_sequence_and_wrap_up() {
    let mut sim = signed_in();
    sim.set_flag("101", "autoenteridle", "false").unwrap();
    offer(&mut sim, "1-1");
    let out = sim.answer("101", None, T0).unwrap();
    assert_eq!(types(&out), ["AgentEvent_Talking"]);
    let mut out = Vec::new();
    sim.customer_hangup("1-1", T0 + 5, &mut out).unwrap();
    assert_eq!(
        types(&out),
        [
            "AgentEvent_Customer_Release",
            "AgentEvent_Call_Release",
            "AgentOther_PhoneRelease",
            "AgentState_Work"
        ]
    );
    assert_eq!(out[0].content, json!({"callid": "1-1", "number": "13800138000"}));
    assert_eq!(sim.agents["101"].state_code(), 5);
}

#[test]
fn far_party_timers_fire_in_tick() {
    let mut sim = signed_in();
    sim.cfg.scenario.answer_delay_ms = 100;
    let (callid, out) = sim.callout("101", &json!({"called": "555"}), T0).unwrap();
    assert_eq!(types(&out), ["AgentState_Busy", "AgentEvent_Customer_Alerting"]);
    assert!(sim.tick(T0 + 50).is_empty());
    let out = sim.tick(T0 + 100);
    assert_eq!(types(&out), ["AgentEvent_Talking"]);
    assert_eq!(out[0].content["callid"], callid.as_str());
}

#[test]
fn no_poll_timeout_signs_out_but_a_waiting_poll_keeps_the_session() {
    let mut sim = signed_in();
    let timeout = sim.cfg.knobs.no_poll_timeout_ms;
    let ticket = sim.poll_begin("101", T0).unwrap();
    assert!(sim.tick(T0 + timeout * 2).is_empty(), "a poll is in flight");
    sim.poll_abandon("101", ticket, T0 + timeout * 2);
    assert_eq!(sim.next_due(), Some(T0 + timeout * 3));
    let out = sim.tick(T0 + timeout * 3);
    assert_eq!(types(&out), ["AgentOther_ShutdownService"]);
    assert_eq!(out[0].content, json!({"loginTime": T0.to_string()}));
    assert!(!sim.agents["101"].signed_in());
}

#[test]
fn guid_rotation_and_grace_period() {
    let mut sim = Sim::new(SimConfig::default());
    let body = json!({"password": "agent123", "phonenum": "70001"});
    let (_, g0, _) = sim.sign_in("101", &body, false, T0).unwrap();
    let k = sim.cfg.knobs.clone();
    let t = sim.poll_begin("101", T0).unwrap();
    assert_eq!(sim.poll_end("101", t, T0 + 10), None);
    let t = sim.poll_begin("101", T0 + k.guid_interval_ms).unwrap();
    let g1 = sim.poll_end("101", t, T0 + k.guid_interval_ms).unwrap();
    assert_ne!(g0, g1);
    let at = T0 + k.guid_interval_ms + k.guid_timeout_ms;
    assert!(sim.authenticate("101", Some(&g0), false, at).is_ok());
    assert_eq!(sim.authenticate("101", Some(&g0), false, at + 1).unwrap_err().code, "100-006");
    assert!(sim.authenticate("101", Some(&g1), false, at + 1).is_ok());
}

#[test]
fn consult_then_conference() {
    let mut sim = signed_in();
    sim.cfg.scenario.answer_delay_ms = 0;
    offer(&mut sim, "1-1");
    sim.answer("101", None, T0).unwrap();
    let (leg, out) = sim.inner_help("101", &json!({"dstaddress": "102"}), T0).unwrap();
    assert_eq!(types(&out), ["AgentEvent_Hold", "AgentEvent_Customer_Alerting", "AgentEvent_Talking"]);
    assert_eq!(sim.agents["101"].consult.as_deref(), Some(leg.as_str()));
    let out = sim.conf_join("101", T0).unwrap();
    assert_eq!(out[0].content, json!({"callid": "1-1", "partner": "13800138000,102"}));
    assert!(!sim.calls.contains_key(&leg));
    assert!(sim.agents["101"].held.is_empty());
}
