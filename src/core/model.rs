//! The session model: one agent, its calls and the connection to the gateway.

use super::event::Media;
use crate::i18n::Msg;

pub use super::Millis;

/// The agent's own state, apart from the calls it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentState {
    SignedOut {
        reason: Option<Notice>,
    },
    /// Sign-in was accepted; waiting for the first state event.
    SigningIn,
    Idle,
    /// Not ready, with the gateway's busy reason code (7: a call was rejected; 200–250: custom).
    Busy {
        reason: i64,
    },
    /// On a break; `until` is when the requested time is up (`overdue` once the gateway says so).
    Rest {
        cause: i64,
        until: Option<Millis>,
        overdue: bool,
    },
    WrapUp,
}

impl AgentState {
    pub fn is_signed_in(&self) -> bool {
        !matches!(self, AgentState::SignedOut { .. })
    }
}

/// What a call is doing from the agent's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPhase {
    Ringing,
    /// An outbound leg (callout, consult) that is not answered yet; `far_alerting` once the
    /// far party's phone rings.
    Dialing {
        far_alerting: bool,
    },
    Talking,
    Held,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
}

impl Direction {
    /// From the CC-Gateway callfeature code.
    pub fn from_feature(feature: i64) -> Direction {
        match feature {
            6 | 51 | 52 | 53 => Direction::Internal,
            7 | 40..=45 => Direction::Outbound,
            _ => Direction::Inbound,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub id: String,
    pub caller: String,
    pub called: String,
    pub media: Media,
    pub feature: i64,
    pub direction: Direction,
    pub phase: CallPhase,
    /// When the call entered its current phase (drives the ringing/talk/hold timers).
    pub phase_since: Millis,
    pub skill: Option<String>,
    pub calldata: Option<String>,
    pub transferred_from: Option<String>,
    pub muted: bool,
    /// Numbers of the other parties once a conference is up.
    pub conference: Vec<String>,
    /// A request on this call succeeded and its event has not come yet (an answered call that
    /// still rings, a hold that is not confirmed): the same buttons stay off until it does.
    pub settling: Option<super::action::Action>,
    /// The generation of the last gateway event or answer about this call (see `Session::gen`).
    pub gen: u64,
}

impl Call {
    /// A call whose answer, reject, hold… request succeeded but whose event has not come yet
    /// takes no second such request: that is how a double click hangs up the wrong call.
    pub fn settling_blocks(&self, action: super::action::Action) -> bool {
        use super::action::Action;
        match self.settling {
            Some(Action::Answer | Action::Reject) => matches!(action, Action::Answer | Action::Reject),
            Some(done) => done == action,
            None => false,
        }
    }

    /// The number of the party on the other side, as an agent thinks of it.
    pub fn other_party(&self) -> &str {
        match self.direction {
            Direction::Outbound => &self.called,
            _ => &self.caller,
        }
    }
}

/// The link to the gateway's event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connection {
    #[default]
    Offline,
    Online,
    /// Polls are failing; retrying with backoff since `since`.
    Reconnecting {
        attempt: u32,
        since: Millis,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Error,
    Info,
}

/// A message for the agent: an i18n key, plus the vendor code and text when a gateway said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub msg: Msg,
    pub code: Option<String>,
    pub detail: Option<String>,
    /// Set when the notice is shown (`Session::notify`); the agent dismisses it by this id.
    pub id: u64,
    /// The server asked to wait this long before trying again (a locked sign-in).
    pub retry_after_secs: Option<u64>,
    /// A dial, transfer or consult that did not connect (hosts get `call.failed`).
    pub failure: Option<Failure>,
}

/// What an agent tried that did not connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Dial,
    Transfer,
    Consult,
}

impl Attempt {
    pub fn name(self) -> &'static str {
        match self {
            Attempt::Dial => "dial",
            Attempt::Transfer => "transfer",
            Attempt::Consult => "consult",
        }
    }
}

/// A failed attempt: what, on which call, and (when the gateway refused the request itself)
/// how it refused; `None` when the far party could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub attempt: Attempt,
    pub call_id: Option<String>,
    pub refused: Option<super::error::ErrorKind>,
}

impl Notice {
    pub fn error(msg: Msg) -> Notice {
        Notice {
            kind: NoticeKind::Error,
            msg,
            code: None,
            detail: None,
            id: 0,
            retry_after_secs: None,
            failure: None,
        }
    }
    /// The notice of an attempt that did not connect.
    pub fn failed(msg: Msg, attempt: Attempt, call_id: Option<String>) -> Notice {
        Notice { failure: Some(Failure { attempt, call_id, refused: None }), ..Notice::error(msg) }
    }
    pub fn info(msg: Msg) -> Notice {
        Notice {
            kind: NoticeKind::Info,
            msg,
            code: None,
            detail: None,
            id: 0,
            retry_after_secs: None,
            failure: None,
        }
    }
}

