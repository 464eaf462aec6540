//! Sign-in, GUID, long-poll and sign-out behaviour over HTTP.

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn sign_in_idle_returns_set_guid_and_documented_events() {
    let mut gw = start().await;
    let (headers, v) = gw.sign_in_with("101", fixture("signin_request_sample.json")).await;
    assert_like(&v, &fixture("signin_response.json"), &["loginTime"]);
    let raw = headers["set-guid"].to_str().unwrap();
    assert!(raw.starts_with("JSESSIONID=") && raw.ends_with(".AgentGateway0"), "{raw}");
    let login_ms: u64 = v["result"]["loginTime"].as_str().unwrap().parse().unwrap();
    assert!(login_ms > 1_600_000_000_000);

    let evs = gw.expect("101", &["AgentOther_InService", "AgentState_Ready"]).await;
    for e in &evs {
        assert_event_fixture(e, &[]);
    }
    let empty = gw.poll("101").await;
    assert_eq!(empty, fixture("poll_empty.json"));
    let status = gw.ok("GET", "onlineagent/101/agentstatus", None).await;
    assert_eq!(status, fixture("agentstatus_idle.json"));
}

#[tokio::test]
async fn sign_in_busy_and_work_statuses() {
    let mut gw = start().await;
    gw.sign_in_with("101", json!({"password": "agent123", "phonenum": "70001", "status": "3"})).await;
    let evs = gw
        .expect("101", &["AgentOther_InService", "AgentState_Ready", "AgentState_SetNotReady_Success"])
        .await;
    assert_eq!(evs[2]["event"]["content"], 0);
    assert_eq!(gw.status_code("101").await, 3);

    gw.sign_in_with("102", json!({"password": "agent123", "phonenum": "70002", "status": 5})).await;
    let evs = gw.expect("102", &["AgentOther_InService", "AgentState_Ready", "AgentState_Work"]).await;
    assert_event_fixture(&evs[2], &["workNo"]);
    assert_eq!(evs[2]["event"]["workNo"], "102");
    assert_eq!(gw.status_code("102").await, 5);
}

#[tokio::test]
async fn sign_in_errors() {
    let mut gw = start().await;
    let si = |agent: &str, body: serde_json::Value| (agent.to_string(), body);
    let cases = [
        (si("101", json!({"password": "nope", "phonenum": "70001"})), "100-004"),
        (si("106", json!({"password": "agent123", "phonenum": "70001"})), "100-004"),
        (si("100", json!({"password": "agent123", "phonenum": "70001"})), "000-002"),
        (si("60000", json!({"password": "agent123", "phonenum": "70001"})), "000-002"),
        (si("abc", json!({"password": "agent123", "phonenum": "70001"})), "000-002"),
        (si("101", json!({"phonenum": "70001"})), "100-001"),
        (si("101", json!({"password": "agent123"})), "100-001"),
        (si("101", json!({"password": "agent123", "phonenum": "70x01"})), "100-013"),
        (si("101", json!({"password": "agent123", "phonenum": "70001", "status": 9})), "100-001"),
        (si("101", json!({"password": "agent123", "phonenum": "70001", "autoanswer": "maybe"})), "100-001"),
        (si("101", json!([1, 2])), "000-002"),
    ];
    for ((agent, body), code) in cases {
        let (_, v) = gw.sign_in_with(&agent, body.clone()).await;
        assert_eq!(v["retcode"], code, "{agent} {body}: {v}");
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    let (_, v) = gw.raw("PUT", "onlineagent/101", None, Some("{not json".into())).await;
    assert_eq!(v["retcode"], "000-002");
    // Wrong verb and unknown URL.
    let (_, v) = gw.raw("POST", "onlineagent/101", None, Some("{}".into())).await;
    assert_eq!(v["retcode"], "000-001");
    let (_, v) = gw.raw("GET", "onlineagent/101/nothing", None, None).await;
    assert_eq!(v["retcode"], "000-002");

    // Signing in twice → 100-002; the range knob widens the id range.
    gw.login("101").await;
    let (_, v) = gw.sign_in_with("101", json!({"password": "agent123", "phonenum": "70001"})).await;
    assert_eq!(v["retcode"], "100-002");
    gw.knobs(json!({"agentIdMax": 999999})).await;
    let (_, v) = gw.sign_in_with("60000", json!({"password": "agent123", "phonenum": "70001"})).await;
    assert_eq!(v["retcode"], "100-004");
}

#[tokio::test]
async fn guid_is_required_and_checked() {
    let mut gw = start().await;
    gw.login("101").await;
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", None, None).await;
    assert_eq!(v["retcode"], "100-006");
    assert_like(&v, &fixture("error_envelope.json"), &["message"]);
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", Some("bogus.AgentGateway0"), None).await;
    assert_eq!(v["retcode"], "100-006");
    // Another agent's GUID is not this agent's.
    gw.login("102").await;
    let g102 = gw.guids["102"].clone();
    let (_, v) = gw.raw("POST", "onlineagent/101/saybusy", Some(&g102), None).await;
    assert_eq!(v["retcode"], "100-006");
    // Header name is case-insensitive (the Java demo sends `guid`).
    let g = gw.guids["101"].clone();
    let resp = gw
        .http
        .get(format!("{}/agentgateway/resource/onlineagent/101/agentstatus", gw.base))
        .header("guid", g)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["retcode"], "0");

    gw.knobs(json!({"staleGuidRetcode": "000-003"})).await;
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", Some("bogus"), None).await;
    assert_eq!(v["retcode"], "000-003");
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", None, None).await;
    assert_eq!(v["retcode"], "100-006", "a missing Guid stays 100-006");
    // Not signed in at all.
    let (_, v) = gw.raw("POST", "onlineagent/103/sayfree", Some("x"), None).await;
    assert_eq!(v["retcode"], "100-006");
}

