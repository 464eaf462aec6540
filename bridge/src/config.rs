//! Configuration: command-line flags, environment variables, `--demo`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use crate::auth::{AgentDirectory, Agents, Authenticator, CookieSigner, HeaderAuth, PasswordAuth};
use crate::signer::{AccessKey, Secret, SignatureVersion};
use crate::store::Backoff;

pub const DEFAULT_PORT: u16 = 8044;
pub const DEFAULT_REGION: &str = "cn-shanghai";
pub const DEFAULT_USER_HEADER: &str = "X-Agentbar-User";
pub const DEFAULT_PROXY_SECRET_HEADER: &str = "X-Agentbar-Proxy-Secret";
pub const DEFAULT_SESSION_TTL_SECS: u64 = 8 * 3600;
pub const MAX_SESSION_TTL_SECS: u64 = 7 * 24 * 3600;
pub const DEFAULT_LOGIN_QUEUE: usize = 32;
pub const DEFAULT_LOGIN_ATTEMPTS: u32 = 5;
pub const DEFAULT_LOGIN_ATTEMPTS_PER_IP: u32 = 10;
pub const DEFAULT_LOGIN_MAX_LOCKOUT_SECS: u64 = 15 * 60;
pub const DEFAULT_MAX_UPSTREAM_BODY: usize = 1024 * 1024;
pub const DEFAULT_RATE: f64 = 20.0;
pub const DEFAULT_BURST: f64 = 40.0;
pub const DEFAULT_UPSTREAM_TIMEOUT_SECS: u64 = 10;

pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
pub const ENV_COOKIE_SECRET: &str = "AGENTBAR_BRIDGE_COOKIE_SECRET";
pub const ENV_PROXY_SECRET: &str = "AGENTBAR_BRIDGE_PROXY_SECRET";

/// `--demo` values. Public on purpose: they only work against the simulator, and the bridge
/// refuses to start with any of them unless the endpoint is a loopback address.
pub mod demo {
    pub const INSTANCE_ID: &str = "ccc-demo";
    pub const ENDPOINT: &str = "http://127.0.0.1:8043";
    pub const ACCESS_KEY_ID: &str = "LTAI5tAgentbarDemoKey";
    pub const ACCESS_KEY_SECRET: &str = "agentbar-demo-secret-not-for-production";
    pub const COOKIE_SECRET: &str = "agentbar-demo-cookie-secret-not-for-production";
    pub const PASSWORD: &str = "agent123";
    /// agent101..agent105 / `agent123` (Argon2id, default parameters).
    pub const AGENTS_JSON: &str = include_str!("demo_agents.json");
}

/// Authentication settings (resolved).
#[derive(Clone, Debug)]
pub enum AuthSettings {
    Password {
        agents: Agents,
        cookie_secret: Secret,
        session_ttl_secs: u64,
    },
    Header {
        agents: Agents,
        header: String,
        /// The shared secret the SSO proxy sends in `proxy_secret_header`.
        proxy_secret: Secret,
        proxy_secret_header: String,
    },
}

impl AuthSettings {
    pub(crate) fn build(
        self,
        instance_id: &str,
        agents_file: Option<PathBuf>,
    ) -> Result<(Box<dyn Authenticator>, Arc<AgentDirectory>), String> {
        match self {
            AuthSettings::Password { agents, cookie_secret, session_ttl_secs } => {
                let dir = Arc::new(AgentDirectory::new(agents, agents_file));
                let signer = CookieSigner::new(cookie_secret, session_ttl_secs);
                Ok((Box::new(PasswordAuth::new(dir.clone(), instance_id.to_string(), signer)), dir))
            }
            AuthSettings::Header { agents, header, proxy_secret, proxy_secret_header } => {
                let dir = Arc::new(AgentDirectory::new(agents, agents_file));
                let auth = HeaderAuth::new(
                    dir.clone(),
                    instance_id.to_string(),
                    &header,
                    &proxy_secret_header,
                    proxy_secret,
                )?;
                Ok((Box::new(auth), dir))
            }
        }
    }

