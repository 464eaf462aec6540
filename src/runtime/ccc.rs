//! The toolbar's CCC input/output: bridge sign-in, each operation's contexts diffed into
//! events, the event source (PollUserStatus at a steady cadence, or the relay's webhook stream
//! with PollUserStatus only as catch-up), the directory, and the call detail record.

use super::bridge::CccClient;
use super::log::warn;
use super::{now_ms, save_session, Directory, DirectoryEntry, StoredSession, Ticket, Toolbar};
use crate::adapter::aliyun::{self as ccc, CccCall};
use crate::adapter::aliyun_push as push;
use crate::core::cdr;
use crate::core::poll::{Next, PollOutcome, PollPolicy, PollTracker};
use crate::core::step::{Input, Intent};
use crate::core::{ErrorKind, GatewayError};
use crate::i18n::Msg;
use crate::protocol::aliyun::{CallDetailRecord, Contexts};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

fn sleep(ms: u32) -> gloo_timers::future::TimeoutFuture {
    gloo_timers::future::TimeoutFuture::new(ms)
}

/// Reads `Data.List` of a paged CCC answer.
fn list(data: &Value) -> Vec<Value> {
    data.get("List").and_then(Value::as_array).cloned().unwrap_or_default()
}

fn text(v: &Value, keys: &[&str]) -> String {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str)).unwrap_or_default().to_string()
}

impl Toolbar {
    /// The bridge's cookie outlives a reload: if it is still valid, carry on polling.
    pub(crate) async fn ccc_recover(&self, stored: &StoredSession) -> bool {
        let Some(client) = self.io.ccc_client.try_get_value() else { return false };
        let Some(identity) = client.session().await else { return false };
        self.io.ccc.update_value(|st| {
            st.user_id = identity.user_id;
            st.device_id = stored.device_id.clone();
            st.last = Contexts::default();
            st.last_context_id = None;
            st.cancelled_legs.clear();
        });
        // A reload ends the browser phone with the page: register it again, or an agent with
        // nothing to type (`from: ccc`) would be left with no phone and no way to connect one.
        #[cfg(feature = "softphone")]
        let _ = self.ccc_voice(&client).await;
        true
    }

    pub(crate) fn ccc_send(&self, intent: Intent, ticket: Ticket) {
        let this = *self;
        let Some(client) = self.io.ccc_client.try_get_value() else { return };
        spawn_local(async move {
            let result = this.ccc_run(&client, &intent).await;
            if matches!(intent, Intent::SignOut | Intent::SignOutLeavingCalls) && result.is_ok() {
                client.logout().await;
                #[cfg(feature = "softphone")]
                if let Some(voice) = this.voice.filter(|v| v.automatic()) {
                    voice.disconnect();
                }
            }
            if let (Intent::SignIn { agent_id, auto_enter_idle, .. }, Ok(_)) = (&intent, &result) {
                let device_id = this.io.ccc.with_value(|st| st.device_id.clone());
                save_session(&StoredSession {
                    vendor: "aliyun".into(),
                    agent_id: agent_id.clone(),
                    guid: None,
                    auto_enter_idle: *auto_enter_idle,
                    device_id,
                });
            }
            this.finish(ticket, intent, result);
        });
    }

