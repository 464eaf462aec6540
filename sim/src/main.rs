//! `agentbar-sim` command line: `[--port 8043] [--config file.json] [--demo] [--static-dir dist]
//! [--knobs JSON] [--ccc-sip-server URL] [--ccc-user JSON]...`.

use agentbar_sim::config::SimConfig;
use agentbar_sim::ServeOptions;
use std::path::PathBuf;

const USAGE: &str = "\
agentbar-sim: Huawei CEC CC-Gateway + Alibaba Cloud CCC agent API simulator (plain HTTP on 127.0.0.1)

USAGE: agentbar-sim [--port N] [--config FILE] [--demo] [--static-dir DIR]
                    [--knobs JSON] [--ccc-sip-server URL] [--ccc-user JSON]...

  --port N          port to bind on 127.0.0.1 (default 8043; 0 picks a free one)
  --config FILE     JSON config: agents, skills, access codes, knobs, scenario
                    (default: the built-in demo directory, see sim/README.md)
  --demo            offer a call to the demo agent (101) about every 30 s while idle
  --static-dir DIR  also serve a built web app (e.g. Trunk dist/) at / with index.html fallback
  --knobs JSON      knobs over the config's, as POST /sim/config takes them (kept by /sim/reset)
  --ccc-sip-server URL
                    CCC GetLoginDetails SipServerUrl (knob cccSipServerUrl), e.g.
                    127.0.0.1:5060 or ws://127.0.0.1:22271
  --ccc-user JSON   a CCC user's softphone details, as POST /sim/ccc/user takes them:
                    '{\"userId\":\"agent101@ccc-demo\",\"extension\":\"1001\",\"signature2\":\"agent1001\"}'
                    (repeatable; kept by /sim/reset)
  -h, --help        this text";

struct Args {
    port: u16,
    config: Option<PathBuf>,
    demo: bool,
    static_dir: Option<PathBuf>,
    /// `--knobs`, `--ccc-sip-server`, `--ccc-user`, applied over the config in order.
    patches: Vec<Patch>,
}

enum Patch {
    Knobs(serde_json::Value),
    CccUser(serde_json::Value),
}

fn json_arg(name: &str, v: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(v).map_err(|e| format!("{name}: not JSON: {e}"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { port: 8043, config: None, demo: false, static_dir: None, patches: Vec::new() };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value =
            |name: &str| inline.clone().or_else(|| it.next()).ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--port" => {
                let v = value("--port")?;
                args.port = v.parse().map_err(|_| format!("bad port `{v}`"))?;
            }
            "--config" => args.config = Some(PathBuf::from(value("--config")?)),
            "--static-dir" => args.static_dir = Some(PathBuf::from(value("--static-dir")?)),
            "--demo" => args.demo = true,
            "--knobs" => args.patches.push(Patch::Knobs(json_arg("--knobs", &value("--knobs")?)?)),
            "--ccc-sip-server" => {
                let url = value("--ccc-sip-server")?;
                args.patches.push(Patch::Knobs(serde_json::json!({"cccSipServerUrl": url})));
            }
            "--ccc-user" => args.patches.push(Patch::CccUser(json_arg("--ccc-user", &value("--ccc-user")?)?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("agentbar-sim: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let mut config = match &args.config {
        Some(path) => match SimConfig::from_file(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("agentbar-sim: {e}");
                std::process::exit(2);
            }
        },
        None => SimConfig::default(),
    };
    for patch in &args.patches {
        let result = match patch {
            Patch::Knobs(v) => config.knobs.patch(v).map_err(|e| format!("--knobs: {e}")),
            Patch::CccUser(v) => config.patch_ccc_user(v).map(drop).map_err(|e| format!("--ccc-user: {e}")),
        };
        if let Err(e) = result {
            eprintln!("agentbar-sim: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    }
    if let Some(dir) = &args.static_dir {
        if !dir.join("index.html").is_file() {
            eprintln!("agentbar-sim: warning: {} has no index.html", dir.display());
        }
    }
    // Loopback only: the simulator has no authentication of its own.
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("agentbar-sim: cannot bind 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    let addr =
        listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| format!("127.0.0.1:{}", args.port));
    println!(
        "agentbar-sim listening on http://{addr} (vendor API /agentgateway/resource/, CCC RPC at /, control /sim/{}{})",
        if args.demo { ", demo calls on" } else { "" },
        args.static_dir.as_ref().map(|d| format!(", static files from {}", d.display())).unwrap_or_default()
    );
    let options = ServeOptions { static_dir: args.static_dir, demo: args.demo };
    let server = agentbar_sim::serve(config, listener, options);
    tokio::select! {
        result = server => {
            if let Err(e) = result {
                eprintln!("agentbar-sim: {e}");
                std::process::exit(1);
            }
        }
        _ = tokio::signal::ctrl_c() => {}
    }
}
