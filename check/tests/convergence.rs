//! Model-based test of the toolbar's core against the simulator's gateway model (issue 11).
//!
//! The system under test is what the browser runs minus the DOM: `core::step` with the
//! CC-Gateway adapter, carrying out its effects the way `ui::toolbar` does. The oracle is the
//! gateway: `agentbar-sim`'s router and model, in process, behind the real HTTP handlers.
//! Random transitions interleave the customer (calls, hang-ups, far parties), the agent
//! (every intent, sometimes clicked twice, allowed or not) and the network (answers delivered
//! late and out of order, events repeated, polls failing).
//!
//! After every step: (1) no request went out that the allowed actions of that moment forbid;
//! (2) a call the toolbar drops is one the gateway no longer has for the agent, or one it has
//! already queued an event about (the toolbar is about to hear of it again). At the end, after
//! every answer and event is delivered and one reconcile: (3) the toolbar's calls (ids and
//! phases) and agent state equal the gateway's.
//!
//! `PROPTEST_CASES` sets the number of cases (default 64). Each run prints its seed, and
//! `CONVERGENCE_SEED` replays it; no regression file is kept (CI's clone is thrown away, so a
//! failing seed goes into a host test in `tests/trust_sequences.rs` instead).

use agentbar::adapter::huawei::{self as hw, guid_from_header, Decoded};
use agentbar::adapter::HttpRequest;
use agentbar::core::actions::allowed_actions;
use agentbar::core::gate::action_of;
use agentbar::core::model::{AgentState, CallPhase};
use agentbar::core::step::{step, Effect, InitialState, Input, Intent, RejectMode};
use agentbar::core::transfer::{ConsultTarget, DeviceType, TransferKind, TransferRequest};
use agentbar::core::{ErrorKind, Session};
use agentbar::protocol::huawei::{
    decode_envelope, decode_hold_list, poll_events, AgentStatus, CallRecord, RawEvent,
};
use agentbar_sim::config::SimConfig;
use axum::body::Body;
use axum::http::{Method, Request};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

const AGENT: &str = "101";

/// What the agent can ask for, about the k-th call on screen where it takes a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Answer,
    RejectRequeue,
    RejectRelease,
    HangUp,
    Hold,
    Retrieve,
    Mute,
    Unmute,
    Dtmf,
    ConnectHeld,
    DropCall,
    Consult,
    CancelConsult,
    CompleteConsult,
    Conference,
    CallOut,
    TransferBlind,
    TransferSuccess,
    Ready,
    Busy,
    EnterWrapUp,
    LeaveWrapUp,
    SignOut,
}

const ASKS: [Ask; 23] = [
    Ask::Answer,
    Ask::RejectRequeue,
    Ask::RejectRelease,
    Ask::HangUp,
    Ask::Hold,
    Ask::Retrieve,
    Ask::Mute,
    Ask::Unmute,
    Ask::Dtmf,
    Ask::ConnectHeld,
    Ask::DropCall,
    Ask::Consult,
    Ask::CancelConsult,
    Ask::CompleteConsult,
    Ask::Conference,
    Ask::CallOut,
    Ask::TransferBlind,
    Ask::TransferSuccess,
    Ask::Ready,
    Ask::Busy,
    Ask::EnterWrapUp,
    Ask::LeaveWrapUp,
    Ask::SignOut,
];

#[derive(Debug, Clone)]
enum Transition {
    /// A customer calls the agent.
    Offer,
    /// The customer (or far party) of the k-th gateway call hangs up.
    CustomerHangsUp(usize),
    /// The oldest far party waiting (callout, consult, transfer target) answers or fails.
    FarAnswers,
    FarFails,
    /// The agent asks, once or twice in a row (a double click), whether the state allows it
    /// or not (the gate must refuse what it does not).
    Ask(Ask, usize, bool),
    /// The agent clicks the j-th button the state allows, on a call it fits, maybe twice.
    Act(usize, usize, bool),
    /// The k-th answer on its way arrives (any order).
    Deliver(usize),
    /// The long-poll returns the next event.
    Poll,
    /// The last event arrives again.
    RepeatEvent,
    /// A poll fails; the stream reconnects with the next one.
    PollFails,
}

