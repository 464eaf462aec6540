//! The HTTP side: tickets, the SSE stream, CC-Gateway callbacks, CCC webhooks, stats.
//! The contract is docs/RELAY.md.

use crate::backend::{Backend, Stored};
use crate::config::Config;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// Header carrying the serviceToken on CC-Gateway callbacks and handshakes. The handshake page
/// documents an optional `service_token` header; that callbacks carry the same is INFERRED.
pub const SERVICE_TOKEN_HEADER: &str = "service_token";
/// Header the browser sends its CC-Gateway Guid in (the gateway's own header name).
pub const GUID_HEADER: &str = "guid";
/// The bridge's session cookie (bridge/src/auth.rs `COOKIE_NAME`).
pub const BRIDGE_COOKIE: &str = "__Host-agentbar_ccc";

#[derive(Default)]
pub struct Stats {
    pub streams_open: AtomicU64,
    pub streams_total: AtomicU64,
    pub events_in: AtomicU64,
    pub events_out: AtomicU64,
    pub callbacks: AtomicU64,
    pub webhooks: AtomicU64,
    pub tickets_issued: AtomicU64,
    pub refused: AtomicU64,
    /// Requests the relay itself sent upstream: credential checks and handshakes.
    pub upstream_checks: AtomicU64,
    pub handshakes: AtomicU64,
    pub handshakes_failed: AtomicU64,
    pub unmapped: AtomicU64,
}

pub struct Relay<B: Backend> {
    pub cfg: Config,
    pub backend: Arc<B>,
    pub http: reqwest::Client,
    pub stats: Stats,
    /// (vendor, credential hash) → (agent key, checked at).
    creds: Mutex<HashMap<(String, String), (String, Instant)>>,
    /// CC-Gateway agents this instance knows have a push session: agent → next handshake.
    pub(crate) push_due: Mutex<HashMap<String, Instant>>,
}

pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

impl<B: Backend> Relay<B> {
    pub fn new(cfg: Config, backend: Arc<B>) -> Arc<Relay<B>> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()
            .expect("http client");
        Arc::new(Relay {
            cfg,
            backend,
            http,
            stats: Stats::default(),
            creds: Mutex::default(),
            push_due: Mutex::default(),
        })
    }

    /// The serviceToken of a CC-Gateway agent: 32 hex digits of HMAC-SHA256(secret, agent).
    /// Letters and digits only (the sign-in page: ≤ 50 characters, no special characters).
    pub fn service_token(&self, work_no: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.cfg.secret.as_bytes()).expect("any key length");
        mac.update(b"agentbar-relay/huawei/");
        mac.update(work_no.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    fn cached(&self, vendor: &str, credential: &str) -> Option<String> {
        let key = (vendor.to_string(), hash(credential));
        let creds = self.creds.lock().unwrap_or_else(|e| e.into_inner());
        let (agent, at) = creds.get(&key)?;
        (at.elapsed() < Duration::from_millis(self.cfg.credential_cache_ms)).then(|| agent.clone())
    }

    fn remember(&self, vendor: &str, credential: &str, agent: &str) {
        let mut creds = self.creds.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = Duration::from_millis(self.cfg.credential_cache_ms);
        if creds.len() > 100_000 {
            creds.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        creds.insert((vendor.to_string(), hash(credential)), (agent.to_string(), Instant::now()));
    }

    /// Appends events to an agent's stream (counted).
    pub async fn publish(&self, agent: &str, kind: &str, data: &str, rx_us: u64) -> Result<Stored, Response> {
        self.stats.events_in.fetch_add(1, Ordering::Relaxed);
        // One more try: a Redis connection that just dropped fails its first command and
        // reconnects for the next. Still failing → 503, and the gateway sends it again.
        match self.backend.append(agent, kind, data, rx_us).await {
            Ok(ev) => Ok(ev),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                self.backend.append(agent, kind, data, rx_us).await.map_err(|e| {
                    eprintln!("agentbar-relay[{}]: backend: {e}", self.cfg.instance);
                    err(StatusCode::SERVICE_UNAVAILABLE, "backend", "The event store is unavailable.")
                })
            }
        }
    }
}

