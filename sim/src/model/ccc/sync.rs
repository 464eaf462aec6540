//! Keeping the CCC view up to date: after every operation, what changed in the model becomes
//! jobs, channel states and CDR events ([`Sim::ccc_sync`]).

use super::{user_state, Channel, Ev, Job, Role};
use crate::model::{BaseState, Call, CallKind, CallState, Emit, Ms, Sim, TimerAction};
use serde_json::Map;

impl Sim {
    fn new_job_id(&mut self, now: Ms) -> String {
        if let Some(id) = self.ccc.next_job_ids.pop_front() {
            return id;
        }
        self.ccc.next_job += 1;
        format!("job-{now}{:04}", self.ccc.next_job % 10_000)
    }

    fn new_channel(&mut self, job_callid: &str, default_id: String, now: Ms) -> (String, i64) {
        let id = self.ccc.next_channel_ids.pop_front().flatten().unwrap_or(default_id);
        let job = self.ccc.jobs.get_mut(job_callid).expect("job exists");
        let index = job.next_index;
        job.next_index += 1;
        let _ = now;
        (id, index)
    }

    fn ccc_new_job(&mut self, call: &Call, now: Ms) {
        let job_id = self.new_job_id(now);
        let outbound = call.kind == CallKind::Outbound;
        let group = call.skill_id.map(|s| self.ccc_group_id(s));
        let mut job = Job {
            job_id: job_id.clone(),
            callid: call.id.clone(),
            call_type: if outbound { "OUTBOUND" } else { "INBOUND" },
            caller: call.caller.clone(),
            called: call.called.clone(),
            skill: call.skill_id,
            created: call.created,
            channels: Vec::new(),
            next_index: 0,
            established: None,
            released: None,
            release_initiator: String::new(),
            release_reason: String::new(),
            disposition: String::new(),
            rang: false,
            agents: Vec::new(),
            agent_events: Vec::new(),
            ivr_events: Vec::new(),
            queue_events: Vec::new(),
            customer_events: Vec::new(),
            consult: None,
            cdr_patch: Vec::new(),
        };
        if outbound {
            job.customer_events.push(Ev { event: "Ringing".into(), time: now, duration: None });
        } else {
            job.ivr_events.push(Ev { event: "Route2IVR".into(), time: call.created, duration: None });
            if call.skill_id.is_some() {
                job.queue_events.push(Ev { event: "Enqueue".into(), time: call.created, duration: None });
            }
        }
        self.ccc.jobs.insert(call.id.clone(), job);
        let default_id = format!("ch:customer:{}->{}:{now}:{job_id}", call.caller, call.called);
        let (id, index) = self.new_channel(&call.id, default_id, now);
        let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
        job.channels.push(Channel {
            id,
            role: Role::Customer,
            state: if outbound { "RINGING" } else { "ANSWERED" },
            call_type: job.call_type.to_string(),
            flags: String::new(),
            destination: call.called.clone(),
            originator: call.caller.clone(),
            user_id: String::new(),
            extension: String::new(),
            skill_group_id: group,
            index,
            timestamp: now,
            release_initiator: None,
            release_reason: None,
            overrides: Map::new(),
        });
    }

