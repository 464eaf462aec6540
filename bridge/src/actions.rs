//! Which CCC actions the browser may call through the bridge, and how the bridge turns the
//! browser's JSON parameters into CCC query parameters.

use serde_json::Value;

use crate::store::IdKind;

/// One allowed CCC action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionSpec {
    pub name: &'static str,
    /// The action has a `UserId` parameter (checked against the SDK 2.35.0 request models);
    /// the bridge pins it to the session's agent. Actions without one only get `InstanceId`.
    pub takes_user_id: bool,
    /// The business parameters the toolbar sends with this action. Any other is refused
    /// (not dropped), so a smuggled `Transferor` or `ChannelId` fails loudly.
    pub params: &'static [&'static str],
}

const fn a(name: &'static str, takes_user_id: bool, params: &'static [&'static str]) -> ActionSpec {
    ActionSpec { name, takes_user_id, params }
}

const DEVICE: &[&str] = &["DeviceId"];
const ON_CALL: &[&str] = &["JobId", "DeviceId"];
const ON_LEG: &[&str] = &["JobId", "DeviceId", "ChannelId"];
const TRANSFER: &[&str] = &["JobId", "DeviceId", "Transferee", "TransfereeType"];
const PAGE: &[&str] = &["PageNumber", "PageSize"];

/// The allowlist: exactly what the toolbar sends (`src/vendor/aliyun.rs` `plan`, `poll_call`,
/// `detail_call`; `src/ui/ccc_io.rs` for the skill groups and the directory;
/// `src/runtime/ccc.rs` `ccc_voice` for the softphone details), each with the parameters it
/// sends. Supervisor and admin actions, ListUsers and ListBriefSkillGroups are absent.
/// GetLoginDetails (the SIP signature) and GetTurnCredentials are self only: their `UserId` is
/// pinned to the session's agent like every other, and the answer filter drops signatures and
/// keys of anyone else. `takes_user_id` is from the `alibabacloud-ccc20200701` 2.35.0 request
/// models; InstanceId is set on every action.
pub const ALLOWED_ACTIONS: &[ActionSpec] = &[
    // agent state
    a("SignInGroup", true, &["DeviceId", "SignedSkillGroupIdList"]),
    a("SignOutGroup", true, DEVICE),
    a("ReadyForService", true, DEVICE),
    a("TakeBreak", true, &["DeviceId", "Code"]),
    a("PollUserStatus", true, DEVICE),
    // call control
    a("MakeCall", true, &["DeviceId", "Callee"]),
    a("AnswerCall", true, ON_CALL),
    a("ReleaseCall", true, ON_CALL),
    a("HoldCall", true, ON_LEG),
    a("RetrieveCall", true, ON_LEG),
    a("MuteCall", true, ON_CALL),
    a("UnmuteCall", true, ON_CALL),
    a("SendDtmfSignaling", true, &["JobId", "DeviceId", "ChannelId", "Dtmf"]),
    // transfer
    a("BlindTransfer", true, TRANSFER),
    a("InitiateAttendedTransfer", true, TRANSFER),
    a("CompleteAttendedTransfer", true, ON_CALL),
    a("CancelAttendedTransfer", true, ON_CALL),
    // call detail record (ContactId + InstanceId only)
    a("GetCallDetailRecord", false, &["ContactId"]),
    // sign-in skill groups and the transfer dialog's directory
    a("ListSkillGroups", false, PAGE),
    a("ListRealtimeAgentStates", false, PAGE),
    // the browser phone's account: SIP server, extension and signature; TURN relays
    a("GetLoginDetails", true, &[]),
    a("GetTurnServerList", false, &[]),
    a("GetTurnCredentials", true, &[]),
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
    /// A parameter this action does not take through the bridge.
    Unknown(String),
}

/// Turn the browser's JSON object into CCC query parameters, pinning identity.
///
/// * strings as-is; numbers in JSON notation; booleans `true`/`false`; `null` dropped;
///   arrays and objects JSON-stringified (CCC expects e.g. `SignedSkillGroupIdList` as a
///   JSON-array string);
/// * `UserId` / `InstanceId` (any letter case) must equal the session's, and are then set by
///   the bridge itself (`UserId` only for actions that take it);
/// * any other name must be one of `spec.params`, in that exact spelling.
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
        if !spec.params.contains(&k.as_str()) {
            return Err(ParamError::Unknown(format!("parameter {k} is not allowed for {}", spec.name)));
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

/// The parameters that name a call or a leg, and which kind of id each is: the bridge only
/// forwards ids that CCC's answers showed this agent.
pub fn bound_ids(params: &[(String, String)]) -> impl Iterator<Item = (IdKind, &str, &str)> {
    params.iter().filter_map(|(k, v)| {
        let kind = match k.as_str() {
            "JobId" | "ContactId" => IdKind::Job,
            "ChannelId" => IdKind::Channel,
            _ => return None,
        };
        // An empty id names nothing; CCC refuses it with its own error the toolbar knows.
        (!v.is_empty()).then_some((kind, k.as_str(), v.as_str()))
    })
}

/// The number an action dials (MakeCall's `Callee`, a transfer's `Transferee` unless it is an
/// agent, a skill group or an IVR flow), for the optional dial policy.
pub fn dialled_number<'a>(action: &str, params: &'a [(String, String)]) -> Option<&'a str> {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match action {
        "MakeCall" => get("Callee"),
        "BlindTransfer" | "InitiateAttendedTransfer" => match get("TransfereeType") {
            Some("AGENT" | "SKILL_GROUP" | "IVR") => None,
            // EXTERNAL, EXTERNAL_NUMBER, or absent (CCC then guesses from the value).
            _ => get("Transferee"),
        },
        _ => None,
    }
}

