//! The agent's state with its timer, and the buttons that change it.

use super::{key_label, titled, tr, use_commands, use_ring, use_view};
use crate::core::actions::{allowed_actions, readiness, Action, Readiness};
use crate::core::model::{AgentState, CallPhase, DisplayState};
use crate::core::step::Intent;
use crate::i18n::{format_elapsed, Msg};
use crate::keys::Shortcut;
use leptos::prelude::*;

#[component]
pub fn StateBar() -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let ring = use_ring();
    let display = Memo::new(move |_| ui.session.with(|s| s.display_state()));
    let since = Memo::new(move |_| ui.session.with(|s| s.display_since()));
    let rest_until = Memo::new(move |_| {
        ui.session.with(|s| match s.agent {
            AgentState::Rest { until, .. } => until,
            _ => None,
        })
    });
    let allowed = Memo::new(move |_| ui.session.with(allowed_actions));
    let pending =
        Memo::new(move |_| ui.session.with(|s| s.pending.iter().map(|p| p.action).collect::<Vec<_>>()));
    let can = move |a: Action| allowed.get().contains(a) && !pending.with(|p| p.contains(&a));
    let working = move |a: Action| pending.with(|p| p.contains(&a));
    let busy_reason = RwSignal::new(String::new());
    // Before Ready: is the event stream alive, can a ring be heard or seen? Ready is one click
    // when it can; the check only stops the agent when no ring would reach them.
    let problems = RwSignal::new(Vec::<Msg>::new());
    let go_ready = move || {
        let check = ui.session.with_untracked(|s| {
            readiness(s, ring.sound_on.get_untracked(), ring.notify_permission.get_untracked() == "granted")
        });
        match check {
            Readiness::Block(found) => problems.set(found),
            Readiness::Go | Readiness::Warn(_) => {
                problems.set(Vec::new());
                cmd.send(Intent::Ready);
            }
        }
    };
    // Sign-out never abandons a customer silently: with calls up, it asks first and names them.
    let signout_calls = RwSignal::new(Vec::<(String, Msg)>::new());
    let sign_out = move || {
        let calls = ui.session.with_untracked(|s| {
            s.calls
                .iter()
                .filter(|c| c.feature != 51)
                .map(|c| {
                    let phase = match c.phase {
                        CallPhase::Ringing => Msg::StateRinging,
                        CallPhase::Dialing { .. } => Msg::StateDialing,
                        CallPhase::Talking => Msg::StateTalking,
                        CallPhase::Held => Msg::StateHeld,
                    };
                    (c.other_party().to_string(), phase)
                })
                .collect::<Vec<_>>()
        });
        if calls.is_empty() {
            cmd.send(Intent::SignOut);
        }
        signout_calls.set(calls);
    };
    let rest_open = RwSignal::new(false);
    let rest_minutes = RwSignal::new("15".to_string());
    let rest_cause = RwSignal::new("0".to_string());
    let reasons = ui.config.with_value(|c| c.busy_reasons.clone());

    let elapsed = move || format_elapsed(ui.clock.get().saturating_sub(since.get()));
    let time_left = move || {
        rest_until.get().map(|until| {
            let left = until.saturating_sub(ui.clock.get());
            format!("{} {}", format_elapsed(left), Msg::TimeLeft.text(ui.lang.get()))
        })
    };
    let in_wrap_up = move || display.get() == DisplayState::WrapUp;

    let start_rest = move || {
        let minutes: u64 = rest_minutes.get_untracked().trim().parse().unwrap_or(0);
        let cause: i64 = rest_cause.get_untracked().trim().parse().unwrap_or(0);
        // rest/{time} takes 1–86399 seconds, restcause 0–255.
        let seconds = (minutes * 60).clamp(60, 86_399);
        cmd.send(Intent::Rest { seconds, cause: cause.clamp(0, 255) });
        rest_open.set(false);
    };

    view! {
        <section class="ab-state" aria-label=tr(Msg::InitialState)>
            <span class=move || format!("ab-state__label ab-state__label--{}", display.get().name())
                data-testid="agent-state" data-state=move || display.get().name()>
                <span class="ab-state__name">{move || display.get().msg().text(ui.lang.get())}</span>
                <span class="ab-timer" data-testid="agent-state-timer">{elapsed}</span>
                {move || time_left().map(|t| view! { <span class="ab-timer ab-timer--left">{t}</span> })}
            </span>
            <div class="ab-state__actions">
                <button type="button" class="ab-btn ab-btn--ok" data-testid="state-ready"
                    title=titled(Msg::Ready, Shortcut::Ready) aria-keyshortcuts=key_label(ui, Shortcut::Ready)
                    class:ab-btn--pending=move || working(Action::Ready) aria-busy=move || working(Action::Ready).to_string()
                    disabled=move || !can(Action::Ready) on:click=move |_| go_ready()>
                    {tr(Msg::Ready)}
                </button>
                <span class="ab-group">
                    <select class="ab-select" data-testid="busy-reason" aria-label=tr(Msg::BusyReason)
                        on:change=move |ev| busy_reason.set(event_target_value(&ev))>
                        <option value="">{tr(Msg::NoReason)}</option>
                        {reasons.into_iter().map(|(code, name)| view! { <option value=code.to_string()>{name}</option> }).collect_view()}
                    </select>
                    <button type="button" class="ab-btn" data-testid="state-busy"
                        title=titled(Msg::Busy, Shortcut::Busy) aria-keyshortcuts=key_label(ui, Shortcut::Busy)
                        class:ab-btn--pending=move || working(Action::Busy) aria-busy=move || working(Action::Busy).to_string()
                        disabled=move || !can(Action::Busy)
                        on:click=move |_| cmd.send(Intent::Busy { reason: busy_reason.get_untracked().parse().ok() })>
                        {tr(Msg::Busy)}
                    </button>
                </span>
                <button type="button" class="ab-btn" data-testid="state-rest" hidden=!ui.session.with_untracked(|s| s.supported.contains(Action::Rest)) aria-expanded=move || rest_open.get().to_string()
                    disabled=move || !can(Action::Rest) on:click=move |_| rest_open.update(|o| *o = !*o)>
                    {tr(Msg::Rest)}
                </button>
                <button type="button" class="ab-btn" data-testid="state-wrapup"
                    disabled=move || !(can(Action::EnterWrapUp) || can(Action::LeaveWrapUp))
                    on:click=move |_| cmd.send(if in_wrap_up() { Intent::LeaveWrapUp } else { Intent::EnterWrapUp })>
                    {move || if in_wrap_up() { Msg::LeaveWrapUp.text(ui.lang.get()) } else { Msg::WrapUp.text(ui.lang.get()) }}
                </button>
                <button type="button" class="ab-btn ab-btn--quiet" data-testid="signout"
                    class:ab-btn--pending=move || working(Action::SignOut) aria-busy=move || working(Action::SignOut).to_string()
                    disabled=move || working(Action::SignOut) aria-haspopup="dialog" on:click=move |_| sign_out()>
                    {tr(Msg::SignOut)}
                </button>
            </div>
            <Show when=move || !signout_calls.with(Vec::is_empty)>
                <SignOutDialog calls=signout_calls.get_untracked() on_close=Callback::new(move |_| signout_calls.set(Vec::new()))/>
            </Show>
            <Show when=move || !problems.with(Vec::is_empty) && can(Action::Ready)>
                <div class="ab-readiness" data-testid="readiness-check" role="alert">
                    <span class="ab-readiness__title">{tr(Msg::ReadyBlocked)}</span>
                    <ul>{move || problems.get().into_iter().map(|m| view! { <li>{tr(m)}</li> }).collect_view()}</ul>
                    <button type="button" class="ab-btn" data-testid="readiness-override"
                        on:click=move |_| {
                            problems.set(Vec::new());
                            cmd.ready_anyway();
                            cmd.send(Intent::Ready);
                        }>
                        {tr(Msg::ReadyAnyway)}
                    </button>
                    <button type="button" class="ab-btn ab-btn--quiet" on:click=move |_| problems.set(Vec::new())>{tr(Msg::Cancel)}</button>
                </div>
            </Show>
            {move || ring.stalled.get().map(|secs| view! {
                <div class="ab-readiness" data-testid="watchdog-warning" role="alert">
                    {format!("{} ({secs} s)", Msg::TabStalled.text(ui.lang.get()))}
                    <button type="button" class="ab-btn ab-btn--quiet" on:click=move |_| ring.stalled.set(None)>{tr(Msg::Dismiss)}</button>
                </div>
            })}
            <Show when=move || rest_open.get() && can(Action::Rest)>
                <form class="ab-rest" on:submit=move |ev| { ev.prevent_default(); start_rest(); }>
                    <label class="ab-field ab-field--inline">
                        <input data-testid="rest-minutes" type="number" min="1" max="1439" inputmode="numeric"
                            prop:value=move || rest_minutes.get() on:input=move |ev| rest_minutes.set(event_target_value(&ev))/>
                        <span>{tr(Msg::RestMinutes)}</span>
                    </label>
                    <label class="ab-field ab-field--inline">
                        <span>{tr(Msg::RestCause)}</span>
                        <input data-testid="rest-cause" type="number" min="0" max="255" inputmode="numeric"
                            prop:value=move || rest_cause.get() on:input=move |ev| rest_cause.set(event_target_value(&ev))/>
                    </label>
                    <button type="submit" class="ab-btn ab-btn--primary" data-testid="rest-confirm">{tr(Msg::StartRest)}</button>
                    <button type="button" class="ab-btn ab-btn--quiet" on:click=move |_| rest_open.set(false)>{tr(Msg::Cancel)}</button>
                </form>
            </Show>
        </section>
    }
}

