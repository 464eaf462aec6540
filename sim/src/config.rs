//! Simulator configuration: the directory data (agents, skill queues, access codes) and the
//! behaviour knobs.
//!
//! Every behaviour the reference marks INFERRED or SAMPLE is one field of [`Knobs`], so a wrong
//! guess about the real gateway is a one-line change in a config file or one
//! `POST /sim/config` call. Every field has a default, so a config file may list only what it
//! changes.

use serde::{Deserialize, Serialize};

/// Whole simulator configuration, as read from `--config <file>` (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SimConfig {
    /// Tenant id returned by sign-in (`result.vdnid`).
    pub vdnid: i64,
    /// Gateway node name (`result.serverName`, GUID suffix `.AgentGateway0`).
    pub server_name: String,
    pub agents: Vec<AgentConfig>,
    pub skills: Vec<SkillConfig>,
    /// System access codes: transfer targets with devicetype 4, and the default caller number
    /// shown on outbound calls (the first one).
    pub access_codes: Vec<String>,
    /// IVR flow access codes: transfer targets with devicetype 3.
    pub ivr_codes: Vec<String>,
    pub knobs: Knobs,
    pub scenario: Scenario,
    /// Alibaba Cloud CCC dialect: instance id and the test AccessKey.
    pub ccc: CccConfig,
}

/// The CCC dialect's directory data (not guesses, so not knobs).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct CccConfig {
    /// The only `InstanceId` accepted; also the suffix of UserIds and skill group ids.
    pub instance_id: String,
    /// Test AccessKey accepted by the signature check (V3 ACS3-HMAC-SHA256 and V1 HMAC-SHA1).
    pub access_key_id: String,
    pub access_key_secret: String,
}

impl Default for CccConfig {
    fn default() -> Self {
        CccConfig {
            instance_id: "ccc-demo".into(),
            access_key_id: "LTAI5tAgentbarDemoKey".into(),
            access_key_secret: "agentbar-demo-secret-not-for-production".into(),
        }
    }
}

/// Per-agent CCC identity overrides (defaults: `agent<workno>@<instance>`, `800<workno:05>`,
/// the agent's phone; GetLoginDetails' `Signature2`/`UserKey2` derived from the UserId, the
/// extension and the AccessKey secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct AgentCccConfig {
    pub user_id: Option<String>,
    pub extension: Option<String>,
    pub mobile: Option<String>,
    /// GetLoginDetails `Signature2` (what the softphone registers with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature2: Option<String>,
    /// GetLoginDetails `UserKey2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_key2: Option<String>,
}

/// One TURN access point of GetTurnServerList (field names as CCC spells them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TurnServer {
    pub region: String,
    pub name: String,
    pub domain: String,
    pub cidr: String,
}

/// One agent of the directory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentConfig {
    /// Work number (工号), the `{agentid}` of every path.
    pub workno: String,
    pub password: String,
    /// Phone number the agent normally binds (shown in agent lists; sign-in may bind another).
    pub phone: String,
    pub name: String,
    /// Skill queue ids the agent serves.
    #[serde(default)]
    pub skills: Vec<i64>,
    /// CCC identity overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccc: Option<AgentCccConfig>,
}

/// Media a skill queue (and a call) carries.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Media {
    #[default]
    Voice,
    Chat,
}

impl Media {
    /// `mediaAbility` code of Ringing/Talking events: 1 voice, 5 text (reference §7).
    pub fn ability(self) -> i64 {
        match self {
            Media::Voice => 1,
            Media::Chat => 5,
        }
    }
}

/// One skill queue, as `agentvdnskill` returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillConfig {
    pub id: i64,
    pub name: String,
    /// Returned verbatim as `mediatype` by `agentvdnskill`.
    pub mediatype: i64,
    /// Returned verbatim as `serviceType`.
    #[serde(default)]
    pub service_type: i64,
    /// Returned verbatim as `realFlag` (meaning not documented).
    #[serde(default = "default_real_flag")]
    pub real_flag: serde_json::Value,
    /// Which calls the queue routes (the simulator's own field, not sent on the wire).
    #[serde(default)]
    pub media: Media,
}

fn default_real_flag() -> serde_json::Value {
    serde_json::Value::Bool(true)
}

/// What a virtual far party (callout customer, consult target, transfer target) does.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FarBehaviour {
    /// Answers after `answerDelayMs`.
    #[default]
    Answer,
    /// Keeps ringing until `POST /sim/far-answer` or `/sim/far-fail`.
    Ring,
    /// Fails after `answerDelayMs`.
    Fail,
}

