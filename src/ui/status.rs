//! Connection status, language switch and the notice bar (gateway errors with their codes).

use super::{tr, use_toolbar};
use crate::core::model::{Connection, NoticeKind};
use crate::core::step::Input;
use crate::i18n::{retcode_text, Msg};
use leptos::prelude::*;

#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let tb = use_toolbar();
    let connection = Memo::new(move |_| tb.session.with(|s| s.connection));
    let name = move || match connection.get() {
        Connection::Online => "online",
        Connection::Offline => "offline",
        Connection::Reconnecting { .. } => "reconnecting",
    };
    let text = move || {
        let lang = tb.lang.get();
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
    let tb = use_toolbar();
    view! {
        <button type="button" class="ab-btn ab-btn--quiet" data-testid="lang-switch"
            on:click=move |_| tb.lang.update(|l| *l = l.other())>
            {tr(Msg::Language)}
        </button>
    }
}

/// The last error or notice: the toolbar's words, the vendor code, and the gateway's own text.
#[component]
pub fn NoticeBar() -> impl IntoView {
    let tb = use_toolbar();
    let notice = Memo::new(move |_| tb.session.with(|s| s.notice.clone()));
    move || {
        notice.get().map(|n| {
            let lang = tb.lang.get();
            let code_text = n.code.as_deref().and_then(|c| retcode_text(c, lang));
            let code = n.code.clone().map(|c| format!("{} {c}", Msg::Code.text(lang)));
            let kind = if n.kind == NoticeKind::Error { "error" } else { "info" };
            // The gateway's text is shown when the code is unknown to us, so nothing is lost.
            let detail = match code_text {
                Some(t) => Some(t.to_string()),
                None => n.detail.clone(),
            };
            view! {
                <div class=format!("ab-notice ab-notice--{kind}") data-testid="error-message" role="alert">
                    <span class="ab-notice__text">{n.msg.text(lang)}</span>
                    {detail.map(|d| view! { <span class="ab-notice__detail">{d}</span> })}
                    {code.map(|c| view! { <span class="ab-notice__code">{c}</span> })}
                    <button type="button" class="ab-btn ab-btn--quiet" aria-label=Msg::Dismiss.text(lang)
                        on:click=move |_| tb.apply(Input::DismissNotice)>"×"</button>
                </div>
            }
        })
    }
}

/// Shown in a tab that does not hold the phone: the session lives in another tab of this
/// browser; this one mirrors it and can take the phone over.
#[component]
pub fn PhoneChip() -> impl IntoView {
    let tb = use_toolbar();
    view! {
        <Show when=move || !tb.phone_here.get()>
            <span class="ab-phone" data-testid="phone-elsewhere" role="status">
                {tr(Msg::PhoneElsewhere)}
                <button type="button" class="ab-btn ab-btn--quiet" data-testid="phone-here"
                    on:click=move |_| tb.use_phone_here()>{tr(Msg::UsePhoneHere)}</button>
            </span>
        </Show>
    }
}
