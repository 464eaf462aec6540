//! Voice and chat call control: documented event sequences and error codes.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn inbound_answer_then_customer_release() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("PUT", "voicecall/101/answer", None, "200-002").await;
    gw.offer_demo("101").await;
    let ev = gw.expect("101", &["AgentEvent_Ringing", "AgentEvent_Incoming_CallInfo"]).await;
    assert_event_fixture(&ev[0], &[]);
    assert_event_fixture(&ev[1], &[]);
    assert_eq!(gw.status_code("101").await, 7);
    gw.err("PUT", "voicecall/101/answer?callid=9-9", None, "200-002").await;
    gw.err("POST", "voicecall/101/answer", None, "000-001").await;
    gw.ok("PUT", &format!("voicecall/101/answer?callid={DEMO_CALL}"), None).await;
    let ev = gw.expect("101", &["AgentEvent_Talking"]).await;
    assert_event_fixture(&ev[0], &[]);
    let info = gw.ok("GET", "calldata/101/callinfo", None).await;
    assert_like(&info, &fixture("callinfo_talking.json"), &["begintime"]);

    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": DEMO_CALL})).await;
    let ev = gw
        .expect(
            "101",
            &[
                "AgentEvent_Customer_Release",
                "AgentEvent_Call_Release",
                "AgentOther_PhoneRelease",
                "AgentState_Ready",
            ],
        )
        .await;
    assert_event_fixture(&ev[0], &[]);
    assert_event_fixture(&ev[1], &[]);
    assert_eq!(ev[2]["event"]["content"], json!({"phoneState": 3}));
    assert_eq!(gw.status_code("101").await, 4);
    // callinfo: the last call unless told not to.
    let info = gw.ok("GET", "calldata/101/callinfo", None).await;
    assert_eq!(info["result"]["callid"], DEMO_CALL);
    assert!(info["result"]["endtime"].is_u64());
    let info = gw.ok("GET", "calldata/101/callinfo?isNoContainLastCall=true", None).await;
    assert_eq!(info["result"], Value::Null);
    gw.knobs(json!({"callInfoNoCallRetcode": "200-017"})).await;
    gw.err("GET", "calldata/101/callinfo?isNoContainLastCall=true", None, "200-017").await;
}

#[tokio::test]
async fn agent_release_and_older_release_form() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("DELETE", "voicecall/101/release", None, "200-017").await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    let ev =
        gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_Ready"]).await;
    assert_event_fixture(&ev[1], &[]);
    gw.talking("101", "1700000000-5").await;
    gw.ok("DELETE", "voicecall/101", None).await;
    gw.expect("101", &["AgentEvent_Call_Release"]).await;
    gw.err("DELETE", "voicecall/101", None, "200-017").await;
    gw.err("POST", "voicecall/101/release", None, "000-001").await;
}

#[tokio::test]
async fn auto_answer_and_call_info_placement() {
    let mut gw = start_with(json!({"incomingCallInfo": "before"})).await;
    gw.login_with("101", json!({"autoanswer": true})).await;
    gw.offer_demo("101").await;
    let ev = gw
        .expect(
            "101",
            &[
                "AgentEvent_Incoming_CallInfo",
                "AgentEvent_Ringing",
                "AgentEvent_Auto_Answer",
                "AgentEvent_Talking",
            ],
        )
        .await;
    assert_event_fixture(&ev[2], &[]);
    gw.ok("DELETE", "voicecall/101/release", None).await;
    gw.drain("101").await;
    gw.knobs(json!({"incomingCallInfo": "none", "ringTimeoutMs": 0})).await;
    gw.ok("POST", "onlineagent/101/autoanswer/false", None).await;
    gw.offer(json!({"agent": "101", "caller": "1"})).await;
    gw.expect("101", &["AgentEvent_Ringing"]).await;
    gw.quiet("101").await;
}

#[tokio::test]
async fn reject_mode_1_seed_004_requeues_to_another_agent() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.login("102").await;
    // Both idle; the call is offered to 101 directly, with seed 004's call id.
    gw.offer(json!({"agent": "101", "skill": 1, "caller": "13800138000", "called": "10086", "callid": "1455885056-1095"}))
        .await;
    gw.expect("101", &["AgentEvent_Ringing"]).await;
    let request = fixture("reject_request_seed004.json");
    let v = gw.call("POST", "voicecall/101/reject", Some(request)).await;
    assert_eq!(v, fixture("reject_response_seed004.json"));
    let ev = gw
        .expect(
            "101",
            &["AgentEvent_Incoming_CallInfo", "AgentEvent_No_Answer", "AgentState_SetNotReady_Success"],
        )
        .await;
    assert_eq!(ev[1]["event"]["content"], "1455885056-1095");
    assert_event_fixture(&ev[2], &[]);
    assert_eq!(gw.status_code("101").await, 3);
    // Back in its queue → offered to the other idle agent of skill 1.
    let ev = gw.expect("102", &["AgentEvent_Ringing", "AgentEvent_Incoming_CallInfo"]).await;
    assert_eq!(ev[0]["event"]["content"]["callid"], "1455885056-1095");
    let info = &ev[1]["event"]["content"];
    assert_eq!(info["lastReleaseAgentId"], "101");
    assert_eq!(info["releaseAndReQueueCount"], 1);
}

