//! Agent authentication: the agents file, the pluggable [`Authenticator`] trait with its two
//! implementations (password + signed cookie, trusted SSO header) and the stateless session
//! cookie.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::signer::Secret;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "agentbar_ccc";

/// One agent from the agents file.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Login name (what the agent types, or what the SSO proxy puts in the trusted header).
    pub username: String,
    /// Argon2 PHC string. Optional in header mode.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// CCC UserId, e.g. `agent101@ccc-demo`.
    pub user_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("username", &self.username)
            .field("user_id", &self.user_id)
            .field("display_name", &self.display_name)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The agent directory (loaded once at start).
#[derive(Clone, Debug, Default)]
pub struct Agents {
    by_username: HashMap<String, Agent>,
    by_user_id: HashMap<String, String>,
}

#[derive(Deserialize)]
struct AgentsToml {
    #[serde(default, alias = "agent")]
    agents: Vec<Agent>,
}

impl Agents {
    pub fn new(list: Vec<Agent>) -> Result<Self, String> {
        let mut a = Agents::default();
        for agent in list {
            if agent.username.is_empty() || agent.user_id.is_empty() {
                return Err("agents file: username and userId must not be empty".into());
            }
            if agent.user_id.contains('|') {
                return Err(format!("agents file: userId {:?} must not contain '|'", agent.user_id));
            }
            if let Some(h) = &agent.password_hash {
                PasswordHash::new(h)
                    .map_err(|e| format!("agents file: bad passwordHash for {:?}: {e}", agent.username))?;
            }
            if a.by_user_id.insert(agent.user_id.clone(), agent.username.clone()).is_some() {
                return Err(format!("agents file: duplicate userId {:?}", agent.user_id));
            }
            if a.by_username.insert(agent.username.clone(), agent).is_some() {
                return Err("agents file: duplicate username".into());
            }
        }
        Ok(a)
    }

    /// Parse a JSON array (`[{username, passwordHash, userId, displayName}]`) or a TOML file
    /// with `[[agents]]` tables.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim_start();
        let list: Vec<Agent> = if trimmed.starts_with('[') && !trimmed.starts_with("[[") {
            serde_json::from_str(text).map_err(|e| format!("agents file (JSON): {e}"))?
        } else if trimmed.starts_with('{') {
            #[derive(Deserialize)]
            struct Wrapped {
                agents: Vec<Agent>,
            }
            serde_json::from_str::<Wrapped>(text).map_err(|e| format!("agents file (JSON): {e}"))?.agents
        } else {
            toml::from_str::<AgentsToml>(text).map_err(|e| format!("agents file (TOML): {e}"))?.agents
        };
        Agents::new(list)
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Agents::parse(&text)
    }

    pub fn by_username(&self, username: &str) -> Option<&Agent> {
        self.by_username.get(username)
    }

    pub fn by_user_id(&self, user_id: &str) -> Option<&Agent> {
        self.by_user_id.get(user_id).and_then(|u| self.by_username.get(u))
    }

    pub fn len(&self) -> usize {
        self.by_username.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_username.is_empty()
    }
}

/// An authenticated agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub instance_id: String,
    pub display_name: String,
}

impl Identity {
    fn from_agent(agent: &Agent, instance_id: &str) -> Self {
        Identity {
            user_id: agent.user_id.clone(),
            instance_id: instance_id.to_string(),
            display_name: agent.display_name.clone().unwrap_or_else(|| agent.username.clone()),
        }
    }
}

/// Why authentication failed (mapped to HTTP responses by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// Wrong username/password.
    BadCredentials,
    /// No (valid) session.
    NoSession,
    /// Login is not how this mode works.
    NotSupported,
}

/// Pluggable agent authentication.
pub trait Authenticator: Send + Sync {
    /// Short mode name for logs (`password`, `header`).
    fn mode(&self) -> &'static str;
    /// Check a username/password (password mode). Blocking (Argon2); call off the runtime.
    fn login(&self, username: &str, password: &str) -> Result<Identity, AuthError>;
    /// Who sent this request? (cookie or trusted header)
    fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, AuthError>;
    /// Whether a successful login should set a session cookie.
    fn issues_cookies(&self) -> bool;
}

