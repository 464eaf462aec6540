//! The views. Each file is one component family; each reads a `Memo` slice of the session
//! through [`Toolbar`] and sends intents back. No component touches another's signals.

mod call_detail;
mod call_panel;
mod ccc_io;
mod consult_bar;
mod embed_io;
mod hold_list;
mod reject_dialog;
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

/// Reads the configuration from the page URL and mounts the toolbar into `#agentbar`
/// (or the body when the host page has no such element).
pub fn start() {
    console_error_panic_hook::set_once();
    let search = window().location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let pairs: Vec<(String, String)> =
        ["gateway", "agent", "phone", "lang", "busyReasons", "vendor", "skillGroups", "pollMs"]
            .iter()
            .filter_map(|k| params.as_ref()?.get(k).map(|v| (k.to_string(), v)))
            .collect();
    let config = Config::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let lang =
        config.lang.unwrap_or_else(|| Lang::from_tag(&window().navigator().language().unwrap_or_default()));
    let toolbar = Toolbar::new(config, lang);
    let host = document()
        .get_element_by_id("agentbar")
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        .or_else(|| document().body());
    if let Some(host) = host {
        leptos::mount::mount_to(host, move || view! { <App toolbar/> }).forget();
    }
}

/// Translates a message in the toolbar's current language (reactive).
pub fn tr(msg: Msg) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = use_toolbar().lang;
    move || msg.text(lang.get())
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
    let clock = set_interval_with_handle(move || toolbar.clock.set(now_ms()), Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(handle) = clock {
            handle.clear();
        }
        toolbar.stop_polling();
    });
    let signed_in = Memo::new(move |_| toolbar.session.with(|s| s.agent.is_signed_in()));
    view! {
        <div class="ab-root" lang=move || toolbar.lang.get().tag()>
            <header class="ab-bar">
                <span class="ab-brand">"agentbar"</span>
                <ConnectionStatus/>
                <PhoneChip/>
                <LangSwitch/>
            </header>
            <NoticeBar/>
            <Show when=move || signed_in.get() fallback=|| view! { <SignIn/> }>
                <StateBar/>
                <RingingBanner/>
                <ConsultBar/>
                <CallPanel/>
                <HoldList/>
                <CallDetailPanel/>
            </Show>
        </div>
    }
}
