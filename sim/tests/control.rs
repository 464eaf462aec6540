//! The `/sim/` control API, static files and demo mode.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn request_log_records_every_vendor_request() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    gw.ok("POST", "onlineagent/101/saybusy?reason=201", None).await;
    let guid = gw.guids["101"].clone();
    gw.raw("POST", "voicecall/101/reject", Some(&guid), Some("not json".into())).await;
    gw.call("POST", "voicecall/101/reject", Some(json!({"mode": 1}))).await;
    let log = gw.ctl("GET", "/sim/requests", Value::Null).await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], "/agentgateway/resource/onlineagent/101/saybusy");
    assert_eq!(log[0]["query"], "reason=201");
    assert_eq!(log[0]["guid"], guid.as_str());
    assert_eq!(log[0]["body"], Value::Null);
    assert_eq!(log[1]["body"], "not json");
    assert_eq!(log[2]["body"], json!({"mode": 1}));
    assert!(log[0]["seq"].as_u64() < log[1]["seq"].as_u64());
    assert!(log[0]["ts"].as_f64().unwrap() > 1.6e12);
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    assert_eq!(gw.ctl("GET", "/sim/requests", Value::Null).await, json!([]));
}

#[tokio::test]
async fn event_log_shows_release_times() {
    let mut gw = start().await;
    gw.sign_in_with("101", json!({"password": "agent123", "phonenum": "70001"})).await;
    let log = gw.ctl("GET", "/sim/events?agent=101", Value::Null).await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["eventType"], "AgentOther_InService");
    assert!(log[0]["releasedAt"].is_null());
    assert!(log[0]["queuedAt"].is_u64());
    gw.poll("101").await;
    let log = gw.ctl("GET", "/sim/events?agent=101", Value::Null).await;
    assert!(log[0]["releasedAt"].as_u64() >= log[0]["queuedAt"].as_u64());
    assert!(log[1]["releasedAt"].is_null());
    assert_eq!(gw.ctl("GET", "/sim/events?agent=102", Value::Null).await, json!([]));
    let all = gw.ctl("GET", "/sim/events", Value::Null).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn raw_events_are_delivered_verbatim() {
    let mut gw = start().await;
    gw.login("101").await;
    let v = gw
        .ctl(
            "POST",
            "/sim/event",
            json!({"agent": "101", "eventType": "AgentChat_Weird", "content": {"x": [1, "2"]}}),
        )
        .await;
    assert_eq!(v["ok"], true);
    let ev = gw.expect("101", &["AgentChat_Weird"]).await;
    assert_eq!(ev[0]["event"]["content"], json!({"x": [1, "2"]}));
    assert_eq!(ev[0]["event"]["workNo"], "101");
    let v = gw.ctl("POST", "/sim/event", json!({"agent": "999", "eventType": "X"})).await;
    assert!(v["error"].is_string());
    let v = gw.ctl("POST", "/sim/event", json!({"agent": "101"})).await;
    assert!(v["error"].is_string());
}

