//! Gateway errors, classified so the state machine can react without knowing the vendor.

/// What a vendor error code means for the toolbar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The gateway no longer knows this session (stale Guid, signed out elsewhere).
    SessionLost,
    /// Authentication failed transiently (000-003): retry a few times, then give up.
    AuthRetry,
    /// Sign-in refused because the agent is signed in elsewhere: offer to take over.
    AlreadySignedIn,
    /// Sign-out refused because of the agent's state (in a call).
    SignOutRefused,
    /// The agent's state does not allow this change: re-read the state.
    WrongState,
    /// The call the request names does not exist (any more).
    NoCall,
    /// The request was invalid (parameters, number format).
    BadRequest,
    /// Wrong password or agent id.
    BadCredentials,
    /// The gateway is failing over or busy: try again later.
    Unavailable,
    /// No held call (an empty hold list, not a failure).
    NoHeldCall,
    Other,
}

/// A failed request: the classification plus the vendor's own code and text, which always
/// reach the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    pub kind: ErrorKind,
    pub code: String,
    pub message: String,
    /// How long the server asks to wait before trying again (a locked sign-in, throttling).
    pub retry_after_secs: Option<u64>,
}

impl GatewayError {
    /// A transport failure (network down, 5xx, unreadable body), with no vendor code.
    pub fn transport(message: impl Into<String>) -> GatewayError {
        GatewayError {
            kind: ErrorKind::Unavailable,
            code: String::new(),
            message: message.into(),
            retry_after_secs: None,
        }
    }
}
