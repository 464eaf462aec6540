//! Fault injection (`/sim/fault`): the control API and every fault kind at the HTTP level.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const B: &str = "/agentgateway/resource/";

/// A vendor request that may fail at the transport level: `Err` when no HTTP answer came, else
/// the status, content type and body text.
async fn send(gw: &Gw, method: &str, path: &str) -> Result<(u16, String, String), reqwest::Error> {
    let guid = path.split('/').nth(1).and_then(|a| gw.guids.get(a)).cloned().unwrap_or_default();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let resp = gw.http.request(method, format!("{}{B}{path}", gw.base)).header("Guid", guid).send().await?;
    let status = resp.status().as_u16();
    let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = resp.text().await?;
    Ok((status, ctype, text))
}

async fn arm(gw: &Gw, body: Value) -> Value {
    let v = gw.ctl("POST", "/sim/fault", body).await;
    assert!(v.get("error").is_none(), "arm: {v}");
    v
}

/// `/sim/requests` entries as (last path segment, fault).
async fn log(gw: &Gw) -> Vec<(String, Option<String>)> {
    let v = gw.ctl("GET", "/sim/requests", Value::Null).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let last = r["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (last, r["fault"].as_str().map(str::to_string))
        })
        .collect()
}

fn fault(name: &str) -> Option<String> {
    Some(name.to_string())
}

/// Signed in, one call answered and held, a second call talking.
async fn held_and_talking(gw: &mut Gw) -> (String, String) {
    gw.login("101").await;
    let first = "1700000000-1".to_string();
    gw.talking("101", &first).await;
    gw.ok("POST", "voicecall/101/hold", None).await;
    gw.expect("101", &["AgentEvent_Hold"]).await;
    let second = "1700000000-2".to_string();
    gw.talking("101", &second).await;
    (first, second)
}

#[tokio::test]
async fn control_api_arms_lists_and_clears() {
    let gw = start().await;
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]));
    let v = arm(&gw, json!({"kind": "status", "match": "holdlist", "status": 504, "delayMs": 10})).await;
    assert_eq!(v["kind"], "status");
    assert_eq!(v["armed"], true);
    assert_eq!(v["count"], 1);
    assert_eq!(v["status"], 504);
    assert_eq!(v["match"], "holdlist");
    arm(&gw, json!({"kind": "drop", "count": 0})).await;
    let list = gw.ctl("GET", "/sim/fault", Value::Null).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["count"], 0);
    assert!(list[0]["id"].as_u64() < list[1]["id"].as_u64());
    assert_eq!(gw.ctl("DELETE", "/sim/fault", Value::Null).await, json!({"ok": true, "cleared": 2}));
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]));

    arm(&gw, json!({"kind": "slow"})).await;
    gw.ctl("POST", "/sim/reset", Value::Null).await;
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]), "reset clears faults");

    for bad in [
        json!({}),
        json!({"kind": "nope"}),
        json!({"kind": "drop", "extra": 1}),
        json!({"kind": "status", "status": 200}),
        json!({"kind": "drop", "count": -1}),
        json!({"kind": "drop", "stage": "middle"}),
        json!({"kind": "drop", "forward": "yes"}),
        json!({"kind": "signOut"}),
        json!({"kind": "expireGuid"}),
        json!({"kind": "unknownCallEvent"}),
        json!({"kind": "signOut", "agent": "101"}),
        json!({"kind": "expireGuid", "agent": "101"}),
        json!({"kind": "unknownCallEvent", "agent": "101"}),
    ] {
        let v = gw.ctl("POST", "/sim/fault", bad.clone()).await;
        assert!(v["error"].is_string(), "{bad} should be refused: {v}");
    }
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]));
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", "1700000000-1").await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    arm(&gw, json!({"kind": "drop", "match": "/hold"})).await;

    // Raw socket: not one byte comes back, the server closes.
    let addr = gw.base.strip_prefix("http://").unwrap();
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let guid = gw.guids["101"].clone();
    let req = format!(
        "POST {B}voicecall/101/hold HTTP/1.1\r\nHost: x\r\nGuid: {guid}\r\nContent-Length: 0\r\n\r\n"
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    sock.read_to_end(&mut got).await.unwrap();
    assert!(got.is_empty(), "expected no answer, got {:?}", String::from_utf8_lossy(&got));

    // The gateway never saw it: the call is still talking, nothing held.
    let a = gw.agent_state("101").await;
    assert_eq!(a["current"], "1700000000-1");
    assert_eq!(a["held"], json!([]));
    assert_eq!(log(&gw).await, vec![("hold".into(), fault("drop"))]);
    // Used up: the same command works (after the resend window).
    tokio::time::sleep(Duration::from_millis(200)).await;
    gw.ok("POST", "voicecall/101/hold", None).await;
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]));
}