#[tokio::test]
async fn reject_mode_1_waits_in_queue_for_the_next_ready_agent() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.offer_demo("101").await;
    gw.drain("101").await;
    gw.ok("POST", "voicecall/101/reject", Some(json!({"callid": DEMO_CALL, "mode": 1}))).await;
    gw.expect("101", &["AgentEvent_No_Answer", "AgentState_SetNotReady_Success"]).await;
    assert_eq!(gw.state().await["queue"], json!([DEMO_CALL]));
    gw.ok("POST", "onlineagent/101/cancelbusy", None).await;
    gw.expect("101", &["AgentState_CancelNotReady_Success", "AgentEvent_Ringing"]).await;
}

#[tokio::test]
async fn reject_mode_2_releases_the_call() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.offer_demo("101").await;
    gw.drain("101").await;
    gw.ok("POST", "voicecall/101/reject", Some(json!({"mode": 2}))).await;
    let ev = gw.expect("101", &["AgentEvent_No_Answer", "AgentOther_PhoneRelease", "AgentState_Ready"]).await;
    assert_event_fixture(&ev[0], &[]);
    assert_eq!(ev[1]["event"]["content"], json!({"phoneState": 2}));
    assert_eq!(gw.state().await["calls"], json!([]));
}

#[tokio::test]
async fn reject_errors() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("POST", "voicecall/101/reject", Some(json!({"mode": 1})), "200-002").await;
    gw.offer_demo("101").await;
    gw.drain("101").await;
    gw.err("POST", "voicecall/101/reject", Some(json!({"callid": "1-1", "mode": 1})), "200-002").await;
    gw.err("POST", "voicecall/101/reject", Some(json!({"mode": 3})), "000-002").await;
    gw.err("POST", "voicecall/101/reject", Some(json!({"mode": "x"})), "000-002").await;
    gw.err("POST", "voicecall/101/reject", None, "000-002").await;
    let (_, v) = gw.raw("POST", "voicecall/101/reject", Some(&gw.guids["101"]), Some("mode=1".into())).await;
    assert_eq!(v["retcode"], "000-002");
    gw.err("PUT", "voicecall/101/reject", None, "000-001").await;
    // Still ringing after all that.
    assert_eq!(gw.agent_state("101").await["ringing"], DEMO_CALL);
}

#[tokio::test]
async fn ring_timeout_knob_takes_the_call_back() {
    let mut gw = start_with(json!({"ringTimeoutMs": 100})).await;
    gw.login("101").await;
    gw.offer_demo("101").await;
    gw.expect("101", &["AgentEvent_Ringing", "AgentEvent_Incoming_CallInfo"]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ev = gw.expect("101", &["AgentEvent_No_Answer", "AgentState_SetNotReady_Success"]).await;
    assert_eq!(ev[1]["event"]["content"], 2);
}

#[tokio::test]
async fn callout_answered() {
    let mut gw = start().await;
    gw.login("101").await;
    let v = gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "13900001111"}))).await;
    let callid = v["result"].as_str().expect("callid string").to_string();
    let (secs, n) = callid.split_once('-').unwrap();
    assert!(secs.parse::<u64>().is_ok() && n.parse::<u64>().is_ok());
    let ev =
        gw.expect("101", &["AgentState_Busy", "AgentEvent_Customer_Alerting", "AgentEvent_Talking"]).await;
    assert_event_fixture(&ev[0], &[]);
    assert_event_fixture(&ev[1], &["callid"]);
    assert_eq!(ev[1]["event"]["content"]["callid"], callid.as_str());
    let talking = &ev[2]["event"]["content"];
    assert_eq!(talking["feature"], 7);
    assert_eq!(talking["caller"], "10086");
    assert_eq!(talking["called"], "13900001111");
    gw.ok("DELETE", "voicecall/101/release", None).await;
    gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_Ready"]).await;
}

