//! The CC-Gateway client: fetch with the Guid header, rotated from every `Set-GUID`. Decisions
//! (what to send, when to retry) come from `adapter` and `core`.

use crate::adapter::huawei::{self as hw, guid_from_header};
use crate::adapter::{HttpRequest, Method};
use crate::core::GatewayError;
use crate::protocol::huawei::{decode_envelope, Envelope};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::AbortSignal;

/// Why a request produced no envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// Cancelled by us (sign-out, unmount, a newer poll).
    Aborted,
    /// Network down, 5xx, or a body that is not the gateway's envelope.
    Transport(String),
}

impl NetError {
    pub fn into_gateway_error(self) -> GatewayError {
        match self {
            NetError::Aborted => GatewayError::transport("cancelled"),
            NetError::Transport(m) => GatewayError::transport(m),
        }
    }
}

/// A CC-Gateway client. Cheap to clone; clones share the Guid.
#[derive(Clone)]
pub struct GatewayClient {
    base: Rc<str>,
    guid: Rc<RefCell<Option<String>>>,
}

impl GatewayClient {
    /// `base` is the gateway's origin ("" = this page's origin, through the reverse proxy).
    pub fn new(base: &str) -> Self {
        GatewayClient { base: base.trim_end_matches('/').into(), guid: Rc::new(RefCell::new(None)) }
    }

    pub fn forget_guid(&self) {
        self.guid.borrow_mut().take();
    }

    pub fn guid(&self) -> Option<String> {
        self.guid.borrow().clone()
    }

    pub fn set_guid(&self, guid: String) {
        *self.guid.borrow_mut() = Some(guid);
    }

    pub fn url(&self, req: &HttpRequest) -> String {
        format!("{}{}{}", self.base, hw::BASE_PATH, req.path)
    }

    /// Sends one request. Every response that carries `Set-GUID` rotates the Guid, so the
    /// next request (whichever it is) uses the newest one.
    pub async fn send(&self, req: &HttpRequest, signal: Option<&AbortSignal>) -> Result<Envelope, NetError> {
        use gloo_net::http::{Method as M, RequestBuilder};
        let method = match req.method {
            Method::Get => M::GET,
            Method::Put => M::PUT,
            Method::Post => M::POST,
            Method::Delete => M::DELETE,
        };
        let mut builder = RequestBuilder::new(&self.url(req))
            .method(method)
            .header("Content-Type", "application/json; charset=UTF-8")
            .abort_signal(signal);
        if let Some(guid) = self.guid.borrow().as_deref() {
            builder = builder.header("Guid", guid);
        }
        let request = match &req.body {
            Some(body) => builder.body(body.to_string()),
            None => builder.build(),
        }
        .map_err(|e| NetError::Transport(e.to_string()))?;
        let response = request.send().await.map_err(|e| {
            if signal.is_some_and(|s| s.aborted()) {
                NetError::Aborted
            } else {
                NetError::Transport(e.to_string())
            }
        })?;
        if let Some(guid) = response.headers().get("Set-GUID").as_deref().and_then(guid_from_header) {
            *self.guid.borrow_mut() = Some(guid);
        }
        let status = response.status();
        let text = response.text().await.map_err(|e| {
            if signal.is_some_and(|s| s.aborted()) {
                NetError::Aborted
            } else {
                NetError::Transport(e.to_string())
            }
        })?;
        match decode_envelope(&text) {
            Ok(envelope) => Ok(envelope),
            Err(_) if status >= 500 => Err(NetError::Transport(format!("HTTP {status}"))),
            Err(e) => Err(NetError::Transport(format!("HTTP {status}: {e}"))),
        }
    }

    /// Sends a request and turns a non-zero retcode into a classified error.
    pub async fn call(&self, req: &HttpRequest) -> Result<serde_json::Value, GatewayError> {
        let envelope = self.send(req, None).await.map_err(NetError::into_gateway_error)?;
        if envelope.is_ok() {
            Ok(envelope.result)
        } else {
            Err(hw::error_of(&envelope))
        }
    }
}
