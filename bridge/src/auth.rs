//! Agent authentication: the agents file, the pluggable [`Authenticator`] trait with its two
//! implementations (password + signed cookie, trusted SSO header) and the stateless session
//! cookie.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::signer::Secret;

/// Name of the session cookie (see `COOKIE_ATTRIBUTES` for the `__Host-` prefix).
pub const COOKIE_NAME: &str = "__Host-agentbar_ccc";

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

/// The agents of one version of the agents file.
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

    /// Some agent's password hash: unknown names are checked against it, to cost the same.
    pub fn any_password_hash(&self) -> Option<&str> {
        self.by_username.values().find_map(|a| a.password_hash.as_deref())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Agent> {
        self.by_username.values()
    }

    pub fn len(&self) -> usize {
        self.by_username.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_username.is_empty()
    }
}

/// The agent directory as it stands now, re-read when the agents file changes.
///
/// The file's modification time and size are looked at before each request is authenticated
/// (one `stat`), so an edit takes effect at once: removed agents and agents whose password
/// (or login name) changed lose their sessions. A file that no longer parses is ignored and the
/// previous list kept, with a log line.
pub struct AgentDirectory {
    current: RwLock<Arc<Agents>>,
    file: Option<PathBuf>,
    stamp: Mutex<Option<(SystemTime, u64)>>,
}

fn stamp_of(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl AgentDirectory {
    /// `file`: where `agents` came from, to watch for changes (`None`: built in, never changes).
    pub fn new(agents: Agents, file: Option<PathBuf>) -> Self {
        let stamp = file.as_deref().and_then(stamp_of);
        AgentDirectory { current: RwLock::new(Arc::new(agents)), file, stamp: Mutex::new(stamp) }
    }

    pub fn get(&self) -> Arc<Agents> {
        self.current.read().map(|a| a.clone()).unwrap_or_default()
    }

    /// Re-read the file if it changed. `Ok`: the UserIds whose sessions must end (empty when
    /// nothing changed); `Err`: the file changed but could not be used (the old list stays).
    pub fn refresh(&self) -> Result<Vec<String>, String> {
        let Some(path) = &self.file else { return Ok(Vec::new()) };
        // Another request is already re-reading it.
        let Ok(mut stamp) = self.stamp.try_lock() else { return Ok(Vec::new()) };
        let now = stamp_of(path);
        if now == *stamp {
            return Ok(Vec::new());
        }
        *stamp = now;
        let fresh = Agents::load(path).and_then(|a| {
            if a.is_empty() {
                Err("the agents file lists no agents".into())
            } else {
                Ok(a)
            }
        })?;
        let old = self.get();
        let revoked = old
            .by_username
            .values()
            .filter(|was| {
                fresh
                    .by_user_id(&was.user_id)
                    .is_none_or(|now| now.username != was.username || now.password_hash != was.password_hash)
            })
            .map(|a| a.user_id.clone())
            .collect();
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(fresh);
        }
        Ok(revoked)
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

/// Who a request comes from, and (cookie sessions) when its session was issued, which the
/// server compares with the agent's session epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub identity: Identity,
    /// Unix ms; `None` for sessions that are not cookies (trusted-header mode).
    pub issued_ms: Option<u64>,
}

/// Why authentication failed (mapped to HTTP responses by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// Wrong username/password.
    BadCredentials,
    /// No (valid) session.
    NoSession,
    /// Header mode: the request lacks the proxy's shared secret.
    NotFromProxy,
    /// Login is not how this mode works.
    NotSupported,
}

/// Pluggable agent authentication.
pub trait Authenticator: Send + Sync {
    /// Short mode name for logs (`password`, `header`).
    fn mode(&self) -> &'static str;
    /// Check a username/password (password mode). Blocking (Argon2); call off the runtime,
    /// behind the server's Argon2 gate.
    fn login(&self, username: &str, password: &str) -> Result<Identity, AuthError>;
    /// Who sent this request? (cookie or trusted header)
    fn authenticate(&self, headers: &HeaderMap) -> Result<Session, AuthError>;
    /// Whether a successful login sets a session cookie.
    fn issues_cookies(&self) -> bool;
    /// The `Set-Cookie` value of a new session for `id`, issued at `issued_ms`.
    fn issue_cookie(&self, id: &Identity, issued_ms: u64) -> Option<String>;
}

/// Password mode: agents file with Argon2 hashes + stateless HMAC-signed cookies.
pub struct PasswordAuth {
    agents: Arc<AgentDirectory>,
    instance_id: String,
    cookies: CookieSigner,
}

