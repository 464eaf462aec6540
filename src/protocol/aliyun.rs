//! Alibaba Cloud CCC OpenAPI 2020-07-01: the `{Code, HttpStatusCode, Message, RequestId, Params,
//! Data}` envelope, UserContext / CallContext / ChannelContext, and the call detail record
//! (reference: shared/reference/aliyun-ccc.md; seeds 000 and 003).

use super::lenient;
use serde::Deserialize;
use serde_json::Value;

pub use super::DecodeError;

/// The code of a successful answer.
pub const CODE_OK: &str = "OK";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    #[serde(deserialize_with = "lenient::string")]
    pub code: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub http_status_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    /// On errors: the values filled into the message template, e.g. `["OFFLINE", "BREAK,READY,WORKING"]`.
    #[serde(default)]
    pub params: Value,
    #[serde(default)]
    pub data: Value,
    /// The bridge's throttling answers: seconds until a retry can succeed.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub retry_after: Option<u64>,
}

impl Envelope {
    pub fn is_ok(&self) -> bool {
        self.code == CODE_OK
    }

    /// `Params` as strings (the seed sends `["无"]` on success; errors carry real values).
    pub fn param_strings(&self) -> Vec<String> {
        match &self.params {
            Value::Array(items) => items.iter().map(lenient::value_string).collect(),
            _ => Vec::new(),
        }
    }
}

/// Reads any CCC (or bridge) response body.
pub fn decode_envelope(body: &str) -> Result<Envelope, DecodeError> {
    let value: Value = serde_json::from_str(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    if value.get("Code").is_none() {
        return Err(DecodeError::NotEnvelope("no Code".into()));
    }
    serde_json::from_value(value).map_err(|e| DecodeError::NotEnvelope(e.to_string()))
}

/// One CCC event as the Webhook subscription (`UpdateSubscription`, `PID_Webhook`) delivers it,
/// relayed unchanged as the relay's `ccc` event (aliyun-ccc.md §6). Common fields `eventTime`,
/// `eventType`, `instanceId`; agent events add `agentId`, `skillGroupIds` (and `breakCode` on
/// `AgentBreak`); call events add `contactId` (the JobId), `channelId`, `callType`,
/// `skillGroupId`, `scenario`. No event carries a UserContext/CallContext or a phone number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookEvent {
    #[serde(deserialize_with = "lenient::string")]
    pub event_time: String,
    #[serde(deserialize_with = "lenient::string")]
    pub event_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub instance_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub agent_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub contact_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub channel_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub call_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub skill_group_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub scenario: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub break_code: Option<String>,
}

/// Reads one relayed webhook event (one JSON object with an `eventType`).
pub fn decode_webhook(text: &str) -> Result<WebhookEvent, DecodeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(DecodeError::NotEnvelope("a webhook event is a JSON object".into()));
    }
    let ev: WebhookEvent =
        serde_json::from_value(value).map_err(|e| DecodeError::NotEnvelope(e.to_string()))?;
    if ev.event_type.is_empty() {
        return Err(DecodeError::NotEnvelope("no eventType".into()));
    }
    Ok(ev)
}

/// The agent as CCC sees it. Returned flat in `Data` by the state operations, and as
/// `Data.UserContext` by PollUserStatus and the call-control operations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserContext {
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub instance_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub extension: String,
    #[serde(deserialize_with = "lenient::string")]
    pub device_id: String,
    /// OFFLINE, READY, BREAK, DIALING, RINGING, TALKING, WORKING.
    #[serde(deserialize_with = "lenient::string")]
    pub user_state: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub break_code: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_id: Option<String>,
}

