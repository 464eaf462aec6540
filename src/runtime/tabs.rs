//! One phone across tabs. Among tabs of this origin, the holder of the Web Lock
//! `agentbar-phone` holds the gateway session and polls; the others mirror its session over a
//! BroadcastChannel and forward their agent's intents to it. "Use the phone here" steals the
//! lock; when the holder closes, the next tab in the lock's queue takes over with the
//! remembered session (updateGuid / the bridge cookie), without signing in again.
//!
//! No password crosses the channel: a tab that is asked to sign in takes the phone and signs in
//! itself. Every forwarded intent carries the asking tab's ticket, and its outcome comes back to
//! that tab (so a host page embedding a follower tab gets its reply).

use super::log::warn;
use super::{Outcome, Ticket, Toolbar};
use crate::core::share;
use crate::core::step::Intent;
use crate::core::{GatewayError, Refusal, Session};
use leptos::prelude::*;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const LOCK: &str = "agentbar-phone";
pub(crate) const CHANNEL: &str = "agentbar-phone";

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (Web Locks; web-sys has it only behind an unstable cfg).
    #[wasm_bindgen(thread_local_v2, js_namespace = navigator, js_name = locks)]
    static LOCKS: JsValue;
    #[wasm_bindgen(js_namespace = ["navigator", "locks"], js_name = request)]
    pub(crate) fn lock_request(name: &str, options: &JsValue, callback: &js_sys::Function)
        -> js_sys::Promise;
}

/// A message between tabs. Encoded by hand (`core::share`): no password, no derived codecs.
enum TabMessage {
    /// The holder's session, after every change.
    State { session: Box<Session> },
    /// A tab that just opened asks the holder for its state.
    Sync,
    /// A tab's agent asked for something; the holder carries it out. Never a sign-in.
    Intent { from: String, ticket: Ticket, intent: Intent },
    /// What became of an intent a tab forwarded.
    Outcome { to: String, ticket: Ticket, outcome: TabOutcome },
    /// A tab took the phone: the previous holder stops polling.
    Handover { to: String },
}

/// `Outcome` as it crosses the channel.
enum TabOutcome {
    Done(Result<serde_json::Value, GatewayError>),
    Refused(Refusal),
    Accepted,
}

struct Tabs {
    id: String,
    channel: web_sys::BroadcastChannel,
    /// Resolving it releases the lock this tab holds.
    release: Option<js_sys::Function>,
    /// A sign-in asked for here while another tab held the phone: carried out here once this
    /// tab has it.
    sign_in: Option<(Ticket, Intent)>,
    /// Intents this tab forwarded, waiting for their outcome.
    forwarded: Vec<(Ticket, Intent)>,
    /// Intents this tab (the holder) carries out for others: its ticket → (tab, their ticket).
    serving: Vec<(Ticket, String, Ticket)>,
}

impl TabMessage {
    fn to_json(&self) -> Option<Value> {
        Some(match self {
            TabMessage::State { session } => {
                json!({"type": "state", "session": share::session_json(session)})
            }
            TabMessage::Sync => json!({"type": "sync"}),
            TabMessage::Intent { from, ticket, intent } => {
                json!({"type": "intent", "from": from, "ticket": ticket, "intent": share::intent_json(intent)?})
            }
            TabMessage::Outcome { to, ticket, outcome } => {
                let outcome = match outcome {
                    TabOutcome::Done(Ok(v)) => json!({"ok": v}),
                    TabOutcome::Done(Err(e)) => json!({"err": share::error_json(e)}),
                    TabOutcome::Refused(r) => json!({"refused": share::refusal_json(*r)}),
                    TabOutcome::Accepted => json!({"accepted": true}),
                };
                json!({"type": "outcome", "to": to, "ticket": ticket, "outcome": outcome})
            }
            TabMessage::Handover { to } => json!({"type": "handover", "to": to}),
        })
    }

    fn from_json(v: &Value) -> Option<TabMessage> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let ticket = || v.get("ticket").and_then(Value::as_u64);
        Some(match v.get("type")?.as_str()? {
            "state" => TabMessage::State { session: Box::new(share::session_from(v.get("session")?)?) },
            "sync" => TabMessage::Sync,
            "intent" => TabMessage::Intent {
                from: text("from")?,
                ticket: ticket()?,
                intent: share::intent_from(v.get("intent")?)?,
            },
            "outcome" => {
                let o = v.get("outcome")?;
                let outcome = if let Some(ok) = o.get("ok") {
                    TabOutcome::Done(Ok(ok.clone()))
                } else if let Some(err) = o.get("err") {
                    TabOutcome::Done(Err(share::error_from(err)))
                } else if let Some(r) = o.get("refused") {
                    TabOutcome::Refused(share::refusal_from(r)?)
                } else {
                    TabOutcome::Accepted
                };
                TabMessage::Outcome { to: text("to")?, ticket: ticket()?, outcome }
            }
            "handover" => TabMessage::Handover { to: text("to")? },
            _ => return None,
        })
    }
}