impl PasswordAuth {
    pub fn new(agents: Arc<AgentDirectory>, instance_id: String, cookies: CookieSigner) -> Self {
        PasswordAuth { agents, instance_id, cookies }
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
        let agents = self.agents.get();
        let agent = agents.by_username(username);
        match agent.and_then(|a| a.password_hash.as_deref().map(|h| (a, h))) {
            Some((agent, hash)) if verify_password(hash, password) => {
                Ok(Identity::from_agent(agent, &self.instance_id))
            }
            Some(_) => Err(AuthError::BadCredentials),
            None => {
                // Unknown name: verify against a real agent's hash anyway (and ignore the
                // result), so this costs what a known name costs, with the same parameters.
                if let Some(hash) = agents.any_password_hash() {
                    let _ = verify_password(hash, password);
                }
                Err(AuthError::BadCredentials)
            }
        }
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<Session, AuthError> {
        let token = cookie_value(headers, COOKIE_NAME).ok_or(AuthError::NoSession)?;
        let claims = self.cookies.verify(&token, now_ms()).ok_or(AuthError::NoSession)?;
        if claims.instance_id != self.instance_id {
            return Err(AuthError::NoSession);
        }
        // The agent must still exist, with the password the session was opened with.
        let agents = self.agents.get();
        let agent = agents.by_user_id(&claims.user_id).ok_or(AuthError::NoSession)?;
        let credential = self.cookies.credential(agent);
        if !bool::from(credential.as_bytes().ct_eq(claims.credential.as_bytes())) {
            return Err(AuthError::NoSession);
        }
        Ok(Session {
            identity: Identity::from_agent(agent, &self.instance_id),
            issued_ms: Some(claims.issued_ms),
        })
    }

    fn issues_cookies(&self) -> bool {
        true
    }

    fn issue_cookie(&self, id: &Identity, issued_ms: u64) -> Option<String> {
        let agents = self.agents.get();
        let agent = agents.by_user_id(&id.user_id)?;
        Some(self.cookies.set_cookie(&self.cookies.issue(agent, &id.instance_id, issued_ms)))
    }
}

/// Trusted-header mode: an SSO proxy in front of the bridge authenticates the agent and puts
/// the login name in a header. Because anything that reaches the bridge could set that header,
/// the proxy must also send a shared secret in a second header.
pub struct HeaderAuth {
    agents: Arc<AgentDirectory>,
    instance_id: String,
    header: HeaderName,
    secret_header: HeaderName,
    secret: Secret,
}

impl HeaderAuth {
    pub fn new(
        agents: Arc<AgentDirectory>,
        instance_id: String,
        header: &str,
        secret_header: &str,
        secret: Secret,
    ) -> Result<Self, String> {
        let name =
            |h: &str| HeaderName::from_bytes(h.as_bytes()).map_err(|_| format!("invalid header name {h:?}"));
        let (header, secret_header) = (name(header)?, name(secret_header)?);
        if header == secret_header {
            return Err("the user header and the proxy secret header must differ".into());
        }
        if secret.expose().len() < 16 {
            return Err("the proxy secret must be at least 16 bytes".into());
        }
        Ok(HeaderAuth { agents, instance_id, header, secret_header, secret })
    }
}

/// The one value of `name`; `None` when absent or repeated (ambiguous: refuse).
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a HeaderValue> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    values.next().is_none().then_some(value)
}

impl Authenticator for HeaderAuth {
    fn mode(&self) -> &'static str {
        "header"
    }

    fn login(&self, _username: &str, _password: &str) -> Result<Identity, AuthError> {
        Err(AuthError::NotSupported)
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<Session, AuthError> {
        let secret = single(headers, &self.secret_header).ok_or(AuthError::NotFromProxy)?;
        if !bool::from(secret.as_bytes().ct_eq(self.secret.expose().as_bytes())) {
            return Err(AuthError::NotFromProxy);
        }
        let value = single(headers, &self.header).ok_or(AuthError::NoSession)?;
        let name = value.to_str().map_err(|_| AuthError::NoSession)?.trim();
        let agents = self.agents.get();
        let agent = agents.by_username(name).ok_or(AuthError::NoSession)?;
        Ok(Session { identity: Identity::from_agent(agent, &self.instance_id), issued_ms: None })
    }

    fn issues_cookies(&self) -> bool {
        false
    }

    fn issue_cookie(&self, _id: &Identity, _issued_ms: u64) -> Option<String> {
        None
    }
}

/// Claims carried by the session cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub user_id: String,
    pub instance_id: String,
    /// Unix ms: the session epoch the cookie belongs to.
    pub issued_ms: u64,
    /// Unix seconds.
    pub expires: u64,
    /// Fingerprint of the agent's password hash when the session was opened.
    pub credential: String,
}

