//! Fault injection (`/sim/fault`): the armed faults and the model side of each kind.
//!
//! Transport kinds (`drop`, `status`, `slow`, `malformed`, `truncated`) and the error-answer
//! kinds (`retcode` for CC-Gateway requests, `cccError` for CCC requests) are carried out by the
//! HTTP layer (`crate::fault`) and the dialect handlers; this module only decides which request
//! they hit. The other kinds change the model: `duplicateEvent` in the event poll, `unknownCallEvent`,
//! `expireGuid`, `signOut` and `restart` at once (or when a matching request arrives).

use super::{session, Emit, Ms, QueuedEvent, Sim};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    Drop,
    Status,
    Slow,
    Malformed,
    Truncated,
    DuplicateEvent,
    UnknownCallEvent,
    ExpireGuid,
    SignOut,
    Restart,
    /// A CC-Gateway request is answered with a given retcode without being processed.
    Retcode,
    /// A CCC request is answered with a given CCC error without being processed.
    CccError,
}

impl FaultKind {
    pub const ALL: [FaultKind; 12] = [
        FaultKind::Drop,
        FaultKind::Status,
        FaultKind::Slow,
        FaultKind::Malformed,
        FaultKind::Truncated,
        FaultKind::DuplicateEvent,
        FaultKind::UnknownCallEvent,
        FaultKind::ExpireGuid,
        FaultKind::SignOut,
        FaultKind::Restart,
        FaultKind::Retcode,
        FaultKind::CccError,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Drop => "drop",
            FaultKind::Status => "status",
            FaultKind::Slow => "slow",
            FaultKind::Malformed => "malformed",
            FaultKind::Truncated => "truncated",
            FaultKind::DuplicateEvent => "duplicateEvent",
            FaultKind::UnknownCallEvent => "unknownCallEvent",
            FaultKind::ExpireGuid => "expireGuid",
            FaultKind::SignOut => "signOut",
            FaultKind::Restart => "restart",
            FaultKind::Retcode => "retcode",
            FaultKind::CccError => "cccError",
        }
    }

    pub fn parse(s: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Acts on the HTTP answer of a request (the HTTP layer carries it out).
    pub fn is_transport(self) -> bool {
        matches!(
            self,
            FaultKind::Drop
                | FaultKind::Status
                | FaultKind::Slow
                | FaultKind::Malformed
                | FaultKind::Truncated
        )
    }

    /// Changes the model once: at arm time, or when a request matching `match` arrives.
    pub fn is_action(self) -> bool {
        matches!(
            self,
            FaultKind::UnknownCallEvent | FaultKind::ExpireGuid | FaultKind::SignOut | FaultKind::Restart
        )
    }

    /// Answers a request with an error of its dialect instead of processing it.
    pub fn is_error_answer(self) -> bool {
        matches!(self, FaultKind::Retcode | FaultKind::CccError)
    }

    /// Can hit a request of this dialect (`huawei`: CC-Gateway, else CCC)?
    fn hits_dialect(self, huawei: bool) -> bool {
        match self {
            FaultKind::Retcode => huawei,
            FaultKind::CccError => !huawei,
            _ => true,
        }
    }

    fn needs_agent(self) -> bool {
        matches!(self, FaultKind::UnknownCallEvent | FaultKind::ExpireGuid | FaultKind::SignOut)
    }
}

