//! `agentbar-relay` command line; see `--help` and docs/RELAY.md.

use agentbar_relay::backend::{memory::Memory, redis::Redis, Backend};
use agentbar_relay::config::{Config, USAGE};
use agentbar_relay::Relay;
use std::sync::Arc;

async fn run<B: Backend>(cfg: Config, backend: B) {
    let listener = match tokio::net::TcpListener::bind(cfg.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("agentbar-relay: cannot bind {}: {e}", cfg.listen);
            std::process::exit(1);
        }
    };
    let callback = match cfg.callback_listen {
        Some(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("agentbar-relay: cannot bind {addr}: {e}");
                std::process::exit(1);
            }
        },
        None => None,
    };
    println!(
        "agentbar-relay[{}] listening on http://{} (backend {}, callbacks {}, gateway {}, bridge {})",
        cfg.instance,
        cfg.listen,
        backend.name(),
        cfg.callback_listen.map_or("on the same address".to_string(), |a| format!("on http://{a}")),
        cfg.gateway.as_deref().unwrap_or("-"),
        cfg.bridge.as_deref().unwrap_or("-"),
    );
    let relay = Relay::new(cfg, Arc::new(backend));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = agentbar_relay::serve(relay, listener, callback, shutdown).await {
        eprintln!("agentbar-relay: {e}");
        std::process::exit(1);
    }
}

#[tokio::main]
async fn main() {
    let cfg = match Config::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("agentbar-relay: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    match cfg.redis.clone() {
        Some(url) => match Redis::connect(&url, &cfg.redis_prefix, cfg.backlog, cfg.backlog_ttl_ms).await {
            Ok(b) => run(cfg, b).await,
            Err(e) => {
                eprintln!("agentbar-relay: {e}");
                std::process::exit(1);
            }
        },
        None => {
            let b = Memory::new(cfg.backlog);
            run(cfg, b).await
        }
    }
}
