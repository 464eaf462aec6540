//! The sign-in form: agent id, password, phone, state after sign-in; force sign-in on 100-002.

use super::{tr, use_commands, use_view};
use crate::config::Vendor;
use crate::core::step::{InitialState, Intent};
use crate::core::validate;
use crate::i18n::Msg;
use leptos::prelude::*;

#[component]
pub fn SignIn() -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let (agent_id, phone) = ui.config.with_value(|c| (c.agent_id.clone(), c.phone.clone()));
    let agent_id = RwSignal::new(agent_id);
    let password = RwSignal::new(String::new());
    let phone = RwSignal::new(phone);
    let initial = RwSignal::new(InitialState::Idle);
    let auto_enter_idle = RwSignal::new(true);
    let tried = RwSignal::new(false);
    let offer_force = Memo::new(move |_| ui.session.with(|s| s.offer_force_sign_in));
    // A sign-in on its way: the button says so and takes no second click.
    let signing_in = Memo::new(move |_| ui.session.with(|s| s.is_pending(crate::core::Action::SignIn, "")));
    // CCC agents sign in at the bridge with a login name; the voice device is not a phone number.
    let ccc = ui.vendor == Vendor::Aliyun;
    let agent_ok = move |id: &str| if ccc { !id.trim().is_empty() } else { validate::agent_id(id) };
    let phone_ok = move |p: &str| ccc || validate::phone_number(p);

    let agent_error = move || tried.get() && !agent_ok(&agent_id.get());
    let password_error = move || tried.get() && password.get().is_empty();
    let phone_error = move || tried.get() && !phone_ok(&phone.get());

    let submit = move |force: bool| {
        tried.set(true);
        if !agent_ok(&agent_id.get_untracked())
            || password.get_untracked().is_empty()
            || !phone_ok(&phone.get_untracked())
        {
            return;
        }
        cmd.send(Intent::SignIn {
            agent_id: agent_id.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            phone: phone.get_untracked().trim().to_string(),
            initial: initial.get_untracked(),
            force,
            auto_enter_idle: auto_enter_idle.get_untracked(),
        });
    };

    view! {
        <form class="ab-signin" data-testid="signin-form" novalidate
            on:input=move |_| cmd.prepare()
            on:submit=move |ev| {
                ev.prevent_default();
                submit(false);
            }>
            <h2 class="ab-signin__title">{tr(Msg::SignInTitle)}</h2>
            <label class="ab-field">
                <span>{tr(if ccc { Msg::LoginName } else { Msg::AgentId })}</span>
                <input data-testid="signin-agent" inputmode="numeric" autocomplete="username" required
                    aria-invalid=move || agent_error().to_string()
                    prop:value=move || agent_id.get()
                    on:input=move |ev| agent_id.set(event_target_value(&ev))/>
                <Show when=agent_error>
                    <span class="ab-field__error" role="alert">{tr(Msg::AgentIdInvalid)}</span>
                </Show>
            </label>
            <label class="ab-field">
                <span>{tr(Msg::Password)}</span>
                <input data-testid="signin-password" type="password" autocomplete="current-password" required
                    aria-invalid=move || password_error().to_string()
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))/>
                <Show when=password_error>
                    <span class="ab-field__error" role="alert">{tr(Msg::PasswordMissing)}</span>
                </Show>
            </label>
            <label class="ab-field" hidden=ccc>
                <span>{tr(Msg::PhoneNumber)}</span>
                <input data-testid="signin-phone" inputmode="tel" required
                    aria-invalid=move || phone_error().to_string()
                    prop:value=move || phone.get()
                    on:input=move |ev| phone.set(event_target_value(&ev))/>
                <Show when=phone_error>
                    <span class="ab-field__error" role="alert">{tr(Msg::PhoneInvalid)}</span>
                </Show>
            </label>
            <label class="ab-field">
                <span>{tr(Msg::InitialState)}</span>
                <select data-testid="signin-initial"
                    on:change=move |ev| initial.set(match event_target_value(&ev).as_str() {
                        "busy" => InitialState::Busy,
                        "wrapup" => InitialState::WrapUp,
                        _ => InitialState::Idle,
                    })>
                    <option value="idle">{tr(Msg::StateIdle)}</option>
                    <option value="busy">{tr(Msg::StateBusy)}</option>
                    <option value="wrapup">{tr(Msg::StateWrapUp)}</option>
                </select>
            </label>
            <label class="ab-check">
                <input type="checkbox" data-testid="signin-autoidle" prop:checked=move || auto_enter_idle.get()
                    on:change=move |ev| auto_enter_idle.set(event_target_checked(&ev))/>
                <span>{tr(Msg::AutoEnterIdle)}</span>
            </label>
            <div class="ab-actions">
                <button type="submit" class="ab-btn ab-btn--primary" data-testid="signin-submit"
                    class:ab-btn--pending=move || signing_in.get() aria-busy=move || signing_in.get().to_string()
                    disabled=move || signing_in.get()>
                    {tr(Msg::SignIn)}
                </button>
                <Show when=move || offer_force.get()>
                    <button type="button" class="ab-btn ab-btn--danger" data-testid="signin-force"
                        on:click=move |_| submit(true)>{tr(Msg::ForceSignIn)}</button>
                </Show>
            </div>
        </form>
    }
}