    pub fn mode(&self) -> &'static str {
        match self {
            AuthSettings::Password { .. } => "password",
            AuthSettings::Header { .. } => "header",
        }
    }

    fn agents(&self) -> &Agents {
        match self {
            AuthSettings::Password { agents, .. } | AuthSettings::Header { agents, .. } => agents,
        }
    }
}

/// The login defences: the Argon2 gate and the attempt limits.
#[derive(Clone, Debug)]
pub struct LoginSettings {
    /// Argon2 verifications that may run at once (each uses ~19 MiB and one core).
    pub concurrency: usize,
    /// Logins that may wait for a turn (at least 1); more are answered 503 at once.
    pub queue: usize,
    /// Per login name (known or not, so a lockout does not reveal which names exist).
    pub per_user: Backoff,
    /// Per client address (IPv6 per /64).
    pub per_ip: Backoff,
    /// Take the client address from this header (rightmost value) instead of the peer
    /// address: only behind a proxy that sets it.
    pub client_ip_header: Option<String>,
}

impl Default for LoginSettings {
    fn default() -> Self {
        LoginSettings {
            concurrency: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            queue: DEFAULT_LOGIN_QUEUE,
            per_user: Backoff {
                free: DEFAULT_LOGIN_ATTEMPTS,
                decay_ms: 15 * 60 * 1000,
                base_ms: 1000,
                max_ms: DEFAULT_LOGIN_MAX_LOCKOUT_SECS * 1000,
                count_refused: true,
            },
            per_ip: Backoff {
                free: DEFAULT_LOGIN_ATTEMPTS_PER_IP,
                decay_ms: 10 * 1000,
                base_ms: 1000,
                max_ms: DEFAULT_LOGIN_MAX_LOCKOUT_SECS * 1000,
                // Many agents may share one address (NAT): a locked address is not prolonged
                // by its own retries.
                count_refused: false,
            },
            client_ip_header: None,
        }
    }
}

/// Everything the server needs, resolved and validated.
#[derive(Clone, Debug)]
pub struct Settings {
    pub instance_id: String,
    /// `scheme://host[:port]` of CCC (or the simulator).
    pub endpoint: String,
    pub signature: SignatureVersion,
    pub access_key: AccessKey,
    pub auth: AuthSettings,
    /// Where the agents came from; re-read when it changes. `None`: built in (`--demo`).
    pub agents_file: Option<PathBuf>,
    pub rate_per_sec: f64,
    pub burst: f64,
    pub upstream_timeout: Duration,
    /// Origins (`scheme://host[:port]`) besides the bridge's own whose requests are accepted.
    pub allowed_origins: Vec<String>,
    pub login: LoginSettings,
    /// Numbers MakeCall and external transfers may dial must start with one of these
    /// (empty: no policy).
    pub dial_prefixes: Vec<String>,
    /// Larger CCC answers are refused (502).
    pub max_upstream_body: usize,
}

impl Settings {
    /// Settings with every optional defence at its default.
    pub fn new(
        instance_id: impl Into<String>,
        endpoint: impl Into<String>,
        access_key: AccessKey,
        auth: AuthSettings,
    ) -> Self {
        Settings {
            instance_id: instance_id.into(),
            endpoint: endpoint.into(),
            signature: SignatureVersion::V3,
            access_key,
            auth,
            agents_file: None,
            rate_per_sec: DEFAULT_RATE,
            burst: DEFAULT_BURST,
            upstream_timeout: Duration::from_secs(DEFAULT_UPSTREAM_TIMEOUT_SECS),
            allowed_origins: Vec::new(),
            login: LoginSettings::default(),
            dial_prefixes: Vec::new(),
            max_upstream_body: DEFAULT_MAX_UPSTREAM_BODY,
        }
    }

