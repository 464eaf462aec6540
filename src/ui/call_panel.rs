//! The call panel: the call the agent is on (party, direction, talk timer; hang up, hold,
//! mute, keypad) and the dialer for calling out.

use super::{key_label, titled, tr, use_commands, use_view, ConsultPicker, Elapsed, TransferDialog};
use crate::config::Vendor;
use crate::core::actions::{allowed_actions, Action};
use crate::core::event::Media;
use crate::core::model::{CallPhase, Direction};
use crate::core::step::Intent;
use crate::core::transfer::TransferKind;
use crate::core::validate;
use crate::i18n::Msg;
use crate::keys::Shortcut;
use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
struct ActiveCall {
    call_id: String,
    media: Media,
    party: String,
    direction: Direction,
    dialing: bool,
    muted: bool,
    calldata: Option<String>,
    since: u64,
    /// Requests on this call that are on their way (or confirmed but not yet seen happen).
    working: Vec<Action>,
}

/// Which call a dialog or the keypad was opened for. It stays open while that call is the
/// agent's current call, whatever else changes (a second ring, a mute, the hold list).
type OpenFor = RwSignal<Option<String>>;

#[component]
pub fn CallPanel() -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let active = Memo::new(move |_| {
        ui.session.with(|s| {
            s.active().map(|c| ActiveCall {
                call_id: c.id.clone(),
                media: c.media,
                party: c.other_party().to_string(),
                direction: c.direction,
                dialing: matches!(c.phase, CallPhase::Dialing { .. }),
                muted: c.muted,
                calldata: c.calldata.clone().filter(|d| !d.is_empty()),
                since: c.phase_since,
                working: [
                    Action::HangUp,
                    Action::Hold,
                    Action::Mute,
                    Action::Unmute,
                    Action::Transfer,
                    Action::Consult,
                ]
                .into_iter()
                .filter(|a| s.is_pending(*a, &c.id) || c.settling == Some(*a))
                .collect(),
            })
        })
    });
    let active_id = Memo::new(move |_| active.with(|c| c.as_ref().map(|c| c.call_id.clone())));
    let allowed = Memo::new(move |_| ui.session.with(allowed_actions));
    let keypad_for: OpenFor = RwSignal::new(None);
    let transfer_for: OpenFor = RwSignal::new(None);
    let consult_for: OpenFor = RwSignal::new(None);
    // A dialog belongs to the call it was opened for: it closes when that call is no longer
    // the current one (hung up, held, transferred), and never reopens for the next call.
    Effect::new(move |_| {
        let id = active_id.get();
        for open in [keypad_for, transfer_for, consult_for] {
            if open.get_untracked().is_some_and(|o| Some(o) != id) {
                open.set(None);
            }
        }
    });
    Effect::new(move |_| {
        if matches!(ui.shortcut.get(), Some((Shortcut::Transfer, _)))
            && allowed.with_untracked(|a| a.contains(Action::Transfer))
        {
            transfer_for.set(active_id.get_untracked());
        }
    });
    let transfer =
        Memo::new(move |_| ui.session.with(|s| s.transfer.as_ref().map(|t| (t.address.clone(), t.since))));

    // Everything reactive is read here, in the panel's one long-lived closure, and the call's
    // view below is static: views that come and go with calls must not subscribe to long-lived
    // signals (reactive_graph 0.2 keeps a dropped effect in its sources' subscriber sets, so
    // memory grew with every call). The view is rebuilt when any of these change; the dialogs
    // are not part of it (see below), so a rebuild never loses what the agent typed.
    let call_view = move || {
        let allowed_now = allowed.get();
        let keypad_open = keypad_for.get();
        let progress = transfer.get();
        active.get().map(|c| {
            let working = |a: Action| c.working.contains(&a);
            let can = move |a: Action| allowed_now.contains(a);
            let lang = ui.lang.get();
            let direction = match c.direction {
                Direction::Inbound => Msg::Inbound,
                Direction::Outbound => Msg::Outbound,
                Direction::Internal => Msg::Internal,
            };
            let since = c.since;
            let (hang_id, hold_id, mute_id) = (c.call_id.clone(), c.call_id.clone(), c.call_id.clone());
            let (transfer_id, consult_id, keypad_id) = (c.call_id.clone(), c.call_id.clone(), c.call_id.clone());
            let show_keypad = keypad_open.as_deref() == Some(c.call_id.as_str());
            let muted = c.muted;
            let hanging_up = working(Action::HangUp);
            let holding = working(Action::Hold);
            let muting = working(Action::Mute) || working(Action::Unmute);
            view! {
                <section class="ab-call" data-testid="call-panel" aria-label=Msg::StateTalking.text(lang)>
                    <div class="ab-call__who">
                        <span class="ab-call__party" data-testid="call-party">{c.party.clone()}</span>
                        <span class="ab-call__dir">{direction.text(lang)}</span>
                        {c.dialing.then(|| view! { <span class="ab-call__dir">{Msg::StateDialing.text(lang)}</span> })}
                        {muted.then(|| view! { <span class="ab-badge" data-testid="muted-badge">{Msg::Muted.text(lang)}</span> })}
                        {c.calldata.clone().map(|d| view! {
                            <span class="ab-call__dir">{Msg::CallData.text(lang)}": "<span data-testid="call-calldata">{d}</span></span>
                        })}
                        <Elapsed since testid="call-timer"/>
                    </div>
                    <div class="ab-call__actions">
                        <button type="button" class="ab-btn ab-btn--danger" data-testid="hangup"
                            class:ab-btn--pending=hanging_up aria-busy=hanging_up.to_string()
                            title=titled(Msg::HangUp, Shortcut::HangUp) aria-keyshortcuts=key_label(ui, Shortcut::HangUp)
                            disabled=!can(Action::HangUp) || hanging_up
                            on:click=move |_| cmd.send(Intent::HangUp { call_id: hang_id.clone() })>
                            {tr(Msg::HangUp)}
                        </button>
                        <button type="button" class="ab-btn" data-testid="hold"
                            class:ab-btn--pending=holding aria-busy=holding.to_string()
                            title=titled(Msg::Hold, Shortcut::Hold) aria-keyshortcuts=key_label(ui, Shortcut::Hold)
                            disabled=!can(Action::Hold) || holding
                            on:click=move |_| cmd.send(Intent::Hold { call_id: hold_id.clone() })>
                            {tr(Msg::Hold)}
                        </button>
                        <button type="button" class="ab-btn" data-testid="mute" aria-pressed=muted.to_string()
                            class:ab-btn--pending=muting aria-busy=muting.to_string()
                            disabled=!(can(Action::Mute) || can(Action::Unmute)) || muting
                            on:click=move |_| {
                                let call_id = mute_id.clone();
                                cmd.send(if muted { Intent::Unmute { call_id } } else { Intent::Mute { call_id } })
                            }>
                            {if muted { Msg::Unmute.text(lang) } else { Msg::Mute.text(lang) }}
                        </button>
                        <button type="button" class="ab-btn" data-testid="transfer-open" aria-haspopup="dialog"
                            title=titled(Msg::Transfer, Shortcut::Transfer) aria-keyshortcuts=key_label(ui, Shortcut::Transfer)
                            disabled=!can(Action::Transfer) on:click=move |_| transfer_for.set(Some(transfer_id.clone()))>
                            {tr(Msg::Transfer)}
                        </button>
                        <button type="button" class="ab-btn" data-testid="consult-open" aria-haspopup="dialog"
                            disabled=!can(Action::Consult) on:click=move |_| consult_for.set(Some(consult_id.clone()))>
                            {tr(Msg::Consult)}
                        </button>
                        <button type="button" class="ab-btn" data-testid="keypad-open" aria-expanded=show_keypad.to_string()
                            disabled=!can(Action::Dtmf)
                            on:click=move |_| keypad_for.update(|o| *o = if o.is_some() { None } else { Some(keypad_id.clone()) })>
                            {tr(Msg::Keypad)}
                        </button>
                    </div>
                    {progress.map(|(to, since)| view! {
                        <span class="ab-call__progress" data-testid="transfer-progress" role="status">
                            {tr(Msg::Transferring)}" "{to}" "
                            <Elapsed since testid="transfer-timer"/>
                        </span>
                    })}
                    {(show_keypad && can(Action::Dtmf)).then(|| view! { <Keypad call_id=c.call_id.clone()/> })}
                </section>
            }
        })
    };
    // The dialogs re-render only when they open or close.
    let transfer_dialog = move || {
        transfer_for.get().map(|call_id| {
            let media = ui.session.with_untracked(|s| s.call(&call_id).map(|c| c.media).unwrap_or_default());
            let kind = TransferKind::for_call(ui.vendor == Vendor::Aliyun, media);
            view! { <TransferDialog call_id kind on_close=Callback::new(move |_| transfer_for.set(None))/> }
        })
    };
    let consult_dialog = move || {
        consult_for.get().map(|customer_call_id| {
            view! { <ConsultPicker customer_call_id on_close=Callback::new(move |_| consult_for.set(None))/> }
        })
    };

    view! {
        {call_view}
        {transfer_dialog}
        {consult_dialog}
        <Show when=move || allowed.get().contains(Action::CallOut)>
            <Dialer/>
        </Show>
    }
}