fn hash(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn err(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (status, Json(json!({"error": code, "message": message}))).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Agent keys: the vendor and the agent's id at that vendor.
pub fn huawei_key(work_no: &str) -> String {
    format!("huawei:{work_no}")
}

pub fn ccc_key(user_id: &str) -> String {
    format!("ccc:{user_id}")
}

fn valid_work_no(s: &str) -> bool {
    !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit())
}

fn valid_user_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && !s.chars().any(char::is_control)
}

/// The browser routes (CORS applies).
pub fn browser_router<B: Backend>(relay: Arc<Relay<B>>) -> Router {
    let router = Router::new()
        .route("/relay/ticket", post(ticket::<B>))
        .route("/relay/stream", get(stream::<B>))
        .route("/relay/huawei/push-params", post(push_params::<B>))
        .route("/relay/stats", get(stats::<B>))
        .route("/relay/health", get(|| async { "ok" }))
        .with_state(relay.clone());
    if relay.cfg.origins.is_empty() {
        return router;
    }
    let origins: Vec<HeaderValue> =
        relay.cfg.origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    router.layer(
        tower_http::cors::CorsLayer::new()
            .allow_origin(tower_http::cors::AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                HeaderName::from_static(GUID_HEADER),
                HeaderName::from_static("last-event-id"),
            ])
            .allow_credentials(true)
            .max_age(Duration::from_secs(600)),
    )
}

/// The gateway routes (callbacks, webhooks): no CORS, never called by browsers.
pub fn callback_router<B: Backend>(relay: Arc<Relay<B>>) -> Router {
    Router::new()
        .route("/relay/huawei/callback", post(huawei_callback::<B>))
        .route("/relay/ccc/webhook", post(ccc_webhook::<B>))
        .with_state(relay)
}

/// A browser request from an origin that is neither ours nor configured is refused.
fn origin_refused(cfg: &Config, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let same = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin");
    !same && !cfg.origins.iter().any(|o| o == origin)
}

// ------------------------------------------------------------------------------- tickets

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TicketBody {
    vendor: String,
    #[serde(default)]
    agent_id: Option<String>,
}

