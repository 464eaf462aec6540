//! The vendor API under `/agentgateway/resource/`: routing, GUID checks, envelopes and the
//! event long-poll.
//!
//! Routing is done by hand over the path segments rather than with one axum route per
//! endpoint, so that a known path with the wrong verb answers the gateway's 000-001 envelope,
//! an unknown path 000-002, and every request is logged for `/sim/requests` in one place.

use crate::codes::{self, Fail};
use crate::config::{EmptyPollEvent, ErrorResult};
use crate::model::{PollStep, QueuedEvent};
use crate::request::{path_agent, FaultTag, ForcedError, HUAWEI_PREFIX};
use crate::{params, App, SharedApp};
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::time::Duration;

pub fn routes() -> Router<SharedApp> {
    Router::new().route("/agentgateway/resource/{*rest}", any(handle))
}

/// One vendor endpoint, with the path parameters it carries besides the agent id.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    SignIn,
    ForceLogin,
    Handshake,
    Logout,
    ForceLogout,
    UpdateGuid,
    AgentStatus,
    ResetSkill(String),
    AutoAnswer(String),
    AutoEnterIdle(String),
    SayFree,
    SayBusy,
    CancelBusy,
    Rest(String, String),
    CancelRest,
    Work,
    CancelWork,
    Poll,
    Answer,
    Reject,
    Release,
    Hold,
    GetHold,
    ConnectHold(String),
    DropCall(String),
    Callout,
    InnerHelp,
    ConfJoin,
    BeginMute,
    EndMute,
    SecondDial,
    Transfer,
    MediaTransfer,
    HoldList,
    CallInfo,
    AppData,
    VdnSkills,
    AllAgentStatus,
    AgentByWorkno(String),
}

/// Maps path segments to (agent id, the only verb allowed, endpoint).
fn route(segs: &[&str]) -> Option<(String, Method, Op)> {
    use Method as M;
    let s = |x: &str| x.to_string();
    let (id, method, op) = match segs {
        ["onlineagent", id] => (id, M::PUT, Op::SignIn),
        ["onlineagent", id, "forcelogin"] => (id, M::PUT, Op::ForceLogin),
        ["onlineagent", id, "handshake"] => (id, M::POST, Op::Handshake),
        ["onlineagent", id, "logout"] => (id, M::DELETE, Op::Logout),
        ["onlineagent", id, "forcelogout"] => (id, M::DELETE, Op::ForceLogout),
        ["onlineagent", id, "updateGuid"] => (id, M::PUT, Op::UpdateGuid),
        ["onlineagent", id, "agentstatus"] => (id, M::GET, Op::AgentStatus),
        ["onlineagent", id, "resetskill", f] => (id, M::POST, Op::ResetSkill(s(f))),
        ["onlineagent", id, "autoanswer", f] => (id, M::POST, Op::AutoAnswer(s(f))),
        ["onlineagent", id, "autoenteridle", f] => (id, M::POST, Op::AutoEnterIdle(s(f))),
        ["onlineagent", id, "sayfree"] => (id, M::POST, Op::SayFree),
        ["onlineagent", id, "saybusy"] => (id, M::POST, Op::SayBusy),
        ["onlineagent", id, "cancelbusy"] => (id, M::POST, Op::CancelBusy),
        ["onlineagent", id, "rest", t, c] => (id, M::POST, Op::Rest(s(t), s(c))),
        ["onlineagent", id, "cancelrest"] => (id, M::POST, Op::CancelRest),
        ["onlineagent", id, "work"] => (id, M::POST, Op::Work),
        ["onlineagent", id, "cancelwork"] => (id, M::POST, Op::CancelWork),
        ["agentevent", id] => (id, M::GET, Op::Poll),
        ["voicecall", id, "answer"] => (id, M::PUT, Op::Answer),
        ["voicecall", id, "reject"] => (id, M::POST, Op::Reject),
        ["voicecall", id, "release"] => (id, M::DELETE, Op::Release),
        ["voicecall", id] => (id, M::DELETE, Op::Release),
        ["voicecall", id, "hold"] => (id, M::POST, Op::Hold),
        ["voicecall", id, "gethold"] => (id, M::POST, Op::GetHold),
        ["voicecall", id, "connecthold", c] => (id, M::POST, Op::ConnectHold(s(c))),
        ["voicecall", id, "dropcall", c] => (id, M::POST, Op::DropCall(s(c))),
        ["voicecall", id, "callout"] => (id, M::PUT, Op::Callout),
        ["voicecall", id, "innerhelp"] => (id, M::POST, Op::InnerHelp),
        ["voicecall", id, "confjoin"] => (id, M::POST, Op::ConfJoin),
        ["voicecall", id, "beginmute"] => (id, M::POST, Op::BeginMute),
        ["voicecall", id, "endmute"] => (id, M::POST, Op::EndMute),
        ["voicecall", id, "seconddialex"] => (id, M::POST, Op::SecondDial),
        ["voicecall", id, "transfer"] => (id, M::POST, Op::Transfer),
        ["mediacall", id, "transfer"] => (id, M::POST, Op::MediaTransfer),
        ["calldata", id, "holdlist"] => (id, M::GET, Op::HoldList),
        ["calldata", id, "callinfo"] => (id, M::GET, Op::CallInfo),
        ["calldata", id, "appdata"] => (id, M::GET, Op::AppData),
        ["queuedevice", id, "agentvdnskill"] => (id, M::GET, Op::VdnSkills),
        ["agentgroup", id, "allagentstatus"] => (id, M::GET, Op::AllAgentStatus),
        ["agentgroup", id, "agentbyworkno", w] => (id, M::GET, Op::AgentByWorkno(s(w))),
        _ => return None,
    };
    Some((id.to_string(), method, op))
}

