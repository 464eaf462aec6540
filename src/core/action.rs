//! What an agent can do (Finesse-style action names) and a small set of them. A leaf: the
//! session model holds these, and the rules of which are allowed when (`actions`) read the model.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    SignIn,
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
    /// End the consult leg and take the customer back (seed 000).
    CancelConsult,
    /// Hand the customer to the consultee.
    CompleteConsult,
}

impl Action {
    pub const ALL: [Action; 23] = [
        Action::SignIn,
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
        Action::CancelConsult,
        Action::CompleteConsult,
    ];

    /// A stable name for the embedding API and logs.
    pub fn name(self) -> &'static str {
        match self {
            Action::SignIn => "signIn",
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
            Action::CancelConsult => "consultCancel",
            Action::CompleteConsult => "consultComplete",
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
    pub(crate) fn add(&mut self, a: Action) {
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

    pub(crate) fn and(self, other: AllowedActions) -> AllowedActions {
        AllowedActions(self.0 & other.0)
    }
}
