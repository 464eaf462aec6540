//! Ring assurance: when a call rings, everything at once — a Web Audio ringtone (no audio
//! file), a desktop notification when the tab is hidden, a flashing title and favicon badge,
//! and a screen-reader announcement. Warnings say when sound or notifications are blocked,
//! with a one-click fix. All of it stops the moment the call is answered, rejected or gone.

use super::{tr, use_ring, use_view};
use crate::i18n::Msg;
use crate::runtime::Ring;
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A silent badge-less favicon and one with a red badge, as data URLs (CSP: img-src data:).
const ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%230b5cad'/%3E%3Cpath d='M10 8l4 0 2 6-3 2a12 12 0 0 0 5 5l2-3 6 2 0 4a2 2 0 0 1-2 2A18 18 0 0 1 8 10a2 2 0 0 1 2-2z' fill='white'/%3E%3C/svg%3E";
const ICON_RINGING: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%230b5cad'/%3E%3Cpath d='M10 8l4 0 2 6-3 2a12 12 0 0 0 5 5l2-3 6 2 0 4a2 2 0 0 1-2 2A18 18 0 0 1 8 10a2 2 0 0 1 2-2z' fill='white'/%3E%3Ccircle cx='25' cy='7' r='7' fill='%23d0021b'/%3E%3C/svg%3E";

/// Creates or resumes the ring's audio context; browsers allow it only after a user gesture.
fn unlock(ring: Ring) {
    let running = ring.audio.try_update_value(|audio| {
        if audio.is_none() {
            *audio = web_sys::AudioContext::new().ok();
        }
        let ctx = audio.as_ref()?;
        if ctx.state() != web_sys::AudioContextState::Running {
            let _ = ctx.resume();
        }
        Some(ctx.state() == web_sys::AudioContextState::Running)
    });
    ring.sound_on.set(running.flatten().unwrap_or(false));
}

/// One ring burst at the agent's volume: two tones, 0.4 s on, 0.2 s off, 0.4 s on.
fn burst(ring: Ring) {
    let percent = ring.volume.get_untracked();
    ring.audio.with_value(|audio| {
        let Some(ctx) = audio.as_ref().filter(|c| c.state() == web_sys::AudioContextState::Running) else {
            return;
        };
        let now = ctx.current_time();
        for (start, freq) in [(0.0, 440.0), (0.0, 480.0), (0.6, 440.0), (0.6, 480.0)] {
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else { return };
            osc.frequency().set_value(freq);
            gain.gain().set_value(f32::from(percent) * 0.0015);
            let _ = osc.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&ctx.destination());
            let _ = osc.start_with_when(now + start);
            let _ = osc.stop_with_when(now + start + 0.4);
        }
    });
}

fn set_favicon(href: &str) {
    let doc = document();
    let link = match doc.query_selector("link[rel~='icon']").ok().flatten() {
        Some(l) => l,
        None => {
            let Ok(l) = doc.create_element("link") else { return };
            let _ = l.set_attribute("rel", "icon");
            if let Some(head) = doc.head() {
                let _ = head.append_child(&l);
            }
            l
        }
    };
    let _ = link.set_attribute("href", href);
}

fn notification_permission() -> String {
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => "granted",
        web_sys::NotificationPermission::Denied => "denied",
        _ => "default",
    }
    .to_string()
}

/// What the agent sets up before any call (on the sign-in screen too): sound, desktop alerts,
/// the ring's volume and a test ring.
#[component]
pub fn RingSetup() -> impl IntoView {
    let ring = use_ring();
    let sound_on = ring.sound_on;
    let permission = ring.notify_permission;
    permission.set(notification_permission());
    let volume = ring.volume;
    // The first click anywhere unlocks sound for the rest of the shift (the sign-in click,
    // usually). On `click`, after the target has had it: hiding the warning on pointerdown
    // would move the layout under the pointer and swallow that very click.
    let first_click = window_event_listener(leptos::ev::click, move |_| {
        if !sound_on.get_untracked() {
            unlock(ring);
        }
    });
    on_cleanup(move || first_click.remove());
    Effect::new(move |_| {
        crate::runtime::storage::save_ring_volume(volume.get());
    });

    let test_ring = move |_| {
        unlock(ring);
        burst(ring);
    };
    let ask_notifications = move |_| {
        if let Ok(p) = web_sys::Notification::request_permission() {
            let done = Closure::<dyn FnMut(JsValue)>::new(move |_| permission.set(notification_permission()));
            let _ = p.then(&done);
            done.forget();
        }
    };

    view! {
        <div class="ab-alerts">
            <Show when=move || !sound_on.get()>
                <button type="button" class="ab-chip ab-chip--warn" data-testid="sound-fix" on:click=move |_| unlock(ring)>
                    {tr(Msg::SoundOff)}
                </button>
            </Show>
            <Show when=move || permission.get() != "granted">
                <button type="button" class="ab-chip ab-chip--warn" data-testid="notify-fix" on:click=ask_notifications>
                    {tr(Msg::NotificationsOff)}
                </button>
            </Show>
            <label class="ab-volume">
                <span>{tr(Msg::Volume)}</span>
                <input type="range" min="0" max="100" step="10" data-testid="ring-volume"
                    prop:value=move || volume.get().to_string()
                    on:input=move |e| volume.set(crate::core::share::ring_volume_from(&event_target_value(&e)).unwrap_or(volume.get_untracked()))/>
            </label>
            <button type="button" class="ab-btn ab-btn--quiet" data-testid="test-ring" on:click=test_ring>{tr(Msg::TestRing)}</button>
        </div>
    }
}

