//! The CC-Gateway side of the runtime: carrying out intents, the event long-poll, recovery
//! after a reload, and the reads (state, current call, hold list, call data, directory).

use super::gateway::{GatewayClient, NetError};
use super::log::warn;
use super::storage::{load_session, save_session, StoredSession};
use super::{Directory, DirectoryEntry, Ticket, Toolbar};
use crate::adapter::huawei::{self as hw, Decoded};
use crate::core::poll::{Next, PollOutcome, PollPolicy, PollTracker};
use crate::core::reads::Read;
use crate::core::step::{Input, Intent};
use crate::core::ErrorKind;
use crate::i18n::Msg;
use crate::protocol::huawei::{
    decode_hold_list, decode_list, poll_events, AgentEntry, AgentStatus, CallRecord, SkillQueue,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The gateway agent-state code in plain words, for the directory.
fn agent_state_msg(code: Option<i64>) -> Msg {
    match code {
        Some(4) | Some(6) => Msg::AgentIdle,
        Some(3) | Some(8) | Some(5) => Msg::AgentBusy,
        Some(7) => Msg::AgentTalking,
        Some(2) | Some(0) | None => Msg::AgentOffline,
        _ => Msg::AgentOther,
    }
}

impl Toolbar {
    /// Carries out an intent on the CC-Gateway: its plan of requests, one after the other.
    pub(crate) fn execute_huawei(&self, intent: Intent, ticket: Ticket) {
        let agent_id = match &intent {
            Intent::SignIn { agent_id, .. } => agent_id.clone(),
            _ => self.view.session.with_untracked(|s| s.agent_id.clone()),
        };
        let mut plan = hw::plan(&intent, &agent_id);
        let Some(client) = self.io.client.try_get_value() else { return };
        if matches!(intent, Intent::SignIn { .. }) {
            self.stop_polling();
            client.forget_guid();
        }
        let this = *self;
        spawn_local(async move {
            let signing_in = match &intent {
                Intent::SignIn { agent_id, auto_enter_idle, .. } => {
                    Some((agent_id.clone(), *auto_enter_idle))
                }
                _ => None,
            };
            let mut result = Ok(serde_json::Value::Null);
            // Push mode (a deployment with an event relay): the gateway POSTs this agent's
            // events to the relay, which streams them to this tab.
            if let (Some(relay), Some(first)) =
                (this.relay().filter(|_| signing_in.is_some()), plan.first_mut())
            {
                match this.push_params(&relay, &agent_id).await {
                    Ok(params) => {
                        if let (Some(body), Some(params)) =
                            (first.request.body.as_mut().and_then(|b| b.as_object_mut()), params.as_object())
                        {
                            for key in [hw::PUSH_CALLBACK_FIELD, hw::PUSH_TOKEN_FIELD] {
                                if let Some(v) = params.get(key) {
                                    body.insert(key.into(), v.clone());
                                }
                            }
                        }
                    }
                    Err(e) => {
                        warn(&format!("agentbar: the event relay gave no push parameters: {}", e.message));
                        result = Err(e);
                    }
                }
            }
            let plan = if result.is_ok() { plan } else { Vec::new() };
            for step in plan {
                result = client.call(&step.request).await;
                match &result {
                    Err(e) if step.tolerate_no_call && e.kind == ErrorKind::NoCall => {}
                    Err(_) => break,
                    Ok(_) => {}
                }
            }
            if let (Some((agent_id, auto_enter_idle)), Ok(_)) = (signing_in, &result) {
                let stored = StoredSession {
                    vendor: "huawei".into(),
                    agent_id,
                    guid: client.guid(),
                    auto_enter_idle,
                    device_id: String::new(),
                };
                save_session(&stored);
            }
            this.finish(ticket, intent, result);
        });
    }

    /// `updateGuid` with the remembered Guid: the session survived the reload if it answers.
    pub(crate) async fn recover_huawei(&self, stored: &StoredSession) -> bool {
        let this = *self;
        let Some(client) = this.io.client.try_get_value() else { return false };
        if let Some(guid) = stored.guid.clone() {
            client.set_guid(guid);
        }
        match client.call(&hw::update_guid_request(&stored.agent_id)).await {
            Ok(result) => {
                // The new Guid comes in Set-GUID and in result.guid.
                if let Some(guid) = result.get("guid").and_then(|g| g.as_str()).filter(|g| !g.is_empty()) {
                    client.set_guid(guid.to_string());
                }
                this.persist_guid(&client);
                true
            }
            Err(e) => {
                warn(&format!("agentbar: the session did not survive the reload: {} {}", e.code, e.message));
                false
            }
        }
    }

    pub(crate) fn start_huawei_polling(&self) {
        if let Some(relay) = self.relay() {
            return self.start_relay_stream(relay);
        }
        let Some((generation, signal)) = self.claim_event_source() else { return };
        let this = *self;
        spawn_local(async move { this.poll_loop(generation, signal).await });
    }

    /// Keeps the remembered Guid current (it rotates on poll answers).
    pub(crate) fn persist_guid(&self, client: &GatewayClient) {
        // Called after every poll: compare in memory, touch storage only when the Guid rotated.
        let guid = client.guid();
        if self.io.saved_guid.try_with_value(|g| *g == guid).unwrap_or(true) {
            return;
        }
        self.io.saved_guid.set_value(guid);
        if let Some(mut stored) = load_session() {
            if stored.guid != client.guid() {
                stored.guid = client.guid();
                save_session(&stored);
            }
        }
    }

    /// Exactly one poll is in flight: the loop awaits each answer before the next request,
    /// and a newer loop (or sign-out) bumps the generation and aborts this one's fetch.
    pub(crate) async fn poll_loop(self, generation: u64, signal: web_sys::AbortSignal) {
        let policy = PollPolicy::default();
        let mut tracker = PollTracker::default();
        loop {
            let Some(client) = self.io.client.try_get_value() else {
                return;
            };
            let agent_id = self.view.session.with_untracked(|s| s.agent_id.clone());
            let answer = client.send(&hw::poll_request(&agent_id), Some(&signal)).await;
            if !self.is_current(generation) {
                return;
            }
            let outcome = match answer {
                Err(NetError::Aborted) => return,
                Err(NetError::Transport(m)) => {
                    warn(&format!("agentbar: poll failed: {m}"));
                    PollOutcome::Transport(m)
                }
                Ok(envelope) if envelope.is_ok() => {
                    let polled = poll_events(&envelope);
                    for skipped in &polled.skipped {
                        warn(&format!("agentbar: skipped {skipped}"));
                    }
                    let any = !polled.events.is_empty();
                    self.persist_guid(&client);
                    // The stream is alive: clear "reconnecting" before applying the events.
                    self.apply(Input::PollAlive);
                    for raw in polled.events {
                        match hw::decode_event(&raw) {
                            Decoded::Event(e) => self.apply(Input::Event(e)),
                            Decoded::Ignored => {}
                            Decoded::Unknown(t) => warn(&format!("agentbar: skipped unknown event {t}")),
                        }
                        if !self.is_current(generation) {
                            return;
                        }
                    }
                    if any {
                        PollOutcome::Events
                    } else {
                        PollOutcome::Empty
                    }
                }
                Ok(envelope) => PollOutcome::Gateway(hw::error_of(&envelope)),
            };
            match tracker.next(&policy, outcome, js_sys::Math::random()) {
                Next::PollAfter { delay_ms, failing } => {
                    if failing > 0 {
                        self.apply(Input::PollFailing { attempt: failing });
                    }
                    if delay_ms > 0 {
                        gloo_timers::future::TimeoutFuture::new(delay_ms.min(u32::MAX as u64) as u32).await;
                    }
                }
                Next::Stop(err) => {
                    self.apply(Input::SessionLost(err));
                    return;
                }
            }
            if !self.is_current(generation) {
                return;
            }
        }
    }

    /// Re-reads state, current call and hold list (after an error or a reconnect). The answers
    /// carry the generation they were asked at, so events that come meanwhile win.
    pub(crate) async fn resync(self) {
        let Some(client) = self.io.client.try_get_value() else { return };
        let (agent_id, as_of) = self.view.session.with_untracked(|s| (s.agent_id.clone(), s.gen));
        self.spend_read();
        let status = match client.call(&hw::status_request(&agent_id)).await {
            Ok(v) => serde_json::from_value::<AgentStatus>(v).unwrap_or_default(),
            Err(e) if e.kind == ErrorKind::SessionLost => return self.apply(Input::SessionLost(e)),
            Err(e) => {
                warn(&format!("agentbar: resync failed: {} {}", e.code, e.message));
                if !e.code.is_empty() {
                    self.apply(Input::ReadFailed(e));
                }
                return;
            }
        };
        self.spend_read();
        let current = client
            .call(&hw::callinfo_request(&agent_id))
            .await
            .ok()
            .and_then(|v| serde_json::from_value::<CallRecord>(v).ok())
            .filter(|c| !c.callid.is_empty())
            .map(|c| hw::call_summary(&c));
        let held = self.fetch_hold_list(&client, &agent_id).await;
        self.apply(Input::Resynced { as_of, state: hw::reported_state(status.agent_state), current, held });
    }

    pub(crate) async fn huawei_directory(self) -> Directory {
        let Some(client) = self.io.client.try_get_value() else { return Directory::default() };
        let agent_id = self.view.session.with_untracked(|s| s.agent_id.clone());
        self.spend_read();
        let skills = client
            .call(&hw::skills_request(&agent_id))
            .await
            .map(|v| decode_list::<SkillQueue>(&v))
            .unwrap_or_default()
            .into_iter()
            .map(|s| DirectoryEntry { address: s.id.to_string(), name: s.name, state: None })
            .collect();
        self.spend_read();
        let agents = client
            .call(&hw::agents_request(&agent_id))
            .await
            .map(|v| decode_list::<AgentEntry>(&v))
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.workno != agent_id)
            .map(|a| DirectoryEntry {
                state: Some(agent_state_msg(a.status)),
                address: a.workno,
                name: a.name,
            })
            .collect();
        Directory { skills, agents }
    }

    /// Reads the attached data of one call that rang without it (still ringing or on screen).
    pub(crate) async fn read_call_data(self) {
        let Some(call_id) =
            self.io.call_data_wanted.try_update_value(|w| (!w.is_empty()).then(|| w.remove(0))).flatten()
        else {
            return;
        };
        if self.io.call_data_wanted.with_value(|w| !w.is_empty()) {
            self.io.reads.update_value(|r| r.want(Read::CallData));
        }
        let Some(client) = self.io.client.try_get_value() else { return };
        let (agent_id, on_screen) =
            self.view.session.with_untracked(|s| (s.agent_id.clone(), s.call(&call_id).is_some()));
        if !on_screen {
            return;
        }
        self.spend_read();
        match client.call(&hw::appdata_request(&agent_id, &call_id)).await {
            Ok(v) => {
                let data = crate::protocol::lenient::value_string(&v);
                if !data.is_empty() {
                    let calldata = Some(data);
                    self.apply(Input::Event(crate::core::Event::CallInfo { call_id, skill: None, calldata }));
                }
            }
            Err(e) => warn(&format!("agentbar: call data of {call_id}: {} {}", e.code, e.message)),
        }
    }

    pub(crate) async fn read_hold_list(self) {
        let Some(client) = self.io.client.try_get_value() else { return };
        let (agent_id, as_of) = self.view.session.with_untracked(|s| (s.agent_id.clone(), s.gen));
        if let Some(held) = self.fetch_hold_list(&client, &agent_id).await {
            self.apply(Input::HoldList { as_of, held });
        }
    }

    pub(crate) async fn fetch_hold_list(
        &self,
        client: &GatewayClient,
        agent_id: &str,
    ) -> Option<Vec<crate::core::step::CallSummary>> {
        self.spend_read();
        match client.call(&hw::holdlist_request(agent_id)).await {
            Ok(v) => Some(decode_hold_list(&v).iter().map(hw::call_summary).collect()),
            Err(e) if e.kind == ErrorKind::NoHeldCall => Some(Vec::new()),
            Err(e) => {
                warn(&format!("agentbar: hold list failed: {} {}", e.code, e.message));
                // A refusal with a code (300-001: no right to query) is the agent's to see. A
                // lost session is the event stream's to report: a forced sign-out closes the
                // session before its ShutdownService event is polled, and that event says why.
                if !e.code.is_empty() && e.kind != ErrorKind::SessionLost {
                    self.apply(Input::ReadFailed(e));
                }
                None
            }
        }
    }
}
