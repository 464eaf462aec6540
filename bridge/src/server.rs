//! The HTTP server: `/ccc/login`, `/ccc/logout`, `/ccc/session`, `/ccc/api`, and the checks
//! every request passes before anything reaches CCC.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::actions::{self, ActionSpec, ParamError};
use crate::answers;
use crate::auth::{self, AgentDirectory, AuthError, Authenticator, Identity};
use crate::config::{LoginSettings, Settings};
use crate::signer::{self, AccessKey, Freshness, SignatureVersion};
use crate::store::Stores;

/// Where request log lines go (stderr in production; tests capture them).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// A log sink writing one line per call to stderr.
pub fn stderr_log() -> LogSink {
    Arc::new(|line: &str| eprintln!("{line}"))
}

/// Shared state of a running bridge.
pub struct AppState {
    instance_id: String,
    endpoint: reqwest::Url,
    host_header: String,
    signature: SignatureVersion,
    access_key: AccessKey,
    auth: Box<dyn Authenticator>,
    agents: Arc<AgentDirectory>,
    stores: Stores,
    limiter: RateLimiter,
    login: LoginSettings,
    argon: ArgonPool,
    allowed_origins: Vec<String>,
    dial_prefixes: Vec<String>,
    max_upstream_body: usize,
    http: reqwest::Client,
    log: LogSink,
}

impl AppState {
    /// A bridge with in-memory stores.
    pub fn new(settings: Settings, log: LogSink) -> Result<Arc<Self>, String> {
        AppState::with_stores(settings, Stores::in_memory(), log)
    }

    /// A bridge whose attempt counters, session epochs and seen ids live in `stores`.
    pub fn with_stores(settings: Settings, stores: Stores, log: LogSink) -> Result<Arc<Self>, String> {
        settings.validate()?;
        let endpoint = reqwest::Url::parse(settings.endpoint.trim_end_matches('/'))
            .map_err(|e| format!("invalid endpoint {:?}: {e}", settings.endpoint))?;
        let host = endpoint.host_str().unwrap_or_default();
        let host_header = match endpoint.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let http = reqwest::Client::builder()
            .timeout(settings.upstream_timeout)
            .connect_timeout(settings.upstream_timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("agentbar-bridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build HTTP client: {e}"))?;
        let (auth, agents) = settings.auth.build(&settings.instance_id, settings.agents_file)?;
        Ok(Arc::new(AppState {
            instance_id: settings.instance_id,
            endpoint,
            host_header,
            signature: settings.signature,
            access_key: settings.access_key,
            auth,
            agents,
            stores,
            limiter: RateLimiter::new(settings.rate_per_sec, settings.burst),
            argon: ArgonPool::new(&settings.login)?,
            login: settings.login,
            allowed_origins: settings.allowed_origins,
            dial_prefixes: settings.dial_prefixes,
            max_upstream_body: settings.max_upstream_body,
            http,
            log,
        }))
    }
}

/// Argon2 runs on `--login-concurrency` dedicated threads (one per core by default) fed by a
/// queue of `--login-queue` places: a login flood costs at most those cores, and a login that
/// finds the queue full is answered 503 at once, without any work. A fixed set of threads
/// rather than tokio's blocking pool also bounds memory: each thread keeps its Argon2 memory
/// for the next run (`auth::verify_password`), so there is one ~19 MiB block per thread.
struct ArgonPool {
    jobs: std::sync::mpsc::SyncSender<Box<dyn FnOnce() + Send>>,
}

impl ArgonPool {
    fn new(login: &LoginSettings) -> Result<Self, String> {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Box<dyn FnOnce() + Send>>(login.queue.max(1));
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..login.concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panicking job must not take its thread with it.
                        Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
                        Err(_) => return, // the bridge is gone
                    }
                })
                .map_err(|e| format!("cannot start the Argon2 threads: {e}"))?;
        }
        Ok(ArgonPool { jobs })
    }

    /// `None`: the queue is full (or the threads are gone).
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .ok()?;
        rx.await.ok()
    }
}

/// Build the router. `static_dir` (dev/test only) serves the toolbar at `/`.
pub fn router(state: Arc<AppState>, static_dir: Option<&std::path::Path>) -> Router {
    let ccc = Router::new()
        .route("/ccc/login", post(login))
        .route("/ccc/logout", post(logout))
        .route("/ccc/session", get(session))
        .route("/ccc/api", post(api))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY));
    let app = match static_dir {
        Some(dir) => ccc.route("/ccc/{*rest}", axum::routing::any(not_found)).fallback_service(
            tower_http::services::ServeDir::new(dir).append_index_html_on_directories(true),
        ),
        None => ccc.fallback(not_found),
    };
    app.layer(middleware::from_fn_with_state(state.clone(), log_requests)).with_state(state)
}

