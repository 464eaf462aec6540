//! Dialog behaviour: focus moves into a dialog when it opens, Tab cycles inside it, Escape
//! closes it, and focus returns to where it was when it closes.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

fn focusables(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else { return Vec::new() };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|e| e.offset_parent().is_some() || e.get_client_rects().length() > 0)
        .collect()
}

/// Makes the element behind `node` behave as a modal dialog that `on_close` closes; call it in
/// the dialog component's body.
pub fn dialog(node: NodeRef<Div>, on_close: Callback<()>) {
    let previous = document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let previous = send_wrapper::SendWrapper::new(previous);
    Effect::new(move |_| {
        if let Some(dialog) = node.get() {
            if let Some(first) = focusables(&dialog).into_iter().next() {
                let _ = first.focus();
            }
        }
    });
    let keys = window_event_listener(leptos::ev::keydown, move |e| {
        if e.key() == "Escape" {
            on_close.run(());
            return;
        }
        if e.key() != "Tab" {
            return;
        }
        let Some(dialog) = node.get_untracked() else { return };
        let items = focusables(&dialog);
        let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
        let active = document().active_element();
        let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
        let at = |el: &web_sys::HtmlElement| {
            active.as_ref().is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
        };
        if e.shift_key() && (at(first) || !inside) {
            e.prevent_default();
            let _ = last.focus();
        } else if !e.shift_key() && (at(last) || !inside) {
            e.prevent_default();
            let _ = first.focus();
        }
    });
    on_cleanup(move || {
        keys.remove();
        if let Some(el) = previous.take() {
            let _ = el.focus();
        }
    });
}