fn post(channel: &web_sys::BroadcastChannel, msg: &TabMessage) {
    if let Some(v) = msg.to_json() {
        let _ = channel.post_message(&JsValue::from_str(&v.to_string()));
    }
}

/// Starts the tab coordination. Without Web Locks or BroadcastChannel the tab simply keeps
/// its own phone, as a single tab does.
pub fn start(tb: Toolbar) -> bool {
    let locks_available = LOCKS.with(|l| !l.is_undefined() && !l.is_null());
    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else { return false };
    if !locks_available {
        return false;
    }
    // Until the first lock answer, intents wait (`when_settled`): one asked for now would
    // otherwise find this tab a follower for a moment and go to a phone nobody holds.
    tb.io.phone_waiters.set_value(Some(Vec::new()));
    let id = format!("tab-{:08x}", (js_sys::Math::random() * f64::from(u32::MAX)) as u32);
    let tabs = Rc::new(RefCell::new(Tabs {
        id,
        channel,
        release: None,
        sign_in: None,
        forwarded: Vec::new(),
        serving: Vec::new(),
    }));
    answer_forwarded(tb, tabs.clone());
    // Until the lock is granted this tab is a follower.
    become_follower(tb, &tabs);
    listen(tb, tabs.clone());
    broadcast_state(tb, tabs.clone());
    request_lock(tb, tabs.clone(), LockRequest::IfFree);
    post(&tabs.borrow().channel, &TabMessage::Sync);
    // Expose "use the phone here" to the view.
    let here = tabs.clone();
    tb.io.take_phone.set_value(Some(Rc::new(move || take_phone(tb, &here))));
    true
}

fn become_follower(tb: Toolbar, tabs: &Rc<RefCell<Tabs>>) {
    tb.stop_polling();
    tb.phone.here.set(false);
    let here = tabs.clone();
    let forward: Rc<dyn Fn(Ticket, Intent)> = Rc::new(move |ticket, intent| {
        if matches!(intent, Intent::SignIn { .. }) {
            // The password stays in this tab: it takes the phone and signs in itself.
            here.borrow_mut().sign_in = Some((ticket, intent));
            take_phone(tb, &here);
            return;
        }
        let mut t = here.borrow_mut();
        t.forwarded.push((ticket, intent.clone()));
        let from = t.id.clone();
        post(&t.channel, &TabMessage::Intent { from, ticket, intent });
    });
    tb.io.forward.set_value(Some(forward));
}

fn become_holder(tb: Toolbar, tabs: &Rc<RefCell<Tabs>>) {
    tb.io.forward.set_value(None);
    tb.phone.here.set(true);
    let sign_in = tabs.borrow_mut().sign_in.take();
    match sign_in {
        Some((ticket, intent)) => {
            let _ = tb.ask_as(ticket, intent);
        }
        // Carry on with the session another tab (or this page before a reload) had.
        None => tb.recover(),
    }
}

/// The holder tells a forwarding tab what became of its intent.
fn answer_forwarded(tb: Toolbar, tabs: Rc<RefCell<Tabs>>) {
    tb.on_done(Rc::new(move |ticket: Ticket, _intent: &Intent, outcome: &Outcome| {
        let mut t = tabs.borrow_mut();
        let Some(pos) = t.serving.iter().position(|(mine, _, _)| *mine == ticket) else { return };
        let (_, to, theirs) = t.serving.remove(pos);
        let outcome = match outcome {
            Outcome::Done(result) => TabOutcome::Done((*result).clone()),
            Outcome::Refused(why) => TabOutcome::Refused(*why),
            Outcome::Accepted => TabOutcome::Accepted,
        };
        post(&t.channel, &TabMessage::Outcome { to, ticket: theirs, outcome });
    }));
}

/// How a tab asks for the phone's lock.
#[derive(Clone, Copy, PartialEq)]
enum LockRequest {
    /// At start: take it if no tab holds it, else queue for it (and know which at once).
    IfFree,
    /// Wait in the queue.
    Queue,
    /// "Use the phone here", or a sign-in in a follower tab.
    Steal,
}

/// What waits for this tab to know whether it holds the phone.
pub(crate) type Waiter = Box<dyn FnOnce()>;

/// Runs `then` once this tab knows whether it holds the phone: at once, except between
/// `start` and the first answer of the lock.
pub(crate) fn when_settled(tb: Toolbar, then: Waiter) {
    let mut then = Some(then);
    tb.io.phone_waiters.try_update_value(|waiting| {
        if let Some(queue) = waiting {
            queue.extend(then.take());
        }
    });
    if let Some(then) = then {
        then();
    }
}

