//! Test harness: an in-process simulator on port 0, driven over HTTP with reqwest.
#![allow(dead_code)]

use agentbar_sim::config::SimConfig;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;

pub const DEMO_CALL: &str = "1700000000-1";

pub struct Gw {
    pub base: String,
    pub http: reqwest::Client,
    /// Latest GUID per agent (updated from `Set-GUID`).
    pub guids: HashMap<String, String>,
}

/// Test defaults: short poll wait, far parties answer at once.
pub fn test_config() -> SimConfig {
    let mut cfg = SimConfig::default();
    cfg.knobs.poll_wait_ms = 150;
    cfg.scenario.answer_delay_ms = 0;
    cfg
}

pub async fn start() -> Gw {
    start_cfg(test_config()).await
}

pub async fn start_with(knobs: Value) -> Gw {
    let mut cfg = test_config();
    cfg.knobs.patch(&knobs).expect("knobs");
    start_cfg(cfg).await
}

pub async fn start_cfg(cfg: SimConfig) -> Gw {
    start_opts(cfg, Default::default()).await
}

pub async fn start_opts(cfg: SimConfig, opts: agentbar_sim::ServeOptions) -> Gw {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(agentbar_sim::serve(cfg, listener, opts));
    Gw { base: format!("http://{addr}"), http: reqwest::Client::new(), guids: HashMap::new() }
}

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/huawei").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares `actual` with `expected` field for field. Keys named in `volatile` must be
/// present with the same JSON type but may differ in value.
pub fn assert_like(actual: &Value, expected: &Value, volatile: &[&str]) {
    fn walk(a: &Value, e: &Value, volatile: &[&str], path: &str) {
        match (a, e) {
            (Value::Object(ao), Value::Object(eo)) => {
                let ak: Vec<_> = ao.keys().collect();
                let ek: Vec<_> = eo.keys().collect();
                assert_eq!(ak, ek, "keys differ at {path}: actual {a} expected {e}");
                for (k, ev) in eo {
                    let av = &ao[k];
                    let p = format!("{path}.{k}");
                    if volatile.contains(&k.as_str()) {
                        assert_eq!(
                            std::mem::discriminant(av),
                            std::mem::discriminant(ev),
                            "type differs at {p}: {av} vs {ev}"
                        );
                    } else {
                        walk(av, ev, volatile, &p);
                    }
                }
            }
            (Value::Array(aa), Value::Array(ea)) => {
                assert_eq!(aa.len(), ea.len(), "length differs at {path}: {a} vs {e}");
                for (i, (x, y)) in aa.iter().zip(ea).enumerate() {
                    walk(x, y, volatile, &format!("{path}[{i}]"));
                }
            }
            _ => assert_eq!(a, e, "value differs at {path}"),
        }
    }
    walk(actual, expected, volatile, "$");
}

/// Asserts a poll answer matches `events/<type>.json` (eventGenTime by type only).
pub fn assert_event_fixture(poll_answer: &Value, extra_volatile: &[&str]) {
    let t = poll_answer["event"]["eventType"].as_str().expect("eventType");
    let mut volatile = vec!["eventGenTime"];
    volatile.extend_from_slice(extra_volatile);
    assert_like(poll_answer, &fixture(&format!("events/{t}.json")), &volatile);
}

fn agent_of(path: &str) -> Option<String> {
    path.split('/').nth(1).map(|s| s.split('?').next().unwrap_or(s).to_string())
}

