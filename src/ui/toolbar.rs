//! The toolbar controller: owns the session signal, runs `core::step` on every input and
//! carries out its effects (requests, the poll loop, resyncs). Components read slices of the
//! session through it and send intents to it; they never talk to the network or each other.

use crate::config::{Config, Deployment, Vendor};
use crate::core::poll::{Next, PollOutcome, PollPolicy, PollTracker};
use crate::core::reads::{Plan, Read, ReadPlanner};
use crate::core::step::{step, Effect, Input, Intent};
use crate::core::{ErrorKind, GatewayError, Refusal, Session};
use crate::i18n::Lang;
use crate::i18n::Msg;
use crate::net::ccc::CccClient;
use crate::net::{warn, GatewayClient, NetError};
use crate::protocol::huawei::{
    decode_hold_list, decode_list, poll_events, AgentEntry, AgentStatus, CallRecord, SkillQueue,
};
use crate::adapter::aliyun::CccState;
use crate::adapter::huawei::{self as hw, Decoded};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Where a signed-in session is remembered, so a reload (or another tab) carries on with it.
/// The Guid is a bearer credential: the CSP in docs/DEPLOYMENT.md keeps scripts out.
const SESSION_KEY: &str = "agentbar.session";

/// What survives a reload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct StoredSession {
    pub vendor: String,
    pub agent_id: String,
    pub guid: Option<String>,
    pub auto_enter_idle: bool,
    #[serde(default)]
    pub device_id: String,
    /// What the toolbar showed when the page went away: shown again at once after a reload,
    /// then corrected by the gateway's queries.
    #[serde(default)]
    pub session: Option<Session>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub(super) fn load_session() -> Option<StoredSession> {
    serde_json::from_str(&storage()?.get_item(SESSION_KEY).ok()??).ok()
}

pub(super) fn save_session(stored: &StoredSession) {
    if let (Some(st), Ok(text)) = (storage(), serde_json::to_string(stored)) {
        let _ = st.set_item(SESSION_KEY, &text);
    }
}

pub(super) fn forget_session() {
    if let Some(st) = storage() {
        let _ = st.remove_item(SESSION_KEY);
    }
}

/// The browser's wall clock in milliseconds.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

pub(super) struct PollHandle {
    pub(super) generation: u64,
    pub(super) abort: Option<web_sys::AbortController>,
}

/// A transfer or consult target: what to send as the address, its name, and (agents) state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub address: String,
    pub name: String,
    pub state: Option<Msg>,
}

/// Transfer and consult targets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    pub skills: Vec<DirectoryEntry>,
    pub agents: Vec<DirectoryEntry>,
}

/// The gateway agent-state code in plain words, for the directory.
fn agent_state_msg(code: Option<i64>) -> Msg {
    match code {
        Some(4) | Some(6) => Msg::AgentIdle,
        Some(3) | Some(8) | Some(5) => Msg::AgentBusy,
        Some(7) => Msg::AgentTalking,
        Some(2) | Some(0) | None => Msg::AgentOffline,
        _ => Msg::AgentOther,
    }
}

