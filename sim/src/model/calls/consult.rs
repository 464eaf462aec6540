//! Consulting (innerhelp): the consult leg to an agent or skill while the customer waits,
//! three-party help, and joining the two into a conference.

use crate::codes::{self, Fail};
use crate::config::Media;
use crate::model::{emit, open_agent, Call, CallKind, CallState, Emit, Ms, Sim};
use crate::params;
use serde_json::{json, Value};

impl Sim {
    /// `POST voicecall/{id}/innerhelp` → the consult leg's call id.
    pub fn inner_help(&mut self, workno: &str, body: &Value, now: Ms) -> Result<(String, Vec<Emit>), Fail> {
        let obj = params::object(body)?;
        let dst = params::opt_str(obj, "dstaddress")?
            .filter(|d| !d.is_empty() && d.chars().count() <= 24)
            .ok_or_else(|| Fail::bad_param("dstaddress is required (1-24 characters)"))?;
        let devicetype = params::opt_int(obj, "devicetype")?.unwrap_or(2);
        let mode = params::opt_int(obj, "mode")?.unwrap_or(1);
        if !matches!(devicetype, 1 | 2) {
            return Err(Fail::bad_param("devicetype must be 1 (skill) or 2 (agent)"));
        }
        if !matches!(mode, 1 | 2) {
            return Err(Fail::bad_param("mode must be 1 (consult) or 2 (three-party help)"));
        }
        let calldata = params::opt_str(obj, "callappdata")?;
        params::opt_bool(obj, "holdflag")?;
        let behaviour = self.cfg.scenario.consult_target;
        let consult_type = self.cfg.knobs.consult_call_type.clone();
        // An agent target is shown with its phone number when the directory knows it.
        let other_phone = match devicetype {
            2 => self.cfg.agent(&dst).map(|a| a.phone.clone()).unwrap_or_else(|| dst.clone()),
            _ => dst.clone(),
        };
        let agent = open_agent(&mut self.agents, workno)?;
        let parent = agent.current.clone().ok_or_else(|| Fail::code(codes::CONSULT_NO_CALL))?;
        if agent.consult.is_some()
            || !matches!(
                self.calls.get(&parent).map(|c| (&c.state, c.media)),
                Some((CallState::Talking, Media::Voice))
            )
        {
            return Err(Fail::detail(codes::WRONG_STATE, "the current call cannot be consulted now"));
        }
        let leg = self.new_call_id(now);
        let mut out = Vec::new();
        let agent = open_agent(&mut self.agents, workno)?;
        agent.consult = Some(leg.clone());
        if mode == 1 {
            // Two-party consult: the customer waits on hold.
            agent.current = None;
            agent.muted = false;
            agent.held.push(parent.clone());
            if let Some(c) = self.calls.get_mut(&parent) {
                c.state = CallState::Held;
            }
            emit(&mut out, workno, "AgentEvent_Hold", json!(parent));
        }
        self.calls.insert(
            leg.clone(),
            Call {
                id: leg.clone(),
                media: Media::Voice,
                kind: CallKind::Consult { parent: parent.clone(), mode },
                feature: if mode == 1 { 51 } else { 52 },
                caller: workno.to_string(),
                called: dst.clone(),
                skill_id: None,
                skill_name: String::new(),
                calldata,
                state: CallState::Dialing,
                agent: Some(workno.to_string()),
                target_agent: None,
                created: now,
                answered: None,
                ended: None,
                last_release_agent: String::new(),
                requeue_count: 0,
                demo: false,
                attempt: 0,
            },
        );
        let workno_target = if devicetype == 2 { dst.clone() } else { String::new() };
        emit(
            &mut out,
            workno,
            "AgentEvent_Customer_Alerting",
            json!({"callid": leg, "otherPhone": other_phone, "otherPhoneWorkno": workno_target, "type": consult_type}),
        );
        self.start_far(&leg, behaviour, now, &mut out);
        Ok((leg, out))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn consult_result(
        &mut self,
        workno: &str,
        leg: &Call,
        parent: &str,
        mode: i64,
        answer: bool,
        now: Ms,
        out: &mut Vec<Emit>,
    ) {
        if answer {
            if let Some(c) = self.calls.get_mut(&leg.id) {
                c.state = CallState::Talking;
                c.answered = Some(now);
            }
            self.talking_event(&leg.id, out);
            if mode == 2 {
                // Three-party help: once the helper answers, all three are in one call.
                self.merge_conference(workno, parent, &leg.id, out);
            }
            return;
        }
        emit(out, workno, "AgentEvent_Consult_Fail", json!(leg.id));
        self.end_call(&leg.id, now);
        let retrieve = self.cfg.knobs.consult_fail_retrieves;
        if mode == 1 && retrieve {
            let _ = self.get_hold(workno, Some(parent), now).map(|e| out.extend(e));
        }
    }

    /// The consult leg joins the customer call: AgentEvent_Conference {callid, partner}.
    fn merge_conference(&mut self, workno: &str, parent: &str, leg: &str, out: &mut Vec<Emit>) {
        let target = self.calls.get(leg).map(|c| c.called.clone()).unwrap_or_default();
        let customer = self.calls.get(parent).map(|c| c.customer_number().to_string()).unwrap_or_default();
        let partner = format!("{customer},{target}");
        self.calls.remove(leg);
        if let Some(agent) = self.agents.get_mut(workno) {
            agent.consult = None;
            agent.held.retain(|c| c != parent);
            agent.current = Some(parent.to_string());
        }
        if let Some(c) = self.calls.get_mut(parent) {
            c.state = CallState::Conference { partner: partner.clone() };
        }
        emit(out, workno, "AgentEvent_Conference", json!({"callid": parent, "partner": partner}));
    }

    /// `POST voicecall/{id}/confjoin`: the answered consult leg and the held customer become
    /// one three-party call.
    pub fn conf_join(&mut self, workno: &str, _now: Ms) -> Result<Vec<Emit>, Fail> {
        let agent = open_agent(&mut self.agents, workno)?;
        if agent.current.is_none() && agent.consult.is_none() && agent.held.is_empty() {
            return Err(Fail::code(codes::CONF_NO_CALL));
        }
        let leg =
            agent.consult.clone().ok_or_else(|| Fail::detail(codes::CONF_WRONG_STATE, "no consult call"))?;
        let held = agent.held.clone();
        let Some(call) = self.calls.get(&leg) else {
            return Err(Fail::code(codes::CONF_WRONG_STATE));
        };
        let parent = match (&call.state, &call.kind) {
            (CallState::Talking, CallKind::Consult { parent, .. }) if held.contains(parent) => parent.clone(),
            _ => {
                return Err(Fail::detail(
                    codes::CONF_WRONG_STATE,
                    "the consult call is not answered or the customer is not held",
                ))
            }
        };
        let mut out = Vec::new();
        self.merge_conference(workno, &parent, &leg, &mut out);
        Ok(out)
    }
}