/// Issues and verifies session tokens:
/// `base64url(userId|instanceId|issuedMs|expiry|credential) . base64url(HMAC-SHA256)`.
#[derive(Clone)]
pub struct CookieSigner {
    key: Secret,
    pub ttl_secs: u64,
}

impl fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieSigner").field("key", &"<redacted>").field("ttl_secs", &self.ttl_secs).finish()
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How far ahead of this machine's clock a cookie's issue time may be (another instance's clock).
const CLOCK_SKEW_MS: u64 = 60_000;

impl CookieSigner {
    pub fn new(key: Secret, ttl_secs: u64) -> Self {
        CookieSigner { key, ttl_secs }
    }

    fn mac(&self, domain: &[u8], payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose().as_bytes()).expect("any key length");
        mac.update(domain);
        mac.update(payload);
        mac
    }

    /// A keyed fingerprint of the agent's password hash (and login name): a password change
    /// ends the agent's sessions on every instance, across restarts, with no shared store.
    pub fn credential(&self, agent: &Agent) -> String {
        let mut material = agent.username.clone();
        material.push('\n');
        material.push_str(agent.password_hash.as_deref().unwrap_or(""));
        let tag = self.mac(b"agentbar-bridge/credential/v1\n", material.as_bytes()).finalize().into_bytes();
        B64.encode(&tag[..12])
    }

    pub fn issue(&self, agent: &Agent, instance_id: &str, issued_ms: u64) -> String {
        let expires = issued_ms / 1000 + self.ttl_secs;
        let payload =
            format!("{}|{instance_id}|{issued_ms}|{expires}|{}", agent.user_id, self.credential(agent));
        let tag = self.mac(b"agentbar-bridge/session/v2\n", payload.as_bytes()).finalize().into_bytes();
        format!("{}.{}", B64.encode(payload.as_bytes()), B64.encode(tag))
    }

    /// Verify the MAC (constant time) and the times: not expired, not issued in the future,
    /// and never valid longer than the configured lifetime, whatever expiry it claims.
    pub fn verify(&self, token: &str, now_ms: u64) -> Option<Claims> {
        let (p, t) = token.split_once('.')?;
        let payload = B64.decode(p).ok()?;
        let tag = B64.decode(t).ok()?;
        self.mac(b"agentbar-bridge/session/v2\n", &payload).verify_slice(&tag).ok()?; // constant-time compare
        let text = String::from_utf8(payload).ok()?;
        let parts: Vec<&str> = text.split('|').collect();
        let [user_id, instance_id, issued_ms, expires, credential] = parts[..] else { return None };
        let issued_ms: u64 = issued_ms.parse().ok()?;
        let expires: u64 = expires.parse().ok()?;
        let now_s = now_ms / 1000;
        if issued_ms > now_ms + CLOCK_SKEW_MS
            || expires <= now_s
            || expires > issued_ms / 1000 + self.ttl_secs
        {
            return None;
        }
        Some(Claims {
            user_id: user_id.to_string(),
            instance_id: instance_id.to_string(),
            issued_ms,
            expires,
            credential: credential.to_string(),
        })
    }

    /// `Set-Cookie` value for a fresh session.
    pub fn set_cookie(&self, token: &str) -> String {
        format!("{COOKIE_NAME}={token}; {COOKIE_ATTRIBUTES}; Max-Age={}", self.ttl_secs)
    }
}

/// Always `Secure`, and `__Host-` requires it, `Path=/` and no `Domain`: no sibling subdomain
/// and no plain-http page can plant or overwrite the cookie. Browsers treat
/// `http://127.0.0.1` and `http://localhost` as secure, so local development still works.
const COOKIE_ATTRIBUTES: &str = "Path=/; Secure; HttpOnly; SameSite=Strict";

/// `Set-Cookie` value that deletes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; {COOKIE_ATTRIBUTES}; Max-Age=0")
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
    now_ms() / 1000
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
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