/// Shared through context. `Copy`: every field is an arena handle.
#[derive(Clone, Copy)]
pub struct Toolbar {
    pub session: RwSignal<Session>,
    pub lang: RwSignal<Lang>,
    /// The host page's accent, density and light/dark choice (embedding `hello`).
    pub theme: RwSignal<crate::config::Theme>,
    /// Ticks once a second; every timer on screen derives from it (one interval in all).
    pub clock: RwSignal<u64>,
    pub config: StoredValue<Config>,
    /// What the deployment allows (`agentbar.json`).
    pub deployment: StoredValue<Deployment>,
    pub vendor: Vendor,
    pub(super) client: StoredValue<GatewayClient, LocalStorage>,
    pub(super) ccc_client: StoredValue<CccClient, LocalStorage>,
    pub(super) ccc: StoredValue<CccState, LocalStorage>,
    pub(super) poll: StoredValue<PollHandle, LocalStorage>,
    /// The Guid last written to storage.
    saved_guid: StoredValue<Option<String>>,
    /// Called with every request outcome (the embedding API replies to host commands with it).
    pub(super) done_listeners: StoredValue<Vec<DoneListener>, LocalStorage>,
    /// Numbers each `send`, so an outcome reaches whoever asked (see `DoneListener`).
    tickets: StoredValue<Ticket>,
    /// When the gateway is read (state, hold list, directory): coalesced, within its budget.
    pub(super) reads: StoredValue<ReadPlanner, LocalStorage>,
    /// A pump of the reads is scheduled for later (the budget's window was full).
    reads_waiting: StoredValue<bool>,
    /// The last directory read and when it came.
    directory: StoredValue<Option<(u64, Directory)>, LocalStorage>,
    /// Resolved when a directory read ends (the dialogs that wait for it).
    directory_waiters: StoredValue<Vec<js_sys::Function>, LocalStorage>,
    /// Calls whose attached data is still to be read.
    call_data_wanted: StoredValue<Vec<String>>,
    /// Set while another tab holds the phone: intents go there instead of to the gateway.
    pub(super) forward: StoredValue<Option<Forward>, LocalStorage>,
    /// Whether this tab holds the phone (the gateway session and the poll).
    pub phone_here: RwSignal<bool>,
    pub(super) take_phone: StoredValue<Option<TakePhone>, LocalStorage>,
    /// The last keyboard shortcut pressed, with a counter so the same one fires again.
    pub shortcut: RwSignal<Option<(crate::keys::Shortcut, u64)>>,
    /// Whether the ringtone can play (the browser allows sound only after a click).
    pub sound_on: RwSignal<bool>,
    /// `Notification.permission`: granted, denied or default.
    pub notify_permission: RwSignal<String>,
    /// Set when the tab was frozen or throttled for this many seconds while signed in.
    pub stalled: RwSignal<Option<u64>>,
}

/// Where a tab without the phone sends its agent's intents; the outcome comes back under the
/// same ticket (`Toolbar::tell`).
pub type Forward = std::rc::Rc<dyn Fn(Ticket, Intent)>;

/// "Use the phone here".
pub type TakePhone = std::rc::Rc<dyn Fn()>;

/// Numbers one `send`.
pub type Ticket = u64;

/// What became of an intent.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// Sent; the gateway answered (or the network failed).
    Done(&'a Result<serde_json::Value, GatewayError>),
    /// Not sent (see `core::gate`).
    Refused(Refusal),
    /// Taken; it goes out after the request before it (DTMF).
    Accepted,
}

/// A callback for the outcome of every intent, with the ticket `send` returned for it.
pub type DoneListener = std::rc::Rc<dyn Fn(Ticket, &Intent, &Outcome)>;

/// How long a directory read is reused (agents' states change; the list does not, often).
const DIRECTORY_FRESH_MS: u64 = 15_000;

impl Toolbar {
    pub fn new(config: Config, deployment: Deployment, lang: Lang) -> Toolbar {
        let vendor = config.vendor;
        let mut session = Session::default();
        if vendor == Vendor::Aliyun {
            session.supported = crate::adapter::aliyun::supported();
        }
        // A link that names a gateway the deployment does not list: the password goes to the
        // deployment's gateway instead, and the agent is told.
        if let Some(refused) = &config.refused_gateway {
            let mut notice = crate::core::model::Notice::error(Msg::GatewayNotAllowed);
            notice.detail = Some(refused.clone());
            session.notify(notice);
        }
        Toolbar {
            session: RwSignal::new(session),
            vendor,
            ccc_client: StoredValue::new_local(CccClient::new(&config.gateway)),
            ccc: StoredValue::new_local(CccState::default()),
            lang: RwSignal::new(lang),
            theme: RwSignal::new(Default::default()),
            clock: RwSignal::new(now_ms()),
            client: StoredValue::new_local(GatewayClient::new(&config.gateway)),
            config: StoredValue::new(config),
            deployment: StoredValue::new(deployment),
            poll: StoredValue::new_local(PollHandle { generation: 0, abort: None }),
            saved_guid: StoredValue::new(None),
            done_listeners: StoredValue::new_local(Vec::new()),
            tickets: StoredValue::new(0),
            reads: StoredValue::new_local(ReadPlanner::default()),
            reads_waiting: StoredValue::new(false),
            directory: StoredValue::new_local(None),
            directory_waiters: StoredValue::new_local(Vec::new()),
            call_data_wanted: StoredValue::new(Vec::new()),
            forward: StoredValue::new_local(None),
            phone_here: RwSignal::new(true),
            take_phone: StoredValue::new_local(None),
            shortcut: RwSignal::new(None),
            sound_on: RwSignal::new(false),
            notify_permission: RwSignal::new(String::from("default")),
            stalled: RwSignal::new(None),
        }
    }

