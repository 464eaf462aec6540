//! Host events derived from the session, the snapshot, and the replay journal.

use super::protocol::Envelope;
use crate::core::actions::allowed_actions;
use crate::core::cdr::CallDetail;
use crate::core::model::{CallPhase, Connection, Direction, Failure, Notice, NoticeKind};
use crate::core::{Call, Session};
use serde_json::{json, Value};
use std::collections::VecDeque;

fn call_json(s: &Session, c: &Call) -> Value {
    let phase = match c.phase {
        CallPhase::Ringing => "ringing",
        CallPhase::Dialing { .. } => "dialing",
        CallPhase::Talking => "talking",
        CallPhase::Held => "held",
    };
    let direction = match c.direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
        Direction::Internal => "internal",
    };
    // allowedActions describe what the agent can do right now with the calls it has.
    let actions: Vec<&str> = allowed_actions(s).iter().map(|a| a.name()).collect();
    json!({
        "callId": c.id, "caller": c.caller, "called": c.called, "state": phase, "direction": direction,
        "skill": c.skill, "calldata": c.calldata, "transferredFrom": c.transferred_from,
        "muted": c.muted, "since": c.phase_since, "allowedActions": actions,
    })
}

fn both(msg: crate::i18n::Msg) -> Value {
    use crate::i18n::Lang;
    json!({ "zh-CN": msg.text(Lang::Zh), "en": msg.text(Lang::En) })
}

/// A notice as hosts get it: the toolbar's message key and text in both languages, and the
/// vendor's code with its text when the toolbar knows it.
fn notice_json(n: &Notice) -> Value {
    use crate::i18n::{retcode_text, Lang};
    let vendor_text = n
        .code
        .as_deref()
        .and_then(|c| Some(json!({ "zh-CN": retcode_text(c, Lang::Zh)?, "en": retcode_text(c, Lang::En)? })));
    json!({
        "id": n.id,
        "level": if n.kind == NoticeKind::Error { "error" } else { "info" },
        "code": format!("{:?}", n.msg),
        "message": both(n.msg),
        "vendorCode": n.code,
        "vendorMessage": vendor_text,
        "detail": n.detail,
        "retryAfter": n.retry_after_secs,
    })
}

/// A dial, transfer or consult that did not connect.
fn failure_json(n: &Notice, f: &Failure) -> Value {
    let code = match f.refused {
        None => "not_connected",
        Some(kind) => super::protocol::EmbedError::from_kind(kind).code(),
    };
    json!({
        "attempt": f.attempt.name(),
        "callId": f.call_id,
        "code": code,
        "vendorCode": n.code,
        "message": both(n.msg),
    })
}

fn opt_ms(v: Option<u64>) -> Value {
    v.map_or(Value::Null, |v| json!(v))
}

/// The call's detail record for CRM call logging.
pub fn detail_json(d: &CallDetail) -> Value {
    let timeline: Vec<Value> = d
        .timeline
        .iter()
        .map(|e| json!({ "at": e.at, "source": e.source.name(), "who": e.who, "event": e.event }))
        .collect();
    json!({
        "callId": d.call_id, "disposition": d.disposition, "contactType": d.contact_type,
        "releasedBy": d.released_by, "releaseReason": d.release_reason, "earlyMediaState": d.early_media_state,
        "caller": d.caller, "called": d.called, "callerLocation": d.caller_location, "calleeLocation": d.callee_location,
        "agents": d.agents, "skillGroups": d.skill_groups,
        "start": opt_ms(d.start), "established": opt_ms(d.established), "released": opt_ms(d.released),
        "waitSecs": d.wait_secs(), "talkSecs": d.talk_secs,
        "recordingReady": d.recording_ready, "satisfaction": d.satisfaction,
        "satisfactionChannel": d.satisfaction_channel, "surveyOffered": d.survey_offered,
        "analytics": d.analytics.as_ref().map(|a| json!({
            "problemSolved": a.problem_solved, "problem": a.problem, "solution": a.solution,
            "emotion": a.emotion, "emotionConfidence": a.emotion_confidence,
            "satisfactionNote": a.satisfaction_note, "todo": a.todo,
        })),
        "timeline": timeline,
    })
}

