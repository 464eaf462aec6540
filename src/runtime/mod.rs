//! The runtime: the one layer that does I/O. It owns the session signal, runs `core::step` on
//! every input and carries out its effects: requests (`huawei`, `ccc`), the event source, the
//! reads (`reads`), storage (`storage`), the other tabs (`tabs`) and the host page (`embed`).
//! Views (`crate::ui`) only read slices of the session and send intents through it.

#[cfg(feature = "aliyun")]
mod bridge;
#[cfg(feature = "aliyun")]
mod ccc;
mod embed;
mod engine;
#[cfg(feature = "huawei")]
mod gateway;
#[cfg(feature = "huawei")]
mod huawei;
pub mod log;
mod reads;
mod relay;
pub mod storage;
mod tabs;
#[cfg(feature = "softphone")]
pub mod voice;

#[cfg(feature = "aliyun")]
use crate::adapter::aliyun::CccState;
use crate::config::{Config, Deployment, Vendor};
use crate::core::reads::{Read, ReadPlanner};
use crate::core::step::{step, Effect, Input, Intent};
use crate::core::{GatewayError, Refusal, Session};
use crate::i18n::Lang;
use crate::i18n::Msg;
#[cfg(feature = "aliyun")]
use bridge::CccClient;
pub use engine::Engine;
#[cfg(feature = "huawei")]
use gateway::GatewayClient;
use leptos::prelude::*;
use leptos::task::spawn_local;
use log::warn;
use storage::{forget_session, load_session};
#[cfg(feature = "aliyun")]
use storage::{save_session, StoredSession};

/// The browser's wall clock in milliseconds.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

