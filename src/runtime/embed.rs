//! The embedding API's browser side: origin-checked postMessage, the handshake, commands and
//! sequenced events (docs/EMBEDDING.md). The rules themselves are in `crate::embed`.

use super::log::warn;
use super::{now_ms, Outcome, Ticket, Toolbar};
use crate::config::Vendor;
use crate::core::actions::Action;
use crate::core::step::Intent;
use crate::core::transfer::TransferKind;
use crate::core::Session;
use crate::embed::protocol::{origin_allowed, parse_envelope};
use crate::embed::{host_events, parse_command, snapshot, Command, EmbedError, Envelope, Journal, VERSION};
use leptos::prelude::*;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// Where the journal survives a reload of the page (and so of a host that embeds us).
const JOURNAL_KEY: &str = "agentbar.embed.journal";

#[derive(Default)]
struct Host {
    allowlist: Vec<String>,
    /// The parent's origin once its hello passed the allowlist; the only target we post to.
    origin: Option<String>,
    subscribed: bool,
    journal: Journal,
    counter: u64,
    /// Commands waiting for their outcome: the toolbar's ticket and the command's envelope.
    pending: Vec<(Ticket, Envelope)>,
    last: Session,
}

type Shared = Rc<RefCell<Host>>;

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn next_id(h: &mut Host) -> String {
    h.counter += 1;
    format!("ab-{}-{}", now_ms(), h.counter)
}

fn post(h: &Host, env: &Envelope) {
    let (Some(origin), Ok(Some(parent))) = (h.origin.as_deref(), window().parent()) else { return };
    let text = env.to_json().to_string();
    // Structured clone of a JSON value: hosts get plain objects.
    let Ok(value) = js_sys::JSON::parse(&text) else { return };
    if let Err(e) = parent.post_message(&value, origin) {
        warn(&format!("agentbar: postMessage failed: {e:?}"));
    }
}

fn reply(h: &mut Host, to: &Envelope, kind: &str, payload: Value) {
    let id = next_id(h);
    let env = Envelope::reply(to, kind, id, now_ms(), payload);
    post(h, &env);
}

/// Keeps the journal of a signed-in agent for a reload; a signed-out toolbar keeps none (a new
/// host page must not be replayed the previous agent's callers).
fn save_journal(h: &Host) {
    let Some(storage) = local_storage() else { return };
    if !h.last.agent.is_signed_in() {
        let _ = storage.remove_item(JOURNAL_KEY);
        return;
    }
    let stored =
        crate::embed::events::StoredJournal { agent: h.last.agent_id.clone(), journal: h.journal.clone() };
    let _ = storage.set_item(JOURNAL_KEY, &stored.to_json());
}

/// Starts the embedding API when the toolbar runs in a frame and the deployment lists the
/// origins allowed to embed it (`agentbar.json`: `{"embedOrigins": [...]}`).
pub fn start(tb: Toolbar) {
    let Ok(Some(parent)) = window().parent() else { return };
    if parent == window() {
        return; // not embedded
    }
    // Only the journal of the agent whose session this page carries on with.
    let session = tb.view.session.get_untracked();
    let journal = local_storage()
        .and_then(|s| s.get_item(JOURNAL_KEY).ok().flatten())
        .and_then(|t| crate::embed::events::StoredJournal::from_json(&t))
        .and_then(|stored| stored.into_journal_for(&session))
        .unwrap_or_default();
    let host: Shared =
        Rc::new(RefCell::new(Host { journal, last: tb.view.session.get_untracked(), ..Default::default() }));
    host.borrow_mut().allowlist = tb.io.deployment.with_value(|d| d.embed_origins.clone());
    listen(tb, host.clone());
    watch_session(tb, host.clone());
    reply_on_done(tb, host.clone());
    // A reload must not lose what a host has not seen yet.
    let on_hide = host.clone();
    let handle = window_event_listener(leptos::ev::pagehide, move |_| save_journal(&on_hide.borrow()));
    std::mem::forget(handle); // lives as long as the page
}

fn transfer_kind(tb: Toolbar, s: &Session) -> TransferKind {
    TransferKind::for_call(tb.view.vendor == Vendor::Aliyun, s.active().map(|c| c.media).unwrap_or_default())
}

