//! The reject dialog: two plain-words choices (seed 004's mode 1 and mode 2).

use super::{tr, use_commands};
use crate::core::step::{Intent, RejectMode};
use crate::i18n::Msg;
use leptos::prelude::*;

#[component]
pub fn RejectDialog(
    /// The ringing call to reject.
    call_id: String,
    /// Called when the dialog closes (confirmed or cancelled).
    on_close: Callback<()>,
) -> impl IntoView {
    let cmd = use_commands();
    let mode = RwSignal::new(None::<RejectMode>);
    let node = NodeRef::new();
    super::focus::dialog(node, on_close);
    let confirm = move |_| {
        if let Some(m) = mode.get_untracked() {
            cmd.send(Intent::Reject { call_id: call_id.clone(), mode: m });
            on_close.run(());
        }
    };
    let choice = move |m: RejectMode, testid: &'static str, title: Msg, hint: Msg| {
        view! {
            <label class="ab-choice" class:ab-choice--on=move || mode.get() == Some(m)>
                <input type="radio" name="ab-reject-mode" data-testid=testid
                    prop:checked=move || mode.get() == Some(m) on:change=move |_| mode.set(Some(m))/>
                <span class="ab-choice__title">{tr(title)}</span>
                <span class="ab-choice__hint">{tr(hint)}</span>
            </label>
        }
    };
    view! {
        <div class="ab-dialog" node_ref=node data-testid="reject-dialog" role="dialog" aria-modal="true" aria-labelledby="ab-reject-title">
            <h2 id="ab-reject-title" class="ab-dialog__title">{tr(Msg::RejectTitle)}</h2>
            {choice(RejectMode::Requeue, "reject-mode-requeue", Msg::RejectRequeue, Msg::RejectRequeueHint)}
            {choice(RejectMode::Release, "reject-mode-release", Msg::RejectRelease, Msg::RejectReleaseHint)}
            <div class="ab-actions">
                <button type="button" class="ab-btn ab-btn--danger" data-testid="reject-confirm"
                    disabled=move || mode.get().is_none() on:click=confirm>
                    {tr(Msg::RejectConfirm)}
                </button>
                <button type="button" class="ab-btn" data-testid="reject-cancel" on:click=move |_| on_close.run(())>
                    {tr(Msg::Cancel)}
                </button>
            </div>
        </div>
    }
}