/// DTMF keypad for the current call (`seconddialex`).
#[component]
fn Keypad(call_id: String) -> impl IntoView {
    let _ui = use_view();
    let cmd = use_commands();
    let send_digit = move |digit: &'static str| {
        cmd.send(Intent::Dtmf { call_id: call_id.clone(), digits: digit.to_string() });
    };
    let keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
    view! {
        <div class="ab-keypad" role="group" aria-label=tr(Msg::Keypad) data-testid="keypad">
            {keys.into_iter().map(|k| {
                let send_digit = send_digit.clone();
                view! {
                    <button type="button" class="ab-btn ab-keypad__key" data-testid=format!("dtmf-{k}")
                        on:click=move |_| send_digit(k)>{k}</button>
                }
            }).collect_view()}
        </div>
    }
}

/// Calling out: a number field validated before the request is sent.
#[component]
fn Dialer() -> impl IntoView {
    let _ui = use_view();
    let cmd = use_commands();
    let open = RwSignal::new(false);
    let number = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let invalid = move || tried.get() && !validate::dial_number(&number.get());
    let dial = move || {
        tried.set(true);
        let n = number.get_untracked().trim().to_string();
        if validate::dial_number(&n) {
            cmd.send(Intent::CallOut { number: n });
            number.set(String::new());
            tried.set(false);
            open.set(false);
        }
    };
    view! {
        <div class="ab-dialer">
            <button type="button" class="ab-btn" data-testid="dial-open" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                {tr(Msg::CallOut)}
            </button>
            <Show when=move || open.get()>
                <form class="ab-dialer__form" novalidate on:submit=move |ev| { ev.prevent_default(); dial(); }>
                    <input data-testid="dial-number" inputmode="tel" aria-label=tr(Msg::NumberToDial)
                        aria-invalid=move || invalid().to_string()
                        prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev))/>
                    <button type="submit" class="ab-btn ab-btn--primary" data-testid="dial-submit">{tr(Msg::Dial)}</button>
                    <Show when=invalid>
                        <span class="ab-field__error" role="alert" data-testid="dial-error">{tr(Msg::DialInvalid)}</span>
                    </Show>
                </form>
            </Show>
        </div>
    }
}