pub(crate) struct PollHandle {
    pub(crate) generation: u64,
    pub(crate) abort: Option<web_sys::AbortController>,
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

/// What views read: the session, the language and look, the configuration. Provided as a
/// context of its own; `Copy` (arena handles).
#[derive(Clone, Copy)]
pub struct View {
    pub session: RwSignal<Session>,
    pub lang: RwSignal<Lang>,
    /// The host page's accent, density and light/dark choice (embedding `hello`).
    pub theme: RwSignal<crate::config::Theme>,
    /// Ticks once a second: the state bar's timer and the frozen-tab watchdog.
    pub clock: RwSignal<u64>,
    pub config: StoredValue<Config>,
    pub vendor: Vendor,
    /// The last keyboard shortcut pressed, with a counter so the same one fires again.
    pub shortcut: RwSignal<Option<(crate::keys::Shortcut, u64)>>,
}

/// Whether a ring can reach the agent (the ring assurance and the readiness check).
#[derive(Clone, Copy)]
pub struct Ring {
    /// Whether the ringtone can play (the browser allows sound only after a click).
    pub sound_on: RwSignal<bool>,
    /// `Notification.permission`: granted, denied or default.
    pub notify_permission: RwSignal<String>,
    /// Set when the tab was frozen or throttled for this many seconds while signed in.
    pub stalled: RwSignal<Option<u64>>,
    /// Who calls on the browser phone, while it rings (the ring assurance covers it too).
    pub voice_ringing: RwSignal<Option<String>>,
    /// The ringer's output device (`setSinkId`); "" is the system default.
    pub ringer_sink: RwSignal<String>,
    /// The ring's volume in percent, as the agent set it.
    pub volume: RwSignal<u8>,
    /// The Web Audio context the ring plays on, once a click has allowed sound.
    pub audio: StoredValue<Option<web_sys::AudioContext>, LocalStorage>,
}

/// Whether this tab holds the phone (the gateway session and the event source).
#[derive(Clone, Copy)]
pub struct Phone {
    pub here: RwSignal<bool>,
}

/// The runtime's own state: clients, the event source, reads, listeners, the tab link.
#[derive(Clone, Copy)]
pub(crate) struct Io {
    pub(crate) deployment: StoredValue<Deployment>,
    #[cfg(feature = "huawei")]
    pub(crate) client: StoredValue<GatewayClient, LocalStorage>,
    #[cfg(feature = "aliyun")]
    pub(crate) ccc_client: StoredValue<CccClient, LocalStorage>,
    #[cfg(feature = "aliyun")]
    pub(crate) ccc: StoredValue<CccState, LocalStorage>,
    /// CCC on the relay: the PollUserStatus catch-up reads, coalesced.
    #[cfg(feature = "aliyun")]
    pub(crate) ccc_catch_up: StoredValue<crate::adapter::aliyun_push::CatchUp>,
    pub(crate) poll: StoredValue<PollHandle, LocalStorage>,
    /// The Guid last written to storage.
    #[cfg(feature = "huawei")]
    pub(crate) saved_guid: StoredValue<Option<String>>,
    /// Called with every request outcome (the embedding API replies to host commands with it).
    pub(crate) done_listeners: StoredValue<Vec<DoneListener>, LocalStorage>,
    /// Numbers each `send`, so an outcome reaches whoever asked (see `DoneListener`).
    pub(crate) tickets: StoredValue<Ticket>,
    /// When the gateway is read (state, hold list, directory): coalesced, within its budget.
    pub(crate) reads: StoredValue<ReadPlanner, LocalStorage>,
    /// A pump of the reads is scheduled for later (the budget's window was full).
    pub(crate) reads_waiting: StoredValue<bool>,
    /// The last directory read and when it came.
    pub(crate) directory: StoredValue<Option<(u64, Directory)>, LocalStorage>,
    /// Resolved when a directory read ends (the dialogs that wait for it).
    pub(crate) directory_waiters: StoredValue<Vec<js_sys::Function>, LocalStorage>,
    /// Calls whose attached data is still to be read.
    pub(crate) call_data_wanted: StoredValue<Vec<String>>,
    /// Set while another tab holds the phone: intents go there instead of to the gateway.
    pub(crate) forward: StoredValue<Option<Forward>, LocalStorage>,
    pub(crate) take_phone: StoredValue<Option<TakePhone>, LocalStorage>,
    /// Whether the engine's first load starts the I/O (see `engine`).
    pub(crate) start_io_on_load: StoredValue<bool>,
    /// Until the engine runs: the channel on which another tab's word fetches it.
    pub(crate) tab_waker: StoredValue<Option<engine::TabWaker>, LocalStorage>,
    /// While this tab does not yet know whether it holds the phone: what waits for that.
    pub(crate) phone_waiters: StoredValue<Option<Vec<tabs::Waiter>>, LocalStorage>,
    /// The sign-in form asked for the engine already (`Commands::prepare`).
    pub(crate) prepared: StoredValue<bool>,
}

/// The runtime: views get its parts as small contexts (`View`, `Ring`, `Phone`, `Commands`).
#[derive(Clone, Copy)]
pub struct Toolbar {
    pub view: View,
    pub ring: Ring,
    pub phone: Phone,
    pub(crate) io: Io,
    /// The engine once it is loaded (see `engine`).
    engine: RwSignal<Option<&'static Engine>>,
    /// The browser phone, when the deployment configures one.
    #[cfg(feature = "softphone")]
    pub voice: Option<voice::Voice>,
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

/// Percent; the ring starts at this until the agent moves the slider.
const DEFAULT_RING_VOLUME: u8 = 60;

/// How long a directory read is reused (agents' states change; the list does not, often).
const DIRECTORY_FRESH_MS: u64 = 15_000;

impl Toolbar {
    pub fn new(config: Config, deployment: Deployment, lang: Lang) -> Toolbar {
        let vendor = config.vendor;
        let mut session = Session::default();
        #[cfg(feature = "aliyun")]
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
        let ring = Ring {
            sound_on: RwSignal::new(false),
            notify_permission: RwSignal::new(String::from("default")),
            stalled: RwSignal::new(None),
            voice_ringing: RwSignal::new(None),
            ringer_sink: RwSignal::new(String::new()),
            volume: RwSignal::new(storage::ring_volume().unwrap_or(DEFAULT_RING_VOLUME)),
            audio: StoredValue::new_local(None),
        };
        #[cfg(feature = "softphone")]
        let voice = deployment.softphone.clone().map(|phone| voice::Voice::new(phone, ring));
        Toolbar {
            #[cfg(feature = "softphone")]
            voice,
            view: View {
                session: RwSignal::new(session),
                lang: RwSignal::new(lang),
                theme: RwSignal::new(Default::default()),
                clock: RwSignal::new(now_ms()),
                vendor,
                shortcut: RwSignal::new(None),
                config: StoredValue::new(config.clone()),
            },
            ring,
            phone: Phone { here: RwSignal::new(true) },
            io: Io {
                deployment: StoredValue::new(deployment),
                #[cfg(feature = "aliyun")]
                ccc_client: StoredValue::new_local(CccClient::new(&config.gateway)),
                #[cfg(feature = "aliyun")]
                ccc: StoredValue::new_local(CccState::default()),
                #[cfg(feature = "aliyun")]
                ccc_catch_up: StoredValue::new(Default::default()),
                #[cfg(feature = "huawei")]
                client: StoredValue::new_local(GatewayClient::new(&config.gateway)),
                poll: StoredValue::new_local(PollHandle { generation: 0, abort: None }),
                #[cfg(feature = "huawei")]
                saved_guid: StoredValue::new(None),
                done_listeners: StoredValue::new_local(Vec::new()),
                tickets: StoredValue::new(0),
                reads: StoredValue::new_local(ReadPlanner::default()),
                reads_waiting: StoredValue::new(false),
                directory: StoredValue::new_local(None),
                directory_waiters: StoredValue::new_local(Vec::new()),
                call_data_wanted: StoredValue::new(Vec::new()),
                forward: StoredValue::new_local(None),
                take_phone: StoredValue::new_local(None),
                start_io_on_load: StoredValue::new(false),
                tab_waker: StoredValue::new_local(None),
                phone_waiters: StoredValue::new_local(None),
                prepared: StoredValue::new(false),
            },
            engine: RwSignal::new(None),
        }
    }