/// Password mode: agents file with Argon2 hashes + stateless HMAC-signed cookies.
pub struct PasswordAuth {
    agents: Agents,
    instance_id: String,
    cookies: CookieSigner,
    /// Hash verified for unknown usernames, so timing does not reveal which usernames exist.
    dummy_hash: std::sync::OnceLock<String>,
}

impl PasswordAuth {
    pub fn new(agents: Agents, instance_id: String, cookies: CookieSigner) -> Self {
        PasswordAuth { agents, instance_id, cookies, dummy_hash: std::sync::OnceLock::new() }
    }

    fn burn_time(&self, password: &str) {
        let hash =
            self.dummy_hash.get_or_init(|| hash_password("agentbar-timing-equaliser").unwrap_or_default());
        let _ = verify_password(hash, password);
    }

    pub fn cookies(&self) -> &CookieSigner {
        &self.cookies
    }
}

impl Authenticator for PasswordAuth {
    fn mode(&self) -> &'static str {
        "password"
    }

    fn login(&self, username: &str, password: &str) -> Result<Identity, AuthError> {
        match self.agents.by_username(username) {
            Some(agent) => {
                let Some(hash) = agent.password_hash.as_deref() else {
                    self.burn_time(password);
                    return Err(AuthError::BadCredentials);
                };
                if verify_password(hash, password) {
                    Ok(Identity::from_agent(agent, &self.instance_id))
                } else {
                    Err(AuthError::BadCredentials)
                }
            }
            None => {
                self.burn_time(password);
                Err(AuthError::BadCredentials)
            }
        }
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, AuthError> {
        let token = cookie_value(headers, COOKIE_NAME).ok_or(AuthError::NoSession)?;
        let claims = self.cookies.verify(&token, now_secs()).ok_or(AuthError::NoSession)?;
        if claims.instance_id != self.instance_id {
            return Err(AuthError::NoSession);
        }
        // The agent must still exist (removing it from the file revokes its sessions).
        let agent = self.agents.by_user_id(&claims.user_id).ok_or(AuthError::NoSession)?;
        Ok(Identity::from_agent(agent, &self.instance_id))
    }

    fn issues_cookies(&self) -> bool {
        true
    }
}

/// Trusted-header mode: an SSO proxy in front of the bridge authenticates the agent and puts
/// the login name in a header. The bridge must only be reachable through that proxy.
pub struct HeaderAuth {
    agents: Agents,
    instance_id: String,
    header: axum::http::HeaderName,
}

impl HeaderAuth {
    pub fn new(agents: Agents, instance_id: String, header: &str) -> Result<Self, String> {
        let header = axum::http::HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| format!("invalid header name {header:?}"))?;
        Ok(HeaderAuth { agents, instance_id, header })
    }
}

impl Authenticator for HeaderAuth {
    fn mode(&self) -> &'static str {
        "header"
    }

    fn login(&self, _username: &str, _password: &str) -> Result<Identity, AuthError> {
        Err(AuthError::NotSupported)
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, AuthError> {
        let mut values = headers.get_all(&self.header).iter();
        let value = values.next().ok_or(AuthError::NoSession)?;
        if values.next().is_some() {
            return Err(AuthError::NoSession); // ambiguous: refuse
        }
        let name = value.to_str().map_err(|_| AuthError::NoSession)?.trim();
        let agent = self.agents.by_username(name).ok_or(AuthError::NoSession)?;
        Ok(Identity::from_agent(agent, &self.instance_id))
    }

    fn issues_cookies(&self) -> bool {
        false
    }
}

/// Claims carried by the session cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub user_id: String,
    pub instance_id: String,
    /// Unix seconds.
    pub expires: u64,
}

/// Issues and verifies `base64url(userId|instanceId|expiry).base64url(HMAC-SHA256)` tokens.
#[derive(Clone)]
pub struct CookieSigner {
    key: Secret,
    pub ttl_secs: u64,
    pub secure: bool,
}

