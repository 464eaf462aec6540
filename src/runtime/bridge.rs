//! The CCC bridge client: the browser never talks to CCC itself. The bridge (bridge/) holds
//! the AccessKey, authenticates the agent with an HttpOnly cookie, and signs each call.

use crate::adapter::aliyun::{self as ccc, CccCall};
use crate::core::{ErrorKind, GatewayError};
use crate::protocol::aliyun::{decode_envelope, Envelope};
use gloo_net::http::{Method, RequestBuilder};
use serde_json::{json, Value};
use std::rc::Rc;

#[derive(Clone)]
pub struct CccClient {
    base: Rc<str>,
}

/// Who the bridge says the agent is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CccIdentity {
    pub user_id: String,
    pub instance_id: String,
    pub display_name: String,
}

async fn post(url: &str, body: &Value) -> Result<(u16, String), GatewayError> {
    let response = RequestBuilder::new(url)
        .method(Method::POST)
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(body.to_string())
        .map_err(|e| GatewayError::transport(e.to_string()))?
        .send()
        .await
        .map_err(|e| GatewayError::transport(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| GatewayError::transport(e.to_string()))?;
    Ok((status, text))
}

fn envelope(status: u16, text: &str) -> Result<Envelope, GatewayError> {
    decode_envelope(text).map_err(|e| GatewayError {
        kind: ErrorKind::Unavailable,
        code: String::new(),
        message: format!("HTTP {status}: {e}"),
        retry_after_secs: None,
    })
}

impl CccClient {
    /// `base` is the bridge's origin ("" = this page's origin).
    pub fn new(base: &str) -> Self {
        CccClient { base: base.trim_end_matches('/').into() }
    }

    /// Password sign-in at the bridge (it sets an HttpOnly session cookie).
    pub async fn login(&self, username: &str, password: &str) -> Result<CccIdentity, GatewayError> {
        let url = format!("{}{}", self.base, ccc::LOGIN_PATH);
        let (status, text) = post(&url, &json!({ "username": username, "password": password })).await?;
        if status == 200 {
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            return Ok(CccIdentity {
                user_id: s("userId"),
                instance_id: s("instanceId"),
                display_name: s("displayName"),
            });
        }
        Err(ccc::error_of(&envelope(status, &text)?))
    }

    /// The agent of the bridge session this browser holds, if it is still valid.
    pub async fn session(&self) -> Option<CccIdentity> {
        let url = format!("{}{}", self.base, ccc::SESSION_PATH);
        let response = gloo_net::http::Request::get(&url).send().await.ok()?;
        if response.status() != 200 {
            return None;
        }
        let v: Value = serde_json::from_str(&response.text().await.ok()?).ok()?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        Some(CccIdentity {
            user_id: s("userId"),
            instance_id: s("instanceId"),
            display_name: s("displayName"),
        })
    }

    pub async fn logout(&self) {
        let url = format!("{}{}", self.base, ccc::LOGOUT_PATH);
        let _ = post(&url, &json!({})).await;
    }

    /// One CCC operation through the bridge; the envelope comes back as CCC sent it.
    pub async fn call(&self, call: &CccCall) -> Result<Envelope, GatewayError> {
        let url = format!("{}{}", self.base, call.path());
        let (status, text) = post(&url, &call.params).await?;
        let env = envelope(status, &text)?;
        if env.is_ok() {
            Ok(env)
        } else {
            Err(ccc::error_of(&env))
        }
    }
}
