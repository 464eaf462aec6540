//! What every layer in front of the model knows about one vendor request: which dialect it
//! speaks, the agent a Huawei path names, the fault it hit and how its body is logged.
//!
//! Fault injection (`fault`) runs before either dialect and both dialects (`vendor`, `ccc`) log
//! what the fault layer marked, so these pieces live here, below all three: the layers depend on
//! this module and on the model, never on each other.

use crate::model::{Fault, FaultKind};
use crate::params;
use axum::extract::Request;
use axum::http::Method;
use serde_json::Value;

/// Root of the Huawei CC-Gateway agent API.
pub const HUAWEI_PREFIX: &str = "/agentgateway/resource/";

/// Is this path in the Huawei dialect?
pub fn is_huawei(path: &str) -> bool {
    path.starts_with(HUAWEI_PREFIX)
}

/// Is this request for the CCC dialect? A request to `/` is CCC when it carries `Action`
/// (query) or an `x-acs-action` header, or is a POST (the form body may carry `Action`);
/// everything else at `/` goes on to the static files.
pub fn is_ccc(req: &Request) -> bool {
    if req.uri().path() != "/" {
        return false;
    }
    let has_action = params::query_pairs(req.uri().query().unwrap_or("")).iter().any(|(k, _)| k == "Action");
    has_action || req.headers().contains_key("x-acs-action") || req.method() == Method::POST
}

/// The `{agentid}` segment of a Huawei vendor path.
pub fn path_agent(path: &str) -> Option<String> {
    let rest = path.strip_prefix(HUAWEI_PREFIX)?;
    rest.split('/').filter(|s| !s.is_empty()).nth(1).map(params::percent_decode)
}

/// Request extension: the fault this request hit, for the handler's `/sim/requests` entry.
#[derive(Debug, Clone, Copy)]
pub struct FaultTag(pub FaultKind);

/// Request extension: a `retcode` / `cccError` fault hit this request; the dialect handler logs
/// the request and answers this fault's error instead of processing it.
#[derive(Debug, Clone)]
pub struct ForcedError(pub Fault);

/// The `/sim/requests` text of a body: null when empty, JSON when it parses, else the text.
pub fn body_value(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}
