//! The embedding API for CRM pages (docs/EMBEDDING.md): a versioned postMessage envelope, the
//! handshake, commands from the host, and sequenced events with a bounded replay journal.
//! This module is pure; the browser glue lives in `ui::embed_io` (wasm only).

pub mod events;
pub mod protocol;

pub use events::{host_events, snapshot, Journal};
pub use protocol::{parse_command, Command, EmbedError, Envelope, VERSION};