/// One leg of a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ChannelContext {
    #[serde(deserialize_with = "lenient::string")]
    pub channel_id: String,
    /// NONE, CREATED, EARLY_MEDIA, RINGING, ANSWERED, RELEASED, RETIRED.
    #[serde(deserialize_with = "lenient::string")]
    pub channel_state: String,
    /// INBOUND, OUTBOUND, INTERNAL, CONSULTANT, CONFERENCE, …
    #[serde(deserialize_with = "lenient::string")]
    pub call_type: String,
    /// Marks such as MONITORING or MUTED; the hold mark is inferred.
    #[serde(deserialize_with = "lenient::string")]
    pub channel_flags: String,
    #[serde(deserialize_with = "lenient::string")]
    pub destination: String,
    #[serde(deserialize_with = "lenient::string")]
    pub originator: String,
    /// Empty for the customer's leg.
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub skill_group_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(deserialize_with = "lenient::string")]
    pub release_initiator: String,
    #[serde(deserialize_with = "lenient::string")]
    pub release_reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CallContext {
    #[serde(deserialize_with = "lenient::string")]
    pub call_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub instance_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    #[serde(deserialize_with = "channels")]
    pub channel_contexts: Vec<ChannelContext>,
}

fn channels<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ChannelContext>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect(),
        _ => Vec::new(),
    })
}

/// What one answer says about the agent and its call: PollUserStatus, every call-control
/// operation (`Data.UserContext` / `Data.CallContext`), and the state operations (flat `Data`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contexts {
    pub user: Option<UserContext>,
    pub call: Option<CallContext>,
    /// `Data.ContextId`: CCC's system sequence number of the snapshot (seed 000), when given.
    pub context_id: Option<i64>,
}

/// How answers are read where CCC's documents are silent (aliyun-ccc.md marks both [I]).
/// Each is a one-line change if a real instance says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextReading {
    /// A PollUserStatus answer without a `CallContext` key means the agent has no call
    /// (false: keep the call the last answer showed).
    pub poll_without_call_context_is_idle: bool,
    /// A `CallContext` whose every leg is RELEASED is a call that ended (false: still a call).
    pub all_legs_released_is_ended: bool,
}

pub const CONTEXT_READING: ContextReading =
    ContextReading { poll_without_call_context_is_idle: true, all_legs_released_is_ended: true };

/// Reads the contexts out of a successful answer's `Data`, whichever form it has.
pub fn contexts(data: &Value) -> Contexts {
    let obj = match data {
        Value::Object(m) => m,
        _ => return Contexts::default(),
    };
    let user = match obj.get("UserContext") {
        Some(v @ Value::Object(_)) => serde_json::from_value(v.clone()).ok(),
        Some(_) => None,
        // State operations return the UserContext fields flat in Data.
        None if obj.contains_key("UserState") => serde_json::from_value(data.clone()).ok(),
        None => None,
    };
    let call = match obj.get("CallContext") {
        Some(v @ Value::Object(_)) => serde_json::from_value::<CallContext>(v.clone())
            .ok()
            .filter(|c| !c.job_id.is_empty())
            .filter(|c| !(CONTEXT_READING.all_legs_released_is_ended && c.all_released())),
        _ => None,
    };
    let context_id = obj.get("ContextId").and_then(lenient::value_i64);
    Contexts { user, call, context_id }
}

impl CallContext {
    /// Every leg is RELEASED (an empty leg list is not: CCC lists only some legs at times).
    pub fn all_released(&self) -> bool {
        !self.channel_contexts.is_empty()
            && self.channel_contexts.iter().all(|c| c.channel_state == "RELEASED")
    }
}

/// One event of a CDR sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CdrEvent {
    #[serde(deserialize_with = "lenient::string")]
    pub event: String,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub event_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
}

/// A party's events in a CDR (agent, IVR flow, queue or customer): each kind names itself
/// with its own fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CdrParty {
    #[serde(deserialize_with = "lenient::string")]
    pub agent_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub agent_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub queue_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub queue_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub flow_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub flow_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub customer_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub skill_group_id: String,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub queue_type: Option<i64>,
    #[serde(deserialize_with = "lenient_list")]
    pub event_sequence: Vec<CdrEvent>,
}

/// A list where a `null`, a missing key or a wrong type is an empty list and an unreadable
/// item is skipped: one bad list never costs the whole record.
fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect(),
        _ => Vec::new(),
    })
}