/// One fault as armed with `POST /sim/fault` (also the `GET /sim/fault` shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: u64,
    pub kind: FaultKind,
    /// Substring of the request (path and query; for CCC also the action name) it hits.
    #[serde(rename = "match")]
    pub pattern: Option<String>,
    /// Only requests of this agent (the `{agentid}` path segment); the target of action kinds.
    pub agent: Option<String>,
    /// How many matching requests (or events, for duplicateEvent) it hits; 0 = until cleared.
    pub count: u64,
    pub hits: u64,
    pub delay_ms: u64,
    /// HTTP status of `status` faults and of the `cccError` answer (`retcode`: always 200).
    pub status: u16,
    /// drop/status/malformed: the gateway still processes the request, only the answer is
    /// lost or replaced (default: the request never reaches it).
    pub forward: bool,
    /// duplicateEvent: only an event of this type; unknownCallEvent: the event queued.
    pub event_type: Option<String>,
    /// unknownCallEvent: the call id in the event.
    pub callid: Option<String>,
    /// unknownCallEvent: the event content (default: built from `callid`).
    pub content: Option<Value>,
    /// drop: where the connection dies.
    pub stage: DropStage,
    /// retcode: the CC-Gateway `retcode` answered.
    pub retcode: Option<String>,
    /// cccError: the CCC `Code` answered (its HTTP status is `status`).
    pub code: Option<String>,
    /// retcode / cccError: the message (default: the code's standard text).
    pub message: Option<String>,
    /// cccError: `Params` filled into the message template (default: from the request).
    pub params: Option<Vec<String>>,
}

/// Where a `drop` cuts the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DropStage {
    /// Before any byte of the answer: the client gets no HTTP response at all.
    Head,
    /// After the status line and headers (HTTP 200): the body never comes.
    Body,
}

const KEYS: [&str; 15] = [
    "kind",
    "match",
    "agent",
    "count",
    "delayMs",
    "status",
    "forward",
    "eventType",
    "callid",
    "content",
    "stage",
    "retcode",
    "code",
    "message",
    "params",
];

/// A browser resends a request at once when a reused keep-alive connection closes before any
/// answer byte; an identical request this soon after a `drop` is dropped too.
pub const DROP_RETRY_WINDOW_MS: Ms = 150;

impl Fault {
    /// Reads a `POST /sim/fault` body. Unknown keys and bad values are refused.
    pub fn parse(v: &Value) -> Result<Fault, String> {
        let obj = v.as_object().ok_or_else(|| "expected a JSON object".to_string())?;
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("unknown key `{k}`"));
        }
        let string = |key: &str| -> Result<Option<String>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) if key == "agent" => Ok(Some(n.to_string())),
                Some(_) => Err(format!("`{key}` must be a string")),
            }
        };
        let uint = |key: &str| -> Result<Option<u64>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(n) => {
                    n.as_u64().map(Some).ok_or_else(|| format!("`{key}` must be a non-negative integer"))
                }
            }
        };
        let kind_name = string("kind")?.ok_or_else(|| "kind is required".to_string())?;
        let kind = FaultKind::parse(&kind_name).ok_or_else(|| {
            let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown kind `{kind_name}` (one of {})", names.join(", "))
        })?;
        let status = match uint("status")? {
            None => None,
            Some(s) if (400..=599).contains(&s) => Some(s as u16),
            Some(_) => return Err("status must be 400-599".into()),
        };
        let forward = match obj.get("forward") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("`forward` must be a boolean".into()),
        };
        let retcode = string("retcode")?.filter(|c| !c.trim().is_empty());
        let code = string("code")?.filter(|c| !c.trim().is_empty());
        let message = string("message")?;
        let params = match obj.get("params") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        _ => Err("`params` must be a list of strings".to_string()),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err("`params` must be a list of strings".into()),
        };
        match kind {
            FaultKind::Retcode => {
                let c = retcode.as_deref().ok_or("retcode needs `retcode` (e.g. \"200-037\")")?;
                if c == "0" {
                    return Err("`retcode` must be an error code, not \"0\"".into());
                }
                if status.is_some() {
                    return Err("retcode answers HTTP 200 as the gateway does: `status` is not used".into());
                }
                if code.is_some() || params.is_some() {
                    return Err("`code` and `params` belong to cccError; retcode takes `retcode`".into());
                }
            }
            FaultKind::CccError => {
                let c = code.as_deref().ok_or("cccError needs `code` (e.g. \"NotExists.JobId\")")?;
                if c == "OK" {
                    return Err("`code` must be an error code, not \"OK\"".into());
                }
                if retcode.is_some() {
                    return Err("`retcode` belongs to retcode; cccError takes `code`".into());
                }
            }
            _ => {
                if retcode.is_some() || code.is_some() || message.is_some() || params.is_some() {
                    return Err(format!(
                        "`retcode`, `code`, `message`, `params` are not used by {kind_name}"
                    ));
                }
            }
        }
        if kind.is_error_answer() && forward {
            return Err(format!("{kind_name} answers without processing the request: `forward` is not used"));
        }
        let status = match (kind, status) {
            (_, Some(s)) => s,
            (FaultKind::Retcode, None) => 200,
            (FaultKind::CccError, None) => {
                crate::model::ccc::default_error_status(code.as_deref().unwrap_or(""))
            }
            _ => 502,
        };
        let agent = string("agent")?;
        if kind.needs_agent() && agent.is_none() {
            return Err(format!("{kind_name} needs `agent`"));
        }
        let default_delay = if kind == FaultKind::Slow { 3000 } else { 0 };
        let stage = match string("stage")?.as_deref() {
            None | Some("head") => DropStage::Head,
            Some("body") => DropStage::Body,
            Some(other) => return Err(format!("stage must be head or body, not {other}")),
        };
        Ok(Fault {
            id: 0,
            kind,
            pattern: string("match")?.filter(|m| !m.is_empty()),
            agent,
            count: uint("count")?.unwrap_or(1),
            hits: 0,
            delay_ms: uint("delayMs")?.unwrap_or(default_delay),
            status,
            forward,
            event_type: string("eventType")?,
            callid: string("callid")?,
            content: obj.get("content").cloned(),
            stage,
            retcode,
            code,
            message,
            params,
        })
    }

    fn matches(&self, subject: &str, agent: Option<&str>) -> bool {
        self.pattern.as_deref().is_none_or(|p| subject.contains(p))
            && self.agent.as_deref().is_none_or(|a| agent == Some(a))
    }

    /// Counts one hit; true when the fault is used up.
    fn hit(&mut self) -> bool {
        self.hits += 1;
        self.count != 0 && self.hits >= self.count
    }
}

