//! The call-detail view: after a call ends, its record opens (CCC GetCallDetailRecord, or the
//! CC-Gateway call's own event journal): outcome, who hung up, times, recording, satisfaction,
//! and one timeline merged from the IVR, queue, agent and customer events.

use super::{tr, use_toolbar};
use crate::core::cdr::{disposition_msg, CallDetail};
use crate::i18n::Msg;
use leptos::prelude::*;

/// `HH:MM:SS` of an epoch-ms time, in the browser's time zone.
fn clock_time(ms: u64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds())
}

#[component]
pub fn CallDetailPanel() -> impl IntoView {
    let tb = use_toolbar();
    let detail = Memo::new(move |_| tb.session.with(|s| s.last_detail.clone()));
    let open = RwSignal::new(false);
    // A new record opens the panel; the agent can close it and reopen it.
    Effect::new(move |prev: Option<Option<(String, usize)>>| {
        let key = detail.with(|d| d.as_ref().map(|d| (d.call_id.clone(), d.timeline.len())));
        if key.is_some() && prev.as_ref().is_some_and(|p| *p != key) {
            open.set(true);
        }
        key
    });
    move || {
        detail.get().map(|d| {
            view! {
                <section class="ab-cdr">
                    <button type="button" class="ab-btn ab-btn--quiet" data-testid="cdr-open"
                        aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                        {tr(Msg::CdrOpen)}
                    </button>
                    <Show when=move || open.get()>
                        <CallDetailView detail=d.clone()/>
                    </Show>
                </section>
            }
        })
    }
}

#[component]
fn CallDetailView(detail: CallDetail) -> impl IntoView {
    let tb = use_toolbar();
    let lang = move || tb.lang.get();
    let d = detail;
    let disposition = {
        let code = d.disposition.clone();
        move || disposition_msg(&code).map(|m| m.text(lang()).to_string()).unwrap_or_else(|| code.clone())
    };
    let released_by = d.released_by.clone().map(|r| {
        move || {
            if r == "customer" {
                Msg::CdrReleasedByCustomer.text(lang())
            } else {
                Msg::CdrReleasedByAgent.text(lang())
            }
        }
    });
    let row = |label: Msg, value: String| {
        view! { <div class="ab-cdr__row"><dt>{tr(label)}</dt><dd>{value}</dd></div> }
    };
    let secs = move |s: u64| format!("{s} {}", Msg::Seconds.text(tb.lang.get_untracked()));
    view! {
        <div class="ab-cdr__view" data-testid="cdr-view" role="region" aria-label=tr(Msg::CdrTitle)>
            <h2 class="ab-cdr__title">{tr(Msg::CdrTitle)}" · "{d.caller.clone()}" → "{d.called.clone()}</h2>
            <dl class="ab-cdr__facts">
                <div class="ab-cdr__row"><dt>{tr(Msg::CdrDisposition)}</dt><dd data-testid="cdr-disposition">{disposition}</dd></div>
                {row(Msg::CdrContactType, d.contact_type.clone())}
                {released_by.map(|r| view! { <div class="ab-cdr__row"><dt>{tr(Msg::CdrReleasedBy)}</dt><dd>{r}</dd></div> })}
                {d.start.map(|t| row(Msg::CdrStart, clock_time(t)))}
                {d.established.map(|t| row(Msg::CdrEstablished, clock_time(t)))}
                {d.released.map(|t| row(Msg::CdrReleased, clock_time(t)))}
                {d.wait_secs().map(|s| row(Msg::CdrWait, secs(s)))}
                {d.talk_secs.map(|s| row(Msg::CdrTalk, secs(s)))}
                {d.recording_ready.map(|r| view! {
                    <div class="ab-cdr__row"><dt>{tr(Msg::CdrRecording)}</dt>
                        <dd>{tr(if r { Msg::CdrRecordingReady } else { Msg::CdrRecordingPending })}</dd></div>
                })}
                {d.satisfaction.map(|s| row(Msg::CdrSatisfaction, s.to_string()))}
            </dl>
            <h3 class="ab-cdr__subtitle">{tr(Msg::CdrTimeline)}</h3>
            <ol class="ab-cdr__timeline" data-testid="cdr-timeline">
                {d.timeline.iter().map(|e| {
                    let source = e.source;
                    view! {
                        <li class="ab-cdr__event" data-source=format!("{source:?}").to_lowercase()>
                            <span class="ab-timer">{clock_time(e.at)}</span>
                            <span class="ab-cdr__source">{tr(source.msg())}</span>
                            <span class="ab-cdr__name">{e.event.clone()}</span>
                            {(!e.who.is_empty()).then(|| view! { <span class="ab-cdr__who">{e.who.clone()}</span> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </div>
    }
}