/// One analysis of `AnalyticsReport` (problem solving, emotion, satisfaction, to-do list): every
/// field any of them has, lenient.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Analysis {
    #[serde(deserialize_with = "lenient::string")]
    pub task_id: String,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub success: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub solved: Option<bool>,
    #[serde(deserialize_with = "lenient::string")]
    pub problem: String,
    #[serde(deserialize_with = "lenient::string")]
    pub solution: String,
    #[serde(rename = "Type", deserialize_with = "lenient::string")]
    pub kind: String,
    #[serde(deserialize_with = "lenient::opt_f64")]
    pub confidence: Option<f64>,
    #[serde(deserialize_with = "lenient::string")]
    pub remark: String,
    #[serde(deserialize_with = "lenient::string")]
    pub satisfaction_description: String,
    #[serde(deserialize_with = "lenient_list")]
    pub tasks: Vec<String>,
}

/// `AnalyticsReport` of a detail record (seed 003).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AnalyticsReport {
    pub problem_solving: Option<Analysis>,
    pub emotion: Option<Analysis>,
    pub satisfaction: Option<Analysis>,
    pub todo_list: Option<Analysis>,
}

impl CdrParty {
    /// The most readable name the party has.
    pub fn who(&self) -> &str {
        [
            &self.agent_name,
            &self.agent_id,
            &self.queue_name,
            &self.queue_id,
            &self.customer_id,
            &self.flow_type,
            &self.flow_id,
        ]
        .into_iter()
        .find(|s| !s.is_empty())
        .map(String::as_str)
        .unwrap_or("")
    }
}

/// `GetCallDetailRecord` Data (seed 003), every field of the seed's example.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CallDetailRecord {
    #[serde(deserialize_with = "lenient::string")]
    pub contact_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub contact_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub contact_disposition: String,
    #[serde(deserialize_with = "lenient::string")]
    pub release_initiator: String,
    #[serde(deserialize_with = "lenient::string")]
    pub release_reason: String,
    #[serde(deserialize_with = "lenient::string")]
    pub calling_number: String,
    #[serde(deserialize_with = "lenient::string")]
    pub called_number: String,
    #[serde(deserialize_with = "lenient::string")]
    pub agent_names: String,
    #[serde(deserialize_with = "lenient::string")]
    pub skill_group_names: String,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub start_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub established_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub release_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub call_duration: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub recording_ready: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub satisfaction: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub satisfaction_survey_offered: Option<bool>,
    /// IVR, SMS…
    #[serde(deserialize_with = "lenient::string")]
    pub satisfaction_survey_channel: String,
    #[serde(deserialize_with = "lenient::string")]
    pub instance_id: String,
    /// Comma-separated, like `AgentNames` and `SkillGroupNames`.
    #[serde(deserialize_with = "lenient::string")]
    pub agent_ids: String,
    #[serde(deserialize_with = "lenient::string")]
    pub skill_group_ids: String,
    #[serde(deserialize_with = "lenient::string")]
    pub caller_location: String,
    #[serde(deserialize_with = "lenient::string")]
    pub callee_location: String,
    #[serde(deserialize_with = "lenient::string")]
    pub early_media_state: String,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub analytics_report_ready: Option<bool>,
    #[serde(deserialize_with = "lenient_analytics")]
    pub analytics_report: Option<AnalyticsReport>,
    #[serde(deserialize_with = "lenient_list")]
    pub agent_events: Vec<CdrParty>,
    #[serde(deserialize_with = "lenient_list")]
    pub ivr_events: Vec<CdrParty>,
    #[serde(deserialize_with = "lenient_list")]
    pub queue_events: Vec<CdrParty>,
    #[serde(deserialize_with = "lenient_list")]
    pub customer_events: Vec<CdrParty>,
}

fn lenient_analytics<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<AnalyticsReport>, D::Error> {
    Ok(serde_json::from_value(Value::deserialize(d)?).ok())
}
