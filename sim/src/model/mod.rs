//! The simulator's state: agents, calls, queues, timers and event logs, in one struct.
//!
//! Everything here is synchronous and free of I/O. Each operation takes the current time
//! (`now`, epoch ms) and returns the events it caused as a `Vec<Emit>`; the HTTP layer queues
//! them ([`Sim::push_events`]) and wakes the pollers. That keeps the call logic unit-testable
//! without a server, and the one `Mutex<Sim>` of the server is never held across an await.

mod calls;
pub mod ccc;
mod faults;
mod push;
mod queries;
mod session;

use crate::config::{Media, SimConfig};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};

pub use calls::{transfer_mode_allowed, OfferRequest, TransferKind};
pub use faults::{DropStage, Fault, FaultKind, Faults, DROP_RETRY_WINDOW_MS};
pub use push::{
    iso8601, push_fields, AgentCounts, PushPost, PushTarget, CALLBACK_TOKEN_HEADER, HANDSHAKE_TOKEN_HEADER,
};
pub use session::{PollStep, PollTicket};

/// Epoch milliseconds.
pub type Ms = u64;

/// One event produced by an operation, for one agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Emit {
    pub agent: String,
    pub event_type: String,
    pub content: Value,
}

pub(crate) fn emit(out: &mut Vec<Emit>, agent: &str, event_type: &str, content: Value) {
    out.push(Emit { agent: agent.to_string(), event_type: event_type.to_string(), content });
}

/// An event waiting in an agent's queue for the next poll.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedEvent {
    pub seq: u64,
    pub event_type: String,
    pub content: Value,
    pub gen_time: Ms,
}

impl QueuedEvent {
    /// The `event` object of a poll answer.
    pub fn to_wire(&self, workno: &str) -> Value {
        json!({
            "eventType": self.event_type,
            "workNo": workno,
            "content": self.content,
            "eventGenTime": self.gen_time,
        })
    }
}

/// `/sim/events` record: when an event was queued and when a poll took it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    pub seq: u64,
    pub agent: String,
    pub event_type: String,
    pub content: Value,
    pub event_gen_time: Ms,
    pub queued_at: Ms,
    pub released_at: Option<Ms>,
    /// False when the agent had no session to queue it to.
    pub delivered: bool,
}

/// `/sim/requests` record of one vendor API request.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub seq: u64,
    pub ts: f64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub guid: Option<String>,
    pub body: Value,
    /// CCC requests only: `dialect`, `action`, `params`, `signature`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ccc: Option<serde_json::Map<String, Value>>,
    /// The fault (`/sim/fault` kind) this request hit or was the first to see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// The agent's own state when no call decides it (gateway codes in [`Agent::state_code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseState {
    Idle,
    Busy { reason: i64 },
    Rest { cause: i64, id: u64 },
    Work,
}

/// Busy/rest/wrap-up asked during a call, applied when the last call ends
/// (knob `busyDuringCall = after_call`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Pending {
    Busy { reason: i64 },
    Rest { secs: u64, cause: i64 },
    Work,
}

/// A signed-in (or just signed-out) gateway session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: u64,
    pub guid: String,
    pub guid_issued: Ms,
    /// Replaced GUIDs and when they were replaced (accepted for `guidTimeoutMs`).
    pub old_guids: Vec<(String, Ms)>,
    pub login_time: Ms,
    pub phone: String,
    pub autoanswer: bool,
    pub autoenteridle: bool,
    pub media_flags: String,
    /// Skill queues the agent takes calls from (resetskill; all configured by default).
    pub skills: Vec<i64>,
    /// Signed out, kept only so a poll can still take the last events
    /// (AgentOther_ShutdownService); every other request gets 100-006.
    pub closed: bool,
    pub events: VecDeque<QueuedEvent>,
    /// Incremented by each poll: an older poll still waiting answers empty.
    pub poll_gen: u64,
    pub polls_in_flight: u32,
    pub last_poll: Ms,
    /// Signed in through the CCC dialect (SignInGroup): no GUID, no event queue, no
    /// no-poll sign-out.
    pub ccc: bool,
    /// Push mode (sign-in with callBackUri + serviceToken): events go to the callback, the
    /// handshake keeps the session alive.
    pub push: Option<push::PushTarget>,
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub cfg: crate::config::AgentConfig,
    pub session: Option<Session>,
    pub state: BaseState,
    pub pending: Option<Pending>,
    /// Call ringing on the agent's phone.
    pub ringing: Option<String>,
    /// Call the agent is talking on (or dialling, or transferring).
    pub current: Option<String>,
    /// Held calls, oldest hold first.
    pub held: Vec<String>,
    /// Consult (inner help) leg.
    pub consult: Option<String>,
    /// Calls parked in an IVR by a hang-up transfer; they come back.
    pub suspended: Vec<String>,
    pub muted: bool,
    pub idle_since: Ms,
    /// Last ended call, for `callinfo?isNoContainLastCall=false`.
    pub last_call: Option<Call>,
    /// CCC dialect data (device, skill groups, break code, heartbeat).
    pub ccc: ccc::CccAgent,
}