fn settle(tb: Toolbar) {
    let waiting = tb.io.phone_waiters.try_update_value(Option::take).flatten().unwrap_or_default();
    for then in waiting {
        then();
    }
}

fn request_lock(tb: Toolbar, tabs: Rc<RefCell<Tabs>>, how: LockRequest) {
    let granted_tabs = tabs.clone();
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            // `ifAvailable` and another tab holds it: this tab follows, and queues.
            settle(tb);
            request_lock(tb, granted_tabs, LockRequest::Queue);
            return JsValue::UNDEFINED;
        }
        become_holder(tb, &granted_tabs);
        settle(tb);
        // Held until this tab hands the phone over (or closes).
        js_sys::Promise::new(&mut |resolve, _reject| granted_tabs.borrow_mut().release = Some(resolve)).into()
    });
    let options = js_sys::Object::new();
    match how {
        LockRequest::Steal => {
            let _ = js_sys::Reflect::set(&options, &"steal".into(), &JsValue::TRUE);
        }
        LockRequest::IfFree => {
            let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
        }
        LockRequest::Queue => {}
    }
    let promise = lock_request(LOCK, &options, callback.unchecked_ref());
    // A stolen lock rejects its holder's request: that tab is a follower now and queues again.
    let on_lost = Closure::once(move |err: JsValue| {
        if tb.phone.here.get_untracked() {
            // Stolen before the handover message arrived (else the tab is already a follower).
            become_follower(tb, &tabs);
            request_lock(tb, tabs, LockRequest::Queue);
        } else {
            // The lock cannot be had here at all (some embedding contexts refuse Web Locks):
            // this tab keeps its own phone, as a single tab would.
            warn(&format!("agentbar: no phone lock ({err:?}); this tab keeps its own phone"));
            become_holder(tb, &tabs);
            settle(tb);
        }
    });
    let _ = promise.catch(&on_lost);
    on_lost.forget();
}

fn take_phone(tb: Toolbar, tabs: &Rc<RefCell<Tabs>>) {
    if tb.phone.here.get_untracked() {
        return;
    }
    let to = tabs.borrow().id.clone();
    post(&tabs.borrow().channel, &TabMessage::Handover { to });
    request_lock(tb, tabs.clone(), LockRequest::Steal);
}

fn listen(tb: Toolbar, tabs: Rc<RefCell<Tabs>>) {
    let channel = tabs.borrow().channel.clone();
    let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        let Some(msg) = serde_json::from_str::<Value>(&text).ok().as_ref().and_then(TabMessage::from_json)
        else {
            return warn("agentbar: unreadable tab message");
        };
        let holder = tb.phone.here.get_untracked();
        match msg {
            TabMessage::State { session } if !holder => {
                let mut session = *session;
                session.supported = tb.view.session.with_untracked(|s| s.supported);
                tb.view.session.set(session);
            }
            TabMessage::Sync if holder => post(
                &tabs.borrow().channel,
                &TabMessage::State { session: Box::new(tb.view.session.get_untracked()) },
            ),
            TabMessage::Intent { from, ticket, intent }
                if holder && !matches!(intent, Intent::SignIn { .. }) =>
            {
                let mine = tb.reserve_ticket();
                tabs.borrow_mut().serving.push((mine, from, ticket));
                let _ = tb.ask_as(mine, intent);
            }
            TabMessage::Outcome { to, ticket, outcome } if to == tabs.borrow().id => {
                let asked = {
                    let mut t = tabs.borrow_mut();
                    let pos = t.forwarded.iter().position(|(mine, _)| *mine == ticket);
                    pos.map(|p| t.forwarded.remove(p).1)
                };
                if let Some(intent) = asked {
                    let result;
                    let outcome = match outcome {
                        TabOutcome::Done(r) => {
                            result = r;
                            Outcome::Done(&result)
                        }
                        TabOutcome::Refused(why) => Outcome::Refused(why),
                        TabOutcome::Accepted => Outcome::Accepted,
                    };
                    tb.tell(ticket, &intent, &outcome);
                }
            }
            TabMessage::Handover { to } if holder && to != tabs.borrow().id => {
                // The other tab takes the phone: stop using the session at once, let the lock go,
                // and queue again to take over should that tab close.
                let release = tabs.borrow_mut().release.take();
                become_follower(tb, &tabs);
                if let Some(release) = release {
                    let _ = release.call0(&JsValue::NULL);
                }
                request_lock(tb, tabs.clone(), LockRequest::Queue);
            }
            _ => {}
        }
    });
    channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
}

/// The holder's session after every change, and once when it takes the phone (a tab without
/// the engine waits for that to follow it).
fn broadcast_state(tb: Toolbar, tabs: Rc<RefCell<Tabs>>) {
    Effect::new(move |_| {
        let session = tb.view.session.get();
        if tb.phone.here.get() {
            post(&tabs.borrow().channel, &TabMessage::State { session: Box::new(session) });
        }
    });
}