#[tokio::test]
async fn drop_absorbs_the_browser_resend_and_forward_processes_the_request() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", "1700000000-1").await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    arm(&gw, json!({"kind": "drop", "match": "agentstatus"})).await;
    assert!(send(&gw, "GET", "onlineagent/101/agentstatus").await.is_err());
    // An identical request right away is the browser's automatic resend: dropped as well.
    assert!(send(&gw, "GET", "onlineagent/101/agentstatus").await.is_err());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(send(&gw, "GET", "onlineagent/101/agentstatus").await.is_ok());
    let l = log(&gw).await;
    assert_eq!(l[..2], [("agentstatus".into(), fault("drop")), ("agentstatus".into(), fault("drop"))]);
    assert_eq!(l[2], ("agentstatus".into(), None));

    // forward: the gateway holds the call, only the answer is lost.
    arm(&gw, json!({"kind": "drop", "match": "/hold", "forward": true})).await;
    assert!(send(&gw, "POST", "voicecall/101/hold").await.is_err());
    assert_eq!(gw.agent_state("101").await["held"], json!(["1700000000-1"]));
    gw.expect("101", &["AgentEvent_Hold"]).await;
    assert_eq!(log(&gw).await.iter().filter(|(_, f)| f.is_some()).count(), 3);
}

#[tokio::test]
async fn drop_at_body_stage_sends_headers_then_dies() {
    let mut gw = start().await;
    gw.login("101").await;
    arm(&gw, json!({"kind": "drop", "stage": "body", "match": "agentstatus"})).await;
    let guid = gw.guids["101"].clone();
    let resp = gw
        .http
        .get(format!("{}{B}onlineagent/101/agentstatus", gw.base))
        .header("Guid", guid)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.is_err(), "the body must fail");
    // No resend absorption for a body-stage drop.
    assert!(send(&gw, "GET", "onlineagent/101/agentstatus").await.is_ok());
}

#[tokio::test]
async fn status_answers_a_proxy_error_page_after_the_delay_without_reaching_the_gateway() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", "1700000000-1").await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    arm(&gw, json!({"kind": "status", "status": 504, "delayMs": 300, "match": "voicecall", "count": 2}))
        .await;
    let t = Instant::now();
    let (status, ctype, text) = send(&gw, "POST", "voicecall/101/hold").await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300), "{:?}", t.elapsed());
    assert_eq!(status, 504);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(text.contains("<title>504 Gateway Timeout</title>"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(gw.agent_state("101").await["held"], json!([]), "not processed");
    // Polls do not match "voicecall": untouched.
    gw.quiet("101").await;
    let (status, _, _) = send(&gw, "POST", "voicecall/101/beginmute").await.unwrap();
    assert_eq!(status, 504);
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]), "used up after 2");
    gw.ok("POST", "voicecall/101/hold", None).await;
    let l = log(&gw).await;
    assert_eq!(l.iter().filter(|(_, f)| f.as_deref() == Some("status")).count(), 2, "{l:?}");
    // Default status 502.
    arm(&gw, json!({"kind": "status"})).await;
    let (status, _, text) = send(&gw, "GET", "onlineagent/101/agentstatus").await.unwrap();
    assert_eq!(status, 502);
    assert!(text.contains("502 Bad Gateway"));
}