async fn ticket<B: Backend>(
    State(r): State<Arc<Relay<B>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if origin_refused(&r.cfg, &headers) {
        r.stats.refused.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::FORBIDDEN, "origin", "This origin may not use the relay.");
    }
    let Ok(req) = serde_json::from_slice::<TicketBody>(&body) else {
        return err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Expected {\"vendor\":\"huawei\",\"agentId\":\"…\"} or {\"vendor\":\"ccc\"}.",
        );
    };
    let agent = match req.vendor.as_str() {
        "huawei" => verify_huawei(&r, req.agent_id.as_deref(), &headers).await,
        "ccc" => verify_ccc(&r, &headers).await,
        _ => Err(err(StatusCode::BAD_REQUEST, "bad_request", "vendor must be huawei or ccc.")),
    };
    let agent = match agent {
        Ok(a) => a,
        Err(resp) => {
            r.stats.refused.fetch_add(1, Ordering::Relaxed);
            return resp;
        }
    };
    let ticket = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    if let Err(e) = r.backend.put(&ticket, &agent, r.cfg.ticket_ttl_ms).await {
        eprintln!("agentbar-relay[{}]: backend: {e}", r.cfg.instance);
        return err(StatusCode::SERVICE_UNAVAILABLE, "backend", "The ticket store is unavailable.");
    }
    r.stats.tickets_issued.fetch_add(1, Ordering::Relaxed);
    let mut resp = Json(json!({
        "ticket": ticket,
        "expiresInMs": r.cfg.ticket_ttl_ms,
        "vendor": req.vendor,
        "agent": agent.split_once(':').map_or("", |(_, a)| a),
    }))
    .into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The Guid is checked once against the gateway (`GET onlineagent/{id}/agentstatus` with that
/// Guid answers retcode "0" only for that agent's live session), then cached.
async fn verify_huawei<B: Backend>(
    r: &Relay<B>,
    agent_id: Option<&str>,
    headers: &HeaderMap,
) -> Result<String, Response> {
    let Some(gateway) = r.cfg.gateway.as_deref() else {
        return Err(err(StatusCode::NOT_FOUND, "vendor_off", "This relay does not serve CC-Gateway agents."));
    };
    let work_no = agent_id.filter(|a| valid_work_no(a)).ok_or_else(|| {
        err(StatusCode::BAD_REQUEST, "bad_request", "agentId must be the agent's work number.")
    })?;
    let guid =
        headers.get(GUID_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).filter(|g| !g.is_empty());
    let guid =
        guid.ok_or_else(|| err(StatusCode::UNAUTHORIZED, "credential", "The Guid header is missing."))?;
    let credential = format!("{work_no}\n{guid}");
    if let Some(agent) = r.cached("huawei", &credential) {
        return Ok(agent);
    }
    r.stats.upstream_checks.fetch_add(1, Ordering::Relaxed);
    let url = format!("{gateway}/onlineagent/{work_no}/agentstatus");
    let answer = r
        .http
        .get(url)
        .header(GUID_HEADER, guid)
        .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
        .send()
        .await;
    let body: Value = match answer {
        Ok(a) => a.json().await.unwrap_or(Value::Null),
        Err(_) => return Err(err(StatusCode::BAD_GATEWAY, "upstream", "The CC-Gateway did not answer.")),
    };
    if body.get("retcode").and_then(Value::as_str) != Some("0") {
        return Err(err(
            StatusCode::UNAUTHORIZED,
            "credential",
            "The gateway did not accept this Guid for this agent.",
        ));
    }
    let agent = huawei_key(work_no);
    r.remember("huawei", &credential, &agent);
    Ok(agent)
}

/// The bridge's session cookie is checked against the bridge (`GET /ccc/session`), then cached.
async fn verify_ccc<B: Backend>(r: &Relay<B>, headers: &HeaderMap) -> Result<String, Response> {
    let Some(bridge) = r.cfg.bridge.as_deref() else {
        return Err(err(StatusCode::NOT_FOUND, "vendor_off", "This relay does not serve CCC agents."));
    };
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .find(|c| c.starts_with(&format!("{BRIDGE_COOKIE}=")))
        .map(str::to_string);
    let cookie = cookie.ok_or_else(|| err(StatusCode::UNAUTHORIZED, "credential", "No bridge session."))?;
    if let Some(agent) = r.cached("ccc", &cookie) {
        return Ok(agent);
    }
    r.stats.upstream_checks.fetch_add(1, Ordering::Relaxed);
    let answer = r.http.get(format!("{bridge}/ccc/session")).header(header::COOKIE, &cookie).send().await;
    let answer =
        answer.map_err(|_| err(StatusCode::BAD_GATEWAY, "upstream", "The bridge did not answer."))?;
    if !answer.status().is_success() {
        return Err(err(StatusCode::UNAUTHORIZED, "credential", "The bridge did not accept this session."));
    }
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    let user_id = body.get("userId").and_then(Value::as_str).filter(|u| valid_user_id(u));
    let user_id = user_id
        .ok_or_else(|| err(StatusCode::BAD_GATEWAY, "upstream", "The bridge's answer has no userId."))?;
    let agent = ccc_key(user_id);
    r.remember("ccc", &cookie, &agent);
    Ok(agent)
}

// ------------------------------------------------------------------------------- stream

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamQuery {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    last_event_id: Option<String>,
    /// `now`: start after the agent's newest event, replaying nothing (a client that has no
    /// id yet: the backlog holds earlier sessions' events).
    #[serde(default)]
    from: Option<String>,
}

/// Where a client is in an agent's stream: the generation its last id came from (`None` for a
/// bare `<seq>`, as relays before generations sent), and the `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub gen: Option<u64>,
    pub seq: u64,
}