fn connection_name(c: Connection) -> &'static str {
    match c {
        Connection::Online => "online",
        Connection::Offline => "offline",
        Connection::Reconnecting { .. } => "reconnecting",
    }
}

/// Everything a host needs to draw the agent's situation from scratch.
pub fn snapshot(s: &Session) -> Value {
    let actions: Vec<&str> = allowed_actions(s).iter().map(|a| a.name()).collect();
    json!({
        "agent": { "id": s.agent_id, "state": s.display_state().name(), "since": s.display_since() },
        "connection": connection_name(s.connection),
        "calls": s.calls.iter().map(|c| call_json(s, c)).collect::<Vec<_>>(),
        "consult": s.consult.as_ref().map(|c| json!({ "callId": c.customer_call_id, "target": c.target })),
        "allowedActions": actions,
    })
}

/// The events a host is told about when the session changes from `prev` to `next`.
pub fn host_events(prev: &Session, next: &Session, now: u64) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let (ps, ns) = (prev.display_state(), next.display_state());
    if ps != ns || prev.agent != next.agent {
        out.push((
            "agent.stateChanged",
            json!({ "state": ns.name(), "previous": ps.name(), "allowedActions": allowed_actions(next).iter().map(|a| a.name()).collect::<Vec<_>>() }),
        ));
    }
    for c in &next.calls {
        let before = prev.call(&c.id).map(|p| p.phase);
        let became = |phase: CallPhase| c.phase == phase && before != Some(phase);
        if c.feature == 51 {
            continue; // consult legs are reported as consult events
        }
        let dialing = |p: Option<CallPhase>| matches!(p, Some(CallPhase::Dialing { .. }));
        if became(CallPhase::Ringing) {
            out.push(("call.ringing", call_json(next, c)));
        } else if dialing(Some(c.phase)) && !dialing(before) && c.direction == Direction::Outbound {
            out.push(("call.dialing", call_json(next, c)));
        } else if became(CallPhase::Talking) {
            match before {
                Some(CallPhase::Held) => out.push(("call.resumed", call_json(next, c))),
                _ => out.push(("call.answered", call_json(next, c))),
            }
        } else if became(CallPhase::Held) {
            out.push(("call.held", call_json(next, c)));
        }
        // Mute has no gateway event: hosts hear of it here, with the new allowed actions.
        if let Some(p) = prev.call(&c.id).filter(|p| p.muted != c.muted) {
            let _ = p;
            out.push((if c.muted { "call.muted" } else { "call.unmuted" }, call_json(next, c)));
        }
    }
    match (&prev.consult, &next.consult) {
        (None, Some(c)) => {
            out.push(("call.consultStarted", json!({ "callId": c.customer_call_id, "target": c.target })))
        }
        (Some(c), None) => {
            let customer_still_here = next.call(&c.customer_call_id).is_some();
            let merged = next.call(&c.customer_call_id).is_some_and(|x| !x.conference.is_empty());
            if customer_still_here && !merged {
                out.push((
                    "call.consultCancelled",
                    json!({ "callId": c.customer_call_id, "target": c.target }),
                ));
            } else if !customer_still_here {
                out.push(("call.transferred", json!({ "callId": c.customer_call_id, "target": c.target })));
            }
        }
        _ => {}
    }
    for c in prev.calls.iter().filter(|c| c.feature != 51) {
        if next.call(&c.id).is_none() {
            let detail = next.last_detail.as_ref().filter(|d| d.call_id == c.id);
            let disposition = detail.map(|d| d.disposition.clone());
            if disposition.as_deref() == Some("Transferred") {
                out.push(("call.transferred", json!({ "callId": c.id })));
            }
            let duration = detail.and_then(|d| d.talk_secs);
            let direction = call_json(next, c)["direction"].clone();
            out.push((
                "call.ended",
                json!({
                    "callId": c.id, "caller": c.caller, "called": c.called, "direction": direction,
                    "skill": c.skill, "calldata": c.calldata,
                    "duration": duration, "disposition": disposition.unwrap_or_else(|| if c.phase == CallPhase::Ringing { "NoAnswer".into() } else { "Success".into() }),
                    "endedAt": now,
                }),
            ));
        }
    }
    if let Some(d) = next.last_detail.as_ref().filter(|d| prev.last_detail.as_ref() != Some(*d)) {
        out.push(("call.detail", detail_json(d)));
    }
    let seen = prev.notices.iter().map(|n| n.id).max().unwrap_or(0).max(prev.next_notice_id);
    for n in next.notices.iter().filter(|n| n.id > seen) {
        out.push(("notice", notice_json(n)));
        if let Some(f) = &n.failure {
            out.push(("call.failed", failure_json(n, f)));
        }
    }
    if prev.connection != next.connection {
        let (a, b) = (connection_name(prev.connection), connection_name(next.connection));
        if a != b {
            out.push(("connection.status", json!({ "status": b })));
        }
    }
    out
}

