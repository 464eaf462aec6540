//! The transfer dialog: voice (`voicecall/transfer`) or multimedia (`mediacall/transfer`,
//! seed 002) following the call's media; only the modes the devicetype × mode table allows,
//! in plain words; a searchable directory; checks shown inline before anything is sent.

use super::{tr, use_commands, use_view, Directory};
use crate::core::step::Intent;
use crate::core::transfer::{
    allowed_modes, check, DeviceType, TransferKind, TransferRequest, MAX_MEDIA_CALLDATA_BYTES,
    MAX_VOICE_CALLDATA_BYTES,
};
use crate::i18n::Msg;
use leptos::prelude::*;

/// Lower case by the browser's `String.prototype.toLowerCase`: Rust's `to_lowercase` links
/// 17 KB of Unicode case tables into the wasm that the browser already has.
fn fold_case(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}

/// Directory entries matching a search, for one target type: `(address, label, state)`.
pub(super) fn directory_entries(
    dir: &Directory,
    device: DeviceType,
    search: &str,
) -> Vec<(String, String, Option<Msg>)> {
    let q = fold_case(search.trim());
    let list = match device {
        DeviceType::SkillQueue => &dir.skills,
        DeviceType::Agent => &dir.agents,
        _ => return Vec::new(),
    };
    list.iter()
        .filter(|e| q.is_empty() || fold_case(&e.address).contains(&q) || fold_case(&e.name).contains(&q))
        .map(|e| (e.address.clone(), e.name.clone(), e.state))
        .collect()
}

