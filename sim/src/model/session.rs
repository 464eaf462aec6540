//! Sign-in, GUID authentication, event polling and the agent's own state (busy, rest, wrap-up).

use super::{emit, open_agent, Agent, BaseState, Emit, Ms, Pending, QueuedEvent, Session, Sim, TimerAction};
use crate::codes::{self, Fail};
use crate::config::{AuthMode, DuringCall};
use crate::params;
use serde_json::{json, Value};

/// What a waiting poll finds when it looks at the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum PollStep {
    /// An event to answer with (already taken off the queue).
    Event(QueuedEvent),
    /// Nothing queued yet: keep waiting.
    Wait,
    /// A newer poll of the same session arrived: answer empty now.
    Superseded,
    /// The session ended and its queue is drained: answer 100-006.
    Gone,
}

/// Identifies one poll request: its session and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollTicket {
    pub session: u64,
    pub gen: u64,
}

pub(super) fn new_guid(server: &str) -> String {
    format!("{}.{}", uuid::Uuid::new_v4(), server)
}

impl Sim {
    /// `PUT onlineagent/{id}` (force = false) and `PUT onlineagent/{id}/forcelogin`.
    /// Returns the sign-in `result` object and the GUID for `Set-GUID`.
    pub fn sign_in(
        &mut self,
        workno: &str,
        body: &Value,
        force: bool,
        now: Ms,
    ) -> Result<(Value, String, Vec<Emit>), Fail> {
        let param_code = self.cfg.knobs.sign_in_param_retcode.clone();
        let obj = params::object(body)?;
        let bad = |what: &str| Fail::detail(&param_code, what);
        let password = params::opt_str(obj, "password").map_err(|_| bad("password must be a string"))?;
        let password = password.ok_or_else(|| bad("password is required"))?;
        let phonenum = params::opt_str(obj, "phonenum").map_err(|_| bad("phonenum must be a string"))?;
        let phonenum = phonenum.ok_or_else(|| bad("phonenum is required"))?;
        if password.chars().count() > 32 {
            return Err(bad("password longer than 32 characters"));
        }
        if phonenum.is_empty() || phonenum.len() > 24 || !phonenum.chars().all(|c| c.is_ascii_digit()) {
            return Err(Fail::detail(codes::PHONE_INVALID, "phonenum must be 1-24 digits"));
        }
        let flag = |key: &str, default: bool| -> Result<bool, Fail> {
            Ok(params::opt_bool(obj, key)
                .map_err(|_| bad(&format!("{key} must be a boolean")))?
                .unwrap_or(default))
        };
        let autoanswer = flag("autoanswer", true)?;
        let autoenteridle = flag("autoenteridle", true)?;
        let webm = flag("checkInWebm", true)?;
        let mailm = flag("checkInMailm", false)?;
        let push = super::push::push_fields(body)?;
        let status =
            params::opt_int(obj, "status").map_err(|_| bad("status must be an integer"))?.unwrap_or(4);
        if !matches!(status, 3..=5) {
            return Err(bad("status must be 3, 4 or 5"));
        }

        let knobs = self.cfg.knobs.clone();
        let server = self.cfg.server_name.clone();
        let session_id = self.next_session;
        let Some(agent) = self.agents.get_mut(workno) else {
            return Err(Fail::detail(codes::WRONG_PASSWORD, "unknown work number"));
        };
        if agent.cfg.password != password {
            return Err(Fail::code(codes::WRONG_PASSWORD));
        }
        if agent.signed_in() && !force {
            return Err(Fail::code(codes::ALREADY_SIGNED_IN));
        }
        self.next_session += 1;
        let guid = new_guid(&server);
        let tf = |b: bool| if b { 'T' } else { 'F' };
        // A forced sign-in replaces the old session: its GUIDs and undelivered events die
        // with it. Calls belong to the phone, not the session, so they are kept.
        agent.session = Some(Session {
            id: session_id,
            guid: guid.clone(),
            guid_issued: now,
            old_guids: Vec::new(),
            login_time: now,
            phone: phonenum,
            autoanswer,
            autoenteridle,
            media_flags: format!("T{}{}", tf(webm), tf(mailm)),
            skills: agent.cfg.skills.clone(),
            closed: false,
            events: Default::default(),
            poll_gen: 0,
            polls_in_flight: 0,
            last_poll: now,
            ccc: false,
            push: push.map(|(uri, token)| super::push::PushTarget { uri, token, last_handshake: now }),
        });
        agent.pending = None;
        agent.idle_since = now;
        let mut out = Vec::new();
        emit(&mut out, workno, "AgentOther_InService", Value::Null);
        emit(&mut out, workno, "AgentState_Ready", Value::Null);
        agent.state = match status {
            3 => {
                let reason = knobs.busy_reason_without_reason;
                emit(&mut out, workno, "AgentState_SetNotReady_Success", json!(reason));
                BaseState::Busy { reason }
            }
            5 => {
                emit(&mut out, workno, "AgentState_Work", Value::Null);
                BaseState::Work
            }
            _ => BaseState::Idle,
        };
        let result = json!({
            "vdnid": self.cfg.vdnid,
            "workno": workno,
            "mediatype": format!("T{}{}", tf(webm), tf(mailm)),
            "loginTime": now.to_string(),
            "isForceChange": false,
            "serverName": server,
            "timeRemaining": "",
        });
        self.dispatch_queue(now, &mut out);
        Ok((result, guid, out))
    }

