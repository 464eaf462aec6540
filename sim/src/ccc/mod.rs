//! The Alibaba Cloud CCC OpenAPI 2020-07-01 dialect: RPC-style requests to `/`.
//!
//! A request to `/` is CCC (`request::is_ccc`) when it carries `Action` in the query or an
//! `x-acs-action` header, or is a POST; everything else at `/` goes on to the static files.
//! Parameters come from the query string and from an `application/x-www-form-urlencoded` body.
//! The signature is checked (V3 ACS3-HMAC-SHA256 or V1 HMAC-SHA1, see [`sign`]) against the
//! configured test AccessKey, the request is logged for `/sim/requests`, and the action runs
//! against the shared model.
//! Answers use CCC's envelope with the HTTP status equal to `HttpStatusCode`.

pub mod sign;

use crate::model::ccc::CccFail;
use crate::request::{body_value, FaultTag, ForcedError};
use crate::{params, App, SharedApp};
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const VERSION: &str = "2020-07-01";

/// Parameters that belong to the protocol/signature, not to the action (not in the log's
/// `params`, not passed to actions).
const PROTOCOL_PARAMS: [&str; 10] = [
    "Action",
    "Version",
    "Format",
    "Timestamp",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "AccessKeyId",
    "SecurityToken",
];

fn is_form(headers: &HeaderMap, body: &[u8]) -> bool {
    match headers.get("content-type").and_then(|v| v.to_str().ok()) {
        Some(ct) => ct.to_ascii_lowercase().contains("x-www-form-urlencoded"),
        None => !body.is_empty() && !body.starts_with(b"{"),
    }
}

fn request_id(fixed: &str) -> String {
    if fixed.is_empty() {
        uuid::Uuid::new_v4().to_string().to_uppercase()
    } else {
        fixed.to_string()
    }
}

fn error_response(fail: &CccFail, request_id: String) -> Response {
    let mut body = json!({
        "Code": fail.code,
        "HttpStatusCode": fail.status,
        "Message": fail.message,
        "RequestId": request_id,
    });
    if !fail.params.is_empty() {
        body["Params"] = json!(fail.params);
    }
    let status = StatusCode::from_u16(fail.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(body)).into_response()
}

pub async fn handle(app: SharedApp, req: Request) -> Response {
    let now = app.now();
    let tag = req.extensions().get::<FaultTag>().map(|t| t.0);
    let forced = req.extensions().get::<ForcedError>().map(|f| f.0.clone());
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let method = parts.method.as_str().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let query = params::query_pairs(&raw_query);
    let form = if is_form(&parts.headers, &body) {
        params::query_pairs(&String::from_utf8_lossy(&body))
    } else {
        Vec::new()
    };
    let all: Vec<(String, String)> = query.iter().chain(form.iter()).cloned().collect();
    let get = |k: &str| all.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let header = |k: &str| parts.headers.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
    let action = get("Action").or_else(|| header("x-acs-action")).unwrap_or_default();
    let version = get("Version").or_else(|| header("x-acs-version")).unwrap_or_default();
    let mut business: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in &all {
        if !PROTOCOL_PARAMS.contains(&k.as_str()) {
            business.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    let (key_id, key_secret, fixed_id) = {
        let sim = app.lock();
        (
            sim.cfg.ccc.access_key_id.clone(),
            sim.cfg.ccc.access_key_secret.clone(),
            sim.cfg.knobs.ccc_fixed_request_id.clone(),
        )
    };
    let key = (key_id.as_str(), key_secret.as_str());
    let auth = header("authorization").unwrap_or_default();
    let checked = if auth.trim_start().starts_with("ACS3-") {
        sign::verify_v3(&method, parts.uri.path(), &query, &parts.headers, &body, key)
    } else if get("Signature").is_some() {
        sign::verify_v1(&method, &all, key)
    } else {
        Err((None, sign::SigError::Missing))
    };
    let signature = match &checked {
        Ok(info) => json!({"scheme": info.scheme, "valid": true, "accessKeyId": info.access_key_id}),
        Err((Some(info), _)) => {
            json!({"scheme": info.scheme, "valid": false, "accessKeyId": info.access_key_id})
        }
        Err((None, _)) => Value::Null,
    };

    let rid = request_id(&fixed_id);
    let mut out = Vec::new();
    let outcome: Result<Option<Value>, CccFail> = {
        let mut sim = app.lock();
        let seq = sim.record_request(now, &method, parts.uri.path(), &raw_query, None, body_value(&body));
        if let Some(kind) = tag.or_else(|| sim.faults.observed_by(None)) {
            sim.tag_request(seq, kind);
        }
        let mut extra = Map::new();
        extra.insert("dialect".into(), json!("ccc"));
        extra.insert("action".into(), json!(action));
        extra.insert("params".into(), json!(business));
        extra.insert("signature".into(), signature);
        if let Some(last) = sim.requests.last_mut() {
            last.ccc = Some(extra);
        }
        let result = match checked {
            // A `cccError` fault: logged above, answered with its error, not processed.
            _ if forced.is_some() => Err(sim.ccc_fault_error(forced.as_ref().expect("checked"), &business)),
            _ if action.is_empty() => Err(CccFail::blank("Action")),
            Err((_, sign::SigError::Missing)) => Err(CccFail::new(
                400,
                "MissingSignature",
                "The input parameter Signature (or the Authorization header) that is mandatory for processing this request is not supplied.",
                vec![],
            )),
            Err((_, sign::SigError::UnknownKey(id))) => Err(CccFail::new(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key (%s) is not found.",
                vec![id],
            )),
            Err((_, sign::SigError::Mismatch(sts))) => Err(CccFail {
                status: 400,
                code: "SignatureDoesNotMatch".into(),
                message: format!(
                    "Specified signature is not matched with our calculation. server string to sign is:{sts}"
                ),
                params: vec![],
            }),
            Ok(_) if version != VERSION => Err(CccFail::new(
                400,
                "InvalidVersion",
                "Specified parameter Version (%s) is not valid.",
                vec![version.clone()],
            )),
            Ok(_) => sim.ccc_action(&action, &business, now, &mut out),
        };
        App::queue(&mut sim, std::mem::take(&mut out), now);
        result.map(|data| {
            // The GetCallDetailRecord envelope has no Params (SDK model).
            let params =
                if action == "GetCallDetailRecord" { None } else { sim.cfg.knobs.ccc_success_params.clone() };
            let mut body = json!({
                "Code": "OK",
                "HttpStatusCode": 200,
                "Message": sim.cfg.knobs.ccc_success_message,
                "RequestId": rid.clone(),
            });
            if let Some(p) = params {
                body["Params"] = json!(p);
            }
            if let Some(d) = data {
                body["Data"] = d;
            }
            Some(body)
        })
    };
    app.wake();
    match outcome {
        Ok(Some(body)) => (StatusCode::OK, Json(body)).into_response(),
        Ok(None) => (StatusCode::OK, Body::empty()).into_response(),
        Err(f) => error_response(&f, rid),
    }
}