#[component]
pub fn TransferDialog(
    /// The call to transfer.
    call_id: String,
    /// Voice or multimedia: follows the call's media.
    kind: TransferKind,
    /// Called when the dialog closes.
    on_close: Callback<()>,
) -> impl IntoView {
    let ui = use_view();
    let cmd = use_commands();
    let device = RwSignal::new(DeviceType::SkillQueue);
    let mode = RwSignal::new(allowed_modes(kind, DeviceType::SkillQueue)[0].code);
    let address = RwSignal::new(String::new());
    let calldata = RwSignal::new(String::new());
    let skill_id = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let problems = RwSignal::new(Vec::new());
    // The state changed under the open dialog (muted, the call held): say so, keep the input.
    let refused = RwSignal::new(false);
    let directory = super::use_directory();
    let max_bytes = match kind {
        TransferKind::Media => MAX_MEDIA_CALLDATA_BYTES,
        TransferKind::Voice | TransferKind::Ccc => MAX_VOICE_CALLDATA_BYTES,
    };

    let over_limit = move || calldata.with(String::len) > max_bytes;
    let node = NodeRef::new();
    super::focus::dialog(node, on_close);

    let set_device = move |d: DeviceType| {
        device.set(d);
        // Keep the mode if the new target allows it, else take its first mode.
        let modes = allowed_modes(kind, d);
        if !modes.iter().any(|m| m.code == mode.get_untracked()) {
            mode.set(modes[0].code);
        }
        problems.set(Vec::new());
    };
    let submit = move || {
        let request = TransferRequest {
            call_id: call_id.clone(),
            kind,
            device: device.get_untracked(),
            mode: mode.get_untracked(),
            address: address.get_untracked().trim().to_string(),
            calldata: Some(calldata.get_untracked()).filter(|c| !c.is_empty()),
            skill_id: skill_id.get_untracked().trim().parse().ok(),
        };
        let found = check(&request);
        if !found.is_empty() {
            return problems.set(found);
        }
        match cmd.ask(Intent::Transfer(request)) {
            Ok(_) => on_close.run(()),
            Err(_) => refused.set(true),
        }
    };
    let kind_msg = match kind {
        TransferKind::Voice | TransferKind::Ccc => Msg::TransferVoice,
        TransferKind::Media => Msg::TransferMedia,
    };
    let kind_name = match kind {
        TransferKind::Voice => "voice",
        TransferKind::Media => "media",
        TransferKind::Ccc => "ccc",
    };

    view! {
        <div class="ab-dialog ab-transfer" node_ref=node data-testid="transfer-dialog" role="dialog" aria-modal="true"
            aria-labelledby="ab-transfer-title">
            <h2 id="ab-transfer-title" class="ab-dialog__title">{tr(Msg::TransferTitle)}</h2>
            <span class="ab-transfer__kind" data-testid="transfer-kind" data-kind=kind_name>{tr(kind_msg)}</span>
            <form class="ab-transfer__form" novalidate on:submit=move |e| { e.prevent_default(); submit(); }>
                <label class="ab-field">
                    <span>{tr(Msg::TargetType)}</span>
                    <select data-testid="transfer-devicetype"
                        on:change=move |e| {
                            if let Some(d) = event_target_value(&e).parse().ok().and_then(DeviceType::from_code) {
                                set_device(d);
                            }
                        }>
                        {DeviceType::offered(kind).iter().map(|d| {
                            let d = *d;
                            view! { <option value=d.code().to_string() selected=move || device.get() == d>{tr(d.msg())}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="ab-field">
                    <span>{tr(Msg::TransferModeLabel)}</span>
                    <select data-testid="transfer-mode"
                        on:change=move |e| {
                            if let Ok(m) = event_target_value(&e).parse() {
                                mode.set(m);
                            }
                        }>
                        {move || allowed_modes(kind, device.get()).iter().map(|m| {
                            let code = m.code;
                            view! { <option value=code.to_string() selected=move || mode.get() == code>{tr(m.msg)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || matches!(device.get(), DeviceType::SkillQueue | DeviceType::Agent)>
                    <div class="ab-directory">
                        <input class="ab-directory__search" data-testid="transfer-search" type="search"
                            aria-label=tr(Msg::Search) placeholder=tr(Msg::Search)
                            prop:value=move || search.get() on:input=move |e| search.set(event_target_value(&e))/>
                        <ul class="ab-directory__list" aria-label=tr(Msg::Directory)>
                            {move || directory.get().map(|dir| {
                                directory_entries(&dir, device.get(), &search.get()).into_iter().map(|(addr, label, state)| {
                                    let pick = addr.clone();
                                    let selected = addr.clone();
                                    view! {
                                        <li>
                                            <button type="button" class="ab-directory__item" data-testid="transfer-option"
                                                aria-pressed=move || (address.get() == selected).to_string()
                                                data-address=addr.clone() on:click=move |_| address.set(pick.clone())>
                                                <span class="ab-directory__addr">{addr.clone()}</span>
                                                <span class="ab-directory__name">{label}</span>
                                                {state.map(|m| view! { <span class="ab-directory__state">{tr(m)}</span> })}
                                            </button>
                                        </li>
                                    }
                                }).collect_view()
                            })}
                        </ul>
                    </div>
                </Show>
                <label class="ab-field">
                    <span>{tr(Msg::Address)}</span>
                    <input data-testid="transfer-address" aria-describedby="ab-transfer-address-hint"
                        prop:value=move || address.get() on:input=move |e| address.set(event_target_value(&e))/>
                    <span id="ab-transfer-address-hint" class="ab-field__hint">{tr(Msg::AddressHint)}</span>
                </label>
                <label class="ab-field">
                    <span>{tr(Msg::SkillForAgent)}</span>
                    <input data-testid="transfer-skillid" inputmode="numeric"
                        prop:value=move || skill_id.get() on:input=move |e| skill_id.set(event_target_value(&e))/>
                </label>
                <label class="ab-field">
                    <span>{tr(Msg::CallData)}</span>
                    <textarea data-testid="transfer-calldata" rows="2"
                        prop:value=move || calldata.get() on:input=move |e| calldata.set(event_target_value(&e))></textarea>
                    <span data-testid="transfer-calldata-bytes"
                        class=move || if over_limit() { "ab-field__hint ab-field__error" } else { "ab-field__hint" }>
                        {move || format!("{} / {max_bytes} {}", calldata.with(String::len), Msg::Bytes.text(ui.lang.get_untracked()))}
                    </span>
                </label>
                <Show when=move || !problems.with(Vec::is_empty) || refused.get()>
                    <ul class="ab-field__error" data-testid="transfer-error" role="alert">
                        {move || problems.get().into_iter().map(|p| view! { <li>{tr(p.msg())}</li> }).collect_view()}
                        {move || refused.get().then(|| view! { <li>{tr(Msg::NotPossibleNow)}</li> })}
                    </ul>
                </Show>
                <div class="ab-actions">
                    <button type="submit" class="ab-btn ab-btn--primary" data-testid="transfer-submit">{tr(Msg::SendTransfer)}</button>
                    <button type="button" class="ab-btn" data-testid="transfer-cancel" on:click=move |_| on_close.run(())>{tr(Msg::Cancel)}</button>
                </div>
            </form>
        </div>
    }
}
