//! The hold-list panel (seed 001): every held call with its hold timer; retrieve, connect to
//! the current call, or hang up that call. On screen whenever a call is held.

use super::{tr, use_commands, use_view, Elapsed};
use crate::core::actions::{allowed_actions, Action};
use crate::core::step::Intent;
use crate::i18n::{call_feature, Msg};
use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
struct HeldRow {
    call_id: String,
    caller: String,
    called: String,
    skill: Option<String>,
    feature: i64,
    since: u64,
    /// A retrieve, connect or hang-up of this call is on its way.
    working: bool,
}

#[component]
pub fn HoldList() -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let rows = Memo::new(move |_| {
        ui.session.with(|s| {
            s.held()
                .map(|c| HeldRow {
                    call_id: c.id.clone(),
                    caller: c.caller.clone(),
                    called: c.called.clone(),
                    skill: c.skill.clone(),
                    feature: c.feature,
                    since: c.phase_since,
                    working: c.settling.is_some()
                        || [Action::Retrieve, Action::ConnectHeld, Action::HangUp]
                            .into_iter()
                            .any(|a| s.is_pending(a, &c.id)),
                })
                .collect::<Vec<_>>()
        })
    });
    let has_active = Memo::new(move |_| ui.session.with(|s| s.active().is_some()));
    let can_retrieve = Memo::new(move |_| ui.session.with(|s| allowed_actions(s).contains(Action::Retrieve)));
    let opened = RwSignal::new(false);
    let shown = move || opened.get() || !rows.with(Vec::is_empty);

    // Built once and shown or hidden: a panel rebuilt each time a call is held would leave its
    // count, list and buttons in the subscribers of the long-lived `rows` memo, a handful per
    // hold (reactive_graph 0.2 keeps a dropped effect in its sources' subscriber sets).
    view! {
        <button type="button" class="ab-btn ab-btn--quiet ab-hold__open" data-testid="hold-list-open"
            hidden=shown
            on:click=move |_| {
                opened.set(true);
                cmd.refresh_hold_list();
            }>
            {tr(Msg::HoldList)}
        </button>
        <section class="ab-hold" data-testid="hold-list" aria-label=tr(Msg::HoldList) hidden=move || !shown()>
            <h2 class="ab-hold__title">
                {tr(Msg::HoldList)}
                <span class="ab-hold__count">{move || rows.with(Vec::len)}</span>
            </h2>
            <p class="ab-hold__empty" data-testid="hold-empty" hidden=move || !rows.with(Vec::is_empty)>{tr(Msg::NoHeldCalls)}</p>
            <ul class="ab-hold__list">
                // Rows are static and keyed by what they show, so a row never subscribes to
                // the list's long-lived memos (see CallPanel).
                <For each=move || { let (a, r) = (has_active.get(), can_retrieve.get()); rows.get().into_iter().map(move |row| (row, a, r)).collect::<Vec<_>>() }
                    key=|(row, a, r)| (row.call_id.clone(), row.working, *a, *r)
                    children=move |(row, has_active, can_retrieve)| view! { <HeldCallRow row has_active can_retrieve/> }/>
            </ul>
            <button type="button" class="ab-btn ab-btn--quiet" hidden=move || !(opened.get() && rows.with(Vec::is_empty))
                on:click=move |_| opened.set(false)>
                {tr(Msg::Dismiss)}
            </button>
        </section>
    }
}

#[component]
fn HeldCallRow(row: HeldRow, has_active: bool, can_retrieve: bool) -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let since = row.since;
    let working = row.working;
    let (retrieve_id, connect_id, drop_id) = (row.call_id.clone(), row.call_id.clone(), row.call_id.clone());
    view! {
        <li class="ab-hold__item" data-testid="hold-item" data-callid=row.call_id.clone()>
            <span class="ab-hold__who">
                <span class="ab-hold__caller" data-testid="hold-caller">{row.caller.clone()}</span>
                <span class="ab-hold__detail">{tr(Msg::Called)}": "{row.called.clone()}</span>
                {row.skill.clone().map(|s| view! { <span class="ab-hold__detail">{tr(Msg::Skill)}": "{s}</span> })}
                <span class="ab-hold__detail" data-testid="hold-type">{tr(call_feature(row.feature))}</span>
                <Elapsed since testid="hold-timer"/>
            </span>
            <span class="ab-hold__actions">
                <button type="button" class="ab-btn" data-testid="hold-retrieve"
                    class:ab-btn--pending=working aria-busy=working.to_string()
                    disabled=!can_retrieve || has_active || working
                    on:click=move |_| cmd.send(Intent::Retrieve { call_id: retrieve_id.clone() })>
                    {tr(Msg::Retrieve)}
                </button>
                <button type="button" class="ab-btn" data-testid="hold-connect"
                    hidden=!ui.session.with_untracked(|s| s.supported.contains(Action::ConnectHeld)) title=tr(Msg::ConnectHint)
                    disabled=!has_active || working
                    on:click=move |_| cmd.send(Intent::ConnectHeld { call_id: connect_id.clone() })>
                    {tr(Msg::Connect)}
                </button>
                <button type="button" class="ab-btn ab-btn--danger" data-testid="hold-drop" disabled=working
                    on:click=move |_| cmd.send(Intent::DropCall { call_id: drop_id.clone() })>
                    {tr(Msg::DropCall)}
                </button>
            </span>
        </li>
    }
}