impl Agent {
    fn new(cfg: crate::config::AgentConfig) -> Agent {
        Agent {
            cfg,
            session: None,
            state: BaseState::Idle,
            pending: None,
            ringing: None,
            current: None,
            held: Vec::new(),
            consult: None,
            suspended: Vec::new(),
            muted: false,
            idle_since: 0,
            last_call: None,
            ccc: ccc::CccAgent::default(),
        }
    }

    pub fn signed_in(&self) -> bool {
        self.session.as_ref().is_some_and(|s| !s.closed)
    }

    /// Signed in through the CCC dialect.
    pub fn is_ccc(&self) -> bool {
        self.session.as_ref().is_some_and(|s| !s.closed && s.ccc)
    }

    pub fn has_calls(&self) -> bool {
        self.ringing.is_some()
            || self.current.is_some()
            || !self.held.is_empty()
            || self.consult.is_some()
            || !self.suspended.is_empty()
    }

    /// Gateway `agentState` code (reference §4.1): 2 signed out, 3 busy, 4 idle, 5 wrap-up,
    /// 7 in a call (ringing, talking and held alike), 8 rest.
    pub fn state_code(&self) -> i64 {
        if !self.signed_in() {
            return 2;
        }
        if self.has_calls() {
            return 7;
        }
        match self.state {
            BaseState::Idle => 4,
            BaseState::Busy { .. } => 3,
            BaseState::Rest { .. } => 8,
            BaseState::Work => 5,
        }
    }

    /// Can take a new call from a queue: signed in, idle, nothing pending, no call at all.
    fn available(&self) -> bool {
        self.signed_in() && self.state == BaseState::Idle && self.pending.is_none() && !self.has_calls()
    }

    fn all_calls(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        ids.extend(self.ringing.iter().cloned());
        ids.extend(self.current.iter().cloned());
        ids.extend(self.consult.iter().cloned());
        ids.extend(self.held.iter().cloned());
        ids.extend(self.suspended.iter().cloned());
        ids
    }

