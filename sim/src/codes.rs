//! Gateway result codes (`retcode`, reference §8) and the error value the model returns.

/// Readable message for a gateway retcode. The texts paraphrase the reference's table; the
/// real gateway's wording is not known.
pub fn message_for(code: &str) -> &'static str {
    match code {
        "0" => "success",
        "000-001" => "wrong method or event",
        "000-002" => "invalid parameter or URL",
        "000-003" => "no permission: authentication failed",
        "000-004" => "gateway is switching over",
        "000-006" => "message parameter error",
        "000-007" => "duplicate request",
        "100-001" => "sign-in parameters invalid",
        "100-002" => "agent already signed in",
        "100-003" => "CTI exception during sign-in",
        "100-004" => "wrong work number or password",
        "100-005" => "sign-out parameters invalid",
        "100-006" => "agent not signed in or session unknown",
        "100-007" => "internal error or operation not allowed now",
        "100-008" => "agent already signed out",
        "100-009" => "state change not permitted in the current agent state",
        "100-010" => "sign-out refused in the current agent state",
        "100-013" => "phone number invalid",
        "106-001" => "multimedia switch is off",
        "106-004" => "session transfer: devicetype invalid",
        // Listed by mediacall/transfer (seed 002); meanings not documented (reference §8).
        "106-005" => "session transfer failed (106-005, meaning not documented)",
        "106-006" => "session transfer failed (106-006, meaning not documented)",
        "106-009" => "session transfer failed (106-009, meaning not documented)",
        "106-010" => "session transfer failed (106-010, meaning not documented)",
        "106-012" => "session transfer failed (106-012, meaning not documented)",
        "200-001" => "callout number invalid",
        "200-002" => "no call to answer or reject",
        "200-003" => "mute: no call",
        "200-004" => "mute: wrong call state",
        "200-005" => "connect hold: no call",
        "200-006" => "connect hold: wrong call state",
        "200-007" => "unmute: no call",
        "200-008" => "unmute: wrong call state",
        "200-010" => "three-party: no call",
        "200-011" => "three-party: wrong call state",
        "200-012" => "transfer: no call",
        "200-013" => "hold: no call",
        "200-014" => "hold: wrong call state",
        "200-015" => "unhold: no held call",
        "200-016" => "unhold: wrong call state",
        "200-017" => "call does not exist",
        "200-018" => "consult: no call",
        // Listed by reject (seed 004); meanings not documented (reference §8).
        "200-037" => "reject failed (200-037, meaning not documented)",
        "200-038" => "reject failed (200-038, meaning not documented)",
        "200-039" => "reject failed (200-039, meaning not documented)",
        "300-001" => "no right to query this agent",
        "400-003" => "no held call",
        "600-005" => "skill query failed",
        _ => "error",
    }
}

/// A refused request: the retcode and a readable message for the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub code: String,
    pub message: String,
}

impl Fail {
    /// Failure with the code's standard message.
    pub fn code(code: &str) -> Fail {
        Fail { code: code.to_string(), message: message_for(code).to_string() }
    }

    /// Failure with the standard message plus a detail saying what exactly was wrong.
    pub fn detail(code: &str, detail: impl std::fmt::Display) -> Fail {
        Fail { code: code.to_string(), message: format!("{}: {detail}", message_for(code)) }
    }

    /// 000-002 with a detail: the most common refusal of bad input.
    pub fn bad_param(detail: impl std::fmt::Display) -> Fail {
        Fail::detail(BAD_PARAM, detail)
    }
}

pub const WRONG_METHOD: &str = "000-001";
pub const BAD_PARAM: &str = "000-002";
pub const ALREADY_SIGNED_IN: &str = "100-002";
pub const WRONG_PASSWORD: &str = "100-004";
pub const NOT_SIGNED_IN: &str = "100-006";
pub const INTERNAL: &str = "100-007";
pub const WRONG_STATE: &str = "100-009";
pub const LOGOUT_REFUSED: &str = "100-010";
pub const PHONE_INVALID: &str = "100-013";
pub const MEDIA_DEVICETYPE: &str = "106-004";
pub const CALLOUT_NUMBER: &str = "200-001";
pub const NO_RINGING_CALL: &str = "200-002";
pub const MUTE_NO_CALL: &str = "200-003";
pub const MUTE_WRONG_STATE: &str = "200-004";
pub const UNMUTE_NO_CALL: &str = "200-007";
pub const UNMUTE_WRONG_STATE: &str = "200-008";
pub const CONF_NO_CALL: &str = "200-010";
pub const CONF_WRONG_STATE: &str = "200-011";
pub const TRANSFER_NO_CALL: &str = "200-012";
pub const HOLD_NO_CALL: &str = "200-013";
pub const HOLD_WRONG_STATE: &str = "200-014";
pub const UNHOLD_NO_HELD: &str = "200-015";
pub const UNHOLD_WRONG_STATE: &str = "200-016";
pub const NO_SUCH_CALL: &str = "200-017";
pub const CONSULT_NO_CALL: &str = "200-018";
pub const NO_HELD_CALL: &str = "400-003";
