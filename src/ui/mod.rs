//! The views. Each file is one component family; each reads a `Memo` slice of the session
//! through [`Toolbar`] and sends intents back. No component touches another's signals.

mod call_detail;
mod call_panel;
mod consult_bar;
mod focus;
mod hold_list;
mod reject_dialog;
mod ring_alert;
mod ringing_banner;
mod sign_in;
#[cfg(feature = "softphone")]
mod softphone;
mod state_bar;
mod status;
mod transfer_dialog;

pub use call_detail::CallDetailPanel;
pub use call_panel::CallPanel;

pub use crate::runtime::{now_ms, Commands, Directory, DirectoryEntry, Phone, Ring, Toolbar, View};
pub use consult_bar::{ConsultBar, ConsultPicker};
pub use hold_list::HoldList;
pub use reject_dialog::RejectDialog;
pub use ringing_banner::RingingBanner;
pub use sign_in::SignIn;
pub use state_bar::StateBar;
pub use status::{ConnectionStatus, LangSwitch, NoticeBar, PhoneChip};

/// The session, language and configuration views read.
pub fn use_view() -> View {
    expect_context::<View>()
}

/// What views may ask of the runtime.
pub fn use_commands() -> Commands {
    expect_context::<Commands>()
}

/// The transfer/consult directory for a dialog, filled once the runtime has it. A signal a
/// task fills instead of a `LocalResource`: the resource's async-derived machinery was ~10 KB
/// of wasm for this one read. A dialog closed before the answer drops it (`try_set`).
pub(crate) fn use_directory() -> ReadSignal<Option<Directory>> {
    let directory = RwSignal::new(None);
    let cmd = use_commands();
    leptos::task::spawn_local(async move {
        let loaded = cmd.load_directory().await;
        directory.try_set(Some(loaded));
    });
    directory.read_only()
}

/// Whether a ring can reach the agent.
pub fn use_ring() -> Ring {
    expect_context::<Ring>()
}

/// Whether this tab holds the phone.
pub fn use_phone() -> Phone {
    expect_context::<Phone>()
}
pub use transfer_dialog::TransferDialog;

use crate::i18n::Msg;
use leptos::prelude::*;
use std::time::Duration;

/// Translates a message in the toolbar's current language (reactive).
///
/// Untracked on purpose: views that come and go with calls must not subscribe to the
/// long-lived language signal (reactive_graph 0.2 keeps a dropped effect's subscription in the
/// source until the source re-runs it, which a language never does: memory grew with every
/// call). A language switch rebuilds the toolbar instead (see `App`).
pub fn tr(msg: Msg) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = use_view().lang;
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
pub fn key_label(ui: View, s: crate::keys::Shortcut) -> String {
    ui.config.with_value(|c| c.keymap.combo(s).map(|c| c.label()).unwrap_or_default())
}

/// A button title with its shortcut: "Answer (Alt+A)".
pub fn titled(msg: Msg, s: crate::keys::Shortcut) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let ui = use_view();
    move || format!("{} ({})", msg.text(ui.lang.get_untracked()), key_label(ui, s))
}

fn on_shortcut(ui: View, cmd: Commands, e: &web_sys::KeyboardEvent) {
    use crate::keys::{outcome, ShortcutOutcome};

    let Some(s) = ui.config.with_value(|c| {
        c.keymap.find(&e.code(), &e.key(), e.ctrl_key(), e.alt_key(), e.shift_key(), e.meta_key())
    }) else {
        return;
    };
    e.prevent_default();
    // A held-down key repeats: only the first press is the agent's.
    if e.repeat() {
        return;
    }
    match ui.session.with_untracked(|session| outcome(s, session)) {
        ShortcutOutcome::Send(intent) => cmd.send(intent),
        ShortcutOutcome::OpenDialog(s) => {
            let n = ui.shortcut.get_untracked().map_or(0, |(_, n)| n + 1);
            ui.shortcut.set(Some((s, n)));
        }
        ShortcutOutcome::Nothing => {}
    }
}