/// Armed faults and the effects waiting to be seen by a request.
#[derive(Debug, Default)]
pub struct Faults {
    pub armed: Vec<Fault>,
    next_id: u64,
    /// Event seq → fault: the poll that delivers the event is tagged with it.
    tag_events: BTreeMap<u64, FaultKind>,
    /// Effects applied at arm time, waiting for the first request (of the agent) to tag.
    observers: Vec<(FaultKind, Option<String>)>,
    /// Requests answered by a `drop` before any byte (request key, real time of the drop).
    recent_drops: Vec<(String, Ms)>,
}

impl Faults {
    /// Gives a fault its id.
    pub fn number(&mut self, mut fault: Fault) -> Fault {
        self.next_id += 1;
        fault.id = self.next_id;
        fault
    }

    /// Arms a fault (gives it an id).
    pub fn arm(&mut self, fault: Fault) -> Fault {
        let fault = self.number(fault);
        self.armed.push(fault.clone());
        fault
    }

    /// Disarms everything; returns how many were armed.
    pub fn clear(&mut self) -> usize {
        let n = self.armed.len();
        self.armed.clear();
        self.observers.clear();
        self.tag_events.clear();
        self.recent_drops.clear();
        n
    }

    /// Remembers a request dropped before any answer byte (`now` is real time).
    pub fn remember_drop(&mut self, key: String, now: Ms) {
        self.recent_drops.retain(|(_, at)| now < at + DROP_RETRY_WINDOW_MS);
        self.recent_drops.push((key, now));
    }