    /// Checks the `Guid` header against the agent's session. `allow_closed` lets a poll of a
    /// just-signed-out session take its last events.
    pub fn authenticate(
        &mut self,
        workno: &str,
        guid: Option<&str>,
        allow_closed: bool,
        now: Ms,
    ) -> Result<(), Fail> {
        let stale = self.cfg.knobs.stale_guid_retcode.clone();
        let timeout = self.cfg.knobs.guid_timeout_ms;
        let Some(guid) = guid.filter(|g| !g.is_empty()) else {
            return Err(Fail::detail(codes::NOT_SIGNED_IN, "missing Guid header"));
        };
        let Some(session) = self.agents.get_mut(workno).and_then(|a| a.session.as_mut()) else {
            return Err(Fail::code(codes::NOT_SIGNED_IN));
        };
        if session.closed && !allow_closed {
            return Err(Fail::code(codes::NOT_SIGNED_IN));
        }
        session.old_guids.retain(|(_, replaced)| now <= replaced + timeout);
        if session.guid == guid || session.old_guids.iter().any(|(g, _)| g == guid) {
            Ok(())
        } else {
            Err(Fail::detail(&stale, "unknown or expired Guid"))
        }
    }

    /// Replaces the GUID; the old one stays valid for `guidTimeoutMs`.
    pub(super) fn rotate_guid(&mut self, workno: &str, now: Ms) -> Option<String> {
        let server = self.cfg.server_name.clone();
        let session = self.agents.get_mut(workno)?.session.as_mut()?;
        let old = std::mem::replace(&mut session.guid, new_guid(&server));
        session.old_guids.push((old, now));
        session.guid_issued = now;
        Some(session.guid.clone())
    }

    /// `PUT onlineagent/{id}/updateGuid`.
    pub fn update_guid(&mut self, workno: &str, now: Ms) -> Result<String, Fail> {
        open_agent(&mut self.agents, workno)?;
        self.rotate_guid(workno, now).ok_or_else(|| Fail::code(codes::NOT_SIGNED_IN))
    }

    // ---------------------------------------------------------------- polling

    /// Starts a poll (after [`Sim::authenticate`]). A newer poll supersedes older ones.
    pub fn poll_begin(&mut self, workno: &str, now: Ms) -> Result<PollTicket, Fail> {
        let session = self
            .agents
            .get_mut(workno)
            .and_then(|a| a.session.as_mut())
            .ok_or_else(|| Fail::code(codes::NOT_SIGNED_IN))?;
        session.poll_gen += 1;
        session.polls_in_flight += 1;
        session.last_poll = now;
        Ok(PollTicket { session: session.id, gen: session.poll_gen })
    }

    /// Looks for an event for a waiting poll.
    pub fn poll_take(&mut self, workno: &str, ticket: PollTicket, now: Ms) -> PollStep {
        let Some(session) =
            self.agents.get_mut(workno).and_then(|a| a.session.as_mut()).filter(|s| s.id == ticket.session)
        else {
            return PollStep::Gone;
        };
        if session.poll_gen != ticket.gen {
            return PollStep::Superseded;
        }
        match session.events.pop_front() {
            Some(ev) => {
                let seq = ev.seq;
                self.mark_released(seq, now);
                PollStep::Event(ev)
            }
            None if session.closed => PollStep::Gone,
            None => PollStep::Wait,
        }
    }