/// The whole toolbar.
#[component]
pub fn App(toolbar: Toolbar) -> impl IntoView {
    provide_context(toolbar.view);
    provide_context(toolbar.ring);
    provide_context(toolbar.phone);
    let cmd = Commands::new(toolbar);
    provide_context(cmd);
    toolbar.start();
    // The one clock, and the watchdog: a tick that comes late means the tab was frozen or
    // throttled, and events may have been missed; the state is re-read.
    let clock = set_interval_with_handle(
        move || {
            let now = now_ms();
            let gap = now.saturating_sub(toolbar.view.clock.get_untracked());
            toolbar.view.clock.set(now);
            if gap > 5_000 && toolbar.view.session.with_untracked(|s| s.agent.is_signed_in()) {
                toolbar.ring.stalled.set(Some(gap / 1000));
                cmd.resync_now();
            }
        },
        Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(handle) = clock {
            handle.clear();
        }
        cmd.stop_polling();
    });
    // The host's accent: set as a property, since the CSP refuses inline style attributes.
    let root = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let accent = toolbar.view.theme.with(|t| t.accent.clone());
        if let Some(el) = root.get() {
            let style = web_sys::HtmlElement::style(&el);
            let _ = match accent {
                Some(a) => web_sys::CssStyleDeclaration::set_property(&style, "--ab-accent", &a),
                None => web_sys::CssStyleDeclaration::remove_property(&style, "--ab-accent").map(|_| ()),
            };
        }
    });
    let signed_in = Memo::new(move |_| toolbar.view.session.with(|s| s.agent.is_signed_in()));
    let keys = window_event_listener(leptos::ev::keydown, move |e| on_shortcut(toolbar.view, cmd, &e));
    // A tab coming back from the background may have been throttled: re-read the state.
    let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if !document().hidden()
            && toolbar.phone.here.get_untracked()
            && toolbar.view.session.with_untracked(|s| s.agent.is_signed_in())
        {
            cmd.resync_now();
        }
    });
    on_cleanup(move || {
        keys.remove();
        visible.remove();
    });
    view! {
           <div class="ab-root" lang=move || toolbar.view.lang.get().tag()
               data-theme=move || toolbar.view.theme.with(|t| t.mode)
               data-density=move || toolbar.view.theme.with(|t| t.density)
    node_ref=root>
               {move || {
               // Texts read the language untracked (see `tr`): switching it rebuilds the toolbar.
               toolbar.view.lang.track();
               view! {
               <header class="ab-bar">
                   <h1 class="ab-brand">"agentbar"</h1>
                   <ConnectionStatus/>
                   <PhoneChip/>
                   <LangSwitch/>
               </header>
               <main class="ab-main">
                   <NoticeBar/>
                   <ring_alert::RingSetup/>
                   <Show when=move || !signed_in.get()>
                       <SignIn/>
                   </Show>
                   {move || toolbar.engine().map(|e| (e.desk_view)(toolbar))}
               </main>
               }
               }}
           </div>
       }
}

/// A signed-in agent's toolbar, for the engine's table: it arrives with the engine, so the
/// sign-in screen's first load does not carry it.
pub fn desk_view(toolbar: Toolbar) -> AnyView {
    let signed_in = Memo::new(move |_| toolbar.view.session.with(|s| s.agent.is_signed_in()));
    view! {
        <ring_alert::RingAlert/>
        <Show when=move || signed_in.get()>
            <StateBar/>
            <RingingBanner/>
            <ConsultBar/>
            <CallPanel/>
            <HoldList/>
            <CallDetailPanel/>
        </Show>
        {voice_panel(toolbar)}
    }
    .into_any()
}

/// The browser phone, when the build has it and the deployment configures a SIP server.
#[cfg(feature = "softphone")]
fn voice_panel(toolbar: Toolbar) -> impl IntoView {
    toolbar.voice.map(|voice| view! { <softphone::Softphone voice/> })
}

#[cfg(not(feature = "softphone"))]
fn voice_panel(_: Toolbar) -> impl IntoView {}
