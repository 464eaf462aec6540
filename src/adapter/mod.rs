//! One module per gateway dialect: intents become requests, vendor answers become neutral
//! events and errors. Pure: the `net` layer does the I/O.

#[cfg(feature = "aliyun")]
pub mod aliyun;
#[cfg(feature = "aliyun")]
pub mod aliyun_push;
#[cfg(feature = "huawei")]
pub mod huawei;

/// An HTTP request a vendor wants sent, before any I/O.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    /// The path under the gateway's base URL, already percent-safe.
    pub path: String,
    pub body: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// Percent-encodes one path segment or query value (ids and numbers come from agents and
/// gateways; neither may break the URL).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