/// Reads a Last-Event-ID: `<gen>.<seq>` (what this relay sends) or a bare `<seq>`.
pub fn parse_id(id: &str) -> Option<Position> {
    match id.split_once('.') {
        Some((gen, seq)) => Some(Position { gen: Some(gen.parse().ok()?), seq: seq.parse().ok()? }),
        None => Some(Position { gen: None, seq: id.parse().ok()? }),
    }
}

/// The SSE id of an event.
pub fn event_id(gen: u64, seq: u64) -> String {
    format!("{gen}.{seq}")
}

fn to_event(ev: &Stored, stamp: bool) -> Event {
    let e = Event::default().id(event_id(ev.gen, ev.seq)).event(ev.kind.as_str()).data(ev.data.as_str());
    if stamp {
        e.comment(format!("rx={}", ev.rx_us))
    } else {
        e
    }
}

async fn stream<B: Backend>(
    State(r): State<Arc<Relay<B>>>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> Response {
    if origin_refused(&r.cfg, &headers) {
        r.stats.refused.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::FORBIDDEN, "origin", "This origin may not use the relay.");
    }
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.last_event_id)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let after = match last.as_deref().map(parse_id) {
        None if q.from.as_deref() == Some("now") => None,
        None => Some(Position { gen: None, seq: 0 }),
        Some(Some(p)) => Some(p),
        Some(None) => {
            return err(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Last-Event-ID must be an id this relay sent.",
            )
        }
    };
    if q.ticket.is_empty() || q.ticket.len() > 128 {
        r.stats.refused.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::UNAUTHORIZED, "ticket", "A ticket is required (POST /relay/ticket).");
    }
    let agent = match r.backend.take(&q.ticket).await {
        Ok(Some(agent)) => agent,
        Ok(None) => {
            r.stats.refused.fetch_add(1, Ordering::Relaxed);
            return err(StatusCode::UNAUTHORIZED, "ticket", "Unknown, used or expired ticket.");
        }
        Err(_) => return err(StatusCode::SERVICE_UNAVAILABLE, "backend", "The ticket store is unavailable."),
    };
    // Subscribe before reading the backlog; repeats are dropped by seq.
    let sub = match r.backend.subscribe(&agent).await {
        Ok(s) => s,
        Err(_) => return err(StatusCode::SERVICE_UNAVAILABLE, "backend", "The event store is unavailable."),
    };
    let (tx, rx) = mpsc::channel::<Event>(32);
    let relay = r.clone();
    tokio::spawn(async move {
        relay.stats.streams_open.fetch_add(1, Ordering::Relaxed);
        relay.stats.streams_total.fetch_add(1, Ordering::Relaxed);
        pump(&relay, &agent, after, sub, tx).await;
        relay.stats.streams_open.fetch_sub(1, Ordering::Relaxed);
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    let mut resp = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_millis(r.cfg.keepalive_ms)))
        .into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// Feeds one stream: the retry hint, the replay after `after` (or a `reset`), then live events,