/// A successful answer: envelope body plus an optional new GUID for `Set-GUID`.
struct Reply {
    body: Value,
    set_guid: Option<String>,
}

impl Reply {
    /// `{"message":"success","retcode":"0","result":...}` for commands.
    fn done(result: Value) -> Reply {
        Reply { body: json!({"message": "success", "retcode": "0", "result": result}), set_guid: None }
    }

    /// `{"message":"","retcode":"0","result":...}` for queries (holdlist example, seed 001).
    fn query(result: Value) -> Reply {
        Reply { body: json!({"message": "", "retcode": "0", "result": result}), set_guid: None }
    }
}

fn error_body(fail: &Fail, style: ErrorResult) -> Value {
    let mut body = json!({"message": fail.message, "retcode": fail.code});
    match style {
        ErrorResult::Null => body["result"] = Value::Null,
        ErrorResult::Object => body["result"] = json!({}),
        ErrorResult::Absent => {}
    }
    body
}

/// Always HTTP 200, as the real gateway: the outcome is in `retcode`.
fn respond(body: Value, set_guid: Option<String>) -> Response {
    let mut response = Json(body).into_response();
    if let Some(guid) = set_guid {
        if let Ok(value) = HeaderValue::from_str(&format!("JSESSIONID={guid}")) {
            response.headers_mut().insert("Set-GUID", value);
        }
    }
    // Lets a cross-origin page read the header (the real gateway is not known to send it).
    response.headers_mut().insert("Access-Control-Expose-Headers", HeaderValue::from_static("Set-GUID"));
    response
}

