//! The call-detail view: after a call ends, its record opens (CCC GetCallDetailRecord, or the
//! CC-Gateway call's own event journal): outcome, who hung up, times, recording, satisfaction,
//! and one timeline merged from the IVR, queue, agent and customer events.

use super::{tr, use_view};
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
    let ui = use_view();
    let detail = Memo::new(move |_| ui.session.with(|s| s.last_detail.clone()));
    let open = RwSignal::new(false);
    // A new record opens the panel; the agent can close it and reopen it.
    Effect::new(move |prev: Option<Option<(String, usize)>>| {
        let key = detail.with(|d| d.as_ref().map(|d| (d.call_id.clone(), d.timeline.len())));
        if key.is_some() && prev.as_ref().is_some_and(|p| *p != key) {
            open.set(true);
        }
        key
    });
    // The section, its button and their effects live as long as the panel: only the record
    // inside is rebuilt, and it is static. A section rebuilt per call would leave its
    // `aria-expanded` effect and its `Show` in `open`'s subscribers, one pair per call
    // (reactive_graph 0.2 keeps a dropped effect in its sources' subscriber sets).
    view! {
        <Show when=move || detail.with(Option::is_some)>
            <section class="ab-cdr">
                <button type="button" class="ab-btn ab-btn--quiet" data-testid="cdr-open"
                    aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                    {tr(Msg::CdrOpen)}
                </button>
                {move || open.get().then(|| detail.get()).flatten().map(|d| view! { <CallDetailView detail=d/> })}
            </section>
        </Show>
    }
}