/// Behaviour of the virtual parties, set by `POST /sim/scenario`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Scenario {
    pub consult_target: FarBehaviour,
    pub transfer_target: FarBehaviour,
    pub callout: FarBehaviour,
    pub answer_delay_ms: u64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            consult_target: FarBehaviour::Answer,
            transfer_target: FarBehaviour::Answer,
            callout: FarBehaviour::Answer,
            answer_delay_ms: 1500,
        }
    }
}

/// Dynamic (rotating) or static GUID (`AUTHMODE` 2 / 1).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    Static,
    Dynamic,
}

/// Form of an event-poll answer with nothing to deliver (reference §5: INFERRED).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmptyPollEvent {
    /// `{"message":"","retcode":"0"}`
    Absent,
    /// `{"message":"","retcode":"0","event":null}`
    Null,
    /// `{"message":"","retcode":"0","event":{}}`
    Object,
}

/// Busy, rest or wrap-up asked while the agent has a call (reference §9: INFERRED).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DuringCall {
    /// Accepted; takes effect (and its event is sent) when the last call ends.
    AfterCall,
    /// Refused with 100-009.
    Refuse,
}

/// Where `AgentEvent_Incoming_CallInfo` goes relative to `AgentEvent_Ringing`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CallInfoPlacement {
    Before,
    After,
    None,
}

/// What `holdlist` answers when nothing is held.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EmptyHoldList {
    /// retcode 400-003 ("no held call"), as the holdlist page lists.
    Error,
    /// retcode 0 with `result: []`.
    EmptyList,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HoldListOrder {
    /// Most recently held first (seed 001 lists the later call id first).
    NewestFirst,
    OldestFirst,
}

/// Which error codes connecthold uses: the page prints 200-013/014, the error table assigns
/// 200-005/006 to connect-hold.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ConnectHoldErrors {
    Page,
    Table,
}

/// `result` of an error envelope (not documented).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ErrorResult {
    Null,
    Absent,
    Object,
}

/// CCC: the agent's state right after SignInGroup.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CccSignInState {
    /// BREAK with BreakCode `Warm-up`.
    Break,
    Ready,
}

/// CCC: what ReleaseCall on a ringing call does with the call.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CccRejectCall {
    /// Back to its queue, first in line.
    Requeue,
    /// Released (the customer is hung up).
    Release,
}

/// CCC: which channels a call-control answer lists in `CallContext.ChannelContexts`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CccResponseChannels {
    All,
    /// Only the legs the action acted on (seed 000 lists only the consult leg).
    Affected,
}

/// CCC: whether a call-control answer shows the call after or before the action took effect.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CccSnapshot {
    After,
    Before,
}

/// CCC: what PollUserStatus says when the agent has no call (aliyun-ccc.md does not say).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CccNoCall {
    /// `"CallContext": null`.
    Null,
    /// No `CallContext` key at all.
    Absent,
    /// The agent's last call, every leg RELEASED (the agent WORKING, its JobId empty).
    Released,
}

/// CCC call record: the channel of the satisfaction survey offered after an established call.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum SurveyChannel {
    #[serde(rename = "IVR")]
    Ivr,
    #[serde(rename = "SMS")]
    Sms,
    /// No survey is offered.
    #[serde(rename = "none")]
    None,
}

impl SurveyChannel {
    /// `SatisfactionSurveyChannel` of the record (None: no survey).
    pub fn wire(self) -> Option<&'static str> {
        match self {
            SurveyChannel::Ivr => Some("IVR"),
            SurveyChannel::Sms => Some("SMS"),
            SurveyChannel::None => None,
        }
    }
}

/// CCC call record: `EarlyMediaState` values (seed 003's enumeration).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum EarlyMediaState {
    NoAnswer,
    OutOfService,
    NotExist,
    Restricted,
    Busy,
    NotConnected,
    PowerOff,
}

impl EarlyMediaState {
    pub fn wire(self) -> &'static str {
        match self {
            EarlyMediaState::NoAnswer => "NoAnswer",
            EarlyMediaState::OutOfService => "OutOfService",
            EarlyMediaState::NotExist => "NotExist",
            EarlyMediaState::Restricted => "Restricted",
            EarlyMediaState::Busy => "Busy",
            EarlyMediaState::NotConnected => "NotConnected",
            EarlyMediaState::PowerOff => "PowerOff",
        }
    }
}