thread_local! {
    /// Argon2's working memory (~19 MiB with the default parameters), kept per thread. A fresh
    /// allocation per login makes glibc raise its mmap threshold and keep the freed blocks:
    /// measured, RSS grew by one block per login up to ~280 MiB. Logins run on a fixed set of
    /// threads (`server::ArgonPool`), so this is one block per core, allocated once.
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Verify a password against a PHC string (algorithm, version and parameters are read from it),
/// in this thread's reused Argon2 memory. The comparison is constant-time.
pub fn verify_password(phc: &str, password: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let Ok(version) = hash.version.map(Version::try_from).transpose() else { return false };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version.unwrap_or_default(), params);
    let mut out = vec![0u8; expected.len()];
    let hashed = ARGON2_MEMORY.with(|memory| {
        let Ok(mut memory) = memory.try_borrow_mut() else { return false };
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks])
            .is_ok()
    });
    hashed && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(user: &str, hash: &str) -> Agent {
        Agent {
            username: user.split('@').next().unwrap().to_string(),
            password_hash: Some(hash.to_string()),
            user_id: user.to_string(),
            display_name: None,
        }
    }

    #[test]
    fn cookie_roundtrip_and_tamper() {
        let s = CookieSigner::new(Secret::new("k".repeat(32)), 60);
        let a = agent("agent101@ccc-demo", "$argon2id$one");
        let t = s.issue(&a, "ccc-demo", 1_000_000);
        let c = s.verify(&t, 1_000_000).unwrap();
        assert_eq!(c.user_id, "agent101@ccc-demo");
        assert_eq!((c.issued_ms, c.expires), (1_000_000, 1060));
        assert_eq!(c.credential, s.credential(&a));
        assert_ne!(c.credential, s.credential(&agent("agent101@ccc-demo", "$argon2id$two")));
        assert!(s.verify(&t, 1_060_000).is_none(), "expired");
        let (p, tag) = t.split_once('.').unwrap();
        let text = String::from_utf8(B64.decode(p).unwrap()).unwrap();
        let forged = B64.encode(text.replace("agent101", "agent102"));
        assert!(s.verify(&format!("{forged}.{tag}"), 1_000_000).is_none());
        assert!(s.verify(&format!("{p}.{}", B64.encode([0u8; 32])), 1_000_000).is_none());
        let other = CookieSigner::new(Secret::new("x".repeat(32)), 60);
        assert!(other.verify(&t, 1_000_000).is_none());
    }

    #[test]
    fn verifies_with_reused_memory_like_the_crate() {
        use argon2::password_hash::PasswordVerifier;
        let cheap = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(256, 1, 1, None).unwrap());
        let bigger =
            Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::new(1024, 2, 2, Some(16)).unwrap());
        for argon in [cheap, bigger] {
            let phc = hash_password_with("right", argon.clone()).unwrap();
            let parsed = PasswordHash::new(&phc).unwrap();
            for pw in ["right", "wrong", ""] {
                assert_eq!(
                    verify_password(&phc, pw),
                    argon.verify_password(pw.as_bytes(), &parsed).is_ok(),
                    "{phc} {pw}"
                );
            }
        }
        assert!(!verify_password("$argon2id$garbage", "right"));
        assert!(!verify_password("", ""));
    }

    #[test]
    fn cookie_lifetime_is_capped() {
        let s = CookieSigner::new(Secret::new("k".repeat(32)), 60);
        let a = agent("a@x", "$h");
        // a correctly signed token whose expiry is far beyond issue + ttl
        let payload = format!("a@x|x|1000000|4102444800|{}", s.credential(&a));
        let tag = s.mac(b"agentbar-bridge/session/v2\n", payload.as_bytes()).finalize().into_bytes();
        let far = format!("{}.{}", B64.encode(&payload), B64.encode(tag));
        assert!(s.verify(&far, 1_000_000).is_none());
        // issued in the future
        let t = s.issue(&a, "x", 2_000_000);
        assert!(s.verify(&t, 1_000_000).is_none());
        assert!(s.verify(&t, 1_990_000).is_some(), "within the clock skew");
        // a longer ttl than configured now is cut to the configured one
        let long = CookieSigner::new(Secret::new("k".repeat(32)), 3600).issue(&a, "x", 1_000_000);
        assert!(s.verify(&long, 1_010_000).is_none());
    }

    #[test]
    fn directory_reload_revokes_changed_and_removed_agents() {
        let dir = std::env::temp_dir().join(format!("agentbar-bridge-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("agents.json");
        let write = |text: &str| std::fs::write(&path, text).unwrap();
        write(
            r#"[{"username":"a","userId":"a@i"},{"username":"b","userId":"b@i"},{"username":"c","userId":"c@i"}]"#,
        );
        let d = AgentDirectory::new(Agents::load(&path).unwrap(), Some(path.clone()));
        assert_eq!(d.refresh(), Ok(vec![]));
        write(r#"[{"username":"a","userId":"a@i"},{"username":"bee","userId":"b@i"}]"#);
        let mut revoked = d.refresh().unwrap();
        revoked.sort();
        assert_eq!(revoked, ["b@i", "c@i"]);
        assert!(d.get().by_user_id("c@i").is_none());
        write("[not json!");
        assert!(d.refresh().is_err());
        assert_eq!(d.get().len(), 2, "the previous list stays");
        std::fs::remove_dir_all(&dir).ok();
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
