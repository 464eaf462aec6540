//! CC-Gateway push sessions stay alive only while somebody sends `POST onlineagent/{id}/handshake`
//! about every 30 s (2 minutes without one signs the agent out). The relay does it for every
//! agent whose callbacks it receives, authenticated by the agent's serviceToken. With several
//! instances, a lease per agent and period lets exactly one of them send each handshake, and an
//! instance that dies leaves its agents to the others (they learn the set from the backend).
//!
//! In dynamic GUID mode the gateway's new Guid arrives on the handshake answer (`Set-GUID`);
//! it is passed to the agent's browser as a `guid` event of its stream.

use crate::backend::Backend;
use crate::server::{huawei_key, now_us, Relay, SERVICE_TOKEN_HEADER};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn jitter(max_ms: u64) -> Duration {
    Duration::from_millis((uuid::Uuid::new_v4().as_u128() % u128::from(max_ms.max(1))) as u64)
}

/// A callback arrived for `work_no` (`alive`), or told it signed out.
pub async fn note<B: Backend>(r: &Relay<B>, work_no: &str, alive: bool) {
    let changed = {
        let mut due = r.push_due.lock().unwrap_or_else(|e| e.into_inner());
        if alive {
            let new = !due.contains_key(work_no);
            if new {
                due.insert(work_no.to_string(), Instant::now() + Duration::from_millis(r.cfg.handshake_ms));
            }
            new
        } else {
            // Always told to the backend: another instance may hold the agent.
            due.remove(work_no);
            true
        }
    };
    if changed {
        if let Err(e) = r.backend.note_push_agent(work_no, alive).await {
            eprintln!("agentbar-relay[{}]: backend: {e}", r.cfg.instance);
        }
    }
}

/// Runs the handshakes until the task is dropped.
pub fn spawn<B: Backend>(r: Arc<Relay<B>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if r.cfg.gateway.is_none() {
            return;
        }
        let period = r.cfg.handshake_ms;
        let mut last_sync = Instant::now() - Duration::from_secs(3600);
        loop {
            tokio::time::sleep(Duration::from_millis(period.clamp(50, 1000))).await;
            if last_sync.elapsed() >= Duration::from_millis((period / 3).clamp(50, 10_000)) {
                last_sync = Instant::now();
                if let Ok(all) = r.backend.push_agents().await {
                    let mut due = r.push_due.lock().unwrap_or_else(|e| e.into_inner());
                    let set: std::collections::HashSet<&String> = all.iter().collect();
                    due.retain(|a, _| set.contains(a));
                    for a in &all {
                        due.entry(a.clone()).or_insert_with(|| Instant::now() + jitter(period));
                    }
                }
            }
            let now = Instant::now();
            let ready: Vec<String> = {
                let mut due = r.push_due.lock().unwrap_or_else(|e| e.into_inner());
                let ready: Vec<String> =
                    due.iter().filter(|(_, t)| **t <= now).map(|(a, _)| a.clone()).collect();
                for a in &ready {
                    due.insert(a.clone(), now + Duration::from_millis(period));
                }
                ready
            };
            futures_util::stream::iter(ready)
                .for_each_concurrent(32, |agent| {
                    let r = r.clone();
                    async move {
                        match r.backend.try_lease(&format!("hs:{agent}"), period * 9 / 10).await {
                            Ok(true) => handshake(&r, &agent).await,
                            Ok(false) => {}
                            Err(e) => eprintln!("agentbar-relay[{}]: backend: {e}", r.cfg.instance),
                        }
                    }
                })
                .await;
        }
    })
}

async fn handshake<B: Backend>(r: &Relay<B>, work_no: &str) {
    let Some(gateway) = r.cfg.gateway.as_deref() else {
        return;
    };
    r.stats.handshakes.fetch_add(1, Ordering::Relaxed);
    let answer = r
        .http
        .post(format!("{gateway}/onlineagent/{work_no}/handshake"))
        .header(SERVICE_TOKEN_HEADER, r.service_token(work_no))
        .header("content-type", "application/json; charset=UTF-8")
        .body("{}")
        .send()
        .await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            r.stats.handshakes_failed.fetch_add(1, Ordering::Relaxed);
            eprintln!("agentbar-relay[{}]: handshake {work_no}: {e}", r.cfg.instance);
            return;
        }
    };
    let set_guid = answer
        .headers()
        .get("set-guid")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("JSESSIONID=").to_string())
        .filter(|g| !g.is_empty());
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    match body.get("retcode").and_then(Value::as_str) {
        Some("0") => {
            if let Some(guid) = set_guid {
                let data = json!({"guid": guid}).to_string();
                let _ = r.publish(&huawei_key(work_no), "guid", &data, now_us()).await;
            }
        }
        other => {
            r.stats.handshakes_failed.fetch_add(1, Ordering::Relaxed);
            // Signed out (100-006) or refused: stop keeping this session alive.
            if other.is_some() {
                note(r, work_no, false).await;
            }
        }
    }
}