/// exactly once each and in `seq` order. Ends when the client goes away.
async fn pump<B: Backend>(
    r: &Relay<B>,
    agent: &str,
    after: Option<Position>,
    mut sub: crate::backend::Subscription,
    tx: mpsc::Sender<Event>,
) {
    let stamp = r.cfg.stamp;
    if tx.send(Event::default().retry(Duration::from_millis(r.cfg.retry_ms))).await.is_err() {
        return;
    }
    // Reads the backlog, with a few tries: a reconnecting Redis fails the first command after
    // a drop. `None`: give up; the client reconnects with Last-Event-ID (here or elsewhere).
    async fn read<B: Backend>(r: &Relay<B>, agent: &str, after: u64) -> Option<crate::backend::Replay> {
        let mut tries = 0;
        loop {
            match r.backend.since(agent, after).await {
                Ok(rp) => return Some(rp),
                Err(e) if tries < 3 => {
                    tries += 1;
                    eprintln!("agentbar-relay[{}]: backend (retrying): {e}", r.cfg.instance);
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(_) => return None,
            }
        }
    }
    // `from=now`: the position is the stream's head, nothing is replayed.
    let (mut gen, mut sent) = match after {
        Some(p) => (p.gen, p.seq),
        None => match read(r, agent, u64::MAX - 1).await {
            Some(head) => (Some(head.gen).filter(|g| *g != 0), head.last),
            None => return,
        },
    };
    // Catches up from the backlog: the replay at connect, and after a live gap (lag, or an
    // event of another generation).
    macro_rules! catch_up {
        () => {{
            let Some(mut replay) = read(r, agent, sent).await else { return };
            // The client's position is in a stream that no longer exists (the backlog was
            // lost and started again): all of the new one, after a reset.
            let lost = sent > 0 && replay.gen != 0 && gen.is_some_and(|g| g != replay.gen);
            if lost {
                let Some(all) = read(r, agent, 0).await else { return };
                replay = all;
                replay.gap = true;
            }
            if replay.gap {
                let oldest = replay.events.first().map_or(replay.last + 1, |e| e.seq);
                let was = match gen {
                    Some(g) => event_id(g, sent),
                    None => sent.to_string(),
                };
                let data =
                    json!({"lastEventId": was, "oldest": event_id(replay.gen, oldest)}).to_string();
                if tx.send(Event::default().event("reset").data(data)).await.is_err() {
                    return;
                }
                sent = oldest - 1;
            }
            if replay.gen != 0 {
                gen = Some(replay.gen);
            }
            for ev in &replay.events {
                if tx.send(to_event(ev, stamp)).await.is_err() {
                    return;
                }
                r.stats.events_out.fetch_add(1, Ordering::Relaxed);
                sent = ev.seq;
            }
        }};
    }
    if after.is_some() {
        catch_up!();
    }
    loop {
        tokio::select! {
            msg = sub.rx.recv() => match msg {
                Ok(ev) if gen.is_none_or(|g| g == ev.gen) && ev.seq <= sent => {}
                Ok(ev) if gen.is_none_or(|g| g == ev.gen) && ev.seq == sent + 1 => {
                    if tx.send(to_event(&ev, stamp)).await.is_err() {
                        return;
                    }
                    r.stats.events_out.fetch_add(1, Ordering::Relaxed);
                    sent = ev.seq;
                    gen = Some(ev.gen);
                }
                Ok(_) | Err(RecvError::Lagged(_)) => catch_up!(),
                Err(RecvError::Closed) => return,
            },
            _ = tx.closed() => return,
        }
    }
}

// ------------------------------------------------------------------------------- CC-Gateway

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushParamsBody {
    agent_id: String,
}

/// `POST /relay/huawei/push-params {agentId}` → what the toolbar puts in its sign-in body.
async fn push_params<B: Backend>(
    State(r): State<Arc<Relay<B>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if origin_refused(&r.cfg, &headers) {
        return err(StatusCode::FORBIDDEN, "origin", "This origin may not use the relay.");
    }
    if r.cfg.gateway.is_none() {
        return err(StatusCode::NOT_FOUND, "vendor_off", "This relay does not serve CC-Gateway agents.");
    }
    match serde_json::from_slice::<PushParamsBody>(&body) {
        Ok(b) if valid_work_no(&b.agent_id) => Json(json!({
            "callBackUri": format!("{}/relay/huawei/callback", r.cfg.public_url),
            "serviceToken": r.service_token(&b.agent_id),
        }))
        .into_response(),
        _ => err(StatusCode::BAD_REQUEST, "bad_request", "Expected {\"agentId\":\"<work number>\"}."),
    }
}

/// `POST /relay/huawei/callback` `{workNo, eventList:[{eventType, workNo, content…}]}` with the
/// agent's serviceToken in the `service_token` header.
async fn huawei_callback<B: Backend>(
    State(r): State<Arc<Relay<B>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let rx_us = now_us();
    r.stats.callbacks.fetch_add(1, Ordering::Relaxed);
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return err(StatusCode::BAD_REQUEST, "bad_request", "The body is not JSON.");
    };
    let work_no = v.get("workNo").and_then(Value::as_str).filter(|w| valid_work_no(w));
    let list = v.get("eventList").and_then(Value::as_array);
    let (Some(work_no), Some(list)) = (work_no, list) else {
        return err(StatusCode::BAD_REQUEST, "bad_request", "Expected {workNo, eventList}.");
    };
    let token = headers.get(SERVICE_TOKEN_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let expected = r.service_token(work_no);
    if !constant_eq(token.as_bytes(), expected.as_bytes()) {
        r.stats.refused.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::UNAUTHORIZED, "service_token", "Wrong serviceToken for this agent.");
    }
    // Every event must be the agent's own.
    if list
        .iter()
        .any(|e| !e.is_object() || e.get("workNo").and_then(Value::as_str).is_some_and(|w| w != work_no))
    {
        return err(StatusCode::BAD_REQUEST, "bad_request", "eventList holds another agent's event.");
    }
    let agent = huawei_key(work_no);
    let mut shutdown = false;
    for e in list {
        shutdown |= e.get("eventType").and_then(Value::as_str) == Some("AgentOther_ShutdownService");
        if let Err(resp) = r.publish(&agent, "huawei", &e.to_string(), rx_us).await {
            return resp;
        }
    }
    crate::handshake::note(&r, work_no, !shutdown).await;
    Json(json!({"retcode": "0", "message": "success"})).into_response()
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ------------------------------------------------------------------------------- CCC

#[derive(Deserialize)]
struct WebhookQuery {
    #[serde(default)]
    token: String,
}

/// `POST /relay/ccc/webhook?token=…`: one event object or an array of them; each goes to the
/// stream of its `agentId`. Events without one (instance-wide, IVR, queue) are counted, not sent.
async fn ccc_webhook<B: Backend>(
    State(r): State<Arc<Relay<B>>>,
    Query(q): Query<WebhookQuery>,
    body: axum::body::Bytes,
) -> Response {
    let rx_us = now_us();
    r.stats.webhooks.fetch_add(1, Ordering::Relaxed);
    if !constant_eq(q.token.as_bytes(), r.cfg.webhook_token.as_bytes()) {
        r.stats.refused.fetch_add(1, Ordering::Relaxed);
        return err(StatusCode::UNAUTHORIZED, "webhook_token", "Wrong webhook token.");
    }
    let events = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(list)) => list,
        Ok(v @ Value::Object(_)) => vec![v],
        _ => {
            return err(StatusCode::BAD_REQUEST, "bad_request", "Expected an event object or a list of them.")
        }
    };
    let mut accepted = 0;
    for e in &events {
        match e.get("agentId").and_then(Value::as_str).filter(|a| valid_user_id(a)) {
            Some(user) => {
                if let Err(resp) = r.publish(&ccc_key(user), "ccc", &e.to_string(), rx_us).await {
                    return resp;
                }
                accepted += 1;
            }
            None => {
                r.stats.unmapped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Json(json!({"ok": true, "accepted": accepted})).into_response()
}

// ------------------------------------------------------------------------------- stats

async fn stats<B: Backend>(State(r): State<Arc<Relay<B>>>) -> Response {
    let s = &r.stats;
    let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let push = r.push_due.lock().unwrap_or_else(|e| e.into_inner()).len();
    Json(json!({
        "instance": r.cfg.instance,
        "backend": r.backend.name(),
        "streamsOpen": g(&s.streams_open),
        "streamsTotal": g(&s.streams_total),
        "eventsIn": g(&s.events_in),
        "eventsOut": g(&s.events_out),
        "callbacks": g(&s.callbacks),
        "webhooks": g(&s.webhooks),
        "ticketsIssued": g(&s.tickets_issued),
        "refused": g(&s.refused),
        "upstreamChecks": g(&s.upstream_checks),
        "handshakes": g(&s.handshakes),
        "handshakesFailed": g(&s.handshakes_failed),
        "unmapped": g(&s.unmapped),
        "pushAgents": push,
    }))
    .into_response()
}
