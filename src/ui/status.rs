//! Connection status, language switch and the notice bar (gateway errors with their codes).

use super::{tr, use_commands, use_phone, use_view};
use crate::core::model::{Connection, NoticeKind};
use crate::i18n::{retcode_text, Msg};
use leptos::prelude::*;

#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let ui = use_view();
    let _cmd = use_commands();
    let _phone = use_phone();
    let connection = Memo::new(move |_| ui.session.with(|s| s.connection));
    let name = move || match connection.get() {
        Connection::Online => "online",
        Connection::Offline => "offline",
        Connection::Reconnecting { .. } => "reconnecting",
    };
    let text = move || {
        let lang = ui.lang.get();
        match connection.get() {
            Connection::Online => Msg::Online.text(lang),
            Connection::Offline => Msg::Offline.text(lang),
            Connection::Reconnecting { .. } => Msg::Reconnecting.text(lang),
        }
    };
    view! {
        <span class=move || format!("ab-conn ab-conn--{}", name()) data-testid="connection-status"
            data-status=name role="status">
            {text}
        </span>
    }
}

#[component]
pub fn LangSwitch() -> impl IntoView {
    let ui = use_view();
    let _cmd = use_commands();
    let _phone = use_phone();
    view! {
        <button type="button" class="ab-btn ab-btn--quiet" data-testid="lang-switch"
            on:click=move |_| ui.lang.update(|l| *l = l.other())>
            {tr(Msg::Language)}
        </button>
    }
}

/// The agent's messages, newest first: the toolbar's words, the vendor code and the gateway's
/// own text. They stack rather than overwrite each other, and each is dismissed on its own.
/// The newest one carries `data-testid="error-message"`; older ones `notice-older`.
#[component]
pub fn NoticeBar() -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let _phone = use_phone();
    let notices = Memo::new(move |_| ui.session.with(|s| s.notices.clone()));
    move || {
        let list = notices.get();
        let lang = ui.lang.get();
        let newest = list.last().map(|n| n.id);
        (!list.is_empty()).then(|| {
            let items = list
                .into_iter()
                .rev()
                .map(|n| {
                    let code_text = n.code.as_deref().and_then(|c| retcode_text(c, lang));
                    let code = n.code.clone().map(|c| format!("{} {c}", Msg::Code.text(lang)));
                    let kind = if n.kind == NoticeKind::Error { "error" } else { "info" };
                    // The gateway's text is shown when the code is unknown to us, so nothing is lost.
                    let detail = match code_text {
                        Some(t) => Some(t.to_string()),
                        None => n.detail.clone(),
                    };
                    let id = n.id;
                    let testid = if Some(id) == newest { "error-message" } else { "notice-older" };
                    view! {
                        <li class=format!("ab-notice ab-notice--{kind}") data-testid=testid data-code=n.code.clone()>
                            <span class="ab-notice__text">{n.msg.text(lang)}</span>
                            {detail.map(|d| view! { <span class="ab-notice__detail">{d}</span> })}
                            {n.retry_after_secs.map(|secs| view! {
                                <span class="ab-notice__detail" data-testid="notice-retry">{format!("{} {secs} s", Msg::TryAgainIn.text(lang))}</span>
                            })}
                            {code.map(|c| view! { <span class="ab-notice__code">{c}</span> })}
                            <button type="button" class="ab-btn ab-btn--quiet" data-testid="notice-dismiss"
                                aria-label=Msg::Dismiss.text(lang) on:click=move |_| cmd.dismiss_notice(id)>"×"</button>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="ab-notices" role="alert" aria-label=Msg::Notices.text(lang)>{items}</ul> }
        })
    }
}

/// Shown in a tab that does not hold the phone: the session lives in another tab of this
/// browser; this one mirrors it and can take the phone over.
#[component]
pub fn PhoneChip() -> impl IntoView {
    let _ui = use_view();
    let cmd = use_commands();
    let phone = use_phone();
    view! {
        <Show when=move || !phone.here.get()>
            <span class="ab-phone" data-testid="phone-elsewhere" role="status">
                {tr(Msg::PhoneElsewhere)}
                <button type="button" class="ab-btn ab-btn--quiet" data-testid="phone-here"
                    on:click=move |_| cmd.use_phone_here()>{tr(Msg::UsePhoneHere)}</button>
            </span>
        </Show>
    }
}