    /// Feeds one input to the state machine and carries out what it asks for.
    pub fn apply(&self, input: Input) {
        let _ = self.apply_for(input, None);
    }

    /// `apply`, where the effects belong to the intent numbered `ticket`; says whether the
    /// gate refused it.
    fn apply_for(&self, input: Input, ticket: Option<Ticket>) -> Option<Refusal> {
        let mut next = self.session.try_get_untracked()?;
        let effects = step(&mut next, input, now_ms());
        // Only notify views when something changed (polls answer every few seconds).
        if self.session.with_untracked(|s| *s != next) {
            self.session.set(next);
        }
        let refused = effects.iter().find_map(|e| match e {
            Effect::Refused(_, why) => Some(*why),
            _ => None,
        });
        for effect in effects {
            self.run(effect, ticket);
        }
        refused
    }

    fn next_ticket(&self) -> Ticket {
        self.tickets
            .try_update_value(|t| {
                *t += 1;
                *t
            })
            .unwrap_or(0)
    }

    pub(super) fn tell(&self, ticket: Ticket, intent: &Intent, outcome: &Outcome) {
        let listeners = self.done_listeners.try_get_value().unwrap_or_default();
        for listener in listeners {
            listener(ticket, intent, outcome);
        }
    }

    /// A request of `ticket` was answered: the state machine learns it, then whoever asked.
    pub(super) fn finish(
        &self,
        ticket: Ticket,
        intent: Intent,
        result: Result<serde_json::Value, GatewayError>,
    ) {
        let told = intent.clone();
        self.apply(Input::Done { intent, result: result.clone() });
        self.tell(ticket, &told, &Outcome::Done(&result));
    }

    /// Re-reads state, calls and hold list (after the tab was frozen), as soon as the read
    /// budget allows.
    pub fn resync_now(&self) {
        self.want_read(Read::Resync);
    }

    /// "Use the phone here": this tab takes the gateway session from the tab that holds it.
    pub fn use_phone_here(&self) {
        if let Some(take) = self.take_phone.try_get_value().flatten() {
            take();
        }
    }

    /// Registers a callback for every request outcome.
    pub fn on_done(&self, listener: DoneListener) {
        self.done_listeners.update_value(|l| l.push(listener));
    }

    /// Asks for what the agent (or a host page) wants. It passes the state machine's gate (a
    /// repeat of a request on its way is dropped, a request the state does not allow is
    /// refused at once); its outcome reaches the `on_done` listeners with the ticket returned.
    pub fn ask(&self, intent: Intent) -> Result<Ticket, Refusal> {
        let ticket = self.next_ticket();
        self.ask_as(ticket, intent).map(|()| ticket)
    }

    /// A ticket for an `ask_as` to come (so a listener can know it before the outcome).
    pub fn reserve_ticket(&self) -> Ticket {
        self.next_ticket()
    }

    /// `ask` with a ticket from `reserve_ticket`.
    pub fn ask_as(&self, ticket: Ticket, intent: Intent) -> Result<(), Refusal> {
        // Another tab holds the phone: it carries out what this tab's agent asks.
        if let Some(forward) = self.forward.try_get_value().flatten() {
            forward(ticket, intent);
            return Ok(());
        }
        self.apply_for(Input::Intent(intent), Some(ticket)).map_or(Ok(()), Err)
    }

    /// `ask`, for views: a refused repeat needs no answer (the button shows the request on its
    /// way).
    pub fn send(&self, intent: Intent) {
        let _ = self.ask(intent);
    }

