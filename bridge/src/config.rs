//! Configuration: command-line flags, environment variables, `--demo`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::{Agents, Authenticator, CookieSigner, HeaderAuth, PasswordAuth};
use crate::signer::{AccessKey, Secret, SignatureVersion};

pub const DEFAULT_PORT: u16 = 8044;
pub const DEFAULT_REGION: &str = "cn-shanghai";
pub const DEFAULT_USER_HEADER: &str = "X-Agentbar-User";
pub const DEFAULT_SESSION_TTL_SECS: u64 = 8 * 3600;
pub const DEFAULT_RATE: f64 = 20.0;
pub const DEFAULT_BURST: f64 = 40.0;
pub const DEFAULT_UPSTREAM_TIMEOUT_SECS: u64 = 10;

pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
pub const ENV_COOKIE_SECRET: &str = "AGENTBAR_BRIDGE_COOKIE_SECRET";

/// `--demo` values. Public on purpose: they only work against the simulator.
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
    Password { agents: Agents, cookie_secret: Secret, session_ttl_secs: u64, secure_cookies: bool },
    Header { agents: Agents, header: String },
}

impl AuthSettings {
    pub(crate) fn build(
        self,
        instance_id: &str,
    ) -> Result<(Box<dyn Authenticator>, Option<CookieSigner>), String> {
        match self {
            AuthSettings::Password { agents, cookie_secret, session_ttl_secs, secure_cookies } => {
                let signer = CookieSigner::new(cookie_secret, session_ttl_secs, secure_cookies);
                let auth = PasswordAuth::new(agents, instance_id.to_string(), signer.clone());
                Ok((Box::new(auth), Some(signer)))
            }
            AuthSettings::Header { agents, header } => {
                Ok((Box::new(HeaderAuth::new(agents, instance_id.to_string(), &header)?), None))
            }
        }
    }

    pub fn mode(&self) -> &'static str {
        match self {
            AuthSettings::Password { .. } => "password",
            AuthSettings::Header { .. } => "header",
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
    pub rate_per_sec: f64,
    pub burst: f64,
    pub upstream_timeout: Duration,
}

/// Parsed command line for `serve`.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: IpAddr,
    pub port: u16,
    pub static_dir: Option<PathBuf>,
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
    --agents <file>           AGENTBAR_BRIDGE_AGENTS            (required; JSON or TOML)
    --user-header <name>      AGENTBAR_BRIDGE_USER_HEADER       X-Agentbar-User  (header mode)
    --signature v3|v1         AGENTBAR_BRIDGE_SIGNATURE         v3
    --credentials-file <f>    AGENTBAR_BRIDGE_CREDENTIALS_FILE  (else ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET)
    --cookie-secret-file <f>  AGENTBAR_BRIDGE_COOKIE_SECRET_FILE (else AGENTBAR_BRIDGE_COOKIE_SECRET)
    --secure-cookies          AGENTBAR_BRIDGE_SECURE_COOKIES=1  off (turn on behind TLS)
    --session-ttl <secs>      AGENTBAR_BRIDGE_SESSION_TTL       28800
    --rate <per-sec>          AGENTBAR_BRIDGE_RATE              20
    --burst <n>               AGENTBAR_BRIDGE_BURST             40
    --upstream-timeout <secs> AGENTBAR_BRIDGE_UPSTREAM_TIMEOUT  10
    --static-dir <dir>        AGENTBAR_BRIDGE_STATIC_DIR        (dev/test only: serve the toolbar at /)
    --demo                    AGENTBAR_BRIDGE_DEMO=1            demo agents/key, simulator endpoint
";

/// Resolve options from `args` (without the program name) and an environment lookup.
pub fn parse_serve(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<ServeOptions, String> {
    let mut flags: std::collections::HashMap<&'static str, String> = Default::default();
    let mut demo = truthy(env("AGENTBAR_BRIDGE_DEMO").as_deref());
    let mut secure = truthy(env("AGENTBAR_BRIDGE_SECURE_COOKIES").as_deref());
    const VALUED: &[&str] = &[
        "port",
        "bind",
        "endpoint",
        "region",
        "instance-id",
        "auth",
        "agents",
        "user-header",
        "signature",
        "credentials-file",
        "cookie-secret-file",
        "session-ttl",
        "rate",
        "burst",
        "upstream-timeout",
        "static-dir",
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
            "secure-cookies" => secure = true,
            _ => {
                let Some(key) = VALUED.iter().find(|k| **k == name) else {
                    return Err(format!("unknown option --{name}"));
                };
                let value = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| format!("--{name} needs a value"))?,
                };
                flags.insert(key, value);
            }
        }
    }
    let get = |name: &str| -> Option<String> {
        flags.get(name).cloned().or_else(|| {
            env(&format!("AGENTBAR_BRIDGE_{}", name.to_ascii_uppercase().replace('-', "_")))
                .filter(|v| !v.is_empty())
        })
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

    let agents = match get("agents") {
        Some(path) => Agents::load(&PathBuf::from(path))?,
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
                secure_cookies: secure,
            }
        }
        "header" => AuthSettings::Header {
            agents,
            header: get("user-header").unwrap_or_else(|| DEFAULT_USER_HEADER.into()),
        },
        other => return Err(format!("--auth: expected password or header, got {other:?}")),
    };

    let rate = num("rate", get("rate"), DEFAULT_RATE)?;
    let burst = num("burst", get("burst"), DEFAULT_BURST)?;
    if !(rate > 0.0 && burst >= 1.0) {
        return Err("--rate must be > 0 and --burst >= 1".into());
    }
    let timeout = num("upstream-timeout", get("upstream-timeout"), DEFAULT_UPSTREAM_TIMEOUT_SECS)?;
    Ok(ServeOptions {
        bind,
        port,
        static_dir: get("static-dir").map(PathBuf::from),
        settings: Settings {
            instance_id,
            endpoint,
            signature,
            access_key,
            auth,
            rate_per_sec: rate,
            burst,
            upstream_timeout: Duration::from_secs(timeout.max(1)),
        },
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
    }

    #[test]
    fn flags_and_env() {
        let env = |k: &str| match k {
            "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("id".to_string()),
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some("sekrit-value-42".to_string()),
            "AGENTBAR_BRIDGE_PORT" => Some("9000".to_string()),
            "AGENTBAR_BRIDGE_INSTANCE_ID" => Some("ccc-x".to_string()),
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
        assert!(!format!("{o:?}").contains("sekrit-value-42"));
        assert!(parse_serve(&args(&["--bogus"]), &env).is_err());
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
