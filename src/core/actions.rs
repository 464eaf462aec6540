//! Which actions the agent may take in the current state (Finesse-style `allowedActions`).
//! The views enable buttons from this, and the embedding API refuses commands with it.

use super::event::Media;
use super::model::{AgentState, CallPhase, ConsultState, Session};

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
    /// Join a held call to the current one and leave (CC-Gateway connecthold).
    ConnectHeld,
    /// Turn a consult into a three-way call.
    Conference,
    /// Break with a timer (CC-Gateway rest).
    TimedRest,
}

impl Action {
    pub const ALL: [Action; 20] = [
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
        Action::ConnectHeld,
        Action::Conference,
        Action::TimedRest,
    ];

    /// A stable name for the embedding API and logs.
    pub fn name(self) -> &'static str {
        match self {
            Action::SignOut => "signOut",
            Action::Ready => "ready",
            Action::Busy => "busy",
            Action::Rest => "break",
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
            Action::ConnectHeld => "connectHeld",
            Action::Conference => "conference",
            Action::TimedRest => "rest",
        }
    }
}

/// A small set of actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
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

    /// Every action.
    pub fn all() -> AllowedActions {
        let mut set = AllowedActions::default();
        Action::ALL.into_iter().for_each(|a| set.add(a));
        set
    }

    /// Every action but these (a vendor's capabilities).
    pub fn all_but(missing: &[Action]) -> AllowedActions {
        let mut set = AllowedActions::all();
        for a in missing {
            set.0 &= !(1 << *a as u32);
        }
        set
    }

    fn and(self, other: AllowedActions) -> AllowedActions {
        AllowedActions(self.0 & other.0)
    }
}

/// The actions the current session allows, after Huawei's demo-toolbar enable matrix
/// (cc-gateway.md §9), extended with the agent states.
pub fn allowed_actions(s: &Session) -> AllowedActions {
    allowed_by_state(s).and(s.supported)
}

fn allowed_by_state(s: &Session) -> AllowedActions {
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
    if s.consult.as_ref().is_some_and(|c| c.state == ConsultState::Talking) {
        allow(Action::Conference);
    }
    if any_held {
        allow(Action::Retrieve);
        if active.is_some() {
            allow(Action::ConnectHeld);
        }
        allow(Action::HangUp);
    }
    if !in_call && !ringing {
        allow(Action::SignOut);
        allow(Action::CallOut);
        match s.agent {
            AgentState::Idle => {
                allow(Action::Busy);
                allow(Action::Rest);
                allow(Action::TimedRest);
                allow(Action::EnterWrapUp);
            }
            AgentState::Busy { .. } => {
                allow(Action::Ready);
                allow(Action::Busy); // a new reason replaces the old one
                allow(Action::Rest);
                allow(Action::TimedRest);
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

/// What would make a ring go unnoticed if the agent went Ready now (the readiness check).
pub fn readiness_problems(s: &Session, sound_on: bool, notifications_granted: bool) -> Vec<crate::i18n::Msg> {
    use crate::i18n::Msg;
    let mut found = Vec::new();
    if s.connection != super::model::Connection::Online {
        found.push(Msg::ReadyNoStream);
    }
    if !sound_on {
        found.push(Msg::SoundOff);
    }
    if !notifications_granted {
        found.push(Msg::NotificationsOff);
    }
    found
}

#[cfg(test)]
mod readiness_tests {
    use super::*;
    use crate::core::model::Connection;
    use crate::i18n::Msg;

    #[test]
    fn readiness_names_each_problem() {
        let mut s = Session { connection: Connection::Online, ..Default::default() };
        assert!(readiness_problems(&s, true, true).is_empty());
        assert_eq!(readiness_problems(&s, false, true), [Msg::SoundOff]);
        s.connection = Connection::Reconnecting { attempt: 1, since: 0 };
        assert_eq!(readiness_problems(&s, true, false), [Msg::ReadyNoStream, Msg::NotificationsOff]);
    }
}