    /// Ends a poll (also when the client went away). Returns the GUID to send in `Set-GUID`
    /// when it rotated (dynamic mode) or when the knob asks for it on every poll.
    pub fn poll_end(&mut self, workno: &str, ticket: PollTicket, now: Ms) -> Option<String> {
        let knobs = self.cfg.knobs.clone();
        let session = self
            .agents
            .get_mut(workno)
            .and_then(|a| a.session.as_mut())
            .filter(|s| s.id == ticket.session)?;
        session.polls_in_flight = session.polls_in_flight.saturating_sub(1);
        session.last_poll = now;
        if session.closed {
            return None;
        }
        let due = now >= session.guid_issued + knobs.guid_interval_ms;
        if knobs.auth_mode == AuthMode::Dynamic && due {
            return self.rotate_guid(workno, now);
        }
        knobs.set_guid_on_every_poll.then(|| session.guid.clone())
    }

    /// A poll ended without an answer reaching anybody (client gone, or 100-006): counts as
    /// polled, but the GUID is not rotated.
    pub fn poll_abandon(&mut self, workno: &str, ticket: PollTicket, now: Ms) {
        if let Some(session) =
            self.agents.get_mut(workno).and_then(|a| a.session.as_mut()).filter(|s| s.id == ticket.session)
        {
            session.polls_in_flight = session.polls_in_flight.saturating_sub(1);
            session.last_poll = now;
        }
    }

    // ---------------------------------------------------------------- sign-out

    /// Signs the agent out, releasing its calls: forcelogout and the no-poll timeout.
    pub(crate) fn sign_out(&mut self, workno: &str, now: Ms, out: &mut Vec<Emit>) {
        let Some(agent) = self.agents.get(workno) else {
            return;
        };
        let calls = agent.all_calls();
        let had_calls = !calls.is_empty();
        for callid in calls {
            emit(out, workno, "AgentEvent_Call_Release", json!(callid));
            self.end_call(&callid, now);
        }
        // Calls waiting in the queue for this agent only go to anybody.
        for call in self.calls.values_mut() {
            if call.target_agent.as_deref() == Some(workno) {
                call.target_agent = None;
            }
        }
        let Some(agent) = self.agents.get_mut(workno) else {
            return;
        };
        if had_calls {
            emit(out, workno, "AgentOther_PhoneRelease", json!({"phoneState": 2}));
        }
        let login_time = agent.session.as_ref().map(|s| s.login_time).unwrap_or(0);
        emit(out, workno, "AgentOther_ShutdownService", json!({"loginTime": login_time.to_string()}));
        reset_agent_calls(agent);
        agent.state = BaseState::Idle;
        agent.pending = None;
        if let Some(s) = agent.session.as_mut() {
            s.closed = true;
        }
        self.dispatch_queue(now, out);
    }

    /// `DELETE onlineagent/{id}/logout`: refused (100-010) while the agent has a call.
    pub fn logout(&mut self, workno: &str, now: Ms) -> Result<Vec<Emit>, Fail> {
        if open_agent(&mut self.agents, workno)?.has_calls() {
            return Err(Fail::code(codes::LOGOUT_REFUSED));
        }
        let mut out = Vec::new();
        self.sign_out(workno, now, &mut out);
        Ok(out)
    }

    /// `DELETE onlineagent/{id}/forcelogout`: signs out and releases the calls.
    pub fn force_logout(&mut self, workno: &str, now: Ms) -> Result<Vec<Emit>, Fail> {
        open_agent(&mut self.agents, workno)?;
        let mut out = Vec::new();
        self.sign_out(workno, now, &mut out);
        Ok(out)
    }

    // ---------------------------------------------------------------- settings

    /// `POST onlineagent/{id}/autoanswer/{flag}` and `autoenteridle/{flag}`: "true" sets,
    /// anything else clears (reference §4.1).
    pub fn set_flag(&mut self, workno: &str, which: &str, flag: &str) -> Result<(), Fail> {
        let on = flag.eq_ignore_ascii_case("true");
        let session = open_agent(&mut self.agents, workno)?
            .session
            .as_mut()
            .ok_or_else(|| Fail::code(codes::NOT_SIGNED_IN))?;
        match which {
            "autoanswer" => session.autoanswer = on,
            _ => session.autoenteridle = on,
        }
        Ok(())
    }

