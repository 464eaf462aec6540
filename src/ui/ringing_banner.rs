//! The ringing banner: who calls, on which line and skill queue, with what call data, for how
//! long; answer or reject.

use super::{key_label, titled, tr, use_commands, use_view, Elapsed, RejectDialog};
use crate::core::actions::Action;
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
    calldata: Option<String>,
    transferred_from: Option<String>,
    since: u64,
    /// An answer or reject is on its way, or succeeded and the gateway has not moved the call.
    working: bool,
}

#[component]
pub fn RingingBanner() -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let ringing = Memo::new(move |_| {
        ui.session.with(|s| {
            s.ringing().map(|c| Ringing {
                call_id: c.id.clone(),
                caller: c.caller.clone(),
                called: c.called.clone(),
                media: c.media,
                skill: c.skill.clone(),
                calldata: c.calldata.clone(),
                transferred_from: c.transferred_from.clone(),
                since: c.phase_since,
                working: c.settling.is_some()
                    || s.is_pending(Action::Answer, &c.id)
                    || s.is_pending(Action::Reject, &c.id),
            })
        })
    });
    let ringing_id = Memo::new(move |_| ringing.with(|r| r.as_ref().map(|r| r.call_id.clone())));
    // The reject dialog belongs to one ring: it closes when that call stops ringing and never
    // moves on to another caller.
    let reject_for = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let id = ringing_id.get();
        if reject_for.get_untracked().is_some_and(|open| Some(open) != id) {
            reject_for.set(None);
        }
    });
    Effect::new(move |_| {
        if matches!(ui.shortcut.get(), Some((Shortcut::Reject, _))) {
            if let Some(id) = ringing_id.get_untracked() {
                reject_for.set(Some(id));
            }
        }
    });

    let banner = move || {
        ringing.get().map(|r| {
            let lang = ui.lang.get();
            let media = match r.media {
                Media::Voice => Msg::MediaVoice,
                Media::Video => Msg::MediaVideo,
                Media::Chat => Msg::MediaChat,
            };
            let since = r.since;
            let answer_id = r.call_id.clone();
            let reject_id = r.call_id.clone();
            let working = r.working;
            view! {
                <section class="ab-ring" data-testid="ringing-banner" role="region" aria-live="assertive"
                    aria-label=Msg::IncomingCall.text(lang) aria-busy=working.to_string()>
                    <div class="ab-ring__who">
                        <span class="ab-ring__title">{Msg::IncomingCall.text(lang)}" · "{media.text(lang)}</span>
                        <span class="ab-ring__caller" data-testid="ringing-caller">{r.caller.clone()}</span>
                        <span class="ab-ring__detail">
                            {Msg::Called.text(lang)}": "<span data-testid="ringing-called">{r.called.clone()}</span>
                        </span>
                        {r.skill.clone().map(|s| view! {
                            <span class="ab-ring__detail">{Msg::Skill.text(lang)}": "<span data-testid="ringing-skill">{s}</span></span>
                        })}
                        {r.calldata.clone().filter(|d| !d.is_empty()).map(|d| view! {
                            <span class="ab-ring__detail">{Msg::CallData.text(lang)}": "<span data-testid="ringing-calldata">{d}</span></span>
                        })}
                        {r.transferred_from.clone().map(|t| view! {
                            <span class="ab-ring__detail">{Msg::TransferredFrom.text(lang)}": "<span data-testid="ringing-transfer">{t}</span></span>
                        })}
                        <Elapsed since testid="ringing-timer"/>
                    </div>
                    <div class="ab-ring__actions">
                        <button type="button" class="ab-btn ab-btn--ok ab-btn--big" data-testid="answer"
                            class:ab-btn--pending=working aria-busy=working.to_string() disabled=working
                            title=titled(Msg::Answer, Shortcut::Answer) aria-keyshortcuts=key_label(ui, Shortcut::Answer)
                            on:click=move |_| cmd.send(Intent::Answer { call_id: answer_id.clone() })>
                            {if working { Msg::Working.text(lang) } else { Msg::Answer.text(lang) }}
                        </button>
                        <button type="button" class="ab-btn ab-btn--danger ab-btn--big" data-testid="reject"
                            title=titled(Msg::Reject, Shortcut::Reject) aria-keyshortcuts=key_label(ui, Shortcut::Reject)
                            disabled=working aria-haspopup="dialog" on:click=move |_| reject_for.set(Some(reject_id.clone()))>
                            {tr(Msg::Reject)}
                        </button>
                    </div>
                </section>
            }
        })
    };
    // Outside the banner's view, so a change of the banner (a request going out) does not
    // rebuild the dialog and lose the agent's choice.
    let dialog = move || {
        reject_for.get().map(|call_id| {
            view! { <RejectDialog call_id on_close=Callback::new(move |_| reject_for.set(None))/> }
        })
    };
    view! { {banner} {dialog} }
}