#[tokio::test]
async fn callout_failed_and_knob_for_fail_event() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.scenario(json!({"callout": "fail"})).await;
    let v = gw
        .ok(
            "PUT",
            "voicecall/101/callout",
            Some(json!({"called": "13900001111", "caller": "88880021", "skillid": "2"})),
        )
        .await;
    let callid = v["result"].as_str().unwrap().to_string();
    let ev = gw
        .expect(
            "101",
            &[
                "AgentState_Busy",
                "AgentEvent_Customer_Alerting",
                "AgentEvent_Call_Out_Fail",
                "AgentOther_PhoneRelease",
                "AgentState_Ready",
            ],
        )
        .await;
    assert_event_fixture(&ev[2], &["content"]);
    assert_eq!(ev[2]["event"]["content"], callid.as_str());
    gw.knobs(json!({"calloutFailEvent": "AgentEvent_Connect_Fail", "calloutBusyEvent": false})).await;
    gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "123"}))).await;
    gw.expect(
        "101",
        &[
            "AgentEvent_Customer_Alerting",
            "AgentEvent_Connect_Fail",
            "AgentOther_PhoneRelease",
            "AgentState_Ready",
        ],
    )
    .await;
}

#[tokio::test]
async fn callout_ringing_until_far_answer_and_delayed_answer() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.scenario(json!({"callout": "ring"})).await;
    gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "555"}))).await;
    gw.expect("101", &["AgentState_Busy", "AgentEvent_Customer_Alerting"]).await;
    gw.quiet("101").await;
    let v = gw.ctl("POST", "/sim/far-answer", json!({})).await;
    assert!(v["callid"].is_string(), "{v}");
    gw.expect("101", &["AgentEvent_Talking"]).await;
    let v = gw.ctl("POST", "/sim/far-answer", json!({})).await;
    assert!(v["error"].is_string(), "nothing waits now: {v}");
    gw.ok("DELETE", "voicecall/101/release", None).await;
    gw.drain("101").await;

    gw.scenario(json!({"callout": "answer", "answerDelayMs": 150})).await;
    gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "555"}))).await;
    gw.expect("101", &["AgentState_Busy", "AgentEvent_Customer_Alerting"]).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    gw.expect("101", &["AgentEvent_Talking"]).await;
}

#[tokio::test]
async fn callout_errors() {
    let mut gw = start().await;
    gw.login("101").await;
    for body in [
        json!({}),
        json!({"called": ""}),
        json!({"called": "12a"}),
        json!({"called": "1".repeat(25)}),
        json!({"called": true}),
    ] {
        gw.err("PUT", "voicecall/101/callout", Some(body), "200-001").await;
    }
    gw.err("PUT", "voicecall/101/callout", Some(json!({"called": "1", "caller": "abc"})), "000-002").await;
    gw.err("POST", "voicecall/101/callout", Some(json!({"called": "1"})), "000-001").await;
    gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "*1#"}))).await;
    gw.err("PUT", "voicecall/101/callout", Some(json!({"called": "2"})), "100-009").await;
}

#[tokio::test]
async fn hold_and_gethold() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("POST", "voicecall/101/hold", None, "200-013").await;
    gw.err("GET", "calldata/101/holdlist", None, "400-003").await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("POST", "voicecall/101/hold", None).await;
    let ev = gw.expect("101", &["AgentEvent_Hold"]).await;
    assert_event_fixture(&ev[0], &[]);
    assert_eq!(gw.status_code("101").await, 7);
    gw.err("POST", "voicecall/101/hold", None, "200-013").await;
    gw.err("POST", "voicecall/101/gethold?callid=1-1", None, "200-015").await;
    gw.err("POST", "voicecall/101/gethold", None, "000-002").await;
    // Another call meanwhile: unhold is the wrong state.
    gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "555"}))).await;
    gw.drain("101").await;
    gw.err("POST", &format!("voicecall/101/gethold?callid={DEMO_CALL}"), None, "200-016").await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    let ev = gw.expect("101", &["AgentEvent_Call_Release"]).await;
    assert_ne!(ev[0]["event"]["content"], DEMO_CALL);
    // Still a held call: no PhoneRelease/Ready yet.
    gw.quiet("101").await;
    gw.ok("POST", &format!("voicecall/101/gethold?callid={DEMO_CALL}"), None).await;
    let ev = gw.expect("101", &["AgentEvent_Talking"]).await;
    assert_event_fixture(&ev[0], &[]);
    gw.err("GET", "calldata/101/holdlist", None, "400-003").await;
    gw.knobs(json!({"emptyHoldList": "empty_list", "getholdEvent": ""})).await;
    assert_eq!(gw.ok("GET", "calldata/101/holdlist", None).await["result"], json!([]));
    gw.ok("POST", "voicecall/101/hold", None).await;
    gw.ok("POST", &format!("voicecall/101/gethold?callid={DEMO_CALL}"), None).await;
    gw.expect("101", &["AgentEvent_Hold"]).await;
    gw.quiet("101").await;
}