    /// Is this request the browser's automatic resend of a request just dropped? Chromium
    /// resends up to twice, each time on another pooled keep-alive connection; every resend
    /// within the window of the previous attempt is dropped too (and opens a new window).
    pub fn is_resend(&mut self, key: &str, now: Ms) -> bool {
        self.recent_drops.retain(|(_, at)| now < at + DROP_RETRY_WINDOW_MS);
        match self.recent_drops.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => {
                entry.1 = now;
                true
            }
            None => false,
        }
    }

    /// True when some fault may act on a request (a cheap test before reading the body).
    pub fn any_for_requests(&self) -> bool {
        !self.recent_drops.is_empty()
            || self
                .armed
                .iter()
                .any(|f| f.kind.is_transport() || f.kind.is_action() || f.kind.is_error_answer())
    }

    /// The fault a request hits, if any: the oldest armed transport or error-answer fault of the
    /// request's dialect (`huawei`: CC-Gateway, else CCC), or action fault with a `match`, that
    /// matches. Counts the hit and disarms a used-up fault.
    pub fn take_request(&mut self, subject: &str, agent: Option<&str>, huawei: bool) -> Option<Fault> {
        let i = self.armed.iter().position(|f| {
            (f.kind.is_transport() || f.kind.is_error_answer() || (f.kind.is_action() && f.pattern.is_some()))
                && f.kind.hits_dialect(huawei)
                && f.matches(subject, agent)
        })?;
        let done = self.armed[i].hit();
        let fault = self.armed[i].clone();
        if done {
            self.armed.remove(i);
        }
        Some(fault)
    }

    /// An armed `duplicateEvent` fault for this poll and event; counts the hit.
    fn take_duplicate(&mut self, subject: &str, agent: &str, event_type: &str) -> Option<Fault> {
        let i = self.armed.iter().position(|f| {
            f.kind == FaultKind::DuplicateEvent
                && f.matches(subject, Some(agent))
                && f.event_type.as_deref().is_none_or(|t| t == event_type)
        })?;
        let done = self.armed[i].hit();
        let fault = self.armed[i].clone();
        if done {
            self.armed.remove(i);
        }
        Some(fault)
    }

    /// Remembers an effect applied at arm time; the next request (of `agent`) is tagged.
    pub fn observe_later(&mut self, kind: FaultKind, agent: Option<String>) {
        self.observers.push((kind, agent));
    }

    /// The effect the request of `agent` (None: agent not known, e.g. CCC) is the first to
    /// see, if any.
    pub fn observed_by(&mut self, agent: Option<&str>) -> Option<FaultKind> {
        self.observed_where(agent, |_| true)
    }

    /// [`Faults::observed_by`] for the effects `which` accepts.
    pub fn observed_where(
        &mut self,
        agent: Option<&str>,
        which: impl Fn(FaultKind) -> bool,
    ) -> Option<FaultKind> {
        let i = self
            .observers
            .iter()
            .position(|(k, a)| which(*k) && a.as_deref().is_none_or(|a| agent.is_none_or(|x| x == a)))?;
        Some(self.observers.remove(i).0)
    }
}

impl Sim {
    /// Marks a `/sim/requests` entry as hit by a fault.
    pub fn tag_request(&mut self, seq: u64, kind: FaultKind) {
        if let Some(r) = self.requests.iter_mut().rev().find(|r| r.seq == seq) {
            r.fault = Some(kind.name().to_string());
        }
    }