    pub(crate) async fn ccc_run(&self, client: &CccClient, intent: &Intent) -> Result<Value, GatewayError> {
        let signing_in = matches!(intent, Intent::SignIn { .. });
        if let Intent::SignIn { agent_id, password, .. } = intent {
            self.stop_polling();
            let identity = client.login(agent_id, password).await?;
            let mut groups = self.view.config.with_value(|c| c.skill_groups.clone());
            if groups.is_empty() {
                groups = self.ccc_skill_groups(client).await;
            }
            let device_id = format!("agentbar-{:08x}", (js_sys::Math::random() * f64::from(u32::MAX)) as u32);
            // A browser phone on CCC: its device is the one CCC rings; register it first.
            #[cfg(feature = "softphone")]
            let device_id = self.ccc_voice(client).await.unwrap_or(device_id);
            self.io.ccc.update_value(|st| {
                st.device_id = device_id;
                st.skill_groups = groups;
                st.user_id = identity.user_id;
                st.last = Contexts::default();
                st.last_context_id = None;
                st.cancelled_legs.clear();
            });
        }
        let Some(state) = self.io.ccc.try_get_value() else { return Ok(Value::Null) };
        let plan = ccc::plan(intent, &state);
        if plan.is_empty() {
            return Err(GatewayError {
                kind: ErrorKind::Other,
                code: "Unsupported".into(),
                message: String::new(),
                retry_after_secs: None,
            });
        }
        let mut data = Value::Null;
        for call in plan {
            let env = client.call(&call).await?;
            // At sign-in the first poll reads the state, so the session sees it in order.
            if !signing_in {
                self.ccc_absorb(&env.data, ccc::Answer::Operation(intent));
            }
            data = ccc::result_of(intent, &env.data);
        }
        Ok(data)
    }

    /// Diffs an answer's contexts against the last ones and applies the events.
    pub(crate) fn ccc_absorb(&self, data: &Value, answer: ccc::Answer) {
        let Some(events) = self.io.ccc.try_update_value(|st| ccc::absorb(st, data, answer)) else { return };
        for event in events {
            self.apply(Input::Event(event));
        }
    }

    /// GetLoginDetails (the bridge pins it to this agent), the TURN relays, then the browser
    /// phone registers. Returns CCC's DeviceId for the softphone, for SignInGroup.
    #[cfg(feature = "softphone")]
    async fn ccc_voice(&self, client: &CccClient) -> Option<String> {
        let voice = self.voice.filter(|v| v.automatic())?;
        let cfg = self.io.deployment.with_value(|d| d.softphone.clone())?;
        let ask = |action: &'static str| CccCall { action, params: json!({}) };
        let details = match client.call(&ask("GetLoginDetails")).await {
            Ok(env) => env.data,
            Err(e) => {
                voice.account_failed(format!("GetLoginDetails {} {}", e.code, e.message));
                return None;
            }
        };
        // TURN is best effort: without it, calls still work where UDP is open.
        let turn = client.call(&ask("GetTurnServerList")).await.map(|e| e.data).unwrap_or_default();
        let creds = if turn.is_null() {
            Value::Null
        } else {
            client.call(&ask("GetTurnCredentials")).await.map(|e| e.data).unwrap_or_default()
        };
        match ccc::voice_account(&details, &turn, &creds, &cfg) {
            Ok(account) => voice.connect_account(account),
            Err(why) => voice.account_failed(why),
        }
        Some(text(&details, &["DeviceId"])).filter(|d| !d.is_empty())
    }

    pub(crate) async fn ccc_skill_groups(&self, client: &CccClient) -> Vec<String> {
        let call = CccCall { action: "ListSkillGroups", params: json!({ "PageNumber": 1, "PageSize": 100 }) };
        match client.call(&call).await {
            Ok(env) => list(&env.data)
                .iter()
                .map(|g| text(g, &["SkillGroupId", "Id"]))
                .filter(|g| !g.is_empty())
                .collect(),
            Err(e) => {
                warn(&format!("agentbar: skill groups: {} {}", e.code, e.message));
                Vec::new()
            }
        }
    }

    pub(crate) fn ccc_start_polling(&self) {
        // A deployment with an event relay: webhook events over SSE, no poll per second.
        if let Some(relay) = self.relay() {
            return self.start_relay_stream(relay);
        }
        let Some(generation) = self.io.poll.try_update_value(|p| p.generation) else { return };
        let this = *self;
        spawn_local(async move { this.ccc_poll_loop(generation).await });
    }