async fn handle(
    State(app): State<SharedApp>,
    method: Method,
    uri: Uri,
    tag: Option<Extension<FaultTag>>,
    forced: Option<Extension<ForcedError>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = app.now();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let guid = headers.get("guid").and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string());
    // An empty body is null; bad JSON is kept as text for the request log and refused below.
    let (parsed, bad_json) = if body.iter().all(u8::is_ascii_whitespace) {
        (Value::Null, false)
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => (v, false),
            Err(_) => (Value::String(String::from_utf8_lossy(&body).into_owned()), true),
        }
    };
    let (error_style, request_seq) = {
        let mut sim = app.lock();
        let seq = sim.record_request(now, method.as_str(), &path, &query, guid.clone(), parsed.clone());
        // The fault this request hit, else an earlier fault's effect it is the first to see.
        let fault = match tag {
            Some(Extension(FaultTag(kind))) => Some(kind),
            None => sim.faults.observed_by(Some(path_agent(&path).unwrap_or_default().as_str())),
        };
        if let Some(kind) = fault {
            sim.tag_request(seq, kind);
        }
        (sim.cfg.knobs.error_result, seq)
    };
    let fail = |f: Fail| respond(error_body(&f, error_style), None);
    // A `retcode` fault: logged above, answered with its code, not processed.
    if let Some(Extension(ForcedError(fault))) = forced {
        let code = fault.retcode.unwrap_or_default();
        let message = fault.message.unwrap_or_else(|| codes::message_for(&code).to_string());
        return fail(Fail { code, message });
    }

    let rest = path.strip_prefix(HUAWEI_PREFIX).unwrap_or("");
    let decoded: Vec<String> =
        rest.split('/').filter(|s| !s.is_empty()).map(params::percent_decode).collect();
    let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let Some((agent, allowed, op)) = route(&segs) else {
        return fail(Fail::bad_param(format!("unknown URL {path}")));
    };
    if method != allowed {
        return fail(Fail::detail(codes::WRONG_METHOD, format!("{path} accepts only {allowed}")));
    }
    let (min, max) = {
        let sim = app.lock();
        (sim.cfg.knobs.agent_id_min, sim.cfg.knobs.agent_id_max)
    };
    let id_ok = agent.len() <= 10
        && agent.chars().all(|c| c.is_ascii_digit())
        && agent.parse::<u64>().is_ok_and(|n| (min..=max).contains(&n));
    if !id_ok {
        return fail(Fail::bad_param(format!("agent id must be a number in {min}-{max}")));
    }
    if bad_json {
        return fail(Fail::bad_param("request body is not valid JSON"));
    }
    if op == Op::Handshake {
        let token = headers.get(crate::model::HANDSHAKE_TOKEN_HEADER).and_then(|v| v.to_str().ok());
        let outcome = {
            let mut sim = app.lock();
            let guid_ok = sim.authenticate(&agent, guid.as_deref(), false, now).is_ok();
            sim.handshake(&agent, token, guid_ok, now)
        };
        app.wake();
        return match outcome {
            Ok(set_guid) => respond(json!({"message": "success", "retcode": "0", "result": {}}), set_guid),
            Err(f) => fail(f),
        };
    }
    if op == Op::Poll {
        {
            let mut sim = app.lock();
            let push = sim.is_push(&agent);
            let c = sim.count(&agent);
            c.long_polls += 1;
            if push {
                c.long_polls_in_push_mode += 1;
            }
        }
        let subject = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        return poll(app, agent, guid, request_seq, subject).await;
    }
    let query = params::query_pairs(&query);

    let outcome = {
        let mut sim = app.lock();
        let needs_guid = match op {
            Op::SignIn | Op::ForceLogin => false,
            Op::UpdateGuid => sim.cfg.knobs.update_guid_requires_guid,
            _ => true,
        };
        let auth = if needs_guid { sim.authenticate(&agent, guid.as_deref(), false, now) } else { Ok(()) };
        auth.and_then(|()| execute(&mut sim, &agent, op, &parsed, &query, now))
    };
    app.wake();
    match outcome {
        Ok(reply) => respond(reply.body, reply.set_guid),
        Err(f) => fail(f),
    }
}

