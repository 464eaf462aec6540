//! The HTTP server: `/ccc/login`, `/ccc/logout`, `/ccc/session`, `/ccc/api`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::json;

use crate::actions::{self, ParamError};
use crate::auth::{self, AuthError, Authenticator, CookieSigner, Identity};
use crate::config::Settings;
use crate::signer::{self, AccessKey, Freshness, SignatureVersion};

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
    cookies: Option<CookieSigner>,
    secure_cookies: bool,
    limiter: RateLimiter,
    http: reqwest::Client,
    log: LogSink,
}

impl AppState {
    pub fn new(settings: Settings, log: LogSink) -> Result<Arc<Self>, String> {
        let endpoint = reqwest::Url::parse(settings.endpoint.trim_end_matches('/'))
            .map_err(|e| format!("invalid endpoint {:?}: {e}", settings.endpoint))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(format!("endpoint must be an http(s) URL, got {:?}", settings.endpoint));
        }
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
        let (auth, cookies) = settings.auth.build(&settings.instance_id)?;
        Ok(Arc::new(AppState {
            instance_id: settings.instance_id,
            endpoint,
            host_header,
            signature: settings.signature,
            access_key: settings.access_key,
            auth,
            secure_cookies: cookies.as_ref().is_some_and(|c| c.secure),
            cookies,
            limiter: RateLimiter::new(settings.rate_per_sec, settings.burst),
            http,
            log,
        }))
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
        .layer(DefaultBodyLimit::max(64 * 1024));
    let app = match static_dir {
        Some(dir) => ccc.route("/ccc/{*rest}", axum::routing::any(not_found)).fallback_service(
            tower_http::services::ServeDir::new(dir).append_index_html_on_directories(true),
        ),
        None => ccc.fallback(not_found),
    };
    app.layer(middleware::from_fn_with_state(state.clone(), log_requests)).with_state(state)
}

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
    info: Arc<Mutex<LogInfo>>,
}

impl ReqCtx {
    fn set(&self, f: impl FnOnce(&mut LogInfo)) {
        if let Ok(mut i) = self.info.lock() {
            f(&mut i);
        }
    }
}

async fn log_requests(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let ctx = ReqCtx { id: id.clone(), info: Default::default() };
    req.extensions_mut().insert(ctx.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    if path.starts_with("/ccc/") {
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
    let body = json!({
        "Code": code,
        "HttpStatusCode": status.as_u16(),
        "Message": message,
        "RequestId": ctx.id,
    });
    (status, axum::Json(body)).into_response()
}

fn identity_json(id: &Identity) -> serde_json::Value {
    json!({ "userId": id.user_id, "instanceId": id.instance_id, "displayName": id.display_name })
}

async fn not_found(Extension(ctx): Extension<ReqCtx>) -> Response {
    error(&ctx, StatusCode::NOT_FOUND, "NotFound", "No such bridge route.")
}

async fn method_not_allowed(Extension(ctx): Extension<ReqCtx>) -> Response {
    error(&ctx, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Method not allowed on this route.")
}

fn unauthorized(ctx: &ReqCtx) -> Response {
    error(ctx, StatusCode::UNAUTHORIZED, "Unauthorized.Session", "No valid agent session.")
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
    body: Bytes,
) -> Response {
    if !st.auth.issues_cookies() {
        // Trusted-header mode: the SSO proxy already authenticated the agent.
        return match st.auth.authenticate(&headers) {
            Ok(id) => {
                ctx.set(|i| i.user = Some(id.user_id.clone()));
                axum::Json(identity_json(&id)).into_response()
            }
            Err(_) => error(&ctx, StatusCode::UNAUTHORIZED, "Authentication.Failed", "Unknown agent."),
        };
    }
    let Ok(creds) = serde_json::from_slice::<LoginBody>(&body) else {
        return error(
            &ctx,
            StatusCode::BAD_REQUEST,
            "Bridge.BadRequest",
            "Expected {\"username\",\"password\"}.",
        );
    };
    if !st.limiter.check(&format!("login:{}", creds.username)) {
        return error(&ctx, StatusCode::TOO_MANY_REQUESTS, "Throttling.Session", "Too many login attempts.");
    }
    let st2 = st.clone();
    let result = tokio::task::spawn_blocking(move || st2.auth.login(&creds.username, &creds.password)).await;
    match result {
        Ok(Ok(id)) => {
            ctx.set(|i| i.user = Some(id.user_id.clone()));
            let mut resp = axum::Json(identity_json(&id)).into_response();
            if let Some(cookies) = &st.cookies {
                let token = cookies.issue(&id.user_id, &id.instance_id, auth::now_secs());
                if let Ok(v) = HeaderValue::from_str(&cookies.set_cookie(&token)) {
                    resp.headers_mut().insert(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Ok(Err(AuthError::NotSupported)) => {
            error(&ctx, StatusCode::BAD_REQUEST, "Bridge.BadRequest", "Login is not used in this mode.")
        }
        Ok(Err(_)) => {
            error(&ctx, StatusCode::UNAUTHORIZED, "Authentication.Failed", "Wrong username or password.")
        }
        Err(_) => error(&ctx, StatusCode::INTERNAL_SERVER_ERROR, "Bridge.Internal", "Login failed."),
    }
}

async fn logout(
    State(st): State<Arc<AppState>>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
) -> Response {
    if let Ok(id) = st.auth.authenticate(&headers) {
        ctx.set(|i| i.user = Some(id.user_id));
    }
    let mut resp = axum::Json(json!({})).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(st.secure_cookies)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

async fn session(
    State(st): State<Arc<AppState>>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
) -> Response {
    match st.auth.authenticate(&headers) {
        Ok(id) => {
            ctx.set(|i| i.user = Some(id.user_id.clone()));
            axum::Json(identity_json(&id)).into_response()
        }
        Err(_) => unauthorized(&ctx),
    }
}

async fn api(
    State(st): State<Arc<AppState>>,
    Extension(ctx): Extension<ReqCtx>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(id) = st.auth.authenticate(&headers) else {
        return unauthorized(&ctx);
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
        Err(ParamError::BadRequest(m)) => {
            return error(&ctx, StatusCode::BAD_REQUEST, "Bridge.BadRequest", &m)
        }
    };
    debug_assert_eq!(id.instance_id, st.instance_id);
    forward(&st, &ctx, spec.name, &params).await
}

/// Sign and send the call; pass CCC's status and JSON body back unchanged.
async fn forward(st: &AppState, ctx: &ReqCtx, action: &str, params: &[(String, String)]) -> Response {
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
    let upstream = match req.send().await {
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
    let body = match upstream.bytes().await {
        Ok(b) => b,
        Err(_) => {
            return error(
                ctx,
                StatusCode::BAD_GATEWAY,
                "Bridge.Upstream",
                "The CCC response could not be read.",
            )
        }
    };
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
