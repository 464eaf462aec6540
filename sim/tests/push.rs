//! CC-Gateway push mode (callBackUri + serviceToken at sign-in, handshake, events POSTed as
//! `{workNo, eventList}`), the no-handshake sign-out, `/sim/counts`, and CCC UpdateSubscription
//! with Webhook delivery.

mod ccc_common;
mod common;

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Posts = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A callback receiver on a free port: records (service_token header, body) of every POST.
async fn receiver() -> (String, Posts) {
    let posts: Posts = Arc::default();
    let p = posts.clone();
    let app = axum::Router::new().route(
        "/cb",
        axum::routing::post(move |h: axum::http::HeaderMap, body: axum::Json<Value>| {
            let p = p.clone();
            async move {
                let token = h.get("service_token").and_then(|v| v.to_str().ok()).map(String::from);
                p.lock().unwrap().push((token, body.0));
                axum::Json(json!({"retcode": "0"}))
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, posts)
}

fn event_types(posts: &Posts) -> Vec<String> {
    posts
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, b)| b["eventList"].as_array().cloned().unwrap_or_default())
        .map(|e| e["eventType"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn wait_for(posts: &Posts, ty: &str) {
    for _ in 0..100 {
        if event_types(posts).iter().any(|t| t == ty) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no {ty} pushed: {:?}", event_types(posts));
}

async fn handshake(gw: &common::Gw, agent: &str, token: &str) -> Value {
    gw.http
        .post(format!("{}/agentgateway/resource/onlineagent/{agent}/handshake", gw.base))
        .header("service_token", token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn signed_in(gw: &common::Gw) -> bool {
    let s: Value = gw.http.get(format!("{}/sim/state", gw.base)).send().await.unwrap().json().await.unwrap();
    s["agents"][0]["signedIn"].as_bool().unwrap()
}

#[tokio::test]
async fn push_mode_posts_events_and_signs_out_without_handshake() {
    let mut gw = common::start_with(json!({"pushHandshakeTimeoutMs": 400})).await;
    let (url, posts) = receiver().await;
    let (_, v) = gw
        .sign_in_with("101", json!({"password": "agent123", "phonenum": "70001", "callBackUri": url, "serviceToken": "tok101"}))
        .await;
    assert_eq!(v["retcode"], "0");
    wait_for(&posts, "AgentState_Ready").await;
    {
        let p = posts.lock().unwrap();
        assert_eq!(p[0].0.as_deref(), Some("tok101"), "the token rides on each callback");
        assert_eq!(p[0].1["workNo"], "101");
        let ev = &p[0].1["eventList"][0];
        assert_eq!(
            (ev["eventType"].as_str(), ev["workNo"].as_str()),
            (Some("AgentOther_InService"), Some("101"))
        );
        assert!(ev.get("content").is_some());
    }
    // Calls' events go to the callback too; nothing is queued for a long-poll.
    gw.http.post(format!("{}/sim/offer", gw.base)).json(&json!({"agent": "101"})).send().await.unwrap();
    wait_for(&posts, "AgentEvent_Ringing").await;
    // A wrong token is refused; the right one keeps the session past the timeout.
    assert_ne!(handshake(&gw, "101", "wrong").await["retcode"], "0");
    for _ in 0..8 {
        assert_eq!(handshake(&gw, "101", "tok101").await["retcode"], "0");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(signed_in(&gw).await);
    // A long-poll is answered but counted.
    gw.poll("101").await;
    let counts: Value =
        gw.http.get(format!("{}/sim/counts", gw.base)).send().await.unwrap().json().await.unwrap();
    let c = &counts["agents"]["101"];
    assert_eq!((c["longPolls"].as_u64(), c["longPollsInPushMode"].as_u64()), (Some(1), Some(1)), "{counts}");
    assert_eq!(c["handshakes"], 9);
    // No handshake for the timeout: signed out, and told so through the callback.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!signed_in(&gw).await);
    wait_for(&posts, "AgentOther_ShutdownService").await;
    assert_ne!(handshake(&gw, "101", "tok101").await["retcode"], "0");
}

#[tokio::test]
async fn without_both_fields_the_session_polls() {
    let mut gw = common::start().await;
    let (url, posts) = receiver().await;
    gw.sign_in_with("101", json!({"password": "agent123", "phonenum": "70001", "callBackUri": url})).await;
    let first = gw.poll("101").await;
    assert_eq!(first["event"]["eventType"], "AgentOther_InService");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(posts.lock().unwrap().is_empty());
    let (_, v) = gw
        .sign_in_with(
            "102",
            json!({"password": "agent123", "phonenum": "70002", "callBackUri": url, "serviceToken": "a-b"}),
        )
        .await;
    assert_ne!(v["retcode"], "0", "serviceToken: letters and digits only");
}

#[tokio::test]
async fn ccc_webhook_delivers_documented_events() {
    let gw = common::start().await;
    let (url, posts) = receiver().await;
    let ccc = ccc_common::Ccc::new(&gw.base);
    ccc.ok(
        "UpdateSubscription",
        &[("ProducerId", "PID_Webhook"), ("DefaultTopic", "Topic_Webhook"), ("AccessPoint", &url)],
    )
    .await;
    let u = "agent101@ccc-demo";
    ccc.ok(
        "SignInGroup",
        &[("UserId", u), ("DeviceId", "dev-1"), ("SignedSkillGroupIdList", r#"["skillgroup1@ccc-demo"]"#)],
    )
    .await;
    ccc.ok("ReadyForService", &[("UserId", u)]).await;
    gw.http.post(format!("{}/sim/offer", gw.base)).json(&json!({"agent": "101"})).send().await.unwrap();
    ccc.ok("PollUserStatus", &[("UserId", u)]).await;
    let types = || -> Vec<Value> { posts.lock().unwrap().iter().map(|(_, b)| b.clone()).collect() };
    for _ in 0..100 {
        if types().iter().any(|e| e["eventType"] == "Ringing") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events = types();
    let names: Vec<&str> = events.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["AgentCheckIn", "AgentBreak", "AgentReady"], "{names:?}");
    assert!(names.contains(&"AgentRinging") && names.contains(&"Ringing"), "{names:?}");
    let ring = events.iter().find(|e| e["eventType"] == "Ringing").unwrap();
    for k in ["eventTime", "instanceId", "agentId", "contactId", "channelId", "callType"] {
        assert!(ring.get(k).is_some(), "{k} missing: {ring}");
    }
    assert_eq!((ring["agentId"].as_str(), ring["instanceId"].as_str()), (Some(u), Some("ccc-demo")));
    assert!(ring["eventTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(events[1]["breakCode"], "Warm-up");
    let counts: Value =
        gw.http.get(format!("{}/sim/counts", gw.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts["agents"]["101"]["pollUserStatus"], 1);
}
