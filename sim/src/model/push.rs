//! CC-Gateway push mode (reference cc-gateway.md §3.1, §3.2, §4 "push-mode callback body") and
//! CCC event subscriptions delivered to a Webhook (aliyun-ccc.md §6), plus the per-agent request
//! counts an end-to-end test asserts on (`GET /sim/counts`).
//!
//! Push mode: sign-in with both `callBackUri` and `serviceToken` → the session's events are not
//! queued for `GET agentevent` but POSTed as `{workNo, eventList}` to the callback URI; the
//! session lives as long as `POST onlineagent/{id}/handshake` comes at least every
//! `pushHandshakeTimeoutMs` (2 minutes). Long-polls of a push session are answered as usual
//! (empty) and counted, so tests can assert there were none.

use super::{Ms, Sim};
use crate::codes::{self, Fail};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Sign-in body field: the push-mode callback URL (READ, sign-in page).
pub const CALLBACK_URI_FIELD: &str = "callBackUri";
/// Sign-in body field: the push-mode token (READ, sign-in page).
pub const SERVICE_TOKEN_FIELD: &str = "serviceToken";
/// Header carrying the token on the handshake (READ: "optional header service_token").
pub const HANDSHAKE_TOKEN_HEADER: &str = "service_token";
/// Header carrying the token on each callback POST (INFERRED: the same as the handshake's).
pub const CALLBACK_TOKEN_HEADER: &str = "service_token";
/// Callback body fields (READ, cec_07_1275).
pub const CALLBACK_WORKNO_FIELD: &str = "workNo";
pub const CALLBACK_LIST_FIELD: &str = "eventList";

/// CCC `UpdateSubscription`: the ProducerId that selects Webhook delivery (READ).
pub const WEBHOOK_PRODUCER_ID: &str = "PID_Webhook";
/// INFERRED: the parameter listing event types, a JSON array of `{"EventType","Enabled"}`
/// (absent: every type).
pub const SUBSCRIPTIONS_PARAM: &str = "Subscriptions";

/// A session's push target.
#[derive(Debug, Clone)]
pub struct PushTarget {
    pub uri: String,
    pub token: String,
    pub last_handshake: Ms,
}

/// One POST the delivery task sends.
#[derive(Debug, Clone, PartialEq)]
pub struct PushPost {
    pub uri: String,
    /// Value of [`CALLBACK_TOKEN_HEADER`] (None for webhooks).
    pub token: Option<String>,
    /// Agent (ordering key: one agent's posts go out in order).
    pub agent: String,
    pub body: Value,
}

/// Per-agent request counts (`GET /sim/counts`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCounts {
    pub long_polls: u64,
    /// Long-polls while the agent's session was in push mode.
    pub long_polls_in_push_mode: u64,
    pub poll_user_status: u64,
    pub handshakes: u64,
    pub agent_status: u64,
    pub push_posts: u64,
    pub push_events: u64,
    pub push_failures: u64,
}

/// The CCC Webhook subscription (`UpdateSubscription` with `PID_Webhook`).
#[derive(Debug, Clone, Default)]
pub struct Subscription {
    pub access_point: String,
    /// None: every event type.
    pub types: Option<Vec<String>>,
}

/// Push-mode part of the sign-in body: Some when both fields are there (push mode).
pub fn push_fields(body: &Value) -> Result<Option<(String, String)>, Fail> {
    let get = |k: &str| match body.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Fail::bad_param(format!("{k} must be a string"))),
    };
    let (uri, token) = (get(CALLBACK_URI_FIELD)?, get(SERVICE_TOKEN_FIELD)?);
    if let Some(u) = &uri {
        if u.len() > 200 || !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(Fail::bad_param("callBackUri must be an http(s) URL of at most 200 characters"));
        }
    }
    if let Some(t) = &token {
        if t.len() > 50 || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Fail::bad_param("serviceToken: at most 50 letters and digits"));
        }
    }
    Ok(uri.zip(token))
}

impl Sim {
    pub fn count(&mut self, agent: &str) -> &mut AgentCounts {
        self.counts.entry(agent.to_string()).or_default()
    }

    pub fn is_push(&self, agent: &str) -> bool {
        self.agents.get(agent).and_then(|a| a.session.as_ref()).is_some_and(|s| !s.closed && s.push.is_some())
    }

    /// `POST onlineagent/{id}/handshake`: authenticated by the `service_token` header (else the
    /// Guid, checked by the caller). Returns the new GUID when it rotated (dynamic mode).
    pub fn handshake(
        &mut self,
        workno: &str,
        token: Option<&str>,
        guid_ok: bool,
        now: Ms,
    ) -> Result<Option<String>, Fail> {
        self.count(workno).handshakes += 1;
        let knobs = self.cfg.knobs.clone();
        let session = self
            .agents
            .get_mut(workno)
            .and_then(|a| a.session.as_mut())
            .filter(|s| !s.closed)
            .ok_or_else(|| Fail::code(codes::NOT_SIGNED_IN))?;
        let Some(push) = session.push.as_mut() else {
            return Err(Fail::detail(codes::WRONG_STATE, "handshake is for push-mode sessions only"));
        };
        let token_ok = token.is_some_and(|t| t == push.token);
        if !token_ok && !guid_ok {
            return Err(Fail::detail(&knobs.stale_guid_retcode, "wrong service_token and no valid Guid"));
        }
        push.last_handshake = now;
        let due = now >= session.guid_issued + knobs.guid_interval_ms;
        if knobs.auth_mode == crate::config::AuthMode::Dynamic && due {
            return Ok(self.rotate_guid(workno, now));
        }
        Ok(None)
    }

