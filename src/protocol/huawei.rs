//! Huawei CEC CC-Gateway agent REST API: the `{message, retcode, result|event}` envelope,
//! event payloads and request bodies (reference: shared/reference/cc-gateway.md).

use super::lenient;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The retcode that means success.
pub const RETCODE_OK: &str = "0";

pub use super::DecodeError;

/// `{message, retcode, result}`, the wrapper of every response. The event poll carries
/// `event` in place of `result`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Envelope {
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: String,
    /// A string in the docs; some gateways send a number. Missing means the body is not ours.
    #[serde(deserialize_with = "lenient::string")]
    pub retcode: String,
    #[serde(default)]
    pub result: Value,
    #[serde(default)]
    pub event: Value,
}

impl Envelope {
    pub fn is_ok(&self) -> bool {
        self.retcode == RETCODE_OK
    }
}

/// Reads any CC-Gateway response body.
pub fn decode_envelope(body: &str) -> Result<Envelope, DecodeError> {
    let value: Value = serde_json::from_str(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    if !value.is_object() || value.get("retcode").is_none() {
        return Err(DecodeError::NotEnvelope("no retcode".into()));
    }
    serde_json::from_value(value).map_err(|e| DecodeError::NotEnvelope(e.to_string()))
}

/// One event as the poll delivers it: `{eventType, workNo, content[, eventGenTime]}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RawEvent {
    pub event_type: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub work_no: String,
    #[serde(default)]
    pub content: Value,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub event_gen_time: Option<i64>,
}

/// The events of one poll answer. The docs say one event per answer; Huawei's own demo
/// client also accepts a list, and the empty answer's exact form is undocumented, so every
/// form (absent, `null`, `{}`, `[]`, `""`, an object, a list) is accepted here. Entries of a
/// list that are not events are skipped and reported in `skipped`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollEvents {
    pub events: Vec<RawEvent>,
    pub skipped: Vec<String>,
}

/// Reads the events out of a successful poll envelope.
pub fn poll_events(envelope: &Envelope) -> PollEvents {
    let mut out = PollEvents::default();
    let mut take = |v: &Value| match v {
        Value::Object(m) if m.is_empty() => {}
        Value::Object(_) => match serde_json::from_value::<RawEvent>(v.clone()) {
            Ok(e) if !e.event_type.is_empty() => out.events.push(e),
            Ok(_) => out.skipped.push("an event without eventType".into()),
            Err(e) => out.skipped.push(format!("an unreadable event: {e}")),
        },
        Value::Null => {}
        Value::String(s) if s.is_empty() => {}
        other => out.skipped.push(format!("an event that is not an object: {other}")),
    };
    match &envelope.event {
        Value::Array(items) => items.iter().for_each(&mut take),
        single => take(single),
    }
    out
}

/// `AgentEvent_Ringing` content.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RingingContent {
    #[serde(default, deserialize_with = "lenient::string")]
    pub caller: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub called: String,
    #[serde(default, deserialize_with = "lenient::string", alias = "callId")]
    pub callid: String,
    /// `main` or `assistant`.
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub feature: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub media_ability: Option<i64>,
    /// `"no"` when the call was not transferred.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub transfer: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub transfrom: Option<String>,
}

/// `AgentEvent_Incoming_CallInfo` content.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingCallInfo {
    #[serde(default, deserialize_with = "lenient::string", alias = "callid")]
    pub call_id: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub skill_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub skill_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub caller: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub called: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub media_type: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub call_data: Option<String>,
}

/// `AgentEvent_Customer_Alerting` content: the far party rings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertingContent {
    #[serde(default, deserialize_with = "lenient::string", alias = "callId")]
    pub callid: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub other_phone: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub other_phone_workno: Option<String>,
    /// `main`, or `assistant` for an inner-help (consult) leg.
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
}

/// One row of `GET calldata/{agentid}/holdlist` (seed 001), also the shape of `callinfo`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct CallRecord {
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub callfeature: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub callid: String,
    /// Documented as int; sent as a string in the seed, and numbers can have leading zeros.
    #[serde(default, deserialize_with = "lenient::string")]
    pub caller: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub called: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub callskill: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub callskillid: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub orgicallednum: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub calldata: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub begintime: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub endtime: Option<i64>,
}

/// The hold list. An empty list may come as `[]`, `null`, or the error 400-003: all mean
/// "no held calls". Rows that cannot be read are skipped, not fatal.
pub fn decode_hold_list(result: &Value) -> Vec<CallRecord> {
    match result {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| serde_json::from_value(v.clone()).ok())
            .filter(|c: &CallRecord| !c.callid.is_empty())
            .collect(),
        Value::Object(_) => serde_json::from_value(result.clone())
            .ok()
            .filter(|c: &CallRecord| !c.callid.is_empty())
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// `GET onlineagent/{id}/agentstatus` result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatus {
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub agent_state: i64,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub is_working: Option<bool>,
}