/// Behaviour knobs. Fields marked INFERRED/SAMPLE are guesses about the real gateway.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Knobs {
    // --- GUID / session (reference §2, §3) ---
    pub auth_mode: AuthMode,
    /// GUIDINTERVAL: rotate the GUID on a poll answer once it is this old.
    pub guid_interval_ms: u64,
    /// GUIDTIMEOUT: an old GUID stays accepted this long after it was replaced.
    pub guid_timeout_ms: u64,
    /// Code for an unknown or expired GUID (100-006 or 000-003; both documented).
    pub stale_guid_retcode: String,
    /// INFERRED: send `Set-GUID` on every poll answer, not only when it rotated.
    pub set_guid_on_every_poll: bool,
    /// INFERRED: `updateGuid` needs a valid `Guid` header like every other call.
    pub update_guid_requires_guid: bool,
    /// Agent id range accepted in paths (101–59999 older docs, 101–999999 newer).
    pub agent_id_min: u64,
    pub agent_id_max: u64,
    /// INFERRED: code for a missing/invalid password or phonenum at sign-in.
    pub sign_in_param_retcode: String,

    // --- event poll (reference §5) ---
    /// How long an event poll waits when nothing is queued (gateway default ≈10 s).
    pub poll_wait_ms: u64,
    /// No poll for this long signs the agent out (gateway: 2 minutes).
    pub no_poll_timeout_ms: u64,
    /// Push mode: no handshake for this long signs the agent out (gateway: 2 minutes).
    pub push_handshake_timeout_ms: u64,
    /// INFERRED: form of an empty poll answer.
    pub empty_poll_event: EmptyPollEvent,
    /// INFERRED: send `event` as a one-element list instead of an object.
    pub event_as_list: bool,

    // --- agent state (reference §4.1, §9) ---
    /// INFERRED: saybusy / rest / work during a call.
    pub busy_during_call: DuringCall,
    /// INFERRED: content of AgentState_SetNotReady_Success when no busy reason was given
    /// (0 "none"; 1 would be "set by the agent").
    pub busy_reason_without_reason: i64,
    /// Milliseconds per second of `rest/{time}` (1000 = real time; tests shorten it).
    pub rest_unit_ms: u64,

    // --- calls (reference §4.2–§6) ---
    /// INFERRED: AgentEvent_Incoming_CallInfo before/after Ringing, or not at all.
    pub incoming_call_info: CallInfoPlacement,
    /// INFERRED: event sent after gethold ("" = none).
    pub gethold_event: String,
    /// INFERRED: events sent after beginmute / endmute ("" = none).
    pub begin_mute_event: String,
    pub end_mute_event: String,
    /// The event that tells a mode-1 reject made the agent busy: `AgentState_SetNotReady_Success`
    /// (the event reference) or `AgentEvent_SetNotReady_Success` (seed 004's spelling).
    pub reject_busy_event: String,
    /// SAMPLE: AgentState_Busy before Customer_Alerting on callout.
    pub callout_busy_event: bool,
    /// INFERRED: failure event of a callout (AgentEvent_Call_Out_Fail or AgentEvent_Connect_Fail).
    pub callout_fail_event: String,
    /// INFERRED: `type` of consult (inner help) legs in Customer_Alerting/Talking.
    pub consult_call_type: String,
    /// INFERRED: after AgentEvent_Consult_Fail the customer is taken off hold automatically
    /// (false: stays held until gethold).
    pub consult_fail_retrieves: bool,
    /// INFERRED: code for a devicetype × mode combination that §4.3 does not allow.
    pub transfer_bad_mode_retcode: String,
    pub connect_hold_errors: ConnectHoldErrors,
    /// INFERRED: delay before an IVR hang-up transfer (devicetype 3 mode 1) returns the call.
    pub ivr_return_ms: u64,
    /// INFERRED: a ringing call not answered for this long is taken back (No_Answer, agent
    /// forced busy with reason 2, call re-queued). 0 = rings forever.
    pub ring_timeout_ms: u64,
    /// INFERRED: AgentOther_PhoneRelease after chat sessions too.
    pub chat_phone_release: bool,

    // --- multimedia transfer (seed 002) ---
    /// INFERRED: code for invalid mediacall/transfer input other than devicetype (106-004).
    pub media_transfer_invalid_retcode: String,
    /// INFERRED: code when the callid is not a chat session of the agent.
    pub media_transfer_no_session_retcode: String,

    // --- queries (reference §4.5) ---
    pub empty_hold_list: EmptyHoldList,
    /// INFERRED: order of `holdlist`.
    pub hold_list_order: HoldListOrder,
    /// INFERRED: `callinfo` with no call: "0" answers `result: null`, anything else is the
    /// error code to answer.
    pub call_info_no_call_retcode: String,

    // --- envelope ---
    /// INFERRED: `result` of error envelopes.
    pub error_result: ErrorResult,

    // --- Alibaba CCC dialect (reference aliyun-ccc.md; all INFERRED) ---
    /// State after SignInGroup: BREAK/`Warm-up` or READY.
    pub ccc_sign_in_state: CccSignInState,
    /// WORKING (wrap-up) ends by itself after this long; 0 = stays until ReadyForService.
    pub ccc_wrap_up_ms: u64,
    /// Unanswered ringing for this long → BREAK `RingingTimeout`, call re-queued; 0 = never.
    pub ccc_ring_timeout_ms: u64,
    /// ReleaseCall on a ringing call (agent → BREAK `RejectCall`): re-queue or release it.
    pub ccc_reject_call: CccRejectCall,
    /// `ChannelFlags` of a held leg and of a muted leg.
    pub ccc_held_flag: String,
    pub ccc_muted_flag: String,
    /// GetCallDetailRecord answers NotExists.ContactId until this long after the call ended.
    pub cdr_delay_ms: u64,
    /// Satisfaction survey offered after every established call: IVR, SMS or none.
    pub cdr_survey_channel: SurveyChannel,
    /// `Satisfaction` the customer gave when a survey was offered (null: did not answer).
    pub cdr_satisfaction: Option<i64>,
    /// `EarlyMediaState` of an outbound call whose far end failed (never answered) the call.
    pub cdr_early_media_fail: EarlyMediaState,
    /// The analytics report of an established call is ready this long after the call ended
    /// (null: never, `AnalyticsReportReady` false).
    pub cdr_analytics_delay_ms: Option<u64>,
    /// Fixed `RequestId` for every answer ("" = a fresh upper-case UUID).
    pub ccc_fixed_request_id: String,
    /// `Message` of success answers.
    pub ccc_success_message: String,
    /// `Params` of success answers (null = absent).
    pub ccc_success_params: Option<Vec<String>>,
    /// Channels listed by call-control answers: all legs or only the affected ones.
    pub ccc_response_channels: CccResponseChannels,
    /// Call-control answers show the call after (default) or before the action. Seed 000's
    /// CancelAttendedTransfer answer is `before` with `affected` channels: the consult leg
    /// still ANSWERED and the agent TALKING.
    pub ccc_response_snapshot: CccSnapshot,
    /// INFERRED: PollUserStatus with no call: `CallContext` null, absent, or the last call
    /// with every leg RELEASED.
    pub ccc_poll_no_call: CccNoCall,

    // --- CCC softphone details (GetLoginDetails, GetTurnServerList, GetTurnCredentials) ---
    /// GetLoginDetails `SipServerUrl` (CCC: `host:port`, e.g. `sh-sip-ccc.aliyuncs.com:443`;
    /// a `ws://` / `wss://` URL is passed as given, for a test's SIP rig).
    pub ccc_sip_server_url: String,
    /// GetLoginDetails `AgentServerUrl` (nothing serves it in the simulator).
    pub ccc_agent_server_url: String,
    /// GetTurnServerList: the access points (`Data` is this list as a JSON string).
    pub ccc_turn_servers: Vec<TurnServer>,

    // --- demo (`--demo`) ---
    pub demo_agent: String,
    pub demo_interval_ms: u64,
    /// How long the demo customer talks before hanging up.
    pub demo_talk_ms: u64,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            auth_mode: AuthMode::Dynamic,
            guid_interval_ms: 60_000,
            guid_timeout_ms: 120_000,
            stale_guid_retcode: "100-006".into(),
            set_guid_on_every_poll: false,
            update_guid_requires_guid: true,
            agent_id_min: 101,
            agent_id_max: 59_999,
            sign_in_param_retcode: "100-001".into(),
            poll_wait_ms: 10_000,
            no_poll_timeout_ms: 120_000,
            push_handshake_timeout_ms: 120_000,
            empty_poll_event: EmptyPollEvent::Absent,
            event_as_list: false,
            busy_during_call: DuringCall::AfterCall,
            busy_reason_without_reason: 0,
            rest_unit_ms: 1000,
            incoming_call_info: CallInfoPlacement::After,
            gethold_event: "AgentEvent_Talking".into(),
            begin_mute_event: String::new(),
            end_mute_event: String::new(),
            reject_busy_event: "AgentState_SetNotReady_Success".into(),
            callout_busy_event: true,
            callout_fail_event: "AgentEvent_Call_Out_Fail".into(),
            consult_call_type: "assistant".into(),
            consult_fail_retrieves: false,
            transfer_bad_mode_retcode: "000-002".into(),
            connect_hold_errors: ConnectHoldErrors::Page,
            ivr_return_ms: 3000,
            ring_timeout_ms: 0,
            chat_phone_release: false,
            media_transfer_invalid_retcode: "000-002".into(),
            media_transfer_no_session_retcode: "000-002".into(),
            empty_hold_list: EmptyHoldList::Error,
            hold_list_order: HoldListOrder::NewestFirst,
            call_info_no_call_retcode: "0".into(),
            error_result: ErrorResult::Null,
            ccc_sign_in_state: CccSignInState::Break,
            ccc_wrap_up_ms: 0,
            ccc_ring_timeout_ms: 0,
            ccc_reject_call: CccRejectCall::Requeue,
            ccc_held_flag: "HOLDING".into(),
            ccc_muted_flag: "MUTED".into(),
            cdr_delay_ms: 1000,
            cdr_survey_channel: SurveyChannel::Ivr,
            cdr_satisfaction: Some(1),
            cdr_early_media_fail: EarlyMediaState::NotConnected,
            cdr_analytics_delay_ms: Some(0),
            ccc_fixed_request_id: String::new(),
            ccc_success_message: String::new(),
            ccc_success_params: None,
            ccc_response_channels: CccResponseChannels::All,
            ccc_response_snapshot: CccSnapshot::After,
            ccc_poll_no_call: CccNoCall::Null,
            ccc_sip_server_url: "127.0.0.1:5060".into(),
            ccc_agent_server_url: "sim-wss-ccc.invalid".into(),
            ccc_turn_servers: vec![TurnServer {
                region: "local".into(),
                name: "sim-turn".into(),
                domain: "127.0.0.1:3478".into(),
                cidr: "127.0.0.1/32".into(),
            }],
            demo_agent: "101".into(),
            demo_interval_ms: 30_000,
            demo_talk_ms: 20_000,
        }
    }
}