#[tokio::test]
async fn config_get_and_patch() {
    let gw = start().await;
    let k = gw.ctl("GET", "/sim/config", Value::Null).await;
    assert_eq!(k["guidIntervalMs"], 60000);
    assert_eq!(k["staleGuidRetcode"], "100-006");
    assert_eq!(k["emptyPollEvent"], "absent");
    let k = gw.ctl("POST", "/sim/config", json!({"guidIntervalMs": 5, "emptyHoldList": "empty_list"})).await;
    assert_eq!(k["guidIntervalMs"], 5);
    let v = gw.ctl("POST", "/sim/config", json!({"noSuchKnob": 1})).await;
    assert!(v["error"].as_str().unwrap().contains("noSuchKnob"));
    let v = gw.ctl("POST", "/sim/config", json!({"guidIntervalMs": "x"})).await;
    assert!(v["error"].is_string());
    let resp = gw.http.post(format!("{}/sim/config", gw.base)).body("{broken").send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(gw.ctl("GET", "/sim/config", Value::Null).await["guidIntervalMs"], 5);
    let s = gw.ctl("GET", "/sim/scenario", Value::Null).await;
    assert_eq!(s["callout"], "answer");
    let v = gw.ctl("POST", "/sim/scenario", json!({"callout": "maybe"})).await;
    assert!(v["error"].is_string());
    let resp = gw.http.get(format!("{}/sim/nothing", gw.base)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn offer_validation_queue_and_abandon() {
    let mut gw = start().await;
    for bad in
        [json!({"agent": "999"}), json!({"skill": 42}), json!({"media": "video"}), json!({"skill": "x"})]
    {
        let v = gw.ctl("POST", "/sim/offer", bad.clone()).await;
        assert!(v["error"].is_string(), "{bad}: {v}");
    }
    // Nobody signed in: queued, then abandoned by the caller.
    let callid = gw.offer(json!({"skill": 1, "caller": "13800138000"})).await;
    assert_eq!(gw.state().await["queue"], json!([callid]));
    let v = gw.ctl("POST", "/sim/offer", json!({"callid": callid})).await;
    assert!(v["error"].is_string(), "duplicate call id");
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": callid})).await;
    assert_eq!(gw.state().await["queue"], json!([]));
    let v = gw.ctl("POST", "/sim/customer-hangup", json!({"callid": callid})).await;
    assert!(v["error"].is_string());
    // Queued for a skill → rings the first agent who signs in with it.
    let callid = gw.offer(json!({"skill": 2, "caller": "1"})).await;
    gw.login_with("103", json!({})).await; // 103 does not serve skill 2
    gw.sign_in_with("102", json!({"password": "agent123", "phonenum": "70002", "autoanswer": false})).await;
    let ev = gw.expect("102", &["AgentOther_InService", "AgentState_Ready", "AgentEvent_Ringing"]).await;
    assert_eq!(ev[2]["event"]["content"]["callid"], callid.as_str());
    // The customer hangs up while it rings.
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": callid})).await;
    gw.expect(
        "102",
        &[
            "AgentEvent_Incoming_CallInfo",
            "AgentEvent_Customer_Release",
            "AgentEvent_Call_Release",
            "AgentOther_PhoneRelease",
            "AgentState_Ready",
        ],
    )
    .await;
}

#[tokio::test]
async fn reset_returns_to_the_start() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.knobs(json!({"pollWaitMs": 20})).await;
    let v = gw.ctl("POST", "/sim/reset", Value::Null).await;
    assert_eq!(v["ok"], true);
    let s = gw.state().await;
    assert_eq!(s["calls"], json!([]));
    assert!(s["agents"].as_array().unwrap().iter().all(|a| a["signedIn"] == false));
    assert_eq!(gw.ctl("GET", "/sim/requests", Value::Null).await, json!([]));
    assert_eq!(gw.ctl("GET", "/sim/events", Value::Null).await, json!([]));
    assert_eq!(gw.ctl("GET", "/sim/config", Value::Null).await["pollWaitMs"], 150);
    gw.err("GET", "onlineagent/101/agentstatus", None, "100-006").await;
    gw.login("101").await;
}

#[tokio::test]
async fn state_snapshot_for_assertions() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", DEMO_CALL).await;
    gw.ok("POST", "voicecall/101/hold", None).await;
    let a = gw.agent_state("101").await;
    assert_eq!(a["agentState"], 7);
    assert_eq!(a["held"], json!([DEMO_CALL]));
    assert_eq!(a["guid"], gw.guids["101"].as_str());
    let s = gw.state().await;
    assert_eq!(s["calls"][0]["id"], DEMO_CALL);
    assert_eq!(s["calls"][0]["state"]["state"], "held");
}

#[tokio::test]
async fn static_dir_is_served_with_index_fallback() {
    let dir = std::env::temp_dir().join(format!("agentbar-sim-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<html>toolbar</html>").unwrap();
    std::fs::write(dir.join("app.js"), "console.log(1)").unwrap();
    let opts = agentbar_sim::ServeOptions { static_dir: Some(dir.clone()), demo: false };
    let mut gw = start_opts(test_config(), opts).await;
    let get = |p: &str| {
        let url = format!("{}{p}", gw.base);
        let http = gw.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(get("/").await, (200, "<html>toolbar</html>".into()));
    assert_eq!(get("/app.js").await, (200, "console.log(1)".into()));
    assert_eq!(get("/some/route").await, (200, "<html>toolbar</html>".into()));
    // The APIs still win.
    assert_eq!(get("/sim/config").await.0, 200);
    gw.login("101").await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn demo_mode_rings_the_demo_agent_and_hangs_up() {
    let mut cfg = test_config();
    cfg.knobs.demo_interval_ms = 200;
    cfg.knobs.demo_talk_ms = 150;
    let opts = agentbar_sim::ServeOptions { static_dir: None, demo: true };
    let mut gw = start_opts(cfg, opts).await;
    gw.login("101").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ev = gw.expect("101", &["AgentEvent_Ringing"]).await;
    let callid = ev[0]["event"]["content"]["callid"].as_str().unwrap().to_string();
    gw.drain("101").await;
    gw.ok("PUT", "voicecall/101/answer", None).await;
    gw.expect("101", &["AgentEvent_Talking"]).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let ev = gw.expect("101", &["AgentEvent_Customer_Release", "AgentEvent_Call_Release"]).await;
    assert_eq!(ev[0]["event"]["content"]["callid"], callid.as_str());
}