    /// Carries out an intent that passed the gate.
    fn execute(&self, intent: Intent, ticket: Ticket) {
        if self.vendor == Vendor::Aliyun {
            return self.ccc_send(intent, ticket);
        }
        let agent_id = match &intent {
            Intent::SignIn { agent_id, .. } => agent_id.clone(),
            _ => self.session.with_untracked(|s| s.agent_id.clone()),
        };
        let plan = hw::plan(&intent, &agent_id);
        let Some(client) = self.client.try_get_value() else { return };
        if matches!(intent, Intent::SignIn { .. }) {
            self.stop_polling();
            client.forget_guid();
        }
        let this = *self;
        spawn_local(async move {
            let signing_in = match &intent {
                Intent::SignIn { agent_id, auto_enter_idle, .. } => {
                    Some((agent_id.clone(), *auto_enter_idle))
                }
                _ => None,
            };
            let mut result = Ok(serde_json::Value::Null);
            for step in plan {
                result = client.call(&step.request).await;
                match &result {
                    Err(e) if step.tolerate_no_call && e.kind == ErrorKind::NoCall => {}
                    Err(_) => break,
                    Ok(_) => {}
                }
            }
            if let (Some((agent_id, auto_enter_idle)), Ok(_)) = (signing_in, &result) {
                let stored = StoredSession {
                    vendor: "huawei".into(),
                    agent_id,
                    guid: client.guid(),
                    auto_enter_idle,
                    device_id: String::new(),
                    session: None,
                };
                save_session(&stored);
            }
            this.finish(ticket, intent, result);
        });
    }

    /// Keeps the remembered Guid current (it rotates on poll answers).
    fn persist_guid(&self, client: &GatewayClient) {
        // Called after every poll: compare in memory, touch storage only when the Guid rotated.
        let guid = client.guid();
        if self.saved_guid.try_with_value(|g| *g == guid).unwrap_or(true) {
            return;
        }
        self.saved_guid.set_value(guid);
        if let Some(mut stored) = load_session() {
            if stored.guid != client.guid() {
                stored.guid = client.guid();
                save_session(&stored);
            }
        }
    }

    /// Carries on with a session that survived a reload: `updateGuid` for the CC-Gateway, the
    /// bridge's session cookie for CCC. Then the state is re-read from the gateway's queries.
    /// Keeps the last picture of the session when the page goes away (for `restore`).
    pub fn remember_on_hide(&self) {
        let this = *self;
        let on_hide = window_event_listener(leptos::ev::pagehide, move |_| {
            if let (Some(mut stored), Some(session)) = (load_session(), this.session.try_get_untracked()) {
                if session.agent.is_signed_in() {
                    stored.session = Some(session);
                    save_session(&stored);
                }
            }
        });
        on_cleanup(move || on_hide.remove());
    }

    pub fn recover(&self) {
        let Some(stored) = load_session() else { return };
        let this = *self;
        spawn_local(async move {
            let recovered = match this.vendor {
                Vendor::Huawei if stored.vendor == "huawei" => {
                    let Some(client) = this.client.try_get_value() else { return };
                    if let Some(guid) = stored.guid.clone() {
                        client.set_guid(guid);
                    }
                    match client.call(&hw::update_guid_request(&stored.agent_id)).await {
                        Ok(result) => {
                            // The new Guid comes in Set-GUID and in result.guid.
                            if let Some(guid) =
                                result.get("guid").and_then(|g| g.as_str()).filter(|g| !g.is_empty())
                            {
                                client.set_guid(guid.to_string());
                            }
                            this.persist_guid(&client);
                            true
                        }
                        Err(e) => {
                            warn(&format!(
                                "agentbar: the session did not survive the reload: {} {}",
                                e.code, e.message
                            ));
                            false
                        }
                    }
                }
                Vendor::Aliyun if stored.vendor == "aliyun" => this.ccc_recover(&stored).await,
                _ => false,
            };
            if recovered {
                this.apply(Input::Recovered {
                    agent_id: stored.agent_id,
                    auto_enter_idle: stored.auto_enter_idle,
                });
            } else {
                forget_session();
            }
        });
    }

