//! Transfers through CCC: blind transfer, and the attended transfer's consult leg with its
//! completion or cancellation.

use super::actions::{opt, req, Acted, Params};
use super::call_control::model_refusal;
use super::{CccFail, Channel, Role};
use crate::config::Media;
use crate::model::{CallState, Emit, Ms, Sim};
use serde_json::json;
use std::collections::BTreeMap;

impl Sim {
    /// BlindTransfer (the agent leaves at once) and InitiateAttendedTransfer (the customer
    /// waits while a CONSULTANT leg rings the transferee).
    pub(super) fn ccc_start_transfer(
        &mut self,
        action: &str,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
        acted: &mut Acted,
    ) -> Result<(), CccFail> {
        let own = Role::Agent(workno.to_string());
        let callid = self.ccc_agent_job(workno, p)?;
        let transferee = req(p, "Transferee")?.to_string();
        let blind = action == "BlindTransfer";
        let allowed =
            if blind { "AGENT,SKILL_GROUP,IVR,EXTERNAL_NUMBER" } else { "AGENT,SKILL_GROUP,EXTERNAL" };
        let ttype = match opt(p, "TransfereeType") {
            Some(t) if allowed.split(',').any(|a| a == t) => t.to_string(),
            Some(_) => return Err(CccFail::enumeration("TransfereeType", allowed)),
            // Without a type: an agent when it is a UserId, a skill group by its id, else a number.
            None if transferee.contains("@") && transferee.starts_with("skillgroup") => "SKILL_GROUP".into(),
            None if transferee.contains('@') => "AGENT".into(),
            None => {
                if blind {
                    "EXTERNAL_NUMBER".into()
                } else {
                    "EXTERNAL".into()
                }
            }
        };
        if ttype == "SKILL_GROUP" && self.ccc_group_of(&transferee).is_none() {
            return Err(CccFail::no_skill_group(&transferee));
        }
        let own_ch = self.ccc_channel(&callid, &BTreeMap::new(), "ChannelId", Some(own.clone()))?;
        let current = self.agents.get(workno).and_then(|a| a.current.clone());
        let talking =
            self.calls.get(&callid).is_some_and(|c| c.state == CallState::Talking && c.media == Media::Voice);
        if current.as_deref() != Some(callid.as_str())
            || !talking
            || self.consult_leg(workno, &callid).is_some()
        {
            let label = self
                .ccc
                .jobs
                .get(&callid)
                .and_then(|j| j.active(&Role::Customer))
                .map(Channel::label)
                .unwrap_or_default();
            return Err(CccFail::channel_state(&label, "ANSWERED"));
        }
        acted.callid = Some(callid.clone());
        let me = self.ccc_identity_of(workno).expect("configured");
        let target_name = self
            .ccc_workno(&transferee)
            .and_then(|w| self.cfg.agent(&w))
            .map(|a| a.name.clone())
            .unwrap_or_default();
        if blind {
            acted.affected = vec![own_ch.id.clone()];
            if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                job.agent_event(&me.user_id, &me.name, "", "BlindTransfer", now);
                if ttype == "AGENT" && !job.agents.iter().any(|(u, _)| u == &transferee) {
                    job.agents.push((transferee.clone(), target_name));
                }
            }
            self.agent_releases(workno, &callid, now, out);
        } else {
            let ext =
                self.ccc_workno(&transferee).and_then(|w| self.ccc_identity_of(&w)).map(|i| i.extension);
            let dst: String = ext.unwrap_or_else(|| transferee.clone()).chars().take(24).collect();
            if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                job.consult = Some((ttype.clone(), transferee.clone()));
            }
            let devicetype = if ttype == "SKILL_GROUP" { 1 } else { 2 };
            let body = json!({"dstaddress": dst, "devicetype": devicetype, "mode": 1});
            let (leg, ev) =
                self.inner_help(workno, &body, now).map_err(|f| model_refusal(f, "ANSWERED", "ANSWERED"))?;
            out.extend(ev);
            self.ccc_sync(now);
            if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                if ttype == "AGENT" && !job.agents.iter().any(|(u, _)| u == &transferee) {
                    job.agents.push((transferee.clone(), target_name));
                }
                acted.affected = job
                    .channels
                    .iter()
                    .filter(|c| c.role == Role::Consult(leg.clone()))
                    .map(|c| c.id.clone())
                    .collect();
            }
        }
        Ok(())
    }

    /// CompleteAttendedTransfer (the customer stays with the consultee, the agent leaves) and
    /// CancelAttendedTransfer (the consult leg ends, the agent talks to the customer again).
    pub(super) fn ccc_end_attended_transfer(
        &mut self,
        action: &str,
        workno: &str,
        p: &Params,
        now: Ms,
        out: &mut Vec<Emit>,
        acted: &mut Acted,
    ) -> Result<(), CccFail> {
        let own = Role::Agent(workno.to_string());
        let callid = self.ccc_agent_job(workno, p)?;
        acted.callid = Some(callid.clone());
        let Some(leg) = self.consult_leg(workno, &callid) else {
            return Err(CccFail::channel_state("NONE", "CONSULTANT"));
        };
        let consult_ch = self
            .ccc
            .jobs
            .get(&callid)
            .and_then(|j| j.channels.iter().find(|c| c.role == Role::Consult(leg.clone())).cloned());
        acted.affected = consult_ch.iter().map(|c| c.id.clone()).collect();
        if action == "CompleteAttendedTransfer" {
            let answered = self.calls.get(&leg).is_some_and(|c| c.state == CallState::Talking);
            if !answered {
                let label = consult_ch.as_ref().map(Channel::label).unwrap_or_else(|| "RINGING".into());
                return Err(CccFail::channel_state(&label, "ANSWERED"));
            }
            if let Some(job) = self.ccc.jobs.get_mut(&callid) {
                let me = self.cfg.agent(workno).map(|a| a.name.clone()).unwrap_or_default();
                let uid = job
                    .channels
                    .iter()
                    .find(|c| c.role == own)
                    .map(|c| c.user_id.clone())
                    .unwrap_or_default();
                job.agent_event(&uid, &me, "", "AttendedTransfer", now);
            }
            acted.affected = self
                .ccc
                .jobs
                .get(&callid)
                .map(|j| j.channels.iter().map(|c| c.id.clone()).collect())
                .unwrap_or_default();
            out.extend(
                self.connect_hold(workno, &callid, now)
                    .map_err(|f| model_refusal(f, "ANSWERED", "ANSWERED"))?,
            );
        } else {
            self.agent_releases(workno, &leg, now, out);
            out.extend(
                self.get_hold(workno, Some(&callid), now)
                    .map_err(|f| model_refusal(f, "ANSWERED", "ANSWERED"))?,
            );
        }
        Ok(())
    }
}