    /// Push sessions whose handshake is overdue.
    pub(super) fn push_overdue(&self, now: Ms) -> Vec<String> {
        let timeout = self.cfg.knobs.push_handshake_timeout_ms;
        self.agents
            .values()
            .filter(|a| {
                a.session.as_ref().is_some_and(|s| {
                    !s.closed && s.push.as_ref().is_some_and(|p| now >= p.last_handshake + timeout)
                })
            })
            .map(|a| a.cfg.workno.clone())
            .collect()
    }

    pub(super) fn push_next_due(&self) -> Option<Ms> {
        let timeout = self.cfg.knobs.push_handshake_timeout_ms;
        self.agents
            .values()
            .filter_map(|a| {
                a.session.as_ref().filter(|s| !s.closed)?.push.as_ref().map(|p| p.last_handshake + timeout)
            })
            .min()
    }

    /// Takes the posts waiting for the delivery task.
    pub fn take_push_posts(&mut self) -> Vec<PushPost> {
        std::mem::take(&mut self.push_outbox)
    }

    /// Queues one event of a push session: consecutive events of one agent share a POST.
    pub(super) fn push_event(&mut self, agent: &str, target: &PushTarget, event: Value) {
        self.count(agent).push_events += 1;
        if let Some(last) = self.push_outbox.last_mut() {
            if last.agent == agent && last.token.as_deref() == Some(&target.token) && last.uri == target.uri {
                if let Some(list) = last.body.get_mut(CALLBACK_LIST_FIELD).and_then(Value::as_array_mut) {
                    list.push(event);
                    return;
                }
            }
        }
        self.push_outbox.push(PushPost {
            uri: target.uri.clone(),
            token: Some(target.token.clone()),
            agent: agent.to_string(),
            body: json!({CALLBACK_WORKNO_FIELD: agent, CALLBACK_LIST_FIELD: [event]}),
        });
    }

    /// `/sim/counts`: per-agent counts and totals.
    pub fn counts_snapshot(&self) -> Value {
        let mut total = AgentCounts::default();
        for c in self.counts.values() {
            total.long_polls += c.long_polls;
            total.long_polls_in_push_mode += c.long_polls_in_push_mode;
            total.poll_user_status += c.poll_user_status;
            total.handshakes += c.handshakes;
            total.agent_status += c.agent_status;
            total.push_posts += c.push_posts;
            total.push_events += c.push_events;
            total.push_failures += c.push_failures;
        }
        let agents: BTreeMap<&String, &AgentCounts> = self.counts.iter().collect();
        json!({"agents": agents, "total": total, "webhook": self.webhook.as_ref().map(|w| json!({"accessPoint": w.access_point, "types": w.types}))})
    }

    /// CCC `UpdateSubscription`: `ProducerId` `PID_Webhook` with `AccessPoint` (the URL) turns
    /// Webhook delivery on; any other ProducerId (RocketMQ) turns it off here.
    pub fn ccc_update_subscription(
        &mut self,
        p: &BTreeMap<String, String>,
    ) -> Result<Option<Value>, super::ccc::CccFail> {
        use super::ccc::CccFail;
        let producer = p.get("ProducerId").map(String::as_str).unwrap_or("");
        if producer != WEBHOOK_PRODUCER_ID {
            self.webhook = None;
            return Ok(None);
        }
        let ap = p.get("AccessPoint").cloned().unwrap_or_default();
        if !(ap.starts_with("http://") || ap.starts_with("https://")) {
            return Err(CccFail::invalid("AccessPoint", &ap));
        }
        let types = match p.get(SUBSCRIPTIONS_PARAM) {
            None => None,
            Some(s) => {
                let list: Vec<Value> =
                    serde_json::from_str(s).map_err(|_| CccFail::invalid(SUBSCRIPTIONS_PARAM, s))?;
                Some(
                    list.iter()
                        .filter(|v| v.get("Enabled").and_then(Value::as_bool).unwrap_or(true))
                        .filter_map(|v| v.get("EventType").and_then(Value::as_str).map(String::from))
                        .collect(),
                )
            }
        };
        self.webhook = Some(Subscription { access_point: ap, types });
        Ok(None)
    }

    /// Queues one CCC event for the Webhook (if subscribed to its type).
    pub(super) fn webhook_event(&mut self, event: Value) {
        let Some(sub) = &self.webhook else {
            return;
        };
        let ty = event.get("eventType").and_then(Value::as_str).unwrap_or("");
        if sub.types.as_ref().is_some_and(|t| !t.iter().any(|x| x == ty)) {
            return;
        }
        let agent = event.get("agentId").and_then(Value::as_str).unwrap_or("").to_string();
        self.push_outbox.push(PushPost { uri: sub.access_point.clone(), token: None, agent, body: event });
    }
}

/// ISO-8601 UTC with milliseconds, as CCC's `eventTime`.
pub fn iso8601(ms: Ms) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem % 3600 / 60, rem % 60, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_798_761_600_123), "2027-01-01T00:00:00.123Z");
    }

    #[test]
    fn push_needs_both_fields() {
        assert_eq!(push_fields(&json!({"callBackUri": "http://x/cb"})).unwrap(), None);
        assert_eq!(
            push_fields(&json!({"callBackUri": "http://x/cb", "serviceToken": "abc1"})).unwrap(),
            Some(("http://x/cb".into(), "abc1".into()))
        );
        assert!(push_fields(&json!({"callBackUri": "http://x/cb", "serviceToken": "a-b"})).is_err());
    }
}