    /// Shows the session as it was before a reload, until the gateway confirms or corrects it.
    /// Runs before anything subscribes to the session, so nothing reports it as new.
    pub fn restore(&self) {
        let vendor = match self.vendor {
            Vendor::Huawei => "huawei",
            Vendor::Aliyun => "aliyun",
        };
        if let Some(mut session) = load_session().filter(|s| s.vendor == vendor).and_then(|s| s.session) {
            session.connection = crate::core::model::Connection::Offline;
            session.supported = self.session.with_untracked(|s| s.supported);
            self.session.set(session);
        }
    }

    fn run(&self, effect: Effect, ticket: Option<Ticket>) {
        match effect {
            Effect::Request(intent) => self.execute(intent, ticket.unwrap_or_else(|| self.next_ticket())),
            Effect::Refused(intent, why) => {
                self.tell(ticket.unwrap_or_default(), &intent, &Outcome::Refused(why));
            }
            Effect::Accepted(intent) => self.tell(ticket.unwrap_or_default(), &intent, &Outcome::Accepted),
            Effect::StartPolling => self.start_polling(),
            Effect::StopPolling => {
                // Signed out or the session is gone: nothing to carry on with after a reload.
                forget_session();
                self.stop_polling()
            }
            Effect::Resync => self.want_read(Read::Resync),
            Effect::RefreshHoldList => self.want_read(Read::HoldList),
            Effect::Send(intent) => {
                self.send(intent);
            }
            Effect::CallEnded { call_id } if self.vendor == Vendor::Aliyun => self.ccc_fetch_detail(call_id),
            // The CC-Gateway's details come from the journal, already in the session.
            Effect::CallEnded { .. } => {}
            Effect::FetchCallData { call_id } if self.vendor == Vendor::Huawei => {
                self.call_data_wanted.update_value(|w| w.push(call_id));
                self.want_read(Read::CallData);
            }
            Effect::FetchCallData { .. } => {}
        }
    }

    pub fn stop_polling(&self) {
        self.poll.try_update_value(|p| {
            p.generation += 1;
            if let Some(abort) = p.abort.take() {
                abort.abort();
            }
        });
    }

    fn start_polling(&self) {
        self.stop_polling();
        if self.vendor == Vendor::Aliyun {
            return self.ccc_start_polling();
        }
        let Ok(abort) = web_sys::AbortController::new() else {
            warn("agentbar: no AbortController; cannot poll");
            return;
        };
        let signal = abort.signal();
        let Some(generation) = self.poll.try_update_value(|p| {
            p.abort = Some(abort);
            p.generation
        }) else {
            return;
        };
        let this = *self;
        spawn_local(async move { this.poll_loop(generation, signal).await });
    }

    pub(super) fn is_current(&self, generation: u64) -> bool {
        self.poll.try_with_value(|p| p.generation == generation).unwrap_or(false)
    }

    /// Exactly one poll is in flight: the loop awaits each answer before the next request,
    /// and a newer loop (or sign-out) bumps the generation and aborts this one's fetch.
    async fn poll_loop(self, generation: u64, signal: web_sys::AbortSignal) {
        let policy = PollPolicy::default();
        let mut tracker = PollTracker::default();
        loop {
            let Some(client) = self.client.try_get_value() else {
                return;
            };
            let agent_id = self.session.with_untracked(|s| s.agent_id.clone());
            let answer = client.send(&hw::poll_request(&agent_id), Some(&signal)).await;
            if !self.is_current(generation) {
                return;
            }
            let outcome = match answer {
                Err(NetError::Aborted) => return,
                Err(NetError::Transport(m)) => {
                    warn(&format!("agentbar: poll failed: {m}"));
                    PollOutcome::Transport(m)
                }
                Ok(envelope) if envelope.is_ok() => {
                    let polled = poll_events(&envelope);
                    for skipped in &polled.skipped {
                        warn(&format!("agentbar: skipped {skipped}"));
                    }
                    let any = !polled.events.is_empty();
                    self.persist_guid(&client);
                    // The stream is alive: clear "reconnecting" before applying the events.
                    self.apply(Input::PollAlive);
                    for raw in polled.events {
                        match hw::decode_event(&raw) {
                            Decoded::Event(e) => self.apply(Input::Event(e)),
                            Decoded::Ignored => {}
                            Decoded::Unknown(t) => warn(&format!("agentbar: skipped unknown event {t}")),
                        }
                        if !self.is_current(generation) {
                            return;
                        }
                    }
                    if any {
                        PollOutcome::Events
                    } else {
                        PollOutcome::Empty
                    }
                }
                Ok(envelope) => PollOutcome::Gateway(hw::error_of(&envelope)),
            };
            match tracker.next(&policy, outcome, js_sys::Math::random()) {
                Next::PollAfter { delay_ms, failing } => {
                    if failing > 0 {
                        self.apply(Input::PollFailing { attempt: failing });
                    }
                    if delay_ms > 0 {
                        gloo_timers::future::TimeoutFuture::new(delay_ms.min(u32::MAX as u64) as u32).await;
                    }
                }
                Next::Stop(err) => {
                    self.apply(Input::SessionLost(err));
                    return;
                }
            }
            if !self.is_current(generation) {
                return;
            }
        }
    }

