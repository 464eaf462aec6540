//! agentbar: a call-center agent toolbar for the browser.
//!
//! `protocol`, `core`, `adapter`, `embed`, `config`, `keys` and `i18n` are plain Rust (no leptos,
//! no web-sys), so `cargo test` runs them on the host in milliseconds. `runtime` (all I/O) and
//! `ui` (views only) are compiled for wasm32.

pub mod adapter;
pub mod config;
pub mod core;
pub mod embed;
pub mod i18n;
pub mod keys;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod runtime;
#[cfg(target_arch = "wasm32")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
pub use runtime::start;