    /// Brings the CCC view (jobs, channels, CDR events, UserState clocks) up to date with the
    /// model. Idempotent; runs after every operation.
    pub fn ccc_sync(&mut self, now: Ms) {
        let held_flag = self.cfg.knobs.ccc_held_flag.clone();
        let muted_flag = self.cfg.knobs.ccc_muted_flag.clone();
        let calls: Vec<Call> = self.calls.values().cloned().collect();
        let mut consults = Vec::new();
        for call in &calls {
            if let CallKind::Consult { parent, .. } = &call.kind {
                consults.push((call.clone(), parent.clone()));
                continue;
            }
            if !self.ccc.jobs.contains_key(&call.id) {
                self.ccc_new_job(call, now);
            }
            let cust_state = match (&call.kind, &call.state) {
                (CallKind::Outbound, CallState::Dialing) => "RINGING",
                _ => "ANSWERED",
            };
            let cust_flags = if call.state == CallState::Held { held_flag.clone() } else { String::new() };
            let agent_w = match call.state {
                CallState::Queued => None,
                _ => call.agent.clone(),
            };
            let agent_state = if call.state == CallState::Ringing { "RINGING" } else { "ANSWERED" };
            let agent_flags = match agent_w.as_ref().and_then(|w| self.agents.get(w)) {
                Some(a) if a.muted && a.current.as_deref() == Some(&call.id) => muted_flag.clone(),
                _ => String::new(),
            };
            let ident = agent_w.as_ref().and_then(|w| self.ccc_identity_of(w).map(|i| (w.clone(), i)));
            let group = call.skill_id.map(|s| self.ccc_group_id(s)).unwrap_or_default();
            let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
            if let Some(ch) = job.active_mut(&Role::Customer) {
                ch.set_state(cust_state, now);
                if ch.flags != cust_flags {
                    ch.flags = cust_flags;
                    ch.timestamp = now;
                }
            }
            // An agent leg of another agent (or of a call back in its queue) is over.
            let stale: Vec<(String, String)> = job
                .channels
                .iter_mut()
                .filter(|c| !c.released())
                .filter_map(|c| match c.role.clone() {
                    Role::Agent(w) if agent_w.as_deref() != Some(w.as_str()) => {
                        c.set_state("RELEASED", now);
                        c.release_initiator = Some(c.user_id.clone());
                        c.release_reason = Some("480 - Temporarily Unavailable".into());
                        Some((c.user_id.clone(), w))
                    }
                    _ => None,
                })
                .collect();
            for (uid, _) in stale {
                job.agent_event(&uid, "", &group, "Released", now);
            }
            let Some((workno, id)) = ident else {
                continue;
            };
            let role = Role::Agent(workno.clone());
            let mut ringing_now = false;
            match job.active_mut(&role) {
                Some(ch) => {
                    ch.set_state(agent_state, now);
                    if ch.flags != agent_flags {
                        ch.flags = agent_flags;
                        ch.timestamp = now;
                    }
                }
                None => {
                    let default_id =
                        format!("ch:user:{}->{}:{now}:{}", job.customer_number(), id.extension, job.job_id);
                    let outbound = job.call_type == "OUTBOUND";
                    let call_type = job.call_type.to_string();
                    let first_event = if outbound { "Dialing" } else { "Ringing" };
                    job.agent_event(&id.user_id, &id.name, &group, first_event, now);
                    if !outbound {
                        job.rang = true;
                        job.queue_events.push(Ev { event: "AssignAgent".into(), time: now, duration: None });
                        ringing_now = true;
                    }
                    let (ch_id, index) = self.new_channel(&call.id, default_id, now);
                    let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
                    job.channels.push(Channel {
                        id: ch_id,
                        role: role.clone(),
                        state: agent_state,
                        call_type,
                        flags: agent_flags,
                        destination: call.called.clone(),
                        originator: call.caller.clone(),
                        user_id: id.user_id.clone(),
                        extension: id.extension.clone(),
                        skill_group_id: call.skill_id.map(|_| group.clone()),
                        index,
                        timestamp: now,
                        release_initiator: None,
                        release_reason: None,
                        overrides: Map::new(),
                    });
                }
            }
            if ringing_now {
                if let Some(a) = self.agents.get_mut(&workno) {
                    a.ccc.reserved = now;
                }
            }
            let job = self.ccc.jobs.get_mut(&call.id).expect("job exists");
            let answered = |r: &Role| job.channels.iter().any(|c| &c.role == r && c.state == "ANSWERED");
            if job.established.is_none() && answered(&Role::Customer) && answered(&role) {
                job.established = Some(now);
                job.agent_event(&id.user_id, &id.name, &group, "Established", now);
                job.customer_events.push(Ev { event: "Established".into(), time: now, duration: None });
            }
        }

        // Consult legs: a CONSULTANT channel of the customer call's job.
        for (leg, parent) in consults {
            let state = if leg.state == CallState::Dialing { "RINGING" } else { "ANSWERED" };
            let Some(job) = self.ccc.jobs.get(&parent) else {
                continue;
            };
            let role = Role::Consult(leg.id.clone());
            if job.channels.iter().any(|c| c.role == role && !c.released()) {
                let job = self.ccc.jobs.get_mut(&parent).expect("job exists");
                if let Some(ch) = job.active_mut(&role) {
                    ch.set_state(state, now);
                }
                continue;
            }
            let (ttype, transferee) =
                job.consult.clone().unwrap_or_else(|| ("EXTERNAL".into(), leg.called.clone()));
            let (user_id, extension) = if ttype == "AGENT" {
                let ext = self
                    .ccc_workno(&transferee)
                    .and_then(|w| self.ccc_identity_of(&w))
                    .map(|i| i.extension)
                    .unwrap_or_default();
                (transferee.clone(), ext)
            } else {
                (String::new(), String::new())
            };
            let default_id = if ttype == "AGENT" {
                format!("ch:user:{}->{}:{now}:{}", job.customer_number(), extension, job.job_id)
            } else {
                format!("ch:customer:{}->{}:{now}:{}", job.caller, transferee, job.job_id)
            };
            let group = if ttype == "SKILL_GROUP" { Some(transferee.clone()) } else { None };
            let (destination, originator) = (job.called.clone(), job.caller.clone());
            let initiator = leg.agent.as_ref().and_then(|w| self.ccc_identity_of(w));
            let (ch_id, index) = self.new_channel(&parent, default_id, now);
            let job = self.ccc.jobs.get_mut(&parent).expect("job exists");
            if let Some(i) = initiator {
                let g = job.skill.map(|_| String::new()).unwrap_or_default();
                job.agent_event(&i.user_id, &i.name, &g, "Consulting", now);
            }
            job.channels.push(Channel {
                id: ch_id,
                role,
                state,
                call_type: "CONSULTANT".into(),
                flags: String::new(),
                destination,
                originator,
                user_id,
                extension,
                skill_group_id: group,
                index,
                timestamp: now,
                release_initiator: None,
                release_reason: None,
                overrides: Map::new(),
            });
        }

        // Ended consult legs and ended calls.
        let live: std::collections::BTreeSet<String> = self.calls.keys().cloned().collect();
        let ended: Vec<String> = self
            .ccc
            .jobs
            .values()
            .filter(|j| j.released.is_none() && !live.contains(&j.callid))
            .map(|j| j.callid.clone())
            .collect();
        for job in self.ccc.jobs.values_mut() {
            for ch in job.channels.iter_mut().filter(|c| !c.released()) {
                if let Role::Consult(leg) = &ch.role {
                    if !live.contains(leg) {
                        ch.set_state("RELEASED", now);
                        ch.release_initiator.get_or_insert_with(|| ch.user_id.clone());
                        ch.release_reason.get_or_insert_with(|| "200 - OK".into());
                    }
                }
            }
        }
        for callid in ended {
            self.ccc_finish_job(&callid, now);
        }

        // UserState clocks and the wrap-up timer.
        let wrap = self.cfg.knobs.ccc_wrap_up_ms;
        let mut timers = Vec::new();
        let mut transitions = Vec::new();
        for a in self.agents.values_mut() {
            let st = user_state(a, &self.calls);
            if a.ccc.last_state != st {
                if a.session.as_ref().is_some_and(|s| s.ccc) {
                    transitions.push((a.cfg.workno.clone(), a.ccc.last_state.clone(), st));
                }
                a.ccc.last_state = st.to_string();
                a.ccc.state_since = now;
                if st == "WORKING" && wrap > 0 && a.is_ccc() {
                    timers.push((now + wrap, a.cfg.workno.clone()));
                }
            }
        }
        for (due, agent) in timers {
            self.schedule(due, TimerAction::CccAutoReady { agent, since: now });
        }
        if self.webhook.is_some() {
            self.webhook_diff(transitions, now);
        }
    }