#[tokio::test]
async fn holdlist_seed_001_field_for_field() {
    let mut gw = start().await;
    gw.login("101").await;
    for (callid, called, skill) in [("1501127920-0", "70941", ""), ("1501127996-2", "70943", "voice")] {
        gw.offer(json!({"agent": "101", "caller": "10086", "called": called, "callid": callid, "feature": 7, "skillName": skill}))
            .await;
        gw.drain("101").await;
        gw.ok("PUT", "voicecall/101/answer", None).await;
        gw.ok("POST", "voicecall/101/hold", None).await;
        gw.drain("101").await;
    }
    let v = gw.ok("GET", "calldata/101/holdlist", None).await;
    assert_eq!(v, fixture("holdlist_seed001.json"));
    gw.knobs(json!({"holdListOrder": "oldest_first"})).await;
    let v = gw.ok("GET", "calldata/101/holdlist", None).await;
    assert_eq!(v["result"][0]["callid"], "1501127920-0");
    gw.err("POST", "calldata/101/holdlist", None, "000-001").await;
}

#[tokio::test]
async fn consult_leg_dropped_while_ringing_and_after_answer() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "102"})), "200-018").await;
    gw.talking("101", DEMO_CALL).await;
    for bad in [
        json!({}),
        json!({"dstaddress": "102", "devicetype": 3}),
        json!({"dstaddress": "102", "mode": 3}),
        json!({"dstaddress": "1".repeat(25)}),
    ] {
        gw.err("POST", "voicecall/101/innerhelp", Some(bad), "000-002").await;
    }
    // Ringing consult leg, dropped.
    gw.scenario(json!({"consultTarget": "ring"})).await;
    let v = gw
        .ok("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "102", "devicetype": 2, "mode": 1})))
        .await;
    let leg = v["result"].as_str().unwrap().to_string();
    let ev = gw.expect("101", &["AgentEvent_Hold", "AgentEvent_Customer_Alerting"]).await;
    assert_eq!(ev[0]["event"]["content"], DEMO_CALL);
    assert_eq!(
        ev[1]["event"]["content"],
        json!({"callid": leg, "otherPhone": "70002", "otherPhoneWorkno": "102", "type": "assistant"})
    );
    gw.err("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "103"})), "200-018").await;
    gw.ok("POST", &format!("voicecall/101/dropcall/{leg}"), None).await;
    let ev = gw.expect("101", &["AgentEvent_Call_Release"]).await;
    assert_eq!(ev[0]["event"]["content"], leg.as_str());
    gw.quiet("101").await;
    gw.ok("POST", &format!("voicecall/101/gethold?callid={DEMO_CALL}"), None).await;
    gw.expect("101", &["AgentEvent_Talking"]).await;

    // Answered consult leg, dropped, customer retrieved.
    gw.scenario(json!({"consultTarget": "answer"})).await;
    let v =
        gw.ok("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "1", "devicetype": "1"}))).await;
    let leg = v["result"].as_str().unwrap().to_string();
    let ev =
        gw.expect("101", &["AgentEvent_Hold", "AgentEvent_Customer_Alerting", "AgentEvent_Talking"]).await;
    assert_eq!(ev[2]["event"]["content"]["callid"], leg.as_str());
    assert_eq!(ev[2]["event"]["content"]["feature"], 51);
    gw.ok("POST", &format!("voicecall/101/dropcall/{leg}"), None).await;
    gw.expect("101", &["AgentEvent_Call_Release"]).await;
    gw.ok("POST", &format!("voicecall/101/gethold?callid={DEMO_CALL}"), None).await;
    gw.expect("101", &["AgentEvent_Talking"]).await;
    gw.err("POST", "voicecall/101/dropcall/9-9", None, "200-017").await;

    // Failing consult target.
    gw.scenario(json!({"consultTarget": "fail"})).await;
    let v = gw.ok("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "102"}))).await;
    let leg = v["result"].as_str().unwrap().to_string();
    let ev = gw
        .expect("101", &["AgentEvent_Hold", "AgentEvent_Customer_Alerting", "AgentEvent_Consult_Fail"])
        .await;
    assert_event_fixture(&ev[2], &["content"]);
    assert_eq!(ev[2]["event"]["content"], leg.as_str());
    assert_eq!(gw.agent_state("101").await["held"], json!([DEMO_CALL]));
    // Knob: the customer comes back by itself after a failed consult.
    gw.ok("POST", &format!("voicecall/101/gethold?callid={DEMO_CALL}"), None).await;
    gw.drain("101").await;
    gw.knobs(json!({"consultFailRetrieves": true})).await;
    gw.ok("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "102"}))).await;
    gw.expect(
        "101",
        &["AgentEvent_Hold", "AgentEvent_Customer_Alerting", "AgentEvent_Consult_Fail", "AgentEvent_Talking"],
    )
    .await;
}

#[tokio::test]
async fn confjoin_makes_a_conference() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("POST", "voicecall/101/confjoin", None, "200-010").await;
    gw.talking("101", DEMO_CALL).await;
    gw.err("POST", "voicecall/101/confjoin", None, "200-011").await;
    gw.ok("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "102"}))).await;
    gw.drain("101").await;
    gw.ok("POST", "voicecall/101/confjoin", Some(json!({"callid": DEMO_CALL}))).await;
    let ev = gw.expect("101", &["AgentEvent_Conference"]).await;
    assert_event_fixture(&ev[0], &[]);
    gw.ok("POST", "voicecall/101/beginmute", None).await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    let ev =
        gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_Ready"]).await;
    assert_eq!(ev[0]["event"]["content"], DEMO_CALL);

    // Three-party help (mode 2): conference as soon as the helper answers.
    gw.talking("101", "1700000000-8").await;
    gw.ok("POST", "voicecall/101/innerhelp", Some(json!({"dstaddress": "102", "mode": 2}))).await;
    let ev = gw
        .expect("101", &["AgentEvent_Customer_Alerting", "AgentEvent_Talking", "AgentEvent_Conference"])
        .await;
    assert_eq!(ev[2]["event"]["content"]["callid"], "1700000000-8");
}

#[tokio::test]
async fn connecthold_bridges_and_agent_drops_out() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("POST", "voicecall/101/hold", None).await;
    gw.err("POST", &format!("voicecall/101/connecthold/{DEMO_CALL}"), None, "200-014").await;
    let v = gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "13900002222"}))).await;
    let second = v["result"].as_str().unwrap().to_string();
    gw.drain("101").await;
    gw.err("POST", "voicecall/101/connecthold/1-1", None, "200-013").await;
    gw.knobs(json!({"connectHoldErrors": "table"})).await;
    gw.err("POST", "voicecall/101/connecthold/1-1", None, "200-005").await;
    gw.ok("POST", &format!("voicecall/101/connecthold/{DEMO_CALL}"), None).await;
    let ev = gw
        .expect(
            "101",
            &[
                "AgentEvent_Call_Release",
                "AgentEvent_Customer_Release",
                "AgentOther_PhoneRelease",
                "AgentState_Ready",
            ],
        )
        .await;
    assert_eq!(ev[0]["event"]["content"], second.as_str());
    assert_eq!(ev[1]["event"]["content"], json!({"callid": DEMO_CALL, "number": "13800138000"}));
    assert_eq!(gw.state().await["calls"], json!([]));
}

