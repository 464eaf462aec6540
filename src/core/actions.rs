//! Which actions the agent may take in the current state (Finesse-style `allowedActions`).
//! The views enable buttons from this, and the embedding API refuses commands with it.

pub use super::action::{Action, AllowedActions};
use super::event::Media;
use super::model::{AgentState, Call, CallPhase, ConsultState, Session};

/// The actions the current session allows, after Huawei's demo-toolbar enable matrix
/// (cc-gateway.md §9), extended with the agent states.
pub fn allowed_actions(s: &Session) -> AllowedActions {
    allowed_by_state(s).and(s.supported)
}

fn allowed_by_state(s: &Session) -> AllowedActions {
    let mut set = AllowedActions::default();
    let mut allow = |a| set.add(a);
    if !s.agent.is_signed_in() {
        allow(Action::SignIn);
        return set;
    }
    if s.agent == AgentState::SigningIn {
        return set;
    }
    let settled = |c: &Call, a: Action| c.settling_blocks(a);
    let ringing = s.ringing();
    let active = s.active();
    let any_held = s.held().next().is_some();
    let in_call = s.in_call();

    if let Some(call) = ringing {
        if !settled(call, Action::Answer) {
            allow(Action::Answer);
            allow(Action::Reject);
        }
    }
    if let Some(call) = active {
        if !settled(call, Action::HangUp) {
            allow(Action::HangUp);
        }
        let busy_elsewhere = s.consult.is_some() || s.transfer.is_some() || call.settling.is_some();
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
    if let Some(c) = &s.consult {
        allow(Action::CancelConsult);
        if c.state == ConsultState::Talking {
            allow(Action::Conference);
            allow(Action::CompleteConsult);
        }
    }
    if s.held().any(|c| !settled(c, Action::Retrieve)) {
        allow(Action::Retrieve);
    }
    if any_held {
        if active.is_some() {
            allow(Action::ConnectHeld);
        }
        allow(Action::HangUp);
    }
    if !in_call && ringing.is_none() {
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

/// What the readiness check says before Ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Nothing stands between a ring and the agent.
    Go,
    /// A ring can still be heard or seen: go ready, and show these as chips.
    Warn(Vec<crate::i18n::Msg>),
    /// No ring would reach the agent (no event stream, or neither sound nor notifications):
    /// ask before going ready, unless the agent already chose "go ready anyway" this sign-in.
    Block(Vec<crate::i18n::Msg>),
}

/// The readiness check: would a ring go unnoticed if the agent went Ready now?
pub fn readiness(s: &Session, sound_on: bool, notifications_granted: bool) -> Readiness {
    use crate::i18n::Msg;
    let no_stream = s.connection != super::model::Connection::Online;
    let mut found = Vec::new();
    if no_stream {
        found.push(Msg::ReadyNoStream);
    }
    if !sound_on {
        found.push(Msg::SoundOff);
    }
    if !notifications_granted {
        found.push(Msg::NotificationsOff);
    }
    let unheard = no_stream || (!sound_on && !notifications_granted);
    match found.is_empty() {
        true => Readiness::Go,
        false if unheard && !s.ready_anyway => Readiness::Block(found),
        false => Readiness::Warn(found),
    }
}

#[cfg(test)]
mod readiness_tests {
    use super::*;
    use crate::core::model::Connection;
    use crate::i18n::Msg;

    #[test]
    fn ready_is_one_click_when_a_ring_can_be_heard_or_seen() {
        let mut s = Session { connection: Connection::Online, ..Default::default() };
        assert_eq!(readiness(&s, true, true), Readiness::Go);
        assert_eq!(readiness(&s, true, false), Readiness::Warn(vec![Msg::NotificationsOff]));
        assert_eq!(readiness(&s, false, true), Readiness::Warn(vec![Msg::SoundOff]));
        assert_eq!(readiness(&s, false, false), Readiness::Block(vec![Msg::SoundOff, Msg::NotificationsOff]));
        s.ready_anyway = true;
        assert!(matches!(readiness(&s, false, false), Readiness::Warn(_)), "remembered for the sign-in");
        s.ready_anyway = false;
        s.connection = Connection::Reconnecting { attempt: 1, since: 0 };
        assert_eq!(readiness(&s, true, true), Readiness::Block(vec![Msg::ReadyNoStream]));
    }
}
