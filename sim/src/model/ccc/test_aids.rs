//! Test aids (`/sim/ccc/...`): the ids the next jobs, channels and contexts take, and fields
//! set over a channel or a call record where the seeds show values no simulated event makes.

use crate::model::Sim;
use serde_json::{json, Value};

impl Sim {
    /// `POST /sim/ccc/next`: ids the next jobs/channels take and the next ContextId.
    pub fn ccc_set_next(&mut self, v: &Value) -> Result<Value, String> {
        let obj = v.as_object().ok_or("expected a JSON object")?;
        for key in obj.keys() {
            if !["jobIds", "channelIds", "contextId"].contains(&key.as_str()) {
                return Err(format!("unknown key `{key}`"));
            }
        }
        if let Some(ids) = obj.get("jobIds") {
            let ids = ids.as_array().ok_or("jobIds must be a list of strings")?;
            self.ccc.next_job_ids = ids
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or("jobIds must be strings"))
                .collect::<Result<_, _>>()?;
        }
        if let Some(ids) = obj.get("channelIds") {
            let ids = ids.as_array().ok_or("channelIds must be a list")?;
            self.ccc.next_channel_ids = ids
                .iter()
                .map(|i| match i {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(s.clone())),
                    _ => Err("channelIds must be strings or null"),
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(c) = obj.get("contextId") {
            let c = c.as_u64().filter(|c| *c >= 1).ok_or("contextId must be a positive integer")?;
            self.ccc.context = c - 1;
        }
        Ok(json!({
            "jobIds": self.ccc.next_job_ids,
            "channelIds": self.ccc.next_channel_ids,
            "contextId": self.ccc.context + 1,
        }))
    }

    /// `POST /sim/ccc/channel {jobId, channelId, set}`: overrides fields of a channel as CCC
    /// answers show it (test aid for the seed's placeholder values).
    pub fn ccc_patch_channel(&mut self, v: &Value) -> Result<Value, String> {
        let job_id = v.get("jobId").and_then(Value::as_str).ok_or("jobId is required")?;
        let ch_id = v.get("channelId").and_then(Value::as_str).ok_or("channelId is required")?;
        let set = v.get("set").and_then(Value::as_object).ok_or("set must be an object")?;
        let job = self.ccc.jobs.values_mut().find(|j| j.job_id == job_id).ok_or("unknown jobId")?;
        let jid = job.job_id.clone();
        let ch = job
            .channels
            .iter_mut()
            .find(|c| c.id == ch_id || c.visible_id() == ch_id)
            .ok_or("unknown channelId")?;
        for (k, val) in set {
            ch.overrides.insert(k.clone(), val.clone());
        }
        Ok(ch.to_json(&jid))
    }

    /// `POST /sim/ccc/cdr {contactId, set?, setNull?, remove?}`: changes merged over the call
    /// record, in order: `set` fields (a null value removes the field), `setNull` fields made
    /// JSON null, `remove` fields removed. A name starting with `/` is a JSON pointer into
    /// `Data` (`/AnalyticsReport/Emotion`, `/AgentEvents/0/EventSequence`). A later change of
    /// the same name replaces an earlier one.
    pub fn ccc_patch_cdr(&mut self, v: &Value) -> Result<Value, String> {
        let obj = v.as_object().ok_or("expected a JSON object")?;
        if let Some(k) = obj.keys().find(|k| !["contactId", "set", "setNull", "remove"].contains(&k.as_str()))
        {
            return Err(format!("unknown key `{k}`"));
        }
        let id = v.get("contactId").and_then(Value::as_str).ok_or("contactId is required")?;
        let names = |key: &str| -> Result<Vec<String>, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_string).ok_or(format!("{key} must be a list of field names"))
                    })
                    .collect(),
                Some(_) => Err(format!("{key} must be a list of field names")),
            }
        };
        let mut changes: Vec<(String, Option<Value>)> = Vec::new();
        match v.get("set") {
            None | Some(Value::Null) => {}
            Some(Value::Object(set)) => {
                changes.extend(
                    set.iter().map(|(k, val)| (k.clone(), Some(val.clone()).filter(|x| !x.is_null()))),
                );
            }
            Some(_) => return Err("set must be an object".into()),
        }
        changes.extend(names("setNull")?.into_iter().map(|k| (k, Some(Value::Null))));
        changes.extend(names("remove")?.into_iter().map(|k| (k, None)));
        if changes.is_empty() {
            return Err("nothing to change: give set, setNull or remove".into());
        }
        if let Some((k, _)) = changes.iter().find(|(k, _)| k.is_empty()) {
            return Err(format!("bad field name `{k}`"));
        }
        let job = self.ccc.jobs.values_mut().find(|j| j.job_id == id).ok_or("unknown contactId")?;
        for (k, val) in changes {
            job.cdr_patch.retain(|(old, _)| *old != k);
            job.cdr_patch.push((k, val));
        }
        Ok(json!({"ok": true}))
    }
}