/// How many notices stay on screen; the oldest goes when a new one comes.
pub const NOTICE_LIMIT: usize = 4;

/// A request the toolbar is waiting for: one at a time per action and call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub action: super::action::Action,
    /// The call the request is about ("" for the agent's own state).
    pub call_id: String,
}

/// How many ended calls are remembered, so a late answer cannot bring one back.
pub const ENDED_LIMIT: usize = 16;

/// A transfer that waits for its outcome (success transfer and the like).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferProgress {
    pub call_id: String,
    pub address: String,
    pub since: Millis,
}

/// Where the consult leg stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultState {
    /// Asked for; the gateway has not reported the leg yet.
    Dialing,
    Ringing,
    Talking,
    /// The consultee hung up or could not be reached; the customer still waits on hold.
    Ended,
}

/// A consult (innerhelp mode 1): the customer is on hold while the agent talks to a colleague.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consult {
    pub customer_call_id: String,
    /// The consult leg's call id, once the gateway gives it.
    pub leg_call_id: Option<String>,
    pub target: String,
    pub state: ConsultState,
    pub since: Millis,
}

/// Everything the toolbar knows; the views render slices of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub agent_id: String,
    pub agent: AgentState,
    /// When the agent entered its current state (drives the state bar's timer).
    pub agent_since: Millis,
    pub calls: Vec<Call>,
    pub connection: Connection,
    /// Messages for the agent, oldest first; each stays until dismissed (or pushed out).
    pub notices: Vec<Notice>,
    pub next_notice_id: u64,
    /// From sign-in: after a call the gateway puts the agent in wrap-up instead of idle.
    pub auto_enter_idle: bool,
    /// The last sign-in was refused with 100-002: offer to take the session over.
    pub offer_force_sign_in: bool,
    /// Seconds of the rest the agent asked for, until the gateway confirms it.
    pub requested_rest_secs: Option<u64>,
    /// Call details that arrived before their ringing event.
    pub early_call_info: Vec<(String, Option<String>, Option<String>)>,
    pub transfer: Option<TransferProgress>,
    pub consult: Option<Consult>,
    /// What happened to the calls in progress (the CC-Gateway's call-detail source).
    pub journal: Vec<super::cdr::JournalEntry>,
    /// The details of the last finished call, for the details panel.
    pub last_detail: Option<super::cdr::CallDetail>,
    /// What the vendor can do at all: actions it lacks are hidden, not left broken.
    pub supported: super::action::AllowedActions,
    /// Requests in flight; a repeat of one of them is ignored until it is answered.
    pub pending: Vec<Pending>,
    /// DTMF digits typed while an earlier digit was on its way, per call, sent next in order.
    pub dtmf_queue: Vec<(String, String)>,
    /// Counts every gateway event and request answer applied. Reads (resync, hold list) carry
    /// the generation they were sent at, and lose to anything applied after it.
    pub gen: u64,
    /// The generation of the last event or answer that changed the agent's own state.
    pub agent_gen: u64,
    /// Calls that ended, with the generation they ended at (bounded by `ENDED_LIMIT`).
    pub ended: Vec<(String, u64)>,
    /// The agent chose "go ready anyway" in this sign-in: the readiness check only warns.
    pub ready_anyway: bool,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            agent_id: String::new(),
            agent: AgentState::SignedOut { reason: None },
            agent_since: 0,
            calls: Vec::new(),
            connection: Connection::Offline,
            notices: Vec::new(),
            next_notice_id: 0,
            auto_enter_idle: true,
            offer_force_sign_in: false,
            requested_rest_secs: None,
            early_call_info: Vec::new(),
            transfer: None,
            consult: None,
            journal: Vec::new(),
            last_detail: None,
            supported: super::action::AllowedActions::all(),
            pending: Vec::new(),
            dtmf_queue: Vec::new(),
            gen: 0,
            agent_gen: 0,
            ended: Vec::new(),
            ready_anyway: false,
        }
    }
}

impl Session {
    /// The newest notice, if any.
    pub fn notice(&self) -> Option<&Notice> {
        self.notices.last()
    }