impl Knobs {
    /// Applies a partial JSON object of knobs (camelCase keys). Unknown keys or bad values are
    /// refused and leave the knobs unchanged.
    pub fn patch(&mut self, patch: &serde_json::Value) -> Result<(), String> {
        merge_patch(self, patch)
    }
}

impl Scenario {
    pub fn patch(&mut self, patch: &serde_json::Value) -> Result<(), String> {
        merge_patch(self, patch)
    }
}

fn merge_patch<T: Serialize + serde::de::DeserializeOwned>(
    target: &mut T,
    patch: &serde_json::Value,
) -> Result<(), String> {
    let patch = patch.as_object().ok_or_else(|| "expected a JSON object".to_string())?;
    let mut current = serde_json::to_value(&*target).map_err(|e| e.to_string())?;
    let obj = current.as_object_mut().ok_or_else(|| "internal: not an object".to_string())?;
    for (key, value) in patch {
        if !obj.contains_key(key) {
            return Err(format!("unknown key `{key}`"));
        }
        obj.insert(key.clone(), value.clone());
    }
    *target = serde_json::from_value(current).map_err(|e| e.to_string())?;
    Ok(())
}

impl Default for SimConfig {
    /// The built-in demo directory (documented in sim/README.md).
    fn default() -> Self {
        let names = ["Alice Chen", "Bob Li", "Carol Wang", "David Zhang", "Eve Liu"];
        let agents = names
            .iter()
            .enumerate()
            .map(|(i, name)| AgentConfig {
                workno: (101 + i).to_string(),
                password: "agent123".into(),
                phone: format!("7000{}", i + 1),
                name: (*name).into(),
                // 101 and 102 serve every queue; the others only general enquiries (+ chat).
                skills: if i < 2 { vec![1, 2, 3] } else { vec![1, 3] },
                ccc: None,
            })
            .collect();
        SimConfig {
            vdnid: 1,
            server_name: "AgentGateway0".into(),
            agents,
            skills: vec![
                skill(1, "General enquiries", 1, Media::Voice),
                skill(2, "VIP", 1, Media::Voice),
                skill(3, "Online chat", 5, Media::Chat),
            ],
            access_codes: vec!["10086".into()],
            ivr_codes: vec!["9000".into()],
            knobs: Knobs::default(),
            scenario: Scenario::default(),
            ccc: CccConfig::default(),
        }
    }
}

