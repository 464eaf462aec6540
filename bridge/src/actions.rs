//! Which CCC actions the browser may call through the bridge, and how the bridge turns the
//! browser's JSON parameters into CCC query parameters.

use serde_json::Value;

/// One allowed CCC action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionSpec {
    pub name: &'static str,
    /// The action has a `UserId` parameter (checked against the SDK 2.35.0 request models);
    /// the bridge pins it to the session's agent. Actions without one only get `InstanceId`.
    pub takes_user_id: bool,
}

const fn a(name: &'static str, takes_user_id: bool) -> ActionSpec {
    ActionSpec { name, takes_user_id }
}

/// The allowlist: exactly the agent actions the toolbar needs (aliyun-ccc.md §3 / §7).
/// Supervisor actions (MonitorCall, BargeInCall, …), admin actions and GetLoginDetails are
/// deliberately absent. `takes_user_id` is from the `alibabacloud-ccc20200701` 2.35.0 request
/// models; InstanceId is set on every action.
pub const ALLOWED_ACTIONS: &[ActionSpec] = &[
    // agent state
    a("SignInGroup", true),
    a("SignOutGroup", true),
    a("ReadyForService", true),
    a("TakeBreak", true),
    a("PollUserStatus", true),
    // call control
    a("MakeCall", true),
    a("AnswerCall", true),
    a("ReleaseCall", true),
    a("HoldCall", true),
    a("RetrieveCall", true),
    a("MuteCall", true),
    a("UnmuteCall", true),
    a("SendDtmfSignaling", true),
    // transfer
    a("BlindTransfer", true),
    a("InitiateAttendedTransfer", true),
    a("CompleteAttendedTransfer", true),
    a("CancelAttendedTransfer", true),
    // call detail record (ContactId + InstanceId only)
    a("GetCallDetailRecord", false),
    // transfer dialog directory: skill groups, agents and their live states
    a("ListSkillGroups", false),
    a("ListBriefSkillGroups", false),
    a("ListRealtimeAgentStates", false),
    a("ListUsers", false),
];

pub fn lookup(action: &str) -> Option<ActionSpec> {
    ALLOWED_ACTIONS.iter().copied().find(|s| s.name == action)
}

/// Parameter names the bridge owns (signature / protocol parameters); the browser may not set
/// them. Compared case-insensitively.
pub const RESERVED_PARAMS: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "SecurityToken",
    "BearerToken",
];

/// Why the browser's parameters were refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ParamError {
    /// Not a JSON object, bad name, reserved name…
    BadRequest(String),
    /// `UserId`/`InstanceId` names someone else.
    Permission(String),
}

/// Turn the browser's JSON object into CCC query parameters, pinning identity.
///
/// * strings as-is; numbers in JSON notation; booleans `true`/`false`; `null` dropped;
///   arrays and objects JSON-stringified (CCC expects e.g. `SignedSkillGroupIdList` as a
///   JSON-array string);
/// * `UserId` / `InstanceId` (any letter case) must equal the session's, and are then set by
///   the bridge itself (`UserId` only for actions that take it).
pub fn build_params(
    spec: ActionSpec,
    body: &[u8],
    user_id: &str,
    instance_id: &str,
) -> Result<Vec<(String, String)>, ParamError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|_| ParamError::BadRequest("body is not valid JSON".into()))?
    };
    let Value::Object(map) = value else {
        return Err(ParamError::BadRequest("body must be a JSON object of action parameters".into()));
    };
    let mut out = Vec::with_capacity(map.len() + 2);
    for (k, v) in map {
        if k.is_empty()
            || k.len() > 64
            || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            return Err(ParamError::BadRequest(format!("invalid parameter name {k:?}")));
        }
        if RESERVED_PARAMS.iter().any(|r| r.eq_ignore_ascii_case(&k)) {
            return Err(ParamError::BadRequest(format!("parameter {k} is set by the bridge")));
        }
        let identity = if k.eq_ignore_ascii_case("UserId") {
            Some(("UserId", user_id))
        } else if k.eq_ignore_ascii_case("InstanceId") {
            Some(("InstanceId", instance_id))
        } else {
            None
        };
        if let Some((name, own)) = identity {
            match &v {
                Value::Null => {}
                Value::String(s) if s == own => {}
                _ => return Err(ParamError::Permission(format!("{name} must be the signed-in agent's"))),
            }
            continue; // set below by the bridge
        }
        let s = match v {
            Value::Null => continue,
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other @ (Value::Array(_) | Value::Object(_)) => other.to_string(),
        };
        out.push((k, s));
    }
    out.push(("InstanceId".to_string(), instance_id.to_string()));
    if spec.takes_user_id {
        out.push(("UserId".to_string(), user_id.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
        p.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn converts_values_and_pins_identity() {
        let spec = lookup("SignInGroup").unwrap();
        let body =
            br#"{"DeviceId":"d","SignedSkillGroupIdList":["a@x","b@x"],"Additivity":true,"N":30,"Z":null}"#;
        let p = build_params(spec, body, "u@x", "x").unwrap();
        assert_eq!(get(&p, "SignedSkillGroupIdList"), Some(r#"["a@x","b@x"]"#));
        assert_eq!(get(&p, "Additivity"), Some("true"));
        assert_eq!(get(&p, "N"), Some("30"));
        assert_eq!(get(&p, "Z"), None);
        assert_eq!(get(&p, "UserId"), Some("u@x"));
        assert_eq!(get(&p, "InstanceId"), Some("x"));
    }

    #[test]
    fn refuses_other_identity_and_reserved() {
        let spec = lookup("MakeCall").unwrap();
        assert!(matches!(
            build_params(spec, br#"{"userid":"v@x"}"#, "u@x", "x"),
            Err(ParamError::Permission(_))
        ));
        assert!(matches!(
            build_params(spec, br#"{"InstanceId":"y"}"#, "u@x", "x"),
            Err(ParamError::Permission(_))
        ));
        assert!(matches!(
            build_params(spec, br#"{"Signature":"y"}"#, "u@x", "x"),
            Err(ParamError::BadRequest(_))
        ));
        assert!(matches!(build_params(spec, br#"[1]"#, "u@x", "x"), Err(ParamError::BadRequest(_))));
        assert!(build_params(spec, br#"{"UserId":"u@x"}"#, "u@x", "x").is_ok());
    }

    #[test]
    fn no_user_id_for_cdr() {
        let spec = lookup("GetCallDetailRecord").unwrap();
        let p = build_params(spec, br#"{"ContactId":"job-1","UserId":"u@x"}"#, "u@x", "x").unwrap();
        assert_eq!(get(&p, "UserId"), None);
        assert_eq!(get(&p, "ContactId"), Some("job-1"));
    }
}
