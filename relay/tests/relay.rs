//! Host tests of the relay against the simulator (in process), with the in-memory backend and,
//! when `REDIS_URL` is set (scripts/relay-test.sh), the Redis backend.

use agentbar_relay::backend::{memory::Memory, redis::Redis, Backend};
use agentbar_relay::client::{SseEvent, SseReader};
use agentbar_relay::config::Config;
use agentbar_relay::server::parse_id;
use agentbar_relay::Relay;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

async fn start_sim(knobs: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut cfg = agentbar_sim::config::SimConfig::default();
    cfg.knobs.patch(&knobs).unwrap();
    tokio::spawn(agentbar_sim::serve(cfg, listener, Default::default()));
    format!("http://{addr}")
}

struct Rig<B: Backend> {
    base: String,
    relay: Arc<Relay<B>>,
    http: reqwest::Client,
}

async fn start_relay<B: Backend>(
    backend: B,
    gateway: Option<&str>,
    bridge: Option<&str>,
    tune: impl FnOnce(&mut Config),
) -> Rig<B> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut cfg = Config {
        listen: addr,
        public_url: format!("http://{addr}"),
        gateway: gateway.map(|g| format!("{g}/agentgateway/resource")),
        bridge: bridge.map(String::from),
        secret: "test-secret".into(),
        webhook_token: "hook".into(),
        instance: "test".into(),
        ..Config::default()
    };
    tune(&mut cfg);
    let relay = Relay::new(cfg, Arc::new(backend));
    tokio::spawn(agentbar_relay::serve(relay.clone(), listener, None, std::future::pending()));
    Rig { base: format!("http://{addr}"), relay, http: reqwest::Client::new() }
}

impl<B: Backend> Rig<B> {
    async fn callback(&self, work_no: &str, token: &str, events: Vec<Value>) -> reqwest::StatusCode {
        self.http
            .post(format!("{}/relay/huawei/callback", self.base))
            .header("service_token", token)
            .json(&json!({"workNo": work_no, "eventList": events}))
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn push(&self, work_no: &str, n: std::ops::RangeInclusive<u32>) {
        let token = self.relay.service_token(work_no);
        for i in n {
            let ev = json!({"eventType": "AgentState_Ready", "workNo": work_no, "content": {"n": i}});
            assert_eq!(self.callback(work_no, &token, vec![ev]).await, 200);
        }
    }

    async fn ticket(&self, agent: &str, guid: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/relay/ticket", self.base))
            .header("guid", guid)
            .json(&json!({"vendor": "huawei", "agentId": agent}))
            .send()
            .await
            .unwrap()
    }

    async fn ticket_ok(&self, agent: &str, guid: &str) -> String {
        let r = self.ticket(agent, guid).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_string()
    }

    async fn stream(&self, ticket: &str, last: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(format!("{}/relay/stream?ticket={ticket}", self.base));
        if let Some(l) = last {
            req = req.header("last-event-id", l);
        }
        req.send().await.unwrap()
    }
}

async fn sign_in(sim: &str, agent: &str, phone: &str, extra: Value) -> String {
    let mut body = json!({"password": "agent123", "phonenum": phone});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = reqwest::Client::new()
        .put(format!("{sim}/agentgateway/resource/onlineagent/{agent}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let guid = r.headers()["set-guid"].to_str().unwrap().trim_start_matches("JSESSIONID=").to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["retcode"], "0", "{v}");
    guid
}

/// Next event that is not the retry hint, within 5 s.
async fn next(r: &mut SseReader) -> SseEvent {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(5), r.next())
            .await
            .expect("an event within 5 s")
            .expect("stream open");
        if ev.retry.is_some() && ev.data.is_empty() {
            continue;
        }
        return ev;
    }
}

/// The `seq` of an event's id (`<gen>.<seq>`).
fn seq(ev: &SseEvent) -> u64 {
    parse_id(ev.id.as_deref().expect("an id")).expect("an id the relay sends").seq
}

fn n_of(ev: &SseEvent) -> u64 {
    serde_json::from_str::<Value>(&ev.data).unwrap()["content"]["n"].as_u64().unwrap()
}

// ------------------------------------------------------------------------------- backends

fn memory(bound: usize) -> Memory {
    Memory::new(bound)
}

async fn redis(bound: usize) -> Option<Redis> {
    let url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty())?;
    let prefix = format!("test:{}", uuid_like());
    Some(Redis::connect(&url, &prefix, bound, 60_000).await.expect("REDIS_URL reachable"))
}

fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    )
}

macro_rules! both_backends {
    ($name:ident, $body:ident, $bound:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn memory_backend() {
                $body(memory($bound)).await;
            }
            #[tokio::test]
            async fn redis_backend() {
                match redis($bound).await {
                    Some(b) => $body(b).await,
                    None => eprintln!(
                        "REDIS_URL not set: Redis backend not tested (scripts/relay-test.sh sets it)"
                    ),
                }
            }
        }
    };
}

// ------------------------------------------------------------------------------- tests

async fn service_token_checked<B: Backend>(b: B) {
    let rig = start_relay(b, Some("http://127.0.0.1:9"), None, |_| {}).await;
    let ev = vec![json!({"eventType": "AgentState_Ready", "workNo": "101", "content": null})];
    assert_eq!(rig.callback("101", "wrong", ev.clone()).await, 401);
    assert_eq!(rig.callback("101", "", ev.clone()).await, 401);
    // Another agent's token does not work for 101.
    assert_eq!(rig.callback("101", &rig.relay.service_token("102"), ev.clone()).await, 401);
    assert_eq!(rig.callback("101", &rig.relay.service_token("101"), ev.clone()).await, 200);
    // A token for 101 cannot carry 102's events.
    let other = vec![json!({"eventType": "AgentState_Ready", "workNo": "102", "content": null})];
    assert_eq!(rig.callback("101", &rig.relay.service_token("101"), other).await, 400);
    let r = rig
        .http
        .post(format!("{}/relay/ccc/webhook?token=nope", rig.base))
        .json(&json!({"agentId": "a@x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
both_backends!(service_token, service_token_checked, 100);

async fn ticket_single_use_and_own_stream_only<B: Backend>(b: B) {
    let sim = start_sim(json!({})).await;
    let rig = start_relay(b, Some(&sim), None, |_| {}).await;
    let g101 = sign_in(&sim, "101", "70001", json!({})).await;
    let g102 = sign_in(&sim, "102", "70002", json!({})).await;
    // A wrong Guid, and 101's Guid claiming to be 102, are refused by the gateway.
    assert_eq!(rig.ticket("101", "not-a-guid").await.status(), 401);
    assert_eq!(rig.ticket("102", &g101).await.status(), 401);
    assert_eq!(rig.ticket("101", "").await.status(), 401);
    let t = rig.ticket_ok("101", &g101).await;
    let first = rig.stream(&t, None).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "text/event-stream");
    assert_eq!(rig.stream(&t, None).await.status(), 401, "a ticket is single-use");
    assert_eq!(rig.stream("bogus", None).await.status(), 401);
    // 101 gets its own events and never 102's.
    let mut s101 = SseReader::new(first);
    let t102 = rig.ticket_ok("102", &g102).await;
    let mut s102 = SseReader::new(rig.stream(&t102, None).await);
    rig.push("102", 1..=1).await;
    rig.push("101", 1..=1).await;
    let e = next(&mut s101).await;
    assert_eq!((e.event.as_str(), seq(&e)), ("huawei", 1));
    let v: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(v["workNo"], "101");
    let e = next(&mut s102).await;
    assert_eq!(serde_json::from_str::<Value>(&e.data).unwrap()["workNo"], "102");
    // An expired ticket.
    let short = start_relay(memory(10), Some(&sim), None, |c| c.ticket_ttl_ms = 50).await;
    let t = short.ticket_ok("101", &g101).await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(short.stream(&t, None).await.status(), 401);
}
both_backends!(tickets, ticket_single_use_and_own_stream_only, 100);

async fn last_event_id_replay_exact<B: Backend>(b: B) {
    let sim = start_sim(json!({})).await;
    let rig = start_relay(b, Some(&sim), None, |_| {}).await;
    let g = sign_in(&sim, "101", "70001", json!({})).await;
    rig.push("101", 1..=5).await;
    let t = rig.ticket_ok("101", &g).await;
    let resp = rig.stream(&t, Some("2")).await;
    let mut s = SseReader::new(resp);
    let hint = s.next().await.unwrap();
    assert_eq!(hint.retry, Some(3000), "a retry hint first");
    for want in 3..=5 {
        let e = next(&mut s).await;
        assert_eq!((seq(&e), n_of(&e)), (want, want));
    }
    rig.push("101", 6..=7).await;
    for want in 6..=7 {
        let e = next(&mut s).await;
        assert_eq!((seq(&e), n_of(&e)), (want, want));
    }
    // Nothing more: no repeats.
    assert!(tokio::time::timeout(Duration::from_millis(300), s.next()).await.is_err());
    // The query parameter works as well as the header (a fresh EventSource cannot set it).
    let t = rig.ticket_ok("101", &g).await;
    let resp =
        rig.http.get(format!("{}/relay/stream?ticket={t}&lastEventId=6", rig.base)).send().await.unwrap();
    let mut s = SseReader::new(resp);
    assert_eq!(seq(&next(&mut s).await), 7);
    // Up to date: nothing replayed.
    let t = rig.ticket_ok("101", &g).await;
    let mut s = SseReader::new(rig.stream(&t, Some("7")).await);
    s.next().await.unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(300), s.next()).await.is_err());
}
both_backends!(replay, last_event_id_replay_exact, 100);

async fn bounded_backlog<B: Backend>(b: B) {
    let sim = start_sim(json!({})).await;
    let rig = start_relay(b, Some(&sim), None, |_| {}).await;
    let g = sign_in(&sim, "101", "70001", json!({})).await;
    // Redis trims with MAXLEN ~ (whole nodes of 100 entries): push well past the bound.
    rig.push("101", 1..=350).await;
    let t = rig.ticket_ok("101", &g).await;
    let mut s = SseReader::new(rig.stream(&t, Some("3")).await);
    let reset = next(&mut s).await;
    assert_eq!(reset.event, "reset", "events after 3 were trimmed: the client must resync");
    let info: Value = serde_json::from_str(&reset.data).unwrap();
    let oldest: u64 = parse_id(info["oldest"].as_str().unwrap()).unwrap().seq;
    assert!(oldest > 4, "{info}");
    let mut got = Vec::new();
    while got.last() != Some(&350) {
        let e = next(&mut s).await;
        got.push(seq(&e));
    }
    assert_eq!(got.first(), Some(&oldest));
    assert!(got.windows(2).all(|w| w[1] == w[0] + 1));
    assert!(got.len() <= 250, "backlog bounded: {} kept", got.len());
}
both_backends!(bounded, bounded_backlog, 100);

/// Ids carry the stream's generation: when the backlog is lost (a restarted in-memory relay, a
/// flushed Redis) and the agent's stream starts again at 1, a client with an id from the old
/// stream gets `reset` and the whole new stream, even where its old seq is below the new ones.
/// Agent 101 signed in, three events on `old`, read by a client: its stream and last id.
async fn three_events_read<B: Backend>(old: B) -> (String, String, Rig<B>, SseReader, String) {
    let sim = start_sim(json!({})).await;
    let g = sign_in(&sim, "101", "70001", json!({})).await;
    let before = start_relay(old, Some(&sim), None, |_| {}).await;
    before.push("101", 1..=3).await;
    let t = before.ticket_ok("101", &g).await;
    let mut s = SseReader::new(before.stream(&t, None).await);
    let mut last = String::new();
    for want in 1..=3 {
        let e = next(&mut s).await;
        assert_eq!(seq(&e), want);
        last = e.id.unwrap();
    }
    (sim, g, before, s, last)
}

async fn lost_backlog_resets<B: Backend>(old: B, new: B) {
    let (sim, g, _before, s, last) = three_events_read(old).await;
    drop(s);
    // The backlog is gone; five new events: ids 1..5 of a new generation.
    let after = start_relay(new, Some(&sim), None, |_| {}).await;
    tokio::time::sleep(Duration::from_millis(2)).await;
    after.push("101", 11..=15).await;
    let t = after.ticket_ok("101", &g).await;
    let mut s = SseReader::new(after.stream(&t, Some(&last)).await);
    let reset = next(&mut s).await;
    assert_eq!(reset.event, "reset", "an id of a lost stream: the client must resync");
    let info: Value = serde_json::from_str(&reset.data).unwrap();
    assert_eq!(info["lastEventId"], last.as_str());
    let oldest = parse_id(info["oldest"].as_str().unwrap()).unwrap();
    assert_eq!(oldest.seq, 1);
    assert_ne!(oldest.gen, parse_id(&last).unwrap().gen);
    for want in 1..=5u64 {
        let e = next(&mut s).await;
        assert_eq!((seq(&e), n_of(&e)), (want, want + 10));
    }
    // A client that starts at the head (`from=now`) gets no replay, only what comes next.
    let t = after.ticket_ok("101", &g).await;
    let resp =
        after.http.get(format!("{}/relay/stream?ticket={t}&from=now", after.base)).send().await.unwrap();
    let mut s = SseReader::new(resp);
    s.next().await.unwrap();
    after.push("101", 16..=16).await;
    let e = next(&mut s).await;
    assert_eq!((seq(&e), n_of(&e)), (6, 16));
}

#[tokio::test]
async fn lost_backlog_resets_memory_restart() {
    lost_backlog_resets(memory(100), memory(100)).await;
}

#[tokio::test]
async fn lost_backlog_resets_redis_flushed() {
    let Some(old) = redis(100).await else {
        return eprintln!("REDIS_URL not set: skipped");
    };
    let url = std::env::var("REDIS_URL").unwrap();
    let prefix = format!("testgen:{}", uuid_like());
    let old = {
        drop(old);
        Redis::connect(&url, &prefix, 100, 60_000).await.unwrap()
    };
    let new = Redis::connect(&url, &prefix, 100, 60_000).await.unwrap();
    // `lost_backlog_resets` pushes to `old` first; flush between by wrapping: the new relay's
    // first push finds no stream and no generation (as after FLUSHALL).
    let flusher = Redis::connect(&url, &prefix, 100, 60_000).await.unwrap();
    let (sim, g, _before, mut s, last) = three_events_read(old).await;
    flusher.flush_prefix().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2)).await;
    let after = start_relay(new, Some(&sim), None, |_| {}).await;
    after.push("101", 11..=15).await;
    // The stream still open on the old relay sees the new generation: reset, then all of it.
    let reset = next(&mut s).await;
    assert_eq!(reset.event, "reset", "{reset:?}");
    for want in 1..=5u64 {
        assert_eq!(seq(&next(&mut s).await), want);
    }
    // A client reconnecting with its old id: reset, then the new stream.
    let t = after.ticket_ok("101", &g).await;
    let mut s = SseReader::new(after.stream(&t, Some(&last)).await);
    assert_eq!(next(&mut s).await.event, "reset");
    assert_eq!(seq(&next(&mut s).await), 1);
}