/// Sign-out with calls up: names them, says what may happen to them, and keeps them unless the
/// agent confirms. "Keep my calls" has the focus, so Enter does the safe thing.
#[component]
fn SignOutDialog(calls: Vec<(String, Msg)>, on_close: Callback<()>) -> impl IntoView {
    let _ui = use_view();
    let cmd = use_commands();
    let _ring = use_ring();
    let node = NodeRef::new();
    super::focus::dialog(node, on_close);
    view! {
        <div class="ab-dialog" node_ref=node data-testid="signout-dialog" role="alertdialog" aria-modal="true"
            aria-labelledby="ab-signout-title" aria-describedby="ab-signout-text">
            <h2 id="ab-signout-title" class="ab-dialog__title">{tr(Msg::SignOutTitle)}</h2>
            <p id="ab-signout-text">{tr(Msg::SignOutCallsWarn)}</p>
            <ul data-testid="signout-calls">
                {calls.into_iter().map(|(party, phase)| view! { <li>{party}" · "{tr(phase)}</li> }).collect_view()}
            </ul>
            <div class="ab-actions">
                <button type="button" class="ab-btn ab-btn--primary" data-testid="signout-keep" on:click=move |_| on_close.run(())>
                    {tr(Msg::SignOutKeep)}
                </button>
                <button type="button" class="ab-btn ab-btn--danger" data-testid="signout-confirm"
                    on:click=move |_| {
                        cmd.send(Intent::SignOutLeavingCalls);
                        on_close.run(());
                    }>
                    {tr(Msg::SignOutAnyway)}
                </button>
            </div>
        </div>
    }
}