    /// Refuse what must never run: plain http to a remote CCC, and the public demo secrets
    /// anywhere but in front of a local simulator.
    pub fn validate(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(self.endpoint.trim_end_matches('/'))
            .map_err(|e| format!("invalid endpoint {:?}: {e}", self.endpoint))?;
        let host = url.host_str().unwrap_or_default();
        if !matches!(url.scheme(), "http" | "https") || host.is_empty() {
            return Err(format!("endpoint must be an http(s) URL, got {:?}", self.endpoint));
        }
        let loopback = is_loopback_host(host);
        if url.scheme() == "http" && !loopback {
            return Err(format!(
                "endpoint {:?}: plain http is only allowed to a loopback address; CCC needs https",
                self.endpoint
            ));
        }
        if !loopback {
            if let Some(what) = self.demo_material() {
                return Err(format!(
                    "{what} is public (--demo) and only allowed with a loopback endpoint (the simulator), \
                     not {:?}: configure real secrets and drop --demo",
                    self.endpoint
                ));
            }
        }
        if let AuthSettings::Password { session_ttl_secs, .. } = &self.auth {
            if !(60..=MAX_SESSION_TTL_SECS).contains(session_ttl_secs) {
                return Err(format!("--session-ttl must be between 60 and {MAX_SESSION_TTL_SECS} seconds"));
            }
        }
        if self.login.concurrency == 0 {
            return Err("--login-concurrency must be at least 1".into());
        }
        Ok(())
    }

    /// Which public `--demo` value these settings use, if any.
    fn demo_material(&self) -> Option<&'static str> {
        if self.access_key.id == demo::ACCESS_KEY_ID
            || self.access_key.secret.expose() == demo::ACCESS_KEY_SECRET
        {
            return Some("the demo AccessKey");
        }
        if let AuthSettings::Password { cookie_secret, .. } = &self.auth {
            if cookie_secret.expose() == demo::COOKIE_SECRET {
                return Some("the demo cookie secret");
            }
        }
        let demo_agents = Agents::parse(demo::AGENTS_JSON).unwrap_or_default();
        let demo_hashes: Vec<&str> = demo_agents.iter().filter_map(|a| a.password_hash.as_deref()).collect();
        let uses_demo_agents = self
            .auth
            .agents()
            .iter()
            .any(|a| a.password_hash.as_deref().is_some_and(|h| demo_hashes.contains(&h)));
        uses_demo_agents.then_some("the demo agents' password")
    }
}

