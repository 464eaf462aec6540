//! End-to-end tests: an in-process bridge (port 0) in front of a tiny fake CCC that records
//! every request and checks its signature by recomputing it.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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

/// One hash for the whole test binary, so tests can rebuild the agents the bridge has (and
/// sign cookies for them).
fn shared_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| cheap_hash(PASSWORD))
}

fn agent_list(hash: &str) -> Vec<Agent> {
    (101..=103)
        .map(|n| Agent {
            username: format!("agent{n}"),
            password_hash: Some(hash.to_string()),
            user_id: format!("agent{n}@{INSTANCE}"),
            display_name: Some(format!("Agent {n}")),
        })
        .collect()
}

fn agents() -> Agents {
    Agents::new(agent_list(shared_hash())).unwrap()
}

fn agent(n: u32) -> Agent {
    agent_list(shared_hash()).into_iter().find(|a| a.username == format!("agent{n}")).unwrap()
}

fn password_auth() -> AuthSettings {
    AuthSettings::Password {
        agents: agents(),
        cookie_secret: Secret::new(COOKIE_SECRET),
        session_ttl_secs: 3600,
    }
}

const PROXY_SECRET: &str = "proxy-shared-secret-0123456789";

fn header_auth() -> AuthSettings {
    AuthSettings::Header {
        agents: agents(),
        header: "X-Agentbar-User".into(),
        proxy_secret: Secret::new(PROXY_SECRET),
        proxy_secret_header: "X-Agentbar-Proxy-Secret".into(),
    }
}

fn settings(endpoint: &str, auth: AuthSettings) -> Settings {
    let mut s = Settings::new(INSTANCE, endpoint, AccessKey::new(KEY_ID, KEY_SECRET), auth);
    s.rate_per_sec = 50.0;
    s.burst = 100.0;
    s.upstream_timeout = Duration::from_secs(5);
    s
}

fn signer() -> CookieSigner {
    CookieSigner::new(Secret::new(COOKIE_SECRET), 3600)
}

fn now_ms() -> u64 {
    agentbar_bridge::auth::now_ms()
}

/// A correctly signed cookie with any claims (what someone holding the cookie secret, e.g.
/// the public demo one, could make).
fn forge(user: &Agent, issued_ms: u64, expires_s: u64) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload =
        format!("{}|{INSTANCE}|{issued_ms}|{expires_s}|{}", user.user_id, signer().credential(user));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(COOKIE_SECRET.as_bytes()).unwrap();
    mac.update(b"agentbar-bridge/session/v2\n");
    mac.update(payload.as_bytes());
    let tag = mac.finalize().into_bytes();
    format!("{COOKIE_NAME}={}.{}", b64.encode(payload), b64.encode(tag))
}

#[derive(Clone)]
struct Bridge {
    base: String,
    logs: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

async fn start_bridge(settings: Settings, static_dir: Option<std::path::PathBuf>) -> Bridge {
    start_bridge_on(settings, agentbar_bridge::store::Stores::in_memory(), static_dir).await
}

async fn start_bridge_on(
    settings: Settings,
    stores: agentbar_bridge::store::Stores,
    static_dir: Option<std::path::PathBuf>,
) -> Bridge {
    let logs: Arc<Mutex<Vec<String>>> = Default::default();
    let sink = logs.clone();
    let log = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
    let state = AppState::with_stores(settings, stores, log).unwrap();
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
    /// `__Host-agentbar_ccc=<token>` from Set-Cookie.
    fn session_cookie(&self) -> String {
        let sc = self.header("set-cookie").expect("Set-Cookie");
        sc.split(';').next().unwrap().trim().to_string()
    }
}

impl Bridge {
    /// What the toolbar sends: same-origin, JSON. `headers` replace these defaults; a header
    /// given with an empty value is left out.
    async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("sec-fetch-site", "same-origin")];
        if body.is_some() {
            all.push(("content-type", "application/json"));
        }
        all.retain(|(k, _)| !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)));
        all.extend(headers.iter().filter(|(_, v)| !v.is_empty()));
        self.raw(method, path, &all, body.map(|b| b.as_bytes().to_vec())).await
    }

    /// Exactly these headers.
    async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Resp {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
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

    async fn login_from(&self, ip: &str, user: &str, pw: &str) -> Resp {
        let body = json!({"username": user, "password": pw}).to_string();
        self.call("POST", "/ccc/login", &[("x-forwarded-for", ip)], Some(&body)).await
    }

    async fn api(&self, cookie: &str, action: &str, body: &str) -> Resp {
        self.call("POST", &format!("/ccc/api?action={action}"), &[("cookie", cookie)], Some(body)).await
    }
}

/// A PollUserStatus answer showing `user` on call `job` with these legs.
fn call_context(user: &str, job: &str, channels: &[&str]) -> String {
    let legs: Vec<Value> =
        channels.iter().map(|c| json!({"ChannelId": c, "JobId": job, "ChannelState": "ANSWERED"})).collect();
    json!({"Code": "OK", "HttpStatusCode": 200, "RequestId": "R", "Data": {
        "UserContext": {"UserId": user, "UserState": "TALKING", "JobId": job, "Mobile": "13900000000"},
        "CallContext": {"JobId": job, "CallType": "INBOUND", "ChannelContexts": legs}
    }})
    .to_string()
}

