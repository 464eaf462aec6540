//! The vendor-neutral, pure heart of the toolbar: events, the session model, the `step` state
//! machine, allowed actions and the poll policy. No leptos, no web-sys, no clock: time is
//! passed in, so every timer and backoff is deterministic in tests.

pub mod action;
pub mod actions;
pub mod cdr;
pub mod error;
pub mod event;
pub mod gate;
pub mod intent;
pub mod model;
pub mod poll;
pub mod reads;
pub mod share;
pub mod step;
pub mod transfer;
pub mod validate;
pub mod voice;

pub use action::{Action, AllowedActions};
pub use actions::allowed_actions;

/// Milliseconds on the caller's clock (the browser's `Date.now()`, or a test's counter).
pub type Millis = u64;
pub use error::{ErrorKind, GatewayError};
pub use event::{CallOffer, Event, Media};
pub use gate::Refusal;
pub use model::{AgentState, Call, CallPhase, Connection, Session};
pub use step::{step, Effect, Input, Intent};
