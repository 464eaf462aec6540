//! The engine: everything a signed-in toolbar runs (the state machine's effects, the vendors'
//! clients and event sources, storage of the session, the other tabs, the host page's API) and
//! the views of a signed-in agent. The sign-in screen does not need it, so a release build
//! (`--features split`, see `scripts/build-dist.mjs`) puts it in a wasm module of its own that
//! is fetched the first time it is needed: when the agent signs in, when there is a session to
//! carry on with, when another tab speaks, or at once when a host page embeds the toolbar.
//!
//! The rest of the toolbar reaches the engine only through the function table below; a direct
//! call would pull the code it reaches back into the first load. Without `split` the table is
//! the same and loading it is a ready future, so tests and `trunk serve` run the same order of
//! events as the release build.

use super::{Intent, Refusal, Ticket, Toolbar};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// What the first load calls in the engine.
pub struct Engine {
    pub ask: fn(&Toolbar, Intent) -> Result<Ticket, Refusal>,
    pub ask_as: fn(&Toolbar, Ticket, Intent) -> Result<(), Refusal>,
    /// The last picture, the host page's API, the tabs, a session to carry on with.
    pub start_io: fn(&Toolbar),
    pub resync_now: fn(&Toolbar),
    pub stop_polling: fn(&Toolbar),
    pub use_phone_here: fn(&Toolbar),
    /// A signed-in agent's toolbar: state, ringing, calls, hold list, call detail.
    pub desk_view: fn(Toolbar) -> AnyView,
}

fn table() -> &'static Engine {
    static TABLE: Engine = Engine {
        ask: |t, intent| t.ask(intent),
        ask_as: |t, ticket, intent| t.ask_as(ticket, intent),
        start_io: |t| t.start_io(),
        resync_now: |t| t.resync_now(),
        stop_polling: |t| t.stop_polling(),
        use_phone_here: |t| t.use_phone_here(),
        desk_view: crate::ui::desk_view,
    };
    &TABLE
}

/// The engine's wasm could not be fetched (the network); a later load tries again.
#[derive(Debug)]
pub struct EngineUnavailable;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for EngineUnavailable {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        EngineUnavailable
    }
}

#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(agentbar_engine, wasm_split_path = ::leptos::wasm_split, fallible)]
fn load() -> Result<&'static Engine, EngineUnavailable> {
    Ok(table())
}

#[cfg(not(feature = "split"))]
async fn load() -> Result<&'static Engine, EngineUnavailable> {
    Ok(table())
}

impl Toolbar {
    /// Runs `then` with the engine, fetching it first if this is the first time. The first
    /// load starts the toolbar's I/O (when `App` asked for it) before anything else runs, and
    /// `then` waits until this tab knows whether it holds the phone, so an intent that
    /// triggered the load goes where the phone is.
    pub fn with_engine(self, then: impl FnOnce(&'static Engine) + 'static) {
        if let Some(engine) = self.engine.get_untracked() {
            return super::tabs::when_settled(self, Box::new(move || then(engine)));
        }
        leptos::task::spawn_local(async move {
            match load().await {
                Ok(engine) => {
                    self.engine_loaded(engine);
                    super::tabs::when_settled(self, Box::new(move || then(engine)));
                }
                Err(EngineUnavailable) => {
                    super::log::warn("agentbar: the toolbar's engine could not be fetched");
                    let notice = crate::core::model::Notice::error(crate::i18n::Msg::EngineUnavailable);
                    self.view.session.update(|s| s.notify(notice));
                }
            }
        });
    }

    /// Fetches the engine now (a session to carry on with, an embedding host, another tab).
    pub fn load_engine(self) {
        self.with_engine(|_| {});
    }

    /// The engine, when it is loaded (reactive: views appear when it arrives).
    pub fn engine(self) -> Option<&'static Engine> {
        self.engine.get()
    }

    fn engine_loaded(self, engine: &'static Engine) {
        // Two loads may race (a click while the page's own load is on its way): one start.
        if self.engine.get_untracked().is_some() {
            return;
        }
        if let Some((channel, _on_message)) = self.io.tab_waker.try_update_value(Option::take).flatten() {
            channel.set_onmessage(None);
            channel.close();
        }
        if self.io.start_io_on_load.get_value() {
            (engine.start_io)(&self);
        }
        self.engine.set(Some(engine));
    }

    /// Starts the mounted toolbar: its I/O starts with the engine, which is fetched at once
    /// when a signed-in agent's toolbar is wanted before any click: a session to carry on
    /// with, a host page to answer, a browser phone to register. Otherwise the sign-in screen
    /// waits for the agent, or for a word from another tab (one signing in, or holding the
    /// phone), which fetches the engine so this tab follows it.
    pub fn start(self) {
        self.io.start_io_on_load.set_value(true);
        let embedded = window().parent().ok().flatten().is_some_and(|p| p != window());
        #[cfg(feature = "softphone")]
        let voice = self.voice.is_some();
        #[cfg(not(feature = "softphone"))]
        let voice = false;
        if embedded || voice || super::storage::has_session() {
            return self.load_engine();
        }
        let Ok(channel) = web_sys::BroadcastChannel::new(super::tabs::CHANNEL) else {
            return self.load_engine();
        };
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                if wakes(&ev.data()) {
                    self.load_engine();
                }
            });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let _ = channel.post_message(&wasm_bindgen::JsValue::from_str(WAKER_SYNC));
        self.io.tab_waker.set_value(Some((channel, on_message)));
    }
}

/// The channel the other tabs speak on, with its handler (dropped once the engine runs).
pub(crate) type TabWaker = (web_sys::BroadcastChannel, Closure<dyn FnMut(web_sys::MessageEvent)>);

/// What a tab without the engine posts when it opens: the tabs' `sync` (a tab holding the phone
/// answers with its state), marked, so that an older tab without the engine takes the phone
/// for both, as the first tab opened always has.
const WAKER_SYNC: &str = r#"{"type":"sync","waker":true}"#;

/// Whether a message on the phone's channel fetches the engine: a holder's state (this tab
/// follows it) or a newer engine-less tab's sync (this tab holds the phone). An engine's own
/// sync at its start does not: that tab posts its state once it holds the phone, and this one
/// follows then, so the tab that asked first holds it.
fn wakes(data: &wasm_bindgen::JsValue) -> bool {
    let Some(text) = data.as_string() else { return false };
    let Ok(msg) = js_sys::JSON::parse(&text) else { return false };
    let field = |k: &str| js_sys::Reflect::get(&msg, &k.into()).ok();
    match field("type").and_then(|t| t.as_string()).as_deref() {
        Some("state") => true,
        Some("sync") => field("waker").is_some_and(|w| w.is_truthy()),
        _ => false,
    }
}