#[tokio::test]
async fn dynamic_guid_rotates_on_poll_and_old_one_expires() {
    let mut gw = start_with(json!({"guidIntervalMs": 300, "guidTimeoutMs": 500, "pollWaitMs": 50})).await;
    gw.login("101").await;
    let g0 = gw.guids["101"].clone();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let guid = gw.guids["101"].clone();
    let (headers, v) = gw.raw("GET", "agentevent/101", Some(&guid), None).await;
    assert_eq!(v["retcode"], "0");
    let g1 = set_guid(&headers).expect("rotated GUID in Set-GUID");
    assert_ne!(g1, g0);
    gw.guids.insert("101".into(), g1.clone());
    // The replaced GUID is still accepted for guidTimeoutMs …
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", Some(&g0), None).await;
    assert_eq!(v["retcode"], "0");
    // … a poll before the interval does not rotate …
    let (headers, _) = gw.raw("GET", "agentevent/101", Some(&g1), None).await;
    assert!(set_guid(&headers).is_none());
    // … and then it dies.
    tokio::time::sleep(Duration::from_millis(550)).await;
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", Some(&g0), None).await;
    assert_eq!(v["retcode"], "100-006");
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", Some(&g1), None).await;
    assert_eq!(v["retcode"], "0");
}

#[tokio::test]
async fn static_guid_never_rotates() {
    let mut gw = start_with(json!({"authMode": "static", "guidIntervalMs": 10, "pollWaitMs": 20})).await;
    gw.login("101").await;
    let g0 = gw.guids["101"].clone();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (headers, v) = gw.raw("GET", "agentevent/101", Some(&g0), None).await;
    assert_eq!(v["retcode"], "0");
    assert!(set_guid(&headers).is_none());
    // Knob: Set-GUID on every poll.
    gw.knobs(json!({"setGuidOnEveryPoll": true})).await;
    let (headers, _) = gw.raw("GET", "agentevent/101", Some(&g0), None).await;
    assert_eq!(set_guid(&headers).as_deref(), Some(g0.as_str()));
}

#[tokio::test]
async fn update_guid_returns_new_guid() {
    let mut gw = start().await;
    gw.login("101").await;
    let old = gw.guids["101"].clone();
    let (headers, v) = gw.raw("PUT", "onlineagent/101/updateGuid", Some(&old), None).await;
    assert_like(&v, &fixture("updateguid_response.json"), &["guid"]);
    let new = v["result"]["guid"].as_str().unwrap().to_string();
    assert_eq!(set_guid(&headers).as_deref(), Some(new.as_str()));
    assert_ne!(new, old);
    let (_, v) = gw.raw("GET", "onlineagent/101/agentstatus", Some(&new), None).await;
    assert_eq!(v["retcode"], "0");
    let (_, v) = gw.raw("PUT", "onlineagent/101/updateGuid", None, None).await;
    assert_eq!(v["retcode"], "100-006");
    gw.knobs(json!({"updateGuidRequiresGuid": false})).await;
    let (_, v) = gw.raw("PUT", "onlineagent/101/updateGuid", None, None).await;
    assert_eq!(v["retcode"], "0");
    let (_, v) = gw.raw("PUT", "onlineagent/104/updateGuid", None, None).await;
    assert_eq!(v["retcode"], "100-006", "not signed in");
}