/// `localhost`, 127.0.0.0/8 or ::1 (written with or without brackets).
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://host[:port]` as browsers send it in `Origin` (lower case, default port left out).
pub fn normalize_origin(s: &str) -> Result<String, String> {
    let bad = || format!("--allowed-origin: {s:?} is not an origin like https://crm.example.com");
    let url = reqwest::Url::parse(s.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || !matches!(url.path(), "" | "/")
    {
        return Err(bad());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

/// Parsed command line for `serve`.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: IpAddr,
    pub port: u16,
    pub static_dir: Option<PathBuf>,
    /// Redis URL for state shared by several instances (login throttles, session epochs,
    /// seen ids); `None`: in memory.
    pub redis: Option<String>,
    pub redis_prefix: String,
    pub settings: Settings,
}

pub const USAGE: &str = "\
agentbar-bridge — signs Alibaba Cloud CCC OpenAPI calls for the agentbar toolbar

USAGE:
    agentbar-bridge [OPTIONS]             run the bridge
    agentbar-bridge hash-password         read a password on stdin, print an Argon2id hash
    agentbar-bridge --help

OPTIONS (flag / environment variable / default):
    --port <n>                AGENTBAR_BRIDGE_PORT              8044
    --bind <ip>               AGENTBAR_BRIDGE_BIND              127.0.0.1
    --endpoint <url>          AGENTBAR_BRIDGE_ENDPOINT          https://ccc.<region>.aliyuncs.com
    --region <id>             AGENTBAR_BRIDGE_REGION            cn-shanghai
    --instance-id <id>        AGENTBAR_BRIDGE_INSTANCE_ID       (required)
    --auth password|header    AGENTBAR_BRIDGE_AUTH              password
    --agents <file>           AGENTBAR_BRIDGE_AGENTS            (required; JSON or TOML; re-read when it changes)
    --user-header <name>      AGENTBAR_BRIDGE_USER_HEADER       X-Agentbar-User  (header mode)
    --proxy-secret-file <f>   AGENTBAR_BRIDGE_PROXY_SECRET      (header mode: required, >= 16 bytes)
    --proxy-secret-header <n> AGENTBAR_BRIDGE_PROXY_SECRET_HEADER X-Agentbar-Proxy-Secret
    --signature v3|v1         AGENTBAR_BRIDGE_SIGNATURE         v3
    --credentials-file <f>    AGENTBAR_BRIDGE_CREDENTIALS_FILE  (else ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET)
    --cookie-secret-file <f>  AGENTBAR_BRIDGE_COOKIE_SECRET_FILE (else AGENTBAR_BRIDGE_COOKIE_SECRET)
    --session-ttl <secs>      AGENTBAR_BRIDGE_SESSION_TTL       28800 (at most 604800)
    --allowed-origin <o>      AGENTBAR_BRIDGE_ALLOWED_ORIGINS   none (repeatable; env: comma-separated)
    --rate <per-sec>          AGENTBAR_BRIDGE_RATE              20
    --burst <n>               AGENTBAR_BRIDGE_BURST             40
    --login-concurrency <n>   AGENTBAR_BRIDGE_LOGIN_CONCURRENCY number of cores
    --login-queue <n>         AGENTBAR_BRIDGE_LOGIN_QUEUE       32
    --login-attempts <n>      AGENTBAR_BRIDGE_LOGIN_ATTEMPTS    5 per login name, then growing lockout
    --login-attempts-per-ip <n> AGENTBAR_BRIDGE_LOGIN_ATTEMPTS_PER_IP 10 per address, then growing lockout
    --login-max-lockout <secs> AGENTBAR_BRIDGE_LOGIN_MAX_LOCKOUT 900
    --client-ip-header <name> AGENTBAR_BRIDGE_CLIENT_IP_HEADER  none (peer address; set behind a proxy)
    --allowed-dial-prefix <p> AGENTBAR_BRIDGE_ALLOWED_DIAL_PREFIXES none = no policy (repeatable; env: comma-separated)
    --upstream-timeout <secs> AGENTBAR_BRIDGE_UPSTREAM_TIMEOUT  10
    --max-upstream-body <n>   AGENTBAR_BRIDGE_MAX_UPSTREAM_BODY 1048576 bytes
    --static-dir <dir>        AGENTBAR_BRIDGE_STATIC_DIR        (dev/test only: serve the toolbar at /)
    --redis <url>             AGENTBAR_BRIDGE_REDIS             none = in memory (several instances: one Redis
                                                                for login throttles, session epochs, seen ids)
    --redis-prefix <p>        AGENTBAR_BRIDGE_REDIS_PREFIX      agentbar:bridge
    --demo                    AGENTBAR_BRIDGE_DEMO=1            demo agents/key/cookie secret, simulator endpoint
                                                                (refused with a non-loopback endpoint)
    --secure-cookies          AGENTBAR_BRIDGE_SECURE_COOKIES=1  no effect: cookies are always Secure
";

/// Resolve options from `args` (without the program name) and an environment lookup.
pub fn parse_serve(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<ServeOptions, String> {
    let mut flags: std::collections::HashMap<&'static str, String> = Default::default();
    let mut lists: std::collections::HashMap<&'static str, Vec<String>> = Default::default();
    let mut demo = truthy(env("AGENTBAR_BRIDGE_DEMO").as_deref());
    const VALUED: &[&str] = &[
        "redis",
        "redis-prefix",
        "port",
        "bind",
        "endpoint",
        "region",
        "instance-id",
        "auth",
        "agents",
        "user-header",
        "proxy-secret-file",
        "proxy-secret-header",
        "signature",
        "credentials-file",
        "cookie-secret-file",
        "session-ttl",
        "rate",
        "burst",
        "login-concurrency",
        "login-queue",
        "login-attempts",
        "login-attempts-per-ip",
        "login-max-lockout",
        "client-ip-header",
        "upstream-timeout",
        "max-upstream-body",
        "static-dir",
    ];
    /// Repeatable flags, and the environment variable (comma-separated) each falls back to.
    const LISTS: &[(&str, &str)] = &[
        ("allowed-origin", "AGENTBAR_BRIDGE_ALLOWED_ORIGINS"),
        ("allowed-dial-prefix", "AGENTBAR_BRIDGE_ALLOWED_DIAL_PREFIXES"),
    ];
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg.strip_prefix("--") else {
            return Err(format!("unexpected argument {arg:?}"));
        };
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (name, None),
        };
        match name {
            "demo" => demo = true,
            // Kept so existing deployments still start: cookies are always Secure now.
            "secure-cookies" => {}
            _ => {
                let list = LISTS.iter().find(|(k, _)| *k == name).map(|(k, _)| *k);
                let Some(key) = list.or_else(|| VALUED.iter().find(|k| **k == name).copied()) else {
                    return Err(format!("unknown option --{name}"));
                };
                let value = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| format!("--{name} needs a value"))?,
                };
                if list.is_some() {
                    lists.entry(key).or_default().push(value);
                } else {
                    flags.insert(key, value);
                }
            }
        }
    }
    let get = |name: &str| -> Option<String> {
        flags.get(name).cloned().or_else(|| {
            env(&format!("AGENTBAR_BRIDGE_{}", name.to_ascii_uppercase().replace('-', "_")))
                .filter(|v| !v.is_empty())
        })
    };
    let get_list = |name: &str| -> Vec<String> {
        let from_env = || {
            let var = LISTS.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or_default();
            env(var)
                .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        };
        lists.get(name).cloned().or_else(from_env).unwrap_or_default()
    };
    fn num<T: std::str::FromStr>(name: &str, v: Option<String>, default: T) -> Result<T, String> {
        match v {
            None => Ok(default),
            Some(s) => s.trim().parse().map_err(|_| format!("--{name}: invalid number {s:?}")),
        }
    }

    let port = num("port", get("port"), DEFAULT_PORT)?;
    let bind: IpAddr = match get("bind") {
        None => IpAddr::from([127, 0, 0, 1]),
        Some(s) => s.parse().map_err(|_| format!("--bind: invalid IP address {s:?}"))?,
    };
    let region = get("region").unwrap_or_else(|| DEFAULT_REGION.to_string());
    let endpoint = get("endpoint").unwrap_or_else(|| {
        if demo {
            demo::ENDPOINT.to_string()
        } else {
            format!("https://ccc.{region}.aliyuncs.com")
        }
    });
    let instance_id = match get("instance-id") {
        Some(i) => i,
        None if demo => demo::INSTANCE_ID.to_string(),
        None => return Err("--instance-id (AGENTBAR_BRIDGE_INSTANCE_ID) is required".into()),
    };
    let signature: SignatureVersion = get("signature").as_deref().unwrap_or("v3").parse()?;

    let access_key = if let Some(file) = get("credentials-file") {
        read_credentials_file(&PathBuf::from(file))?
    } else if demo {
        AccessKey::new(demo::ACCESS_KEY_ID, demo::ACCESS_KEY_SECRET)
    } else {
        match (env(ENV_ACCESS_KEY_ID), env(ENV_ACCESS_KEY_SECRET)) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => AccessKey::new(id, secret),
            _ => return Err(missing_access_key()),
        }
    };

    let agents_file = get("agents").map(PathBuf::from);
    let agents = match &agents_file {
        Some(path) => Agents::load(path)?,
        None if demo => Agents::parse(demo::AGENTS_JSON)?,
        None => return Err("--agents (AGENTBAR_BRIDGE_AGENTS) is required".into()),
    };
    if agents.is_empty() {
        return Err("the agents file lists no agents".into());
    }

    let mode = get("auth").unwrap_or_else(|| "password".to_string());
    let auth = match mode.as_str() {
        "password" => {
            let cookie_secret = if let Some(file) = get("cookie-secret-file") {
                let s = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
                Secret::new(s.trim().to_string())
            } else if let Some(s) = env(ENV_COOKIE_SECRET).filter(|s| !s.is_empty()) {
                Secret::new(s)
            } else if demo {
                Secret::new(demo::COOKIE_SECRET)
            } else {
                return Err(format!(
                    "password mode needs a cookie secret: {ENV_COOKIE_SECRET} or --cookie-secret-file"
                ));
            };
            if cookie_secret.expose().len() < 32 {
                return Err("the cookie secret must be at least 32 bytes".into());
            }
            AuthSettings::Password {
                agents,
                cookie_secret,
                session_ttl_secs: num("session-ttl", get("session-ttl"), DEFAULT_SESSION_TTL_SECS)?,
            }
        }
        "header" => {
            let proxy_secret = if let Some(file) = get("proxy-secret-file") {
                let s = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
                Secret::new(s.trim().to_string())
            } else if let Some(s) = env(ENV_PROXY_SECRET).filter(|s| !s.is_empty()) {
                Secret::new(s)
            } else {
                return Err(format!(
                    "header mode needs the proxy's shared secret: {ENV_PROXY_SECRET} or --proxy-secret-file"
                ));
            };
            AuthSettings::Header {
                agents,
                header: get("user-header").unwrap_or_else(|| DEFAULT_USER_HEADER.into()),
                proxy_secret,
                proxy_secret_header: get("proxy-secret-header")
                    .unwrap_or_else(|| DEFAULT_PROXY_SECRET_HEADER.into()),
            }
        }
        other => return Err(format!("--auth: expected password or header, got {other:?}")),
    };

    let rate = num("rate", get("rate"), DEFAULT_RATE)?;
    let burst = num("burst", get("burst"), DEFAULT_BURST)?;
    if !(rate > 0.0 && burst >= 1.0) {
        return Err("--rate must be > 0 and --burst >= 1".into());
    }
    let timeout = num("upstream-timeout", get("upstream-timeout"), DEFAULT_UPSTREAM_TIMEOUT_SECS)?;

    let mut login = LoginSettings::default();
    login.concurrency = num("login-concurrency", get("login-concurrency"), login.concurrency)?;
    login.queue = num("login-queue", get("login-queue"), login.queue)?;
    login.per_user.free = num("login-attempts", get("login-attempts"), login.per_user.free)?.max(1);
    login.per_ip.free = num("login-attempts-per-ip", get("login-attempts-per-ip"), login.per_ip.free)?.max(1);
    let max_lockout =
        num("login-max-lockout", get("login-max-lockout"), DEFAULT_LOGIN_MAX_LOCKOUT_SECS)?.max(1);
    login.per_user.max_ms = max_lockout * 1000;
    login.per_ip.max_ms = max_lockout * 1000;
    login.client_ip_header = get("client-ip-header");
    if let Some(h) = &login.client_ip_header {
        axum::http::HeaderName::from_bytes(h.as_bytes())
            .map_err(|_| format!("--client-ip-header: invalid {h:?}"))?;
    }

    let allowed_origins =
        get_list("allowed-origin").iter().map(|o| normalize_origin(o)).collect::<Result<Vec<_>, _>>()?;
    let dial_prefixes = get_list("allowed-dial-prefix");

    let settings = Settings {
        instance_id,
        endpoint,
        signature,
        access_key,
        auth,
        agents_file,
        rate_per_sec: rate,
        burst,
        upstream_timeout: Duration::from_secs(timeout.max(1)),
        allowed_origins,
        login,
        dial_prefixes,
        max_upstream_body: num("max-upstream-body", get("max-upstream-body"), DEFAULT_MAX_UPSTREAM_BODY)?,
    };
    settings.validate()?;
    Ok(ServeOptions {
        bind,
        port,
        static_dir: get("static-dir").map(PathBuf::from),
        redis: get("redis"),
        redis_prefix: get("redis-prefix").unwrap_or_else(|| "agentbar:bridge".into()),
        settings,
    })
}