    /// Feeds one input to the state machine and carries out what it asks for.
    pub fn apply(&self, input: Input) {
        let _ = self.apply_for(input, None);
    }

    /// `apply`, where the effects belong to the intent numbered `ticket`; says whether the
    /// gate refused it.
    pub(crate) fn apply_for(&self, input: Input, ticket: Option<Ticket>) -> Option<Refusal> {
        let mut next = self.view.session.try_get_untracked()?;
        let by_agent = matches!(input, Input::Intent(_));
        let effects = step(&mut next, input, now_ms());
        // Only notify views when something changed (polls answer every few seconds).
        if self.view.session.with_untracked(|s| *s != next) {
            if by_agent {
                // The agent's own click: its request leaves first, the views follow in the
                // next task. Stored at once, so whatever reads the session sees it.
                self.view.session.update_untracked(|s| *s = next);
                let session = self.view.session;
                set_timeout(move || session.notify(), std::time::Duration::ZERO);
            } else {
                self.view.session.set(next);
            }
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

    pub(crate) fn next_ticket(&self) -> Ticket {
        self.io
            .tickets
            .try_update_value(|t| {
                *t += 1;
                *t
            })
            .unwrap_or(0)
    }

    pub(crate) fn tell(&self, ticket: Ticket, intent: &Intent, outcome: &Outcome) {
        let listeners = self.io.done_listeners.try_get_value().unwrap_or_default();
        for listener in listeners {
            listener(ticket, intent, outcome);
        }
    }

    /// A request of `ticket` was answered: the state machine learns it, then whoever asked.
    pub(crate) fn finish(
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
        if let Some(take) = self.io.take_phone.try_get_value().flatten() {
            take();
        }
    }

    /// Registers a callback for every request outcome.
    pub fn on_done(&self, listener: DoneListener) {
        self.io.done_listeners.update_value(|l| l.push(listener));
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
        if let Some(forward) = self.io.forward.try_get_value().flatten() {
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
    pub(crate) fn execute(&self, intent: Intent, ticket: Ticket) {
        match self.view.vendor {
            #[cfg(feature = "aliyun")]
            Vendor::Aliyun => self.ccc_send(intent, ticket),
            #[cfg(feature = "huawei")]
            Vendor::Huawei => self.execute_huawei(intent, ticket),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    /// Keeps the last picture of the session when the page goes away (for `restore`).
    pub fn remember_on_hide(&self) {
        let this = *self;
        let on_hide = window_event_listener(leptos::ev::pagehide, move |_| {
            if let Some(session) = this.view.session.try_get_untracked() {
                if session.agent.is_signed_in() && load_session().is_some() {
                    storage::save_picture(&session);
                }
            }
        });
        on_cleanup(move || on_hide.remove());
    }

    /// Shows the session as it was before a reload, until the gateway confirms or corrects it.
    /// Runs before anything subscribes to the session, so nothing reports it as new.
    pub fn restore(&self) {
        let vendor = match self.view.vendor {
            Vendor::Huawei => "huawei",
            Vendor::Aliyun => "aliyun",
        };
        if load_session().is_none_or(|s| s.vendor != vendor) {
            return;
        }
        if let Some(mut session) = storage::load_picture() {
            session.connection = crate::core::model::Connection::Offline;
            session.supported = self.view.session.with_untracked(|s| s.supported);
            self.view.session.set(session);
        }
    }

    /// Carries on with a session that survived a reload: `updateGuid` for the CC-Gateway, the
    /// bridge's session cookie for CCC. Then the state is re-read from the gateway's queries.
    pub fn recover(&self) {
        let Some(stored) = load_session() else { return };
        let this = *self;
        spawn_local(async move {
            let recovered = match this.view.vendor {
                #[cfg(feature = "huawei")]
                Vendor::Huawei if stored.vendor == "huawei" => this.recover_huawei(&stored).await,
                #[cfg(feature = "aliyun")]
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

    /// Answering or hanging up in the toolbar does the same to the browser phone's call that
    /// carries the call's audio.
    #[cfg(feature = "softphone")]
    fn voice_follows(&self, intent: &Intent) {
        let Some(voice) = self.voice else { return };
        let (call_id, answered) = match intent {
            Intent::Answer { call_id } => (call_id, true),
            Intent::HangUp { call_id } | Intent::Reject { call_id, .. } => (call_id, false),
            _ => return,
        };
        let caller = self.view.session.with_untracked(|s| s.call(call_id).map(|c| c.caller.clone()));
        voice.follow_toolbar(call_id, &caller.unwrap_or_default(), answered);
    }

    pub(crate) fn run(&self, effect: Effect, ticket: Option<Ticket>) {
        match effect {
            Effect::Request(intent) => {
                #[cfg(feature = "softphone")]
                self.voice_follows(&intent);
                self.execute(intent, ticket.unwrap_or_else(|| self.next_ticket()))
            }
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
            #[cfg(feature = "aliyun")]
            Effect::CallEnded { call_id } if self.view.vendor == Vendor::Aliyun => {
                self.ccc_fetch_detail(call_id)
            }
            // The CC-Gateway's details come from the journal, already in the session.
            Effect::CallEnded { .. } => {}
            Effect::FetchCallData { call_id } if self.view.vendor == Vendor::Huawei => {
                self.io.call_data_wanted.update_value(|w| w.push(call_id));
                self.want_read(Read::CallData);
            }
            Effect::FetchCallData { .. } => {}
        }
    }

    pub fn stop_polling(&self) {
        #[cfg(feature = "aliyun")]
        self.io.ccc_catch_up.try_update_value(|c| c.reset());
        self.io.poll.try_update_value(|p| {
            p.generation += 1;
            if let Some(abort) = p.abort.take() {
                abort.abort();
            }
        });
    }

    pub(crate) fn start_polling(&self) {
        self.stop_polling();
        match self.view.vendor {
            #[cfg(feature = "aliyun")]
            Vendor::Aliyun => self.ccc_start_polling(),
            #[cfg(feature = "huawei")]
            Vendor::Huawei => self.start_huawei_polling(),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    /// Makes the event source about to start the current one: its generation, and the signal
    /// that `stop_polling` fires to end it (the CC-Gateway's long-poll, or the relay stream).
    pub(crate) fn claim_event_source(&self) -> Option<(u64, web_sys::AbortSignal)> {
        let Ok(abort) = web_sys::AbortController::new() else {
            warn("agentbar: no AbortController; cannot take events");
            return None;
        };
        let signal = abort.signal();
        let generation = self.io.poll.try_update_value(|p| {
            p.abort = Some(abort);
            p.generation
        })?;
        Some((generation, signal))
    }

    pub(crate) fn is_current(&self, generation: u64) -> bool {
        self.io.poll.try_with_value(|p| p.generation == generation).unwrap_or(false)
    }
}

/// Reads the deployment's `agentbar.json` and the page URL, then mounts the toolbar into
/// `#agentbar` (or the body when the host page has no such element). The deployment comes first:
/// it decides which gateways a link may pick and which pages may embed the toolbar.
pub fn start() {
    console_error_panic_hook::set_once();
    // Leptos' executor is set up by `mount`; until then a plain wasm-bindgen future.
    wasm_bindgen_futures::spawn_local(async {
        let deployment = load_deployment().await;
        mount(deployment);
    });
}

/// A document `JSON.parse` made, read as `config::JsonDoc`.
pub struct JsDoc(pub wasm_bindgen::JsValue);

impl crate::config::JsonDoc for JsDoc {
    fn member(&self, key: &str) -> Option<Self> {
        // Only a plain object has members (Reflect.get would read an array's or a string's).
        if !self.0.is_object() || js_sys::Array::is_array(&self.0) {
            return None;
        }
        let v = js_sys::Reflect::get(&self.0, &key.into()).ok()?;
        (!v.is_undefined()).then_some(JsDoc(v))
    }
    fn text(&self) -> Option<String> {
        self.0.as_string()
    }
    fn items(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(&self.0).then(|| js_sys::Array::from(&self.0).iter().map(JsDoc).collect())
    }
    fn null(&self) -> bool {
        self.0.is_null()
    }
}

/// A GET's body, or None when it fails. The browser's `fetch` itself: the first load carries
/// no HTTP client of ours (the engine's requests use gloo-net).
async fn fetch_text(url: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let response: web_sys::Response =
        JsFuture::from(window().fetch_with_str(url)).await.ok()?.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    JsFuture::from(response.text().ok()?).await.ok()?.as_string()
}

/// `agentbar.json` next to the toolbar; a missing or unreadable file allows nothing but this
/// page's own origin (and no embedding).
async fn load_deployment() -> crate::config::Deployment {
    // dist/'s boot script has read the file already to pick the wasm; `trunk serve` has no boot
    // script of ours, so the toolbar fetches it then.
    let handed =
        js_sys::Reflect::get(&window(), &"agentbarDeploymentText".into()).ok().and_then(|v| v.as_string());
    let text = match handed {
        Some(text) => {
            let _ = js_sys::Reflect::delete_property(&window(), &"agentbarDeploymentText".into());
            Some(text)
        }
        None => fetch_text("agentbar.json").await,
    };
    let parsed = text.map(|t| {
        js_sys::JSON::parse(&t)
            .map_err(|_| String::from("not JSON"))
            .and_then(|doc| crate::config::Deployment::read(&JsDoc(doc)))
    });
    match parsed {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            warn(&format!("agentbar: agentbar.json is not valid ({e}); embedding is off"));
            Default::default()
        }
        None => Default::default(),
    }
}

fn mount(deployment: crate::config::Deployment) {
    let search = window().location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let pairs: Vec<(String, String)> =
        ["gateway", "agent", "phone", "lang", "busyReasons", "vendor", "skillGroups", "pollMs", "keys"]
            .iter()
            .filter_map(|k| params.as_ref()?.get(k).map(|v| (k.to_string(), v)))
            .collect();
    let config = Config::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &deployment);
    let lang =
        config.lang.unwrap_or_else(|| Lang::from_tag(&window().navigator().language().unwrap_or_default()));
    let toolbar = Toolbar::new(config, deployment, lang);
    let host = document()
        .get_element_by_id("agentbar")
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        .or_else(|| document().body());
    if let Some(host) = host {
        leptos::mount::mount_to(host, move || view! { <crate::ui::App toolbar/> }).forget();
    }
}

impl Toolbar {
    /// Starts the toolbar's I/O once the views are mounted: the last picture, the host page's API, the phone among tabs (the tab that gets it recovers the session; without Web Locks
    /// this tab does).
    pub fn start_io(&self) {
        self.restore();
        self.remember_on_hide();
        embed::start(*self);
        if !tabs::start(*self) {
            self.recover();
        }
    }
}

/// What views may ask of the runtime. Provided as a context; `Copy`.
#[derive(Clone, Copy)]
pub struct Commands(Toolbar);

impl Commands {
    pub fn new(toolbar: Toolbar) -> Commands {
        Commands(toolbar)
    }

    /// Asks for an intent; a refused repeat needs no answer (the button shows it on its way).
    pub fn send(&self, intent: Intent) {
        let tb = self.0;
        tb.with_engine(move |e| {
            let _ = (e.ask)(&tb, intent);
        });
    }

    /// Asks for an intent and says at once if the gate refused it (dialogs keep their input).
    /// Before the engine is loaded nothing can refuse yet: the intent goes once it is.
    pub fn ask(&self, intent: Intent) -> Result<Ticket, Refusal> {
        let tb = self.0;
        match tb.engine.get_untracked() {
            Some(e) => (e.ask)(&tb, intent),
            None => {
                let ticket = tb.reserve_ticket();
                tb.with_engine(move |e| {
                    let _ = (e.ask_as)(&tb, ticket, intent);
                });
                Ok(ticket)
            }
        }
    }

    /// The agent is typing the sign-in: fetch the engine now, so the click does not wait for
    /// it (about 0.1 s of fetch and compile on a first visit). Once per page.
    pub fn prepare(&self) {
        if self.0.io.prepared.try_update_value(|p| std::mem::replace(p, true)) == Some(false) {
            self.0.load_engine();
        }
    }

    /// Closes a notice: nothing to send, so no engine needed (its own "could not be
    /// loaded" can be closed without fetching it again).
    pub fn dismiss_notice(&self, id: u64) {
        self.0.view.session.update(|s| s.dismiss(id));
    }

    /// The agent chose "go ready anyway": not asked again this sign-in.
    pub fn ready_anyway(&self) {
        self.0.apply(Input::ReadyAnyway)
    }

    pub fn refresh_hold_list(&self) {
        self.0.refresh_hold_list()
    }

    pub async fn load_directory(self) -> Directory {
        self.0.load_directory().await
    }

    pub fn use_phone_here(&self) {
        let tb = self.0;
        tb.with_engine(move |e| (e.use_phone_here)(&tb));
    }

    /// Re-reads the gateway's state; nothing to re-read before the engine runs.
    pub fn resync_now(&self) {
        if let Some(e) = self.0.engine.get_untracked() {
            (e.resync_now)(&self.0)
        }
    }

    /// Ends the event source (the toolbar is unmounted).
    pub fn stop_polling(&self) {
        if let Some(e) = self.0.engine.get_untracked() {
            (e.stop_polling)(&self.0)
        }
    }
}