/// Runs one (non-poll) endpoint against the model and queues its events.
fn execute(
    sim: &mut crate::model::Sim,
    agent: &str,
    op: Op,
    body: &Value,
    query: &[(String, String)],
    now: u64,
) -> Result<Reply, Fail> {
    let q = |key: &str| params::query_get(query, key);
    let mut events = Vec::new();
    let reply = match op {
        Op::SignIn | Op::ForceLogin => {
            let (result, guid, ev) = sim.sign_in(agent, body, op == Op::ForceLogin, now)?;
            events = ev;
            Reply { set_guid: Some(guid), ..Reply::done(result) }
        }
        Op::Logout => {
            events = sim.logout(agent, now)?;
            Reply::done(json!({}))
        }
        Op::ForceLogout => {
            events = sim.force_logout(agent, now)?;
            Reply::done(json!({}))
        }
        Op::UpdateGuid => {
            let guid = sim.update_guid(agent, now)?;
            Reply { set_guid: Some(guid.clone()), ..Reply::done(json!({"guid": guid})) }
        }
        Op::AgentStatus => {
            sim.count(agent).agent_status += 1;
            Reply::query(sim.agent_status(agent))
        }
        Op::ResetSkill(flag) => {
            events = sim.reset_skill(agent, &flag, q("skillid"), now)?;
            Reply::done(json!({}))
        }
        Op::AutoAnswer(flag) => {
            sim.set_flag(agent, "autoanswer", &flag)?;
            Reply::done(json!({}))
        }
        Op::AutoEnterIdle(flag) => {
            sim.set_flag(agent, "autoenteridle", &flag)?;
            Reply::done(json!({}))
        }
        Op::SayFree => {
            events = sim.say_free(agent, now)?;
            Reply::done(json!({}))
        }
        Op::SayBusy => {
            events = sim.say_busy(agent, q("reason"), q("prolong"), now)?;
            Reply::done(json!({}))
        }
        Op::CancelBusy | Op::CancelRest | Op::CancelWork => {
            let which = match op {
                Op::CancelBusy => "cancelbusy",
                Op::CancelRest => "cancelrest",
                _ => "cancelwork",
            };
            events = sim.cancel_state(agent, which, now)?;
            Reply::done(json!({}))
        }
        Op::Rest(time, cause) => {
            events = sim.rest(agent, &time, &cause, q("prolong"), now)?;
            Reply::done(json!({}))
        }
        Op::Work => {
            events = sim.work(agent, now)?;
            Reply::done(json!({}))
        }
        Op::Answer => {
            events = sim.answer(agent, q("callid"), now)?;
            Reply::done(json!({}))
        }
        Op::Reject => {
            events = sim.reject(agent, body, now)?;
            Reply::done(json!({}))
        }
        Op::Release => {
            events = sim.release(agent, now)?;
            Reply::done(json!({}))
        }
        Op::Hold => {
            events = sim.hold(agent, now)?;
            Reply::done(json!({}))
        }
        Op::GetHold => {
            events = sim.get_hold(agent, q("callid"), now)?;
            Reply::done(json!({}))
        }
        Op::ConnectHold(callid) => {
            events = sim.connect_hold(agent, &callid, now)?;
            Reply::done(json!({}))
        }
        Op::DropCall(callid) => {
            events = sim.drop_call(agent, &callid, now)?;
            Reply::done(json!({}))
        }
        Op::Callout => {
            let (callid, ev) = sim.callout(agent, body, now)?;
            events = ev;
            Reply::done(json!(callid))
        }
        Op::InnerHelp => {
            let (callid, ev) = sim.inner_help(agent, body, now)?;
            events = ev;
            Reply::done(json!(callid))
        }
        Op::ConfJoin => {
            events = sim.conf_join(agent, now)?;
            Reply::done(json!({}))
        }
        Op::BeginMute | Op::EndMute => {
            events = sim.mute(agent, op == Op::BeginMute, now)?;
            Reply::done(json!({}))
        }
        Op::SecondDial => {
            sim.second_dial(agent, q("number"))?;
            Reply::done(json!({}))
        }
        Op::Transfer => {
            events = sim.transfer(agent, body, now)?;
            Reply::done(json!({}))
        }
        Op::MediaTransfer => {
            events = sim.media_transfer(agent, body, now)?;
            // Seed 002's success answer has no `result`.
            Reply { body: json!({"message": "success", "retcode": "0"}), set_guid: None }
        }
        Op::HoldList => Reply::query(sim.hold_list(agent)?),
        Op::CallInfo => {
            let no_last = q("isNoContainLastCall").and_then(params::parse_bool_text);
            Reply::query(sim.call_info(agent, no_last.unwrap_or(false))?)
        }
        Op::AppData => {
            let encode = q("isEncodeResult").and_then(params::parse_bool_text).unwrap_or(false);
            Reply::query(sim.app_data(agent, q("callId"), encode)?)
        }
        Op::VdnSkills => Reply::query(sim.vdn_skills(agent)?),
        Op::AllAgentStatus => Reply::query(sim.all_agent_status(agent)?),
        Op::AgentByWorkno(other) => Reply::query(sim.agent_by_workno(agent, &other)?),
        Op::Poll | Op::Handshake => return Err(Fail::code(codes::INTERNAL)),
    };
    App::queue(sim, events, now);
    Ok(reply)
}