/// Whether the dial policy lets `number` through: no prefixes = no policy.
pub fn may_dial(prefixes: &[String], number: &str) -> bool {
    prefixes.is_empty() || prefixes.iter().any(|p| number.starts_with(p.as_str()))
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
        let body = br#"{"DeviceId":"d","SignedSkillGroupIdList":["a@x","b@x"]}"#;
        let p = build_params(spec, body, "u@x", "x").unwrap();
        assert_eq!(get(&p, "SignedSkillGroupIdList"), Some(r#"["a@x","b@x"]"#));
        let spec = lookup("ListSkillGroups").unwrap();
        let p = build_params(spec, br#"{"PageNumber":1,"PageSize":null}"#, "u@x", "x").unwrap();
        assert_eq!(get(&p, "PageNumber"), Some("1"));
        assert_eq!(get(&p, "PageSize"), None);
        let spec = lookup("TakeBreak").unwrap();
        let p = build_params(spec, br#"{"Code":true}"#, "u@x", "x").unwrap();
        assert_eq!(get(&p, "Code"), Some("true"));
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
    fn refuses_parameters_the_action_does_not_take() {
        let spec = lookup("BlindTransfer").unwrap();
        for body in [r#"{"JobId":"j","Transferor":"x"}"#, r#"{"jobid":"j"}"#, r#"{"Additivity":false}"#] {
            assert!(
                matches!(build_params(spec, body.as_bytes(), "u@x", "x"), Err(ParamError::Unknown(_))),
                "{body}"
            );
        }
        let spec = lookup("ReleaseCall").unwrap();
        assert!(matches!(
            build_params(spec, br#"{"JobId":"j","ChannelId":"c"}"#, "u@x", "x"),
            Err(ParamError::Unknown(_))
        ));
        for gone in ["ListUsers", "ListBriefSkillGroups", "MonitorCall", "ListPrivilegesOfUser"] {
            assert!(lookup(gone).is_none(), "{gone}");
        }
    }

    #[test]
    fn softphone_details_are_the_agents_own() {
        for action in ["GetLoginDetails", "GetTurnCredentials"] {
            let spec = lookup(action).unwrap();
            let p = build_params(spec, b"{}", "u@x", "x").unwrap();
            assert_eq!(
                p,
                [("InstanceId".to_string(), "x".to_string()), ("UserId".to_string(), "u@x".to_string())]
            );
            assert!(build_params(spec, br#"{"UserId":"u@x"}"#, "u@x", "x").is_ok());
            assert!(matches!(
                build_params(spec, br#"{"UserId":"v@x"}"#, "u@x", "x"),
                Err(ParamError::Permission(_))
            ));
            assert!(matches!(
                build_params(spec, br#"{"ChatDeviceId":"c"}"#, "u@x", "x"),
                Err(ParamError::Unknown(_))
            ));
        }
        let spec = lookup("GetTurnServerList").unwrap();
        assert_eq!(
            build_params(spec, b"", "u@x", "x").unwrap(),
            [("InstanceId".to_string(), "x".to_string())]
        );
        assert!(matches!(
            build_params(spec, br#"{"UserId":"v@x"}"#, "u@x", "x"),
            Err(ParamError::Permission(_))
        ));
    }

    #[test]
    fn ids_and_dialled_numbers() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let params = p(&[("JobId", "j"), ("ChannelId", "c"), ("ContactId", ""), ("DeviceId", "d")]);
        let ids: Vec<_> = bound_ids(&params).collect();
        assert_eq!(ids, [(IdKind::Job, "JobId", "j"), (IdKind::Channel, "ChannelId", "c")]);
        assert_eq!(dialled_number("MakeCall", &p(&[("Callee", "139")])), Some("139"));
        let agent = p(&[("Transferee", "a@x"), ("TransfereeType", "AGENT")]);
        assert_eq!(dialled_number("BlindTransfer", &agent), None);
        let ext = p(&[("Transferee", "139"), ("TransfereeType", "EXTERNAL_NUMBER")]);
        assert_eq!(dialled_number("InitiateAttendedTransfer", &ext), Some("139"));
        assert_eq!(dialled_number("BlindTransfer", &p(&[("Transferee", "139")])), Some("139"));
        assert!(may_dial(&[], "00999"));
        let prefixes = vec!["010".to_string(), "+8610".to_string()];
        assert!(may_dial(&prefixes, "01012345678"));
        assert!(!may_dial(&prefixes, "00999"));
    }

    #[test]
    fn no_user_id_for_cdr() {
        let spec = lookup("GetCallDetailRecord").unwrap();
        let p = build_params(spec, br#"{"ContactId":"job-1","UserId":"u@x"}"#, "u@x", "x").unwrap();
        assert_eq!(get(&p, "UserId"), None);
        assert_eq!(get(&p, "ContactId"), Some("job-1"));
    }
}
