//! The browser phone (issue 16): the extension's registration, its calls (answer, reject,
//! hang up, hold, mute, keypad), the audio devices, the input level and "test my audio", and
//! what the media watchdog says. It reads `runtime::voice::VoiceState` and calls `Voice`.

use super::{tr, use_view};
use crate::i18n::Msg;
use crate::runtime::voice::{Registration, Voice, VoiceCall, VoicePhase};
use leptos::prelude::*;

fn registration_name(r: Registration) -> &'static str {
    match r {
        Registration::Off => "off",
        Registration::Connecting => "connecting",
        Registration::Registered => "registered",
        Registration::Reconnecting => "reconnecting",
        Registration::Failed(_) => "failed",
    }
}

fn registration_msg(r: Registration) -> Msg {
    match r {
        Registration::Off => Msg::VoiceOff,
        Registration::Connecting => Msg::VoiceConnecting,
        Registration::Registered => Msg::VoiceRegistered,
        Registration::Reconnecting => Msg::VoiceReconnecting,
        Registration::Failed(_) => Msg::VoiceRegisterFailed,
    }
}

#[component]
pub fn Softphone(voice: Voice) -> impl IntoView {
    let ui = use_view();
    voice.watch_devices();
    let state = voice.state;
    let registration = Memo::new(move |_| state.with(|s| s.registration));
    let calls = Memo::new(move |_| state.with(|s| s.calls.clone()));
    let notice = Memo::new(move |_| state.with(|s| s.notice.clone()));
    let user = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    // Call rows come and go; they must not subscribe to the long-lived state (see
    // ARCHITECTURE "Reactive subscriptions"). Each row owns a signal for its counters, and this
    // one long-lived effect feeds them.
    let live = StoredValue::new_local(Vec::<(u32, RwSignal<CallStats>)>::new());
    Effect::new(move |_| {
        state.with(|s| {
            live.with_value(|rows| {
                for (id, stats) in rows {
                    if let Some(c) = s.calls.iter().find(|c| c.id == *id) {
                        let now = (c.packets_in, c.packets_out, c.first_audio_ms);
                        if stats.get_untracked() != now {
                            stats.set(now);
                        }
                    }
                }
            })
        })
    });
    // On CCC the account comes with the agent's sign-in: nothing to type.
    let automatic = voice.automatic();
    let connected =
        move || automatic || !matches!(registration.get(), Registration::Off | Registration::Failed(_));
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        voice.connect(&user.get_untracked(), &password.get_untracked());
        // The password lives in the user agent only.
        password.set(String::new());
    };
    let dial = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        voice.dial(&number.get_untracked());
    };
    let devices = move |pick: fn(&crate::runtime::voice::VoiceState) -> Vec<(String, String)>| {
        move || {
            let lang = ui.lang.get_untracked();
            let mut options = vec![(String::new(), Msg::VoiceDefaultDevice.text(lang).to_string())];
            options.extend(state.with(pick).into_iter().filter(|(id, _)| !id.is_empty() && id != "default"));
            options
                .into_iter()
                .enumerate()
                .map(|(n, (id, label))| {
                    let label = if label.is_empty() { format!("#{n}") } else { label };
                    view! { <option value=id>{label}</option> }
                })
                .collect_view()
        }
    };
    view! {
        <section class="ab-voice" data-testid="voice-panel" aria-label=tr(Msg::VoiceTitle)>
            <header class="ab-voice__head">
                <h2>{tr(Msg::VoiceTitle)}</h2>
                <span class="ab-chip" data-testid="voice-status" data-state=move || registration_name(registration.get())>
                    {move || registration_msg(registration.get()).text(ui.lang.get_untracked())}
                </span>
            </header>
            {move || notice.get().map(|(msg, detail)| view! {
                <p class="ab-voice__notice" role="alert" data-testid="voice-notice" data-msg=format!("{msg:?}")>
                    {msg.text(ui.lang.get_untracked())}
                    {detail.map(|d| view! { <span class="ab-code">" (" {d} ")"</span> })}
                </p>
            })}
            <Show when=move || !connected() fallback=move || (!automatic).then(|| view! {
                <button type="button" class="ab-btn ab-btn--quiet" data-testid="voice-disconnect" on:click=move |_| voice.disconnect()>
                    {tr(Msg::VoiceDisconnect)}
                </button>
            })>
                <form class="ab-voice__signin" on:submit=connect>
                    <label>{tr(Msg::VoiceUser)}
                        <input data-testid="voice-user" autocomplete="username" required
                            prop:value=move || user.get() on:input=move |e| user.set(event_target_value(&e))/>
                    </label>
                    <label>{tr(Msg::VoicePassword)}
                        <input data-testid="voice-password" type="password" autocomplete="current-password"
                            prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e))/>
                    </label>
                    <button type="submit" class="ab-btn" data-testid="voice-connect">{tr(Msg::VoiceConnect)}</button>
                </form>
            </Show>
            <Show when=move || registration.get() == Registration::Registered>
                <form class="ab-voice__dial" on:submit=dial>
                    <label>{tr(Msg::VoiceNumber)}
                        <input data-testid="voice-dial-number" inputmode="tel"
                            prop:value=move || number.get() on:input=move |e| number.set(event_target_value(&e))/>
                    </label>
                    <button type="submit" class="ab-btn" data-testid="voice-dial">{tr(Msg::VoiceDial)}</button>
                </form>
            </Show>
            <For each=move || calls.get() key=|c| (c.id, c.phase, c.held, c.remote_held, c.muted, c.problem) let:call>
                <VoiceCallRow voice call live/>
            </For>
            <div class="ab-voice__devices">
                <label>{tr(Msg::VoiceMicrophone)}
                    <select data-testid="voice-mic" on:change=move |e| voice.choose_mic(event_target_value(&e))
                        prop:value=move || state.with(|s| s.mic.clone())>
                        {devices(|s| s.mics.clone())}
                    </select>
                </label>
                <label>{tr(Msg::VoiceSpeaker)}
                    <select data-testid="voice-speaker" on:change=move |e| voice.choose_speaker(event_target_value(&e))
                        prop:value=move || state.with(|s| s.speaker.clone())>
                        {devices(|s| s.speakers.clone())}
                    </select>
                </label>
                <label>{tr(Msg::VoiceRinger)}
                    <select data-testid="voice-ringer" on:change=move |e| voice.choose_ringer(event_target_value(&e))
                        prop:value=move || state.with(|s| s.ringer.clone())>
                        {devices(|s| s.speakers.clone())}
                    </select>
                </label>
                <label>{tr(Msg::VoiceLevel)}
                    <meter data-testid="voice-level" min="0" max="100" low="5" prop:value=move || state.with(|s| s.level)></meter>
                </label>
                <button type="button" class="ab-btn ab-btn--quiet" data-testid="voice-test" on:click=move |_| voice.toggle_test()>
                    {move || if state.with(|s| s.testing) { tr(Msg::VoiceStopTest)() } else { tr(Msg::VoiceTestAudio)() }}
                </button>
            </div>
        </section>
    }
}