    /// PollUserStatus at the configured cadence (CCC has no browser event stream), with the
    /// same backoff policy as the CC-Gateway's long-poll when the bridge fails.
    pub(crate) async fn ccc_poll_loop(self, generation: u64) {
        let policy = PollPolicy::default();
        let mut tracker = PollTracker::default();
        let cadence = self.view.config.with_value(|c| c.poll_ms);
        loop {
            let (Some(client), Some(state)) =
                (self.io.ccc_client.try_get_value(), self.io.ccc.try_get_value())
            else {
                return;
            };
            let answer = client.call(&ccc::poll_call(&state)).await;
            if !self.is_current(generation) {
                return;
            }
            let delay = match answer {
                Ok(env) => {
                    tracker.next(&policy, PollOutcome::Empty, 0.0);
                    self.apply(Input::PollAlive);
                    self.ccc_absorb(&env.data, ccc::Answer::Poll);
                    cadence
                }
                Err(e) => {
                    let outcome = if e.code.is_empty() {
                        PollOutcome::Transport(e.message.clone())
                    } else {
                        PollOutcome::Gateway(e.clone())
                    };
                    match tracker.next(&policy, outcome, js_sys::Math::random()) {
                        Next::PollAfter { delay_ms, failing } => {
                            self.apply(Input::PollFailing { attempt: failing.max(1) });
                            delay_ms.min(u32::MAX as u64) as u32
                        }
                        Next::Stop(err) => return self.apply(Input::SessionLost(err)),
                    }
                }
            };
            sleep(delay).await;
            if !self.is_current(generation) {
                return;
            }
        }
    }

    /// One relayed webhook event: applied at once where it carries enough, else (and for the
    /// numbers of a ring) one coalesced PollUserStatus.
    pub(crate) fn ccc_on_push(&self, text: &str) {
        let ev = match crate::protocol::aliyun::decode_webhook(text) {
            Ok(ev) => ev,
            Err(e) => return warn(&format!("agentbar: skipped a relayed CCC event: {e}")),
        };
        let Some(decoded) = self.io.ccc.try_update_value(|st| push::decode(&ev, st)) else { return };
        if let Some(t) = &decoded.unknown {
            warn(&format!("agentbar: skipped unknown CCC event {t}"));
        }
        // A call event about a call not on screen (its ring was missed): read it.
        let unknown_call = decoded.events.iter().any(|e| {
            !matches!(e, crate::core::Event::Ringing(_))
                && e.call_id().is_some_and(|id| self.view.session.with_untracked(|s| s.call(id).is_none()))
        });
        if !decoded.events.is_empty() {
            self.io.ccc_catch_up.update_value(|c| c.pushed());
        }
        for event in decoded.events {
            self.apply(Input::Event(event));
        }
        if decoded.read || unknown_call {
            // After the views have drawn what the events changed (the banner first, its numbers
            // after): the read goes out in the next task.
            let this = *self;
            spawn_local(async move {
                sleep(0).await;
                this.ccc_catch_up(false);
            });
        }
    }

    /// Asks for a catch-up PollUserStatus (`reconcile`: after the stream opened or a `reset`,
    /// the answer is also applied as a generation-ordered resync). One in flight, one queued.
    pub(crate) fn ccc_catch_up(&self, reconcile: bool) {
        if let Some(Some(_)) = self.io.ccc_catch_up.try_update_value(|c| c.want(reconcile)) {
            self.ccc_read(0);
        }
    }