#[tokio::test]
async fn mute_and_dtmf() {
    let mut gw = start_with(json!({"beginMuteEvent": "AgentEvent_Mute"})).await;
    gw.login("101").await;
    gw.err("POST", "voicecall/101/beginmute", None, "200-003").await;
    gw.err("POST", "voicecall/101/endmute", None, "200-007").await;
    gw.err("POST", "voicecall/101/seconddialex?number=1", None, "100-007").await;
    gw.talking("101", DEMO_CALL).await;
    gw.err("POST", "voicecall/101/endmute", None, "200-008").await;
    gw.ok("POST", "voicecall/101/beginmute", None).await;
    gw.expect("101", &["AgentEvent_Mute"]).await;
    gw.err("POST", "voicecall/101/beginmute", None, "200-004").await;
    gw.ok("POST", "voicecall/101/endmute", None).await;
    gw.quiet("101").await;
    gw.ok("POST", "voicecall/101/seconddialex?number=12*%23", None).await;
    for bad in ["", "?number=", "?number=12a", "?number=1234567890123456789012345"] {
        gw.err("POST", &format!("voicecall/101/seconddialex{bad}"), None, "000-002").await;
    }
}

/// Valid and refused devicetype × mode combinations (reference §4.3), on a fresh call each.
#[tokio::test]
async fn transfer_mode_table_is_enforced() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err(
        "POST",
        "voicecall/101/transfer",
        Some(json!({"devicetype": 1, "address": "2", "mode": 0})),
        "200-012",
    )
    .await;
    gw.talking("101", DEMO_CALL).await;
    let refused = [(1, 1), (1, 3), (2, 1), (2, 4), (3, 2), (4, 1), (4, 3), (5, 0), (6, 0), (0, 0)];
    for (d, m) in refused {
        gw.err(
            "POST",
            "voicecall/101/transfer",
            Some(json!({"devicetype": d, "address": "9000", "mode": m})),
            "000-002",
        )
        .await;
    }
    for bad in [
        json!({"address": "2", "mode": 0}),
        json!({"devicetype": 1, "mode": 0}),
        json!({"devicetype": 1, "address": "2"}),
        json!({"devicetype": 1, "address": "1".repeat(25), "mode": 0}),
        json!({"devicetype": 1, "address": "2", "mode": 0, "skillId": 1}),
        json!({"devicetype": 1, "address": "2", "mode": 0, "callappdata": "x".repeat(16 * 1024 + 1)}),
    ] {
        gw.err("POST", "voicecall/101/transfer", Some(bad), "000-002").await;
    }
    gw.knobs(json!({"transferBadModeRetcode": "200-019"})).await;
    gw.err(
        "POST",
        "voicecall/101/transfer",
        Some(json!({"devicetype": 3, "address": "9000", "mode": 2})),
        "200-019",
    )
    .await;
    gw.quiet("101").await;
    assert_eq!(gw.agent_state("101").await["current"], DEMO_CALL);
    gw.err("GET", "voicecall/101/transfer", None, "000-001").await;

    // Every allowed release-type combination ends the agent's part at once.
    let release = [
        (1, 0, json!({})),
        (2, 0, json!({"skillId": 1})),
        (2, 3, json!({})),
        (3, 0, json!({})),
        (4, 0, json!({})),
        (5, 1, json!({"caller": "10086"})),
    ];
    for (i, (d, m, extra)) in release.into_iter().enumerate() {
        if i > 0 {
            gw.talking("101", &format!("1700000001-{i}")).await;
        }
        let mut body = json!({"devicetype": d, "address": "102", "mode": m});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        gw.ok("POST", "voicecall/101/transfer", Some(body)).await;
        gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_Ready"]).await;
    }
    // External release transfer is not allowed for outbound calls.
    gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": "555"}))).await;
    gw.drain("101").await;
    gw.err(
        "POST",
        "voicecall/101/transfer",
        Some(json!({"devicetype": 5, "address": "555", "mode": 1})),
        "200-019",
    )
    .await;
}