#[tokio::test]
async fn forcelogin_takes_over_and_old_guid_dies() {
    let mut gw = start().await;
    gw.login("101").await;
    let old = gw.guids["101"].clone();
    let (headers, v) = gw
        .raw(
            "PUT",
            "onlineagent/101/forcelogin",
            None,
            Some(json!({"password": "agent123", "phonenum": "70001"}).to_string()),
        )
        .await;
    assert_like(&v, &fixture("signin_response.json"), &["loginTime"]);
    let new = set_guid(&headers).unwrap();
    assert_ne!(new, old);
    let (_, v) = gw.raw("GET", "agentevent/101", Some(&old), None).await;
    assert_eq!(v["retcode"], "100-006");
    gw.guids.insert("101".into(), new);
    gw.expect("101", &["AgentOther_InService", "AgentState_Ready"]).await;
    // Wrong password on forcelogin.
    let (_, v) = gw
        .raw(
            "PUT",
            "onlineagent/101/forcelogin",
            None,
            Some(json!({"password": "x", "phonenum": "70001"}).to_string()),
        )
        .await;
    assert_eq!(v["retcode"], "100-004");
}

#[tokio::test]
async fn logout_and_forcelogout() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.err("DELETE", "onlineagent/101/logout", None, "100-010").await;
    gw.ok("DELETE", "onlineagent/101/forcelogout", None).await;
    let evs = gw
        .expect("101", &["AgentEvent_Call_Release", "AgentOther_PhoneRelease", "AgentOther_ShutdownService"])
        .await;
    assert_eq!(evs[0]["event"]["content"], DEMO_CALL);
    assert_event_fixture(&evs[2], &["loginTime"]);
    // The session is gone once its last event was taken.
    let v = gw.poll("101").await;
    assert_eq!(v["retcode"], "100-006");
    let st = gw.state().await;
    assert_eq!(st["calls"], json!([]));

    gw.login("102").await;
    gw.ok("DELETE", "onlineagent/102/logout", None).await;
    let evs = gw.expect("102", &["AgentOther_ShutdownService"]).await;
    assert!(evs[0]["event"]["content"]["loginTime"].is_string());
    gw.err("GET", "onlineagent/102/agentstatus", None, "100-006").await;
    gw.err("DELETE", "onlineagent/102/logout", None, "100-006").await;
    // Wrong verb.
    gw.err("POST", "onlineagent/102/logout", None, "000-001").await;
}