    /// Shows a notice. The same message with the same code replaces its older copy, so a
    /// repeated failure does not fill the screen.
    /// The agent closed a notice.
    pub fn dismiss(&mut self, id: u64) {
        self.notices.retain(|n| n.id != id);
    }

    pub fn notify(&mut self, mut notice: Notice) {
        self.notices.retain(|n| !(n.msg == notice.msg && n.code == notice.code));
        if self.notices.len() >= NOTICE_LIMIT {
            self.notices.remove(0);
        }
        self.next_notice_id += 1;
        notice.id = self.next_notice_id;
        self.notices.push(notice);
    }

    pub fn is_pending(&self, action: super::action::Action, call_id: &str) -> bool {
        self.pending.iter().any(|p| p.action == action && p.call_id == call_id)
    }

    pub fn call(&self, id: &str) -> Option<&Call> {
        self.calls.iter().find(|c| c.id == id)
    }

    pub fn call_mut(&mut self, id: &str) -> Option<&mut Call> {
        self.calls.iter_mut().find(|c| c.id == id)
    }

    /// The call that rings, if any.
    pub fn ringing(&self) -> Option<&Call> {
        self.calls.iter().find(|c| c.phase == CallPhase::Ringing)
    }

    /// The call the agent is on (talking or dialing), if any.
    pub fn active(&self) -> Option<&Call> {
        self.calls.iter().rev().find(|c| matches!(c.phase, CallPhase::Talking | CallPhase::Dialing { .. }))
    }

    pub fn held(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().filter(|c| c.phase == CallPhase::Held)
    }

    pub fn in_call(&self) -> bool {
        self.calls.iter().any(|c| c.phase != CallPhase::Ringing)
    }
}

/// What the state bar shows: the call, when there is one, else the agent's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayState {
    SignedOut,
    SigningIn,
    Idle,
    Busy,
    Rest { overdue: bool },
    WrapUp,
    Ringing,
    Dialing,
    Talking,
    Held,
    Consulting,
}

impl DisplayState {
    /// A stable name for `data-state` attributes and the embedding API.
    pub fn name(self) -> &'static str {
        match self {
            DisplayState::SignedOut => "signed-out",
            DisplayState::SigningIn => "signing-in",
            DisplayState::Idle => "ready",
            DisplayState::Busy => "busy",
            DisplayState::Rest { .. } => "rest",
            DisplayState::WrapUp => "wrap-up",
            DisplayState::Ringing => "ringing",
            DisplayState::Dialing => "dialing",
            DisplayState::Talking => "talking",
            DisplayState::Held => "held",
            DisplayState::Consulting => "consulting",
        }
    }

    pub fn msg(self) -> Msg {
        match self {
            DisplayState::SignedOut => Msg::StateSignedOut,
            DisplayState::SigningIn => Msg::StateSigningIn,
            DisplayState::Idle => Msg::StateIdle,
            DisplayState::Busy => Msg::StateBusy,
            DisplayState::Rest { overdue: false } => Msg::StateRest,
            DisplayState::Rest { overdue: true } => Msg::StateRestOverdue,
            DisplayState::WrapUp => Msg::StateWrapUp,
            DisplayState::Ringing => Msg::StateRinging,
            DisplayState::Dialing => Msg::StateDialing,
            DisplayState::Talking => Msg::StateTalking,
            DisplayState::Held => Msg::StateHeld,
            DisplayState::Consulting => Msg::Consulting,
        }
    }
}

impl Session {
    /// When what the state bar shows began: the call's phase when a call is shown, else the
    /// agent's state.
    pub fn display_since(&self) -> Millis {
        let call = self.active().or_else(|| self.held().next()).or_else(|| self.ringing());
        call.map_or(self.agent_since, |c| c.phase_since)
    }

    pub fn display_state(&self) -> DisplayState {
        if self.consult.is_some() {
            return DisplayState::Consulting;
        }
        if let Some(call) = self.active() {
            return match call.phase {
                CallPhase::Dialing { .. } => DisplayState::Dialing,
                _ => DisplayState::Talking,
            };
        }
        if self.held().next().is_some() {
            return DisplayState::Held;
        }
        if self.ringing().is_some() {
            return DisplayState::Ringing;
        }
        match &self.agent {
            AgentState::SignedOut { .. } => DisplayState::SignedOut,
            AgentState::SigningIn => DisplayState::SigningIn,
            AgentState::Idle => DisplayState::Idle,
            AgentState::Busy { .. } => DisplayState::Busy,
            AgentState::Rest { overdue, .. } => DisplayState::Rest { overdue: *overdue },
            AgentState::WrapUp => DisplayState::WrapUp,
        }
    }
}
