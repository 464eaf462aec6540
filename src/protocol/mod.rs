//! Wire types of the vendor protocols. Plain serde: no leptos, no web-sys.
//!
//! Decoding is lenient where vendors' documents and their own clients disagree (numbers sent
//! as strings, booleans as `"true"`, caller numbers with leading zeros), and every decode of
//! gateway input returns a `Result`: nothing here may panic on what a gateway sends.

#[cfg(feature = "aliyun")]
pub mod aliyun;
#[cfg(feature = "huawei")]
pub mod huawei;
pub mod lenient;

use std::fmt;

/// Why a gateway body could not be read. The toolbar logs it and carries on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON at all (an HTML error page from a proxy, a truncated body…).
    NotJson(String),
    /// JSON, but not the documented envelope.
    NotEnvelope(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotJson(e) => write!(f, "the gateway's answer is not JSON: {e}"),
            DecodeError::NotEnvelope(e) => {
                write!(f, "the gateway's answer has an unknown shape: {e}")
            }
        }
    }
}