    fn ccc_read(&self, failures: u32) {
        let this = *self;
        let Some(generation) = self.io.poll.try_with_value(|p| p.generation) else { return };
        let as_of = self.view.session.with_untracked(|s| s.gen);
        spawn_local(async move {
            let (Some(client), Some(state)) =
                (this.io.ccc_client.try_get_value(), this.io.ccc.try_get_value())
            else {
                return;
            };
            let answer = client.call(&ccc::poll_call(&state)).await;
            if !this.is_current(generation) {
                return;
            }
            let Some(done) = this.io.ccc_catch_up.try_update_value(|c| c.answered(answer.is_ok())) else {
                return;
            };
            let mut failures = failures;
            match answer {
                Ok(env) => {
                    failures = 0;
                    if done.apply {
                        this.ccc_absorb(&env.data, ccc::Answer::Poll);
                        if done.reconcile {
                            let user_id = this.io.ccc.with_value(|st| st.user_id.clone());
                            let (state, current) =
                                push::reported(&crate::protocol::aliyun::contexts(&env.data), &user_id);
                            this.apply(Input::Resynced { as_of, state, current, held: None });
                        }
                    }
                }
                Err(e) if e.kind == ErrorKind::SessionLost => return this.apply(Input::SessionLost(e)),
                Err(e) => {
                    warn(&format!("agentbar: catch-up read failed: {} {}", e.code, e.message));
                    failures += 1;
                }
            }
            if done.next.is_some() {
                return this.ccc_read(failures);
            }
            // A failed read is tried again (a reconcile must not be lost); while a consult leg
            // exists it is read at the poll cadence, since its events are the other agent's.
            let again = (failures > 0 && failures < 5).then(|| (500u32 << failures).min(8_000));
            let consult = this.io.ccc.with_value(push::consulting);
            let wait = again.or_else(|| consult.then(|| this.view.config.with_value(|c| c.poll_ms)));
            if let Some(wait) = wait {
                sleep(wait).await;
                let reconcile = done.reconcile && failures > 0;
                if this.is_current(generation) {
                    if let Some(Some(_)) = this.io.ccc_catch_up.try_update_value(|c| c.want(reconcile)) {
                        this.ccc_read(failures);
                    }
                }
            }
        });
    }

    /// GetCallDetailRecord, retried while CCC has not finished the record.
    pub(crate) fn ccc_fetch_detail(&self, job_id: String) {
        let Some(client) = self.io.ccc_client.try_get_value() else { return };
        let this = *self;
        spawn_local(async move {
            for attempt in 1..=8u32 {
                match client.call(&ccc::detail_call(&job_id)).await {
                    Ok(env) => {
                        match serde_json::from_value::<CallDetailRecord>(env.data) {
                            Ok(record) => this.apply(Input::CallDetail(Box::new(cdr::from_ccc(&record)))),
                            Err(e) => warn(&format!("agentbar: unreadable call detail record: {e}")),
                        }
                        return;
                    }
                    Err(e) if e.kind == ErrorKind::NoCall || e.kind == ErrorKind::Unavailable => {
                        sleep(500 * attempt.min(4)).await;
                    }
                    Err(e) => {
                        return warn(&format!("agentbar: call detail record: {} {}", e.code, e.message))
                    }
                }
            }
            warn(&format!("agentbar: no call detail record for {job_id} at {}", now_ms()));
        });
    }

    pub(crate) async fn ccc_directory(self) -> Directory {
        let Some(client) = self.io.ccc_client.try_get_value() else { return Directory::default() };
        let me = self.io.ccc.with_value(|st| st.user_id.clone());
        let page = json!({ "PageNumber": 1, "PageSize": 100 });
        let skills = client
            .call(&CccCall { action: "ListSkillGroups", params: page.clone() })
            .await
            .map(|env| list(&env.data))
            .unwrap_or_default()
            .iter()
            .map(|g| DirectoryEntry {
                address: text(g, &["SkillGroupId", "Id"]),
                name: text(g, &["DisplayName", "Name", "SkillGroupName"]),
                state: None,
            })
            .collect();
        let agents = client
            .call(&CccCall { action: "ListRealtimeAgentStates", params: page })
            .await
            .map(|env| list(&env.data))
            .unwrap_or_default()
            .iter()
            .filter(|a| text(a, &["UserId", "AgentId"]) != me)
            .map(|a| DirectoryEntry {
                address: text(a, &["UserId", "AgentId"]),
                name: text(a, &["DisplayName", "AgentName", "LoginName"]),
                state: Some(match text(a, &["State", "UserState"]).to_ascii_lowercase().as_str() {
                    "ready" => Msg::AgentIdle,
                    "talking" | "ringing" | "dialing" => Msg::AgentTalking,
                    "break" | "acw" | "working" => Msg::AgentBusy,
                    "offline" => Msg::AgentOffline,
                    _ => Msg::AgentOther,
                }),
            })
            .collect();
        Directory { skills, agents }
    }
}
