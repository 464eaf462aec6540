//! The control API under `/sim/` (not part of the vendor API): tests and the demo drive
//! calls, far parties and knobs through it, and read back what the toolbar sent and received.
//! JSON in and out; errors are HTTP 400/404 with `{"error": "..."}`. Documented in
//! sim/README.md — it is a public contract.

use crate::config::Media;
use crate::model::{Fault, OfferRequest};
use crate::{params, App, SharedApp};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

pub fn routes() -> Router<SharedApp> {
    Router::new()
        .route("/sim/offer", post(offer))
        .route("/sim/customer-hangup", post(customer_hangup))
        .route("/sim/scenario", get(get_scenario).post(set_scenario))
        .route("/sim/far-answer", post(far_answer))
        .route("/sim/far-fail", post(far_fail))
        .route("/sim/requests", get(requests).delete(clear_requests))
        .route("/sim/events", get(events))
        .route("/sim/event", post(raw_event))
        .route("/sim/config", get(get_config).post(set_config))
        .route("/sim/state", get(state))
        .route("/sim/counts", get(counts).delete(clear_counts))
        .route("/sim/reset", post(reset))
        .route("/sim/fault", get(list_faults).post(arm_fault).delete(clear_faults))
        .route("/sim/clock", get(get_clock).post(set_clock))
        .route("/sim/ccc/next", post(ccc_next))
        .route("/sim/ccc/channel", post(ccc_channel))
        .route("/sim/ccc/cdr", post(ccc_cdr))
        .route("/sim/ccc/user", post(ccc_user))
        .route("/sim/{*rest}", axum::routing::any(unknown))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

fn bad(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

/// Parses a JSON body; an empty body is `{}`.
fn body_json(body: &Bytes) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))
}

fn field_str(v: &Value, key: &str) -> Result<Option<String>, String> {
    params::opt_str(params::object(v).map_err(|f| f.message)?, key).map_err(|f| f.message)
}

fn field_int(v: &Value, key: &str) -> Result<Option<i64>, String> {
    params::opt_int(params::object(v).map_err(|f| f.message)?, key).map_err(|f| f.message)
}

/// `POST /sim/offer` `{agent?, skill?, caller?, called?, media?, skillName?, calldata?, callid?,
/// feature?}` → `{callid}`.
async fn offer(State(app): State<SharedApp>, body: Bytes) -> Response {
    let parsed = (|| -> Result<OfferRequest, String> {
        let v = body_json(&body)?;
        let media = match field_str(&v, "media")?.as_deref() {
            None | Some("voice") => Media::Voice,
            Some("chat") => Media::Chat,
            Some(other) => return Err(format!("media must be voice or chat, not {other}")),
        };
        Ok(OfferRequest {
            agent: field_str(&v, "agent")?,
            skill: field_int(&v, "skill")?,
            caller: field_str(&v, "caller")?.unwrap_or_else(|| "13800138000".into()),
            called: field_str(&v, "called")?.unwrap_or_default(),
            media,
            skill_name: field_str(&v, "skillName")?,
            calldata: field_str(&v, "calldata")?,
            callid: field_str(&v, "callid")?,
            feature: field_int(&v, "feature")?,
            demo: false,
        })
    })();
    let mut req = match parsed {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let now = app.now();
    let result = {
        let mut sim = app.lock();
        if req.called.is_empty() {
            req.called = sim.cfg.default_caller();
        }
        let mut out = Vec::new();
        let r = sim.offer(req, now, &mut out);
        App::queue(&mut sim, out, now);
        r
    };
    app.wake();
    match result {
        Ok(callid) => Json(json!({"callid": callid})).into_response(),
        Err(e) => bad(e),
    }
}

/// `POST /sim/customer-hangup` `{callid}`.
async fn customer_hangup(State(app): State<SharedApp>, body: Bytes) -> Response {
    let callid = match body_json(&body).and_then(|v| field_str(&v, "callid")) {
        Ok(Some(c)) => c,
        Ok(None) => return bad("callid is required"),
        Err(e) => return bad(e),
    };
    let now = app.now();
    let result = {
        let mut sim = app.lock();
        let mut out = Vec::new();
        let r = sim.customer_hangup(&callid, now, &mut out);
        App::queue(&mut sim, out, now);
        r
    };
    app.wake();
    match result {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(e) => bad(e),
    }
}

async fn get_scenario(State(app): State<SharedApp>) -> Response {
    Json(json!(app.lock().cfg.scenario)).into_response()
}

/// `POST /sim/scenario` `{consultTarget?, transferTarget?, callout?, answerDelayMs?}`.
async fn set_scenario(State(app): State<SharedApp>, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(e) => return bad(e),
    };
    let mut sim = app.lock();
    match sim.cfg.scenario.patch(&v) {
        Ok(()) => Json(json!(sim.cfg.scenario)).into_response(),
        Err(e) => bad(e),
    }
}

