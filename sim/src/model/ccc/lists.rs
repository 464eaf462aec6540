//! Directory queries: ListSkillGroups / ListBriefSkillGroups and ListRealtimeAgentStates.

use super::actions::{opt, string_list, Params};
use super::{user_state, CccFail, WORK_MODE};
use crate::config::Media;
use crate::model::{Ms, Sim};
use serde_json::{json, Value};

/// ListRealtimeAgentStates spelling of a UserState (reference §2.1 StateList).
fn realtime_state(state: &str) -> &'static str {
    match state {
        "READY" => "Ready",
        "BREAK" => "Break",
        "WORKING" => "ACW",
        "RINGING" => "Ringing",
        "DIALING" => "Dialing",
        "TALKING" => "Talking",
        _ => "Offline",
    }
}

impl Sim {
    fn page(p: &Params) -> Result<(usize, usize), CccFail> {
        let num = |name: &str, default: usize| -> Result<usize, CccFail> {
            match opt(p, name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| CccFail::invalid(name, v)),
            }
        };
        Ok((num("PageNumber", 1)?, num("PageSize", 10)?))
    }

    fn paged(list: Vec<Value>, page: usize, size: usize) -> Value {
        let total = list.len();
        let items: Vec<Value> = list.into_iter().skip((page - 1) * size).take(size).collect();
        json!({"PageNumber": page, "PageSize": size, "TotalCount": total, "List": items})
    }

    pub(super) fn ccc_list_skill_groups(&self, p: &Params) -> Result<Value, CccFail> {
        let (page, size) = Self::page(p)?;
        let pattern = opt(p, "SearchPattern").map(str::to_lowercase);
        let list: Vec<Value> = self
            .cfg
            .skills
            .iter()
            .filter(|s| {
                pattern.as_ref().is_none_or(|pat| {
                    s.name.to_lowercase().contains(pat) || self.ccc_group_id(s.id).contains(pat)
                })
            })
            .map(|s| {
                let users = self.cfg.agents.iter().filter(|a| a.skills.contains(&s.id)).count();
                json!({
                    "SkillGroupId": self.ccc_group_id(s.id),
                    "SkillGroupName": s.name,
                    "DisplayName": s.name,
                    "Description": "",
                    "InstanceId": self.ccc_instance(),
                    "MediaType": if s.media == Media::Voice { "VOICE" } else { "ONLINE" },
                    "PhoneNumberCount": 0,
                    "UserCount": users,
                })
            })
            .collect();
        Ok(Self::paged(list, page, size))
    }

    pub(super) fn ccc_list_agent_states(&self, p: &Params, now: Ms) -> Result<Value, CccFail> {
        let (page, size) = Self::page(p)?;
        let states = opt(p, "StateList").map(|v| string_list("StateList", v)).transpose()?;
        let ids = opt(p, "AgentIdList").map(|v| string_list("AgentIdList", v)).transpose()?;
        let group = opt(p, "SkillGroupId").map(str::to_string);
        let list: Vec<Value> = self
            .agents
            .values()
            .filter_map(|a| {
                let id = self.ccc_identity_of(&a.cfg.workno)?;
                let st = user_state(a, &self.calls);
                let state = realtime_state(st);
                let groups: Vec<i64> = a.session.as_ref().filter(|_| a.signed_in()).map(|s| s.skills.clone()).unwrap_or_default();
                let group_ids: Vec<String> = groups.iter().map(|g| self.ccc_group_id(*g)).collect();
                if states.as_ref().is_some_and(|s| !s.iter().any(|x| x == state)) {
                    return None;
                }
                if ids.as_ref().is_some_and(|ids| !ids.contains(&id.user_id)) {
                    return None;
                }
                if group.as_ref().is_some_and(|g| !group_ids.contains(g)) {
                    return None;
                }
                let job = self.agent_job(a).and_then(|c| self.ccc.jobs.get(&c));
                let since = if a.ccc.last_state.is_empty() { now } else { a.ccc.state_since };
                Some(json!({
                    "AgentId": id.user_id,
                    "AgentName": id.name,
                    "Extension": id.extension,
                    "InstanceId": self.ccc_instance(),
                    "State": state,
                    "StateCode": if st == "BREAK" { a.ccc.break_code.clone() } else { String::new() },
                    "StateTime": since,
                    "Duration": now.saturating_sub(since) / 1000,
                    "BreakCode": a.ccc.break_code,
                    "CallType": job.map(|j| j.call_type).unwrap_or(""),
                    "CounterParty": job.map(|j| j.customer_number().to_string()).unwrap_or_default(),
                    "Mobile": id.mobile,
                    "OutboundScenario": a.ccc.outbound_scenario,
                    "SkillGroupIdList": group_ids,
                    "SkillGroupNameList": groups.iter().filter_map(|g| self.cfg.skill(*g)).map(|s| s.name.clone()).collect::<Vec<_>>(),
                    "WorkMode": WORK_MODE,
                }))
            })
            .collect();
        Ok(Self::paged(list, page, size))
    }
}