#[component]
fn CallDetailView(detail: CallDetail) -> impl IntoView {
    let ui = use_view();
    // Static: the record does not change, and the view must not subscribe to the long-lived
    // language signal (see `tr`).
    let lang = ui.lang.get_untracked();
    let d = detail;
    let disposition = disposition_msg(&d.disposition)
        .map(|m| m.text(lang).to_string())
        .unwrap_or_else(|| d.disposition.clone());
    let released_by = d.released_by.as_deref().map(|r| {
        if r == "customer" { Msg::CdrReleasedByCustomer } else { Msg::CdrReleasedByAgent }.text(lang)
    });
    let row = |label: Msg, value: String, testid: &'static str| {
        view! { <div class="ab-cdr__row"><dt>{label.text(lang)}</dt><dd data-testid=testid>{value}</dd></div> }
    };
    let secs = |s: u64| format!("{s} {}", Msg::Seconds.text(lang));
    let party = |number: &str, location: &Option<String>| match location {
        Some(l) => format!("{number} · {l}"),
        None => number.to_string(),
    };
    let yes_no = |b: bool, yes: Msg, no: Msg| if b { yes } else { no }.text(lang).to_string();
    let analytics = d.analytics.clone();
    view! {
        <div class="ab-cdr__view" data-testid="cdr-view" role="region" aria-label=Msg::CdrTitle.text(lang)>
            <h2 class="ab-cdr__title">{Msg::CdrTitle.text(lang)}" · "{d.caller.clone()}" → "{d.called.clone()}</h2>
            <section class="ab-cdr__group" data-testid="cdr-outcome">
                <h3 class="ab-cdr__subtitle">{Msg::CdrOutcomeGroup.text(lang)}</h3>
                <dl class="ab-cdr__facts">
                    {row(Msg::CdrDisposition, disposition, "cdr-disposition")}
                    {row(Msg::CdrContactType, d.contact_type.clone(), "cdr-contact-type")}
                    {released_by.map(|r| row(Msg::CdrReleasedBy, r.to_string(), "cdr-released-by"))}
                    {d.release_reason.clone().map(|r| row(Msg::CdrReleaseReason, r, "cdr-release-reason"))}
                    {d.early_media_state.clone().map(|e| row(Msg::CdrEarlyMedia, e, "cdr-early-media"))}
                </dl>
            </section>
            <section class="ab-cdr__group" data-testid="cdr-people">
                <h3 class="ab-cdr__subtitle">{Msg::CdrPeopleGroup.text(lang)}</h3>
                <dl class="ab-cdr__facts">
                    {row(Msg::CdrCaller, party(&d.caller, &d.caller_location), "cdr-caller")}
                    {row(Msg::CdrCalled, party(&d.called, &d.callee_location), "cdr-called")}
                    {(!d.agents.is_empty()).then(|| row(Msg::CdrAgents, d.agents.join(", "), "cdr-agents"))}
                    {(!d.skill_groups.is_empty()).then(|| row(Msg::CdrSkillGroups, d.skill_groups.join(", "), "cdr-skill-groups"))}
                </dl>
            </section>
            <section class="ab-cdr__group" data-testid="cdr-times">
                <h3 class="ab-cdr__subtitle">{Msg::CdrTimeline.text(lang)}</h3>
                <dl class="ab-cdr__facts">
                    {d.start.map(|t| row(Msg::CdrStart, clock_time(t), "cdr-start"))}
                    {d.established.map(|t| row(Msg::CdrEstablished, clock_time(t), "cdr-established"))}
                    {d.released.map(|t| row(Msg::CdrReleased, clock_time(t), "cdr-released"))}
                    {d.wait_secs().map(|s| row(Msg::CdrWait, secs(s), "cdr-wait"))}
                    {d.talk_secs.map(|s| row(Msg::CdrTalk, secs(s), "cdr-talk"))}
                </dl>
                <ol class="ab-cdr__timeline" data-testid="cdr-timeline">
                    {d.timeline.iter().map(|e| {
                        let source = e.source;
                        view! {
                            <li class="ab-cdr__event" data-source=source.name()>
                                <span class="ab-timer">{clock_time(e.at)}</span>
                                <span class="ab-cdr__source">{source.msg().text(lang)}</span>
                                <span class="ab-cdr__name">{e.event.clone()}</span>
                                {(!e.who.is_empty()).then(|| view! { <span class="ab-cdr__who">{e.who.clone()}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
            <section class="ab-cdr__group" data-testid="cdr-quality">
                <h3 class="ab-cdr__subtitle">{Msg::CdrQualityGroup.text(lang)}</h3>
                <dl class="ab-cdr__facts">
                    {d.recording_ready.map(|r| row(Msg::CdrRecording, yes_no(r, Msg::CdrRecordingReady, Msg::CdrRecordingPending), "cdr-recording"))}
                    {d.satisfaction.map(|s| row(Msg::CdrSatisfaction, s.to_string(), "cdr-satisfaction"))}
                    {d.survey_offered.map(|o| {
                        let how = d.satisfaction_channel.clone().map(|c| format!(" · {c}")).unwrap_or_default();
                        row(Msg::CdrSurvey, format!("{}{how}", yes_no(o, Msg::CdrSurveyOffered, Msg::CdrSurveyNotOffered)), "cdr-survey")
                    })}
                </dl>
                {analytics.map(|a| view! {
                    <dl class="ab-cdr__facts" data-testid="cdr-analytics" aria-label=Msg::CdrAnalytics.text(lang)>
                        {a.problem_solved.map(|s| row(Msg::CdrAnalytics, yes_no(s, Msg::CdrProblemSolved, Msg::CdrProblemUnsolved), "cdr-solved"))}
                        {(!a.problem.is_empty()).then(|| row(Msg::CdrProblem, a.problem.clone(), "cdr-problem"))}
                        {(!a.solution.is_empty()).then(|| row(Msg::CdrSolution, a.solution.clone(), "cdr-solution"))}
                        {(!a.emotion.is_empty() || a.emotion_confidence.is_some()).then(|| {
                            let confidence = a.emotion_confidence.map(|c| format!(" ({c}%)")).unwrap_or_default();
                            row(Msg::CdrEmotion, format!("{}{confidence}", a.emotion), "cdr-emotion")
                        })}
                        {(!a.satisfaction_note.is_empty()).then(|| row(Msg::CdrSatisfactionNote, a.satisfaction_note.clone(), "cdr-satisfaction-note"))}
                        {(!a.todo.is_empty()).then(|| row(Msg::CdrTodo, a.todo.join("; "), "cdr-todo"))}
                    </dl>
                })}
            </section>
        </div>
    }
}
