//! CCC test harness: a small V3 (ACS3-HMAC-SHA256) signer of its own, checked against the
//! vectors the official Python SDK produced (tests/vectors/ccc_signatures.json), and helpers that
//! call CCC actions on an in-process simulator.
#![allow(dead_code)]

use agentbar_sim::crypto::{hex, hmac_sha256, sha256};
use serde_json::{json, Value};
use std::path::PathBuf;

pub const AK_ID: &str = "LTAI5tAgentbarDemoKey";
pub const AK_SECRET: &str = "agentbar-demo-secret-not-for-production";

/// RFC 3986 encoding as the SDK's `quote(v, safe='~')`.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn query_string(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// The `Authorization` header of a V3 request (every given header is signed).
pub fn sign_v3(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
    ak: &str,
    secret: &str,
) -> String {
    let mut hs: Vec<(String, String)> =
        headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string())).collect();
    hs.sort();
    let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = hs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let canonical = format!(
        "{method}\n/\n{}\n{canonical_headers}\n{signed}\n{}",
        query_string(query),
        hex(&sha256(body))
    );
    let sts = format!("ACS3-HMAC-SHA256\n{}", hex(&sha256(canonical.as_bytes())));
    let sig = hex(&hmac_sha256(secret.as_bytes(), sts.as_bytes()));
    format!("ACS3-HMAC-SHA256 Credential={ak},SignedHeaders={signed},Signature={sig}")
}

pub fn vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/ccc_signatures.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/aliyun").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub struct Ccc {
    pub base: String,
    pub http: reqwest::Client,
    pub instance: String,
    nonce: std::sync::atomic::AtomicU64,
}

/// Answer of one CCC request: HTTP status and JSON body.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Ccc {
    pub fn new(base: &str) -> Ccc {
        Ccc {
            base: base.to_string(),
            http: reqwest::Client::new(),
            instance: "ccc-demo".into(),
            nonce: Default::default(),
        }
    }

    /// A V3-signed `POST /?<params>` the way the SDK sends it (Action in `x-acs-action`).
    pub async fn send(&self, action: &str, params: &[(&str, &str)], key: (&str, &str)) -> Answer {
        let mut query: Vec<(String, String)> =
            params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if !params.iter().any(|(k, _)| *k == "InstanceId") {
            query.push(("InstanceId".into(), self.instance.clone()));
        }
        let host = self.base.trim_start_matches("http://").to_string();
        let n = self.nonce.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let headers = vec![
            ("host".to_string(), host),
            ("x-acs-action".to_string(), action.to_string()),
            ("x-acs-version".to_string(), "2020-07-01".to_string()),
            ("x-acs-date".to_string(), "2024-05-01T08:00:00Z".to_string()),
            ("x-acs-signature-nonce".to_string(), format!("test-nonce-{n}")),
            ("x-acs-content-sha256".to_string(), hex(&sha256(b""))),
            ("accept".to_string(), "application/json".to_string()),
        ];
        let auth = sign_v3("POST", &query, &headers, b"", key.0, key.1);
        let mut req = self.http.post(format!("{}/?{}", self.base, query_string(&query)));
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            req = req.header(k, v);
        }
        let resp = req.header("Authorization", auth).send().await.expect("request");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("JSON answer");
        assert_eq!(body["HttpStatusCode"], json!(status), "HttpStatusCode = HTTP status: {body}");
        assert!(body["RequestId"].as_str().is_some_and(|r| !r.is_empty()), "{body}");
        Answer { status, body }
    }

    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send(action, params, (AK_ID, AK_SECRET)).await
    }

    /// Must succeed; returns `Data`.
    pub async fn ok(&self, action: &str, params: &[(&str, &str)]) -> Value {
        let a = self.call(action, params).await;
        assert_eq!((a.status, a.body["Code"].as_str()), (200, Some("OK")), "{action}: {}", a.body);
        a.body["Data"].clone()
    }

    /// Must fail with that status and code; returns the whole body.
    pub async fn err(&self, action: &str, params: &[(&str, &str)], status: u16, code: &str) -> Value {
        let a = self.call(action, params).await;
        assert_eq!((a.status, a.body["Code"].as_str()), (status, Some(code)), "{action}: {}", a.body);
        assert!(a.body.get("Data").is_none(), "no Data on errors: {}", a.body);
        assert!(a.body["Message"].as_str().is_some_and(|m| !m.is_empty()));
        a.body
    }
}

/// The channel of `data.CallContext` with that CallType (and user, when given).
pub fn channel<'a>(data: &'a Value, call_type: &str, user: Option<&str>) -> &'a Value {
    data["CallContext"]["ChannelContexts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["CallType"] == call_type && user.is_none_or(|u| c["UserId"] == u))
        .unwrap_or_else(|| panic!("no {call_type} channel in {data}"))
}

/// The customer leg (empty UserId).
pub fn customer(data: &Value) -> &Value {
    data["CallContext"]["ChannelContexts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["UserId"] == "")
        .unwrap_or_else(|| panic!("no customer channel in {data}"))
}

/// Event names of an EventSequence.
pub fn events(seq: &Value) -> Vec<String> {
    seq["EventSequence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Event"].as_str().unwrap().to_string())
        .collect()
}

/// Same keys and values (key order free).
pub fn assert_same(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let mut ak: Vec<_> = a.keys().collect();
            let mut ek: Vec<_> = e.keys().collect();
            ak.sort();
            ek.sort();
            assert_eq!(ak, ek, "keys differ at {path}");
            for (k, v) in e {
                assert_same(&a[k], v, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "length differs at {path}");
            for (i, (x, y)) in a.iter().zip(e).enumerate() {
                assert_same(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(actual, expected, "value differs at {path}"),
    }
}