fn skill(id: i64, name: &str, mediatype: i64, media: Media) -> SkillConfig {
    SkillConfig { id, name: name.into(), mediatype, service_type: 0, real_flag: default_real_flag(), media }
}

impl SimConfig {
    /// Reads a JSON config file; missing fields take the demo defaults of their section.
    pub fn from_file(path: &std::path::Path) -> Result<SimConfig, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("bad config {}: {e}", path.display()))
    }

    pub fn agent(&self, workno: &str) -> Option<&AgentConfig> {
        self.agents.iter().find(|a| a.workno == workno)
    }

    pub fn skill(&self, id: i64) -> Option<&SkillConfig> {
        self.skills.iter().find(|s| s.id == id)
    }

    /// CCC UserId of an agent: its override, else `agent<workno>@<instance>`.
    pub fn ccc_user_id(&self, a: &AgentConfig) -> String {
        a.ccc
            .as_ref()
            .and_then(|c| c.user_id.clone())
            .unwrap_or_else(|| format!("agent{}@{}", a.workno, self.ccc.instance_id))
    }

    /// `POST /sim/ccc/user` and `--ccc-user`: `{userId, extension?, signature2?, userKey2?}`
    /// sets a CCC user's softphone details (a string sets, `null` goes back to the default).
    /// Returns the user's overrides.
    pub fn patch_ccc_user(&mut self, v: &serde_json::Value) -> Result<serde_json::Value, String> {
        let obj = v.as_object().ok_or("expected a JSON object")?;
        const KEYS: [&str; 4] = ["userId", "extension", "signature2", "userKey2"];
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("unknown key `{k}`"));
        }
        let user_id = obj.get("userId").and_then(|u| u.as_str()).ok_or("userId is required (a string)")?;
        let mut values = Vec::new();
        for key in &KEYS[1..] {
            match obj.get(*key) {
                None => {}
                Some(serde_json::Value::Null) => values.push((*key, None)),
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                    values.push((*key, Some(s.clone())))
                }
                Some(_) => return Err(format!("{key} must be a non-empty string or null")),
            }
        }
        let i = (0..self.agents.len())
            .find(|i| self.ccc_user_id(&self.agents[*i]) == user_id)
            .ok_or_else(|| format!("no CCC user {user_id}"))?;
        let c = self.agents[i].ccc.get_or_insert_with(Default::default);
        for (key, value) in values {
            match key {
                "extension" => c.extension = value,
                "signature2" => c.signature2 = value,
                _ => c.user_key2 = value,
            }
        }
        Ok(serde_json::json!({
            "userId": user_id,
            "extension": c.extension,
            "signature2": c.signature2,
            "userKey2": c.user_key2,
        }))
    }

    /// Caller number shown for outbound calls without an explicit caller.
    pub fn default_caller(&self) -> String {
        self.access_codes.first().cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_changes_only_given_keys_and_refuses_unknown() {
        let mut k = Knobs::default();
        k.patch(&serde_json::json!({"pollWaitMs": 100, "emptyPollEvent": "null"})).unwrap();
        assert_eq!(k.poll_wait_ms, 100);
        assert_eq!(k.empty_poll_event, EmptyPollEvent::Null);
        assert_eq!(k.guid_interval_ms, 60_000);
        let before = k.clone();
        assert!(k.patch(&serde_json::json!({"pollWait": 1})).is_err());
        assert!(k.patch(&serde_json::json!({"pollWaitMs": 1, "authMode": "weird"})).is_err());
        assert_eq!(k, before);
    }

    #[test]
    fn partial_config_file_takes_defaults() {
        let cfg: SimConfig = serde_json::from_str(r#"{"knobs": {"pollWaitMs": 50}, "vdnid": 7}"#).unwrap();
        assert_eq!(cfg.vdnid, 7);
        assert_eq!(cfg.knobs.poll_wait_ms, 50);
        assert_eq!(cfg.agents.len(), 5);
    }
}