/// `POST /sim/far-answer` / `/sim/far-fail` `{callid?}`: the far party of a ringing callout,
/// consult or transfer answers or fails. Without callid, the oldest one waiting.
async fn far(app: SharedApp, body: Bytes, answer: bool) -> Response {
    let callid = match body_json(&body).and_then(|v| field_str(&v, "callid")) {
        Ok(c) => c,
        Err(e) => return bad(e),
    };
    let now = app.now();
    let result = {
        let mut sim = app.lock();
        let target = callid.or_else(|| sim.far_pending().into_iter().next());
        match target {
            None => Err("no call is waiting for a far party".to_string()),
            Some(id) => {
                let mut out = Vec::new();
                let r = sim.far_result(&id, answer, now, &mut out).map(|()| id);
                App::queue(&mut sim, out, now);
                r
            }
        }
    };
    app.wake();
    match result {
        Ok(id) => Json(json!({"callid": id})).into_response(),
        Err(e) => bad(e),
    }
}

async fn far_answer(State(app): State<SharedApp>, body: Bytes) -> Response {
    far(app, body, true).await
}

async fn far_fail(State(app): State<SharedApp>, body: Bytes) -> Response {
    far(app, body, false).await
}

/// `GET /sim/requests`: every vendor request, in order.
async fn requests(State(app): State<SharedApp>) -> Response {
    Json(json!(app.lock().requests)).into_response()
}

async fn clear_requests(State(app): State<SharedApp>) -> Response {
    app.lock().requests.clear();
    Json(json!({"ok": true})).into_response()
}

/// `GET /sim/events?agent=101`: queued events with the time a poll took each.
async fn events(State(app): State<SharedApp>, Query(q): Query<HashMap<String, String>>) -> Response {
    let sim = app.lock();
    Json(json!(sim.events_of(q.get("agent").map(String::as_str)))).into_response()
}

/// `POST /sim/event` `{agent, eventType, content}`: queues a raw event.
async fn raw_event(State(app): State<SharedApp>, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(e) => return bad(e),
    };
    let (agent, event_type) = match (field_str(&v, "agent"), field_str(&v, "eventType")) {
        (Ok(Some(a)), Ok(Some(t))) => (a, t),
        _ => return bad("agent and eventType are required strings"),
    };
    let content = v.get("content").cloned().unwrap_or(Value::Null);
    let result = app.lock().raw_event(&agent, &event_type, content, app.now());
    app.wake();
    match result {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(e) => bad(e),
    }
}

/// `GET /sim/config`: the behaviour knobs.
async fn get_config(State(app): State<SharedApp>) -> Response {
    Json(json!(app.lock().cfg.knobs)).into_response()
}

/// `POST /sim/config` `{<knob>: value, ...}`: patches knobs; unknown keys are refused.
async fn set_config(State(app): State<SharedApp>, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(e) => return bad(e),
    };
    let result = {
        let mut sim = app.lock();
        sim.cfg.knobs.patch(&v).map(|()| json!(sim.cfg.knobs))
    };
    app.wake();
    match result {
        Ok(knobs) => Json(knobs).into_response(),
        Err(e) => bad(e),
    }
}

/// `GET /sim/counts`: per agent, long-polls (and those of push-mode sessions), PollUserStatus,
/// handshakes, agentstatus reads, push POSTs/events/failures; and totals.
async fn counts(State(app): State<SharedApp>) -> Response {
    Json(app.lock().counts_snapshot()).into_response()
}

async fn clear_counts(State(app): State<SharedApp>) -> Response {
    app.lock().counts.clear();
    Json(json!({"ok": true})).into_response()
}

async fn state(State(app): State<SharedApp>) -> Response {
    Json(app.lock().snapshot()).into_response()
}

/// `GET /sim/clock` → `{nowMs, fixed}`.
async fn get_clock(State(app): State<SharedApp>) -> Response {
    Json(json!({"nowMs": app.now(), "fixed": app.clock_fixed()})).into_response()
}

