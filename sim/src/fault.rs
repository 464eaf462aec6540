//! The HTTP side of fault injection (`/sim/fault`, documented in sim/README.md).
//!
//! A middleware in front of every vendor request (Huawei paths and CCC requests to `/`) asks
//! the model whether an armed fault hits the request and, for the transport kinds, replaces or
//! spoils the answer: no answer at all (`drop`), a proxy's HTML error page (`status`), a late
//! answer (`slow`), an HTML page with HTTP 200 (`malformed`) or half the JSON (`truncated`).
//! An action fault with a `match` is carried out just before the matching request runs. An
//! error-answer fault (`retcode`, `cccError`) marks the request with [`ForcedError`]: the
//! dialect handler logs it and answers that error without processing it.

use crate::model::{DropStage, Fault, FaultKind};
use crate::request::{self, body_value, path_agent, FaultTag, ForcedError};
use crate::{now_ms, App, SharedApp};
use axum::body::{to_bytes, Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

const BODY_LIMIT: usize = 4 << 20;

/// The text a fault's `match` is looked for in: path and query; for CCC also the action
/// (`x-acs-action` header) and the form body (`Action=...`).
fn subject(req: &Request, huawei: bool, body: &[u8]) -> String {
    let mut s = req.uri().path().to_string();
    if let Some(q) = req.uri().query().filter(|q| !q.is_empty()) {
        s.push('?');
        s.push_str(q);
    }
    if !huawei {
        if let Some(action) = req.headers().get("x-acs-action").and_then(|v| v.to_str().ok()) {
            s.push(' ');
            s.push_str(action);
        }
        if !body.is_empty() {
            s.push(' ');
            s.push_str(&String::from_utf8_lossy(body));
        }
    }
    s
}

pub async fn layer(State(app): State<SharedApp>, req: Request, next: Next) -> Response {
    let huawei = request::is_huawei(req.uri().path());
    if !(huawei || request::is_ccc(&req)) || !app.lock().faults.any_for_requests() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut req = Request::from_parts(parts, Body::from(bytes.clone()));
    let path = req.uri().path().to_string();
    let agent = if huawei { path_agent(&path) } else { None };
    let subject = subject(&req, huawei, &bytes);
    // Identifies a request for the resend check: method, path, query, Guid and body.
    let key = format!(
        "{} {subject} {:?} {}",
        req.method(),
        req.headers().get("guid").and_then(|v| v.to_str().ok()),
        String::from_utf8_lossy(&bytes)
    );
    let hit = {
        let mut sim = app.lock();
        if sim.faults.is_resend(&key, now_ms()) {
            drop(sim);
            record_unforwarded(&app, &req, huawei, &bytes, FaultKind::Drop);
            return dropped(DropStage::Head);
        }
        sim.faults.take_request(&subject, agent.as_deref(), huawei)
    };
    let Some(fault) = hit else {
        return next.run(req).await;
    };
    req.extensions_mut().insert(FaultTag(fault.kind));

    if fault.kind.is_action() {
        let now = app.now();
        {
            let mut sim = app.lock();
            // A failure (the agent is not signed in) leaves nothing to do; the request is still
            // marked as the one that triggered it.
            if let Ok(out) = sim.apply_fault(&fault, now) {
                App::queue(&mut sim, out, now);
            }
        }
        app.wake();
        return next.run(req).await;
    }

    let delay = Duration::from_millis(fault.delay_ms);
    if fault.kind.is_error_answer() {
        tokio::time::sleep(delay).await;
        req.extensions_mut().insert(ForcedError(fault));
        return next.run(req).await;
    }
    match fault.kind {
        FaultKind::Slow => {
            let response = next.run(req).await;
            tokio::time::sleep(delay).await;
            response
        }
        FaultKind::Truncated => {
            let response = next.run(req).await;
            tokio::time::sleep(delay).await;
            truncate(response).await
        }
        _ => {
            if fault.forward {
                let _ = next.run(req).await;
            } else {
                record_unforwarded(&app, &req, huawei, &bytes, fault.kind);
            }
            tokio::time::sleep(delay).await;
            match fault.kind {
                FaultKind::Drop => {
                    if fault.stage == DropStage::Head {
                        app.lock().faults.remember_drop(key, now_ms());
                    }
                    dropped(fault.stage)
                }
                FaultKind::Status => error_page(&fault),
                _ => portal_page(),
            }
        }
    }
}

/// Logs a request the gateway never saw (the fault answered instead).
fn record_unforwarded(app: &SharedApp, req: &Request, huawei: bool, body: &Bytes, kind: FaultKind) {
    let guid = huawei
        .then(|| req.headers().get("guid").and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string()))
        .flatten();
    let now = app.now();
    let mut sim = app.lock();
    let seq = sim.record_request(
        now,
        req.method().as_str(),
        req.uri().path(),
        req.uri().query().unwrap_or(""),
        guid,
        body_value(body),
    );
    sim.tag_request(seq, kind);
}

/// A body that fails. Failing on the first poll, hyper closes the connection before the status
/// line leaves its buffer: the client sees the connection end with no HTTP answer. With a
/// short wait first (`DropStage::Body`), the status line and headers are flushed and the
/// connection dies where the body should start.
struct Abort {
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl HttpBody for Abort {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if let Some(wait) = self.wait.as_mut() {
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.wait = None;
        }
        Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fault: drop"))))
    }
}

fn dropped(stage: DropStage) -> Response {
    let wait = match stage {
        DropStage::Head => None,
        DropStage::Body => Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))),
    };
    let mut response = Response::new(Body::new(Abort { wait }));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn html(status: StatusCode, text: String) -> Response {
    let mut response = (status, text).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response
}

/// An nginx-style error page, as a reverse proxy in front of the gateway sends.
fn error_page(fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
    html(
        status,
        format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
             <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        ),
    )
}

/// HTTP 200 with an HTML page (a captive portal or a proxy's login page), not JSON.
fn portal_page() -> Response {
    html(
        StatusCode::OK,
        "<!DOCTYPE html>\n<html><head><title>Network login</title></head><body>\
         <h1>Sign in to continue</h1><p>Your network session has expired.</p></body></html>\n"
            .to_string(),
    )
}

/// The real answer with its body cut in half (headers kept, length adjusted).
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
}