/// The toolbar's largest request (SignInGroup with its skill groups) is far below this.
const MAX_REQUEST_BODY: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// request context + logging

#[derive(Default)]
struct LogInfo {
    user: Option<String>,
    action: Option<String>,
    upstream: Option<String>,
}

#[derive(Clone)]
struct ReqCtx {
    id: String,
    /// The client's address (peer, or `--client-ip-header` behind a proxy).
    client: Option<IpAddr>,
    info: Arc<Mutex<LogInfo>>,
}

impl ReqCtx {
    fn set(&self, f: impl FnOnce(&mut LogInfo)) {
        if let Ok(mut i) = self.info.lock() {
            f(&mut i);
        }
    }

    /// The address as a throttle key; IPv6 per /64, which one client usually holds whole.
    fn client_key(&self) -> String {
        match self.client {
            Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            Some(ip) => ip.to_string(),
            None => "unknown".into(),
        }
    }
}

/// The rightmost address in `name` (the one the nearest proxy added).
fn forwarded_ip(headers: &HeaderMap, name: &str) -> Option<IpAddr> {
    let last = headers.get_all(name).iter().next_back()?.to_str().ok()?;
    let item = last.rsplit(',').next()?.trim();
    item.parse::<IpAddr>().ok().or_else(|| item.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

async fn log_requests(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = match &st.login.client_ip_header {
        Some(h) => forwarded_ip(req.headers(), h).or(peer),
        None => peer,
    };
    let ctx = ReqCtx { id: id.clone(), client, info: Default::default() };
    req.extensions_mut().insert(ctx.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert("x-request-id", v);
    }
    // Every answer, JSON or static file, is what its Content-Type says and nothing else.
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if path.starts_with("/ccc/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let info = ctx.info.lock().map(|i| (i.user.clone(), i.action.clone(), i.upstream.clone()));
    let (user, action, upstream) = info.unwrap_or_default();
    let line = format!(
        "{} agentbar-bridge req={id} {method} {} status={} user={} action={} upstream={} dur_ms={}",
        signer::iso8601_utc(std::time::SystemTime::now()),
        sanitize(&path),
        resp.status().as_u16(),
        user.as_deref().map(sanitize).unwrap_or_else(|| "-".into()),
        action.as_deref().map(sanitize).unwrap_or_else(|| "-".into()),
        upstream.as_deref().unwrap_or("-"),
        start.elapsed().as_millis(),
    );
    (st.log)(&line);
    resp
}

/// Keep log lines on one line and of bounded length.
fn sanitize(s: &str) -> String {
    s.chars().take(128).map(|c| if c.is_control() || c == ' ' { '_' } else { c }).collect()
}

// ---------------------------------------------------------------------------------------------
// responses

/// CCC-style error envelope.
fn error(ctx: &ReqCtx, status: StatusCode, code: &str, message: &str) -> Response {
    error_with(ctx, status, code, message, json!({}))
}

/// The envelope with extra fields (e.g. `RetryAfter`).
fn error_with(ctx: &ReqCtx, status: StatusCode, code: &str, message: &str, extra: Value) -> Response {
    let mut body = json!({
        "Code": code,
        "HttpStatusCode": status.as_u16(),
        "Message": message,
        "RequestId": ctx.id,
    });
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    (status, axum::Json(body)).into_response()
}

/// 429/503 with the wait in the body (`RetryAfter`, seconds) and in `Retry-After`.
fn retry_later(ctx: &ReqCtx, status: StatusCode, code: &str, message: &str, wait_ms: u64) -> Response {
    let secs = wait_ms.div_ceil(1000).max(1);
    let message = format!("{message} Try again in {secs} s.");
    let mut resp = error_with(ctx, status, code, &message, json!({ "RetryAfter": secs }));
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}

fn identity_json(id: &Identity) -> Value {
    json!({ "userId": id.user_id, "instanceId": id.instance_id, "displayName": id.display_name })
}

async fn not_found(Extension(ctx): Extension<ReqCtx>) -> Response {
    error(&ctx, StatusCode::NOT_FOUND, "NotFound", "No such bridge route.")
}

async fn method_not_allowed(Extension(ctx): Extension<ReqCtx>) -> Response {
    error(&ctx, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Method not allowed on this route.")
}

fn unauthorized(ctx: &ReqCtx, why: AuthError) -> Response {
    match why {
        AuthError::NotFromProxy => error(
            ctx,
            StatusCode::UNAUTHORIZED,
            "Unauthorized.Proxy",
            "The request did not come through the trusted proxy.",
        ),
        _ => error(ctx, StatusCode::UNAUTHORIZED, "Unauthorized.Session", "No valid agent session."),
    }
}

// ---------------------------------------------------------------------------------------------
// checks every POST passes first

/// One value of a header; absent or repeated → `None`.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let v = values.next()?;
    if values.next().is_some() {
        return None;
    }
    v.to_str().ok()
}

/// Refuse cross-site requests (CSRF) and anything a plain HTML form or a "simple" cross-site
/// `fetch` can send: a browser sends `Sec-Fetch-Site` (Chromium 76+, Firefox 90+, Safari
/// 16.4+) and `Origin` on every POST, and a page cannot forge either. A request with neither
/// comes from an old browser or from a non-browser client; both are refused (curl and scripts
/// say `Sec-Fetch-Site: same-origin`). `application/json` cannot be sent cross-site without a
/// CORS preflight, which the bridge never answers.
fn browser_guard(st: &AppState, ctx: &ReqCtx, headers: &HeaderMap) -> Option<Response> {
    static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
    let same_origin = single(headers, &SEC_FETCH_SITE) == Some("same-origin");
    let listed =
        || single(headers, &header::ORIGIN).is_some_and(|o| st.allowed_origins.iter().any(|a| a == o));
    if !(same_origin || listed()) {
        return Some(error(
            ctx,
            StatusCode::FORBIDDEN,
            "Forbidden.Origin",
            "Cross-site requests are refused: call the bridge from the toolbar's own origin.",
        ));
    }
    let json = single(headers, &header::CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Some(error(
            ctx,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Bridge.ContentType",
            "Content-Type must be application/json.",
        ));
    }
    None
}

fn body_refused(ctx: &ReqCtx, rejection: BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        error(ctx, StatusCode::PAYLOAD_TOO_LARGE, "Bridge.TooLarge", "The request body is too large.")
    } else {
        error(ctx, StatusCode::BAD_REQUEST, "Bridge.BadRequest", "The request body could not be read.")
    }
}

/// Pick up edits of the agents file: ends the sessions of agents removed or changed in it.
async fn refresh_agents(st: &AppState) {
    match st.agents.refresh() {
        Ok(revoked) if revoked.is_empty() => {}
        Ok(revoked) => {
            let now = auth::now_ms();
            for user_id in &revoked {
                st.stores.epochs.revoke(user_id, now).await;
            }
            (st.log)(&format!(
                "{} agentbar-bridge agents file re-read: {} agents, sessions ended for {} changed or removed",
                signer::iso8601_utc(std::time::SystemTime::now()),
                st.agents.get().len(),
                revoked.len(),
            ));
        }
        Err(e) => (st.log)(&format!(
            "{} agentbar-bridge agents file not re-read, keeping the previous list: {}",
            signer::iso8601_utc(std::time::SystemTime::now()),
            sanitize(&e),
        )),
    }
}

/// The agent behind this request, if its session is valid and not revoked.
async fn session_of(st: &AppState, headers: &HeaderMap) -> Result<Identity, AuthError> {
    refresh_agents(st).await;
    let s = st.auth.authenticate(headers)?;
    if let Some(issued) = s.issued_ms {
        if issued < st.stores.epochs.revoked_before(&s.identity.user_id).await {
            return Err(AuthError::NoSession);
        }
    }
    Ok(s.identity)
}

// ---------------------------------------------------------------------------------------------
// handlers

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(st): State<Arc<AppState>>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(refused) = browser_guard(&st, &ctx, &headers) {
        return refused;
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) => return body_refused(&ctx, rejection),
    };
    if !st.auth.issues_cookies() {
        // Trusted-header mode: the SSO proxy already authenticated the agent.
        return match session_of(&st, &headers).await {
            Ok(id) => {
                ctx.set(|i| i.user = Some(id.user_id.clone()));
                axum::Json(identity_json(&id)).into_response()
            }
            Err(AuthError::NotFromProxy) => unauthorized(&ctx, AuthError::NotFromProxy),
            Err(_) => error(&ctx, StatusCode::UNAUTHORIZED, "Authentication.Failed", "Unknown agent."),
        };
    }
    let creds = match serde_json::from_slice::<LoginBody>(&body) {
        Ok(c) if c.username.len() <= 256 && c.password.len() <= 1024 => c,
        _ => {
            return error(
                &ctx,
                StatusCode::BAD_REQUEST,
                "Bridge.BadRequest",
                "Expected {\"username\",\"password\"}.",
            )
        }
    };
    refresh_agents(&st).await;
    let (throttle, limits) = (&st.stores.throttle, &st.login);
    let user_key = format!("user:{}", creds.username);
    let ip_key = format!("ip:{}", ctx.client_key());
    let now = auth::now_ms();
    // The account first: an attempt on a locked account does no work, and does not count
    // against an address that many agents may share. Names are counted whether or not they
    // exist, so a lockout says nothing about which do.
    if let Err(wait) = throttle.attempt(&user_key, &limits.per_user, now).await {
        return retry_later(
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            "Throttling.Login",
            "Too many failed sign-ins for this account.",
            wait,
        );
    }
    if let Err(wait) = throttle.attempt(&ip_key, &limits.per_ip, now).await {
        throttle.refund(&user_key, false, &limits.per_user, now).await;
        return retry_later(
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            "Throttling.Login",
            "Too many failed sign-ins from this address.",
            wait,
        );
    }
    let st2 = st.clone();
    let Some(result) = st.argon.run(move || st2.auth.login(&creds.username, &creds.password)).await else {
        // Nobody's password was tried: this attempt does not count.
        throttle.refund(&user_key, false, &limits.per_user, now).await;
        throttle.refund(&ip_key, false, &limits.per_ip, now).await;
        return retry_later(
            &ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            "Throttling.LoginBusy",
            "Too many sign-ins at once.",
            1000,
        );
    };
    match result {
        Ok(id) => {
            ctx.set(|i| i.user = Some(id.user_id.clone()));
            let now = auth::now_ms();
            throttle.refund(&user_key, true, &limits.per_user, now).await;
            throttle.refund(&ip_key, false, &limits.per_ip, now).await;
            // Never issued before the agent's last revocation, even in the same millisecond.
            let issued = now.max(st.stores.epochs.revoked_before(&id.user_id).await);
            let mut resp = axum::Json(identity_json(&id)).into_response();
            if let Some(v) = st.auth.issue_cookie(&id, issued).and_then(|c| HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Err(AuthError::NotSupported) => {
            error(&ctx, StatusCode::BAD_REQUEST, "Bridge.BadRequest", "Login is not used in this mode.")
        }
        Err(_) => {
            error(&ctx, StatusCode::UNAUTHORIZED, "Authentication.Failed", "Wrong username or password.")
        }
    }
}

/// Ends every session of the agent (all its browsers), not only this cookie: the toolbar
/// holds one phone per agent, and a stolen copy of the cookie must die with the logout.
async fn logout(
    State(st): State<Arc<AppState>>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = browser_guard(&st, &ctx, &headers) {
        return refused;
    }
    refresh_agents(&st).await;
    if let Ok(session) = st.auth.authenticate(&headers) {
        if session.issued_ms.is_some() {
            st.stores.epochs.revoke(&session.identity.user_id, auth::now_ms()).await;
        }
        ctx.set(|i| i.user = Some(session.identity.user_id));
    }
    let mut resp = axum::Json(json!({})).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie()) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

async fn session(
    State(st): State<Arc<AppState>>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
) -> Response {
    match session_of(&st, &headers).await {
        Ok(id) => {
            ctx.set(|i| i.user = Some(id.user_id.clone()));
            axum::Json(identity_json(&id)).into_response()
        }
        Err(why) => unauthorized(&ctx, why),
    }
}

async fn api(
    State(st): State<Arc<AppState>>,
    Extension(ctx): Extension<ReqCtx>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(refused) = browser_guard(&st, &ctx, &headers) {
        return refused;
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) => return body_refused(&ctx, rejection),
    };
    let id = match session_of(&st, &headers).await {
        Ok(id) => id,
        Err(why) => return unauthorized(&ctx, why),
    };
    let Ok(Query(query)) = query else {
        return error(&ctx, StatusCode::BAD_REQUEST, "Bridge.BadRequest", "Malformed query string.");
    };
    let action = query.get("action").or_else(|| query.get("Action")).cloned().unwrap_or_default();
    ctx.set(|i| {
        i.user = Some(id.user_id.clone());
        i.action = (!action.is_empty()).then(|| action.clone());
    });
    if !st.limiter.check(&id.user_id) {
        return error(
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            "Throttling.Session",
            "Too many requests for this session.",
        );
    }
    if action.is_empty() {
        return error(
            &ctx,
            StatusCode::BAD_REQUEST,
            "MissingParameter.Action",
            "Query parameter action is required.",
        );
    }
    let Some(spec) = actions::lookup(&action) else {
        return error(
            &ctx,
            StatusCode::FORBIDDEN,
            "Forbidden.Action",
            "This action is not allowed through the bridge.",
        );
    };
    let params = match actions::build_params(spec, &body, &id.user_id, &id.instance_id) {
        Ok(p) => p,
        Err(ParamError::Permission(m)) => return error(&ctx, StatusCode::FORBIDDEN, "Permission.User", &m),
        Err(ParamError::Unknown(m)) => return error(&ctx, StatusCode::FORBIDDEN, "Forbidden.Parameter", &m),
        Err(ParamError::BadRequest(m)) => {
            return error(&ctx, StatusCode::BAD_REQUEST, "Bridge.BadRequest", &m)
        }
    };
    for (kind, name, value) in actions::bound_ids(&params) {
        if !st.stores.seen.knows(&id.user_id, kind, value).await {
            return error(
                &ctx,
                StatusCode::FORBIDDEN,
                "Forbidden.Resource",
                &format!("{name} does not name a call of this agent."),
            );
        }
    }
    if let Some(number) = actions::dialled_number(spec.name, &params) {
        if !actions::may_dial(&st.dial_prefixes, number) {
            return error(
                &ctx,
                StatusCode::FORBIDDEN,
                "Forbidden.Destination",
                "This number may not be dialled from the toolbar.",
            );
        }
    }
    debug_assert_eq!(id.instance_id, st.instance_id);
    forward(&st, &ctx, spec, &id, &params).await
}

/// Sign and send the call; pass CCC's status and JSON body back, minus other agents' personal
/// fields (`answers::filter`), and note the call ids the answer shows this agent.
async fn forward(
    st: &AppState,
    ctx: &ReqCtx,
    spec: ActionSpec,
    id: &Identity,
    params: &[(String, String)],
) -> Response {
    let action = spec.name;
    let fresh = Freshness::now();
    let signed = match st.signature {
        SignatureVersion::V3 => signer::sign_rpc_v3(&st.access_key, &st.host_header, action, params, &fresh),
        SignatureVersion::V1 => signer::sign_rpc_v1(&st.access_key, &st.host_header, action, params, &fresh),
    };
    let mut url = st.endpoint.clone();
    url.set_path("/");
    url.set_query(Some(&signed.query));
    let mut req =
        st.http.post(url).header(header::ACCEPT, "application/json").header(header::CONTENT_LENGTH, "0");
    for (k, v) in &signed.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut upstream = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            // Never put the reqwest error text anywhere: it can contain the signed URL.
            let kind = if e.is_timeout() {
                "timeout"
            } else if e.is_connect() {
                "connect"
            } else {
                "error"
            };
            ctx.set(|i| i.upstream = Some(kind.into()));
            return error(
                ctx,
                StatusCode::BAD_GATEWAY,
                "Bridge.Upstream",
                "The CCC endpoint could not be reached.",
            );
        }
    };
    let status = upstream.status();
    ctx.set(|i| i.upstream = Some(status.as_u16().to_string()));
    let content_type = upstream.headers().get(header::CONTENT_TYPE).cloned();
    let unreadable = |what: &str| {
        ctx.set(|i| i.upstream = Some(what.into()));
        error(ctx, StatusCode::BAD_GATEWAY, "Bridge.Upstream", "The CCC response could not be read.")
    };
    if upstream.content_length().is_some_and(|n| n > st.max_upstream_body as u64) {
        return unreadable("too-large");
    }
    let mut body = Vec::new();
    loop {
        match upstream.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > st.max_upstream_body => {
                return unreadable("too-large")
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(_) => return unreadable("error"),
        }
    }
    if status.is_success() && spec.takes_user_id {
        // The answer to an agent's own action is about that agent: its calls and legs.
        st.stores.seen.remember(&id.user_id, answers::ids_in(&body)).await;
    }
    let body = answers::filter(&body, &id.user_id).unwrap_or(body);
    let mut resp =
        (StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY), body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        content_type.unwrap_or_else(|| HeaderValue::from_static("application/json;charset=utf-8")),
    );
    resp
}

// ---------------------------------------------------------------------------------------------
// rate limiting

/// Token bucket per key (agent UserId), `rate` tokens/s up to `burst`.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: f64, burst: f64) -> Self {
        RateLimiter { rate: rate.max(0.0), burst: burst.max(1.0), buckets: Mutex::new(HashMap::new()) }
    }

    /// Take one token; `false` when the bucket is empty.
    pub fn check(&self, key: &str) -> bool {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else { return false };
        if buckets.len() > 10_000 {
            let (rate, burst) = (self.rate, self.burst);
            buckets
                .retain(|_, (tokens, last)| *tokens + now.duration_since(*last).as_secs_f64() * rate < burst);
        }
        let (tokens, last) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