/// The bounded journal a reloaded host replays from (`subscribe {since}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Journal {
    pub next_seq: u64,
    pub events: VecDeque<Envelope>,
}

/// The journal as a reload keeps it: whose session it belongs to, and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredJournal {
    pub agent: String,
    pub journal: Journal,
}

impl StoredJournal {
    pub fn to_json(&self) -> String {
        let events: Vec<Value> = self.journal.events.iter().map(Envelope::to_json).collect();
        json!({ "agent": self.agent, "nextSeq": self.journal.next_seq, "events": events }).to_string()
    }

    pub fn from_json(text: &str) -> Option<StoredJournal> {
        let v: Value = serde_json::from_str(text).ok()?;
        let events = v
            .get("events")?
            .as_array()?
            .iter()
            .filter_map(|e| super::protocol::parse_envelope(e).ok())
            .collect();
        Some(StoredJournal {
            agent: v.get("agent")?.as_str()?.to_string(),
            journal: Journal { next_seq: v.get("nextSeq")?.as_u64()?, events },
        })
    }

    /// The journal, when it belongs to the signed-in agent of `session`: another agent's (or a
    /// signed-out toolbar's) callers are never replayed.
    pub fn into_journal_for(self, session: &Session) -> Option<Journal> {
        (session.agent.is_signed_in() && !self.agent.is_empty() && self.agent == session.agent_id)
            .then_some(self.journal)
    }
}

/// How many events the journal keeps; an older `since` gets a fresh snapshot instead.
pub const JOURNAL_CAPACITY: usize = 200;

impl Journal {
    /// Stamps an event with the next sequence number and keeps it.
    pub fn push(&mut self, mut env: Envelope) -> Envelope {
        self.next_seq += 1;
        env.seq = Some(self.next_seq);
        if self.events.len() >= JOURNAL_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(env.clone());
        env
    }