// ---------------------------------------------------------------- event long-poll

/// Ends the poll in the model when the request finishes or the client goes away.
struct PollGuard {
    app: SharedApp,
    agent: String,
    ticket: crate::model::PollTicket,
    done: bool,
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        if !self.done {
            // The client went away: count the poll as ended, but do not rotate the GUID —
            // nobody would receive the new one.
            self.app.lock().poll_abandon(&self.agent, self.ticket, self.app.now());
        }
    }
}

/// `GET agentevent/{id}`: one event at once if queued, else wait up to `pollWaitMs`.
/// `request_seq` is the poll's `/sim/requests` entry and `subject` its path, for faults.
async fn poll(
    app: SharedApp,
    agent: String,
    guid: Option<String>,
    request_seq: u64,
    subject: String,
) -> Response {
    let now = app.now();
    let (ticket, wait, error_style) = {
        let mut sim = app.lock();
        let error_style = sim.cfg.knobs.error_result;
        let ticket =
            sim.authenticate(&agent, guid.as_deref(), true, now).and_then(|()| sim.poll_begin(&agent, now));
        match ticket {
            Ok(t) => (t, sim.cfg.knobs.poll_wait_ms, error_style),
            Err(f) => return respond(error_body(&f, error_style), None),
        }
    };
    // Polling changes the no-poll deadline: let the timer task re-plan.
    app.timers.notify_one();
    let mut guard = PollGuard { app: app.clone(), agent: agent.clone(), ticket, done: false };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait);
    let found: Option<QueuedEvent> = loop {
        // Register for the wake-up before looking, so an event queued in between is not
        // missed.
        let notified = app.events.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let step = app.lock().poll_take(&agent, ticket, app.now());
        match step {
            PollStep::Event(ev) => break Some(ev),
            PollStep::Superseded => break None,
            PollStep::Gone => {
                guard.done = true;
                let mut sim = app.lock();
                sim.poll_abandon(&agent, ticket, app.now());
                sim.poll_gone(&agent, request_seq);
                drop(sim);
                return respond(error_body(&Fail::code(codes::NOT_SIGNED_IN), error_style), None);
            }
            PollStep::Wait => {}
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            break None;
        }
    };
    guard.done = true;
    let (set_guid, empty_style, as_list) = {
        let mut sim = app.lock();
        if let Some(ev) = &found {
            sim.poll_delivered(&agent, &subject, request_seq, ev);
        }
        let set_guid = sim.poll_end(&agent, ticket, app.now());
        (set_guid, sim.cfg.knobs.empty_poll_event, sim.cfg.knobs.event_as_list)
    };
    app.timers.notify_one();
    let mut body = json!({"message": "", "retcode": "0"});
    match found {
        Some(ev) => {
            let event = ev.to_wire(&agent);
            body["event"] = if as_list { json!([event]) } else { event };
        }
        None => match empty_style {
            EmptyPollEvent::Absent => {}
            EmptyPollEvent::Null => body["event"] = Value::Null,
            EmptyPollEvent::Object => body["event"] = json!({}),
        },
    }
    respond(body, set_guid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_cover_documented_verbs() {
        let r = |p: &str| route(&p.split('/').collect::<Vec<_>>());
        assert_eq!(r("onlineagent/101").map(|x| x.1), Some(Method::PUT));
        assert_eq!(r("voicecall/101").map(|x| x.2), Some(Op::Release));
        assert_eq!(r("voicecall/101/dropcall/1-2").map(|x| x.2), Some(Op::DropCall("1-2".into())));
        assert_eq!(r("calldata/101/holdlist").map(|x| x.1), Some(Method::GET));
        assert!(r("voicecall/101/nope").is_none());
    }
}