    /// `POST onlineagent/{id}/resetskill/{autoflag}?skillid=1;2;3`.
    pub fn reset_skill(
        &mut self,
        workno: &str,
        autoflag: &str,
        skillids: Option<&str>,
        now: Ms,
    ) -> Result<Vec<Emit>, Fail> {
        let all = params::parse_bool_text(autoflag)
            .ok_or_else(|| Fail::bad_param("autoflag must be true or false"))?;
        let agent = open_agent(&mut self.agents, workno)?;
        let configured = agent.cfg.skills.clone();
        let chosen = if all {
            configured
        } else {
            let mut ids = Vec::new();
            for part in skillids.unwrap_or("").split(';').filter(|p| !p.trim().is_empty()) {
                let id: i64 = part
                    .trim()
                    .parse()
                    .map_err(|_| Fail::bad_param("skillid must be ids separated by ';'"))?;
                if configured.contains(&id) && !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ids
        };
        if let Some(s) = agent.session.as_mut() {
            s.skills = chosen;
        }
        let mut out = Vec::new();
        self.dispatch_queue(now, &mut out);
        Ok(out)
    }

    // ---------------------------------------------------------------- agent state

    /// Applies a busy/rest/work request that arrived during a call, per the knob.
    fn defer_if_in_call(&mut self, workno: &str, pending: Pending) -> Result<bool, Fail> {
        let mode = self.cfg.knobs.busy_during_call;
        let agent = open_agent(&mut self.agents, workno)?;
        if !agent.has_calls() {
            return Ok(false);
        }
        match mode {
            DuringCall::Refuse => Err(Fail::detail(codes::WRONG_STATE, "agent is in a call")),
            DuringCall::AfterCall => {
                agent.pending = Some(pending);
                Ok(true)
            }
        }
    }

    /// `POST onlineagent/{id}/saybusy?reason=&prolong=`.
    pub fn say_busy(
        &mut self,
        workno: &str,
        reason: Option<&str>,
        prolong: Option<&str>,
        _now: Ms,
    ) -> Result<Vec<Emit>, Fail> {
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => match r.parse::<i64>() {
                Ok(0) => None,
                Ok(n) if (200..=250).contains(&n) => Some(n),
                _ => return Err(Fail::bad_param("reason must be 200-250, 0 or empty")),
            },
        };
        let prolong = match prolong.map(str::trim).filter(|p| !p.is_empty()) {
            None => false,
            Some(p) => {
                params::parse_bool_text(p).ok_or_else(|| Fail::bad_param("prolong must be true or false"))?
            }
        };
        let content = reason.unwrap_or(self.cfg.knobs.busy_reason_without_reason);
        if self.defer_if_in_call(workno, Pending::Busy { reason: content })? {
            return Ok(Vec::new());
        }
        let agent = open_agent(&mut self.agents, workno)?;
        match agent.state {
            BaseState::Idle | BaseState::Work => {}
            BaseState::Busy { .. } if prolong => {
                // Changing the reason while busy needs the reason (reference §4.1).
                if reason.is_none() {
                    return Err(Fail::bad_param("reason is required to change the busy reason"));
                }
            }
            _ => return Err(Fail::code(codes::WRONG_STATE)),
        }
        agent.state = BaseState::Busy { reason: content };
        let mut out = Vec::new();
        emit(&mut out, workno, "AgentState_SetNotReady_Success", json!(content));
        Ok(out)
    }

    /// Cancels a deferred state request (sayfree/cancel* during a call).
    fn cancel_pending(agent: &mut Agent, which: fn(&Pending) -> bool) -> bool {
        if agent.has_calls() && agent.pending.as_ref().is_some_and(which) {
            agent.pending = None;
            true
        } else {
            false
        }
    }