    fn ccc_finish_job(&mut self, callid: &str, now: Ms) {
        let hint = self.ccc.release_hints.remove(callid);
        let Some(job) = self.ccc.jobs.get(callid) else {
            return;
        };
        let established = job.established.is_some();
        let outbound = job.call_type == "OUTBOUND";
        let initiator =
            hint.unwrap_or(if outbound && !established { "customer" } else { "agent" }).to_string();
        let last_agent = job
            .channels
            .iter()
            .rev()
            .find(|c| matches!(c.role, Role::Agent(_)) && !c.released())
            .map(|c| c.user_id.clone());
        let customer = job.customer_number().to_string();
        let who = if initiator == "customer" { customer } else { last_agent.clone().unwrap_or_default() };
        let reason = if established { "200 - OK" } else { "487 - Request Terminated" };
        let disposition = match (established, outbound, initiator.as_str(), job.rang) {
            (true, _, _, _) => "Success",
            (false, true, _, _) => "NoAnswer",
            (false, false, "customer", true) => "AbandonedInRing",
            (false, false, "customer", false) => "AbandonedInQueue",
            _ => "NoAnswer",
        };
        let job = self.ccc.jobs.get_mut(callid).expect("job exists");
        job.released = Some(now);
        job.release_initiator = initiator;
        job.release_reason = reason.into();
        job.disposition = disposition.into();
        let mut agents = Vec::new();
        for ch in job.channels.iter_mut().filter(|c| !c.released()) {
            ch.set_state("RELEASED", now);
            ch.release_initiator.get_or_insert_with(|| who.clone());
            ch.release_reason.get_or_insert_with(|| reason.to_string());
            if matches!(ch.role, Role::Agent(_)) {
                agents.push(ch.user_id.clone());
            }
        }
        for uid in agents {
            job.agent_event(&uid, "", "", "Released", now);
        }
        job.customer_events.push(Ev { event: "Released".into(), time: now, duration: None });
    }

    /// `cccWrapUpMs` elapsed: a CCC agent still in the same wrap-up becomes READY.
    pub(crate) fn ccc_auto_ready(&mut self, workno: &str, since: Ms, now: Ms, out: &mut Vec<Emit>) {
        let Some(a) = self.agents.get_mut(workno) else {
            return;
        };
        if a.is_ccc() && a.state == BaseState::Work && !a.has_calls() && a.ccc.state_since == since {
            a.state = BaseState::Idle;
            a.idle_since = now;
            a.pending = None;
            self.dispatch_queue(now, out);
        }
    }
}
