//! The browser console: unknown events and unreadable bodies are skipped, not fatal, but
//! someone debugging a gateway needs to see them.

pub fn warn(msg: &str) {
    web_sys::console::warn_1(&msg.into());
}
