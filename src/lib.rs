//! agentbar: a call-center agent toolbar for the browser.
//!
//! `protocol`, `core`, `vendor`, `config` and `i18n` are plain Rust (no leptos, no web-sys), so
//! `cargo test` runs them on the host in milliseconds; `net` and `ui` are compiled for wasm32.

pub mod config;
pub mod core;
pub mod embed;
pub mod i18n;
pub mod keys;
pub mod protocol;
pub mod adapter;

#[cfg(target_arch = "wasm32")]
pub mod net;
#[cfg(target_arch = "wasm32")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
pub use ui::start;