#[tokio::test]
async fn slow_delays_the_real_answer() {
    let mut gw = start().await;
    gw.login("101").await;
    arm(&gw, json!({"kind": "slow", "delayMs": 400, "match": "agentstatus"})).await;
    let t = Instant::now();
    let (status, _, text) = send(&gw, "GET", "onlineagent/101/agentstatus").await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(400));
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["result"]["agentState"], 4);
    assert_eq!(log(&gw).await.last().unwrap().1, fault("slow"));
    let t = Instant::now();
    gw.ok("GET", "onlineagent/101/agentstatus", None).await;
    assert!(t.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn malformed_answers_html_with_200() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.talking("101", "1700000000-1").await;
    arm(&gw, json!({"kind": "malformed", "match": "hold"})).await;
    let (status, ctype, text) = send(&gw, "POST", "voicecall/101/hold").await.unwrap();
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"));
    assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(gw.agent_state("101").await["held"], json!([]), "not processed");
    assert_eq!(log(&gw).await.last().unwrap(), &("hold".into(), fault("malformed")));
}

#[tokio::test]
async fn truncated_cuts_the_processed_answer_in_half() {
    let mut gw = start().await;
    let (first, second) = held_and_talking(&mut gw).await;
    let whole = gw.ok("GET", "calldata/101/holdlist", None).await.to_string();
    arm(&gw, json!({"kind": "truncated", "match": "holdlist"})).await;
    let (status, ctype, text) = send(&gw, "GET", "calldata/101/holdlist").await.unwrap();
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/json"));
    assert_eq!(text.len(), whole.len() / 2);
    assert!(whole.starts_with(&text));
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(log(&gw).await.last().unwrap(), &("holdlist".into(), fault("truncated")));
    // A processed command: the hold happened although the answer is broken.
    arm(&gw, json!({"kind": "truncated", "match": "/hold"})).await;
    let (_, _, text) = send(&gw, "POST", "voicecall/101/hold").await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let held = gw.agent_state("101").await["held"].clone();
    assert_eq!(held, json!([first, second]));
}

#[tokio::test]
async fn match_and_agent_filter_requests() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.login("102").await;
    arm(&gw, json!({"kind": "status", "match": "holdlist", "agent": "102", "count": 0})).await;
    // Other path, other agent: not hit.
    gw.ok("GET", "onlineagent/102/agentstatus", None).await;
    gw.err("GET", "calldata/101/holdlist", None, "400-003").await;
    for _ in 0..3 {
        assert_eq!(send(&gw, "GET", "calldata/102/holdlist").await.unwrap().0, 502);
    }
    let list = gw.ctl("GET", "/sim/fault", Value::Null).await;
    assert_eq!(list[0]["hits"], 3, "count 0 stays armed: {list}");
    gw.ctl("DELETE", "/sim/fault", Value::Null).await;
    gw.err("GET", "calldata/102/holdlist", None, "400-003").await;
}

#[tokio::test]
async fn duplicate_event_delivers_the_next_event_twice() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    arm(&gw, json!({"kind": "duplicateEvent"})).await;
    gw.offer(json!({"agent": "101", "caller": "13800138000", "callid": "1700000000-1"})).await;
    let evs =
        gw.expect("101", &["AgentEvent_Ringing", "AgentEvent_Ringing", "AgentEvent_Incoming_CallInfo"]).await;
    assert_eq!(evs[0], evs[1], "same event, same eventGenTime");
    gw.quiet("101").await;
    let l = log(&gw).await;
    assert_eq!(
        l.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>()[..3],
        [None, fault("duplicateEvent"), None]
    );

    // eventType: only that event is repeated.
    arm(&gw, json!({"kind": "duplicateEvent", "eventType": "AgentEvent_Talking"})).await;
    gw.ok("PUT", "voicecall/101/answer", None).await;
    gw.ok("POST", "voicecall/101/hold", None).await;
    gw.expect("101", &["AgentEvent_Talking", "AgentEvent_Talking", "AgentEvent_Hold"]).await;
    gw.quiet("101").await;
}

#[tokio::test]
async fn unknown_call_event_is_queued_for_a_call_that_does_not_exist() {
    let mut gw = start().await;
    gw.login("101").await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    let v = arm(&gw, json!({"kind": "unknownCallEvent", "agent": "101"})).await;
    assert_eq!(v["armed"], false, "applied at once");
    let ev = gw.expect("101", &["AgentEvent_Call_Release"]).await;
    assert_eq!(ev[0]["event"]["content"], "no-such-call");
    assert_eq!(log(&gw).await, vec![("101".into(), fault("unknownCallEvent"))]);
    arm(
        &gw,
        json!({"kind": "unknownCallEvent", "agent": "101", "eventType": "AgentEvent_Hold", "callid": "x-1"}),
    )
    .await;
    let ev = gw.expect("101", &["AgentEvent_Hold"]).await;
    assert_eq!(ev[0]["event"]["content"], "x-1");
    arm(&gw, json!({"kind": "unknownCallEvent", "agent": "101", "eventType": "AgentEvent_Talking"})).await;
    let ev = gw.expect("101", &["AgentEvent_Talking"]).await;
    assert_eq!(ev[0]["event"]["content"]["callid"], "no-such-call");
    // The model is untouched.
    assert_eq!(gw.status_code("101").await, 4);
    assert_eq!(gw.state().await["calls"], json!([]));
}

