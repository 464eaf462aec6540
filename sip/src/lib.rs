//! `agentbar-sip`: the pure core of a SIP-over-WebSocket user agent for the agentbar
//! softphone. The browser carries media in its own RTCPeerConnection; this crate does the
//! signalling: parsing and writing SIP messages (one per WebSocket text frame, RFC 7118),
//! digest authentication, registration and INVITE dialogs, as a state machine with time and
//! randomness passed in and no I/O (see [`ua`]). It builds for `wasm32-unknown-unknown` and
//! is kept small: no regex, no serde, no parser framework; MD5 is its only dependency.
//!
//! | module | what | RFCs |
//! |---|---|---|
//! | [`msg`] | frames ⇄ [`Message`]; writers for outgoing messages | 3261 §7, 7118 §5 |
//! | [`hdr`] | typed header values: Via, name-addr, CSeq, Digest challenge, URI parts | 3261 §20, §25 |
//! | [`digest`] | Authorization / Proxy-Authorization values | 2617, 7616 (MD5), 3261 §22 |
//! | [`sdp`] | media direction for hold/resume; `o=` version bump | 3264 §8, 4566 |
//! | [`ua`] | [`UserAgent`]: registration, calls, transactions, timers | 3261 §8–§17, 5626 (outbound) |
//! | [`rng`] | the seedable xorshift64* every tag, branch and Call-ID comes from | – |
//!
//! Each module's documentation says what it covers and what it leaves out.

pub mod digest;
pub mod hdr;
pub mod msg;
pub mod rng;
pub mod sdp;
pub mod ua;

pub use msg::{Message, Method, ParseError};
pub use rng::Rng;
pub use ua::{
    CallId, CallState, Command, Config, EndedBy, Event, Input, Output, Party, Reoffer, TimerId, UserAgent,
};