/// The reference state only counts: the gateway model in the SUT is the oracle.
#[derive(Debug, Clone, Default)]
struct Steps(usize);

impl ReferenceStateMachine for Steps {
    type State = Steps;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Steps> {
        Just(Steps(0)).boxed()
    }

    fn transitions(_: &Steps) -> BoxedStrategy<Transition> {
        let k = 0usize..4;
        prop_oneof![
            5 => Just(Transition::Offer),
            2 => k.clone().prop_map(Transition::CustomerHangsUp),
            2 => Just(Transition::FarAnswers),
            1 => Just(Transition::FarFails),
            3 => (proptest::sample::select(ASKS.to_vec()), k.clone(), proptest::bool::weighted(0.3))
                .prop_map(|(a, k, twice)| Transition::Ask(a, k, twice)),
            9 => (0usize..16, k.clone(), proptest::bool::weighted(0.3))
                .prop_map(|(j, k, twice)| Transition::Act(j, k, twice)),
            5 => k.prop_map(Transition::Deliver),
            8 => Just(Transition::Poll),
            1 => Just(Transition::RepeatEvent),
            1 => Just(Transition::PollFails),
        ]
        .boxed()
    }

    fn apply(state: Steps, _: &Transition) -> Steps {
        Steps(state.0 + 1)
    }
}

/// An answer on its way to the toolbar, computed when the gateway handled the request.
#[derive(Debug)]
enum InFlight {
    Done(Intent, Result<Value, agentbar::core::GatewayError>),
    Resynced { as_of: u64, state: i64, current: Option<CallRecord>, held: Option<Vec<CallRecord>> },
    HoldList { as_of: u64, held: Vec<CallRecord> },
}

struct Rig {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    guid: Option<String>,
    session: Session,
    now: u64,
    polling: bool,
    failing: u32,
    in_flight: Vec<InFlight>,
    last_event: Option<RawEvent>,
    /// Invariant 1 breaches: requests sent that the state forbade.
    forbidden: Vec<String>,
}

static STEPS: AtomicUsize = AtomicUsize::new(0);
static CASES: AtomicUsize = AtomicUsize::new(0);
static CHECKS: AtomicUsize = AtomicUsize::new(0);
/// Requests that reached the gateway, by action: the run's coverage.
static SENT: std::sync::Mutex<BTreeMap<String, usize>> = std::sync::Mutex::new(BTreeMap::new());

fn gateway_config() -> SimConfig {
    let mut cfg = SimConfig::default();
    // An empty poll answers at once: the test decides when events arrive.
    cfg.knobs.poll_wait_ms = 0;
    cfg.knobs.ring_timeout_ms = 0;
    cfg
}

impl Rig {
    fn new() -> Rig {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let app = agentbar_sim::App::new(gateway_config());
        let router = agentbar_sim::router(app, None);
        let mut rig = Rig {
            rt,
            router,
            guid: None,
            session: Session::default(),
            now: 1_000,
            polling: false,
            failing: 0,
            in_flight: Vec::new(),
            last_event: None,
            forbidden: Vec::new(),
        };
        rig.control("clock", json!({"nowMs": 1_700_000_000_000u64}));
        // Far parties wait for FarAnswers/FarFails, so their timing is the test's to choose.
        rig.control(
            "scenario",
            json!({"consultTarget": "ring", "transferTarget": "ring", "callout": "ring"}),
        );
        let sign_in = Intent::SignIn {
            agent_id: AGENT.into(),
            password: "agent123".into(),
            phone: "70001".into(),
            initial: InitialState::Idle,
            force: false,
            auto_enter_idle: true,
        };
        rig.ask(sign_in);
        rig.deliver_all();
        rig.drain_events();
        assert_eq!(rig.session.agent, AgentState::Idle, "signed in");
        rig
    }

