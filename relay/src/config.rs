//! Relay settings: command-line flags (and a few environment variables).

use std::net::SocketAddr;

pub const USAGE: &str = "\
agentbar-relay: CC-Gateway push callbacks and CCC webhooks to each agent's browser over SSE

USAGE: agentbar-relay [OPTIONS]

  --listen ADDR          browser-facing address (default 127.0.0.1:8046)
  --callback-listen ADDR serve the callback/webhook routes on this address only (the gateway's
                         side); default: on --listen too
  --redis URL            Redis backend (env REDIS_URL); default: in-process backlog, one instance
  --redis-prefix P       key prefix (default agentbar:relay)
  --gateway URL          CC-Gateway base, e.g. https://gw:8043/agentgateway/resource
  --bridge URL           agentbar-bridge origin, e.g. http://127.0.0.1:8044
  --public-url URL       the relay's URL as the gateway reaches it (for callBackUri)
  --origin ORIGIN        allowed browser origin (CORS); repeat for more; none = same-origin only
  --secret S             HMAC key of the per-agent serviceTokens (env AGENTBAR_RELAY_SECRET)
  --webhook-token T      token the CCC webhook URL carries (env AGENTBAR_RELAY_WEBHOOK_TOKEN)
  --backlog N            events kept per agent (default 500)
  --handshake-ms MS      CC-Gateway handshake period per agent (default 30000)
  --retry-ms MS          SSE retry hint (default 3000)
  --instance NAME        name in logs and /relay/stats (default: the listen port)
  --stamp                add `: rx=<epoch µs>` to each event (load test)
  --demo                 loopback-only demo secrets (refused with a non-loopback gateway/bridge)
  -h, --help             this text";

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub callback_listen: Option<SocketAddr>,
    pub redis: Option<String>,
    pub redis_prefix: String,
    /// CC-Gateway base URL, ending in `/agentgateway/resource` (no trailing slash).
    pub gateway: Option<String>,
    /// Bridge origin (no trailing slash).
    pub bridge: Option<String>,
    pub public_url: String,
    pub origins: Vec<String>,
    pub secret: String,
    pub webhook_token: String,
    pub backlog: usize,
    /// A backlog with no new event for this long is dropped (Redis key expiry).
    pub backlog_ttl_ms: u64,
    pub handshake_ms: u64,
    pub ticket_ttl_ms: u64,
    /// How long a credential checked against the gateway/bridge is trusted without asking again.
    pub credential_cache_ms: u64,
    pub retry_ms: u64,
    pub keepalive_ms: u64,
    pub instance: String,
    pub stamp: bool,
}

pub const DEMO_SECRET: &str = "agentbar-relay-demo-secret";
pub const DEMO_WEBHOOK_TOKEN: &str = "agentbar-relay-demo-webhook";

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8046".parse().expect("valid"),
            callback_listen: None,
            redis: None,
            redis_prefix: "agentbar:relay".into(),
            gateway: None,
            bridge: None,
            public_url: "http://127.0.0.1:8046".into(),
            origins: Vec::new(),
            secret: String::new(),
            webhook_token: String::new(),
            backlog: 500,
            backlog_ttl_ms: 7 * 24 * 3600 * 1000,
            handshake_ms: 30_000,
            ticket_ttl_ms: 60_000,
            credential_cache_ms: 60_000,
            retry_ms: 3000,
            keepalive_ms: 15_000,
            instance: String::new(),
            stamp: false,
        }
    }
}

fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

impl Config {
    /// Parses `args` (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let mut c = Config {
            redis: std::env::var("REDIS_URL").ok().filter(|s| !s.is_empty()),
            secret: std::env::var("AGENTBAR_RELAY_SECRET").unwrap_or_default(),
            webhook_token: std::env::var("AGENTBAR_RELAY_WEBHOOK_TOKEN").unwrap_or_default(),
            ..Config::default()
        };
        let mut demo = false;
        let mut public_set = false;
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| {
                inline.clone().or_else(|| it.next()).ok_or_else(|| format!("{name} needs a value"))
            };
            let num =
                |v: String, name: &str| v.parse::<u64>().map_err(|_| format!("{name}: not a number: {v}"));
            match flag.as_str() {
                "--listen" => c.listen = value("--listen")?.parse().map_err(|e| format!("--listen: {e}"))?,
                "--callback-listen" => {
                    c.callback_listen = Some(
                        value("--callback-listen")?.parse().map_err(|e| format!("--callback-listen: {e}"))?,
                    )
                }
                "--redis" => c.redis = Some(value("--redis")?),
                "--redis-prefix" => c.redis_prefix = value("--redis-prefix")?,
                "--gateway" => c.gateway = Some(value("--gateway")?.trim_end_matches('/').to_string()),
                "--bridge" => c.bridge = Some(value("--bridge")?.trim_end_matches('/').to_string()),
                "--public-url" => {
                    c.public_url = value("--public-url")?.trim_end_matches('/').to_string();
                    public_set = true;
                }
                "--origin" => c.origins.push(value("--origin")?),
                "--secret" => c.secret = value("--secret")?,
                "--webhook-token" => c.webhook_token = value("--webhook-token")?,
                "--backlog" => c.backlog = num(value("--backlog")?, "--backlog")? as usize,
                "--handshake-ms" => c.handshake_ms = num(value("--handshake-ms")?, "--handshake-ms")?,
                "--retry-ms" => c.retry_ms = num(value("--retry-ms")?, "--retry-ms")?,
                "--instance" => c.instance = value("--instance")?,
                "--stamp" => c.stamp = true,
                "--demo" => demo = true,
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        if !public_set {
            c.public_url = format!("http://{}", c.callback_listen.unwrap_or(c.listen));
        }
        if c.instance.is_empty() {
            c.instance = c.listen.port().to_string();
        }
        if demo {
            if c.secret.is_empty() {
                c.secret = DEMO_SECRET.into();
            }
            if c.webhook_token.is_empty() {
                c.webhook_token = DEMO_WEBHOOK_TOKEN.into();
            }
        }
        if c.secret.is_empty() || c.webhook_token.is_empty() {
            return Err("--secret and --webhook-token are required (or --demo on loopback)".into());
        }
        let demo_values = c.secret == DEMO_SECRET || c.webhook_token == DEMO_WEBHOOK_TOKEN;
        let upstreams = c.gateway.iter().chain(c.bridge.iter());
        if demo_values && !upstreams.clone().all(|u| is_loopback_url(u)) {
            return Err("the demo secrets are public: refused with a non-loopback gateway or bridge".into());
        }
        if c.gateway.is_none() && c.bridge.is_none() {
            return Err("give --gateway (CC-Gateway) and/or --bridge (CCC)".into());
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn demo_secrets_only_on_loopback() {
        assert!(Config::parse(args("--demo --gateway http://127.0.0.1:8043/agentgateway/resource")).is_ok());
        assert!(Config::parse(args("--demo --gateway https://gw.example.com:8043/agentgateway/resource"))
            .is_err());
        assert!(Config::parse(args("--gateway http://127.0.0.1:1")).is_err(), "no secret");
        let c = Config::parse(args(
            "--secret a --webhook-token b --bridge http://[::1]:8044/ --listen 127.0.0.1:9",
        ))
        .unwrap();
        assert_eq!(c.bridge.as_deref(), Some("http://[::1]:8044"));
        assert_eq!(c.public_url, "http://127.0.0.1:9");
    }
}
