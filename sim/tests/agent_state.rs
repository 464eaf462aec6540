//! Agent state changes: busy, rest, wrap-up, and state requests during a call.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn busy_and_cancel_busy() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("POST", "onlineagent/101/sayfree", None, "100-009").await;
    gw.err("POST", "onlineagent/101/cancelbusy", None, "100-009").await;
    gw.ok("POST", "onlineagent/101/saybusy", None).await;
    let ev = gw.expect("101", &["AgentState_SetNotReady_Success"]).await;
    assert_eq!(ev[0]["event"]["content"], 0);
    assert_eq!(gw.status_code("101").await, 3);
    // Busy again without prolong is not a change the state allows.
    gw.err("POST", "onlineagent/101/saybusy?reason=201", None, "100-009").await;
    // prolong changes the reason; it needs one.
    gw.err("POST", "onlineagent/101/saybusy?prolong=true", None, "000-002").await;
    gw.ok("POST", "onlineagent/101/saybusy?reason=201&prolong=true", None).await;
    let ev = gw.expect("101", &["AgentState_SetNotReady_Success"]).await;
    assert_eq!(ev[0]["event"]["content"], 201);
    for bad in ["reason=199", "reason=251", "reason=abc", "reason=201&prolong=maybe"] {
        gw.err("POST", &format!("onlineagent/101/saybusy?{bad}"), None, "000-002").await;
    }
    assert_eq!(gw.agent_state("101").await["baseState"]["reason"], 201);
    gw.ok("POST", "onlineagent/101/cancelbusy", None).await;
    let ev = gw.expect("101", &["AgentState_CancelNotReady_Success"]).await;
    assert_event_fixture(&ev[0], &[]);
    assert_eq!(gw.status_code("101").await, 4);
    // sayfree from busy.
    gw.ok("POST", "onlineagent/101/saybusy?reason=0", None).await;
    gw.ok("POST", "onlineagent/101/sayfree", None).await;
    gw.expect("101", &["AgentState_SetNotReady_Success", "AgentState_CancelNotReady_Success"]).await;
    gw.err("GET", "onlineagent/101/saybusy", None, "000-001").await;
}

#[tokio::test]
async fn rest_timeout_and_cancel_rest() {
    let mut gw = start_with(json!({"restUnitMs": 100})).await;
    gw.login("101").await;
    gw.err("POST", "onlineagent/101/cancelrest", None, "100-009").await;
    for bad in ["0/1", "86400/1", "10/256", "10/-1", "x/1"] {
        gw.err("POST", &format!("onlineagent/101/rest/{bad}"), None, "000-002").await;
    }
    gw.ok("POST", "onlineagent/101/rest/2/5", None).await;
    let ev = gw.expect("101", &["AgentState_SetRest_Success"]).await;
    assert_event_fixture(&ev[0], &[]);
    assert_eq!(gw.status_code("101").await, 8);
    gw.err("POST", "onlineagent/101/rest/2/5", None, "100-009").await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    gw.expect("101", &["AgentState_Rest_Timeout"]).await;
    // A reminder only: still resting.
    assert_eq!(gw.status_code("101").await, 8);
    gw.ok("POST", "onlineagent/101/rest/100/6?prolong=true", None).await;
    gw.expect("101", &["AgentState_SetRest_Success"]).await;
    gw.ok("POST", "onlineagent/101/cancelrest", None).await;
    gw.expect("101", &["AgentState_CancelRest_Success"]).await;
    assert_eq!(gw.status_code("101").await, 4);
    // The cancelled rest's reminder never comes.
    gw.quiet("101").await;
}

#[tokio::test]
async fn work_and_cancel_work() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.err("POST", "onlineagent/101/cancelwork", None, "100-009").await;
    gw.ok("POST", "onlineagent/101/work", None).await;
    gw.expect("101", &["AgentState_SetWork_Success"]).await;
    assert_eq!(gw.status_code("101").await, 5);
    gw.err("POST", "onlineagent/101/work", None, "100-009").await;
    gw.ok("POST", "onlineagent/101/sayfree", None).await;
    gw.expect("101", &["AgentState_CancelWork_Success"]).await;
    gw.ok("POST", "onlineagent/101/work", None).await;
    gw.ok("POST", "onlineagent/101/cancelwork", None).await;
    let ev = gw.expect("101", &["AgentState_SetWork_Success", "AgentState_CancelWork_Success"]).await;
    assert_event_fixture(&ev[1], &[]);
    // Rest → busy is refused and leaves the state untouched.
    gw.ok("POST", "onlineagent/101/rest/100/1", None).await;
    gw.err("POST", "onlineagent/101/saybusy", None, "100-009").await;
    gw.err("POST", "onlineagent/101/work", None, "100-009").await;
    assert_eq!(gw.status_code("101").await, 8);
}

#[tokio::test]
async fn busy_during_call_takes_effect_after_the_call() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    assert_eq!(gw.status_code("101").await, 7);
    gw.ok("POST", "onlineagent/101/saybusy?reason=205", None).await;
    gw.quiet("101").await;
    assert_eq!(gw.status_code("101").await, 7);
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": DEMO_CALL})).await;
    let ev = gw
        .expect(
            "101",
            &[
                "AgentEvent_Customer_Release",
                "AgentEvent_Call_Release",
                "AgentOther_PhoneRelease",
                "AgentState_SetNotReady_Success",
            ],
        )
        .await;
    assert_eq!(ev[3]["event"]["content"], 205);
    assert_eq!(gw.status_code("101").await, 3);
}

#[tokio::test]
async fn rest_and_work_during_call_and_sayfree_cancels_the_pending_change() {
    let mut gw = start_with(json!({"restUnitMs": 10})).await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("POST", "onlineagent/101/rest/60/3", None).await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_SetRest_Success"])
        .await;
    gw.ok("POST", "onlineagent/101/cancelrest", None).await;
    gw.drain("101").await;

    gw.talking("101", "1700000000-7").await;
    gw.ok("POST", "onlineagent/101/work", None).await;
    gw.ok("POST", "onlineagent/101/sayfree", None).await;
    gw.err("POST", "onlineagent/101/sayfree", None, "100-009").await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_Ready"]).await;
}

#[tokio::test]
async fn busy_during_call_refused_by_knob() {
    let mut gw = start_with(json!({"busyDuringCall": "refuse"})).await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.err("POST", "onlineagent/101/saybusy", None, "100-009").await;
    gw.err("POST", "onlineagent/101/rest/10/1", None, "100-009").await;
    gw.err("POST", "onlineagent/101/work", None, "100-009").await;
}

#[tokio::test]
async fn autoenteridle_false_means_wrap_up_after_a_call() {
    let mut gw = start().await;
    gw.login_with("101", json!({"autoenteridle": "false"})).await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    let ev =
        gw.expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentState_Work"]).await;
    assert_event_fixture(&ev[1], &[]);
    assert_eq!(gw.status_code("101").await, 5);
    gw.ok("POST", "onlineagent/101/cancelwork", None).await;
    gw.expect("101", &["AgentState_CancelWork_Success"]).await;
}