/// `POST /sim/clock {nowMs?: ms | null, advanceMs?: ms}`: a manual clock for deterministic
/// timestamps (`nowMs: null` goes back to real time). Due timers fire when it advances.
async fn set_clock(State(app): State<SharedApp>, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(e) => return bad(e),
    };
    let Some(obj) = v.as_object() else {
        return bad("expected a JSON object");
    };
    if let Some(k) = obj.keys().find(|k| !["nowMs", "advanceMs"].contains(&k.as_str())) {
        return bad(format!("unknown key `{k}`"));
    }
    match obj.get("nowMs") {
        None => {}
        Some(Value::Null) => app.set_clock(None),
        Some(n) => match n.as_u64().filter(|n| *n > 0) {
            Some(n) => app.set_clock(Some(n)),
            None => return bad("nowMs must be a positive integer or null"),
        },
    }
    if let Some(a) = obj.get("advanceMs") {
        match a.as_u64() {
            Some(a) if app.clock_fixed() => app.set_clock(Some(app.now() + a)),
            Some(_) => return bad("advanceMs needs a manual clock (set nowMs first)"),
            None => return bad("advanceMs must be a non-negative integer"),
        }
    }
    let now = app.now();
    {
        let mut sim = app.lock();
        let emits = sim.tick(now);
        App::queue(&mut sim, emits, now);
    }
    app.wake();
    Json(json!({"nowMs": now, "fixed": app.clock_fixed()})).into_response()
}

/// `POST /sim/ccc/next {jobIds?, channelIds?, contextId?}`: ids the next CCC jobs, channels
/// and answers take.
async fn ccc_next(State(app): State<SharedApp>, body: Bytes) -> Response {
    let result = body_json(&body).and_then(|v| app.lock().ccc_set_next(&v));
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => bad(e),
    }
}

/// `POST /sim/ccc/channel {jobId, channelId, set: {...}}`: overrides fields of a channel.
async fn ccc_channel(State(app): State<SharedApp>, body: Bytes) -> Response {
    let result = body_json(&body).and_then(|v| app.lock().ccc_patch_channel(&v));
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => bad(e),
    }
}

/// `POST /sim/ccc/cdr {contactId, set?, setNull?, remove?}`: changes over a call detail record.
async fn ccc_cdr(State(app): State<SharedApp>, body: Bytes) -> Response {
    let result = body_json(&body).and_then(|v| app.lock().ccc_patch_cdr(&v));
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => bad(e),
    }
}

/// `POST /sim/ccc/user {userId, extension?, signature2?, userKey2?}`: a CCC user's softphone
/// details for GetLoginDetails (a string sets, `null` goes back to the default). The extension
/// is the user's everywhere (answers, channel ids). Undone by `/sim/reset`.
async fn ccc_user(State(app): State<SharedApp>, body: Bytes) -> Response {
    let result = body_json(&body).and_then(|v| app.lock().cfg.patch_ccc_user(&v));
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => bad(e),
    }
}

/// `POST /sim/reset`: back to the start configuration; everything signed out and cleared,
/// real clock again.
async fn reset(State(app): State<SharedApp>) -> Response {
    app.set_clock(None);
    app.lock().reset(app.now());
    app.wake();
    Json(json!({"ok": true})).into_response()
}

/// `GET /sim/fault`: the armed faults.
async fn list_faults(State(app): State<SharedApp>) -> Response {
    Json(json!(app.lock().faults.armed)).into_response()
}

/// `POST /sim/fault {kind, match?, agent?, count?, delayMs?, status?, forward?, eventType?,
/// callid?, content?, retcode?, code?, message?, params?}` → the fault and whether it stays armed. An action kind without `match`
/// is carried out at once.
async fn arm_fault(State(app): State<SharedApp>, body: Bytes) -> Response {
    let fault = match body_json(&body).and_then(|v| Fault::parse(&v)) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let now = app.now();
    let result = {
        let mut sim = app.lock();
        if fault.kind.is_action() && fault.pattern.is_none() {
            sim.apply_fault(&fault, now).map(|out| {
                App::queue(&mut sim, out, now);
                if fault.kind != crate::model::FaultKind::UnknownCallEvent {
                    // The first request (of the agent) after the effect is marked with it.
                    sim.faults.observe_later(fault.kind, fault.agent.clone());
                }
                (sim.faults.number(fault), false)
            })
        } else {
            Ok((sim.faults.arm(fault), true))
        }
    };
    app.wake();
    match result {
        Ok((fault, armed)) => {
            let mut v = json!(fault);
            v["armed"] = json!(armed);
            Json(v).into_response()
        }
        Err(e) => bad(e),
    }
}

/// `DELETE /sim/fault`: disarms every fault.
async fn clear_faults(State(app): State<SharedApp>) -> Response {
    let cleared = app.lock().faults.clear();
    Json(json!({"ok": true, "cleared": cleared})).into_response()
}

async fn unknown() -> Response {
    error(StatusCode::NOT_FOUND, "unknown /sim/ route")
}
