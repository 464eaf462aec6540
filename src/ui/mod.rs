//! The views. Each file is one component family; each reads a `Memo` slice of the session
//! through [`Toolbar`] and sends intents back. No component touches another's signals.

mod call_detail;
mod call_panel;
mod ccc_io;
mod consult_bar;
mod embed_io;
mod focus;
mod hold_list;
mod reject_dialog;
mod ring_alert;
mod ringing_banner;
mod sign_in;
mod state_bar;
mod status;
mod tabs;
mod toolbar;
mod transfer_dialog;

pub use call_detail::CallDetailPanel;
pub use call_panel::CallPanel;

pub use consult_bar::{ConsultBar, ConsultPicker};
pub use hold_list::HoldList;
pub use reject_dialog::RejectDialog;
pub use ringing_banner::RingingBanner;
pub use sign_in::SignIn;
pub use state_bar::StateBar;
pub use status::{ConnectionStatus, LangSwitch, NoticeBar, PhoneChip};
pub use toolbar::{now_ms, use_toolbar, Directory, DirectoryEntry, Toolbar};
pub use transfer_dialog::TransferDialog;

use crate::config::Config;
use crate::i18n::{Lang, Msg};
use leptos::prelude::*;
use std::time::Duration;

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

/// `agentbar.json` next to the toolbar; a missing or unreadable file allows nothing but this
/// page's own origin (and no embedding).
async fn load_deployment() -> crate::config::Deployment {
    let text = match gloo_net::http::Request::get("agentbar.json").send().await {
        Ok(r) if r.ok() => r.text().await.ok(),
        _ => None,
    };
    match text.map(|t| crate::config::Deployment::parse(&t)) {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            crate::net::warn(&format!("agentbar: agentbar.json is not valid ({e}); embedding is off"));
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
        leptos::mount::mount_to(host, move || view! { <App toolbar/> }).forget();
    }
}

/// Translates a message in the toolbar's current language (reactive).
///
/// Untracked on purpose: views that come and go with calls must not subscribe to the
/// long-lived language signal (reactive_graph 0.2 keeps a dropped effect's subscription in the
/// source until the source re-runs it, which a language never does: memory grew with every
/// call). A language switch rebuilds the toolbar instead (see `App`).
pub fn tr(msg: Msg) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = use_toolbar().lang;
    move || msg.text(lang.get_untracked())
}

/// A ticking `m:ss` timer since `since`. Each one owns its signal and interval, so a timer
/// that goes away with its call leaves nothing subscribed to a long-lived clock.
#[component]
pub fn Elapsed(since: u64, testid: &'static str) -> impl IntoView {
    let now = RwSignal::new(now_ms());
    let tick = set_interval_with_handle(move || now.set(now_ms()), Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(h) = tick {
            h.clear();
        }
    });
    view! { <span class="ab-timer" data-testid=testid>{move || crate::i18n::format_elapsed(now.get().saturating_sub(since))}</span> }
}

/// The combination of a shortcut, for tooltips and `aria-keyshortcuts`.
pub fn key_label(tb: Toolbar, s: crate::keys::Shortcut) -> String {
    tb.config.with_value(|c| c.keymap.combo(s).map(|c| c.label()).unwrap_or_default())
}

/// A button title with its shortcut: "Answer (Alt+A)".
pub fn titled(msg: Msg, s: crate::keys::Shortcut) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let tb = use_toolbar();
    move || format!("{} ({})", msg.text(tb.lang.get_untracked()), key_label(tb, s))
}

fn on_shortcut(tb: Toolbar, e: &web_sys::KeyboardEvent) {
    use crate::keys::{outcome, ShortcutOutcome};

    let Some(s) = tb.config.with_value(|c| {
        c.keymap.find(&e.code(), &e.key(), e.ctrl_key(), e.alt_key(), e.shift_key(), e.meta_key())
    }) else {
        return;
    };
    e.prevent_default();
    // A held-down key repeats: only the first press is the agent's.
    if e.repeat() {
        return;
    }
    match tb.session.with_untracked(|session| outcome(s, session)) {
        ShortcutOutcome::Send(intent) => tb.send(intent),
        ShortcutOutcome::OpenDialog(s) => {
            let n = tb.shortcut.get_untracked().map_or(0, |(_, n)| n + 1);
            tb.shortcut.set(Some((s, n)));
        }
        ShortcutOutcome::Nothing => {}
    }
}

/// The whole toolbar.
#[component]
pub fn App(toolbar: Toolbar) -> impl IntoView {
    provide_context(toolbar);
    toolbar.restore();
    toolbar.remember_on_hide();
    embed_io::start(toolbar);
    // The tab that gets the phone lock recovers the session; without Web Locks, this tab does.
    if !tabs::start(toolbar) {
        toolbar.recover();
    }
    // The one clock, and the watchdog: a tick that comes late means the tab was frozen or
    // throttled, and events may have been missed; the state is re-read.
    let clock = set_interval_with_handle(
        move || {
            let now = now_ms();
            let gap = now.saturating_sub(toolbar.clock.get_untracked());
            toolbar.clock.set(now);
            if gap > 5_000 && toolbar.session.with_untracked(|s| s.agent.is_signed_in()) {
                toolbar.stalled.set(Some(gap / 1000));
                toolbar.resync_now();
            }
        },
        Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(handle) = clock {
            handle.clear();
        }
        toolbar.stop_polling();
    });
    let signed_in = Memo::new(move |_| toolbar.session.with(|s| s.agent.is_signed_in()));
    let keys = window_event_listener(leptos::ev::keydown, move |e| on_shortcut(toolbar, &e));
    // A tab coming back from the background may have been throttled: re-read the state.
    let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if !document().hidden()
            && toolbar.phone_here.get_untracked()
            && toolbar.session.with_untracked(|s| s.agent.is_signed_in())
        {
            toolbar.resync_now();
        }
    });
    on_cleanup(move || {
        keys.remove();
        visible.remove();
    });
    view! {
        <div class="ab-root" lang=move || toolbar.lang.get().tag()
            data-theme=move || toolbar.theme.with(|t| t.mode)
            data-density=move || toolbar.theme.with(|t| t.density)
            style=move || toolbar.theme.with(|t| t.accent.as_ref().map(|a| format!("--ab-accent: {a}")))>
            {move || {
            // Texts read the language untracked (see `tr`): switching it rebuilds the toolbar.
            toolbar.lang.track();
            view! {
            <header class="ab-bar">
                <h1 class="ab-brand">"agentbar"</h1>
                <ConnectionStatus/>
                <PhoneChip/>
                <LangSwitch/>
            </header>
            <main class="ab-main">
                <NoticeBar/>
                <ring_alert::RingAssurance/>
                <Show when=move || signed_in.get() fallback=|| view! { <SignIn/> }>
                    <StateBar/>
                    <RingingBanner/>
                    <ConsultBar/>
                    <CallPanel/>
                    <HoldList/>
                    <CallDetailPanel/>
                </Show>
            </main>
            }
            }}
        </div>
    }
}
