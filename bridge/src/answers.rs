//! What the bridge does to CCC's answers before the browser sees them: it removes other
//! agents' personal fields and credentials and CCC's access-denial details, and notes the call
//! ids the agent was shown (so later requests may name only those).

use serde_json::Value;

use crate::store::IdKind;

/// Fields that describe another person and that the toolbar never shows: an agent's personal
/// phone number and the party another agent is talking to.
const PERSONAL: &[&str] = &["Mobile", "CounterParty"];

/// A softphone's credentials (GetLoginDetails: the SIP registration signature over the user
/// key, the chat login): only ever the agent's own. The bridge pins `UserId`, so CCC answers
/// for the agent; should an answer still name someone else (or no one), they go.
const CREDENTIALS: &[&str] =
    &["Signature", "Signature2", "UserKey", "UserKey2", "ChatLoginToken", "ChatAppKey"];

/// CCC's RAM diagnostics (which policy denied what): for the operator, not for the agent.
const DIAGNOSTIC: &[&str] = &["AccessDeniedDetail"];

/// The answer with `PERSONAL` and `CREDENTIALS` fields removed from every object that does not
/// belong to `user_id` (its `UserId` or `AgentId` says whose it is; no owner = someone else's), and
/// `DIAGNOSTIC` fields removed everywhere. `None`: nothing to remove, send the bytes as they
/// came (so an answer is passed on byte for byte unless it carried one of these fields).
pub fn filter(body: &[u8], user_id: &str) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    if scrub(&mut value, user_id) {
        serde_json::to_vec(&value).ok()
    } else {
        None
    }
}

fn scrub(value: &mut Value, user_id: &str) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            for k in DIAGNOSTIC {
                changed |= map.remove(*k).is_some();
            }
            let owner = ["UserId", "AgentId"].iter().find_map(|k| map.get(*k).and_then(Value::as_str));
            if owner != Some(user_id) {
                for k in PERSONAL.iter().chain(CREDENTIALS) {
                    changed |= map.remove(*k).is_some();
                }
            }
            for v in map.values_mut() {
                changed |= scrub(v, user_id);
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, v| scrub(v, user_id) | changed),
        _ => false,
    }
}

/// Every JobId/ContactId and ChannelId in an answer's `Data` (UserContext, CallContext and its
/// ChannelContexts, MakeCall's ids…).
pub fn ids_in(body: &[u8]) -> Vec<(IdKind, String)> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(data) = value.get("Data") {
        collect(data, &mut out);
    }
    out
}

fn collect(value: &Value, out: &mut Vec<(IdKind, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let kind = match k.as_str() {
                    "JobId" | "ContactId" => Some(IdKind::Job),
                    "ChannelId" => Some(IdKind::Channel),
                    _ => None,
                };
                match (kind, v) {
                    (Some(kind), Value::String(s)) if !s.is_empty() => out.push((kind, s.clone())),
                    _ => collect(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removes_other_agents_personal_fields_and_denial_details() {
        let body = json!({
            "Code": "OK",
            "Data": {"List": [
                {"AgentId": "a@x", "Mobile": "139", "CounterParty": "138", "State": "Talking"},
                {"AgentId": "b@x", "Mobile": "137", "CounterParty": "136", "State": "Talking"},
                {"Mobile": "135"}
            ]},
            "AccessDeniedDetail": {"PolicyType": "AccountLevelIdentityBasedPolicy"}
        })
        .to_string();
        let out: Value = serde_json::from_slice(&filter(body.as_bytes(), "a@x").unwrap()).unwrap();
        assert_eq!(
            out["Data"]["List"][0],
            json!({"AgentId": "a@x", "Mobile": "139", "CounterParty": "138", "State": "Talking"})
        );
        assert_eq!(out["Data"]["List"][1], json!({"AgentId": "b@x", "State": "Talking"}));
        assert_eq!(out["Data"]["List"][2], json!({}));
        assert!(out.get("AccessDeniedDetail").is_none());
    }

    #[test]
    fn credentials_only_for_the_agent_itself() {
        let details = |user: &str| {
            json!({"Code": "OK", "Data": {"UserId": user, "Extension": "1001", "SipServerUrl": "s:443",
                "Signature": "S", "Signature2": "S2", "UserKey": "K", "UserKey2": "K2",
                "ChatLoginToken": "T", "ChatAppKey": "A", "ChatUserId": ""}})
            .to_string()
        };
        assert_eq!(filter(details("a@x").as_bytes(), "a@x"), None, "own: byte for byte");
        let out: Value = serde_json::from_slice(&filter(details("b@x").as_bytes(), "a@x").unwrap()).unwrap();
        assert_eq!(
            out["Data"],
            json!({"UserId": "b@x", "Extension": "1001", "SipServerUrl": "s:443", "ChatUserId": ""})
        );
        let no_owner = br#"{"Data":{"Signature2":"S2","Extension":"1001"}}"#;
        let out: Value = serde_json::from_slice(&filter(no_owner, "a@x").unwrap()).unwrap();
        assert_eq!(out["Data"], json!({"Extension": "1001"}));
        // TURN credentials carry no owner and are not a softphone signature: they pass.
        assert_eq!(filter(br#"{"Data":{"UserName":"u","Password":"p"}}"#, "a@x"), None);
    }

    #[test]
    fn untouched_answers_stay_as_they_came() {
        let body = br#"{ "Code":"OK", "Data":{"UserContext":{"UserId":"a@x","Mobile":"139"}} }"#;
        assert_eq!(filter(body, "a@x"), None);
        assert_eq!(filter(b"<html>", "a@x"), None);
    }

    #[test]
    fn collects_ids_from_data() {
        let body = json!({"Data": {
            "UserContext": {"UserId": "a@x", "JobId": "job-1"},
            "CallContext": {"JobId": "job-1", "ChannelContexts": [
                {"ChannelId": "ch-1", "JobId": "job-1"}, {"ChannelId": "ch-2", "JobId": ""}
            ]}
        }, "JobId": "outside-data"})
        .to_string();
        let mut ids = ids_in(body.as_bytes());
        ids.sort_by(|a, b| a.1.cmp(&b.1));
        ids.dedup();
        assert_eq!(
            ids,
            [
                (IdKind::Channel, "ch-1".into()),
                (IdKind::Channel, "ch-2".into()),
                (IdKind::Job, "job-1".into())
            ]
        );
    }
}