#[tokio::test]
async fn success_transfer_answered_failed_and_ringing() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("POST", "voicecall/101/transfer", Some(json!({"devicetype": 2, "address": "102", "mode": 2})))
        .await;
    let ev = gw
        .expect(
            "101",
            &[
                "AgentEvent_Customer_Alerting",
                "AgentEvent_SuccTransResult",
                "AgentEvent_Call_Release",
                "AgentOther_PhoneRelease",
                "AgentState_Ready",
            ],
        )
        .await;
    assert_eq!(
        ev[0]["event"]["content"],
        json!({"callid": DEMO_CALL, "otherPhone": "102", "otherPhoneWorkno": "102", "type": "main"})
    );
    assert_event_fixture(&ev[1], &[]);

    gw.scenario(json!({"transferTarget": "fail"})).await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("POST", "voicecall/101/transfer", Some(json!({"devicetype": 1, "address": "2", "mode": 2}))).await;
    let ev = gw
        .expect("101", &["AgentEvent_Customer_Alerting", "AgentEvent_Connect_Fail", "AgentEvent_Talking"])
        .await;
    assert_event_fixture(&ev[1], &[]);
    assert_eq!(gw.agent_state("101").await["current"], DEMO_CALL);

    gw.scenario(json!({"transferTarget": "ring"})).await;
    gw.ok("POST", "voicecall/101/transfer", Some(json!({"devicetype": 4, "address": "10086", "mode": 2})))
        .await;
    gw.expect("101", &["AgentEvent_Customer_Alerting"]).await;
    gw.quiet("101").await;
    gw.ctl("POST", "/sim/far-fail", json!({"callid": DEMO_CALL})).await;
    gw.expect("101", &["AgentEvent_Connect_Fail", "AgentEvent_Talking"]).await;
    gw.ok(
        "POST",
        "voicecall/101/transfer",
        Some(json!({"devicetype": 5, "address": "13900002222", "mode": 2})),
    )
    .await;
    gw.expect("101", &["AgentEvent_Customer_Alerting"]).await;
    gw.ctl("POST", "/sim/far-answer", json!({"callid": DEMO_CALL})).await;
    gw.expect("101", &["AgentEvent_SuccTransResult", "AgentEvent_Call_Release"]).await;
}

