//! The agent's state with its timer, and the buttons that change it.

use super::{key_label, titled, tr, use_toolbar};
use crate::core::actions::{allowed_actions, readiness_problems, Action};
use crate::core::model::{AgentState, DisplayState};
use crate::core::step::Intent;
use crate::i18n::{format_elapsed, Msg};
use crate::keys::Shortcut;
use leptos::prelude::*;

#[component]
pub fn StateBar() -> impl IntoView {
    let tb = use_toolbar();
    let display = Memo::new(move |_| tb.session.with(|s| s.display_state()));
    let since = Memo::new(move |_| tb.session.with(|s| s.display_since()));
    let rest_until = Memo::new(move |_| {
        tb.session.with(|s| match s.agent {
            AgentState::Rest { until, .. } => until,
            _ => None,
        })
    });
    let allowed = Memo::new(move |_| tb.session.with(allowed_actions));
    let can = move |a: Action| allowed.get().contains(a);
    let busy_reason = RwSignal::new(String::new());
    // Before Ready: is the event stream alive, can a ring be heard and seen?
    let problems = RwSignal::new(Vec::<Msg>::new());
    let go_ready = move || {
        let found = tb.session.with_untracked(|s| {
            readiness_problems(
                s,
                tb.sound_on.get_untracked(),
                tb.notify_permission.get_untracked() == "granted",
            )
        });
        if found.is_empty() {
            tb.send(Intent::Ready);
        }
        problems.set(found);
    };
    let rest_open = RwSignal::new(false);
    let rest_minutes = RwSignal::new("15".to_string());
    let rest_cause = RwSignal::new("0".to_string());
    let reasons = tb.config.with_value(|c| c.busy_reasons.clone());

    let elapsed = move || format_elapsed(tb.clock.get().saturating_sub(since.get()));
    let time_left = move || {
        rest_until.get().map(|until| {
            let left = until.saturating_sub(tb.clock.get());
            format!("{} {}", format_elapsed(left), Msg::TimeLeft.text(tb.lang.get()))
        })
    };
    let in_wrap_up = move || display.get() == DisplayState::WrapUp;

    let start_rest = move || {
        let minutes: u64 = rest_minutes.get_untracked().trim().parse().unwrap_or(0);
        let cause: i64 = rest_cause.get_untracked().trim().parse().unwrap_or(0);
        // rest/{time} takes 1–86399 seconds, restcause 0–255.
        let seconds = (minutes * 60).clamp(60, 86_399);
        tb.send(Intent::Rest { seconds, cause: cause.clamp(0, 255) });
        rest_open.set(false);
    };

    view! {
        <section class="ab-state" aria-label=tr(Msg::InitialState)>
            <span class=move || format!("ab-state__label ab-state__label--{}", display.get().name())
                data-testid="agent-state" data-state=move || display.get().name()>
                <span class="ab-state__name">{move || display.get().msg().text(tb.lang.get())}</span>
                <span class="ab-timer" data-testid="agent-state-timer">{elapsed}</span>
                {move || time_left().map(|t| view! { <span class="ab-timer ab-timer--left">{t}</span> })}
            </span>
            <div class="ab-state__actions">
                <button type="button" class="ab-btn ab-btn--ok" data-testid="state-ready"
                    title=titled(Msg::Ready, Shortcut::Ready) aria-keyshortcuts=key_label(tb, Shortcut::Ready)
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
                        title=titled(Msg::Busy, Shortcut::Busy) aria-keyshortcuts=key_label(tb, Shortcut::Busy)
                        disabled=move || !can(Action::Busy)
                        on:click=move |_| tb.send(Intent::Busy { reason: busy_reason.get_untracked().parse().ok() })>
                        {tr(Msg::Busy)}
                    </button>
                </span>
                <button type="button" class="ab-btn" data-testid="state-rest" hidden=!tb.session.with_untracked(|s| s.supported.contains(Action::Rest)) aria-expanded=move || rest_open.get().to_string()
                    disabled=move || !can(Action::Rest) on:click=move |_| rest_open.update(|o| *o = !*o)>
                    {tr(Msg::Rest)}
                </button>
                <button type="button" class="ab-btn" data-testid="state-wrapup"
                    disabled=move || !(can(Action::EnterWrapUp) || can(Action::LeaveWrapUp))
                    on:click=move |_| tb.send(if in_wrap_up() { Intent::LeaveWrapUp } else { Intent::EnterWrapUp })>
                    {move || if in_wrap_up() { Msg::LeaveWrapUp.text(tb.lang.get()) } else { Msg::WrapUp.text(tb.lang.get()) }}
                </button>
                <button type="button" class="ab-btn ab-btn--quiet" data-testid="signout" on:click=move |_| tb.send(Intent::SignOut)>
                    {tr(Msg::SignOut)}
                </button>
            </div>
            <Show when=move || !problems.with(Vec::is_empty) && can(Action::Ready)>
                <div class="ab-readiness" data-testid="readiness-check" role="alert">
                    <span class="ab-readiness__title">{tr(Msg::ReadyCheckTitle)}</span>
                    <ul>{move || problems.get().into_iter().map(|m| view! { <li>{tr(m)}</li> }).collect_view()}</ul>
                    <button type="button" class="ab-btn" data-testid="readiness-override"
                        on:click=move |_| { problems.set(Vec::new()); tb.send(Intent::Ready); }>
                        {tr(Msg::ReadyAnyway)}
                    </button>
                    <button type="button" class="ab-btn ab-btn--quiet" on:click=move |_| problems.set(Vec::new())>{tr(Msg::Cancel)}</button>
                </div>
            </Show>
            {move || tb.stalled.get().map(|secs| view! {
                <div class="ab-readiness" data-testid="watchdog-warning" role="alert">
                    {format!("{} ({secs} s)", Msg::TabStalled.text(tb.lang.get()))}
                    <button type="button" class="ab-btn ab-btn--quiet" on:click=move |_| tb.stalled.set(None)>{tr(Msg::Dismiss)}</button>
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