    /// `POST onlineagent/{id}/sayfree`: from busy, rest or wrap-up back to idle.
    pub fn say_free(&mut self, workno: &str, now: Ms) -> Result<Vec<Emit>, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        let mut out = Vec::new();
        if Self::cancel_pending(agent, |_| true) {
            return Ok(out);
        }
        if agent.has_calls() {
            return Err(Fail::code(codes::WRONG_STATE));
        }
        let event = match agent.state {
            BaseState::Busy { .. } => "AgentState_CancelNotReady_Success",
            BaseState::Rest { .. } => "AgentState_CancelRest_Success",
            BaseState::Work => "AgentState_CancelWork_Success",
            BaseState::Idle => return Err(Fail::detail(codes::WRONG_STATE, "agent is already idle")),
        };
        agent.state = BaseState::Idle;
        agent.idle_since = now;
        emit(&mut out, workno, event, Value::Null);
        self.dispatch_queue(now, &mut out);
        Ok(out)
    }

    /// `cancelbusy`, `cancelrest`, `cancelwork`: leave exactly that state.
    pub fn cancel_state(&mut self, workno: &str, which: &str, now: Ms) -> Result<Vec<Emit>, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        let mut out = Vec::new();
        let (matches_state, matches_pending, event): (bool, fn(&Pending) -> bool, &str) = match which {
            "cancelbusy" => (
                matches!(agent.state, BaseState::Busy { .. }),
                |p| matches!(p, Pending::Busy { .. }),
                "AgentState_CancelNotReady_Success",
            ),
            "cancelrest" => (
                matches!(agent.state, BaseState::Rest { .. }),
                |p| matches!(p, Pending::Rest { .. }),
                "AgentState_CancelRest_Success",
            ),
            _ => (
                agent.state == BaseState::Work,
                |p| matches!(p, Pending::Work),
                "AgentState_CancelWork_Success",
            ),
        };
        if Self::cancel_pending(agent, matches_pending) {
            return Ok(out);
        }
        if !matches_state || agent.has_calls() {
            return Err(Fail::code(codes::WRONG_STATE));
        }
        agent.state = BaseState::Idle;
        agent.idle_since = now;
        emit(&mut out, workno, event, Value::Null);
        self.dispatch_queue(now, &mut out);
        Ok(out)
    }

    /// `POST onlineagent/{id}/rest/{time}/{cause}?prolong=`.
    pub fn rest(
        &mut self,
        workno: &str,
        time: &str,
        cause: &str,
        prolong: Option<&str>,
        now: Ms,
    ) -> Result<Vec<Emit>, Fail> {
        let secs: u64 = time
            .parse()
            .ok()
            .filter(|t| (1..=86_399).contains(t))
            .ok_or_else(|| Fail::bad_param("time must be 1-86399 seconds"))?;
        let cause: i64 = cause
            .parse()
            .ok()
            .filter(|c| (0..=255).contains(c))
            .ok_or_else(|| Fail::bad_param("restcause must be 0-255"))?;
        let prolong = match prolong.map(str::trim).filter(|p| !p.is_empty()) {
            None => false,
            Some(p) => {
                params::parse_bool_text(p).ok_or_else(|| Fail::bad_param("prolong must be true or false"))?
            }
        };
        if self.defer_if_in_call(workno, Pending::Rest { secs, cause })? {
            return Ok(Vec::new());
        }
        let agent = open_agent(&mut self.agents, workno)?;
        if matches!(agent.state, BaseState::Rest { .. }) && !prolong {
            return Err(Fail::code(codes::WRONG_STATE));
        }
        let mut out = Vec::new();
        self.start_rest(workno, secs, cause, now, &mut out);
        Ok(out)
    }

    pub(crate) fn start_rest(&mut self, workno: &str, secs: u64, cause: i64, now: Ms, out: &mut Vec<Emit>) {
        let id = self.next_rest;
        self.next_rest += 1;
        let unit = self.cfg.knobs.rest_unit_ms;
        if let Some(agent) = self.agents.get_mut(workno) {
            agent.state = BaseState::Rest { cause, id };
            emit(out, workno, "AgentState_SetRest_Success", json!({"reason": cause}));
            self.schedule(
                now + secs * unit,
                TimerAction::RestTimeout { agent: workno.to_string(), rest_id: id },
            );
        }
    }

    /// `POST onlineagent/{id}/work`: enter wrap-up by hand.
    pub fn work(&mut self, workno: &str, _now: Ms) -> Result<Vec<Emit>, Fail> {
        if self.defer_if_in_call(workno, Pending::Work)? {
            return Ok(Vec::new());
        }
        let agent = open_agent(&mut self.agents, workno)?;
        if !matches!(agent.state, BaseState::Idle | BaseState::Busy { .. }) {
            return Err(Fail::code(codes::WRONG_STATE));
        }
        agent.state = BaseState::Work;
        let mut out = Vec::new();
        emit(&mut out, workno, "AgentState_SetWork_Success", Value::Null);
        Ok(out)
    }

    /// `GET onlineagent/{id}/agentstatus` → `{agentState, isWorking}`.
    pub fn agent_status(&self, workno: &str) -> Value {
        let agent = self.agents.get(workno);
        let code = agent.map(|a| a.state_code()).unwrap_or(2);
        json!({"agentState": code, "isWorking": agent.is_some_and(|a| a.signed_in())})
    }
}

pub(crate) fn reset_agent_calls(agent: &mut Agent) {
    agent.ringing = None;
    agent.current = None;
    agent.held.clear();
    agent.consult = None;
    agent.suspended.clear();
    agent.muted = false;
}
