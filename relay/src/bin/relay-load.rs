//! `relay-load`: the relay's load test (run by scripts/relay-load.sh, which starts Redis, the
//! simulator and two relay instances). Loopback only; stops by itself.
//!
//! 1. A stand-in load balancer for the gateway's callbacks (round robin over the relays, the
//!    next one on a connection error) on `--lb-port`; the relays' `--public-url` points at it.
//! 2. `--agents` agents sign in to the simulator in push mode (callBackUri + serviceToken from
//!    the relay) and each opens an SSE stream (a ticket from its Guid) on relay i % 2.
//! 3. Calls are offered at `--rate` per second for `--duration` s (each hung up by the customer
//!    after `--talk-ms`); at `--kill-at` s relay A is killed (SIGKILL) and its clients reconnect
//!    to B with Last-Event-ID.
//! 4. Prints latency (callback received at a relay → event read by the client), upstream calls
//!    per second against what polling would cost, memory per connection, and the failover count
//!    of losses and duplicates, then a summary block for the README.

use agentbar_relay::client::SseReader;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Args {
    sim: String,
    relays: Vec<String>,
    pids: Vec<u32>,
    agents: usize,
    first_agent: usize,
    rate: f64,
    duration: u64,
    kill_at: u64,
    talk_ms: u64,
    lb_port: u16,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        sim: "http://127.0.0.1:8043".into(),
        relays: Vec::new(),
        pids: Vec::new(),
        agents: 2000,
        first_agent: 1001,
        rate: 40.0,
        duration: 60,
        kill_at: 30,
        talk_ms: 1500,
        lb_port: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<f64>().map_err(|_| format!("{flag}: {v}"));
        match flag.as_str() {
            "--sim" => a.sim = v,
            "--relays" => a.relays = v.split(',').map(String::from).collect(),
            "--pids" => a.pids = v.split(',').filter_map(|p| p.parse().ok()).collect(),
            "--agents" => a.agents = num(&v)? as usize,
            "--first-agent" => a.first_agent = num(&v)? as usize,
            "--rate" => a.rate = num(&v)?,
            "--duration" => a.duration = num(&v)? as u64,
            "--kill-at" => a.kill_at = num(&v)? as u64,
            "--talk-ms" => a.talk_ms = num(&v)? as u64,
            "--lb-port" => a.lb_port = num(&v)? as u16,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.relays.len() != 2 || a.pids.len() != 2 || a.lb_port == 0 {
        return Err("need --relays A,B --pids a,b --lb-port P".into());
    }
    Ok(a)
}

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(String::from))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

// ------------------------------------------------------------------------------- callback LB

async fn run_lb(port: u16, relays: Vec<String>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: HeaderMap, body: axum::body::Bytes| {
            let (http, relays, next) = (http.clone(), relays.clone(), next.clone());
            async move {
                let start = next.fetch_add(1, Ordering::Relaxed);
                for i in 0..relays.len() {
                    let target = &relays[(start + i) % relays.len()];
                    let mut req = http
                        .post(format!("{target}{}", uri.path_and_query().map_or("", |p| p.as_str())))
                        .body(body.clone());
                    for (k, v) in &headers {
                        if k == "service_token" || k == "content-type" {
                            req = req.header(k, v);
                        }
                    }
                    if let Ok(r) = req.send().await {
                        let status =
                            StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                        let b = r.bytes().await.unwrap_or_default();
                        return (status, b);
                    }
                }
                (StatusCode::BAD_GATEWAY, axum::body::Bytes::new())
            }
        },
    );
    let l = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("lb port");
    let _ = axum::serve(l, app).await;
}

// ------------------------------------------------------------------------------- clients