#[tokio::test]
async fn long_poll_waits_then_answers_empty_and_wakes_on_event() {
    let mut gw = start_with(json!({"pollWaitMs": 400})).await;
    gw.sign_in_with("101", json!({"password": "agent123", "phonenum": "70001", "autoanswer": false})).await;
    // Queued events come back at once.
    let t = Instant::now();
    gw.expect("101", &["AgentOther_InService"]).await;
    assert!(t.elapsed() < Duration::from_millis(200), "{:?}", t.elapsed());
    gw.expect("101", &["AgentState_Ready"]).await;
    // Nothing queued: empty answer after about the configured wait.
    let t = Instant::now();
    gw.quiet("101").await;
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(380) && waited < Duration::from_millis(1500), "{waited:?}");
    // A poll in progress is answered as soon as an event is queued.
    let base = gw.base.clone();
    let guid = gw.guids["101"].clone();
    let poller = tokio::spawn(async move {
        let t = Instant::now();
        let v: serde_json::Value = reqwest::Client::new()
            .get(format!("{base}/agentgateway/resource/agentevent/101"))
            .header("Guid", guid)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (v, t.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    gw.offer_demo("101").await;
    let (v, took) = poller.await.unwrap();
    assert_eq!(v["event"]["eventType"], "AgentEvent_Ringing");
    assert!(took < Duration::from_millis(350), "{took:?}");
}

#[tokio::test]
async fn newer_poll_supersedes_older_one() {
    let mut gw = start_with(json!({"pollWaitMs": 2000})).await;
    gw.login("101").await;
    let base = gw.base.clone();
    let guid = gw.guids["101"].clone();
    let first = tokio::spawn(async move {
        let t = Instant::now();
        let v: serde_json::Value = reqwest::Client::new()
            .get(format!("{base}/agentgateway/resource/agentevent/101"))
            .header("Guid", guid)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (v, t.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let base = gw.base.clone();
    let guid = gw.guids["101"].clone();
    let second = tokio::spawn(async move {
        reqwest::Client::new()
            .get(format!("{base}/agentgateway/resource/agentevent/101"))
            .header("Guid", guid)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    gw.offer_demo("101").await;
    let (v1, took) = first.await.unwrap();
    assert!(v1.get("event").is_none(), "older poll answers empty: {v1}");
    assert!(took < Duration::from_millis(1500));
    let v2 = second.await.unwrap();
    assert_eq!(v2["event"]["eventType"], "AgentEvent_Ringing");
}

#[tokio::test]
async fn empty_poll_forms_and_event_list_knob() {
    let mut gw = start_with(json!({"pollWaitMs": 30, "emptyPollEvent": "null"})).await;
    gw.login("101").await;
    let v = gw.poll("101").await;
    assert_eq!(v, json!({"message": "", "retcode": "0", "event": null}));
    gw.knobs(json!({"emptyPollEvent": "object"})).await;
    let v = gw.poll("101").await;
    assert_eq!(v, json!({"message": "", "retcode": "0", "event": {}}));
    gw.knobs(json!({"eventAsList": true, "emptyPollEvent": "absent"})).await;
    gw.ok("POST", "onlineagent/101/saybusy", None).await;
    let v = gw.poll("101").await;
    let list = v["event"].as_array().expect("event as a list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["eventType"], "AgentState_SetNotReady_Success");
}

#[tokio::test]
async fn no_poll_for_too_long_signs_out() {
    let mut gw = start_with(json!({"noPollTimeoutMs": 300, "pollWaitMs": 50})).await;
    gw.login("101").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let a = gw.agent_state("101").await;
    assert_eq!(a["signedIn"], false);
    assert_eq!(a["agentState"], 2);
    gw.err("GET", "onlineagent/101/agentstatus", None, "100-006").await;
    // The last event can still be taken with the old GUID, then the session is gone.
    gw.expect("101", &["AgentOther_ShutdownService"]).await;
    let v = gw.poll("101").await;
    assert_eq!(v["retcode"], "100-006");
}

#[tokio::test]
async fn polling_keeps_the_session_alive() {
    let mut gw = start_with(json!({"noPollTimeoutMs": 300, "pollWaitMs": 100})).await;
    gw.login("101").await;
    for _ in 0..6 {
        gw.poll("101").await;
    }
    assert_eq!(gw.agent_state("101").await["signedIn"], true);
}

#[tokio::test]
async fn resetskill_and_flags() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.ok("POST", "onlineagent/101/resetskill/false?skillid=2;3", None).await;
    assert_eq!(gw.agent_state("101").await["skills"], json!([2, 3]));
    // A skill-1 call is not offered to 101 now.
    gw.offer(json!({"skill": 1, "caller": "13800138000"})).await;
    gw.quiet("101").await;
    gw.ok("POST", "onlineagent/101/resetskill/true", None).await;
    gw.expect("101", &["AgentEvent_Ringing"]).await;
    gw.err("POST", "onlineagent/101/resetskill/maybe", None, "000-002").await;
    gw.err("POST", "onlineagent/101/resetskill/false?skillid=a", None, "000-002").await;
    gw.ok("POST", "onlineagent/101/autoanswer/true", None).await;
    assert_eq!(gw.agent_state("101").await["autoanswer"], true);
    gw.ok("POST", "onlineagent/101/autoanswer/yes", None).await;
    assert_eq!(gw.agent_state("101").await["autoanswer"], false);
    gw.ok("POST", "onlineagent/101/autoenteridle/false", None).await;
    assert_eq!(gw.agent_state("101").await["autoenteridle"], false);
    gw.err("GET", "onlineagent/101/autoenteridle/false", None, "000-001").await;
}
