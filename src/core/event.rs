//! The neutral events every vendor dialect decodes into.

/// What kind of media a call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Media {
    #[default]
    Voice,
    Video,
    /// Text chat and other multimedia sessions.
    Chat,
}

impl Media {
    /// From CC-Gateway `mediaAbility`: 1 audio, 2 video, 3 audio+video, 5 text, 6 H5 video.
    pub fn from_media_ability(code: Option<i64>) -> Media {
        match code {
            Some(2 | 3 | 6) => Media::Video,
            Some(5) => Media::Chat,
            _ => Media::Voice,
        }
    }
}

/// A call offered to the agent (the ringing banner's content).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallOffer {
    pub call_id: String,
    pub caller: String,
    pub called: String,
    pub media: Media,
    /// CC-Gateway callfeature code (0 inbound, 6 internal, 7 outbound, 51 consult…).
    pub feature: i64,
    /// Who transferred the call to this agent, when it was transferred.
    pub transferred_from: Option<String>,
    /// Set when this offer is an assistant leg (consult/help) rather than a main call.
    pub assistant: bool,
}

/// Everything the gateway can tell the toolbar, vendor-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Sign-in completed; the agent is in service.
    InService,
    /// The gateway signed the agent out (sign-out, forced sign-out, poll timeout).
    ShutDown,
    /// The agent became idle/ready.
    Ready,
    /// Busy (not ready) was set, with the gateway's busy reason code.
    Busy {
        reason: i64,
    },
    /// Busy was cleared.
    BusyCleared,
    /// Rest (break) started.
    RestStarted {
        cause: i64,
    },
    /// The requested rest time is over; the agent stays in rest.
    RestTimeout,
    RestEnded,
    /// The agent entered wrap-up (after-call work).
    WrapUp,
    WrapUpEnded,
    /// The agent is occupied by a call it is making (callout).
    Occupied,
    /// A call rings the agent.
    Ringing(CallOffer),
    /// Details of an arriving call (skill queue, attached data).
    CallInfo {
        call_id: String,
        skill: Option<String>,
        calldata: Option<String>,
    },
    /// The call was answered automatically.
    AutoAnswered,
    /// A call is connected: answered, retrieved, or the far end of an outbound/consult leg answered.
    Talking {
        call_id: String,
        caller: String,
        called: String,
        media: Media,
        feature: i64,
    },
    /// The far party (customer, consult or transfer target) is ringing.
    FarAlerting {
        call_id: String,
        number: String,
        agent: Option<String>,
        /// The leg is a consult (inner help) leg, as the gateway marks it.
        consult_leg: bool,
    },
    Held {
        call_id: String,
    },
    Conference {
        call_id: String,
        partners: Vec<String>,
    },
    /// A ringing call was rejected or not answered in time; it is taken back.
    NoAnswer {
        call_id: String,
    },
    /// The agent's side of a call ended.
    CallReleased {
        call_id: String,
    },
    /// The other party hung up.
    CustomerReleased {
        call_id: String,
        number: String,
    },
    /// The agent's phone leg was released.
    PhoneReleased,
    /// Connecting to a transfer/callout target failed.
    ConnectFailed {
        call_id: String,
    },
    CallOutFailed {
        call_id: String,
    },
    ConsultFailed {
        call_id: String,
    },
    /// The result of a success transfer.
    TransferResult {
        call_id: String,
        ok: bool,
    },
}

impl Event {
    /// The call the event is about, if it is about one.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            Event::Ringing(o) => Some(&o.call_id),
            Event::CallInfo { call_id, .. }
            | Event::Talking { call_id, .. }
            | Event::FarAlerting { call_id, .. }
            | Event::Held { call_id }
            | Event::Conference { call_id, .. }
            | Event::NoAnswer { call_id }
            | Event::CallReleased { call_id }
            | Event::CustomerReleased { call_id, .. }
            | Event::ConnectFailed { call_id }
            | Event::CallOutFailed { call_id }
            | Event::ConsultFailed { call_id }
            | Event::TransferResult { call_id, .. } => Some(call_id),
            _ => None,
        }
    }

    /// Whether the event reports the agent's own state (as a query of it would).
    pub fn is_agent_state(&self) -> bool {
        matches!(
            self,
            Event::InService
                | Event::ShutDown
                | Event::Ready
                | Event::Busy { .. }
                | Event::BusyCleared
                | Event::RestStarted { .. }
                | Event::RestTimeout
                | Event::RestEnded
                | Event::WrapUp
                | Event::WrapUpEnded
        )
    }
}
