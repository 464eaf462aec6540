//! What the agent asks for. Views, keyboard shortcuts, host pages and the state machine itself
//! produce these; the gate (`core::gate`) admits them and the adapters turn them into requests.

use super::transfer::{ConsultTarget, TransferRequest};

/// How a rejected call is handled (seed 004).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectMode {
    /// Mode 1: the call goes back to the queue and the agent becomes busy.
    Requeue,
    /// Mode 2: the call is released and the agent stays idle.
    Release,
}

impl RejectMode {
    pub fn code(self) -> i64 {
        match self {
            RejectMode::Requeue => 1,
            RejectMode::Release => 2,
        }
    }
}

/// The state the agent asks to be in right after sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitialState {
    #[default]
    Idle,
    Busy,
    WrapUp,
}

/// What the agent asks for. Views send these; vendors turn them into requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    SignIn {
        agent_id: String,
        password: String,
        phone: String,
        initial: InitialState,
        /// Take over a session that is signed in elsewhere (after 100-002).
        force: bool,
        auto_enter_idle: bool,
    },
    SignOut,
    /// Sign out although calls are still up: the agent confirmed, having been told what
    /// happens to them.
    SignOutLeavingCalls,
    Ready,
    Busy {
        reason: Option<i64>,
    },
    Rest {
        seconds: u64,
        cause: i64,
    },
    EnterWrapUp,
    LeaveWrapUp,
    Answer {
        call_id: String,
    },
    Reject {
        call_id: String,
        mode: RejectMode,
    },
    HangUp {
        call_id: String,
    },
    Hold {
        call_id: String,
    },
    Retrieve {
        call_id: String,
    },
    Mute {
        call_id: String,
    },
    Unmute {
        call_id: String,
    },
    Dtmf {
        call_id: String,
        digits: String,
    },
    CallOut {
        number: String,
    },
    /// Bridges a held call with the current one; the agent drops out.
    ConnectHeld {
        call_id: String,
    },
    /// Hangs up one call (held, current or a consult leg).
    DropCall {
        call_id: String,
    },
    Transfer(TransferRequest),
    /// Consult (innerhelp mode 1): the customer goes on hold, the target rings.
    Consult {
        customer_call_id: String,
        target: ConsultTarget,
    },
    /// Ends the consult leg, whatever the consultee has done, and retrieves the customer.
    CancelConsult {
        customer_call_id: String,
        leg_call_id: Option<String>,
    },
    /// Hands the customer to the consultee (connects the held customer; the agent drops out).
    CompleteConsult {
        customer_call_id: String,
    },
    /// Joins customer, consultee and agent.
    Conference {
        customer_call_id: String,
    },
}