    fn http(
        &mut self,
        method: Method,
        uri: &str,
        body: Option<&Value>,
        guid: bool,
    ) -> (Option<String>, String) {
        let mut req = Request::builder().method(method).uri(uri).header("Content-Type", "application/json");
        if let (true, Some(g)) = (guid, self.guid.as_deref()) {
            req = req.header("Guid", g);
        }
        let req = req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).expect("request");
        let router = self.router.clone();
        self.rt.block_on(async move {
            let resp = router.oneshot(req).await.expect("infallible");
            let set_guid = resp.headers().get("Set-GUID").and_then(|v| v.to_str().ok()).map(String::from);
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.expect("body");
            (set_guid, String::from_utf8_lossy(&bytes).into_owned())
        })
    }

    fn control(&mut self, path: &str, body: Value) -> Value {
        let (_, text) = self.http(Method::POST, &format!("/sim/{path}"), Some(&body), false);
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    fn gateway_state(&mut self) -> Value {
        let (_, text) = self.http(Method::GET, "/sim/state", None, false);
        serde_json::from_str(&text).expect("state")
    }

    /// One CC-Gateway request as `net::GatewayClient` sends it (Guid in, Set-GUID out).
    fn call(&mut self, req: &HttpRequest) -> Result<Value, agentbar::core::GatewayError> {
        let method = Method::from_bytes(req.method.as_str().as_bytes()).expect("method");
        let uri = format!("{}{}", hw::BASE_PATH, req.path);
        let (set_guid, text) = self.http(method, &uri, req.body.as_ref(), true);
        if let Some(g) = set_guid.as_deref().and_then(guid_from_header) {
            self.guid = Some(g);
        }
        match decode_envelope(&text) {
            Ok(env) if env.is_ok() => Ok(env.result),
            Ok(env) => Err(hw::error_of(&env)),
            Err(e) => Err(agentbar::core::GatewayError::transport(e.to_string())),
        }
    }

    /// Steps the session and carries out the effects, as `ui::toolbar::Toolbar::apply` does;
    /// checks invariant 1 on every request the step lets out.
    fn apply(&mut self, input: Input) {
        self.now += 7;
        let before = self.session.clone();
        let effects = step(&mut self.session, input, self.now);
        for effect in effects {
            match effect {
                Effect::Request(intent) => {
                    let allowed = match intent {
                        Intent::SignOutLeavingCalls => before.agent.is_signed_in(),
                        _ => allowed_actions(&before).contains(action_of(&intent)),
                    };
                    if !allowed {
                        self.forbidden.push(format!("{intent:?} sent in {:?}", before.display_state()));
                    }
                    if let Ok(mut sent) = SENT.lock() {
                        *sent.entry(action_of(&intent).name().to_string()).or_default() += 1;
                    }
                    self.execute(intent);
                }
                Effect::Refused(..)
                | Effect::Accepted(_)
                | Effect::CallEnded { .. }
                | Effect::FetchCallData { .. } => {}
                Effect::StartPolling => self.polling = true,
                Effect::StopPolling => self.polling = false,
                Effect::Resync => self.read_resync(),
                Effect::RefreshHoldList => self.read_hold_list(),
                Effect::Send(intent) => self.ask(intent),
            }
        }
    }

    fn ask(&mut self, intent: Intent) {
        self.apply(Input::Intent(intent));
    }

    /// The gateway handles the request now; its answer travels back later.
    fn execute(&mut self, intent: Intent) {
        let agent = match &intent {
            Intent::SignIn { agent_id, .. } => agent_id.clone(),
            _ => self.session.agent_id.clone(),
        };
        let mut result = Ok(Value::Null);
        for planned in hw::plan(&intent, &agent) {
            result = self.call(&planned.request);
            match &result {
                Err(e) if planned.tolerate_no_call && e.kind == ErrorKind::NoCall => {}
                Err(_) => break,
                Ok(_) => {}
            }
        }
        self.in_flight.push(InFlight::Done(intent, result));
    }

    fn records(v: Result<Value, agentbar::core::GatewayError>) -> Option<Vec<CallRecord>> {
        match v {
            Ok(v) => Some(decode_hold_list(&v)),
            Err(e) if e.kind == ErrorKind::NoHeldCall => Some(Vec::new()),
            Err(_) => None,
        }
    }

    fn read_resync(&mut self) {
        let as_of = self.session.gen;
        let agent = self.session.agent_id.clone();
        let Ok(status) = self.call(&hw::status_request(&agent)) else { return };
        let state = serde_json::from_value::<AgentStatus>(status).unwrap_or_default().agent_state;
        let current = self
            .call(&hw::callinfo_request(&agent))
            .ok()
            .and_then(|v| serde_json::from_value::<CallRecord>(v).ok())
            .filter(|c| !c.callid.is_empty());
        let held = Self::records(self.call(&hw::holdlist_request(&agent)));
        self.in_flight.push(InFlight::Resynced { as_of, state, current, held });
    }

    fn read_hold_list(&mut self) {
        let as_of = self.session.gen;
        let agent = self.session.agent_id.clone();
        if let Some(held) = Self::records(self.call(&hw::holdlist_request(&agent))) {
            self.in_flight.push(InFlight::HoldList { as_of, held });
        }
    }

    fn deliver(&mut self, k: usize) {
        if self.in_flight.is_empty() {
            return;
        }
        let answer = self.in_flight.remove(k % self.in_flight.len());
        let input = match answer {
            InFlight::Done(intent, result) => Input::Done { intent, result },
            InFlight::Resynced { as_of, state, current, held } => Input::Resynced {
                as_of,
                state: hw::reported_state(state),
                current: current.as_ref().map(hw::call_summary),
                held: held.map(|h| h.iter().map(hw::call_summary).collect()),
            },
            InFlight::HoldList { as_of, held } => {
                Input::HoldList { as_of, held: held.iter().map(hw::call_summary).collect() }
            }
        };
        self.apply(input);
    }

    fn deliver_all(&mut self) {
        while !self.in_flight.is_empty() {
            self.deliver(0);
        }
    }

    fn event(&mut self, raw: RawEvent) {
        if let Decoded::Event(e) = hw::decode_event(&raw) {
            self.apply(Input::Event(e));
        }
        self.last_event = Some(raw);
    }

    /// One long-poll: `Some(true)` when it brought an event.
    fn poll(&mut self) -> Option<bool> {
        if !self.polling {
            return None;
        }
        let agent = self.session.agent_id.clone();
        let req = hw::poll_request(&agent);
        let (set_guid, text) = self.http(Method::GET, &format!("{}{}", hw::BASE_PATH, req.path), None, true);
        if let Some(g) = set_guid.as_deref().and_then(guid_from_header) {
            self.guid = Some(g);
        }
        let env = decode_envelope(&text).ok().filter(|e| e.is_ok())?;
        // The controller marks the stream alive on any answer, then applies the events.
        self.failing = 0;
        self.apply(Input::PollAlive);
        let events = poll_events(&env).events;
        let any = !events.is_empty();
        for raw in events {
            self.event(raw);
        }
        Some(any)
    }

    /// Polls until the gateway has nothing queued and no answer is on its way.
    fn drain_events(&mut self) {
        for _ in 0..200 {
            self.deliver_all();
            if self.poll() != Some(true) && self.in_flight.is_empty() {
                return;
            }
        }
        panic!("events never stopped");
    }

    fn call_on_screen(&self, k: usize) -> Option<String> {
        let calls = &self.session.calls;
        (!calls.is_empty()).then(|| calls[k % calls.len()].id.clone())
    }

    fn intent(&self, ask: Ask, k: usize) -> Option<Intent> {
        let call = self.call_on_screen(k);
        let customer = self.session.consult.as_ref().map(|c| c.customer_call_id.clone());
        let leg = self.session.consult.as_ref().and_then(|c| c.leg_call_id.clone());
        let transfer = |mode: i64| {
            Some(Intent::Transfer(TransferRequest {
                call_id: call.clone()?,
                kind: TransferKind::Voice,
                device: DeviceType::SkillQueue,
                mode,
                address: "1".into(),
                calldata: None,
                skill_id: None,
            }))
        };
        Some(match ask {
            Ask::Answer => Intent::Answer { call_id: call? },
            Ask::RejectRequeue => Intent::Reject { call_id: call?, mode: RejectMode::Requeue },
            Ask::RejectRelease => Intent::Reject { call_id: call?, mode: RejectMode::Release },
            Ask::HangUp => Intent::HangUp { call_id: call? },
            Ask::Hold => Intent::Hold { call_id: call? },
            Ask::Retrieve => Intent::Retrieve { call_id: call? },
            Ask::Mute => Intent::Mute { call_id: call? },
            Ask::Unmute => Intent::Unmute { call_id: call? },
            Ask::Dtmf => Intent::Dtmf { call_id: call?, digits: "1".into() },
            Ask::ConnectHeld => Intent::ConnectHeld { call_id: call? },
            Ask::DropCall => Intent::DropCall { call_id: call? },
            Ask::Consult => Intent::Consult {
                customer_call_id: call?,
                target: ConsultTarget { device: DeviceType::Agent, address: "102".into() },
            },
            Ask::CancelConsult => Intent::CancelConsult { customer_call_id: customer?, leg_call_id: leg },
            Ask::CompleteConsult => Intent::CompleteConsult { customer_call_id: customer? },
            Ask::Conference => Intent::Conference { customer_call_id: customer? },
            Ask::CallOut => Intent::CallOut { number: "013800000000".into() },
            Ask::TransferBlind => transfer(0)?,
            Ask::TransferSuccess => transfer(2)?,
            Ask::Ready => Intent::Ready,
            Ask::Busy => Intent::Busy { reason: Some(200) },
            Ask::EnterWrapUp => Intent::EnterWrapUp,
            Ask::LeaveWrapUp => Intent::LeaveWrapUp,
            Ask::SignOut => Intent::SignOut,
        })
    }

    /// An intent for the j-th action the state allows now (sign-out and breaks aside), about
    /// a call in the phase it fits.
    fn act(&self, j: usize, k: usize) -> Option<Intent> {
        use agentbar::core::actions::Action;
        let s = &self.session;
        let actions: Vec<Action> = allowed_actions(s)
            .iter()
            .filter(|a| !matches!(a, Action::SignOut | Action::SignIn | Action::Rest | Action::TimedRest))
            .collect();
        let action = *actions.get(j % actions.len().max(1))?;
        let pick = |calls: Vec<&agentbar::core::Call>| {
            (!calls.is_empty()).then(|| calls[k % calls.len()].id.clone())
        };
        let ringing = s.ringing().map(|c| c.id.clone());
        let active = s.active().map(|c| c.id.clone());
        let held = pick(s.held().collect());
        let any = pick(s.calls.iter().filter(|c| c.phase != CallPhase::Ringing).collect());
        let (ask, call) = match action {
            Action::Answer => (Ask::Answer, ringing),
            Action::Reject if k.is_multiple_of(2) => (Ask::RejectRequeue, ringing),
            Action::Reject => (Ask::RejectRelease, ringing),
            Action::HangUp if k.is_multiple_of(3) => (Ask::DropCall, any),
            Action::HangUp => (Ask::HangUp, active.or(held)),
            Action::Hold => (Ask::Hold, active),
            Action::Retrieve => (Ask::Retrieve, held),
            Action::ConnectHeld => (Ask::ConnectHeld, held),
            Action::Mute => (Ask::Mute, active),
            Action::Unmute => (Ask::Unmute, active),
            Action::Dtmf => (Ask::Dtmf, active),
            Action::Transfer if k.is_multiple_of(2) => (Ask::TransferBlind, active),
            Action::Transfer => (Ask::TransferSuccess, active),
            Action::Consult => (Ask::Consult, active),
            Action::CancelConsult => (Ask::CancelConsult, None),
            Action::CompleteConsult => (Ask::CompleteConsult, None),
            Action::Conference => (Ask::Conference, None),
            Action::CallOut => (Ask::CallOut, None),
            Action::Ready => (Ask::Ready, None),
            Action::Busy => (Ask::Busy, None),
            Action::EnterWrapUp => (Ask::EnterWrapUp, None),
            Action::LeaveWrapUp => (Ask::LeaveWrapUp, None),
            _ => return None,
        };
        // Point `intent` at the chosen call: it takes the k-th call on screen.
        let k = match call {
            Some(id) => s.calls.iter().position(|c| c.id == id)?,
            None => 0,
        };
        self.intent(ask, k)
    }

    /// The gateway's calls of the agent, with the phase the toolbar should show.
    fn gateway_calls(&mut self) -> (BTreeSet<(String, &'static str)>, Value) {
        let state = self.gateway_state();
        let agent = state["agents"].as_array().and_then(|a| a.iter().find(|a| a["workno"] == AGENT)).cloned();
        let agent = agent.unwrap_or(Value::Null);
        let call_state = |id: &str| -> String {
            state["calls"]
                .as_array()
                .and_then(|calls| calls.iter().find(|c| c["id"] == id))
                .map(|c| c["state"]["state"].as_str().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        let mut out = BTreeSet::new();
        if let Some(id) = agent["ringing"].as_str() {
            out.insert((id.to_string(), "ringing"));
        }
        for key in ["current", "consult"] {
            if let Some(id) = agent[key].as_str() {
                let phase = if call_state(id) == "dialing" { "dialing" } else { "talking" };
                out.insert((id.to_string(), phase));
            }
        }
        for id in agent["held"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            out.insert((id.to_string(), "held"));
        }
        (out, agent)
    }

    fn toolbar_calls(&self) -> BTreeSet<(String, &'static str)> {
        self.session
            .calls
            .iter()
            .map(|c| {
                let phase = match c.phase {
                    CallPhase::Ringing => "ringing",
                    CallPhase::Dialing { .. } => "dialing",
                    CallPhase::Talking => "talking",
                    CallPhase::Held => "held",
                };
                (c.id.clone(), phase)
            })
            .collect()
    }

    /// Ids the gateway has queued events about for the agent that the toolbar has not polled.
    fn undelivered_mentions(&mut self) -> String {
        let (_, text) = self.http(Method::GET, &format!("/sim/events?agent={AGENT}"), None, false);
        let events: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        events
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["releasedAt"].is_null())
            .map(|e| e["content"].to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

struct Convergence;

impl StateMachineTest for Convergence {
    type SystemUnderTest = Rig;
    type Reference = Steps;

    fn init_test(_: &Steps) -> Rig {
        CASES.fetch_add(1, Ordering::Relaxed);
        Rig::new()
    }

    fn apply(mut rig: Rig, _: &Steps, transition: Transition) -> Rig {
        STEPS.fetch_add(1, Ordering::Relaxed);
        let before: BTreeSet<String> = rig.session.calls.iter().map(|c| c.id.clone()).collect();
        match transition {
            Transition::Offer => {
                rig.control("offer", json!({"agent": AGENT, "caller": "13800000000", "called": "4001"}));
            }
            Transition::CustomerHangsUp(k) => {
                let (calls, _) = rig.gateway_calls();
                if let Some((id, _)) = calls.iter().nth(k % calls.len().max(1)).cloned() {
                    rig.control("customer-hangup", json!({"callid": id}));
                }
            }
            Transition::FarAnswers => {
                rig.control("far-answer", json!({}));
            }
            Transition::FarFails => {
                rig.control("far-fail", json!({}));
            }
            Transition::Ask(ask, k, twice) => {
                if let Some(intent) = rig.intent(ask, k) {
                    rig.ask(intent.clone());
                    if twice {
                        rig.ask(intent);
                    }
                }
            }
            Transition::Act(j, k, twice) => {
                if let Some(intent) = rig.act(j, k) {
                    rig.ask(intent.clone());
                    if twice {
                        rig.ask(intent);
                    }
                }
            }
            Transition::Deliver(k) => rig.deliver(k),
            Transition::Poll => {
                rig.poll();
            }
            Transition::RepeatEvent => {
                if let Some(raw) = rig.last_event.clone().filter(|_| rig.polling) {
                    rig.event(raw);
                }
            }
            Transition::PollFails => {
                if rig.polling {
                    rig.failing += 1;
                    let attempt = rig.failing;
                    rig.apply(Input::PollFailing { attempt });
                }
            }
        }
        // Invariant 2: a call dropped from the view is gone at the gateway, or the gateway has
        // already queued news of it.
        let after: BTreeSet<String> = rig.session.calls.iter().map(|c| c.id.clone()).collect();
        let dropped: Vec<String> = before.difference(&after).cloned().collect();
        if !dropped.is_empty() && rig.session.agent.is_signed_in() {
            let (gateway, _) = rig.gateway_calls();
            let queued = rig.undelivered_mentions();
            for id in dropped {
                let still_there = gateway.iter().any(|(g, _)| *g == id);
                assert!(
                    !still_there || queued.contains(&id),
                    "call {id} left the screen while the gateway still has it ({gateway:?}) and says nothing more about it"
                );
            }
        }
        rig
    }

    fn check_invariants(rig: &Rig, _: &Steps) {
        CHECKS.fetch_add(1, Ordering::Relaxed);
        assert!(rig.forbidden.is_empty(), "requests the state forbade: {:?}", rig.forbidden);
    }

    fn teardown(mut rig: Rig, _: Steps) {
        // Quiescence: every answer and event delivered, then one reconcile.
        rig.drain_events();
        if !rig.session.agent.is_signed_in() {
            let (_, agent) = rig.gateway_calls();
            assert_eq!(agent["signedIn"], json!(false), "signed out on screen, signed in at the gateway");
            return;
        }
        rig.read_resync();
        rig.drain_events();
        let (gateway, agent) = rig.gateway_calls();
        assert_eq!(rig.toolbar_calls(), gateway, "calls after quiescence; toolbar {:#?}", rig.session.calls);
        let base = agent["baseState"]["state"].as_str().unwrap_or("");
        let shown = match rig.session.agent {
            AgentState::Idle => "idle",
            AgentState::Busy { .. } => "busy",
            AgentState::Rest { .. } => "rest",
            AgentState::WrapUp => "work",
            _ => "other",
        };
        assert_eq!(shown, base, "agent state after quiescence");
        assert!(rig.forbidden.is_empty(), "{:?}", rig.forbidden);
    }
}

#[test]
fn the_toolbar_converges_to_the_gateway_whatever_the_interleaving() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    // A fresh seed each run (printed), or CONVERGENCE_SEED to replay one.
    let seed = std::env::var("CONVERGENCE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    println!("model-based convergence: seed {seed} (CONVERGENCE_SEED={seed} replays it)");
    let config = Config {
        cases,
        max_shrink_iters: 2_000,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    // Shrinking replays failing cases many times; the final report carries the message.
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = proptest::test_runner::TestRunner::new(config.clone());
    let strategy = Steps::sequential_strategy(1..=80usize);
    let result = runner.run(&strategy, |(state, transitions, seen)| {
        Convergence::test_sequential(config.clone(), state, transitions, seen);
        Ok(())
    });
    let (cases, steps, checks) =
        (CASES.load(Ordering::Relaxed), STEPS.load(Ordering::Relaxed), CHECKS.load(Ordering::Relaxed));
    println!(
        "model-based convergence: {cases} cases (shrinking included), {steps} transitions, {checks} invariant checks \
         (3 invariants: no forbidden request; no call dropped the gateway still has; calls and state equal after quiescence)"
    );
    let _ = std::panic::take_hook();
    if let Ok(sent) = SENT.lock() {
        let list: Vec<String> = sent.iter().map(|(a, n)| format!("{a} {n}")).collect();
        println!("requests sent, by action: {}", list.join(", "));
    }
    if let Err(e) = result {
        panic!("seed {seed}: {e}");
    }
}
