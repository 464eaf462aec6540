//! The gate every request passes: is it allowed in the current state, is it about a call the
//! toolbar still has in the right phase, and is the same request already on its way? A double
//! click, a held-down shortcut or a host page sending a command twice all end here.

use super::actions::{allowed_actions, Action};
use super::intent::Intent;
use super::model::{AgentState, CallPhase, Pending, Session};

/// Why an intent was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The agent's state (or the vendor) does not allow it now.
    NotAllowed,
    /// The call it names is not on screen, or not in a phase the request fits.
    NoSuchCall,
    /// The same request is already on its way; this repeat is dropped.
    InProgress,
}

/// The action an intent is, for the allowed-actions check and the one-in-flight rule.
pub fn action_of(intent: &Intent) -> Action {
    match intent {
        Intent::SignIn { .. } => Action::SignIn,
        Intent::SignOut | Intent::SignOutLeavingCalls => Action::SignOut,
        Intent::Ready => Action::Ready,
        Intent::Busy { .. } => Action::Busy,
        Intent::Rest { .. } => Action::Rest,
        Intent::EnterWrapUp => Action::EnterWrapUp,
        Intent::LeaveWrapUp => Action::LeaveWrapUp,
        Intent::Answer { .. } => Action::Answer,
        Intent::Reject { .. } => Action::Reject,
        Intent::HangUp { .. } | Intent::DropCall { .. } => Action::HangUp,
        Intent::Hold { .. } => Action::Hold,
        Intent::Retrieve { .. } => Action::Retrieve,
        Intent::Mute { .. } => Action::Mute,
        Intent::Unmute { .. } => Action::Unmute,
        Intent::Dtmf { .. } => Action::Dtmf,
        Intent::CallOut { .. } => Action::CallOut,
        Intent::ConnectHeld { .. } => Action::ConnectHeld,
        Intent::Transfer(_) => Action::Transfer,
        Intent::Consult { .. } => Action::Consult,
        Intent::CancelConsult { .. } => Action::CancelConsult,
        Intent::CompleteConsult { .. } => Action::CompleteConsult,
        Intent::Conference { .. } => Action::Conference,
    }
}

/// The call an intent is about, if any.
pub fn call_of(intent: &Intent) -> Option<&str> {
    match intent {
        Intent::Answer { call_id }
        | Intent::Reject { call_id, .. }
        | Intent::HangUp { call_id }
        | Intent::DropCall { call_id }
        | Intent::Hold { call_id }
        | Intent::Retrieve { call_id }
        | Intent::Mute { call_id }
        | Intent::Unmute { call_id }
        | Intent::Dtmf { call_id, .. }
        | Intent::ConnectHeld { call_id } => Some(call_id),
        Intent::Transfer(t) => Some(&t.call_id),
        Intent::Consult { customer_call_id, .. }
        | Intent::CancelConsult { customer_call_id, .. }
        | Intent::CompleteConsult { customer_call_id }
        | Intent::Conference { customer_call_id } => Some(customer_call_id),
        _ => None,
    }
}

/// The in-flight key of an intent.
pub fn pending_of(intent: &Intent) -> Pending {
    Pending { action: action_of(intent), call_id: call_of(intent).unwrap_or_default().to_string() }
}

/// Whether `intent` may be sent now.
pub fn admit(s: &Session, intent: &Intent) -> Result<(), Refusal> {
    let action = action_of(intent);
    let key = pending_of(intent);
    let allowed = match intent {
        // Signing out with calls up is the agent's explicit choice (the confirmation says what
        // happens to them); the gateway still decides.
        Intent::SignOutLeavingCalls => s.agent.is_signed_in() && s.agent != AgentState::SigningIn,
        _ => allowed_actions(s).contains(action),
    };
    if !allowed {
        return Err(Refusal::NotAllowed);
    }
    let phase = |id: &str| s.call(id).map(|c| c.phase);
    let fits = match intent {
        Intent::Answer { call_id } | Intent::Reject { call_id, .. } => {
            phase(call_id) == Some(CallPhase::Ringing)
        }
        Intent::HangUp { call_id } | Intent::DropCall { call_id } => {
            phase(call_id).is_some_and(|p| p != CallPhase::Ringing)
        }
        Intent::Hold { call_id } => phase(call_id) == Some(CallPhase::Talking),
        Intent::Retrieve { call_id } | Intent::ConnectHeld { call_id } => {
            phase(call_id) == Some(CallPhase::Held)
        }
        Intent::Mute { call_id } | Intent::Unmute { call_id } | Intent::Dtmf { call_id, .. } => {
            phase(call_id).is_some()
        }
        Intent::Transfer(t) => phase(&t.call_id).is_some(),
        Intent::Consult { customer_call_id, .. } => phase(customer_call_id).is_some(),
        Intent::CancelConsult { customer_call_id, .. }
        | Intent::CompleteConsult { customer_call_id }
        | Intent::Conference { customer_call_id } => {
            s.consult.as_ref().is_some_and(|c| c.customer_call_id == *customer_call_id)
        }
        _ => true,
    };
    if !fits {
        return Err(Refusal::NoSuchCall);
    }
    if call_of(intent).and_then(|id| s.call(id)).is_some_and(|c| c.settling_blocks(action)) {
        return Err(Refusal::NotAllowed);
    }
    // DTMF is queued behind the digit on its way (see `step`), never dropped.
    if !matches!(intent, Intent::Dtmf { .. }) && s.pending.contains(&key) {
        return Err(Refusal::InProgress);
    }
    // Answer and reject of one ring exclude each other while either is on its way.
    if let (Action::Answer | Action::Reject, Some(id)) = (action, call_of(intent)) {
        if s.is_pending(Action::Answer, id) || s.is_pending(Action::Reject, id) {
            return Err(Refusal::InProgress);
        }
    }
    Ok(())
}
