//! Which actions the agent may take in the current state (Finesse-style `allowedActions`).
//! The views enable buttons from this, and the embedding API refuses commands with it.

use super::event::Media;
use super::model::{AgentState, CallPhase, Session};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    SignOut,
    Ready,
    Busy,
    Rest,
    EnterWrapUp,
    LeaveWrapUp,
    CallOut,
    Answer,
    Reject,
    HangUp,
    Hold,
    Retrieve,
    Mute,
    Unmute,
    Dtmf,
    Transfer,
    Consult,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::SignOut,
        Action::Ready,
        Action::Busy,
        Action::Rest,
        Action::EnterWrapUp,
        Action::LeaveWrapUp,
        Action::CallOut,
        Action::Answer,
        Action::Reject,
        Action::HangUp,
        Action::Hold,
        Action::Retrieve,
        Action::Mute,
        Action::Unmute,
        Action::Dtmf,
        Action::Transfer,
        Action::Consult,
    ];

    /// A stable name for the embedding API and logs.
    pub fn name(self) -> &'static str {
        match self {
            Action::SignOut => "signOut",
            Action::Ready => "ready",
            Action::Busy => "busy",
            Action::Rest => "rest",
            Action::EnterWrapUp => "enterWrapUp",
            Action::LeaveWrapUp => "leaveWrapUp",
            Action::CallOut => "dial",
            Action::Answer => "answer",
            Action::Reject => "reject",
            Action::HangUp => "hangup",
            Action::Hold => "hold",
            Action::Retrieve => "retrieve",
            Action::Mute => "mute",
            Action::Unmute => "unmute",
            Action::Dtmf => "dtmf",
            Action::Transfer => "transfer",
            Action::Consult => "consult",
        }
    }
}

/// A small set of actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllowedActions(u32);

impl AllowedActions {
    pub fn contains(self, a: Action) -> bool {
        self.0 & (1 << a as u32) != 0
    }
    fn add(&mut self, a: Action) {
        self.0 |= 1 << a as u32;
    }
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

/// The actions the current session allows, after Huawei's demo-toolbar enable matrix
/// (cc-gateway.md §9), extended with the agent states.
pub fn allowed_actions(s: &Session) -> AllowedActions {
    let mut set = AllowedActions::default();
    let mut allow = |a| set.add(a);
    if !s.agent.is_signed_in() || s.agent == AgentState::SigningIn {
        return set;
    }
    let ringing = s.ringing().is_some();
    let active = s.active();
    let any_held = s.held().next().is_some();
    let in_call = s.in_call();

    if ringing {
        allow(Action::Answer);
        allow(Action::Reject);
    }
    if let Some(call) = active {
        allow(Action::HangUp);
        let busy_elsewhere = s.consult.is_some() || s.transfer.is_some();
        if call.phase == CallPhase::Talking {
            if call.muted {
                allow(Action::Unmute);
            } else {
                allow(Action::Mute);
                allow(Action::Dtmf);
                if !busy_elsewhere {
                    allow(Action::Hold);
                    allow(Action::Transfer);
                    // innerhelp is a voice operation.
                    if call.media != Media::Chat {
                        allow(Action::Consult);
                    }
                }
            }
        }
    }
    if any_held {
        allow(Action::Retrieve);
        allow(Action::HangUp);
    }
    if !in_call && !ringing {
        allow(Action::SignOut);
        allow(Action::CallOut);
        match s.agent {
            AgentState::Idle => {
                allow(Action::Busy);
                allow(Action::Rest);
                allow(Action::EnterWrapUp);
            }
            AgentState::Busy { .. } => {
                allow(Action::Ready);
                allow(Action::Busy); // a new reason replaces the old one
                allow(Action::Rest);
            }
            AgentState::Rest { .. } => allow(Action::Ready),
            AgentState::WrapUp => {
                allow(Action::Ready);
                allow(Action::LeaveWrapUp);
                allow(Action::Busy);
            }
            AgentState::SignedOut { .. } | AgentState::SigningIn => {}
        }
    } else if any_held && active.is_none() {
        // A call on hold: the agent may dial a second party (Huawei's matrix).
        allow(Action::CallOut);
    }
    set
}