#[tokio::test]
async fn talk_three_party_and_ivr_transfers() {
    let mut gw = start_with(json!({"ivrReturnMs": 100})).await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok(
        "POST",
        "voicecall/101/transfer",
        Some(json!({"devicetype": 5, "address": "13900002222", "mode": 3})),
    )
    .await;
    let ev = gw.expect("101", &["AgentEvent_Customer_Alerting", "AgentEvent_Talking"]).await;
    assert_eq!(ev[1]["event"]["content"]["called"], "13900002222");
    gw.ok("DELETE", "voicecall/101/release", None).await;
    gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_Ready"]).await;

    gw.talking("101", DEMO_CALL).await;
    gw.ok(
        "POST",
        "voicecall/101/transfer",
        Some(json!({"devicetype": 5, "address": "13900002222", "mode": 4})),
    )
    .await;
    let ev = gw.expect("101", &["AgentEvent_Customer_Alerting", "AgentEvent_Conference"]).await;
    assert_eq!(ev[1]["event"]["content"], json!({"callid": DEMO_CALL, "partner": "13800138000,13900002222"}));
    gw.ok("DELETE", "voicecall/101/release", None).await;
    gw.drain("101").await;

    gw.talking("101", DEMO_CALL).await;
    gw.ok("POST", "voicecall/101/transfer", Some(json!({"devicetype": 3, "address": "9000", "mode": 1})))
        .await;
    assert_eq!(gw.status_code("101").await, 7);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ev = gw.expect("101", &["AgentEvent_ReturnFromIvr", "AgentEvent_Talking"]).await;
    assert_event_fixture(&ev[0], &[]);
}

#[tokio::test]
async fn mediacall_transfer_seed_002() {
    let mut gw = start().await;
    gw.login("101").await;
    let callid = "1552524689-16797284";
    gw.offer(json!({"agent": "101", "skill": 3, "caller": "88880021", "called": "10086", "media": "chat", "callid": callid}))
        .await;
    let ev = gw.expect("101", &["AgentEvent_Ringing"]).await;
    assert_eq!(ev[0]["event"]["content"]["mediaAbility"], 5);
    gw.drain("101").await;
    gw.ok("PUT", "voicecall/101/answer", None).await;
    let ev = gw.expect("101", &["AgentEvent_Talking"]).await;
    assert_eq!(ev[0]["event"]["content"]["mediaAbility"], 5);

    // Refused input: error envelope, the session untouched.
    let request = fixture("mediacall_transfer_request_seed002.json");
    let with = |key: &str, value: Value| {
        let mut b = request.clone();
        b[key] = value;
        b
    };
    let without = |key: &str| {
        let mut b = request.clone();
        b.as_object_mut().unwrap().remove(key);
        b
    };
    let cases = [
        (with("address", json!("a".repeat(25))), "000-002"),
        (with("address", json!("")), "000-002"),
        (without("address"), "000-002"),
        (without("callid"), "000-002"),
        (without("mode"), "000-002"),
        (with("mode", json!(1)), "000-002"),
        (with("devicetype", json!(3)), "106-004"),
        (with("devicetype", json!(5)), "106-004"),
        (without("devicetype"), "106-004"),
        (with("calldata", json!("中".repeat(683))), "000-002"),
        (with("devicetype", json!(1)).tap_skill(), "000-002"),
        (with("callid", json!("1-1")), "000-002"),
    ];
    for (body, code) in cases {
        gw.err("POST", "mediacall/101/transfer", Some(body.clone()), code).await;
        let a = gw.agent_state("101").await;
        assert_eq!(a["current"], callid, "after {body}");
    }
    gw.quiet("101").await;
    gw.knobs(json!({"mediaTransferInvalidRetcode": "106-005", "mediaTransferNoSessionRetcode": "106-009"}))
        .await;
    gw.err("POST", "mediacall/101/transfer", Some(with("address", json!("a".repeat(25)))), "106-005").await;
    gw.err("POST", "mediacall/101/transfer", Some(with("callid", json!("1-1"))), "106-009").await;
    gw.err("PUT", "mediacall/101/transfer", Some(request.clone()), "000-001").await;

    // 2048 bytes of UTF-8 is the limit (682 × 3 + 2).
    gw.scenario(json!({"transferTarget": "ring"})).await;
    let edge = with("calldata", json!(format!("{}ab", "中".repeat(682))));
    gw.ok("POST", "mediacall/101/transfer", Some(edge)).await;
    gw.ctl("POST", "/sim/far-fail", json!({})).await;
    gw.expect("101", &["AgentEvent_Connect_Fail", "AgentEvent_Talking"]).await;

    // The seed's request, verbatim, answered exactly as the seed.
    gw.scenario(json!({"transferTarget": "answer"})).await;
    let v = gw.call("POST", "mediacall/101/transfer", Some(request)).await;
    assert_eq!(v, fixture("mediacall_transfer_response_seed002.json"));
    let ev = gw
        .expect("101", &["AgentEvent_SuccTransResult", "AgentEvent_Call_Release", "AgentState_Ready"])
        .await;
    assert_eq!(ev[0]["event"]["content"], json!({"callId": callid, "result": 0}));

    // Release (mode 0) transfer of a chat session.
    gw.offer(json!({"agent": "101", "skill": 3, "media": "chat", "callid": "1552524689-1"})).await;
    gw.drain("101").await;
    gw.ok("PUT", "voicecall/101/answer", None).await;
    gw.drain("101").await;
    gw.ok(
        "POST",
        "mediacall/101/transfer",
        Some(json!({"callid": "1552524689-1", "devicetype": 1, "mode": 0, "address": "3"})),
    )
    .await;
    gw.expect("101", &["AgentEvent_Call_Release", "AgentState_Ready"]).await;
}