/// Let the bridge see `job` and its legs in an answer to `cookie`'s agent.
async fn show_call(bridge: &Bridge, up: &Upstream, cookie: &str, user: &str, job: &str, channels: &[&str]) {
    up.set_reply(200, call_context(user, job, channels).as_bytes());
    assert_eq!(bridge.api(cookie, "PollUserStatus", r#"{"DeviceId":"d"}"#).await.status, 200);
    up.set_reply(200, br#"{"Code":"OK","HttpStatusCode":200,"Data":{}}"#);
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
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;
    let cookie = logged_in(&bridge, "agent101").await;

    // deliberately odd formatting + unicode: must come back byte for byte
    let upstream_body = "{ \"Code\":\"OK\",\"HttpStatusCode\":200 ,\"Message\":\"无\",\n\"RequestId\":\"EEEE671A-3E24-4A04-81E6-6C4F5B39DF75\",\"Data\":{\"UserId\":\"agent101@ccc-demo\",\"SignedSkillGroupIdList\":[\"skg-1@ccc-demo\"],\"Heartbeat\":1609136956378}}  ";
    up.set_reply(200, upstream_body.as_bytes());
    let r = bridge
        .api(
            &cookie,
            "SignInGroup",
            r#"{"DeviceId":"CCC-1.0-chrome119 bs*1","SignedSkillGroupIdList":["skg-1@ccc-demo","skg-2@ccc-demo"],"UserId":"agent101@ccc-demo"}"#,
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
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;
    let cookie = logged_in(&bridge, "agent102").await;
    show_call(&bridge, &up, &cookie, "agent102@ccc-demo", "job-10963442671187", &[]).await;
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

    let r = bridge.api(&cookie, "ListRealtimeAgentStates", r#"{"PageNumber":1,"PageSize":100}"#).await;
    assert_eq!(r.status, 200);
    let seen = up.last();
    assert_eq!(seen.param("PageSize"), Some("100"));
    assert_eq!(seen.param("UserId"), None);
}

#[tokio::test]
async fn v1_signature_mode() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), true).await;
    let mut s = settings(&up.base, password_auth());
    s.signature = SignatureVersion::V1;
    let bridge = start_bridge(s, None).await;
    let cookie = logged_in(&bridge, "agent101").await;
    show_call(&bridge, &up, &cookie, "agent101@ccc-demo", "job-1", &[]).await;
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
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;
    let cookie = logged_in(&bridge, "agent101").await;

    // not on the allowlist
    for action in ["MonitorCall", "CreateUser", "getlogindetails", "signingroup", ""] {
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
    let signer = signer();
    let now = now_ms();
    let expired = format!("{COOKIE_NAME}={}", signer.issue(&agent(101), INSTANCE, now - 7_200_000));
    assert_envelope(&bridge.api(&expired, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    assert_envelope(
        &bridge.call("GET", "/ccc/session", &[("cookie", &expired)], None).await,
        401,
        "Unauthorized.Session",
    );
    let forged_signer = CookieSigner::new(Secret::new("another-secret-another-secret-0123456789"), 3600);
    let forged = format!("{COOKIE_NAME}={}", forged_signer.issue(&agent(101), INSTANCE, now));
    assert_envelope(&bridge.api(&forged, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    // a still-valid cookie from the same secret works (stateless: any instance can verify it)
    let fresh = format!("{COOKIE_NAME}={}", signer.issue(&agent(103), INSTANCE, now));
    assert_eq!(bridge.api(&fresh, "PollUserStatus", "{}").await.status, 200);
    assert_eq!(up.last().param("UserId"), Some("agent103@ccc-demo"));

    // none of the refusals reached CCC
    assert_eq!(up.seen().len(), 1);
}

#[tokio::test]
async fn rate_limit_per_session() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth());
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
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;

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
    assert!(attrs[0].starts_with("__Host-agentbar_ccc=") && attrs[0].len() > 60, "{sc}");
    // `__Host-`: Secure, Path=/ and no Domain, or browsers drop the cookie
    for want in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure", "Max-Age=3600"] {
        assert!(attrs.contains(&want), "{want} missing in {sc}");
    }
    assert!(!sc.to_ascii_lowercase().contains("domain="), "{sc}");
    let cookie = r.session_cookie();

    let r = bridge.call("GET", "/ccc/session", &[("cookie", &cookie)], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["userId"], "agent101@ccc-demo");
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let r = bridge.call("POST", "/ccc/logout", &[("cookie", &cookie)], Some("{}")).await;
    assert_eq!(r.status, 200);
    let sc = r.header("set-cookie").unwrap();
    assert!(sc.starts_with("__Host-agentbar_ccc=;") && sc.contains("Max-Age=0"), "{sc}");
    assert!(sc.contains("Path=/;") && sc.contains("; Secure"), "{sc}");
}

#[tokio::test]
async fn header_mode() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, header_auth()), None).await;
    let proxy = ("x-agentbar-proxy-secret", PROXY_SECRET);

    let r = bridge.call("GET", "/ccc/session", &[("x-agentbar-user", "agent102"), proxy], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"userId": "agent102@ccc-demo", "instanceId": INSTANCE, "displayName": "Agent 102"})
    );
    assert!(r.header("set-cookie").is_none());
    assert_envelope(
        &bridge.call("GET", "/ccc/session", &[("x-agentbar-user", "mallory"), proxy], None).await,
        401,
        "Unauthorized.Session",
    );
    assert_envelope(&bridge.call("GET", "/ccc/session", &[proxy], None).await, 401, "Unauthorized.Session");
    // a cookie means nothing in header mode
    let c = format!("{COOKIE_NAME}={}", signer().issue(&agent(101), INSTANCE, now_ms()));
    assert_envelope(
        &bridge.call("POST", "/ccc/api?action=PollUserStatus", &[("cookie", &c), proxy], Some("{}")).await,
        401,
        "Unauthorized.Session",
    );

    let as_103 = [("x-agentbar-user", "agent103"), proxy];
    up.set_reply(200, call_context("agent103@ccc-demo", "job-9", &[]).as_bytes());
    assert_eq!(bridge.call("POST", "/ccc/api?action=PollUserStatus", &as_103, Some("{}")).await.status, 200);
    let r = bridge.call("POST", "/ccc/api?action=AnswerCall", &as_103, Some(r#"{"JobId":"job-9"}"#)).await;
    assert_eq!(r.status, 200);
    let seen = up.last();
    seen.signature_ok.clone().unwrap();
    assert_eq!(seen.param("UserId"), Some("agent103@ccc-demo"));
    assert_eq!(seen.param("JobId"), Some("job-9"));
    assert!(seen.header("x-agentbar-user").is_none());
    assert!(seen.header("x-agentbar-proxy-secret").is_none());
    let r = bridge
        .call("POST", "/ccc/api?action=AnswerCall", &as_103, Some(r#"{"UserId":"agent101@ccc-demo"}"#))
        .await;
    assert_envelope(&r, 403, "Permission.User");
    // login in header mode just reports the proxy's identity
    let r = bridge.call("POST", "/ccc/login", &[("x-agentbar-user", "agent101"), proxy], Some("{}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["userId"], "agent101@ccc-demo");
    assert_envelope(
        &bridge.call("POST", "/ccc/login", &[proxy], Some("{}")).await,
        401,
        "Authentication.Failed",
    );
}

/// Anything that reaches the bridge could set the user header; only the proxy knows the secret.
#[tokio::test]
async fn header_mode_needs_the_proxy_secret() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, header_auth()), None).await;
    let user = ("x-agentbar-user", "agent101");
    for secret in
        [None, Some("wrong"), Some("proxy-shared-secret-012345678"), Some("proxy-shared-secret-0123456789x")]
    {
        let mut h = vec![user];
        if let Some(s) = secret {
            h.push(("x-agentbar-proxy-secret", s));
        }
        assert_envelope(&bridge.call("GET", "/ccc/session", &h, None).await, 401, "Unauthorized.Proxy");
        let r = bridge.call("POST", "/ccc/api?action=PollUserStatus", &h, Some("{}")).await;
        assert_envelope(&r, 401, "Unauthorized.Proxy");
        assert_envelope(&bridge.call("POST", "/ccc/login", &h, Some("{}")).await, 401, "Unauthorized.Proxy");
    }
    // sent twice: ambiguous, refused
    let twice = bridge
        .raw(
            "GET",
            "/ccc/session",
            &[user, ("x-agentbar-proxy-secret", PROXY_SECRET), ("x-agentbar-proxy-secret", PROXY_SECRET)],
            None,
        )
        .await;
    assert_envelope(&twice, 401, "Unauthorized.Proxy");
    assert!(up.seen().is_empty());
    // a too-short secret does not start
    let mut s = settings(&up.base, header_auth());
    if let AuthSettings::Header { proxy_secret, .. } = &mut s.auth {
        *proxy_secret = Secret::new("short");
    }
    assert!(AppState::new(s, Arc::new(|_: &str| {})).is_err());
}

#[tokio::test]
async fn upstream_unreachable_is_502() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let bridge = start_bridge(settings(&dead, password_auth()), None).await;
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
    let bridge = start_bridge(settings(&up.base, password_auth()), Some(dir.clone())).await;
    let r = bridge.call("GET", "/", &[], None).await;
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("agentbar"));
    assert_envelope(&bridge.call("GET", "/ccc/nope", &[], None).await, 404, "NotFound");
    assert_envelope(&bridge.call("GET", "/ccc/api", &[], None).await, 405, "MethodNotAllowed");
    let no_static = start_bridge(settings(&up.base, password_auth()), None).await;
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
        let mut s = settings(&up.base, password_auth());
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
        received.push(bridge.call("POST", "/ccc/logout", &[("cookie", &cookie)], Some("{}")).await);
        all_logs.extend(bridge.logs.lock().unwrap().iter().cloned());
    }
    // a bridge whose upstream is down
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    for sig in [SignatureVersion::V3, SignatureVersion::V1] {
        let mut s = settings(&dead, password_auth());
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

// ---------------------------------------------------------------------------------------------
// issue 12: nothing gets through that should not

/// CSRF: a form or a cross-site fetch carrying the agent's cookie is refused before anything
/// else, and the toolbar's own `application/json; charset=UTF-8` same-origin call passes.
#[tokio::test]
async fn cross_site_and_non_json_posts_are_refused() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth());
    s.allowed_origins = vec!["https://toolbar.example".into()];
    let bridge = start_bridge(s, None).await;
    let cookie = logged_in(&bridge, "agent101").await;
    let make_call = "/ccc/api?action=MakeCall";
    let body = Some(r#"{"DeviceId":"d","Callee":"13900000000"}"#);

    // what an HTML form on another site sends
    let form = [
        ("cookie", cookie.as_str()),
        ("content-type", "text/plain"),
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    assert_envelope(&bridge.call("POST", make_call, &form, body).await, 403, "Forbidden.Origin");
    // even if it were same-origin, only JSON is accepted
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "",
    ] {
        let r = bridge.call("POST", make_call, &[("cookie", &cookie), ("content-type", ct)], body).await;
        assert_envelope(&r, 415, "Bridge.ContentType");
    }
    // a cross-site fetch with credentials, JSON and all
    for headers in [
        vec![("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")],
        vec![("origin", "https://evil.example"), ("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example"), ("sec-fetch-site", "")],
        vec![("origin", "null"), ("sec-fetch-site", "")],
        vec![("sec-fetch-site", "none")],
        // neither header: not what a browser sends
        vec![("sec-fetch-site", "")],
    ] {
        let mut h = headers.clone();
        h.push(("cookie", &cookie));
        assert_envelope(&bridge.call("POST", make_call, &h, body).await, 403, "Forbidden.Origin");
    }
    // login and logout are guarded too (a logout CSRF would end the agent's sessions)
    let login = json!({"username": "agent101", "password": PASSWORD}).to_string();
    let cross = [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")];
    assert_envelope(&bridge.call("POST", "/ccc/login", &cross, Some(&login)).await, 403, "Forbidden.Origin");
    let r = bridge.call("POST", "/ccc/login", &[("content-type", "text/plain")], Some(&login)).await;
    assert_envelope(&r, 415, "Bridge.ContentType");
    let r = bridge.call("POST", "/ccc/logout", &[cross[0], cross[1], ("cookie", &cookie)], Some("{}")).await;
    assert_envelope(&r, 403, "Forbidden.Origin");
    assert!(up.seen().is_empty(), "a refused request reached CCC");

    // the toolbar's own calls
    let ok = [("cookie", cookie.as_str()), ("content-type", "application/json; charset=UTF-8")];
    assert_eq!(bridge.call("POST", make_call, &ok, body).await.status, 200);
    // an old browser without Sec-Fetch-Site, or a proxy that drops it: Origin on the list
    let listed = [("cookie", cookie.as_str()), ("origin", "https://toolbar.example"), ("sec-fetch-site", "")];
    assert_eq!(bridge.call("POST", make_call, &listed, body).await.status, 200);
    assert_eq!(up.seen().len(), 2);
    // the session itself still works after a refused logout
    assert_eq!(bridge.call("GET", "/ccc/session", &[("cookie", &cookie)], None).await.status, 200);
}

/// JobId, ChannelId and ContactId must be ids CCC's answers showed this agent.
#[tokio::test]
async fn call_ids_are_bound_to_the_agent_that_saw_them() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;
    let a = logged_in(&bridge, "agent101").await;
    let b = logged_in(&bridge, "agent102").await;

    // nothing seen yet
    assert_envelope(&bridge.api(&a, "AnswerCall", r#"{"JobId":"job-A"}"#).await, 403, "Forbidden.Resource");
    // an error answer or another agent's list teaches nothing
    up.set_reply(400, call_context("agent101@ccc-demo", "job-A", &["ch-A"]).as_bytes());
    assert_eq!(bridge.api(&a, "PollUserStatus", "{}").await.status, 400);
    up.set_reply(200, br#"{"Code":"OK","Data":{"List":[{"AgentId":"agent102@ccc-demo","JobId":"job-B"}]}}"#);
    assert_eq!(bridge.api(&a, "ListRealtimeAgentStates", "{}").await.status, 200);
    let before = up.seen().len();
    assert_envelope(&bridge.api(&a, "AnswerCall", r#"{"JobId":"job-A"}"#).await, 403, "Forbidden.Resource");
    assert_envelope(&bridge.api(&a, "ReleaseCall", r#"{"JobId":"job-B"}"#).await, 403, "Forbidden.Resource");

    show_call(&bridge, &up, &a, "agent101@ccc-demo", "job-A", &["ch-cust-A", "ch-agent-A"]).await;
    show_call(&bridge, &up, &b, "agent102@ccc-demo", "job-B", &["ch-cust-B"]).await;
    for (action, body) in [
        ("AnswerCall", r#"{"JobId":"job-A","DeviceId":"d"}"#),
        ("HoldCall", r#"{"JobId":"job-A","ChannelId":"ch-cust-A"}"#),
        ("SendDtmfSignaling", r#"{"JobId":"job-A","ChannelId":"ch-cust-A","Dtmf":"1"}"#),
        ("GetCallDetailRecord", r#"{"ContactId":"job-A"}"#),
        ("ReleaseCall", r#"{"JobId":"job-A","DeviceId":"d"}"#),
    ] {
        assert_eq!(bridge.api(&a, action, body).await.status, 200, "{action}");
        assert_eq!(up.last().header("x-acs-action"), Some(action));
    }
    let forwarded = up.seen().len();
    // the other agent's call, leg and record
    for (action, body) in [
        ("ReleaseCall", r#"{"JobId":"job-B"}"#),
        ("BlindTransfer", r#"{"JobId":"job-B","Transferee":"agent101@ccc-demo","TransfereeType":"AGENT"}"#),
        ("HoldCall", r#"{"JobId":"job-A","ChannelId":"ch-cust-B"}"#),
        ("GetCallDetailRecord", r#"{"ContactId":"job-B"}"#),
        ("GetCallDetailRecord", r#"{"ContactId":"job-10963442671187"}"#),
    ] {
        assert_envelope(&bridge.api(&a, action, body).await, 403, "Forbidden.Resource");
    }
    assert_envelope(
        &bridge.api(&b, "GetCallDetailRecord", r#"{"ContactId":"job-A"}"#).await,
        403,
        "Forbidden.Resource",
    );
    assert_eq!(up.seen().len(), forwarded, "a refused id reached CCC");
    assert!(before < forwarded);
    // MakeCall's answer teaches its JobId
    up.set_reply(200, call_context("agent101@ccc-demo", "job-OUT", &["ch-out"]).as_bytes());
    assert_eq!(bridge.api(&a, "MakeCall", r#"{"DeviceId":"d","Callee":"139"}"#).await.status, 200);
    assert_eq!(bridge.api(&a, "ReleaseCall", r#"{"JobId":"job-OUT"}"#).await.status, 200);
}

/// Only what the toolbar sends: other actions and other parameters are refused, not dropped.
#[tokio::test]
async fn allowlist_is_what_the_toolbar_sends() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;
    let a = logged_in(&bridge, "agent101").await;
    show_call(&bridge, &up, &a, "agent101@ccc-demo", "job-A", &["ch-A"]).await;
    let before = up.seen().len();
    for action in
        ["ListUsers", "ListBriefSkillGroups", "ListAgentStateLogs", "MonitorCall", "ListPrivilegesOfUser"]
    {
        assert_envelope(&bridge.api(&a, action, "{}").await, 403, "Forbidden.Action");
    }
    for (action, body) in [
        (
            "BlindTransfer",
            r#"{"JobId":"job-A","Transferee":"agent102@ccc-demo","TransfereeType":"AGENT","Transferor":"agent103@ccc-demo"}"#,
        ),
        ("SignInGroup", r#"{"DeviceId":"d","SignedSkillGroupIdList":"[]","Additivity":true}"#),
        ("ReleaseCall", r#"{"JobId":"job-A","ChannelId":"ch-A"}"#),
        ("ListRealtimeAgentStates", r#"{"PageNumber":1,"AgentIdList":"[\"agent102@ccc-demo\"]"}"#),
        ("PollUserStatus", r#"{"deviceid":"d"}"#),
        ("GetLoginDetails", r#"{"ChatDeviceId":"c"}"#),
        ("GetTurnServerList", r#"{"PageNumber":1}"#),
    ] {
        let r = bridge.api(&a, action, body).await;
        assert_envelope(&r, 403, "Forbidden.Parameter");
    }
    assert_eq!(up.seen().len(), before);
}

/// The softphone details (GetLoginDetails: SIP server, extension, signature; the TURN relays
/// and credentials) are the agent's own: the bridge pins UserId, refuses another agent's, and
/// drops a signature CCC would still give for someone else.
#[tokio::test]
async fn softphone_details_are_self_only() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;
    let a = logged_in(&bridge, "agent101").await;
    let b = logged_in(&bridge, "agent102").await;
    let details = |user: &str, ext: &str| {
        format!(
            r#"{{"Code":"OK","HttpStatusCode":200,"RequestId":"R","Data":{{"UserId":"{user}","Extension":"{ext}","SipServerUrl":"ws://127.0.0.1:22271","Signature":"S-{ext}","Signature2":"agent{ext}","UserKey":"K-{ext}","UserKey2":"K2-{ext}","ChatLoginToken":"","DeviceId":"ACC-1"}}}}"#
        )
    };
    let names = |seen: &Seen| {
        let mut n: Vec<String> = seen.params.iter().map(|(k, _)| k.clone()).collect();
        n.sort();
        n
    };

    // A without UserId: A's own, byte for byte.
    up.set_reply(200, details("agent101@ccc-demo", "1001").as_bytes());
    let r = bridge.api(&a, "GetLoginDetails", "{}").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, details("agent101@ccc-demo", "1001").as_bytes());
    let seen = up.last();
    seen.signature_ok.clone().unwrap();
    assert_eq!(seen.header("x-acs-action"), Some("GetLoginDetails"));
    assert_eq!(seen.param("UserId"), Some("agent101@ccc-demo"));
    assert_eq!(names(&seen), ["InstanceId", "UserId"]);
    // B gets B's: the UserId CCC sees is always the session's.
    up.set_reply(200, details("agent102@ccc-demo", "1002").as_bytes());
    assert_eq!(bridge.api(&b, "GetLoginDetails", "{}").await.status, 200);
    assert_eq!(up.last().param("UserId"), Some("agent102@ccc-demo"));

    // A naming B (any letter case) is refused before CCC; naming itself is fine.
    let before = up.seen().len();
    for body in [r#"{"UserId":"agent102@ccc-demo"}"#, r#"{"userId":"agent102@ccc-demo"}"#, r#"{"UserId":""}"#]
    {
        assert_envelope(&bridge.api(&a, "GetLoginDetails", body).await, 403, "Permission.User");
        assert_envelope(&bridge.api(&a, "GetTurnCredentials", body).await, 403, "Permission.User");
    }
    assert_eq!(up.seen().len(), before, "another agent's details were asked of CCC");
    up.set_reply(200, details("agent101@ccc-demo", "1001").as_bytes());
    let r = bridge.api(&a, "GetLoginDetails", r#"{"UserId":"agent101@ccc-demo"}"#).await;
    assert_eq!((r.status, up.last().param("UserId")), (200, Some("agent101@ccc-demo")));

    // Should CCC still answer with B's details to A, B's signature and keys do not reach A.
    up.set_reply(200, details("agent102@ccc-demo", "1002").as_bytes());
    let r = bridge.api(&a, "GetLoginDetails", "{}").await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&r.body).to_string();
    for secret in ["S-1002", "agent1002", "K-1002", "K2-1002"] {
        assert!(!text.contains(secret), "{secret} reached agent101: {text}");
    }
    assert_eq!(r.json()["Data"]["Extension"], "1002");

    // TURN: the relay list has no UserId; the credentials are the agent's.
    let list = r#"{"Code":"OK","HttpStatusCode":200,"RequestId":"R","Data":"[{\"region\":\"local\",\"name\":\"sim-turn\",\"domain\":\"127.0.0.1:3478\",\"cidr\":\"\"}]"}"#;
    up.set_reply(200, list.as_bytes());
    let r = bridge.api(&a, "GetTurnServerList", "{}").await;
    assert_eq!((r.status, r.body.as_slice()), (200, list.as_bytes()));
    let seen = up.last();
    assert_eq!((seen.param("UserId"), seen.param("InstanceId")), (None, Some(INSTANCE)));
    assert_eq!(names(&seen), ["InstanceId"]);
    assert_envelope(
        &bridge.api(&a, "GetTurnServerList", r#"{"UserId":"agent102@ccc-demo"}"#).await,
        403,
        "Permission.User",
    );
    let creds =
        r#"{"Code":"OK","HttpStatusCode":200,"RequestId":"R","Data":{"UserName":"u101","Password":"p101"}}"#;
    up.set_reply(200, creds.as_bytes());
    let r = bridge.api(&a, "GetTurnCredentials", "{}").await;
    assert_eq!((r.status, r.body.as_slice()), (200, creds.as_bytes()));
    assert_eq!(up.last().param("UserId"), Some("agent101@ccc-demo"));
}

/// Other agents' personal numbers and whom they talk to, and CCC's RAM denial details, never
/// reach the browser; the agent's own fields do.
#[tokio::test]
async fn answers_lose_other_agents_personal_fields() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth()), None).await;
    let a = logged_in(&bridge, "agent101").await;
    let list = json!({"Code": "OK", "HttpStatusCode": 200, "RequestId": "R", "Data": {"PageNumber": 1, "List": [
        {"AgentId": "agent101@ccc-demo", "State": "Talking", "Mobile": "13900000101", "CounterParty": "13800000001"},
        {"AgentId": "agent102@ccc-demo", "State": "Talking", "Mobile": "13900000102", "CounterParty": "13800000002"},
        {"AgentId": "agent103@ccc-demo", "State": "Ready", "Mobile": "13900000103", "CounterParty": ""}
    ]}});
    up.set_reply(200, list.to_string().as_bytes());
    let r = bridge.api(&a, "ListRealtimeAgentStates", r#"{"PageNumber":1,"PageSize":100}"#).await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&r.body).to_string();
    for other in ["13900000102", "13800000002", "13900000103"] {
        assert!(!text.contains(other), "{other} reached the browser: {text}");
    }
    let items = r.json()["Data"]["List"].as_array().unwrap().clone();
    assert_eq!(items[0]["Mobile"], "13900000101");
    assert_eq!(items[0]["CounterParty"], "13800000001");
    assert_eq!(items[1], json!({"AgentId": "agent102@ccc-demo", "State": "Talking"}));
    assert_eq!(r.json()["Data"]["PageNumber"], 1);

    let denied = br#"{"Code":"Forbidden.NoPermission","HttpStatusCode":403,"Message":"denied","RequestId":"R","AccessDeniedDetail":{"AuthAction":"ccc:ListUsers","PolicyType":"AccountLevelIdentityBasedPolicy","AuthPrincipalOwnerId":"1234567890"}}"#;
    up.set_reply(403, denied);
    let r = bridge.api(&a, "PollUserStatus", "{}").await;
    assert_eq!(r.status, 403);
    assert!(!String::from_utf8_lossy(&r.body).contains("AuthPrincipalOwnerId"));
    assert_eq!(
        r.json(),
        json!({"Code":"Forbidden.NoPermission","HttpStatusCode":403,"Message":"denied","RequestId":"R"})
    );
}

/// Per-name lockout with growing backoff, the same for unknown names; the right password is not
/// accepted during a lockout.
#[tokio::test]
async fn login_lockout_per_name_grows_and_is_announced() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth());
    s.login.client_ip_header = Some("X-Forwarded-For".into());
    let bridge = start_bridge(s, None).await;

    // 12 wrong passwords in a row, each from another address (the per-address limit is not
    // what stops this)
    let mut codes = Vec::new();
    for i in 0..12 {
        let r = bridge.login_from(&format!("192.0.2.{i}"), "agent102", "guess").await;
        codes.push(r.status);
    }
    assert_eq!(&codes[..5], [401; 5], "{codes:?}");
    assert!(codes[5..].iter().all(|c| *c == 429), "{codes:?}");
    let r = bridge.login_from("192.0.2.99", "agent102", PASSWORD).await;
    assert_envelope(&r, 429, "Throttling.Login");
    let wait = r.json()["RetryAfter"].as_u64().unwrap();
    assert!(wait >= 60, "the lock grew: {wait} s");
    assert_eq!(r.header("retry-after"), Some(wait.to_string().as_str()));
    assert!(r.json()["Message"].as_str().unwrap().contains(&format!("{wait} s")));
    // an unknown name locks the same way (no way to tell which names exist)
    let mut unknown = Vec::new();
    for i in 0..6 {
        unknown.push(bridge.login_from(&format!("198.51.100.{i}"), "agent999", "guess").await.status);
    }
    assert_eq!(unknown, [401, 401, 401, 401, 401, 429]);
    // other accounts are not affected
    assert_eq!(bridge.login_from("192.0.2.200", "agent101", PASSWORD).await.status, 200);
}

/// Per-address limit: many names from one address; and a success forgets a name's failures.
#[tokio::test]
async fn login_limit_per_address() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth());
    s.login.client_ip_header = Some("X-Forwarded-For".into());
    s.login.per_ip.free = 4;
    let bridge = start_bridge(s, None).await;
    for i in 0..4 {
        assert_eq!(bridge.login_from("203.0.113.7", &format!("junk{i}"), "x").await.status, 401);
    }
    let r = bridge.login_from("203.0.113.7", "junk-new", "x").await;
    assert_envelope(&r, 429, "Throttling.Login");
    assert!(r.json()["Message"].as_str().unwrap().contains("address"));
    // the right password from that address waits too; another address is fine
    assert_eq!(bridge.login_from("203.0.113.7", "agent101", PASSWORD).await.status, 429);
    assert_eq!(bridge.login_from("203.0.113.8", "agent101", PASSWORD).await.status, 200);
    // a rightmost X-Forwarded-For entry is the one the proxy added
    let r = bridge.login_from("203.0.113.8, 203.0.113.7", "junk-x", "x").await;
    assert_eq!(r.status, 429);
    // a success clears the name's failures
    for _ in 0..4 {
        assert_eq!(bridge.login_from("203.0.113.9", "agent103", "wrong").await.status, 401);
    }
    assert_eq!(bridge.login_from("203.0.113.10", "agent103", PASSWORD).await.status, 200);
    for _ in 0..4 {
        assert_eq!(bridge.login_from("203.0.113.11", "agent103", "wrong").await.status, 401);
    }
}

/// At most `concurrency` Argon2 runs at once and a bounded queue; the rest get 503 at once.
#[tokio::test]
async fn login_flood_is_bounded() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    // a hash slow enough that the logins overlap
    let slow = hash_password_with(
        PASSWORD,
        Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(16 * 1024, 2, 1, None).unwrap()),
    )
    .unwrap();
    let auth = AuthSettings::Password {
        agents: Agents::new(agent_list(&slow)).unwrap(),
        cookie_secret: Secret::new(COOKIE_SECRET),
        session_ttl_secs: 3600,
    };
    let mut s = settings(&up.base, auth);
    s.login.concurrency = 1;
    s.login.queue = 1;
    s.login.client_ip_header = Some("X-Forwarded-For".into());
    let bridge = start_bridge(s, None).await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let b = bridge.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let r = b.login_from(&format!("10.9.0.{i}"), &format!("nobody{i}"), "x").await;
                (r, t.elapsed())
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let worked = results.iter().filter(|(r, _)| r.status == 401).count();
    let busy: Vec<_> = results.iter().filter(|(r, _)| r.status == 503).collect();
    assert!((1..=2).contains(&worked), "one running + one queued: {worked}");
    assert_eq!(worked + busy.len(), 8);
    for (r, took) in &busy {
        assert_envelope(r, 503, "Throttling.LoginBusy");
        assert_eq!(r.header("retry-after"), Some("1"));
        assert!(*took < started.elapsed(), "answered before the end");
    }
    // the busy answers did not count against anyone: a real login right after works
    assert_eq!(bridge.login_from("10.9.0.0", "agent101", PASSWORD).await.status, 200);
}

/// Logout, a password change and removal from the agents file end existing cookies at once;
/// a cookie never lives longer than the configured lifetime, whatever it claims.
#[tokio::test]
async fn sessions_are_revocable_and_capped() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let dir = std::env::temp_dir().join(format!("agentbar-bridge-revoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("agents.json");
    let write = |list: &[Agent]| {
        let v: Vec<Value> = list
            .iter()
            .map(|a| json!({"username": a.username, "passwordHash": a.password_hash, "userId": a.user_id}))
            .collect();
        std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    };
    write(&agent_list(shared_hash()));
    let mut s = settings(&up.base, password_auth());
    if let AuthSettings::Password { agents, .. } = &mut s.auth {
        *agents = Agents::load(&file).unwrap();
    }
    s.agents_file = Some(file.clone());
    let bridge = start_bridge(s, None).await;
    let poll = |c: String| {
        let b = bridge.clone();
        async move { b.api(&c, "PollUserStatus", "{}").await.status }
    };

    // logout: the cookie is dead, also replayed; a new login works at once
    let c1 = logged_in(&bridge, "agent101").await;
    let other_browser = logged_in(&bridge, "agent101").await;
    assert_eq!(poll(c1.clone()).await, 200);
    assert_eq!(bridge.call("POST", "/ccc/logout", &[("cookie", &c1)], Some("{}")).await.status, 200);
    assert_envelope(&bridge.api(&c1, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    assert_eq!(bridge.call("GET", "/ccc/session", &[("cookie", &c1)], None).await.status, 401);
    assert_eq!(poll(other_browser).await, 401, "logout ends every session of the agent");
    let c1b = logged_in(&bridge, "agent101").await;
    assert_eq!(poll(c1b.clone()).await, 200);

    // the agents file changes: agent102's password, agent103 removed
    let c2 = logged_in(&bridge, "agent102").await;
    let c3 = logged_in(&bridge, "agent103").await;
    assert_eq!(poll(c2.clone()).await, 200);
    let new_hash = cheap_hash("n3w-Passw0rd!");
    let mut list = agent_list(shared_hash());
    list[1].password_hash = Some(new_hash);
    list.truncate(2);
    write(&list);
    assert_envelope(&bridge.api(&c2, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    assert_eq!(poll(c3).await, 401);
    assert_eq!(poll(c1b).await, 200, "unchanged agents keep their sessions");
    assert_eq!(bridge.login("agent102", PASSWORD).await.status, 401);
    assert_eq!(bridge.login("agent102", "n3w-Passw0rd!").await.status, 200);
    assert_eq!(bridge.login("agent103", PASSWORD).await.status, 401);
    // a broken file is ignored (and logged), the previous list stays
    std::fs::write(&file, "[{ broken").unwrap();
    assert_eq!(bridge.login("agent101", PASSWORD).await.status, 200);
    assert!(bridge.logs.lock().unwrap().iter().any(|l| l.contains("agents file not re-read")));

    // lifetimes: forged with the cookie secret (as anybody could with the public demo one)
    let now = now_ms();
    let a1 = agent(101);
    assert_eq!(poll(forge(&a1, now, now / 1000 + 600)).await, 200, "the forgery itself is sound");
    assert_eq!(poll(forge(&a1, now, 4_102_444_800)).await, 401, "expiry in 2100");
    assert_eq!(poll(forge(&a1, now - 4_000_000, now / 1000 + 600)).await, 401, "older than the ttl");
    assert_eq!(poll(forge(&a1, now + 3_600_000, now / 1000 + 3600)).await, 401, "issued in the future");
    assert_eq!(poll(forge(&a1, now - 60_000, now / 1000 - 1)).await, 401, "expired");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn dial_policy_when_configured() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth());
    s.dial_prefixes = vec!["010".into(), "+8610".into()];
    let bridge = start_bridge(s, None).await;
    let a = logged_in(&bridge, "agent101").await;
    show_call(&bridge, &up, &a, "agent101@ccc-demo", "job-A", &[]).await;
    let before = up.seen().len();
    for (action, body) in [
        ("MakeCall", r#"{"DeviceId":"d","Callee":"0090012345"}"#),
        (
            "BlindTransfer",
            r#"{"JobId":"job-A","Transferee":"0090012345","TransfereeType":"EXTERNAL_NUMBER"}"#,
        ),
        ("InitiateAttendedTransfer", r#"{"JobId":"job-A","Transferee":"1900","TransfereeType":"EXTERNAL"}"#),
        ("BlindTransfer", r#"{"JobId":"job-A","Transferee":"0090012345"}"#),
    ] {
        assert_envelope(&bridge.api(&a, action, body).await, 403, "Forbidden.Destination");
    }
    assert_eq!(up.seen().len(), before);
    for (action, body) in [
        ("MakeCall", r#"{"DeviceId":"d","Callee":"01012345678"}"#),
        (
            "BlindTransfer",
            r#"{"JobId":"job-A","Transferee":"+861012345678","TransfereeType":"EXTERNAL_NUMBER"}"#,
        ),
        ("BlindTransfer", r#"{"JobId":"job-A","Transferee":"agent102@ccc-demo","TransfereeType":"AGENT"}"#),
        (
            "InitiateAttendedTransfer",
            r#"{"JobId":"job-A","Transferee":"skillgroup1@ccc-demo","TransfereeType":"SKILL_GROUP"}"#,
        ),
    ] {
        assert_eq!(bridge.api(&a, action, body).await.status, 200, "{body}");
    }
    // off by default
    let open = start_bridge(settings(&up.base, password_auth()), None).await;
    let c = logged_in(&open, "agent101").await;
    assert_eq!(open.api(&c, "MakeCall", r#"{"DeviceId":"d","Callee":"0090012345"}"#).await.status, 200);
}

#[tokio::test]
async fn sizes_are_capped_both_ways() {
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth());
    s.max_upstream_body = 4096;
    let bridge = start_bridge(s, None).await;
    let a = logged_in(&bridge, "agent101").await;
    // request: far above the limit, refused with the envelope, nothing forwarded
    let big = format!(r#"{{"DeviceId":"{}"}}"#, "x".repeat(1024 * 1024));
    let r = bridge.api(&a, "PollUserStatus", &big).await;
    assert_envelope(&r, 413, "Bridge.TooLarge");
    let r = bridge.call("POST", "/ccc/login", &[], Some(&big)).await;
    assert_envelope(&r, 413, "Bridge.TooLarge");
    assert!(up.seen().is_empty());
    // answer: larger than --max-upstream-body
    let huge = format!(r#"{{"Code":"OK","Data":{{"Pad":"{}"}}}}"#, "y".repeat(8192));
    up.set_reply(200, huge.as_bytes());
    let r = bridge.api(&a, "PollUserStatus", "{}").await;
    assert_envelope(&r, 502, "Bridge.Upstream");
    assert!(bridge.logs.lock().unwrap().iter().any(|l| l.contains("upstream=too-large")));
    up.set_reply(200, br#"{"Code":"OK","Data":{}}"#);
    assert_eq!(bridge.api(&a, "PollUserStatus", "{}").await.status, 200);
}

#[tokio::test]
async fn nosniff_on_every_response() {
    let dir = std::env::temp_dir().join(format!("agentbar-bridge-nosniff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>agentbar</title>").unwrap();
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let bridge = start_bridge(settings(&up.base, password_auth()), Some(dir)).await;
    let a = logged_in(&bridge, "agent101").await;
    let responses = [
        bridge.login("agent101", PASSWORD).await,
        bridge.login("agent101", "wrong").await,
        bridge.api(&a, "PollUserStatus", "{}").await,
        bridge.api(&a, "ListUsers", "{}").await,
        bridge
            .call("POST", "/ccc/api?action=PollUserStatus", &[("content-type", "text/plain")], Some("{}"))
            .await,
        bridge.call("GET", "/ccc/session", &[], None).await,
        bridge.call("GET", "/ccc/nope", &[], None).await,
        bridge.call("GET", "/", &[], None).await,
        bridge.call("GET", "/missing.js", &[], None).await,
    ];
    for r in &responses {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{} {:?}", r.status, r.headers);
    }
}

/// The public demo secrets only in front of a local simulator, plain http only to loopback.
#[tokio::test]
async fn unsafe_settings_do_not_start() {
    let demo_key = || AccessKey::new("LTAI5tAgentbarDemoKey", "agentbar-demo-secret-not-for-production");
    let no_log = || -> agentbar_bridge::LogSink { Arc::new(|_: &str| {}) };
    for endpoint in
        ["https://ccc.cn-shanghai.aliyuncs.com", "https://10.1.2.3", "http://ccc.example.com:8043"]
    {
        let mut s = settings(endpoint, password_auth());
        s.access_key = demo_key();
        let e = AppState::new(s, no_log()).err().unwrap();
        assert!(e.contains("demo") || e.contains("plain http"), "{endpoint}: {e}");
    }
    let mut s = settings("https://ccc.cn-shanghai.aliyuncs.com", password_auth());
    if let AuthSettings::Password { cookie_secret, .. } = &mut s.auth {
        *cookie_secret = Secret::new("agentbar-demo-cookie-secret-not-for-production");
    }
    assert!(AppState::new(s, no_log()).err().unwrap().contains("demo cookie secret"));
    let args: Vec<String> = ["--demo", "--endpoint", "https://ccc.cn-shanghai.aliyuncs.com"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(agentbar_bridge::parse_serve(&args, &|_| None).is_err());
    // http to a non-loopback endpoint, even with real secrets
    assert!(AppState::new(settings("http://192.0.2.10:80", password_auth()), no_log()).is_err());
    // real secrets, https: fine; demo key against loopback: fine
    assert!(
        AppState::new(settings("https://ccc.cn-shanghai.aliyuncs.com", password_auth()), no_log()).is_ok()
    );
    let mut s = settings("http://127.0.0.1:9", password_auth());
    s.access_key = demo_key();
    assert!(AppState::new(s, no_log()).is_ok());
}

/// Two bridge instances behind one load balancer, on one Redis (issue 15): what one learns the
/// other enforces. Needs `REDIS_URL` (scripts/relay-test.sh starts a throwaway redis-server).
#[tokio::test]
async fn two_instances_on_one_redis_share_logouts_lockouts_and_call_ids() {
    let Some(url) = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        return eprintln!(
            "REDIS_URL not set: the shared store is not tested (scripts/relay-test.sh sets it)"
        );
    };
    let prefix = format!("agentbar-test:bridge:{}:{}", std::process::id(), auth_now());
    let stores =
        agentbar_bridge::store_redis::redis_stores(&url, &prefix).await.expect("REDIS_URL reachable");
    let up = start_upstream(AccessKey::new(KEY_ID, KEY_SECRET), false).await;
    let mut s = settings(&up.base, password_auth());
    s.login.client_ip_header = Some("X-Forwarded-For".into());
    let a = start_bridge_on(s.clone(), stores.clone(), None).await;
    let b = start_bridge_on(s, stores, None).await;

    // A logout at A ends the session at B too, and a cookie from before it stays dead there.
    let at_b = logged_in(&b, "agent101").await;
    assert_eq!(b.api(&at_b, "PollUserStatus", "{}").await.status, 200);
    let at_a = logged_in(&a, "agent101").await;
    assert_eq!(a.call("POST", "/ccc/logout", &[("cookie", &at_a)], Some("{}")).await.status, 200);
    assert_envelope(&b.api(&at_b, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    assert_envelope(&a.api(&at_b, "PollUserStatus", "{}").await, 401, "Unauthorized.Session");
    let again = logged_in(&b, "agent101").await;
    assert_eq!(a.api(&again, "PollUserStatus", "{}").await.status, 200, "a new login works at either");

    // Wrong passwords spread over both instances lock the name at both.
    let mut codes = Vec::new();
    for i in 0..8 {
        let bridge = if i % 2 == 0 { &a } else { &b };
        codes.push(bridge.login_from(&format!("192.0.2.{i}"), "agent102", "guess").await.status);
    }
    assert_eq!(&codes[..5], [401; 5], "five free attempts in all, not per instance: {codes:?}");
    assert!(codes[5..].iter().all(|c| *c == 429), "{codes:?}");
    for bridge in [&a, &b] {
        assert_envelope(
            &bridge.login_from("192.0.2.99", "agent102", PASSWORD).await,
            429,
            "Throttling.Login",
        );
    }

    // An id CCC showed the agent through A may be used through B; another agent's may not.
    let c = logged_in(&a, "agent103").await;
    show_call(&a, &up, &c, "agent103@ccc-demo", "job-R", &["ch-R"]).await;
    assert_eq!(b.api(&c, "HoldCall", r#"{"JobId":"job-R","ChannelId":"ch-R"}"#).await.status, 200);
    assert_envelope(&b.api(&again, "ReleaseCall", r#"{"JobId":"job-R"}"#).await, 403, "Forbidden.Resource");
}

fn auth_now() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}