/// Packets in, packets out, answer-to-first-audio.
type CallStats = (u64, u64, Option<u64>);

#[component]
fn VoiceCallRow(
    voice: Voice,
    call: VoiceCall,
    live: StoredValue<Vec<(u32, RwSignal<CallStats>)>, LocalStorage>,
) -> impl IntoView {
    let ui = use_view();
    let id = call.id;
    let phase = match call.phase {
        VoicePhase::Ringing => "ringing",
        VoicePhase::Dialing => "dialing",
        VoicePhase::Talking => "talking",
    };
    let talking = call.phase == VoicePhase::Talking;
    let (held, muted) = (call.held, call.muted);
    // Counters change every second: updated in place, without rebuilding the row under a click.
    let stats = RwSignal::new((call.packets_in, call.packets_out, call.first_audio_ms));
    live.update_value(|rows| rows.push((id, stats)));
    on_cleanup(move || {
        live.try_update_value(|rows| rows.retain(|(_, s)| *s != stats));
    });
    let keypad = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
    view! {
        <div class="ab-voice__call" data-testid="voice-call" data-call=id.to_string() data-phase=phase
            data-held=held.to_string() data-remote-held=call.remote_held.to_string() data-muted=muted.to_string()
            data-packets-in=move || stats.get().0.to_string()
            data-packets-out=move || stats.get().1.to_string()
            data-first-audio-ms=move || stats.get().2.map(|m| m.to_string()).unwrap_or_default()>
            <span class="ab-voice__remote" data-testid="voice-remote">{call.remote.clone()}</span>
            {call.remote_held.then(|| view! { <span class="ab-chip">{tr(Msg::VoiceHeld)}</span> })}
            {muted.then(|| view! { <span class="ab-chip ab-chip--warn" data-testid="voice-muted">{tr(Msg::Muted)}</span> })}
            {call.problem.map(|p| view! {
                <p class="ab-voice__problem" role="alert" data-testid="voice-problem" data-problem=format!("{p:?}")>
                    {p.msg().text(ui.lang.get_untracked())}
                </p>
            })}
            <div class="ab-voice__actions">
                {(call.phase == VoicePhase::Ringing && call.incoming).then(|| view! {
                    <button type="button" class="ab-btn ab-btn--ok" data-testid="voice-answer" on:click=move |_| voice.answer(id)>{tr(Msg::Answer)}</button>
                    <button type="button" class="ab-btn ab-btn--danger" data-testid="voice-reject" on:click=move |_| voice.reject(id)>{tr(Msg::Reject)}</button>
                })}
                {talking.then(|| view! {
                    <button type="button" class="ab-btn" data-testid=if held { "voice-resume" } else { "voice-hold" }
                        on:click=move |_| voice.set_hold(id, !held)>{tr(if held { Msg::Retrieve } else { Msg::Hold })}</button>
                    <button type="button" class="ab-btn" data-testid=if muted { "voice-unmute" } else { "voice-mute" }
                        aria-pressed=muted.to_string()
                        on:click=move |_| voice.set_mute(id, !muted)>{tr(if muted { Msg::Unmute } else { Msg::Mute })}</button>
                })}
                {(call.phase != VoicePhase::Ringing || !call.incoming).then(|| view! {
                    <button type="button" class="ab-btn ab-btn--danger" data-testid="voice-hangup" on:click=move |_| voice.hangup(id)>{tr(Msg::HangUp)}</button>
                })}
            </div>
            {talking.then(|| view! {
                <div class="ab-voice__keypad" role="group" aria-label=tr(Msg::VoiceKeypad)>
                    {keypad.into_iter().map(|d| view! {
                        <button type="button" class="ab-key" data-testid=format!("voice-dtmf-{}", match d { "*" => "star", "#" => "hash", d => d })
                            on:click=move |_| voice.dtmf(id, d)>{d}</button>
                    }).collect_view()}
                </div>
            })}
        </div>
    }
}
