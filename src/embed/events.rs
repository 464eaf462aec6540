//! Host events derived from the session, the snapshot, and the replay journal.

use super::protocol::Envelope;
use crate::core::actions::allowed_actions;
use crate::core::model::{CallPhase, Connection, Direction};
use crate::core::{Call, Session};
use serde::{Deserialize, Serialize};
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
        if became(CallPhase::Ringing) {
            out.push(("call.ringing", call_json(next, c)));
        } else if became(CallPhase::Talking) {
            match before {
                Some(CallPhase::Held) => out.push(("call.resumed", call_json(next, c))),
                _ => out.push(("call.answered", call_json(next, c))),
            }
        } else if became(CallPhase::Held) {
            out.push(("call.held", call_json(next, c)));
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
            out.push((
                "call.ended",
                json!({
                    "callId": c.id, "caller": c.caller, "called": c.called,
                    "duration": duration, "disposition": disposition.unwrap_or_else(|| if c.phase == CallPhase::Ringing { "NoAnswer".into() } else { "Success".into() }),
                    "endedAt": now,
                }),
            ));
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub next_seq: u64,
    pub events: VecDeque<Envelope>,
}

/// The journal as a reload keeps it: whose session it belongs to, and its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredJournal {
    pub agent: String,
    pub journal: Journal,
}

impl StoredJournal {
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