    /// Removes a call id from every slot of the agent.
    fn forget_call(&mut self, callid: &str) {
        if self.ringing.as_deref() == Some(callid) {
            self.ringing = None;
        }
        if self.current.as_deref() == Some(callid) {
            self.current = None;
            self.muted = false;
        }
        if self.consult.as_deref() == Some(callid) {
            self.consult = None;
        }
        self.held.retain(|c| c != callid);
        self.suspended.retain(|c| c != callid);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum CallKind {
    /// Offered from a queue or straight to an agent (Ringing).
    Inbound,
    /// Made by the agent with callout.
    Outbound,
    /// Inner-help leg from the agent to a consult target; `parent` is the customer call.
    Consult { parent: String, mode: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum CallState {
    /// Waiting in a skill queue.
    Queued,
    Ringing,
    /// The far party (callout customer, consult target) is being rung.
    Dialing,
    Talking,
    Held,
    /// Success/talk/three-party transfer waiting for the target.
    Transferring {
        kind: TransferKind,
        target: String,
    },
    /// Three-party call.
    Conference {
        partner: String,
    },
    /// Parked in an IVR by a hang-up transfer.
    InIvr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub id: String,
    pub media: Media,
    pub kind: CallKind,
    /// callfeature / Ringing `feature` code (0 inbound, 7 outbound, 51 consult, ...).
    pub feature: i64,
    pub caller: String,
    pub called: String,
    pub skill_id: Option<i64>,
    pub skill_name: String,
    pub calldata: Option<String>,
    pub state: CallState,
    pub agent: Option<String>,
    /// A queued call meant for one agent only (`/sim/offer` with `agent`).
    pub target_agent: Option<String>,
    pub created: Ms,
    pub answered: Option<Ms>,
    pub ended: Option<Ms>,
    pub last_release_agent: String,
    pub requeue_count: i64,
    /// Offered by `--demo`: the customer hangs up a while after the answer.
    pub demo: bool,
    /// Bumped each time the call starts ringing or waits for a far party, so a stale timer
    /// (ring timeout, far answer) of an earlier attempt does nothing.
    pub attempt: u64,
}

impl Call {
    /// The customer's number: the caller of inbound calls, the called party of outbound ones.
    pub fn customer_number(&self) -> &str {
        match self.kind {
            CallKind::Outbound => &self.called,
            _ => &self.caller,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerAction {
    /// The far party of a call answers (`true`) or fails.
    FarResult {
        callid: String,
        answer: bool,
        attempt: u64,
    },
    RestTimeout {
        agent: String,
        rest_id: u64,
    },
    IvrReturn {
        callid: String,
    },
    CustomerHangup {
        callid: String,
    },
    RingTimeout {
        callid: String,
        attempt: u64,
    },
    DemoOffer,
    /// CCC wrap-up (WORKING) ends by itself (`cccWrapUpMs`).
    CccAutoReady {
        agent: String,
        since: Ms,
    },
}

#[derive(Debug, Clone)]
pub struct Timer {
    pub due: Ms,
    pub action: TimerAction,
}

/// The whole simulated gateway.
#[derive(Debug)]
pub struct Sim {
    /// Configuration at start, for `/sim/reset`.
    initial: SimConfig,
    /// Current configuration (knobs and scenario change at run time).
    pub cfg: SimConfig,
    pub agents: BTreeMap<String, Agent>,
    pub calls: BTreeMap<String, Call>,
    /// Queued call ids, first served first.
    pub queue: VecDeque<String>,
    pub timers: Vec<Timer>,
    pub event_log: Vec<EventRecord>,
    pub requests: Vec<RequestRecord>,
    pub demo: bool,
    /// CCC dialect: jobs (JobId, channels, call records) and id counters.
    pub ccc: ccc::CccModel,
    /// Armed faults (`/sim/fault`).
    pub faults: Faults,
    /// Per-agent request counts (`/sim/counts`).
    pub counts: BTreeMap<String, AgentCounts>,
    /// Callback and webhook POSTs waiting for the delivery task.
    pub push_outbox: Vec<PushPost>,
    /// CCC Webhook subscription (`UpdateSubscription`).
    pub webhook: Option<push::Subscription>,
    next_call: u64,
    next_seq: u64,
    next_request: u64,
    next_session: u64,
    next_rest: u64,
}

/// Upper bound of the event log kept for `/sim/events`; the oldest tenth is dropped past it.
const EVENT_LOG_LIMIT: usize = 100_000;
const REQUEST_LOG_LIMIT: usize = 100_000;

impl Sim {
    pub fn new(cfg: SimConfig) -> Sim {
        let agents = cfg.agents.iter().map(|a| (a.workno.clone(), Agent::new(a.clone()))).collect();
        Sim {
            initial: cfg.clone(),
            cfg,
            agents,
            calls: BTreeMap::new(),
            queue: VecDeque::new(),
            timers: Vec::new(),
            event_log: Vec::new(),
            requests: Vec::new(),
            demo: false,
            ccc: ccc::CccModel::default(),
            faults: Faults::default(),
            counts: BTreeMap::new(),
            push_outbox: Vec::new(),
            webhook: None,
            next_call: 0,
            next_seq: 0,
            next_request: 0,
            next_session: 0,
            next_rest: 0,
        }
    }

    /// Back to the configuration at start: everybody signed out, no calls, logs cleared,
    /// faults disarmed.
    /// The demo flag is kept (it is a command-line option, not state).
    pub fn reset(&mut self, now: Ms) {
        let demo = self.demo;
        *self = Sim::new(self.initial.clone());
        self.set_demo(demo, now);
    }

    pub fn set_demo(&mut self, on: bool, now: Ms) {
        self.demo = on;
        self.timers.retain(|t| t.action != TimerAction::DemoOffer);
        if on {
            // First demo call soon after start, then every `demoIntervalMs`.
            self.schedule(now + self.cfg.knobs.demo_interval_ms.min(5000), TimerAction::DemoOffer);
        }
    }

    /// New call id shaped like the docs' "1501127996-2": epoch seconds, dash, counter.
    pub(crate) fn new_call_id(&mut self, now: Ms) -> String {
        let id = format!("{}-{}", now / 1000, self.next_call);
        self.next_call += 1;
        id
    }

    pub(crate) fn schedule(&mut self, due: Ms, action: TimerAction) {
        self.timers.push(Timer { due, action });
    }

    // ---------------------------------------------------------------- event queues

    /// Queues events to their agents' sessions and records them for `/sim/events`.
    pub fn push_events(&mut self, emits: Vec<Emit>, now: Ms) {
        for e in emits {
            let seq = self.next_seq;
            self.next_seq += 1;
            let delivered = match self.agents.get_mut(&e.agent).and_then(|a| a.session.as_mut()) {
                // CCC agents have no event poll: the events are only logged.
                Some(session) if session.ccc => true,
                Some(session) if session.push.is_some() => {
                    let target = session.push.clone().expect("checked");
                    let ev = QueuedEvent {
                        seq,
                        event_type: e.event_type.clone(),
                        content: e.content.clone(),
                        gen_time: now,
                    };
                    self.push_event(&e.agent, &target, ev.to_wire(&e.agent));
                    true
                }
                Some(session) => {
                    session.events.push_back(QueuedEvent {
                        seq,
                        event_type: e.event_type.clone(),
                        content: e.content.clone(),
                        gen_time: now,
                    });
                    true
                }
                None => false,
            };
            if self.event_log.len() >= EVENT_LOG_LIMIT {
                self.event_log.drain(..EVENT_LOG_LIMIT / 10);
            }
            self.event_log.push(EventRecord {
                seq,
                agent: e.agent,
                event_type: e.event_type,
                content: e.content,
                event_gen_time: now,
                queued_at: now,
                released_at: None,
                delivered,
            });
        }
    }

    pub(crate) fn mark_released(&mut self, seq: u64, now: Ms) {
        if let Ok(i) = self.event_log.binary_search_by_key(&seq, |r| r.seq) {
            self.event_log[i].released_at = Some(now);
        }
    }

    pub fn record_request(
        &mut self,
        now: Ms,
        method: &str,
        path: &str,
        query: &str,
        guid: Option<String>,
        body: Value,
    ) -> u64 {
        if self.requests.len() >= REQUEST_LOG_LIMIT {
            self.requests.drain(..REQUEST_LOG_LIMIT / 10);
        }
        self.next_request += 1;
        self.requests.push(RequestRecord {
            seq: self.next_request,
            ts: now as f64,
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            guid,
            body,
            ccc: None,
            fault: None,
        });
        self.next_request
    }

    /// Queues a raw event (`POST /sim/event`, for decoder-quirk tests).
    pub fn raw_event(
        &mut self,
        agent: &str,
        event_type: &str,
        content: Value,
        now: Ms,
    ) -> Result<(), String> {
        match self.agents.get(agent) {
            Some(a) if a.session.is_some() => {
                self.push_events(
                    vec![Emit { agent: agent.to_string(), event_type: event_type.to_string(), content }],
                    now,
                );
                Ok(())
            }
            Some(_) => Err(format!("agent {agent} has no session")),
            None => Err(format!("unknown agent {agent}")),
        }
    }

    // ---------------------------------------------------------------- timers

    /// When [`Sim::tick`] next has something to do.
    pub fn next_due(&self) -> Option<Ms> {
        let timers = self.timers.iter().map(|t| t.due);
        let polls = self.agents.values().filter_map(|a| {
            let s = a.session.as_ref()?;
            (!s.closed && !s.ccc && s.push.is_none() && s.polls_in_flight == 0)
                .then(|| s.last_poll + self.cfg.knobs.no_poll_timeout_ms)
        });
        timers.chain(polls).chain(self.push_next_due()).min()
    }

    /// Fires every timer that is due and signs out agents that stopped polling.
    pub fn tick(&mut self, now: Ms) -> Vec<Emit> {
        let mut out = Vec::new();
        // Timers may schedule new timers; fire the earliest due one until none is due.
        while let Some(i) = self
            .timers
            .iter()
            .enumerate()
            .filter(|(_, t)| t.due <= now)
            .min_by_key(|(_, t)| t.due)
            .map(|(i, _)| i)
        {
            let timer = self.timers.remove(i);
            self.fire(timer.action, now, &mut out);
        }
        let timeout = self.cfg.knobs.no_poll_timeout_ms;
        let stale: Vec<String> = self
            .agents
            .values()
            .filter(|a| {
                a.session.as_ref().is_some_and(|s| {
                    !s.closed
                        && !s.ccc
                        && s.push.is_none()
                        && s.polls_in_flight == 0
                        && now >= s.last_poll + timeout
                })
            })
            .map(|a| a.cfg.workno.clone())
            .chain(self.push_overdue(now))
            .collect();
        for workno in stale {
            self.sign_out(&workno, now, &mut out);
        }
        out
    }

    fn fire(&mut self, action: TimerAction, now: Ms, out: &mut Vec<Emit>) {
        match action {
            TimerAction::FarResult { callid, answer, attempt } => {
                if self.calls.get(&callid).is_some_and(|c| c.attempt == attempt) {
                    let _ = self.far_result(&callid, answer, now, out);
                }
            }
            TimerAction::RestTimeout { agent, rest_id } => {
                if let Some(a) = self.agents.get(&agent) {
                    if matches!(a.state, BaseState::Rest { id, .. } if id == rest_id) && a.signed_in() {
                        // A reminder only: the agent stays in rest (reference §4.1).
                        emit(out, &agent, "AgentState_Rest_Timeout", Value::Null);
                    }
                }
            }
            TimerAction::IvrReturn { callid } => self.ivr_return(&callid, now, out),
            TimerAction::CustomerHangup { callid } => {
                let _ = self.customer_hangup(&callid, now, out);
            }
            TimerAction::RingTimeout { callid, attempt } => self.ring_timeout(&callid, attempt, now, out),
            TimerAction::CccAutoReady { agent, since } => self.ccc_auto_ready(&agent, since, now, out),
            TimerAction::DemoOffer => {
                self.demo_offer(now, out);
                if self.demo {
                    self.schedule(now + self.cfg.knobs.demo_interval_ms.max(1000), TimerAction::DemoOffer);
                }
            }
        }
    }

    fn demo_offer(&mut self, now: Ms, out: &mut Vec<Emit>) {
        let agent = self.cfg.knobs.demo_agent.clone();
        if !self.agents.get(&agent).is_some_and(|a| a.available()) {
            return;
        }
        let caller = format!("1380013{:04}", (now / 1000) % 10_000);
        let skill = self.cfg.skills.iter().find(|s| s.media == Media::Voice).map(|s| s.id);
        let req = OfferRequest {
            agent: Some(agent),
            skill,
            caller,
            called: self.cfg.default_caller(),
            media: Media::Voice,
            skill_name: None,
            calldata: None,
            callid: None,
            feature: None,
            demo: true,
        };
        let _ = self.offer(req, now, out);
    }

    // ---------------------------------------------------------------- snapshots

    /// `/sim/state`: agents, calls and the queue, for test assertions.
    pub fn snapshot(&self) -> Value {
        let agents: Vec<Value> = self
            .agents
            .values()
            .map(|a| {
                let s = a.session.as_ref();
                json!({
                    "workno": a.cfg.workno,
                    "name": a.cfg.name,
                    "signedIn": a.signed_in(),
                    "agentState": a.state_code(),
                    "baseState": match a.state {
                        BaseState::Idle => json!({"state": "idle"}),
                        BaseState::Busy { reason } => json!({"state": "busy", "reason": reason}),
                        BaseState::Rest { cause, .. } => json!({"state": "rest", "cause": cause}),
                        BaseState::Work => json!({"state": "work"}),
                    },
                    "pending": a.pending,
                    "guid": s.filter(|s| !s.closed).map(|s| s.guid.clone()),
                    "phone": s.map(|s| s.phone.clone()),
                    "autoanswer": s.map(|s| s.autoanswer),
                    "autoenteridle": s.map(|s| s.autoenteridle),
                    "skills": s.map(|s| s.skills.clone()),
                    "queuedEvents": s.map(|s| s.events.len()).unwrap_or(0),
                    "ringing": a.ringing,
                    "current": a.current,
                    "consult": a.consult,
                    "held": a.held,
                    "suspended": a.suspended,
                    "muted": a.muted,
                    "ccc": self.ccc_identity(a),
                })
            })
            .collect();
        json!({
            "agents": agents,
            "calls": self.calls.values().collect::<Vec<_>>(),
            "queue": self.queue,
            "cccJobs": self.ccc.jobs.values().map(|j| self.ccc_job_snapshot(j)).collect::<Vec<_>>(),
            "scenario": self.cfg.scenario,
            "demo": self.demo,
        })
    }

    /// `/sim/events`: the event log, optionally of one agent.
    pub fn events_of(&self, agent: Option<&str>) -> Vec<EventRecord> {
        self.event_log.iter().filter(|r| agent.is_none_or(|a| r.agent == a)).cloned().collect()
    }
}

/// The agent with an open session, or 100-006. A free function over the agents map so the
/// caller can still read `calls` and `cfg` while holding the agent.
pub(crate) fn open_agent<'a>(
    agents: &'a mut BTreeMap<String, Agent>,
    workno: &str,
) -> Result<&'a mut Agent, crate::codes::Fail> {
    match agents.get_mut(workno) {
        Some(a) if a.signed_in() => Ok(a),
        _ => Err(crate::codes::Fail::code(crate::codes::NOT_SIGNED_IN)),
    }
}

#[cfg(test)]
mod tests;