    /// Asks for a read of the gateway; reads run one at a time within the budget.
    pub fn want_read(&self, read: Read) {
        // CCC: every PollUserStatus answer is a full picture, and held legs come with it.
        if self.vendor == Vendor::Aliyun && read != Read::Directory {
            return;
        }
        self.reads.update_value(|r| r.want(read));
        self.pump_reads();
    }

    /// Starts the next wanted read if the budget has room, or comes back when it will.
    fn pump_reads(&self) {
        let Some(plan) = self.reads.try_update_value(|r| r.next(now_ms())) else { return };
        match plan {
            Plan::Idle => {}
            Plan::WaitUntil(at) => {
                if self.reads_waiting.try_get_value() == Some(false) {
                    self.reads_waiting.set_value(true);
                    let this = *self;
                    let wait = at.saturating_sub(now_ms()).clamp(1, 60_000) as u32;
                    spawn_local(async move {
                        gloo_timers::future::TimeoutFuture::new(wait).await;
                        this.reads_waiting.set_value(false);
                        this.pump_reads();
                    });
                }
            }
            Plan::Start(read) => {
                let this = *self;
                spawn_local(async move {
                    match read {
                        Read::Resync => this.resync().await,
                        Read::HoldList => this.read_hold_list().await,
                        Read::Directory => this.read_directory().await,
                        Read::CallData => this.read_call_data().await,
                    }
                    this.reads.update_value(ReadPlanner::finished);
                    this.pump_reads();
                });
            }
        }
    }

    /// Counts one query request against the budget.
    fn spend_read(&self) {
        self.reads.update_value(|r| r.sent(now_ms()));
    }

    /// Re-reads state, current call and hold list (after an error or a reconnect). The answers
    /// carry the generation they were asked at, so events that come meanwhile win.
    async fn resync(self) {
        let Some(client) = self.client.try_get_value() else { return };
        let (agent_id, as_of) = self.session.with_untracked(|s| (s.agent_id.clone(), s.gen));
        self.spend_read();
        let status = match client.call(&hw::status_request(&agent_id)).await {
            Ok(v) => serde_json::from_value::<AgentStatus>(v).unwrap_or_default(),
            Err(e) if e.kind == ErrorKind::SessionLost => return self.apply(Input::SessionLost(e)),
            Err(e) => return warn(&format!("agentbar: resync failed: {} {}", e.code, e.message)),
        };
        self.spend_read();
        let current = client
            .call(&hw::callinfo_request(&agent_id))
            .await
            .ok()
            .and_then(|v| serde_json::from_value::<CallRecord>(v).ok())
            .filter(|c| !c.callid.is_empty())
            .map(|c| hw::call_summary(&c));
        let held = self.fetch_hold_list(&client, &agent_id).await;
        self.apply(Input::Resynced { as_of, state: hw::reported_state(status.agent_state), current, held });
    }

    /// The transfer and consult directory: skill queues and agents with their live state,
    /// reused for a few seconds (the CC-Gateway's query budget is small). Failures leave a list
    /// empty (the agent can still type an address).
    pub async fn load_directory(self) -> Directory {
        let fresh = |t: &Toolbar| {
            t.directory
                .try_with_value(|d| {
                    d.as_ref().filter(|(at, _)| now_ms() < at + DIRECTORY_FRESH_MS).map(|(_, d)| d.clone())
                })
                .flatten()
        };
        if let Some(dir) = fresh(&self) {
            return dir;
        }
        // Wait for the read the planner runs when there is room for it.
        let waiter =
            js_sys::Promise::new(&mut |resolve, _| self.directory_waiters.update_value(|w| w.push(resolve)));
        self.want_read(Read::Directory);
        let _ = wasm_bindgen_futures::JsFuture::from(waiter).await;
        self.directory.try_with_value(|d| d.as_ref().map(|(_, d)| d.clone())).flatten().unwrap_or_default()
    }