#[derive(Default)]
struct ClientStats {
    /// seq → times received.
    seen: BTreeMap<u64, u32>,
    huawei: u64,
    latencies_us: Vec<u64>,
    /// Events received by the relay while this client was reconnecting (delivered by replay).
    replayed_us: Vec<u64>,
    reconnects: u32,
    reconnect_ms: Vec<u64>,
    resets: u32,
    /// Index of the relay the stream is on.
    on: usize,
    connected: bool,
}

struct Agent {
    id: String,
    guid: Mutex<String>,
    stats: Mutex<ClientStats>,
}

async fn ticket(http: &reqwest::Client, relay: &str, agent: &Agent) -> Result<String, String> {
    let guid = agent.guid.lock().unwrap().clone();
    let r = http
        .post(format!("{relay}/relay/ticket"))
        .header("guid", guid)
        .json(&json!({"vendor": "huawei", "agentId": agent.id}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("ticket {}", r.status()));
    }
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    v["ticket"].as_str().map(String::from).ok_or_else(|| "no ticket".into())
}

async fn client(
    http: reqwest::Client,
    relays: Vec<String>,
    agent: Arc<Agent>,
    first: usize,
    stop: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
) {
    let mut idx = first;
    // The last id as the relay sent it (`<gen>.<seq>`), and its seq.
    let mut last: Option<String> = None;
    let mut lost_at: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let relay = &relays[idx];
        let t = match ticket(&http, relay, &agent).await {
            Ok(t) => t,
            Err(_) => {
                idx = (idx + 1) % relays.len();
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut req = http.get(format!("{relay}/relay/stream?ticket={t}"));
        if let Some(l) = &last {
            req = req.header("last-event-id", l.as_str());
        }
        let resp = match req.send().await {
            Ok(r) if r.status().is_success() => r,
            _ => {
                idx = (idx + 1) % relays.len();
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        {
            let mut s = agent.stats.lock().unwrap();
            s.on = idx;
            s.connected = true;
            if let Some(at) = lost_at.take() {
                s.reconnects += 1;
                s.reconnect_ms.push(at.elapsed().as_millis() as u64);
            }
        }
        open.fetch_add(1, Ordering::Relaxed);
        let connected_us = now_us();
        let mut reader = SseReader::new(resp);
        loop {
            let ev = tokio::select! {
                ev = reader.next() => ev,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {
                    if stop.load(Ordering::Relaxed) { break; }
                    continue;
                }
            };
            let Some(ev) = ev else { break };
            let got = now_us();
            if ev.event == "reset" {
                agent.stats.lock().unwrap().resets += 1;
                continue;
            }
            let Some(seq) = ev.id.as_deref().and_then(agentbar_relay::server::parse_id).map(|p| p.seq) else {
                continue;
            };
            last = ev.id.clone();
            let rx =
                ev.comments.iter().find_map(|c| c.strip_prefix("rx=")).and_then(|n| n.parse::<u64>().ok());
            let mut s = agent.stats.lock().unwrap();
            *s.seen.entry(seq).or_default() += 1;
            match ev.event.as_str() {
                "huawei" => {
                    s.huawei += 1;
                    match rx {
                        Some(rx) if rx < connected_us => s.replayed_us.push(got.saturating_sub(rx)),
                        Some(rx) => s.latencies_us.push(got.saturating_sub(rx)),
                        None => {}
                    }
                }
                "guid" => {
                    if let Some(g) = serde_json::from_str::<Value>(&ev.data)
                        .ok()
                        .and_then(|v| v["guid"].as_str().map(String::from))
                    {
                        *agent.guid.lock().unwrap() = g;
                    }
                }
                _ => {}
            }
        }
        open.fetch_sub(1, Ordering::Relaxed);
        agent.stats.lock().unwrap().connected = false;
        if stop.load(Ordering::Relaxed) {
            break;
        }
        lost_at = Some(Instant::now());
        idx = (idx + 1) % relays.len();
    }
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn get_json(http: &reqwest::Client, url: String) -> Value {
    match http.get(&url).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("relay-load: {e}");
            std::process::exit(2);
        }
    };
    let t0 = Instant::now();
    let say = |m: String| println!("[{:6.1}s] {m}", t0.elapsed().as_secs_f64());
    tokio::spawn(run_lb(args.lb_port, args.relays.clone()));
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .pool_max_idle_per_host(4096)
        .build()
        .unwrap();
    let rss_before: Vec<u64> = args.pids.iter().map(|p| rss_kib(*p)).collect();

    // Sign-in, push mode.
    let agents: Vec<Arc<Agent>> = (0..args.agents)
        .map(|i| {
            Arc::new(Agent {
                id: (args.first_agent + i).to_string(),
                guid: Mutex::default(),
                stats: Mutex::default(),
            })
        })
        .collect();
    let failed = Arc::new(AtomicU64::new(0));
    futures_util::StreamExt::for_each_concurrent(futures_util::stream::iter(agents.iter().cloned().enumerate()), 64, |(i, a)| {
        let (http, args, failed) = (http.clone(), args.clone(), failed.clone());
        async move {
            let relay = &args.relays[i % 2];
            let params: Value = match http.post(format!("{relay}/relay/huawei/push-params")).json(&json!({"agentId": a.id})).send().await {
                Ok(r) => r.json().await.unwrap_or(Value::Null),
                Err(_) => Value::Null,
            };
            let body = json!({"password": "agent123", "phonenum": format!("7{}", a.id), "autoanswer": true,
                              "callBackUri": params["callBackUri"], "serviceToken": params["serviceToken"]});
            let r = http.put(format!("{}/agentgateway/resource/onlineagent/{}", args.sim, a.id)).json(&body).send().await;
            match r.ok().and_then(|r| r.headers().get("set-guid").and_then(|v| v.to_str().ok()).map(String::from)) {
                Some(g) => *a.guid.lock().unwrap() = g.trim_start_matches("JSESSIONID=").to_string(),
                None => {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    })
    .await;
    say(format!(
        "{} agents signed in to the simulator in push mode ({} failed)",
        args.agents,
        failed.load(Ordering::Relaxed)
    ));

    // Streams.
    let stop = Arc::new(AtomicBool::new(false));
    let open = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (i, a) in agents.iter().enumerate() {
        tasks.push(tokio::spawn(client(
            http.clone(),
            args.relays.clone(),
            a.clone(),
            i % 2,
            stop.clone(),
            open.clone(),
        )));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let wait_start = Instant::now();
    while open.load(Ordering::Relaxed) < args.agents && wait_start.elapsed() < Duration::from_secs(40) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rss_after: Vec<u64> = args.pids.iter().map(|p| rss_kib(*p)).collect();
    let connected = open.load(Ordering::Relaxed);
    say(format!(
        "{connected} SSE streams open (relay A {} / B {})",
        connected - connected / 2,
        connected / 2
    ));
    let per_conn_kib = (rss_after.iter().sum::<u64>() as f64 - rss_before.iter().sum::<u64>() as f64)
        / connected.max(1) as f64;

    // Steady phase.
    let _ = http.delete(format!("{}/sim/counts", args.sim)).send().await;
    let relay_stats_start: Vec<Value> = futures_util::future::join_all(
        args.relays.iter().map(|r| get_json(&http, format!("{r}/relay/stats"))),
    )
    .await;
    let steady = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let mut next_at = steady;
    let mut offered = 0u64;
    let offer_fail = Arc::new(AtomicU64::new(0));
    let mut killed_at: Option<Instant> = None;
    let mut on_a_at_kill = 0usize;
    let mut i = 0usize;
    while steady.elapsed() < Duration::from_secs(args.duration) {
        if killed_at.is_none() && steady.elapsed() >= Duration::from_secs(args.kill_at) {
            on_a_at_kill = agents.iter().filter(|a| a.stats.lock().unwrap().on == 0).count();
            let _ = std::process::Command::new("kill").arg("-9").arg(args.pids[0].to_string()).status();
            killed_at = Some(Instant::now());
            say(format!("killed relay A (pid {}) holding {on_a_at_kill} streams", args.pids[0]));
        }
        next_at += interval;
        let agent = agents[i % agents.len()].id.clone();
        i += 1;
        offered += 1;
        let (http, sim, talk, fail) = (http.clone(), args.sim.clone(), args.talk_ms, offer_fail.clone());
        tokio::spawn(async move {
            let r = http.post(format!("{sim}/sim/offer")).json(&json!({"agent": agent})).send().await;
            let callid = match r {
                Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["callid"].as_str().map(String::from)),
                Err(_) => None,
            };
            let Some(callid) = callid else {
                fail.fetch_add(1, Ordering::Relaxed);
                return;
            };
            tokio::time::sleep(Duration::from_millis(talk)).await;
            let _ =
                http.post(format!("{sim}/sim/customer-hangup")).json(&json!({"callid": callid})).send().await;
        });
        let now = Instant::now();
        if next_at > now {
            tokio::time::sleep(next_at - now).await;
        }
    }
    let steady_s = steady.elapsed().as_secs_f64();
    let counts = get_json(&http, format!("{}/sim/counts", args.sim)).await;
    let relay_b_stats = get_json(&http, format!("{}/relay/stats", args.relays[1])).await;
    say(format!(
        "offered {offered} calls in {steady_s:.0} s ({} refused); draining",
        offer_fail.load(Ordering::Relaxed)
    ));

    // Drain: wait until every client has every event the simulator pushed.
    tokio::time::sleep(Duration::from_millis(args.talk_ms + 500)).await;
    let mut counts_final = Value::Null;
    let drain = Instant::now();
    while drain.elapsed() < Duration::from_secs(15) {
        counts_final = get_json(&http, format!("{}/sim/counts", args.sim)).await;
        let behind = agents.iter().filter(|a| {
            let pushed = counts_final["agents"][&a.id]["pushEvents"].as_u64().unwrap_or(0);
            a.stats.lock().unwrap().huawei < pushed + 2
        });
        if behind.count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
    }

    // ---------------------------------------------------------------- figures
    let mut lat: Vec<u64> = Vec::new();
    let mut replayed: Vec<u64> = Vec::new();
    let (mut dups, mut gaps, mut lost_huawei, mut extra_huawei, mut resets) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut reconnected, mut rec_ms) = (0u64, Vec::new());
    let mut delivered = 0u64;
    for a in &agents {
        let s = a.stats.lock().unwrap();
        lat.extend_from_slice(&s.latencies_us);
        replayed.extend_from_slice(&s.replayed_us);
        dups += s.seen.values().map(|n| u64::from(n.saturating_sub(1))).sum::<u64>();
        let max = s.seen.keys().next_back().copied().unwrap_or(0);
        gaps += max - s.seen.len() as u64;
        // Sign-in events (InService, Ready) were pushed before the counts were cleared.
        let pushed = counts_final["agents"][&a.id]["pushEvents"].as_u64().unwrap_or(0) + 2;
        lost_huawei += pushed.saturating_sub(s.huawei);
        extra_huawei += s.huawei.saturating_sub(pushed);
        delivered += s.huawei;
        resets += u64::from(s.resets);
        reconnected += u64::from(s.reconnects.min(1));
        rec_ms.extend_from_slice(&s.reconnect_ms);
    }
    lat.sort_unstable();
    replayed.sort_unstable();
    rec_ms.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    let total = &counts["total"];
    let n = args.agents as f64;
    let handshakes = total["handshakes"].as_u64().unwrap_or(0);
    let checks = total["agentStatus"].as_u64().unwrap_or(0);
    let long_polls = total["longPolls"].as_u64().unwrap_or(0);
    let pushes = total["pushPosts"].as_u64().unwrap_or(0);
    let push_fail = counts_final["total"]["pushFailures"].as_u64().unwrap_or(0);
    let upstream_per_s = (handshakes + checks + long_polls) as f64 / steady_s;
    let poll_per_s = n / 10.3;
    let ccc_per_s = n / 1.0;
    let stats_delta = |k: &str| {
        relay_b_stats[k].as_u64().unwrap_or(0).saturating_sub(relay_stats_start[1][k].as_u64().unwrap_or(0))
    };
    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();

    println!();
    println!(
        "latency, callback received at a relay -> event read from the SSE stream (live, {} events):",
        lat.len()
    );
    println!(
        "  p50 {:.2} ms   p95 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.95)),
        ms(pct(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or(0))
    );
    println!("  replayed after the failover (received while the client reconnected, {} events): p50 {:.1} ms, max {:.1} ms", replayed.len(), ms(pct(&replayed, 0.5)), ms(replayed.last().copied().unwrap_or(0)));
    println!("upstream API calls during the {steady_s:.0} s steady phase (counted at the simulator):");
    println!("  handshakes {handshakes}, credential checks (agentstatus) {checks}, long-polls {long_polls} -> {upstream_per_s:.1}/s");
    println!("  (and {pushes} callback POSTs from the gateway, {push_fail} failed after retries)");
    println!("  polling instead: {n:.0} agents long-polling (10 s hold + 0.3 s) = {poll_per_s:.0}/s; CCC PollUserStatus 1/s = {ccc_per_s:.0}/s");
    println!("memory: relays' RSS {} KiB -> {} KiB with {connected} streams = {per_conn_kib:.1} KiB per connection", rss_before.iter().sum::<u64>(), rss_after.iter().sum::<u64>());
    println!("failover: relay A killed at {} s holding {on_a_at_kill} streams; {reconnected} clients reconnected (p50 {} ms, max {} ms)", args.kill_at, pct(&rec_ms, 0.5), rec_ms.last().copied().unwrap_or(0));
    println!("  events delivered {delivered}; duplicates {} ; losses {} (gaps in ids {gaps}, gateway events missing {lost_huawei}); resets {resets}", dups + extra_huawei, gaps.max(lost_huawei));
    println!(
        "  relay B during the steady phase: {} events in, {} out, {} tickets",
        stats_delta("eventsIn"),
        stats_delta("eventsOut"),
        stats_delta("ticketsIssued")
    );
    println!();
    println!("---- summary ({date}, relay-load: {} agents, {} calls/s for {} s, 2 relays on Redis, loopback, 2 cores) ----", args.agents, args.rate, args.duration);
    println!("| figure | result |");
    println!("|---|---|");
    println!(
        "| SSE streams connected | {connected} of {} (relay A {on_a_at_kill} at the kill) |",
        args.agents
    );
    println!("| callback → stream latency (live) | p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({} events; {} more replayed after the failover, p50 {:.0} ms) |", ms(pct(&lat, 0.5)), ms(pct(&lat, 0.95)), ms(pct(&lat, 0.99)), lat.len(), replayed.len(), ms(pct(&replayed, 0.5)));
    println!("| upstream calls | {upstream_per_s:.1}/s (handshakes + ticket checks, 0 long-polls) vs {poll_per_s:.0}/s long-polling, {ccc_per_s:.0}/s PollUserStatus |");
    println!("| memory per connection | {per_conn_kib:.1} KiB (RSS of both relays) |");
    println!("| kill one relay mid-run | {reconnected} clients reconnected with Last-Event-ID (p50 {} ms); duplicates {}, losses {} |", pct(&rec_ms, 0.5), dups + extra_huawei, gaps.max(lost_huawei));
    println!("----");
    let ok =
        connected == args.agents && dups + extra_huawei == 0 && gaps.max(lost_huawei) == 0 && long_polls == 0;
    std::process::exit(if ok { 0 } else { 1 });
}
