use std::io::Read;

use agentbar_bridge::config::{parse_serve, USAGE};
use agentbar_bridge::server::{stderr_log, AppState};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return;
    }
    if args.first().map(String::as_str) == Some("hash-password") {
        std::process::exit(hash_password());
    }
    let opts = match parse_serve(&args, &|k| std::env::var(k).ok()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("agentbar-bridge: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let code = rt.block_on(async move {
        let static_dir = opts.static_dir.clone();
        let summary = format!(
            "instance={} endpoint={} signature={:?} auth={} access_key_id={}",
            opts.settings.instance_id,
            opts.settings.endpoint,
            opts.settings.signature,
            opts.settings.auth.mode(),
            mask(&opts.settings.access_key.id),
        );
        let stores = match &opts.redis {
            None => agentbar_bridge::store::Stores::in_memory(),
            Some(url) => match agentbar_bridge::store_redis::redis_stores(url, &opts.redis_prefix).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("agentbar-bridge: {e}");
                    return 2;
                }
            },
        };
        let store = if opts.redis.is_some() { "redis" } else { "memory" };
        let summary = format!("{summary} store={store}");
        let state = match AppState::with_stores(opts.settings, stores, stderr_log()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("agentbar-bridge: {e}");
                return 2;
            }
        };
        let listener = match tokio::net::TcpListener::bind((opts.bind, opts.port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("agentbar-bridge: cannot bind {}:{}: {e}", opts.bind, opts.port);
                return 1;
            }
        };
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let static_note = static_dir
            .as_ref()
            .map(|d| format!(" static_dir={} (dev only)", d.display()))
            .unwrap_or_default();
        eprintln!("agentbar-bridge listening on http://{addr} {summary}{static_note}");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match agentbar_bridge::serve(listener, state, static_dir, shutdown).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("agentbar-bridge: server error: {e}");
                1
            }
        }
    });
    std::process::exit(code);
}

/// `agentbar-bridge hash-password`: read a password from stdin, print its Argon2id PHC hash.
fn hash_password() -> i32 {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("agentbar-bridge: cannot read stdin: {e}");
        return 1;
    }
    let password = input.strip_suffix('\n').unwrap_or(&input);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        eprintln!("agentbar-bridge: empty password");
        return 1;
    }
    match agentbar_bridge::auth::hash_password(password) {
        Ok(h) => {
            println!("{h}");
            0
        }
        Err(e) => {
            eprintln!("agentbar-bridge: {e}");
            1
        }
    }
}

/// First few characters of the AccessKey id, for the start line (enough to tell keys apart).
fn mask(id: &str) -> String {
    let shown: String = id.chars().take(6).collect();
    format!("{shown}…")
}