    async fn read_directory(self) {
        let dir = match self.vendor {
            Vendor::Aliyun => self.ccc_directory().await,
            Vendor::Huawei => self.huawei_directory().await,
        };
        self.directory.set_value(Some((now_ms(), dir)));
        for resolve in self.directory_waiters.try_update_value(std::mem::take).unwrap_or_default() {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    }

    async fn huawei_directory(self) -> Directory {
        let Some(client) = self.client.try_get_value() else { return Directory::default() };
        let agent_id = self.session.with_untracked(|s| s.agent_id.clone());
        self.spend_read();
        let skills = client
            .call(&hw::skills_request(&agent_id))
            .await
            .map(|v| decode_list::<SkillQueue>(&v))
            .unwrap_or_default()
            .into_iter()
            .map(|s| DirectoryEntry { address: s.id.to_string(), name: s.name, state: None })
            .collect();
        self.spend_read();
        let agents = client
            .call(&hw::agents_request(&agent_id))
            .await
            .map(|v| decode_list::<AgentEntry>(&v))
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.workno != agent_id)
            .map(|a| DirectoryEntry {
                state: Some(agent_state_msg(a.status)),
                address: a.workno,
                name: a.name,
            })
            .collect();
        Directory { skills, agents }
    }

    /// Reads the attached data of one call that rang without it (still ringing or on screen).
    async fn read_call_data(self) {
        let Some(call_id) =
            self.call_data_wanted.try_update_value(|w| (!w.is_empty()).then(|| w.remove(0))).flatten()
        else {
            return;
        };
        if self.call_data_wanted.with_value(|w| !w.is_empty()) {
            self.reads.update_value(|r| r.want(Read::CallData));
        }
        let Some(client) = self.client.try_get_value() else { return };
        let (agent_id, on_screen) =
            self.session.with_untracked(|s| (s.agent_id.clone(), s.call(&call_id).is_some()));
        if !on_screen {
            return;
        }
        self.spend_read();
        match client.call(&hw::appdata_request(&agent_id, &call_id)).await {
            Ok(v) => {
                let data = crate::protocol::lenient::value_string(&v);
                if !data.is_empty() {
                    let calldata = Some(data);
                    self.apply(Input::Event(crate::core::Event::CallInfo { call_id, skill: None, calldata }));
                }
            }
            Err(e) => warn(&format!("agentbar: call data of {call_id}: {} {}", e.code, e.message)),
        }
    }

    /// Re-reads the hold list (the panel opened, a call was held or retrieved).
    pub fn refresh_hold_list(&self) {
        self.want_read(Read::HoldList);
    }

    async fn read_hold_list(self) {
        let Some(client) = self.client.try_get_value() else { return };
        let (agent_id, as_of) = self.session.with_untracked(|s| (s.agent_id.clone(), s.gen));
        if let Some(held) = self.fetch_hold_list(&client, &agent_id).await {
            self.apply(Input::HoldList { as_of, held });
        }
    }

    async fn fetch_hold_list(
        &self,
        client: &GatewayClient,
        agent_id: &str,
    ) -> Option<Vec<crate::core::step::CallSummary>> {
        self.spend_read();
        match client.call(&hw::holdlist_request(agent_id)).await {
            Ok(v) => Some(decode_hold_list(&v).iter().map(hw::call_summary).collect()),
            Err(e) if e.kind == ErrorKind::NoHeldCall => Some(Vec::new()),
            Err(e) => {
                warn(&format!("agentbar: hold list failed: {} {}", e.code, e.message));
                None
            }
        }
    }
}

/// The toolbar of the surrounding component tree.
pub fn use_toolbar() -> Toolbar {
    expect_context::<Toolbar>()
}
