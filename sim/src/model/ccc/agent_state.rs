//! The agent's own state through CCC: SignInGroup, SignOutGroup, ReadyForService, TakeBreak
//! and PollUserStatus.

use super::actions::{opt, req, string_list, Params};
use super::CccFail;
use crate::config::{CccNoCall, CccSignInState};
use crate::model::{BaseState, Emit, Ms, Session, Sim};
use crate::params;
use serde_json::{json, Value};

impl Sim {
    pub(super) fn ccc_sign_in(
        &mut self,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Option<Value>, CccFail> {
        let device = req(p, "DeviceId")?.to_string();
        let list = req(p, "SignedSkillGroupIdList")?;
        let groups = string_list("SignedSkillGroupIdList", list)?;
        let mut skills = Vec::new();
        for g in &groups {
            let id = self.ccc_group_of(g).ok_or_else(|| CccFail::no_skill_group(g))?;
            skills.push(id);
        }
        let additive = opt(p, "Additivity").and_then(params::parse_bool_text).unwrap_or(false);
        let start = self.cfg.knobs.ccc_sign_in_state;
        let session_id = self.next_session;
        let agent = self.agents.get_mut(workno).expect("known agent");
        let served = agent.cfg.skills.clone();
        skills.retain(|s| served.contains(s));
        if agent.is_ccc() {
            // Already online: refresh device and groups, state unchanged.
            agent.ccc.device_id = device;
            if let Some(s) = agent.session.as_mut() {
                if additive {
                    for g in skills {
                        if !s.skills.contains(&g) {
                            s.skills.push(g);
                        }
                    }
                } else {
                    s.skills = skills;
                }
            }
        } else {
            self.next_session += 1;
            // Replaces a Huawei session if there is one; calls belong to the phone and stay.
            agent.session = Some(Session {
                id: session_id,
                guid: String::new(),
                guid_issued: now,
                old_guids: Vec::new(),
                login_time: now,
                phone: agent.cfg.phone.clone(),
                autoanswer: false,
                autoenteridle: false,
                media_flags: "TFF".into(),
                skills,
                closed: false,
                events: Default::default(),
                poll_gen: 0,
                polls_in_flight: 0,
                last_poll: now,
                ccc: true,
                push: None,
            });
            agent.ccc.device_id = device;
            agent.ccc.heartbeat = now;
            agent.ccc.reserved = now;
            agent.pending = None;
            agent.idle_since = now;
            match start {
                CccSignInState::Break => {
                    agent.state = BaseState::Busy { reason: 0 };
                    agent.ccc.break_code = "Warm-up".into();
                }
                CccSignInState::Ready => {
                    agent.state = BaseState::Idle;
                    agent.ccc.break_code = String::new();
                }
            }
        }
        self.dispatch_queue(now, out);
        self.ccc_sync(now);
        Ok(Some(self.ccc_user_context(workno)))
    }

    pub(super) fn ccc_sign_out(
        &mut self,
        workno: &str,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Option<Value>, CccFail> {
        let state = self.state_of(workno);
        if state != "OFFLINE" {
            if !matches!(state, "READY" | "BREAK" | "WORKING") {
                return Err(CccFail::user_state(state, "READY,BREAK,WORKING"));
            }
            self.sign_out(workno, now, out);
            if let Some(a) = self.agents.get_mut(workno) {
                if a.session.as_ref().is_some_and(|s| s.ccc) {
                    a.session = None;
                }
                a.ccc.break_code = String::new();
                a.ccc.device_id = String::new();
            }
        }
        self.ccc_sync(now);
        Ok(Some(self.ccc_user_context(workno)))
    }

    pub(super) fn ccc_ready(
        &mut self,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
    ) -> Result<Option<Value>, CccFail> {
        let state = self.state_of(workno);
        if !matches!(state, "BREAK" | "READY" | "WORKING") {
            return Err(CccFail::user_state(state, "BREAK,READY,WORKING"));
        }
        let outbound = opt(p, "OutboundScenario").and_then(params::parse_bool_text).unwrap_or(false);
        let agent = self.agents.get_mut(workno).expect("known agent");
        if agent.state != BaseState::Idle {
            agent.state = BaseState::Idle;
            agent.idle_since = now;
        }
        agent.pending = None;
        agent.ccc.break_code = String::new();
        agent.ccc.outbound_scenario = outbound;
        self.dispatch_queue(now, out);
        self.ccc_sync(now);
        Ok(Some(self.ccc_user_context(workno)))
    }

    pub(super) fn ccc_take_break(&mut self, workno: &str, p: &Params) -> Result<Option<Value>, CccFail> {
        let code = req(p, "Code")?.to_string();
        let state = self.state_of(workno);
        if !matches!(state, "READY" | "BREAK" | "WORKING") {
            return Err(CccFail::user_state(state, "READY,BREAK,WORKING"));
        }
        let agent = self.agents.get_mut(workno).expect("known agent");
        agent.state = BaseState::Busy { reason: 0 };
        agent.pending = None;
        agent.ccc.break_code = code;
        Ok(Some(self.ccc_user_context(workno)))
    }

    pub(super) fn ccc_poll(&mut self, workno: &str, now: Ms) -> Option<Value> {
        if let Some(a) = self.agents.get_mut(workno) {
            if a.is_ccc() {
                a.ccc.heartbeat = now;
            }
        }
        let context_id = self.next_context();
        let job = self.agents.get(workno).and_then(|a| self.agent_job(a));
        let mut data = json!({
            "ContextId": context_id,
            "UserContext": self.ccc_user_context(workno),
            "ChatContexts": [],
        });
        data["CallContext"] = match (job, self.cfg.knobs.ccc_poll_no_call) {
            (Some(c), _) => self.ccc_call_context(&c, None),
            (None, CccNoCall::Null) => Value::Null,
            (None, CccNoCall::Absent) => return Some(data),
            (None, CccNoCall::Released) => self.ccc_last_call_released(workno),
        };
        Some(data)
    }
}