impl Gw {
    fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/agentgateway/resource/{}", self.base, path)
        }
    }

    /// One request with an explicit Guid (None = no header) and raw body text.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        guid: Option<&str>,
        body: Option<String>,
    ) -> (reqwest::header::HeaderMap, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("Content-Type", "application/json; charset=UTF-8");
        if let Some(g) = guid {
            req = req.header("Guid", g);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if path.starts_with("/sim") {
            return (headers, value);
        }
        assert_eq!(status, 200, "vendor API always answers HTTP 200");
        (headers, value)
    }

    /// Vendor request with the path agent's current GUID.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let guid = agent_of(path).and_then(|a| self.guids.get(&a).cloned());
        self.raw(method, path, guid.as_deref(), body.map(|b| b.to_string())).await.1
    }

    /// Vendor request that must succeed (retcode "0").
    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = self.call(method, path, body).await;
        assert_eq!(v["retcode"], "0", "{method} {path} failed: {v}");
        v
    }

    /// Vendor request that must fail with `code`; the envelope must carry a message.
    pub async fn err(&self, method: &str, path: &str, body: Option<Value>, code: &str) -> Value {
        let v = self.call(method, path, body).await;
        assert_eq!(v["retcode"], code, "{method} {path}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "error needs a message: {v}");
        assert!(v.get("result").is_some(), "error envelope has result: {v}");
        v
    }

    pub async fn sign_in_with(&mut self, agent: &str, body: Value) -> (reqwest::header::HeaderMap, Value) {
        let (headers, v) =
            self.raw("PUT", &format!("onlineagent/{agent}"), None, Some(body.to_string())).await;
        if let Some(g) = set_guid(&headers) {
            self.guids.insert(agent.to_string(), g);
        }
        (headers, v)
    }

    /// Signs in with autoanswer off (as the toolbar does) and takes the sign-in events.
    pub async fn login(&mut self, agent: &str) {
        self.login_with(agent, json!({})).await;
    }

    pub async fn login_with(&mut self, agent: &str, extra: Value) {
        let n: u32 = agent.parse().unwrap();
        let mut body =
            json!({"password": "agent123", "phonenum": format!("7000{}", n - 100), "autoanswer": false});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (_, v) = self.sign_in_with(agent, body).await;
        assert_eq!(v["retcode"], "0", "sign-in {agent}: {v}");
        self.drain(agent).await;
    }

    /// One event poll; remembers a rotated GUID.
    pub async fn poll(&mut self, agent: &str) -> Value {
        let guid = self.guids.get(agent).cloned();
        let (headers, v) = self.raw("GET", &format!("agentevent/{agent}"), guid.as_deref(), None).await;
        if let Some(g) = set_guid(&headers) {
            self.guids.insert(agent.to_string(), g);
        }
        v
    }

    /// Polls until an event arrives (a few empty answers allowed).
    pub async fn next_event(&mut self, agent: &str) -> Value {
        for _ in 0..20 {
            let v = self.poll(agent).await;
            assert_eq!(v["retcode"], "0", "poll failed: {v}");
            if v.get("event").is_some_and(|e| !e.is_null()) {
                return v;
            }
        }
        panic!("no event for {agent}");
    }

    /// Takes the next events and checks their types, in order. Returns the poll answers.
    pub async fn expect(&mut self, agent: &str, types: &[&str]) -> Vec<Value> {
        let mut got = Vec::new();
        for t in types {
            let v = self.next_event(agent).await;
            assert_eq!(v["event"]["eventType"], *t, "expected {t}, got {v}; before: {got:?}");
            got.push(v);
        }
        got
    }

    /// Polls until an empty answer; returns the events taken.
    pub async fn drain(&mut self, agent: &str) -> Vec<Value> {
        let mut got = Vec::new();
        loop {
            let v = self.poll(agent).await;
            match v.get("event") {
                Some(e) if !e.is_null() => got.push(v),
                _ => return got,
            }
        }
    }

    /// The next poll is empty.
    pub async fn quiet(&mut self, agent: &str) {
        let v = self.poll(agent).await;
        assert!(v.get("event").is_none(), "expected no event, got {v}");
    }

    pub async fn ctl(&self, method: &str, path: &str, body: Value) -> Value {
        self.raw(method, path, None, Some(body.to_string())).await.1
    }

    pub async fn offer(&self, body: Value) -> String {
        let v = self.ctl("POST", "/sim/offer", body).await;
        v["callid"].as_str().unwrap_or_else(|| panic!("offer failed: {v}")).to_string()
    }

    /// Offers the standard demo call (`1700000000-1`, skill 1) to an agent.
    pub async fn offer_demo(&self, agent: &str) -> String {
        self.offer(json!({"agent": agent, "skill": 1, "caller": "13800138000", "called": "10086", "callid": DEMO_CALL}))
            .await
    }

    /// Offers, answers and takes the events up to Talking.
    pub async fn talking(&mut self, agent: &str, callid: &str) {
        self.offer(
            json!({"agent": agent, "skill": 1, "caller": "13800138000", "called": "10086", "callid": callid}),
        )
        .await;
        self.expect(agent, &["AgentEvent_Ringing", "AgentEvent_Incoming_CallInfo"]).await;
        self.ok("PUT", &format!("voicecall/{agent}/answer"), None).await;
        self.expect(agent, &["AgentEvent_Talking"]).await;
    }

    pub async fn state(&self) -> Value {
        self.ctl("GET", "/sim/state", Value::Null).await
    }

    pub async fn agent_state(&self, agent: &str) -> Value {
        let s = self.state().await;
        s["agents"].as_array().unwrap().iter().find(|a| a["workno"] == agent).cloned().unwrap()
    }

    pub async fn status_code(&self, agent: &str) -> i64 {
        let v = self.ok("GET", &format!("onlineagent/{agent}/agentstatus"), None).await;
        v["result"]["agentState"].as_i64().unwrap()
    }

    pub async fn scenario(&self, body: Value) {
        let v = self.ctl("POST", "/sim/scenario", body).await;
        assert!(v.get("error").is_none(), "{v}");
    }

    pub async fn knobs(&self, body: Value) {
        let v = self.ctl("POST", "/sim/config", body).await;
        assert!(v.get("error").is_none(), "{v}");
    }
}

/// The GUID from a `Set-GUID: JSESSIONID=<guid>` header.
pub fn set_guid(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let v = headers.get("set-guid")?.to_str().ok()?;
    v.strip_prefix("JSESSIONID=").map(str::to_string)
}