#[tokio::test]
async fn expire_guid_makes_the_guid_stale_while_the_agent_stays_signed_in() {
    let mut gw = start_with(json!({"staleGuidRetcode": "000-003"})).await;
    let (first, second) = held_and_talking(&mut gw).await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    let old = gw.guids["101"].clone();
    let v = arm(&gw, json!({"kind": "expireGuid", "agent": "101"})).await;
    assert_eq!(v["armed"], false);
    gw.err("GET", "onlineagent/101/agentstatus", None, "000-003").await;
    gw.err("GET", "agentevent/101", None, "000-003").await;
    gw.err("PUT", "onlineagent/101/updateGuid", None, "000-003").await;
    let a = gw.agent_state("101").await;
    assert_eq!(a["signedIn"], true);
    assert_ne!(a["guid"], old.as_str());
    assert_eq!(a["held"], json!([first]));
    let l = log(&gw).await;
    assert_eq!(l[0], ("agentstatus".into(), fault("expireGuid")), "first request to see it is marked");
    assert!(l[1..].iter().all(|(_, f)| f.is_none()));

    // Recovery: sign-in says already signed in, forcelogin takes over with the calls kept.
    let body = json!({"password": "agent123", "phonenum": "70001", "autoanswer": false});
    let (_, v) = gw.sign_in_with("101", body.clone()).await;
    assert_eq!(v["retcode"], "100-002");
    let (_, v) = gw.raw("PUT", "onlineagent/101/forcelogin", None, Some(body.to_string())).await;
    assert_eq!(v["retcode"], "0");
    let a = gw.agent_state("101").await;
    assert_eq!((a["held"].clone(), a["current"].clone()), (json!([first]), json!(second)));

    // With updateGuidRequiresGuid false, updateGuid recovers from an expired GUID.
    gw.knobs(json!({"updateGuidRequiresGuid": false})).await;
    gw.guids.insert("101".into(), a["guid"].as_str().unwrap().to_string());
    arm(&gw, json!({"kind": "expireGuid", "agent": "101"})).await;
    gw.err("GET", "onlineagent/101/agentstatus", None, "000-003").await;
    let v = gw.ok("PUT", "onlineagent/101/updateGuid", None).await;
    gw.guids.insert("101".into(), v["result"]["guid"].as_str().unwrap().to_string());
    assert_eq!(gw.status_code("101").await, 7);
}

#[tokio::test]
async fn sign_out_releases_the_calls_like_forcelogout() {
    let mut gw = start().await;
    let (first, second) = held_and_talking(&mut gw).await;
    gw.ctl("DELETE", "/sim/requests", Value::Null).await;
    arm(&gw, json!({"kind": "signOut", "agent": "101"})).await;
    let evs = gw
        .expect(
            "101",
            &[
                "AgentEvent_Call_Release",
                "AgentEvent_Call_Release",
                "AgentOther_PhoneRelease",
                "AgentOther_ShutdownService",
            ],
        )
        .await;
    let released: Vec<&Value> = evs[..2].iter().map(|e| &e["event"]["content"]).collect();
    assert_eq!(released, [&json!(second), &json!(first)]);
    gw.err("GET", "agentevent/101", None, "100-006").await;
    let a = gw.agent_state("101").await;
    assert_eq!(a["signedIn"], false);
    assert_eq!(gw.state().await["calls"], json!([]));
    assert_eq!(log(&gw).await[0], ("101".into(), fault("signOut")));
    gw.login("101").await;
}