fn missing_access_key() -> String {
    format!("no AccessKey: set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} or use --credentials-file")
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v.map(|s| s.trim().to_ascii_lowercase()).as_deref(), Some("1" | "true" | "yes" | "on"))
}

/// `KEY=VALUE` lines (`#` comments, optional `export `, optional quotes) with
/// `ALIBABA_CLOUD_ACCESS_KEY_ID` and `ALIBABA_CLOUD_ACCESS_KEY_SECRET`.
pub fn parse_credentials(text: &str) -> Result<AccessKey, String> {
    let (mut id, mut secret) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else { continue };
        let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
        match k.trim() {
            ENV_ACCESS_KEY_ID => id = Some(v),
            ENV_ACCESS_KEY_SECRET => secret = Some(v),
            _ => {}
        }
    }
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(AccessKey::new(id, secret)),
        _ => Err(format!("credentials file needs {ENV_ACCESS_KEY_ID}=… and {ENV_ACCESS_KEY_SECRET}=… lines")),
    }
}

fn read_credentials_file(path: &PathBuf) -> Result<AccessKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_credentials(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn demo_defaults() {
        let o = parse_serve(&args(&["--demo"]), &|_| None).unwrap();
        assert_eq!(o.port, 8044);
        assert_eq!(o.bind.to_string(), "127.0.0.1");
        assert_eq!(o.settings.endpoint, "http://127.0.0.1:8043");
        assert_eq!(o.settings.instance_id, "ccc-demo");
        assert_eq!(o.settings.access_key.id, "LTAI5tAgentbarDemoKey");
        assert_eq!(o.settings.signature, SignatureVersion::V3);
        assert_eq!(o.settings.auth.mode(), "password");
        assert_eq!(
            (o.redis.as_deref(), o.redis_prefix.as_str()),
            (None, "agentbar:bridge"),
            "in memory by default"
        );
        let o = parse_serve(
            &args(&["--demo", "--redis", "redis://127.0.0.1:6379/", "--redis-prefix", "site-a"]),
            &|_| None,
        )
        .unwrap();
        assert_eq!(
            (o.redis.as_deref(), o.redis_prefix.as_str()),
            (Some("redis://127.0.0.1:6379/"), "site-a")
        );
        let env = |k: &str| (k == "AGENTBAR_BRIDGE_REDIS").then(|| "redis://10.0.0.5/".to_string());
        assert_eq!(
            parse_serve(&args(&["--demo"]), &env).unwrap().redis.as_deref(),
            Some("redis://10.0.0.5/")
        );
    }

    #[test]
    fn flags_and_env() {
        let env = |k: &str| match k {
            "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("id".to_string()),
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some("sekrit-value-42".to_string()),
            "AGENTBAR_BRIDGE_PORT" => Some("9000".to_string()),
            "AGENTBAR_BRIDGE_INSTANCE_ID" => Some("ccc-x".to_string()),
            "AGENTBAR_BRIDGE_PROXY_SECRET" => Some("proxy-secret-0123456789".to_string()),
            "AGENTBAR_BRIDGE_ALLOWED_ORIGINS" => {
                Some("https://a.example, https://B.example:8443/".to_string())
            }
            _ => None,
        };
        let dir = std::env::temp_dir().join(format!("agentbar-bridge-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let agents = dir.join("agents.json");
        std::fs::write(&agents, r#"[{"username":"a","userId":"a@ccc-x"}]"#).unwrap();
        let o = parse_serve(
            &args(&[
                "--auth",
                "header",
                "--agents",
                agents.to_str().unwrap(),
                "--signature=v1",
                "--region",
                "cn-beijing",
            ]),
            &env,
        )
        .unwrap();
        assert_eq!(o.port, 9000);
        assert_eq!(o.settings.endpoint, "https://ccc.cn-beijing.aliyuncs.com");
        assert_eq!(o.settings.signature, SignatureVersion::V1);
        assert_eq!(o.settings.auth.mode(), "header");
        assert_eq!(o.settings.agents_file.as_deref(), Some(agents.as_path()));
        assert_eq!(o.settings.allowed_origins, ["https://a.example", "https://b.example:8443"]);
        assert!(!format!("{o:?}").contains("sekrit-value-42"));
        assert!(!format!("{o:?}").contains("proxy-secret-0123456789"));
        assert!(parse_serve(&args(&["--bogus"]), &env).is_err());
        // flags replace the environment's list; repeatable
        let o = parse_serve(
            &args(&[
                "--agents",
                agents.to_str().unwrap(),
                "--auth=header",
                "--allowed-origin",
                "https://c.example",
                "--allowed-origin=http://127.0.0.1:8080",
                "--allowed-dial-prefix",
                "010",
                "--login-attempts",
                "3",
                "--secure-cookies",
            ]),
            &env,
        )
        .unwrap();
        assert_eq!(o.settings.allowed_origins, ["https://c.example", "http://127.0.0.1:8080"]);
        assert_eq!(o.settings.dial_prefixes, ["010"]);
        assert_eq!(o.settings.login.per_user.free, 3);
        assert!(parse_serve(&args(&["--allowed-origin", "https://x.example/path"]), &env).is_err());
        // header mode without the proxy's secret does not start
        let no_secret = |k: &str| if k == "AGENTBAR_BRIDGE_PROXY_SECRET" { None } else { env(k) };
        let e = parse_serve(&args(&["--auth", "header", "--agents", agents.to_str().unwrap()]), &no_secret)
            .unwrap_err();
        assert!(e.contains("proxy"), "{e}");
    }

    #[test]
    fn demo_secrets_and_plain_http_only_on_loopback() {
        for ok in [
            vec!["--demo"],
            vec!["--demo", "--endpoint", "http://localhost:9"],
            vec!["--demo", "--endpoint", "http://[::1]:9"],
            vec!["--demo", "--endpoint", "http://127.0.0.2:9"],
        ] {
            assert!(parse_serve(&args(&ok), &|_| None).is_ok(), "{ok:?}");
        }
        for endpoint in
            ["https://ccc.cn-shanghai.aliyuncs.com", "http://10.0.0.8:8043", "https://127.0.0.1.nip.io"]
        {
            let e = parse_serve(&args(&["--demo", "--endpoint", endpoint]), &|_| None).unwrap_err();
            assert!(e.contains("demo") || e.contains("plain http"), "{endpoint}: {e}");
        }
        // the demo cookie secret sneaked in through the environment, everything else real
        let dir = std::env::temp_dir().join(format!("agentbar-bridge-cfg-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let agents = dir.join("agents.json");
        std::fs::write(&agents, r#"[{"username":"a","userId":"a@x","passwordHash":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo"}]"#).unwrap();
        let env = |k: &str| match k {
            "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("LTAIreal".to_string()),
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some("real-secret".to_string()),
            "AGENTBAR_BRIDGE_COOKIE_SECRET" => Some(demo::COOKIE_SECRET.to_string()),
            _ => None,
        };
        let real = ["--instance-id", "ccc-x", "--agents", agents.to_str().unwrap()];
        let e = parse_serve(&args(&real), &env).unwrap_err();
        assert!(e.contains("demo cookie secret"), "{e}");
        let env2 = |k: &str| if k == "AGENTBAR_BRIDGE_COOKIE_SECRET" { Some("r".repeat(32)) } else { env(k) };
        assert!(parse_serve(&args(&real), &env2).is_ok());
        let e = parse_serve(&args(&[&real[..], &["--endpoint", "http://ccc.example"]].concat()), &env2)
            .unwrap_err();
        assert!(e.contains("plain http"), "{e}");
    }

    #[test]
    fn credentials_file() {
        let k = parse_credentials(
            "# c\nexport ALIBABA_CLOUD_ACCESS_KEY_ID=abc\nALIBABA_CLOUD_ACCESS_KEY_SECRET=\"s3\"\n",
        )
        .unwrap();
        assert_eq!(k.id, "abc");
        assert_eq!(k.secret.expose(), "s3");
    }
}