async fn push_mode_end_to_end<B: Backend>(b: B) {
    // Dynamic Guid rotating at every handshake; handshakes every 100 ms, a 400 ms timeout.
    let sim = start_sim(json!({"guidIntervalMs": 0, "pushHandshakeTimeoutMs": 400})).await;
    let rig = start_relay(b, Some(&sim), None, |c| c.handshake_ms = 100).await;
    let params: Value = rig
        .http
        .post(format!("{}/relay/huawei/push-params", rig.base))
        .json(&json!({"agentId": "101"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let g = sign_in(&sim, "101", "70001", params.clone()).await;
    let t = rig.ticket_ok("101", &g).await;
    let mut s = SseReader::new(rig.stream(&t, None).await);
    let http = reqwest::Client::new();
    http.post(format!("{sim}/sim/offer")).json(&json!({"agent": "101"})).send().await.unwrap();
    let mut types = Vec::new();
    let mut guids = 0;
    let mut last_id = 0;
    while !types.iter().any(|t: &String| t == "AgentEvent_Talking") || guids < 2 {
        let e = next(&mut s).await;
        let id: u64 = seq(&e);
        assert_eq!(id, last_id + 1, "ids without gaps");
        last_id = id;
        let v: Value = serde_json::from_str(&e.data).unwrap();
        match e.event.as_str() {
            "huawei" => types.push(v["eventType"].as_str().unwrap().to_string()),
            "guid" => guids += 1,
            other => panic!("unexpected event {other}"),
        }
    }
    assert_eq!(&types[..2], ["AgentOther_InService", "AgentState_Ready"]);
    assert!(types.contains(&"AgentEvent_Ringing".to_string()));
    // Kept alive by the relay's handshakes well past the 400 ms timeout; no long-poll at all.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let state: Value = http.get(format!("{sim}/sim/state")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["agents"][0]["signedIn"], true);
    let counts: Value = http.get(format!("{sim}/sim/counts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts["agents"]["101"]["longPolls"], 0, "{counts}");
    assert!(counts["agents"]["101"]["handshakes"].as_u64().unwrap() >= 5, "{counts}");
    assert_eq!(counts["agents"]["101"]["pushFailures"], 0);
}
both_backends!(push_mode, push_mode_end_to_end, 100);

/// Two instances on one Redis: events pushed to one reach a stream on the other, and a client
/// moving from one to the other with Last-Event-ID gets exactly what it missed.
#[tokio::test]
async fn two_instances_share_streams_on_redis() {
    let (Some(a), Some(_)) = (redis(100).await, redis(100).await) else {
        eprintln!("REDIS_URL not set: skipped");
        return;
    };
    let url = std::env::var("REDIS_URL").unwrap();
    let prefix = format!("test2:{}", uuid_like());
    let a = {
        drop(a);
        Redis::connect(&url, &prefix, 100, 60_000).await.unwrap()
    };
    let b = Redis::connect(&url, &prefix, 100, 60_000).await.unwrap();
    let sim = start_sim(json!({})).await;
    let ra = start_relay(a, Some(&sim), None, |_| {}).await;
    let rb = start_relay(b, Some(&sim), None, |_| {}).await;
    let g = sign_in(&sim, "101", "70001", json!({})).await;
    let t = rb.ticket_ok("101", &g).await;
    // Issued on B, redeemed on A.
    let mut s = SseReader::new(ra.stream(&t, None).await);
    rb.push("101", 1..=3).await;
    for want in 1..=3 {
        assert_eq!(seq(&next(&mut s).await), want);
    }
    drop(s);
    ra.push("101", 4..=6).await;
    let t = ra.ticket_ok("101", &g).await;
    let mut s = SseReader::new(rb.stream(&t, Some("3")).await);
    for want in 4..=6 {
        let e = next(&mut s).await;
        assert_eq!((seq(&e), n_of_data(&e.data)), (want, want));
    }
}

fn n_of_data(d: &str) -> u64 {
    serde_json::from_str::<Value>(d).unwrap()["content"]["n"].as_u64().unwrap()
}

/// CCC: the bridge session cookie is checked against the bridge; webhook events go to the
/// stream of their agentId only.
#[tokio::test]
async fn ccc_session_checked_against_bridge_and_webhook_mapped() {
    use axum::http::HeaderMap;
    // A stand-in for agentbar-bridge's GET /ccc/session.
    let bridge = axum::Router::new().route(
        "/ccc/session",
        axum::routing::get(|h: HeaderMap| async move {
            let cookie = h.get("cookie").and_then(|v| v.to_str().ok()).unwrap_or("");
            match cookie {
                "__Host-agentbar_ccc=tok101" => {
                    (axum::http::StatusCode::OK, axum::Json(json!({"userId": "agent101@ccc-demo"})))
                }
                _ => (
                    axum::http::StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"Code": "Unauthorized.Session"})),
                ),
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bridge_url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, bridge).await });
    let rig =
        start_relay(memory(100), None, Some(&bridge_url), |c| c.origins = vec!["https://crm.example".into()])
            .await;
    let ticket = |cookie: &'static str, origin: &'static str| {
        let (http, base) = (rig.http.clone(), rig.base.clone());
        async move {
            http.post(format!("{base}/relay/ticket"))
                .header("cookie", cookie)
                .header("origin", origin)
                .json(&json!({"vendor": "ccc"}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(ticket("__Host-agentbar_ccc=forged", "https://crm.example").await.status(), 401);
    assert_eq!(ticket("__Host-agentbar_ccc=tok101", "https://evil.example").await.status(), 403);
    let ok = ticket("other=1; __Host-agentbar_ccc=tok101", "https://crm.example").await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://crm.example");
    let t: Value = ok.json().await.unwrap();
    assert_eq!(t["agent"], "agent101@ccc-demo");
    let mut s = SseReader::new(rig.stream(t["ticket"].as_str().unwrap(), None).await);
    let hook = format!("{}/relay/ccc/webhook?token=hook", rig.base);
    let mine = json!({"eventTime": "2026-12-01T00:00:00.000Z", "eventType": "AgentRinging", "instanceId": "ccc-demo", "agentId": "agent101@ccc-demo"});
    let theirs =
        json!({"eventType": "AgentRinging", "instanceId": "ccc-demo", "agentId": "agent102@ccc-demo"});
    let r: Value = rig
        .http
        .post(&hook)
        .json(&json!([theirs, mine, {"eventType": "Enqueue"}]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["accepted"], 2);
    let e = next(&mut s).await;
    assert_eq!((e.event.as_str(), seq(&e)), ("ccc", 1));
    assert_eq!(serde_json::from_str::<Value>(&e.data).unwrap(), mine, "the webhook object as delivered");
    assert!(tokio::time::timeout(Duration::from_millis(300), s.next()).await.is_err());
}