/// A skill queue from `GET queuedevice/{id}/agentvdnskill`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillQueue {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub mediatype: Option<i64>,
}

/// An agent of `GET agentgroup/{id}/allagentstatus` (a SAMPLE URI; the shape is inferred, so
/// every field is optional and read leniently).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AgentEntry {
    #[serde(default, deserialize_with = "lenient::string", alias = "workNo", alias = "agentId")]
    pub workno: String,
    #[serde(default, deserialize_with = "lenient::string", alias = "agentName")]
    pub name: String,
    /// The gateway agent state code (§4.1: 3 busy, 4 idle, 7 in a call, …).
    #[serde(default, deserialize_with = "lenient::opt_i64", alias = "agentState", alias = "state")]
    pub status: Option<i64>,
}

/// Reads a list result leniently: rows that cannot be read are skipped.
pub fn decode_list<T: serde::de::DeserializeOwned>(result: &Value) -> Vec<T> {
    match result {
        Value::Array(items) => items.iter().filter_map(|v| serde_json::from_value(v.clone()).ok()).collect(),
        _ => Vec::new(),
    }
}

/// Body of `PUT onlineagent/{id}` (sign-in) and `forcelogin`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignInBody {
    pub password: String,
    pub phonenum: String,
    /// The toolbar answers with a click; auto-answer would skip the ringing banner.
    pub autoanswer: bool,
    pub autoenteridle: bool,
    /// Sent explicitly: sign-in and forcelogin document different defaults.
    pub releasephone: bool,
    /// 3 busy, 4 idle, 5 wrap-up.
    pub status: i64,
}

/// Body of `POST voicecall/{id}/reject` (seed 004). The seed's own example sends `"mode": "1"`
/// as a string; the toolbar sends the documented int, and reads either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectBody {
    #[serde(default, deserialize_with = "lenient::string")]
    pub callid: String,
    /// 1: back to the queue and the agent goes busy; 2: release and stay idle.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub mode: i64,
}

/// Body of `POST mediacall/{id}/transfer` (seed 002): a multimedia session transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaTransferBody {
    #[serde(deserialize_with = "lenient::string")]
    pub callid: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient::opt_string")]
    pub caller: Option<String>,
    /// 1 skill queue, 2 agent, 4 system access code.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub devicetype: i64,
    /// 0 release (blind) transfer, 2 success transfer (stay until the target answers).
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub mode: i64,
    /// At most 24 characters.
    #[serde(deserialize_with = "lenient::string")]
    pub address: String,
    /// At most 2048 bytes of UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient::opt_string")]
    pub calldata: Option<String>,
    /// Only with devicetype 2.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient::opt_i64")]
    pub skill_id: Option<i64>,
}

/// Body of `PUT voicecall/{id}/callout`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallOutBody {
    pub called: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(v: Value) -> Envelope {
        decode_envelope(&v.to_string()).expect("envelope")
    }

    #[test]
    fn every_empty_poll_form_gives_no_events() {
        for body in [
            json!({"message": "", "retcode": "0"}),
            json!({"message": "", "retcode": "0", "event": null}),
            json!({"message": "", "retcode": "0", "event": {}}),
            json!({"message": "", "retcode": "0", "event": []}),
            json!({"message": "", "retcode": "0", "event": ""}),
            json!({"retcode": 0}),
        ] {
            let got = poll_events(&envelope(body.clone()));
            assert_eq!(got, PollEvents::default(), "{body}");
        }
    }

    #[test]
    fn an_event_as_object_or_as_list() {
        let ev = json!({"eventType": "AgentState_Ready", "workNo": 101, "content": null});
        let one = poll_events(&envelope(json!({"retcode": "0", "event": ev.clone()})));
        let list = poll_events(&envelope(json!({"retcode": "0", "event": [ev, 5]})));
        assert_eq!(one.events.len(), 1);
        assert_eq!(one.events[0].work_no, "101");
        assert_eq!(list.events, one.events);
        assert_eq!(list.skipped.len(), 1);
    }

    #[test]
    fn bodies_that_are_not_envelopes_are_errors_not_panics() {
        assert!(matches!(decode_envelope("<html>502</html>"), Err(DecodeError::NotJson(_))));
        assert!(matches!(decode_envelope(r#"{"retcode": "0", "event": {"#), Err(DecodeError::NotJson(_))));
        assert!(matches!(decode_envelope("[1,2]"), Err(DecodeError::NotEnvelope(_))));
        assert!(matches!(decode_envelope(r#"{"message": "x"}"#), Err(DecodeError::NotEnvelope(_))));
    }

    #[test]
    fn empty_hold_list_in_every_form() {
        for body in [
            json!({"retcode": "0", "result": []}),
            json!({"retcode": "0", "result": null}),
            json!({"retcode": "400-003", "message": "no hold call"}),
        ] {
            assert!(decode_hold_list(&envelope(body).result).is_empty());
        }
    }
}
