//! End-to-end tests: an in-process bridge (port 0) in front of a tiny fake CCC that records
//! every request and checks its signature by recomputing it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentbar_bridge::auth::{hash_password_with, Agent, Agents, CookieSigner, COOKIE_NAME};
use agentbar_bridge::config::{AuthSettings, Settings};
use agentbar_bridge::server::AppState;
use agentbar_bridge::signer::{self, AccessKey, Secret, SignatureVersion};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::{json, Value};

const KEY_ID: &str = "LTAI5tTestKeyIdForBridge";
const KEY_SECRET: &str = "bridge-test-secret-MUST-NOT-LEAK-7f3a";
const COOKIE_SECRET: &str = "bridge-test-cookie-secret-0123456789abcdef";
const INSTANCE: &str = "ccc-demo";
const PASSWORD: &str = "s3cret-Passw0rd!";

// ---------------------------------------------------------------------------------------------
// fake upstream

#[derive(Clone, Debug)]
struct Seen {
    raw_query: String,
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    signature_ok: Result<(), String>,
}

impl Seen {
    fn param(&self, k: &str) -> Option<&str> {
        self.params.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers.iter().find(|(a, _)| a.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Upstream {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: Arc<Mutex<(u16, Vec<u8>)>>,
}

impl Upstream {
    fn set_reply(&self, status: u16, body: &[u8]) {
        *self.reply.lock().unwrap() = (status, body.to_vec());
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn last(&self) -> Seen {
        self.seen().last().cloned().expect("upstream was called")
    }
}

fn verify_v1(key: &AccessKey, params: &[(String, String)]) -> Result<(), String> {
    let sig = params.iter().find(|(k, _)| k == "Signature").map(|(_, v)| v.clone()).ok_or("no Signature")?;
    let rest: Vec<(String, String)> = params.iter().filter(|(k, _)| k != "Signature").cloned().collect();
    if rest.iter().find(|(k, _)| k == "AccessKeyId").map(|(_, v)| v.as_str()) != Some(key.id.as_str()) {
        return Err("wrong AccessKeyId".into());
    }
    if signer::v1_signature(&key.secret, "POST", &rest) == sig {
        Ok(())
    } else {
        Err("V1 signature mismatch".into())
    }
}

async fn start_upstream(key: AccessKey, v1: bool) -> Upstream {
    let up = Upstream {
        base: String::new(),
        seen: Default::default(),
        reply: Arc::new(Mutex::new((200, br#"{"Code":"OK","HttpStatusCode":200,"Data":{}}"#.to_vec()))),
    };
    let up2 = up.clone();
    let handler = move |method: axum::http::Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let up = up2.clone();
        let key = key.clone();
        async move {
            let raw_query = uri.query().unwrap_or("").to_string();
            let url = reqwest::Url::parse(&format!("http://x/?{raw_query}")).unwrap();
            let params: Vec<(String, String)> =
                url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let headers: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let signature_ok = if method != axum::http::Method::POST || uri.path() != "/" {
                Err(format!("unexpected {method} {}", uri.path()))
            } else if v1 {
                verify_v1(&key, &params)
            } else {
                signer::verify_v3(&key, "POST", "/", &params, &headers, &body)
            };
            up.seen.lock().unwrap().push(Seen {
                raw_query,
                params,
                headers,
                body: body.to_vec(),
                signature_ok,
            });
            let (status, body) = up.reply.lock().unwrap().clone();
            (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json;charset=utf-8")],
                body,
            )
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Upstream { base: format!("http://{addr}"), ..up }
}

// ---------------------------------------------------------------------------------------------
// bridge under test

fn cheap_hash(pw: &str) -> String {
    hash_password_with(
        pw,
        Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).unwrap()),
    )
    .unwrap()
}

fn agents() -> Agents {
    let h = cheap_hash(PASSWORD);
    let list = (101..=103)
        .map(|n| Agent {
            username: format!("agent{n}"),
            password_hash: Some(h.clone()),
            user_id: format!("agent{n}@{INSTANCE}"),
            display_name: Some(format!("Agent {n}")),
        })
        .collect();
    Agents::new(list).unwrap()
}

fn password_auth(secure: bool) -> AuthSettings {
    AuthSettings::Password {
        agents: agents(),
        cookie_secret: Secret::new(COOKIE_SECRET),
        session_ttl_secs: 3600,
        secure_cookies: secure,
    }
}

fn settings(endpoint: &str, auth: AuthSettings) -> Settings {
    Settings {
        instance_id: INSTANCE.into(),
        endpoint: endpoint.into(),
        signature: SignatureVersion::V3,
        access_key: AccessKey::new(KEY_ID, KEY_SECRET),
        auth,
        rate_per_sec: 50.0,
        burst: 100.0,
        upstream_timeout: Duration::from_secs(5),
    }
}

struct Bridge {
    base: String,
    logs: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

async fn start_bridge(settings: Settings, static_dir: Option<std::path::PathBuf>) -> Bridge {
    let logs: Arc<Mutex<Vec<String>>> = Default::default();
    let sink = logs.clone();
    let state =
        AppState::new(settings, Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()))).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(agentbar_bridge::serve(listener, state, static_dir, std::future::pending()));
    Bridge { base: format!("http://{addr}"), logs, http: reqwest::Client::new() }
}

/// Everything the browser received from one call.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers.iter().find(|(a, _)| a.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str())
    }
    /// `agentbar_ccc=<token>` from Set-Cookie.
    fn session_cookie(&self) -> String {
        let sc = self.header("set-cookie").expect("Set-Cookie");
        sc.split(';').next().unwrap().trim().to_string()
    }
}

impl Bridge {
    async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers =
            r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
        let body = r.bytes().await.unwrap().to_vec();
        Resp { status, headers, body }
    }

    async fn login(&self, user: &str, pw: &str) -> Resp {
        self.call("POST", "/ccc/login", &[], Some(&json!({"username": user, "password": pw}).to_string()))
            .await
    }

    async fn api(&self, cookie: &str, action: &str, body: &str) -> Resp {
        self.call("POST", &format!("/ccc/api?action={action}"), &[("cookie", cookie)], Some(body)).await
    }
}

fn assert_envelope(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["Code"], code);
    assert_eq!(j["HttpStatusCode"], status);
    assert!(j["Message"].is_string());
    let rid = j["RequestId"].as_str().unwrap();
    assert_eq!(rid.len(), 36);
    assert_eq!(r.header("x-request-id"), Some(rid));
}

async fn logged_in(bridge: &Bridge, user: &str) -> String {
    let r = bridge.login(user, PASSWORD).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.session_cookie()
}

// ---------------------------------------------------------------------------------------------
// tests

#[tokio::test]
async fn forwards_allowed_action_signed_with_identity_pinned() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth(false)), None).await;
    let cookie = logged_in(&bridge, "agent101").await;

    // deliberately odd formatting + unicode: must come back byte for byte
    let upstream_body = "{ \"Code\":\"OK\",\"HttpStatusCode\":200 ,\"Message\":\"无\",\n\"RequestId\":\"EEEE671A-3E24-4A04-81E6-6C4F5B39DF75\",\"Data\":{\"UserId\":\"agent101@ccc-demo\",\"SignedSkillGroupIdList\":[\"skg-1@ccc-demo\"],\"Heartbeat\":1609136956378}}  ";
    up.set_reply(200, upstream_body.as_bytes());
    let r = bridge
        .api(
            &cookie,
            "SignInGroup",
            r#"{"DeviceId":"CCC-1.0-chrome119 bs*1","SignedSkillGroupIdList":["skg-1@ccc-demo","skg-2@ccc-demo"],"Additivity":false,"UserId":"agent101@ccc-demo"}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, upstream_body.as_bytes(), "upstream JSON must be returned unchanged");
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(r.header("x-request-id").map(str::len), Some(36));

    let seen = up.last();
    seen.signature_ok.clone().unwrap();
    assert_eq!(seen.param("UserId"), Some("agent101@ccc-demo"));
    assert_eq!(seen.param("InstanceId"), Some(INSTANCE));
    assert_eq!(seen.param("SignedSkillGroupIdList"), Some(r#"["skg-1@ccc-demo","skg-2@ccc-demo"]"#));
    assert_eq!(seen.param("Additivity"), Some("false"));
    assert_eq!(seen.param("DeviceId"), Some("CCC-1.0-chrome119 bs*1"));
    assert_eq!(seen.header("x-acs-action"), Some("SignInGroup"));
    assert_eq!(seen.header("x-acs-version"), Some("2020-07-01"));
    assert_eq!(seen.header("x-acs-content-sha256"), Some(signer::EMPTY_BODY_SHA256));
    assert_eq!(seen.header("host"), Some(up.base.trim_start_matches("http://")));
    assert!(seen
        .header("authorization")
        .unwrap()
        .starts_with(&format!("ACS3-HMAC-SHA256 Credential={KEY_ID},")));
    assert!(seen.body.is_empty());
    // the query on the wire is the canonical one (space → %20, `*` → %2A)
    assert!(seen.raw_query.contains("DeviceId=CCC-1.0-chrome119%20bs%2A1"), "{}", seen.raw_query);
    // no browser cookie / secret goes upstream
    assert!(seen.header("cookie").is_none());

    // CCC errors pass through with their status and body
    let err = br#"{"Code":"InvalidOperation.UserState","HttpStatusCode":400,"Message":"User state (OFFLINE) does not meet expectations (BREAK,READY,WORKING).","RequestId":"5A2E7D4B-0000-4000-8000-000000000001","Params":["OFFLINE","BREAK,READY,WORKING"]}"#;
    up.set_reply(400, err);
    let r = bridge.api(&cookie, "ReadyForService", "{}").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, err);
    up.last().signature_ok.unwrap();
}

#[tokio::test]
async fn actions_without_user_id_get_only_instance_id() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth(false)), None).await;
    let cookie = logged_in(&bridge, "agent102").await;
    // the workbench-SDK URL shape with `Action` and extra parameters is accepted too
    let r = bridge
        .call(
            "POST",
            "/ccc/api?Action=GetCallDetailRecord&product=CloudCallCenter&version=2020-07-01&region=cn-shanghai",
            &[("cookie", &cookie)],
            Some(r#"{"ContactId":"job-10963442671187"}"#),
        )
        .await;
    assert_eq!(r.status, 200);
    let seen = up.last();
    seen.signature_ok.clone().unwrap();
    assert_eq!(seen.param("ContactId"), Some("job-10963442671187"));
    assert_eq!(seen.param("InstanceId"), Some(INSTANCE));
    assert_eq!(seen.param("UserId"), None);
    let mut names: Vec<&str> = seen.params.iter().map(|(k, _)| k.as_str()).collect();
    names.sort();
    assert_eq!(names, ["ContactId", "InstanceId"]);

    let r = bridge
        .api(&cookie, "ListRealtimeAgentStates", r#"{"PageNumber":1,"PageSize":100,"StateList":["Ready"]}"#)
        .await;
    assert_eq!(r.status, 200);
    let seen = up.last();
    assert_eq!(seen.param("PageSize"), Some("100"));
    assert_eq!(seen.param("StateList"), Some(r#"["Ready"]"#));
    assert_eq!(seen.param("UserId"), None);
}

#[tokio::test]
async fn v1_signature_mode() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), true).await;
    let mut s = settings(&up.base, password_auth(false));
    s.signature = SignatureVersion::V1;
    let bridge = start_bridge(s, None).await;
    let cookie = logged_in(&bridge, "agent101").await;
    let r = bridge.api(&cookie, "CancelAttendedTransfer", r#"{"JobId":"job-1","DeviceId":"d"}"#).await;
    assert_eq!(r.status, 200);
    let seen = up.last();
    seen.signature_ok.clone().unwrap();
    assert_eq!(seen.param("Action"), Some("CancelAttendedTransfer"));
    assert_eq!(seen.param("Version"), Some("2020-07-01"));
    assert_eq!(seen.param("SignatureMethod"), Some("HMAC-SHA1"));
    assert_eq!(seen.param("SignatureVersion"), Some("1.0"));
    assert_eq!(seen.param("UserId"), Some("agent101@ccc-demo"));
}

#[tokio::test]
async fn refusals() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth(false)), None).await;
    let cookie = logged_in(&bridge, "agent101").await;

    // not on the allowlist
    for action in ["MonitorCall", "CreateUser", "GetLoginDetails", "signingroup", ""] {
        let r = bridge.api(&cookie, action, "{}").await;
        if action.is_empty() {
            assert_envelope(&r, 400, "MissingParameter.Action");
        } else {
            assert_envelope(&r, 403, "Forbidden.Action");
        }
    }
    // another agent's identity
    let r = bridge.api(&cookie, "MakeCall", r#"{"Callee":"1390000","UserId":"agent102@ccc-demo"}"#).await;
    assert_envelope(&r, 403, "Permission.User");
    let r = bridge.api(&cookie, "MakeCall", r#"{"Callee":"1390000","userid":"agent102@ccc-demo"}"#).await;
    assert_envelope(&r, 403, "Permission.User");
    let r = bridge.api(&cookie, "PollUserStatus", r#"{"InstanceId":"ccc-other"}"#).await;
    assert_envelope(&r, 403, "Permission.User");
    // bridge-owned parameters and malformed bodies
    let r = bridge.api(&cookie, "PollUserStatus", r#"{"AccessKeyId":"x"}"#).await;
    assert_envelope(&r, 400, "Bridge.BadRequest");
    let r = bridge.api(&cookie, "PollUserStatus", "[1,2]").await;
    assert_envelope(&r, 400, "Bridge.BadRequest");
    let r = bridge.api(&cookie, "PollUserStatus", "{not json").await;
    assert_envelope(&r, 400, "Bridge.BadRequest");

    // sessions: missing, tampered, expired, forged with another secret
    let r = bridge.call("POST", "/ccc/api?action=PollUserStatus", &[], Some("{}")).await;
    assert_envelope(&r, 401, "Unauthorized.Session");
    let token = cookie.strip_prefix(&format!("{COOKIE_NAME}=")).unwrap();
    let (payload, tag) = token.split_once('.').unwrap();
    let mut bad = tag.to_string();
    let last = if bad.ends_with('A') { 'B' } else { 'A' };
    bad.pop();
    bad.push(last);
    let tampered = format!("{COOKIE_NAME}={payload}.{bad}");
    assert_envelope(&bridge.api(&tampered, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let swapped_payload = b64.encode(
        String::from_utf8(b64.decode(payload).unwrap()).unwrap().replace("agent101@", "agent102@").as_bytes(),
    );
    let swapped = format!("{COOKIE_NAME}={swapped_payload}.{tag}");
    assert_envelope(&bridge.api(&swapped, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    let signer = CookieSigner::new(Secret::new(COOKIE_SECRET), 3600, false);
    let now = agentbar_bridge::auth::now_secs();
    let expired = format!("{COOKIE_NAME}={}", signer.issue("agent101@ccc-demo", INSTANCE, now - 7200));
    assert_envelope(&bridge.api(&expired, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    assert_envelope(
        &bridge.call("GET", "/ccc/session", &[("cookie", &expired)], None).await,
        401,
        "Unauthorized.Session",
    );
    let forged_signer =
        CookieSigner::new(Secret::new("another-secret-another-secret-0123456789"), 3600, false);
    let forged = format!("{COOKIE_NAME}={}", forged_signer.issue("agent101@ccc-demo", INSTANCE, now));
    assert_envelope(&bridge.api(&forged, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    // a still-valid cookie from the same secret works (stateless: any instance can verify it)
    let fresh = format!("{COOKIE_NAME}={}", signer.issue("agent103@ccc-demo", INSTANCE, now));
    assert_eq!(bridge.api(&fresh, "PollUserStatus", "{}").await.status, 200);
    assert_eq!(up.last().param("UserId"), Some("agent103@ccc-demo"));

    // none of the refusals reached CCC
    assert_eq!(up.seen().len(), 1);
}

#[tokio::test]
async fn rate_limit_per_session() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth(false));
    s.rate_per_sec = 0.5;
    s.burst = 3.0;
    let bridge = start_bridge(s, None).await;
    let a = logged_in(&bridge, "agent101").await;
    let b = logged_in(&bridge, "agent102").await;
    for _ in 0..3 {
        assert_eq!(bridge.api(&a, "PollUserStatus", "{}").await.status, 200);
    }
    let r = bridge.api(&a, "PollUserStatus", "{}").await;
    assert_envelope(&r, 429, "Throttling.Session");
    // other agents are not affected
    assert_eq!(bridge.api(&b, "PollUserStatus", "{}").await.status, 200);
    assert_eq!(up.seen().len(), 4);
}

#[tokio::test]
async fn password_mode_login_cookie_session_logout() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth(false)), None).await;

    assert_envelope(&bridge.login("agent101", "wrong").await, 401, "Authentication.Failed");
    assert_envelope(&bridge.login("nobody", PASSWORD).await, 401, "Authentication.Failed");
    assert_envelope(&bridge.call("GET", "/ccc/session", &[], None).await, 401, "Unauthorized.Session");

    let r = bridge.login("agent101", PASSWORD).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"userId": "agent101@ccc-demo", "instanceId": INSTANCE, "displayName": "Agent 101"})
    );
    let sc = r.header("set-cookie").unwrap().to_string();
    let attrs: Vec<&str> = sc.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("agentbar_ccc=") && attrs[0].len() > 40, "{sc}");
    for want in ["HttpOnly", "SameSite=Strict", "Path=/ccc", "Max-Age=3600"] {
        assert!(attrs.contains(&want), "{want} missing in {sc}");
    }
    assert!(!attrs.contains(&"Secure"), "{sc}");
    let cookie = r.session_cookie();

    let r = bridge.call("GET", "/ccc/session", &[("cookie", &cookie)], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["userId"], "agent101@ccc-demo");
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let r = bridge.call("POST", "/ccc/logout", &[("cookie", &cookie)], None).await;
    assert_eq!(r.status, 200);
    let sc = r.header("set-cookie").unwrap();
    assert!(sc.starts_with("agentbar_ccc=;") && sc.contains("Max-Age=0") && sc.contains("Path=/ccc"), "{sc}");

    // Secure cookies when configured
    let secure = start_bridge(settings(&up.base, password_auth(true)), None).await;
    let r = secure.login("agent102", PASSWORD).await;
    assert!(r.header("set-cookie").unwrap().split(';').any(|a| a.trim() == "Secure"));
    let r = secure.call("POST", "/ccc/logout", &[], None).await;
    assert!(r.header("set-cookie").unwrap().contains("; Secure"));
}

#[tokio::test]
async fn header_mode() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let auth = AuthSettings::Header { agents: agents(), header: "X-Agentbar-User".into() };
    let bridge = start_bridge(settings(&up.base, auth), None).await;

    let r = bridge.call("GET", "/ccc/session", &[("x-agentbar-user", "agent102")], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"userId": "agent102@ccc-demo", "instanceId": INSTANCE, "displayName": "Agent 102"})
    );
    assert!(r.header("set-cookie").is_none());
    assert_envelope(
        &bridge.call("GET", "/ccc/session", &[("x-agentbar-user", "mallory")], None).await,
        401,
        "Unauthorized.Session",
    );
    assert_envelope(&bridge.call("GET", "/ccc/session", &[], None).await, 401, "Unauthorized.Session");
    // a cookie means nothing in header mode
    let signer = CookieSigner::new(Secret::new(COOKIE_SECRET), 3600, false);
    let c = format!(
        "{COOKIE_NAME}={}",
        signer.issue("agent101@ccc-demo", INSTANCE, agentbar_bridge::auth::now_secs())
    );
    assert_envelope(&bridge.api(&c, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");

    let r = bridge
        .call(
            "POST",
            "/ccc/api?action=AnswerCall",
            &[("x-agentbar-user", "agent103")],
            Some(r#"{"JobId":"job-9"}"#),
        )
        .await;
    assert_eq!(r.status, 200);
    let seen = up.last();
    seen.signature_ok.clone().unwrap();
    assert_eq!(seen.param("UserId"), Some("agent103@ccc-demo"));
    assert_eq!(seen.param("JobId"), Some("job-9"));
    assert!(seen.header("x-agentbar-user").is_none());
    let r = bridge
        .call(
            "POST",
            "/ccc/api?action=AnswerCall",
            &[("x-agentbar-user", "agent103")],
            Some(r#"{"UserId":"agent101@ccc-demo"}"#),
        )
        .await;
    assert_envelope(&r, 403, "Permission.User");
    // login in header mode just reports the proxy's identity
    let r = bridge.call("POST", "/ccc/login", &[("x-agentbar-user", "agent101")], Some("{}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["userId"], "agent101@ccc-demo");
    assert_envelope(&bridge.call("POST", "/ccc/login", &[], Some("{}")).await, 401, "Authentication.Failed");
}

#[tokio::test]
async fn upstream_unreachable_is_502() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let bridge = start_bridge(settings(&dead, password_auth(false)), None).await;
    let cookie = logged_in(&bridge, "agent101").await;
    let r = bridge.api(&cookie, "PollUserStatus", "{}").await;
    assert_envelope(&r, 502, "Bridge.Upstream");
    let logs = bridge.logs.lock().unwrap().join("\n");
    assert!(logs.contains("upstream=connect"), "{logs}");
}

#[tokio::test]
async fn demo_mode_agents_and_key() {
    let up = start_upstream(
        AccessKey::new("LTAI5tAgentbarDemoKey", "agentbar-demo-secret-not-for-production"),
        false,
    )
    .await;
    let args: Vec<String> = ["--demo", "--endpoint", &up.base].iter().map(|s| s.to_string()).collect();
    let opts = agentbar_bridge::parse_serve(&args, &|_| None).unwrap();
    let bridge = start_bridge(opts.settings, None).await;
    for n in 101..=105 {
        let r = bridge.login(&format!("agent{n}"), "agent123").await;
        assert_eq!(r.status, 200, "agent{n}");
        assert_eq!(r.json()["userId"], format!("agent{n}@ccc-demo"));
        assert_eq!(r.json()["instanceId"], "ccc-demo");
    }
    assert_eq!(bridge.login("agent101", "agent124").await.status, 401);
    let cookie = bridge.login("agent105", "agent123").await.session_cookie();
    assert_eq!(bridge.api(&cookie, "PollUserStatus", r#"{"DeviceId":"agentbar"}"#).await.status, 200);
    let seen = up.last();
    seen.signature_ok.clone().unwrap();
    assert_eq!(seen.param("UserId"), Some("agent105@ccc-demo"));
}

#[tokio::test]
async fn static_dir_is_served_beside_ccc_routes() {
    let dir = std::env::temp_dir().join(format!("agentbar-bridge-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>agentbar</title>").unwrap();
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth(false)), Some(dir.clone())).await;
    let r = bridge.call("GET", "/", &[], None).await;
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("agentbar"));
    assert_envelope(&bridge.call("GET", "/ccc/nope", &[], None).await, 404, "NotFound");
    assert_envelope(&bridge.call("GET", "/ccc/api", &[], None).await, 405, "MethodNotAllowed");
    let no_static = start_bridge(settings(&up.base, password_auth(false)), None).await;
    assert_envelope(&no_static.call("GET", "/", &[], None).await, 404, "NotFound");
}

/// Run a full session and check that nothing the browser receives, and no log line, contains
/// the AccessKey secret or id; logs also never contain the cookie, the password or the
/// Authorization header.
#[tokio::test]
async fn secrets_never_reach_the_browser_or_the_logs() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut received: Vec<Resp> = Vec::new();
    let mut all_logs: Vec<String> = Vec::new();
    let mut authorizations: Vec<String> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();

    for sig in [SignatureVersion::V3, SignatureVersion::V1] {
        let mut s = settings(&up.base, password_auth(true));
        s.signature = sig;
        s.burst = 5.0;
        s.rate_per_sec = 0.1;
        let bridge = start_bridge(s, None).await;
        received.push(bridge.login("agent101", "wrong-password-xyz").await);
        let login = bridge.login("agent101", PASSWORD).await;
        let cookie = login.session_cookie();
        cookies.push(cookie.clone());
        received.push(login);
        received.push(bridge.call("GET", "/ccc/session", &[("cookie", &cookie)], None).await);
        // upstream echoes something harmless; then an upstream error
        up.set_reply(200, br#"{"Code":"OK","HttpStatusCode":200,"Data":{"UserState":"READY"}}"#);
        received.push(
            bridge
                .api(&cookie, "SignInGroup", r#"{"DeviceId":"d","SignedSkillGroupIdList":["s@ccc-demo"]}"#)
                .await,
        );
        up.set_reply(
            403,
            br#"{"Code":"Forbidden.RAM","HttpStatusCode":403,"Message":"denied","RequestId":"X"}"#,
        );
        received.push(bridge.api(&cookie, "ReadyForService", "{}").await);
        received.push(bridge.api(&cookie, "MonitorCall", "{}").await);
        received.push(bridge.api(&cookie, "MakeCall", r#"{"UserId":"agent102@ccc-demo"}"#).await);
        received.push(bridge.api(&cookie, "PollUserStatus", r#"{"Signature":"x"}"#).await);
        received.push(bridge.api(&cookie, "PollUserStatus", "{}").await);
        received.push(bridge.api(&cookie, "PollUserStatus", "{}").await); // 429
        received.push(bridge.call("POST", "/ccc/api?action=PollUserStatus", &[], Some("{}")).await);
        received.push(bridge.call("GET", "/nope", &[], None).await);
        received.push(bridge.call("POST", "/ccc/logout", &[("cookie", &cookie)], None).await);
        all_logs.extend(bridge.logs.lock().unwrap().iter().cloned());
    }
    // a bridge whose upstream is down
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    for sig in [SignatureVersion::V3, SignatureVersion::V1] {
        let mut s = settings(&dead, password_auth(false));
        s.signature = sig;
        let bridge = start_bridge(s, None).await;
        let login = bridge.login("agent102", PASSWORD).await;
        let cookie = login.session_cookie();
        cookies.push(cookie.clone());
        received.push(login);
        let r = bridge.api(&cookie, "PollUserStatus", "{}").await;
        assert_eq!(r.status, 502);
        received.push(r);
        all_logs.extend(bridge.logs.lock().unwrap().iter().cloned());
    }
    for seen in up.seen() {
        if let Some(a) = seen.header("authorization") {
            authorizations.push(a.to_string());
        }
        if let Some(sig) = seen.param("Signature") {
            authorizations.push(sig.to_string());
        }
    }

    assert!(received.len() > 25);
    assert!(!authorizations.is_empty());
    assert!(received.iter().any(|r| r.status == 429));
    let statuses: Vec<u16> = received.iter().map(|r| r.status).collect();
    for want in [200, 400, 401, 403, 404, 429, 502] {
        assert!(statuses.contains(&want), "no {want} in {statuses:?}");
    }
    // one log line per request, with request id, user, action, upstream status, duration
    assert_eq!(all_logs.len(), received.len(), "{all_logs:#?}");
    assert!(all_logs.iter().any(|l| l.contains("user=agent101@ccc-demo")
        && l.contains("action=SignInGroup")
        && l.contains("upstream=200")));
    assert!(all_logs.iter().all(|l| l.contains(" req=") && l.contains(" dur_ms=")));

    let browser: String = received
        .iter()
        .map(|r| {
            let headers: Vec<String> = r.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!("{}\n{}\n{}", r.status, headers.join("\n"), String::from_utf8_lossy(&r.body))
        })
        .collect::<Vec<_>>()
        .join("\n----\n");
    let logs = all_logs.join("\n");
    for (what, needle) in
        [("AccessKey secret", KEY_SECRET), ("AccessKey id", KEY_ID), ("cookie secret", COOKIE_SECRET)]
    {
        assert!(!browser.contains(needle), "{what} reached the browser");
        assert!(!logs.contains(needle), "{what} was logged");
    }
    assert!(!logs.contains(PASSWORD) && !logs.contains("wrong-password-xyz"), "password was logged");
    assert!(!logs.to_ascii_lowercase().contains("authorization") && !logs.contains("ACS3-HMAC-SHA256"));
    for a in &authorizations {
        assert!(!logs.contains(a.as_str()) && !browser.contains(a.as_str()), "signature leaked");
    }
    for c in &cookies {
        let token = c.split_once('=').unwrap().1;
        assert!(!logs.contains(token), "session cookie was logged");
    }
}
