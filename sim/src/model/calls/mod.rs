//! Call control over the model: how a call is offered and answered, held, consulted,
//! transferred and ended, and the virtual far parties of callouts, consults and transfers.
//!
//! One file per concern, all `impl Sim`; the agent's slots (`ringing`, `current`, `held`,
//! `consult`, `suspended`) and the call's `CallState` are the shared language between them.

mod consult;
mod far;
mod hold;
mod mute_dtmf;
mod offer;
mod release;
mod transfer;

use super::{emit, Call, CallKind, Emit, Sim};
use serde_json::{json, Value};

pub use offer::OfferRequest;
pub use transfer::{transfer_mode_allowed, TransferKind};

fn talking_content(call: &Call, ctype: &str) -> Value {
    json!({
        "caller": call.caller,
        "called": call.called,
        "callid": call.id,
        "type": ctype,
        "feature": call.feature,
        "mediaAbility": call.media.ability(),
    })
}

impl Sim {
    fn call_type(&self, call: &Call) -> String {
        match call.kind {
            CallKind::Consult { .. } => self.cfg.knobs.consult_call_type.clone(),
            _ => "main".to_string(),
        }
    }

    fn talking_event(&self, callid: &str, out: &mut Vec<Emit>) {
        if let Some(call) = self.calls.get(callid) {
            if let Some(agent) = &call.agent {
                emit(out, agent, "AgentEvent_Talking", talking_content(call, &self.call_type(call)));
            }
        }
    }
}