#[tokio::test]
async fn restart_drops_sessions_and_calls_but_keeps_logs() {
    let mut gw = start().await;
    held_and_talking(&mut gw).await;
    gw.login("102").await;
    gw.knobs(json!({"holdListOrder": "oldest_first"})).await;
    let requests_before = log(&gw).await.len();
    let events_before = gw.ctl("GET", "/sim/events", Value::Null).await.as_array().unwrap().len();
    arm(&gw, json!({"kind": "slow", "match": "nothing-matches"})).await;

    // A poll waiting when the gateway restarts gets 100-006.
    let guid = gw.guids["101"].clone();
    let url = format!("{}{B}agentevent/101", gw.base);
    let http = gw.http.clone();
    let waiting =
        tokio::spawn(async move { http.get(url).header("Guid", guid).send().await?.json::<Value>().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let v = arm(&gw, json!({"kind": "restart"})).await;
    assert_eq!(v["armed"], false);
    assert_eq!(waiting.await.unwrap().unwrap()["retcode"], "100-006");

    let s = gw.state().await;
    assert!(s["agents"].as_array().unwrap().iter().all(|a| a["signedIn"] == false && a["held"] == json!([])));
    assert_eq!(s["calls"], json!([]));
    assert_eq!(log(&gw).await.len(), requests_before + 1, "request log kept");
    let events = gw.ctl("GET", "/sim/events", Value::Null).await.as_array().unwrap().len();
    assert_eq!(events, events_before, "event log kept");
    assert_eq!(gw.ctl("GET", "/sim/config", Value::Null).await["holdListOrder"], "oldest_first");
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await.as_array().unwrap().len(), 1, "faults kept");

    // The waiting poll was the first request to see the restart.
    assert_eq!(log(&gw).await.last().unwrap(), &("101".into(), fault("restart")));
    gw.err("GET", "onlineagent/101/agentstatus", None, "100-006").await;
    assert_eq!(log(&gw).await.last().unwrap(), &("agentstatus".into(), None));
    // Signing in again is a fresh sign-in (no 100-002); new call ids do not repeat old ones.
    gw.login("101").await;
    let callid = gw.offer(json!({"agent": "101"})).await;
    assert!(!["1700000000-1", "1700000000-2"].contains(&callid.as_str()));
}

#[tokio::test]
async fn action_faults_with_match_fire_on_the_matching_request() {
    let mut gw = start().await;
    let (first, _) = held_and_talking(&mut gw).await;
    let v = arm(&gw, json!({"kind": "signOut", "agent": "101", "match": "holdlist"})).await;
    assert_eq!(v["armed"], true);
    gw.ok("GET", "onlineagent/101/agentstatus", None).await;
    assert_eq!(gw.agent_state("101").await["held"], json!([first]));
    gw.err("GET", "calldata/101/holdlist", None, "100-006").await;
    assert_eq!(log(&gw).await.last().unwrap(), &("holdlist".into(), fault("signOut")));
    assert_eq!(gw.agent_state("101").await["signedIn"], false);

    gw.login("101").await;
    arm(&gw, json!({"kind": "restart"})).await;
    gw.err("GET", "calldata/101/holdlist", None, "100-006").await;
    assert_eq!(
        log(&gw).await.last().unwrap(),
        &("holdlist".into(), fault("restart")),
        "next request sees it"
    );

    gw.login("101").await;
    arm(&gw, json!({"kind": "restart", "match": "callinfo"})).await;
    gw.err("GET", "calldata/101/callinfo", None, "100-006").await;
    assert_eq!(gw.agent_state("101").await["signedIn"], false);
}

#[tokio::test]
async fn transport_faults_hit_ccc_requests_too() {
    let gw = start().await;
    arm(&gw, json!({"kind": "status", "status": 503, "match": "ListSkillGroups"})).await;
    let form = |action: &str| format!("Action={action}&Version=2020-07-01&InstanceId=ccc-demo");
    let post = |body: String| {
        gw.http
            .post(format!("{}/", gw.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let other = post(form("ListRealtimeAgentStates")).await.unwrap();
    assert_eq!(other.status(), 400, "not matched: refused for its missing signature");
    let hit = post(form("ListSkillGroups")).await.unwrap();
    assert_eq!(hit.status(), 503);
    assert!(hit.text().await.unwrap().contains("503 Service Unavailable"));
    let v = gw.ctl("GET", "/sim/requests", Value::Null).await;
    let last = v.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["fault"], "status");
    assert_eq!(last["path"], "/");
}