trait TapSkill {
    fn tap_skill(self) -> Value;
}

impl TapSkill for Value {
    /// Adds `skillId`, which is valid only with devicetype 2.
    fn tap_skill(mut self) -> Value {
        self["skillId"] = json!(1);
        self
    }
}

#[tokio::test]
async fn skills_and_agent_lists() {
    let mut gw = start().await;
    gw.login("101").await;
    let v = gw.ok("GET", "queuedevice/101/agentvdnskill", None).await;
    assert_eq!(v, fixture("agentvdnskill_demo.json"));
    let v = gw.ok("GET", "agentgroup/101/allagentstatus", None).await;
    let list = v["result"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(list[0], fixture("allagentstatus_entry.json"));
    assert_eq!(list[1]["status"], 2);
    let v = gw.ok("GET", "agentgroup/101/agentbyworkno/102", None).await;
    assert_eq!(v["result"]["workno"], "102");
    assert_eq!(v["result"]["name"], "Bob Li");
    gw.err("GET", "agentgroup/101/agentbyworkno/999", None, "000-002").await;
    gw.err("POST", "queuedevice/101/agentvdnskill", None, "000-001").await;
    gw.err("GET", "agentgroup/102/allagentstatus", None, "100-006").await;
}

/// Every endpoint refuses every verb but its own with 000-001.
#[tokio::test]
async fn wrong_verbs_are_000_001() {
    let gw = start().await;
    let endpoints = [
        ("PUT", "onlineagent/101"),
        ("PUT", "onlineagent/101/forcelogin"),
        ("DELETE", "onlineagent/101/logout"),
        ("DELETE", "onlineagent/101/forcelogout"),
        ("PUT", "onlineagent/101/updateGuid"),
        ("GET", "onlineagent/101/agentstatus"),
        ("POST", "onlineagent/101/resetskill/true"),
        ("POST", "onlineagent/101/autoanswer/true"),
        ("POST", "onlineagent/101/autoenteridle/true"),
        ("POST", "onlineagent/101/sayfree"),
        ("POST", "onlineagent/101/saybusy"),
        ("POST", "onlineagent/101/cancelbusy"),
        ("POST", "onlineagent/101/rest/10/1"),
        ("POST", "onlineagent/101/cancelrest"),
        ("POST", "onlineagent/101/work"),
        ("POST", "onlineagent/101/cancelwork"),
        ("GET", "agentevent/101"),
        ("PUT", "voicecall/101/answer"),
        ("POST", "voicecall/101/reject"),
        ("DELETE", "voicecall/101/release"),
        ("DELETE", "voicecall/101"),
        ("POST", "voicecall/101/hold"),
        ("POST", "voicecall/101/gethold"),
        ("POST", "voicecall/101/connecthold/1-1"),
        ("POST", "voicecall/101/dropcall/1-1"),
        ("PUT", "voicecall/101/callout"),
        ("POST", "voicecall/101/innerhelp"),
        ("POST", "voicecall/101/confjoin"),
        ("POST", "voicecall/101/beginmute"),
        ("POST", "voicecall/101/endmute"),
        ("POST", "voicecall/101/seconddialex"),
        ("POST", "voicecall/101/transfer"),
        ("POST", "mediacall/101/transfer"),
        ("GET", "calldata/101/holdlist"),
        ("GET", "calldata/101/callinfo"),
        ("GET", "queuedevice/101/agentvdnskill"),
        ("GET", "agentgroup/101/allagentstatus"),
        ("GET", "agentgroup/101/agentbyworkno/102"),
    ];
    for (verb, path) in endpoints {
        for other in ["GET", "PUT", "POST", "DELETE"] {
            if other == verb {
                continue;
            }
            let (_, v) = gw.raw(other, path, None, None).await;
            assert_eq!(v["retcode"], "000-001", "{other} {path}: {v}");
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        // With the right verb but no session the answer is never 000-001.
        let (_, v) = gw.raw(verb, path, None, None).await;
        assert_ne!(v["retcode"], "000-001", "{verb} {path}");
    }
}