    /// The events after `since`, or `None` when some of them are no longer kept.
    pub fn since(&self, since: u64) -> Option<Vec<Envelope>> {
        if since > self.next_seq {
            return None; // a seq from another toolbar life: start over
        }
        let oldest = self.events.front().and_then(|e| e.seq).unwrap_or(self.next_seq + 1);
        if since + 1 < oldest && since < self.next_seq {
            return None;
        }
        Some(self.events.iter().filter(|e| e.seq.is_some_and(|s| s > since)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::{CallOffer, Event};
    use crate::core::model::AgentState;
    use crate::core::step::{step, Input};
    use crate::core::transfer::TransferKind;
    use crate::embed::protocol::{origin_allowed, parse_command, parse_envelope, Command, EmbedError};
    use serde_json::Value;

    fn ready() -> Session {
        Session {
            agent_id: "101".into(),
            agent: AgentState::Idle,
            connection: Connection::Online,
            ..Default::default()
        }
    }

    fn talk(s: &mut Session, now: u64) {
        let e = Event::Talking {
            call_id: "c1".into(),
            caller: String::new(),
            called: String::new(),
            media: Default::default(),
            feature: 0,
        };
        step(s, Input::Event(e), now);
    }

    fn ring(s: &mut Session) {
        let offer = CallOffer {
            call_id: "c1".into(),
            caller: "13800000000".into(),
            called: "4001".into(),
            ..Default::default()
        };
        step(s, Input::Event(Event::Ringing(offer)), 10);
    }

    #[test]
    fn ringing_answered_held_resumed_ended() {
        let mut s = ready();
        let before = s.clone();
        ring(&mut s);
        let evs = host_events(&before, &s, 10);
        let ring_ev = evs.iter().find(|(k, _)| *k == "call.ringing").expect("call.ringing");
        assert_eq!(ring_ev.1["caller"], "13800000000");
        assert!(ring_ev.1["allowedActions"].as_array().unwrap().iter().any(|a| a == "answer"));
        let kinds =
            |a: &Session, b: &Session| host_events(a, b, 0).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        let prev = s.clone();
        talk(&mut s, 20);
        assert!(kinds(&prev, &s).contains(&"call.answered"));
        let prev = s.clone();
        step(&mut s, Input::Event(Event::Held { call_id: "c1".into() }), 30);
        assert!(kinds(&prev, &s).contains(&"call.held"));
        let prev = s.clone();
        talk(&mut s, 40);
        assert!(kinds(&prev, &s).contains(&"call.resumed"));
        let prev = s.clone();
        step(
            &mut s,
            Input::Event(Event::CustomerReleased { call_id: "c1".into(), number: String::new() }),
            50_000,
        );
        let ended =
            host_events(&prev, &s, 50_000).into_iter().find(|(k, _)| *k == "call.ended").expect("ended");
        assert_eq!(ended.1["disposition"], "Success");
        assert_eq!(ended.1["duration"], 49);
    }

    #[test]
    fn a_stored_journal_is_replayed_only_to_its_own_agent_signed_in() {
        let mut j = Journal::default();
        j.push(Envelope::new("call.ringing", "e1".into(), 1, json!({"caller": "13800000000"})));
        let stored = StoredJournal { agent: "101".into(), journal: j };
        let mut s = ready();
        assert!(stored.clone().into_journal_for(&s).is_some());
        s.agent_id = "102".into();
        assert!(stored.clone().into_journal_for(&s).is_none(), "another agent");
        s.agent_id = "101".into();
        s.agent = AgentState::SignedOut { reason: None };
        assert!(stored.into_journal_for(&s).is_none(), "signed out");
    }

    #[test]
    fn a_dial_that_fails_tells_the_host_dialing_failed_and_the_notice() {
        use crate::core::step::Intent;
        let mut s = ready();
        let prev = s.clone();
        let dial = Intent::CallOut { number: "13800000000".into() };
        step(&mut s, Input::Done { intent: dial, result: Ok(json!("c9")) }, 5);
        let kinds =
            |a: &Session, b: &Session| host_events(a, b, 0).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert!(kinds(&prev, &s).contains(&"call.dialing"));
        let prev = s.clone();
        step(&mut s, Input::Event(Event::CallOutFailed { call_id: "c9".into() }), 6);
        let evs = host_events(&prev, &s, 6);
        let failed = evs.iter().find(|(k, _)| *k == "call.failed").expect("call.failed").1.clone();
        assert_eq!(
            (failed["attempt"].as_str(), failed["callId"].as_str(), failed["code"].as_str()),
            (Some("dial"), Some("c9"), Some("not_connected"))
        );
        let notice = evs.iter().find(|(k, _)| *k == "notice").expect("notice").1.clone();
        assert_eq!(notice["code"], "ConnectFailed");
        assert!(notice["message"]["zh-CN"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(notice["message"]["en"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(host_events(&s, &s, 7).is_empty(), "a notice is told once");
        // A transfer the gateway refuses: the stable code and the vendor's.
        let prev = s.clone();
        let req = crate::core::transfer::TransferRequest {
            call_id: "c1".into(),
            kind: TransferKind::Voice,
            device: crate::core::transfer::DeviceType::SkillQueue,
            mode: 0,
            address: "1".into(),
            calldata: None,
            skill_id: None,
        };
        let err = crate::core::GatewayError {
            kind: crate::core::ErrorKind::Other,
            code: "200-012".into(),
            message: String::new(),
            retry_after_secs: None,
        };
        step(&mut s, Input::Done { intent: Intent::Transfer(req), result: Err(err) }, 8);
        let failed =
            host_events(&prev, &s, 8).into_iter().find(|(k, _)| *k == "call.failed").expect("failed").1;
        assert_eq!(
            (failed["attempt"].as_str(), failed["code"].as_str(), failed["vendorCode"].as_str()),
            (Some("transfer"), Some("gateway_refused"), Some("200-012"))
        );
    }

    #[test]
    fn a_consult_that_fails_tells_the_host_both_ways_it_can_fail() {
        use crate::core::step::Intent;
        use crate::core::transfer::{ConsultTarget, DeviceType};
        let failed_of = |prev: &Session, s: &Session, now| {
            host_events(prev, s, now).into_iter().find(|(k, _)| *k == "call.failed").map(|(_, v)| v)
        };
        // The gateway refuses the consult request itself: the stable code and the vendor's.
        let mut s = ready();
        talk(&mut s, 10);
        let prev = s.clone();
        let consult = Intent::Consult {
            customer_call_id: "c1".into(),
            target: ConsultTarget { device: DeviceType::Agent, address: "102".into() },
        };
        let err = crate::core::GatewayError {
            kind: crate::core::ErrorKind::Other,
            code: "200-013".into(),
            message: String::new(),
            retry_after_secs: None,
        };
        step(&mut s, Input::Done { intent: consult, result: Err(err) }, 20);
        let failed = failed_of(&prev, &s, 20).expect("call.failed for the refused consult");
        assert_eq!(
            (failed["attempt"].as_str(), failed["callId"].as_str(), failed["vendorCode"].as_str()),
            (Some("consult"), Some("c1"), Some("200-013"))
        );
        // The consultee never connects: the gateway's consult-failed event.
        let prev = s.clone();
        step(&mut s, Input::Event(Event::ConsultFailed { call_id: "l1".into() }), 30);
        let failed = failed_of(&prev, &s, 30).expect("call.failed for the consult that did not connect");
        assert_eq!(failed["attempt"].as_str(), Some("consult"));
        assert!(failed["code"].as_str().is_some_and(|c| !c.is_empty()));
        // The customer's call is still there for the host.
        assert!(s.call("c1").is_some());
    }

    #[test]
    fn the_detail_record_goes_to_the_host_once_with_the_call_data_on_call_ended() {
        let mut s = ready();
        ring(&mut s);
        step(
            &mut s,
            Input::Event(Event::CallInfo {
                call_id: "c1".into(),
                skill: Some("VIP".into()),
                calldata: Some("order 7".into()),
            }),
            11,
        );
        talk(&mut s, 20);
        let prev = s.clone();
        step(
            &mut s,
            Input::Event(Event::CustomerReleased { call_id: "c1".into(), number: String::new() }),
            30_000,
        );
        let evs = host_events(&prev, &s, 30_000);
        let ended = evs.iter().find(|(k, _)| *k == "call.ended").expect("ended").1.clone();
        assert_eq!(
            (ended["calldata"].as_str(), ended["skill"].as_str(), ended["direction"].as_str()),
            (Some("order 7"), Some("VIP"), Some("inbound"))
        );
        let detail = evs.iter().find(|(k, _)| *k == "call.detail").expect("detail").1.clone();
        assert_eq!(
            (detail["callId"].as_str(), detail["disposition"].as_str(), detail["releasedBy"].as_str()),
            (Some("c1"), Some("Success"), Some("customer"))
        );
        assert!(!host_events(&s, &s, 30_001).iter().any(|(k, _)| *k == "call.detail"));
    }

    #[test]
    fn journal_replays_or_says_too_old() {
        let mut j = Journal::default();
        for i in 0..(JOURNAL_CAPACITY as u64 + 10) {
            j.push(Envelope::new("x", format!("e{i}"), i, Value::Null));
        }
        let since = j.next_seq - 3;
        assert_eq!(
            j.since(since).unwrap().iter().map(|e| e.seq.unwrap()).collect::<Vec<_>>(),
            vec![since + 1, since + 2, since + 3]
        );
        assert_eq!(j.since(j.next_seq).unwrap().len(), 0);
        assert!(j.since(1).is_none(), "too old: fresh snapshot");
        assert!(j.since(j.next_seq + 5).is_none(), "from another life");
    }

    #[test]
    fn commands_are_checked_against_the_state() {
        let s = ready();
        let env = |kind: &str, payload: Value| {
            parse_envelope(&json!({"v": 1, "type": kind, "id": "m1", "ts": 1, "payload": payload})).unwrap()
        };
        assert_eq!(
            parse_command(&env("answer", json!({})), &s, TransferKind::Voice),
            Err(EmbedError::NotAllowed)
        );
        assert!(matches!(
            parse_command(&env("dial", json!({"number": "13800000000"})), &s, TransferKind::Voice),
            Ok(Command::Act(_))
        ));
        assert_eq!(
            parse_command(&env("dial", json!({"number": "12ab"})), &s, TransferKind::Voice),
            Err(EmbedError::InvalidArgument)
        );
        assert_eq!(
            parse_command(&env("fly", json!({})), &s, TransferKind::Voice),
            Err(EmbedError::UnknownType)
        );
        assert_eq!(
            parse_envelope(&json!({"v": 2, "type": "hello", "id": "x", "ts": 0})),
            Err(EmbedError::UnsupportedVersion)
        );
        assert_eq!(parse_envelope(&json!("hello")), Err(EmbedError::Malformed));
        let mut ringing = ready();
        ring(&mut ringing);
        assert!(matches!(
            parse_command(&env("reject", json!({"mode": 1})), &ringing, TransferKind::Voice),
            Ok(Command::Act(_))
        ));
        assert_eq!(
            parse_command(&env("reject", json!({"mode": 3})), &ringing, TransferKind::Voice),
            Err(EmbedError::InvalidArgument)
        );
        // The commands of issue 13.
        let mut talking = ringing.clone();
        talk(&mut talking, 20);
        let act = |kind: &str, payload: Value, s: &Session| {
            parse_command(&env(kind, payload), s, TransferKind::Voice)
        };
        assert!(matches!(
            act("mute", json!({}), &talking),
            Ok(Command::Act(crate::core::step::Intent::Mute { .. }))
        ));
        assert_eq!(act("unmute", json!({}), &talking), Err(EmbedError::NotAllowed));
        assert!(matches!(act("sendDtmf", json!({"digits": "1#*9"}), &talking), Ok(Command::Act(_))));
        assert_eq!(act("sendDtmf", json!({"digits": "12a"}), &talking), Err(EmbedError::InvalidArgument));
        assert_eq!(act("consultComplete", json!({}), &talking), Err(EmbedError::NotAllowed));
        assert_eq!(act("dropHeld", json!({"callId": "c1"}), &talking), Err(EmbedError::NoCall));
        assert_eq!(act("endWrapUp", json!({}), &talking), Err(EmbedError::NotAllowed));
        let mut ccc = talking.clone();
        ccc.supported = crate::adapter::aliyun::supported();
        assert_eq!(act("conference", json!({}), &ccc), Err(EmbedError::Unsupported));
    }

    #[test]
    fn origins() {
        let list = vec!["https://crm.example.com".to_string(), "http://127.0.0.1:*".to_string()];
        assert!(origin_allowed("https://crm.example.com", &list));
        assert!(origin_allowed("http://127.0.0.1:9123", &list));
        assert!(!origin_allowed("http://127.0.0.1", &list));
        assert!(!origin_allowed("http://127.0.0.1:9123.evil.com", &list));
        assert!(!origin_allowed("https://crm.example.com.evil.com", &list));
        assert!(!origin_allowed("http://localhost:9123", &list));
        assert!(!origin_allowed("null", &list));
    }
}