impl fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieSigner")
            .field("key", &"<redacted>")
            .field("ttl_secs", &self.ttl_secs)
            .field("secure", &self.secure)
            .finish()
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

impl CookieSigner {
    pub fn new(key: Secret, ttl_secs: u64, secure: bool) -> Self {
        CookieSigner { key, ttl_secs, secure }
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose().as_bytes()).expect("any key length");
        mac.update(b"agentbar-bridge/session/v1\n");
        mac.update(payload);
        mac
    }

    pub fn issue(&self, user_id: &str, instance_id: &str, now: u64) -> String {
        let payload = format!("{user_id}|{instance_id}|{}", now + self.ttl_secs);
        let tag = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{}.{}", B64.encode(payload.as_bytes()), B64.encode(tag))
    }

    /// Verify the MAC (constant time) and the expiry.
    pub fn verify(&self, token: &str, now: u64) -> Option<Claims> {
        let (p, t) = token.split_once('.')?;
        let payload = B64.decode(p).ok()?;
        let tag = B64.decode(t).ok()?;
        self.mac(&payload).verify_slice(&tag).ok()?; // constant-time compare
        let text = String::from_utf8(payload).ok()?;
        let mut parts = text.split('|');
        let (user_id, instance_id, expires) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let expires: u64 = expires.parse().ok()?;
        if expires <= now {
            return None;
        }
        Some(Claims { user_id: user_id.to_string(), instance_id: instance_id.to_string(), expires })
    }

    /// `Set-Cookie` value for a fresh session.
    pub fn set_cookie(&self, token: &str) -> String {
        format!(
            "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/ccc; Max-Age={}{}",
            self.ttl_secs,
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` value that deletes the session cookie.
    pub fn clear_cookie(&self) -> String {
        clear_cookie(self.secure)
    }
}

/// `Set-Cookie` value that deletes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/ccc; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` from the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    for value in headers.get_all(axum::http::header::COOKIE) {
        let Ok(s) = value.to_str() else { continue };
        for pair in s.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                if k == name {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Argon2id PHC hash with the crate's default parameters (what `hash-password` prints).
pub fn hash_password(password: &str) -> Result<String, String> {
    hash_password_with(password, Argon2::default())
}

/// Argon2 PHC hash with explicit parameters (tests use cheap ones).
pub fn hash_password_with(password: &str, argon: Argon2<'_>) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon.hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Verify a password against a PHC string (parameters are read from the string).
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_roundtrip_and_tamper() {
        let s = CookieSigner::new(Secret::new("k".repeat(32)), 60, false);
        let t = s.issue("agent101@ccc-demo", "ccc-demo", 1000);
        let c = s.verify(&t, 1000).unwrap();
        assert_eq!(c.user_id, "agent101@ccc-demo");
        assert_eq!(c.expires, 1060);
        assert!(s.verify(&t, 1060).is_none(), "expired");
        let (p, tag) = t.split_once('.').unwrap();
        let forged = B64.encode(b"agent102@ccc-demo|ccc-demo|1060");
        assert!(s.verify(&format!("{forged}.{tag}"), 1000).is_none());
        assert!(s.verify(&format!("{p}.{}", B64.encode([0u8; 32])), 1000).is_none());
        let other = CookieSigner::new(Secret::new("x".repeat(32)), 60, false);
        assert!(other.verify(&t, 1000).is_none());
    }

    #[test]
    fn parses_toml_and_json_agents() {
        let toml = r#"
[[agents]]
username = "a"
userId = "a@i"
displayName = "A"
"#;
        let a = Agents::parse(toml).unwrap();
        assert_eq!(a.by_username("a").unwrap().user_id, "a@i");
        let json = r#"[{"username":"b","userId":"b@i"}]"#;
        let b = Agents::parse(json).unwrap();
        assert_eq!(b.by_user_id("b@i").unwrap().username, "b");
    }
}
