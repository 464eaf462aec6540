//! The ringing banner: who calls, on which line and skill queue, for how long; answer or reject.

use super::{key_label, titled, tr, use_toolbar, Elapsed, RejectDialog};
use crate::core::event::Media;
use crate::core::step::Intent;
use crate::i18n::Msg;
use crate::keys::Shortcut;
use leptos::prelude::*;

/// What the banner shows of the ringing call.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ringing {
    call_id: String,
    caller: String,
    called: String,
    media: Media,
    skill: Option<String>,
    transferred_from: Option<String>,
    since: u64,
}

#[component]
pub fn RingingBanner() -> impl IntoView {
    let tb = use_toolbar();
    let ringing = Memo::new(move |_| {
        tb.session.with(|s| {
            s.ringing().map(|c| Ringing {
                call_id: c.id.clone(),
                caller: c.caller.clone(),
                called: c.called.clone(),
                media: c.media,
                skill: c.skill.clone(),
                transferred_from: c.transferred_from.clone(),
                since: c.phase_since,
            })
        })
    });
    let reject_open = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(tb.shortcut.get(), Some((Shortcut::Reject, _))) && ringing.with_untracked(Option::is_some)
        {
            reject_open.set(true);
        }
    });
    // A new ring starts with the dialog closed.
    Effect::new(move |_| {
        ringing.track();
        if ringing.with(Option::is_none) {
            reject_open.set(false);
        }
    });

    move || {
        ringing.get().map(|r| {
            let lang = tb.lang.get();
            let media = match r.media {
                Media::Voice => Msg::MediaVoice,
                Media::Video => Msg::MediaVideo,
                Media::Chat => Msg::MediaChat,
            };
            let since = r.since;
            let answer_id = r.call_id.clone();
            let reject_id = r.call_id.clone();
            view! {
                <section class="ab-ring" data-testid="ringing-banner" role="region" aria-live="assertive"
                    aria-label=Msg::IncomingCall.text(lang)>
                    <div class="ab-ring__who">
                        <span class="ab-ring__title">{Msg::IncomingCall.text(lang)}" · "{media.text(lang)}</span>
                        <span class="ab-ring__caller" data-testid="ringing-caller">{r.caller.clone()}</span>
                        <span class="ab-ring__detail">
                            {Msg::Called.text(lang)}": "<span data-testid="ringing-called">{r.called.clone()}</span>
                        </span>
                        {r.skill.clone().map(|s| view! {
                            <span class="ab-ring__detail">{Msg::Skill.text(lang)}": "<span data-testid="ringing-skill">{s}</span></span>
                        })}
                        {r.transferred_from.clone().map(|t| view! {
                            <span class="ab-ring__detail">{Msg::TransferredFrom.text(lang)}": "<span data-testid="ringing-transfer">{t}</span></span>
                        })}
                        <Elapsed since testid="ringing-timer"/>
                    </div>
                    <div class="ab-ring__actions">
                        <button type="button" class="ab-btn ab-btn--ok ab-btn--big" data-testid="answer"
                            title=titled(Msg::Answer, Shortcut::Answer) aria-keyshortcuts=key_label(tb, Shortcut::Answer)
                            on:click=move |_| tb.send(Intent::Answer { call_id: answer_id.clone() })>
                            {tr(Msg::Answer)}
                        </button>
                        <button type="button" class="ab-btn ab-btn--danger ab-btn--big" data-testid="reject"
                            title=titled(Msg::Reject, Shortcut::Reject) aria-keyshortcuts=key_label(tb, Shortcut::Reject)
                            aria-haspopup="dialog" on:click=move |_| reject_open.set(true)>
                            {tr(Msg::Reject)}
                        </button>
                    </div>
                    <Show when=move || reject_open.get()>
                        <RejectDialog call_id=reject_id.clone() on_close=Callback::new(move |_| reject_open.set(false))/>
                    </Show>
                </section>
            }
        })
    }
}