fn listen(tb: Toolbar, host: Shared) {
    let handle = window_event_listener(leptos::ev::message, move |ev: web_sys::MessageEvent| {
        let origin = ev.origin();
        // A cross-origin WindowProxy is not `instanceof Window`: compare identities instead.
        let from_parent = ev
            .source()
            .zip(window().parent().ok().flatten())
            .is_some_and(|(src, parent)| js_sys::Object::is(src.as_ref(), parent.as_ref()));
        let mut h = host.borrow_mut();
        // Other origins get nothing at all, not even an error: we never post to them.
        if !from_parent || !origin_allowed(&origin, &h.allowlist) {
            return;
        }
        let raw: Value = match js_sys::JSON::stringify(&ev.data()).ok().and_then(|s| s.as_string()) {
            Some(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
            None => Value::Null,
        };
        let env = match parse_envelope(&raw) {
            Ok(env) => env,
            Err(e) => {
                if h.origin.as_deref() == Some(origin.as_str()) {
                    let id = raw.get("id").and_then(Value::as_str).unwrap_or("").to_string();
                    let to = Envelope::new("invalid", id, 0, Value::Null);
                    reply(&mut h, &to, "error", e.payload(None));
                }
                return;
            }
        };
        if env.kind != "hello" && h.origin.as_deref() != Some(origin.as_str()) {
            // Before the handshake only hello is accepted; the error goes to this (allowed) origin.
            h.origin = Some(origin.clone());
            reply(&mut h, &env, "error", EmbedError::NotReady.payload(None));
            h.origin = None;
            return;
        }
        let session = tb.view.session.get_untracked();
        match parse_command(&env, &session, transfer_kind(tb, &session)) {
            Ok(Command::Hello { nonce }) => {
                h.origin = Some(origin);
                h.subscribed = false;
                // The host's language and look, as far as the deployment allows.
                let (lang, theme) =
                    tb.io.deployment.with_value(|d| crate::config::host_settings(&env.payload, d));
                if let Some(lang) = lang {
                    tb.view.lang.set(lang);
                }
                tb.view.theme.set(theme.clone());
                let settings = json!({
                    "lang": tb.view.lang.get_untracked().tag(),
                    "theme": { "accent": theme.accent, "density": theme.density, "mode": theme.mode },
                });
                let last_seq = h.journal.next_seq;
                let supported: Vec<&str> = Action::ALL
                    .iter()
                    .filter(|a| session.supported.contains(**a))
                    .map(|a| a.name())
                    .collect();
                reply(
                    &mut h,
                    &env,
                    "ready",
                    json!({
                        "version": env!("CARGO_PKG_VERSION"), "protocol": VERSION, "nonce": nonce,
                        "vendor": match tb.view.vendor { Vendor::Huawei => "huawei", Vendor::Aliyun => "aliyun" },
                        "capabilities": { "commands": crate::embed::protocol::COMMANDS, "events": crate::embed::protocol::EVENTS, "actions": supported },
                        "lastSeq": last_seq, "settings": settings,
                    }),
                );
            }
            Ok(Command::Subscribe { since }) => {
                let replay = since.and_then(|s| h.journal.since(s));
                match replay {
                    Some(events) => {
                        let payload = json!({ "replayed": events.len(), "lastSeq": h.journal.next_seq });
                        reply(&mut h, &env, "subscribed", payload);
                        for e in &events {
                            post(&h, e);
                        }
                    }
                    None => {
                        let snap = json!({ "seq": h.journal.next_seq, "state": snapshot(&session) });
                        reply(&mut h, &env, "snapshot", snap);
                    }
                }
                h.subscribed = true;
            }
            Ok(Command::Snapshot) => {
                let snap = json!({ "seq": h.journal.next_seq, "state": snapshot(&session) });
                reply(&mut h, &env, "snapshot", snap);
            }
            Ok(Command::Act(intent)) => {
                // The outcome (even a refusal at the gate) comes to `reply_on_done` by ticket.
                let ticket = tb.reserve_ticket();
                h.pending.push((ticket, env));
                drop(h);
                let _ = tb.ask_as(ticket, intent);
            }
            Err(e) => reply(&mut h, &env, "error", e.payload(None)),
        }
    });
    std::mem::forget(handle);
}

fn watch_session(tb: Toolbar, host: Shared) {
    Effect::new(move |_| {
        let next = tb.view.session.get();
        let mut h = host.borrow_mut();
        let events = host_events(&h.last, &next, now_ms());
        let signed_out = h.last.agent.is_signed_in() && !next.agent.is_signed_in();
        h.last = next;
        for (kind, payload) in events {
            let id = next_id(&mut h);
            let env = h.journal.push(Envelope::new(kind, id, now_ms(), payload));
            if h.subscribed {
                post(&h, &env);
            }
        }
        // The host saw the sign-out live; nothing of that session is replayed to anyone after.
        if signed_out {
            // Numbering carries on, so a host page that stays open keeps taking new events.
            h.journal = Journal { next_seq: h.journal.next_seq, ..Default::default() };
            save_journal(&h);
        }
    });
}

fn reply_on_done(tb: Toolbar, host: Shared) {
    tb.on_done(Rc::new(move |ticket: Ticket, _intent: &Intent, outcome: &Outcome| {
        let mut h = host.borrow_mut();
        let Some(pos) = h.pending.iter().position(|(t, _)| *t == ticket) else { return };
        let (_, env) = h.pending.remove(pos);
        match outcome {
            Outcome::Done(Ok(v)) => reply(&mut h, &env, "result", json!({ "ok": true, "result": v })),
            Outcome::Accepted => reply(&mut h, &env, "result", json!({ "ok": true, "queued": true })),
            Outcome::Done(Err(e)) => {
                reply(&mut h, &env, "error", EmbedError::from_gateway(e).payload(Some(e)))
            }
            Outcome::Refused(why) => {
                reply(&mut h, &env, "error", EmbedError::from_refusal(*why).payload(None))
            }
        }
    }));
}