/// While a call rings: ring, flash the title, badge the favicon, announce, and notify when the
/// tab is hidden; all of it stops the moment it stops ringing. Part of the engine's views.
#[component]
pub fn RingAlert() -> impl IntoView {
    let ui = use_view();
    let ring = use_ring();
    let permission = ring.notify_permission;
    // A gateway call and a browser-phone call ring the same way.
    let voice_ringing = ring.voice_ringing;
    let ringing = Memo::new(move |_| {
        ui.session
            .with(|s| s.ringing().map(|c| (c.id.clone(), c.caller.clone())))
            .or_else(|| voice_ringing.get().map(|caller| (String::new(), caller)))
    });
    // The ringer device the agent chose (`AudioContext.setSinkId`, Chromium 110+).
    let ringer = ring.ringer_sink;
    Effect::new(move |_| {
        let device = ringer.get();
        ring.audio.with_value(|audio| {
            if let Some(ctx) = audio {
                let set = js_sys::Reflect::get(ctx, &"setSinkId".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
                if let Some(set) = set {
                    let _ = set.call1(ctx, &device.into());
                }
            }
        });
    });
    let announcement = RwSignal::new(String::new());

    // While a call rings: ring, flash, badge, notify; stop the moment it stops ringing.
    let title = StoredValue::new(document().title());
    // The notification with its click handler: both go when the ring stops (a forgotten
    // handler would stay in memory for every ring heard in a hidden tab).
    let notification = StoredValue::new_local(None::<(web_sys::Notification, Closure<dyn FnMut()>)>);
    let ticker = StoredValue::new_local(None::<IntervalHandle>);
    let stop = move || {
        if let Some(h) = ticker.try_update_value(Option::take).flatten() {
            h.clear();
        }
        if let Some((n, _on_click)) = notification.try_update_value(Option::take).flatten() {
            n.set_onclick(None);
            n.close();
        }
        set_favicon(ICON);
        if let Some(t) = title.try_get_value() {
            document().set_title(&t);
        }
    };
    Effect::new(move |_| {
        stop();
        let Some((_, caller)) = ringing.get() else {
            announcement.set(String::new());
            return;
        };
        let lang = ui.lang.get_untracked();
        let text = format!("{}: {caller}", Msg::IncomingCall.text(lang));
        announcement.set(text.clone());
        set_favicon(ICON_RINGING);
        if document().hidden() && permission.get_untracked() == "granted" {
            let opts = web_sys::NotificationOptions::new();
            opts.set_body(&caller);
            opts.set_tag("agentbar-ringing");
            opts.set_require_interaction(true);
            if let Ok(n) = web_sys::Notification::new_with_options(Msg::IncomingCall.text(lang), &opts) {
                let focus = Closure::<dyn FnMut()>::new(|| {
                    let _ = window().focus();
                });
                n.set_onclick(Some(focus.as_ref().unchecked_ref()));
                notification.set_value(Some((n, focus)));
            }
        }
        burst(ring);
        let tick = std::cell::Cell::new(0u32);
        let handle = set_interval_with_handle(
            move || {
                tick.set(tick.get() + 1);
                let tick = tick.get();
                let flash = if !tick.is_multiple_of(2) { format!("☎ {text}") } else { title.get_value() };
                document().set_title(&flash);
                if tick.is_multiple_of(3) {
                    burst(ring);
                }
            },
            Duration::from_millis(1000),
        )
        .ok();
        ticker.set_value(handle);
    });
    on_cleanup(stop);

    view! {
        <div class="ab-sr-only" role="status" aria-live="assertive" data-testid="ring-announcement">{move || announcement.get()}</div>
    }
}
