//! Mute and DTMF on the connected call.

use crate::codes::{self, Fail};
use crate::config::Media;
use crate::model::{emit, open_agent, CallState, Emit, Ms, Sim};
use crate::params;
use serde_json::json;

impl Sim {
    /// `POST voicecall/{id}/beginmute` (`on`) and `endmute`.
    pub fn mute(&mut self, workno: &str, on: bool, _now: Ms) -> Result<Vec<Emit>, Fail> {
        let (no_call, wrong_state, event) = if on {
            (codes::MUTE_NO_CALL, codes::MUTE_WRONG_STATE, self.cfg.knobs.begin_mute_event.clone())
        } else {
            (codes::UNMUTE_NO_CALL, codes::UNMUTE_WRONG_STATE, self.cfg.knobs.end_mute_event.clone())
        };
        let agent = open_agent(&mut self.agents, workno)?;
        let callid =
            agent.consult.clone().or_else(|| agent.current.clone()).ok_or_else(|| Fail::code(no_call))?;
        let connected = matches!(
            self.calls.get(&callid).map(|c| &c.state),
            Some(CallState::Talking | CallState::Conference { .. })
        );
        if !connected || agent.muted == on {
            return Err(Fail::code(wrong_state));
        }
        agent.muted = on;
        let mut out = Vec::new();
        if !event.is_empty() {
            emit(&mut out, workno, &event, json!(callid));
        }
        Ok(out)
    }

    /// `POST voicecall/{id}/seconddialex?number=`: DTMF digits on the connected call.
    pub fn second_dial(&mut self, workno: &str, number: Option<&str>) -> Result<(), Fail> {
        let number = number.unwrap_or("");
        if !params::is_dial_string(number) {
            return Err(Fail::bad_param("number must be 1-24 of 0-9 * #"));
        }
        let agent = open_agent(&mut self.agents, workno)?;
        let connected =
            agent.consult.as_ref().or(agent.current.as_ref()).and_then(|c| self.calls.get(c)).is_some_and(
                |c| {
                    matches!(c.state, CallState::Talking | CallState::Conference { .. })
                        && c.media == Media::Voice
                },
            );
        if !connected {
            return Err(Fail::detail(codes::INTERNAL, "no connected voice call"));
        }
        Ok(())
    }
}
