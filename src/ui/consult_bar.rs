//! Consult: the target picker (innerhelp mode 1) and the consult bar with cancel, complete and
//! conference. Cancel keeps seed 000's promise: it works while the consultee still rings and
//! after they answered, and brings the agent back to the customer.

use super::transfer_dialog::directory_entries;
use super::{tr, use_commands, use_view, Elapsed};
use crate::core::actions::Action;
use crate::core::model::ConsultState;
use crate::core::step::Intent;
use crate::core::transfer::{ConsultTarget, DeviceType, MAX_ADDRESS_CHARS};
use crate::i18n::Msg;
use leptos::prelude::*;

#[component]
pub fn ConsultPicker(
    /// The customer's call, which goes on hold while the agent consults.
    customer_call_id: String,
    on_close: Callback<()>,
) -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let device = RwSignal::new(DeviceType::Agent);
    let target = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);
    let refused = RwSignal::new(false);
    let directory = super::use_directory();
    let node = NodeRef::new();
    super::focus::dialog(node, on_close);
    let start = move || {
        let address = target.get_untracked().trim().to_string();
        if address.is_empty() || address.chars().count() > MAX_ADDRESS_CHARS {
            invalid.set(true);
            return;
        }
        let intent = Intent::Consult {
            customer_call_id: customer_call_id.clone(),
            target: ConsultTarget { device: device.get_untracked(), address },
        };
        match cmd.ask(intent) {
            Ok(_) => on_close.run(()),
            Err(_) => refused.set(true),
        }
    };
    view! {
        <div class="ab-dialog ab-consult-picker" node_ref=node data-testid="consult-picker" role="dialog" aria-modal="true"
            aria-labelledby="ab-consult-title">
            <h2 id="ab-consult-title" class="ab-dialog__title">{tr(Msg::ConsultTitle)}</h2>
            <form class="ab-transfer__form" novalidate on:submit=move |e| { e.prevent_default(); start(); }>
                <label class="ab-field">
                    <span>{tr(Msg::TargetType)}</span>
                    <select data-testid="consult-devicetype"
                        on:change=move |e| device.set(if event_target_value(&e) == "1" { DeviceType::SkillQueue } else { DeviceType::Agent })>
                        <option value="2">{tr(Msg::TargetAgent)}</option>
                        <option value="1">{tr(Msg::TargetSkillQueue)}</option>
                    </select>
                </label>
                <label class="ab-field">
                    <span>{tr(Msg::Address)}</span>
                    <input data-testid="consult-target" list="ab-consult-directory" aria-invalid=move || invalid.get().to_string()
                        prop:value=move || target.get() on:input=move |e| target.set(event_target_value(&e))/>
                    <datalist id="ab-consult-directory">
                        {move || directory.get().map(|dir| {
                            directory_entries(&dir, device.get(), "").into_iter().map(|(addr, label, state)| {
                                let state = state.map(|m| m.text(ui.lang.get_untracked())).unwrap_or_default();
                                view! { <option value=addr>{format!("{label} {state}")}</option> }
                            }).collect_view()
                        })}
                    </datalist>
                </label>
                <Show when=move || invalid.get()>
                    <span class="ab-field__error" role="alert">{tr(Msg::TransferNoAddress)}</span>
                </Show>
                <Show when=move || refused.get()>
                    <span class="ab-field__error" role="alert" data-testid="consult-error">{tr(Msg::NotPossibleNow)}</span>
                </Show>
                <div class="ab-actions">
                    <button type="submit" class="ab-btn ab-btn--primary" data-testid="consult-start">{tr(Msg::StartConsult)}</button>
                    <button type="button" class="ab-btn" on:click=move |_| on_close.run(())>{tr(Msg::Cancel)}</button>
                </div>
            </form>
        </div>
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ConsultView {
    customer_call_id: String,
    leg_call_id: Option<String>,
    target: String,
    state: ConsultState,
    since: u64,
    /// A cancel, complete or conference is on its way.
    working: bool,
}

#[component]
pub fn ConsultBar() -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let consult = Memo::new(move |_| {
        ui.session.with(|s| {
            s.consult.as_ref().map(|c| ConsultView {
                customer_call_id: c.customer_call_id.clone(),
                leg_call_id: c.leg_call_id.clone(),
                target: c.target.clone(),
                state: c.state,
                since: c.since,
                working: [Action::CancelConsult, Action::CompleteConsult, Action::Conference]
                    .into_iter()
                    .any(|a| s.is_pending(a, &c.customer_call_id)),
            })
        })
    });
    move || {
        consult.get().map(|c| {
            let (state_msg, state_name) = match c.state {
                ConsultState::Dialing => (Msg::ConsultDialing, "dialing"),
                ConsultState::Ringing => (Msg::ConsultRinging, "ringing"),
                ConsultState::Talking => (Msg::ConsultTalking, "talking"),
                ConsultState::Ended => (Msg::ConsultEnded, "ended"),
            };
            let talking = c.state == ConsultState::Talking;
            let working = c.working;
            let since = c.since;
            let cancel = (c.customer_call_id.clone(), c.leg_call_id.clone());
            let complete_id = c.customer_call_id.clone();
            let conference_id = c.customer_call_id.clone();
            view! {
                <section class="ab-consult" data-testid="consult-bar" data-state=state_name aria-live="polite"
                    aria-label=tr(Msg::Consulting)>
                    <span class="ab-consult__who">
                        <span class="ab-consult__title">{tr(Msg::Consulting)}</span>
                        <span class="ab-consult__target" data-testid="consult-bar-target">{c.target.clone()}</span>
                        <span class="ab-consult__state" data-testid="consult-state">{tr(state_msg)}</span>
                        <Elapsed since testid="consult-timer"/>
                    </span>
                    <span class="ab-consult__actions">
                        <button type="button" class="ab-btn ab-btn--danger" data-testid="consult-cancel"
                            class:ab-btn--pending=working aria-busy=working.to_string() disabled=working
                            on:click=move |_| cmd.send(Intent::CancelConsult {
                                customer_call_id: cancel.0.clone(),
                                leg_call_id: cancel.1.clone(),
                            })>
                            {tr(Msg::ConsultCancel)}
                        </button>
                        <button type="button" class="ab-btn ab-btn--primary" data-testid="consult-complete" disabled=!talking || working
                            on:click=move |_| cmd.send(Intent::CompleteConsult { customer_call_id: complete_id.clone() })>
                            {tr(Msg::ConsultComplete)}
                        </button>
                        <button type="button" class="ab-btn" data-testid="consult-conference" disabled=!talking || working
                            hidden=!ui.session.with_untracked(|s| s.supported.contains(Action::Conference))
                            on:click=move |_| cmd.send(Intent::Conference { customer_call_id: conference_id.clone() })>
                            {tr(Msg::ConsultConference)}
                        </button>
                    </span>
                </section>
            }
        })
    }
}
