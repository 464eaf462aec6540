//! The event relay's stream (issue 15, docs/RELAY.md). A CC-Gateway agent signs in in push
//! mode (the relay gives the callback URI and the agent's service token); a CCC agent's
//! webhook events reach the relay through the instance's `UpdateSubscription`. Either way the
//! agent's events reach this tab over Server-Sent Events instead of a long-poll or a
//! PollUserStatus per second.
//!
//! EventSource cannot send headers, so each connection takes a single-use ticket, bought with
//! the agent's Guid (checked once at the gateway) or the bridge's session cookie (checked at
//! the bridge). The first connection starts at the stream's head (`from=now`: older events
//! belong to earlier sessions); on a drop the stream is opened again with a new ticket and the
//! last event id, and the relay replays exactly what was missed from its backlog. After every
//! open, and on `reset` (the backlog no longer holds what was missed), one read reconciles.

use super::log::warn;
use super::Toolbar;
use crate::config::Vendor;
use crate::core::poll::{PollPolicy, StreamTracker};
use crate::core::step::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The header the relay reads the Guid from (the gateway's own name for it).
#[cfg(feature = "huawei")]
const GUID_HEADER: &str = "guid";

impl Toolbar {
    /// The relay's base URL when the deployment has one ("" = this page's origin).
    pub(crate) fn relay(&self) -> Option<String> {
        self.io.deployment.with_value(|d| d.relay.clone())
    }

    #[cfg(feature = "huawei")]
    /// `POST /relay/huawei/push-params`: the callback URI and service token for the sign-in.
    pub(crate) async fn push_params(
        &self,
        relay: &str,
        agent_id: &str,
    ) -> Result<serde_json::Value, crate::core::GatewayError> {
        let body = serde_json::json!({ "agentId": agent_id }).to_string();
        let answer = gloo_net::http::Request::post(&format!("{relay}/relay/huawei/push-params"))
            .header("content-type", "application/json")
            .body(body)
            .map_err(|e| crate::core::GatewayError::transport(e.to_string()))?
            .send()
            .await
            .map_err(|e| crate::core::GatewayError::transport(e.to_string()))?;
        if !answer.ok() {
            return Err(crate::core::GatewayError::transport(format!("relay: HTTP {}", answer.status())));
        }
        let text = answer.text().await.map_err(|e| crate::core::GatewayError::transport(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| crate::core::GatewayError::transport(e.to_string()))
    }

    /// A single-use ticket for the agent's stream: CC-Gateway with the Guid, CCC with the
    /// bridge's session cookie (sent to the relay's origin too).
    async fn relay_ticket(&self, relay: &str) -> Result<String, String> {
        let mut req = gloo_net::http::Request::post(&format!("{relay}/relay/ticket"))
            .header("content-type", "application/json");
        let body = match self.view.vendor {
            #[cfg(feature = "huawei")]
            Vendor::Huawei => {
                let client = self.io.client.try_get_value().ok_or("no client")?;
                if let Some(guid) = client.guid() {
                    req = req.header(GUID_HEADER, &guid);
                }
                let agent_id = self.view.session.with_untracked(|s| s.agent_id.clone());
                serde_json::json!({ "vendor": "huawei", "agentId": agent_id })
            }
            _ => {
                req = req.credentials(web_sys::RequestCredentials::Include);
                serde_json::json!({ "vendor": "ccc" })
            }
        };
        let answer =
            req.body(body.to_string()).map_err(|e| e.to_string())?.send().await.map_err(|e| e.to_string())?;
        if !answer.ok() {
            return Err(format!("HTTP {}", answer.status()));
        }
        let text = answer.text().await.map_err(|e| e.to_string())?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        v.get("ticket").and_then(|t| t.as_str()).map(String::from).ok_or_else(|| "no ticket".into())
    }

    /// One relayed event, by its SSE name.
    fn relay_event(&self, kind: &str, text: &str) {
        match (kind, self.view.vendor) {
            #[cfg(feature = "huawei")]
            ("huawei", Vendor::Huawei) => {
                use crate::adapter::huawei::{self as hw, Decoded};
                match serde_json::from_str::<crate::protocol::huawei::RawEvent>(text) {
                    Ok(raw) => match hw::decode_event(&raw) {
                        Decoded::Event(ev) => self.apply(Input::Event(ev)),
                        Decoded::Ignored => {}
                        Decoded::Unknown(t) => warn(&format!("agentbar: skipped unknown event {t}")),
                    },
                    Err(err) => warn(&format!("agentbar: skipped a relay event that is not one: {err}")),
                }
            }
            #[cfg(feature = "aliyun")]
            ("ccc", Vendor::Aliyun) => self.ccc_on_push(text),
            _ => {}
        }
    }

    /// After the stream opened (first time or again) or said `reset`: read the gateway once.
    fn relay_reconcile(&self) {
        self.want_read(crate::core::reads::Read::Resync);
    }

    /// Takes the agent's events from the relay until the generation changes (sign-out, a new
    /// sign-in) or the abort signal fires.
    pub(crate) async fn relay_loop(self, relay: String, generation: u64, signal: web_sys::AbortSignal) {
        let last_id: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
        let (policy, mut tracker) = (PollPolicy::default(), StreamTracker::default());
        loop {
            if !self.is_current(generation) || signal.aborted() {
                return;
            }
            let ticket = match self.relay_ticket(&relay).await {
                Ok(t) => t,
                Err(e) => {
                    warn(&format!("agentbar: relay ticket refused: {e}"));
                    let delay = tracker.refused(&policy, js_sys::Math::random());
                    self.apply(Input::PollFailing { attempt: tracker.failing() });
                    // A Guid the gateway no longer knows: the resync says so (session lost).
                    self.want_read(crate::core::reads::Read::Resync);
                    gloo_timers::future::TimeoutFuture::new(delay as u32).await;
                    continue;
                }
            };
            let mut url = format!("{relay}/relay/stream?ticket={ticket}");
            match last_id.borrow().as_deref() {
                Some(id) => url.push_str(&format!("&lastEventId={}", js_sys::encode_uri_component(id))),
                None => url.push_str("&from=now"),
            }
            let Ok(source) = web_sys::EventSource::new(&url) else {
                warn("agentbar: no EventSource; cannot take events from the relay");
                return;
            };
            let this = self;
            let kind = match self.view.vendor {
                Vendor::Huawei => "huawei",
                Vendor::Aliyun => "ccc",
            };
            let ids = last_id.clone();
            let on_event =
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                    if !this.is_current(generation) {
                        return;
                    }
                    let id = e.last_event_id();
                    if !id.is_empty() {
                        *ids.borrow_mut() = Some(id);
                    }
                    let Some(text) = e.data().as_string() else { return };
                    this.relay_event(kind, &text);
                });
            // Dynamic Guid mode: the gateway rotates the Guid on the relay's handshake, and the
            // relay passes it on; this tab's requests must use the newest one.
            let on_guid =
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                    let v =
                        e.data().as_string().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
                    let guid =
                        v.as_ref().and_then(|v| v.get("guid")).and_then(|g| g.as_str()).map(String::from);
                    #[cfg(feature = "huawei")]
                    if let (Some(guid), Some(client)) = (guid, this.io.client.try_get_value()) {
                        client.set_guid(guid);
                        this.persist_guid(&client);
                    }
                    #[cfg(not(feature = "huawei"))]
                    let _ = guid;
                });
            let on_reset =
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
                    // The backlog no longer holds what this tab missed: read the gateway once.
                    this.relay_reconcile();
                });
            let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                this.apply(Input::PollAlive);
                // What happened before this stream (since sign-in, or while it was down).
                this.relay_reconcile();
            });
            let _ = source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
            let _ = source.add_event_listener_with_callback("reset", on_reset.as_ref().unchecked_ref());
            let _ = source.add_event_listener_with_callback("guid", on_guid.as_ref().unchecked_ref());
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            // Ends on the first error (EventSource would retry with the used ticket) or abort.
            let mut settle = None;
            let ended = js_sys::Promise::new(&mut |resolve, _| {
                source.set_onerror(Some(&resolve));
                let _ = signal.add_event_listener_with_callback("abort", &resolve);
                settle = Some(resolve);
            });
            let opened_at = js_sys::Date::now();
            let _ = wasm_bindgen_futures::JsFuture::from(ended).await;
            source.close();
            source.set_onerror(None);
            source.set_onopen(None);
            // The signal outlives this stream: one abort listener per reconnect would pile up.
            if let Some(resolve) = settle {
                let _ = signal.remove_event_listener_with_callback("abort", &resolve);
            }
            drop((on_event, on_guid, on_reset, on_open));
            if !self.is_current(generation) || signal.aborted() {
                return;
            }
            let delay = tracker.dropped(&policy, js_sys::Date::now() - opened_at, js_sys::Math::random());
            warn("agentbar: the relay's stream dropped; reconnecting");
            self.apply(Input::PollFailing { attempt: tracker.failing() });
            gloo_timers::future::TimeoutFuture::new(delay as u32).await;
        }
    }

    pub(crate) fn start_relay_stream(&self, relay: String) {
        let Some((generation, signal)) = self.claim_event_source() else { return };
        let this = *self;
        spawn_local(async move { this.relay_loop(relay, generation, signal).await });
    }
}