    /// Carries out an action fault (`unknownCallEvent`, `expireGuid`, `signOut`, `restart`).
    /// Returns the events to queue.
    pub fn apply_fault(&mut self, fault: &Fault, now: Ms) -> Result<Vec<Emit>, String> {
        let agent = fault.agent.clone().unwrap_or_default();
        let signed_in = |sim: &Sim| sim.agents.get(&agent).is_some_and(|a| a.signed_in());
        match fault.kind {
            FaultKind::UnknownCallEvent => {
                let has_queue =
                    self.agents.get(&agent).and_then(|a| a.session.as_ref()).is_some_and(|s| !s.ccc);
                if !has_queue {
                    return Err(format!("agent {agent} has no gateway session"));
                }
                let callid = fault.callid.clone().unwrap_or_else(|| "no-such-call".into());
                let event_type = fault.event_type.clone().unwrap_or_else(|| "AgentEvent_Call_Release".into());
                let content = fault.content.clone().unwrap_or_else(|| match event_type.as_str() {
                    // The model's own shapes: these two carry the bare call id.
                    "AgentEvent_Hold" | "AgentEvent_Call_Release" => json!(callid),
                    "AgentEvent_Customer_Release" => json!({"callid": callid, "number": "13800000000"}),
                    _ => json!({"callid": callid}),
                });
                let seq = self.next_seq;
                self.push_events(vec![Emit { agent, event_type, content }], now);
                self.faults.tag_events.insert(seq, FaultKind::UnknownCallEvent);
                Ok(Vec::new())
            }
            FaultKind::ExpireGuid => {
                if !signed_in(self) {
                    return Err(format!("agent {agent} is not signed in"));
                }
                let server = self.cfg.server_name.clone();
                let session = self.agents.get_mut(&agent).and_then(|a| a.session.as_mut());
                let session = session.filter(|s| !s.ccc).ok_or("the agent has no GUID (CCC session)")?;
                // A GUID nobody holds: the session stays, every GUID the client knows is stale.
                session.guid = session::new_guid(&server);
                session.guid_issued = now;
                session.old_guids.clear();
                Ok(Vec::new())
            }
            FaultKind::SignOut => {
                if !signed_in(self) {
                    return Err(format!("agent {agent} is not signed in"));
                }
                let mut out = Vec::new();
                self.sign_out(&agent, now, &mut out);
                Ok(out)
            }
            FaultKind::Restart => {
                self.restart(now);
                Ok(Vec::new())
            }
            _ => Err(format!("{} is not an action fault", fault.kind.name())),
        }
    }

    /// `restart`: sessions, calls, queue, timers and CCC jobs back to the configuration, as if
    /// the process restarted; the request/event logs, armed faults, run-time knobs and scenario,
    /// the demo flag and the id counters (so ids never repeat) are kept.
    pub fn restart(&mut self, now: Ms) {
        let mut fresh = Sim::new(self.initial.clone());
        fresh.cfg = self.cfg.clone();
        fresh.event_log = std::mem::take(&mut self.event_log);
        fresh.requests = std::mem::take(&mut self.requests);
        fresh.faults = std::mem::take(&mut self.faults);
        fresh.next_call = self.next_call;
        fresh.next_seq = self.next_seq;
        fresh.next_request = self.next_request;
        fresh.next_session = self.next_session;
        fresh.next_rest = self.next_rest;
        let demo = self.demo;
        *self = fresh;
        self.set_demo(demo, now);
    }

    /// A poll waiting when its session ended (sign-out, restart) answers 100-006: it is the
    /// first request to see the fault.
    pub fn poll_gone(&mut self, agent: &str, request_seq: u64) {
        if let Some(kind) = self.faults.observed_by(Some(agent)) {
            self.tag_request(request_seq, kind);
        }
    }

    /// After a poll took `ev`: tags the poll request if the event came from a fault, and
    /// applies an armed `duplicateEvent` (the event goes back to the front of the queue, so
    /// the next poll carries it again, same eventGenTime).
    pub fn poll_delivered(&mut self, agent: &str, subject: &str, request_seq: u64, ev: &QueuedEvent) {
        // A poll waiting when a sign-out happened carries its first events; an expired GUID is
        // only seen by the next request.
        let kind = self.faults.tag_events.remove(&ev.seq).or_else(|| {
            self.faults.observed_where(Some(agent), |k| matches!(k, FaultKind::SignOut | FaultKind::Restart))
        });
        if let Some(kind) = kind {
            self.tag_request(request_seq, kind);
        }
        if self.faults.take_duplicate(subject, agent, &ev.event_type).is_some() {
            if let Some(session) = self.agents.get_mut(agent).and_then(|a| a.session.as_mut()) {
                session.events.push_front(ev.clone());
                self.faults.tag_events.insert(ev.seq, FaultKind::DuplicateEvent);
            }
        }
    }
}
