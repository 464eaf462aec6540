//! What crosses from one tab to another: the session a follower tab mirrors, and the intents
//! it forwards. Written by hand on `serde_json::Value` instead of derived: derived codecs for
//! the whole state (and the 300-message `Msg` enum inside it) were a fifth of the toolbar's
//! bytes, for a copy nothing outside this crate reads. Enums travel as short tags, messages as
//! their index in `Msg::ALL`, action sets as their bits. Only what a view shows is shared: the
//! bookkeeping of the state machine (generations, the journal, queued DTMF) stays with the tab
//! that holds the phone, which is the only one that steps.

use super::action::Action;
use super::cdr::{Analytics, CallDetail, Source, TimelineEntry};
use super::error::ErrorKind;
use super::event::Media;
use super::intent::{Intent, RejectMode};
use super::model::{
    AgentState, Attempt, Call, CallPhase, Connection, Consult, ConsultState, Direction, Failure, Notice,
    NoticeKind, Pending, Session, TransferProgress,
};
use super::transfer::{ConsultTarget, DeviceType, TransferKind, TransferRequest};
use crate::i18n::Msg;
use serde_json::{json, Value};

// ---------------------------------------------------------------- reading helpers

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}
fn opt_text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(String::from)
}
fn num(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or_default()
}
fn opt_num(v: &Value, k: &str) -> Option<u64> {
    v.get(k).and_then(Value::as_u64)
}
fn int(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or_default()
}
fn opt_int(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}
fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or_default()
}
fn opt_flag(v: &Value, k: &str) -> Option<bool> {
    v.get(k).and_then(Value::as_bool)
}
fn texts(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default()
}
fn list<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k).and_then(Value::as_array).into_iter().flatten()
}

/// An enum as the index of its value in a list of all of them.
fn index_of<T: PartialEq>(all: &[T], x: &T) -> usize {
    all.iter().position(|a| a == x).unwrap_or_default()
}
fn at<T: Copy>(all: &[T], v: &Value, k: &str) -> Option<T> {
    all.get(v.get(k)?.as_u64()? as usize).copied()
}

const PHASES: [CallPhase; 5] = [
    CallPhase::Ringing,
    CallPhase::Dialing { far_alerting: false },
    CallPhase::Dialing { far_alerting: true },
    CallPhase::Talking,
    CallPhase::Held,
];
const DIRECTIONS: [Direction; 3] = [Direction::Inbound, Direction::Outbound, Direction::Internal];
const MEDIA: [Media; 3] = [Media::Voice, Media::Video, Media::Chat];
const CONSULT_STATES: [ConsultState; 4] =
    [ConsultState::Dialing, ConsultState::Ringing, ConsultState::Talking, ConsultState::Ended];
const ATTEMPTS: [Attempt; 3] = [Attempt::Dial, Attempt::Transfer, Attempt::Consult];
const KINDS: [ErrorKind; 11] = [
    ErrorKind::SessionLost,
    ErrorKind::AuthRetry,
    ErrorKind::AlreadySignedIn,
    ErrorKind::SignOutRefused,
    ErrorKind::WrongState,
    ErrorKind::NoCall,
    ErrorKind::BadRequest,
    ErrorKind::BadCredentials,
    ErrorKind::Unavailable,
    ErrorKind::NoHeldCall,
    ErrorKind::Other,
];
const SOURCES: [Source; 4] = [Source::Ivr, Source::Queue, Source::Agent, Source::Customer];
const DEVICES: [DeviceType; 5] = [
    DeviceType::SkillQueue,
    DeviceType::Agent,
    DeviceType::Ivr,
    DeviceType::AccessCode,
    DeviceType::External,
];
const TRANSFER_KINDS: [TransferKind; 3] = [TransferKind::Voice, TransferKind::Media, TransferKind::Ccc];

/// Messages by index; `Msg::ALL` is the order.
fn msg_at(v: &Value, k: &str) -> Option<Msg> {
    Msg::ALL.get(v.get(k)?.as_u64()? as usize).copied()
}
fn msg_index(m: Msg) -> usize {
    index_of(Msg::ALL, &m)
}

// ---------------------------------------------------------------- the session

fn agent_json(a: &AgentState) -> Value {
    match a {
        AgentState::SignedOut { reason } => json!({"t": "out", "reason": reason.as_ref().map(notice_json)}),
        AgentState::SigningIn => json!({"t": "in"}),
        AgentState::Idle => json!({"t": "idle"}),
        AgentState::Busy { reason } => json!({"t": "busy", "reason": reason}),
        AgentState::Rest { cause, until, overdue } => {
            json!({"t": "rest", "cause": cause, "until": until, "overdue": overdue})
        }
        AgentState::WrapUp => json!({"t": "wrap"}),
    }
}

fn agent_from(v: &Value) -> Option<AgentState> {
    Some(match v.get("t")?.as_str()? {
        "out" => AgentState::SignedOut { reason: v.get("reason").and_then(notice_from) },
        "in" => AgentState::SigningIn,
        "idle" => AgentState::Idle,
        "busy" => AgentState::Busy { reason: int(v, "reason") },
        "rest" => AgentState::Rest {
            cause: int(v, "cause"),
            until: opt_num(v, "until"),
            overdue: flag(v, "overdue"),
        },
        "wrap" => AgentState::WrapUp,
        _ => return None,
    })
}

fn call_json(c: &Call) -> Value {
    json!({
        "id": c.id, "caller": c.caller, "called": c.called, "media": index_of(&MEDIA, &c.media),
        "feature": c.feature, "direction": index_of(&DIRECTIONS, &c.direction),
        "phase": index_of(&PHASES, &c.phase), "since": c.phase_since, "skill": c.skill, "calldata": c.calldata,
        "from": c.transferred_from, "muted": c.muted, "conference": c.conference,
        "settling": c.settling.map(|a| index_of(&Action::ALL, &a)),
    })
}

fn call_from(v: &Value) -> Option<Call> {
    Some(Call {
        id: opt_text(v, "id")?,
        caller: text(v, "caller"),
        called: text(v, "called"),
        media: at(&MEDIA, v, "media")?,
        feature: int(v, "feature"),
        direction: at(&DIRECTIONS, v, "direction")?,
        phase: at(&PHASES, v, "phase")?,
        phase_since: num(v, "since"),
        skill: opt_text(v, "skill"),
        calldata: opt_text(v, "calldata"),
        transferred_from: opt_text(v, "from"),
        muted: flag(v, "muted"),
        conference: texts(v, "conference"),
        settling: v
            .get("settling")
            .and_then(Value::as_u64)
            .and_then(|i| Action::ALL.get(i as usize).copied()),
        gen: 0,
    })
}

fn notice_json(n: &Notice) -> Value {
    json!({
        "kind": n.kind == NoticeKind::Error, "msg": msg_index(n.msg), "code": n.code, "detail": n.detail,
        "id": n.id, "retry": n.retry_after_secs,
        "failure": n.failure.as_ref().map(|f| json!({
            "attempt": index_of(&ATTEMPTS, &f.attempt), "call": f.call_id,
            "refused": f.refused.map(|k| index_of(&KINDS, &k)),
        })),
    })
}

fn notice_from(v: &Value) -> Option<Notice> {
    Some(Notice {
        kind: if flag(v, "kind") { NoticeKind::Error } else { NoticeKind::Info },
        msg: msg_at(v, "msg")?,
        code: opt_text(v, "code"),
        detail: opt_text(v, "detail"),
        id: num(v, "id"),
        retry_after_secs: opt_num(v, "retry"),
        failure: v.get("failure").filter(|f| !f.is_null()).and_then(|f| {
            Some(Failure {
                attempt: at(&ATTEMPTS, f, "attempt")?,
                call_id: opt_text(f, "call"),
                refused: at(&KINDS, f, "refused"),
            })
        }),
    })
}

fn detail_json(d: &CallDetail) -> Value {
    json!({
        "call": d.call_id, "disposition": d.disposition, "type": d.contact_type, "by": d.released_by,
        "caller": d.caller, "called": d.called, "start": d.start, "established": d.established,
        "released": d.released, "talk": d.talk_secs, "recording": d.recording_ready, "satisfaction": d.satisfaction,
        "timeline": d.timeline.iter().map(|e| json!({"at": e.at, "source": index_of(&SOURCES, &e.source), "who": e.who, "event": e.event})).collect::<Vec<_>>(),
        "reason": d.release_reason, "early": d.early_media_state, "callerAt": d.caller_location,
        "calleeAt": d.callee_location, "agents": d.agents, "groups": d.skill_groups,
        "channel": d.satisfaction_channel, "offered": d.survey_offered,
        "analytics": d.analytics.as_ref().map(|a| json!({
            "solved": a.problem_solved, "problem": a.problem, "solution": a.solution, "emotion": a.emotion,
            "confidence": a.emotion_confidence, "note": a.satisfaction_note, "todo": a.todo,
        })),
    })
}

fn detail_from(v: &Value) -> Option<CallDetail> {
    Some(CallDetail {
        call_id: opt_text(v, "call")?,
        disposition: text(v, "disposition"),
        contact_type: text(v, "type"),
        released_by: opt_text(v, "by"),
        caller: text(v, "caller"),
        called: text(v, "called"),
        start: opt_num(v, "start"),
        established: opt_num(v, "established"),
        released: opt_num(v, "released"),
        talk_secs: opt_num(v, "talk"),
        recording_ready: opt_flag(v, "recording"),
        satisfaction: opt_int(v, "satisfaction"),
        timeline: list(v, "timeline")
            .filter_map(|e| {
                Some(TimelineEntry {
                    at: num(e, "at"),
                    source: at(&SOURCES, e, "source")?,
                    who: text(e, "who"),
                    event: text(e, "event"),
                })
            })
            .collect(),
        release_reason: opt_text(v, "reason"),
        early_media_state: opt_text(v, "early"),
        caller_location: opt_text(v, "callerAt"),
        callee_location: opt_text(v, "calleeAt"),
        agents: texts(v, "agents"),
        skill_groups: texts(v, "groups"),
        satisfaction_channel: opt_text(v, "channel"),
        survey_offered: opt_flag(v, "offered"),
        analytics: v.get("analytics").filter(|a| !a.is_null()).map(|a| Analytics {
            problem_solved: opt_flag(a, "solved"),
            problem: text(a, "problem"),
            solution: text(a, "solution"),
            emotion: text(a, "emotion"),
            emotion_confidence: opt_num(a, "confidence").map(|c| c as u32),
            satisfaction_note: text(a, "note"),
            todo: texts(a, "todo"),
        }),
    })
}

/// What a follower tab needs to show the session the holder has.
pub fn session_json(s: &Session) -> Value {
    let connection = match s.connection {
        Connection::Offline => json!({"t": "off"}),
        Connection::Online => json!({"t": "on"}),
        Connection::Reconnecting { attempt, since } => json!({"t": "re", "attempt": attempt, "since": since}),
    };
    json!({
        "agentId": s.agent_id, "agent": agent_json(&s.agent), "agentSince": s.agent_since,
        "calls": s.calls.iter().map(call_json).collect::<Vec<_>>(),
        "connection": connection,
        "notices": s.notices.iter().map(notice_json).collect::<Vec<_>>(), "nextNotice": s.next_notice_id,
        "autoIdle": s.auto_enter_idle, "offerForce": s.offer_force_sign_in,
        "transfer": s.transfer.as_ref().map(|t| json!({"call": t.call_id, "address": t.address, "since": t.since})),
        "consult": s.consult.as_ref().map(|c| json!({
            "customer": c.customer_call_id, "leg": c.leg_call_id, "target": c.target,
            "state": index_of(&CONSULT_STATES, &c.state), "since": c.since,
        })),
        "detail": s.last_detail.as_ref().map(detail_json),
        "pending": s.pending.iter().map(|p| json!([index_of(&Action::ALL, &p.action), p.call_id])).collect::<Vec<_>>(),
        "readyAnyway": s.ready_anyway,
    })
}

/// The session a holder tab shared; `None` when the message is not one (another version).
pub fn session_from(v: &Value) -> Option<Session> {
    let c = v.get("connection")?;
    let connection = match c.get("t")?.as_str()? {
        "on" => Connection::Online,
        "re" => Connection::Reconnecting { attempt: num(c, "attempt") as u32, since: num(c, "since") },
        _ => Connection::Offline,
    };
    Some(Session {
        agent_id: text(v, "agentId"),
        agent: agent_from(v.get("agent")?)?,
        agent_since: num(v, "agentSince"),
        calls: list(v, "calls").filter_map(call_from).collect(),
        connection,
        notices: list(v, "notices").filter_map(notice_from).collect(),
        next_notice_id: num(v, "nextNotice"),
        auto_enter_idle: flag(v, "autoIdle"),
        offer_force_sign_in: flag(v, "offerForce"),
        transfer: v.get("transfer").filter(|t| !t.is_null()).map(|t| TransferProgress {
            call_id: text(t, "call"),
            address: text(t, "address"),
            since: num(t, "since"),
        }),
        consult: v.get("consult").filter(|c| !c.is_null()).and_then(|c| {
            Some(Consult {
                customer_call_id: text(c, "customer"),
                leg_call_id: opt_text(c, "leg"),
                target: text(c, "target"),
                state: at(&CONSULT_STATES, c, "state")?,
                since: num(c, "since"),
            })
        }),
        last_detail: v.get("detail").filter(|d| !d.is_null()).and_then(detail_from),
        pending: list(v, "pending")
            .filter_map(|p| {
                let action = Action::ALL.get(p.get(0)?.as_u64()? as usize).copied()?;
                Some(Pending { action, call_id: p.get(1)?.as_str()?.to_string() })
            })
            .collect(),
        ready_anyway: flag(v, "readyAnyway"),
        ..Session::default()
    })
}

// ---------------------------------------------------------------- outcomes

/// A request's failure, as it crosses to the tab that asked.
pub fn error_json(e: &super::error::GatewayError) -> Value {
    json!({"kind": index_of(&KINDS, &e.kind), "code": e.code, "message": e.message, "retry": e.retry_after_secs})
}

pub fn error_from(v: &Value) -> super::error::GatewayError {
    super::error::GatewayError {
        kind: at(&KINDS, v, "kind").unwrap_or(ErrorKind::Other),
        code: text(v, "code"),
        message: text(v, "message"),
        retry_after_secs: opt_num(v, "retry"),
    }
}

const REFUSALS: [super::gate::Refusal; 3] =
    [super::gate::Refusal::NotAllowed, super::gate::Refusal::NoSuchCall, super::gate::Refusal::InProgress];

pub fn refusal_json(r: super::gate::Refusal) -> Value {
    json!(index_of(&REFUSALS, &r))
}

pub fn refusal_from(v: &Value) -> Option<super::gate::Refusal> {
    REFUSALS.get(v.as_u64()? as usize).copied()
}

// ---------------------------------------------------------------- intents

fn target_json(device: DeviceType, address: &str) -> Value {
    json!({"device": index_of(&DEVICES, &device), "address": address})
}

/// An intent a follower tab forwards to the holder. A sign-in never crosses (`runtime::tabs`):
/// its password stays in the tab the agent typed it in, so it has no encoding here.
pub fn intent_json(i: &Intent) -> Option<Value> {
    let call = |t: &str, id: &str| json!({"t": t, "call": id});
    Some(match i {
        Intent::SignIn { .. } => return None,
        Intent::SignOut => json!({"t": "signOut"}),
        Intent::SignOutLeavingCalls => json!({"t": "signOutLeaving"}),
        Intent::Ready => json!({"t": "ready"}),
        Intent::Busy { reason } => json!({"t": "busy", "reason": reason}),
        Intent::Rest { seconds, cause } => json!({"t": "rest", "seconds": seconds, "cause": cause}),
        Intent::EnterWrapUp => json!({"t": "wrap"}),
        Intent::LeaveWrapUp => json!({"t": "unwrap"}),
        Intent::Answer { call_id } => call("answer", call_id),
        Intent::Reject { call_id, mode } => json!({"t": "reject", "call": call_id, "mode": mode.code()}),
        Intent::HangUp { call_id } => call("hangup", call_id),
        Intent::Hold { call_id } => call("hold", call_id),
        Intent::Retrieve { call_id } => call("retrieve", call_id),
        Intent::Mute { call_id } => call("mute", call_id),
        Intent::Unmute { call_id } => call("unmute", call_id),
        Intent::Dtmf { call_id, digits } => json!({"t": "dtmf", "call": call_id, "digits": digits}),
        Intent::CallOut { number } => json!({"t": "dial", "number": number}),
        Intent::ConnectHeld { call_id } => call("connect", call_id),
        Intent::DropCall { call_id } => call("drop", call_id),
        Intent::Transfer(t) => {
            let mut v = target_json(t.device, &t.address);
            let extra = json!({
                "t": "transfer", "call": t.call_id, "kind": index_of(&TRANSFER_KINDS, &t.kind), "mode": t.mode,
                "calldata": t.calldata, "skill": t.skill_id,
            });
            if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
                m.extend(e);
            }
            v
        }
        Intent::Consult { customer_call_id, target } => {
            let mut v = target_json(target.device, &target.address);
            if let Value::Object(m) = &mut v {
                m.insert("t".into(), json!("consult"));
                m.insert("call".into(), json!(customer_call_id));
            }
            v
        }
        Intent::CancelConsult { customer_call_id, leg_call_id } => {
            json!({"t": "cancelConsult", "call": customer_call_id, "leg": leg_call_id})
        }
        Intent::CompleteConsult { customer_call_id } => call("completeConsult", customer_call_id),
        Intent::Conference { customer_call_id } => call("conference", customer_call_id),
    })
}

/// The intent a follower tab forwarded.
pub fn intent_from(v: &Value) -> Option<Intent> {
    let call_id = || opt_text(v, "call");
    Some(match v.get("t")?.as_str()? {
        "signOut" => Intent::SignOut,
        "signOutLeaving" => Intent::SignOutLeavingCalls,
        "ready" => Intent::Ready,
        "busy" => Intent::Busy { reason: opt_int(v, "reason") },
        "rest" => Intent::Rest { seconds: num(v, "seconds"), cause: int(v, "cause") },
        "wrap" => Intent::EnterWrapUp,
        "unwrap" => Intent::LeaveWrapUp,
        "answer" => Intent::Answer { call_id: call_id()? },
        "reject" => Intent::Reject {
            call_id: call_id()?,
            mode: if int(v, "mode") == 1 { RejectMode::Requeue } else { RejectMode::Release },
        },
        "hangup" => Intent::HangUp { call_id: call_id()? },
        "hold" => Intent::Hold { call_id: call_id()? },
        "retrieve" => Intent::Retrieve { call_id: call_id()? },
        "mute" => Intent::Mute { call_id: call_id()? },
        "unmute" => Intent::Unmute { call_id: call_id()? },
        "dtmf" => Intent::Dtmf { call_id: call_id()?, digits: text(v, "digits") },
        "dial" => Intent::CallOut { number: text(v, "number") },
        "connect" => Intent::ConnectHeld { call_id: call_id()? },
        "drop" => Intent::DropCall { call_id: call_id()? },
        "transfer" => Intent::Transfer(TransferRequest {
            call_id: call_id()?,
            kind: at(&TRANSFER_KINDS, v, "kind")?,
            device: at(&DEVICES, v, "device")?,
            mode: int(v, "mode"),
            address: text(v, "address"),
            calldata: opt_text(v, "calldata"),
            skill_id: opt_int(v, "skill"),
        }),
        "consult" => Intent::Consult {
            customer_call_id: call_id()?,
            target: ConsultTarget { device: at(&DEVICES, v, "device")?, address: text(v, "address") },
        },
        "cancelConsult" => {
            Intent::CancelConsult { customer_call_id: call_id()?, leg_call_id: opt_text(v, "leg") }
        }
        "completeConsult" => Intent::CompleteConsult { customer_call_id: call_id()? },
        "conference" => Intent::Conference { customer_call_id: call_id()? },
        _ => return None,
    })
}

/// The ring volume the agent chose, as a whole percent (0–100) kept in localStorage. Whole
/// numbers on purpose: formatting or parsing one `f64` links Rust's float printing and parsing
/// tables into the wasm (~25 KB raw) for a slider with eleven stops. A value saved by an older
/// toolbar as a fraction ("0.6", "1") is read too; anything else is `None` (the default rings).
pub fn ring_volume_from(stored: &str) -> Option<u8> {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let s = stored.trim();
    let percent: u32 = match s.split_once('.') {
        // An older toolbar's fraction: "0.6", "0.35", "1.0".
        Some((int, frac)) if digits(int) && int.len() <= 1 && (frac.is_empty() || digits(frac)) => {
            let hundredths: String = frac.chars().chain("00".chars()).take(2).collect();
            int.parse::<u32>().ok()? * 100 + hundredths.parse::<u32>().ok()?
        }
        Some(_) => return None,
        // An older toolbar wrote the whole fractions 0 and 1 without a point.
        None if s == "1" => 100,
        None if digits(s) && s.len() <= 3 => s.parse().ok()?,
        None => return None,
    };
    u8::try_from(percent).ok().filter(|p| *p <= 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_volume_reads_whole_percents_and_an_older_toolbars_fractions() {
        let cases = [
            ("60", Some(60)),
            ("0", Some(0)),
            ("100", Some(100)),
            (" 30 ", Some(30)),
            ("0.6", Some(60)),
            ("0.35", Some(35)),
            ("0.30000000000000004", Some(30)),
            ("1", Some(100)),
            ("1.0", Some(100)),
            ("0.", Some(0)),
            ("101", None),
            ("1.5", None),
            ("-1", None),
            ("", None),
            ("loud", None),
            ("0.x", None),
            ("9999", None),
        ];
        for (stored, want) in cases {
            assert_eq!(ring_volume_from(stored), want, "{stored:?}");
        }
    }
    use crate::core::event::{CallOffer, Event};
    use crate::core::intent::InitialState;
    use crate::core::step::{step, Input};

    fn busy_session() -> Session {
        let mut s = Session {
            agent_id: "101".into(),
            agent: AgentState::Idle,
            connection: Connection::Online,
            ..Default::default()
        };
        let ring = |id: &str| {
            Input::Event(Event::Ringing(CallOffer {
                call_id: id.into(),
                caller: "13800000000".into(),
                called: "4001".into(),
                ..Default::default()
            }))
        };
        step(&mut s, ring("a"), 1);
        step(
            &mut s,
            Input::Event(Event::CallInfo {
                call_id: "a".into(),
                skill: Some("VIP".into()),
                calldata: Some("7".into()),
            }),
            2,
        );
        step(
            &mut s,
            Input::Event(Event::Talking {
                call_id: "a".into(),
                caller: String::new(),
                called: String::new(),
                media: Media::Voice,
                feature: 0,
            }),
            3,
        );
        step(&mut s, Input::Event(Event::Held { call_id: "a".into() }), 4);
        step(&mut s, ring("b"), 5);
        s.notify(Notice::failed(Msg::ConnectFailed, Attempt::Dial, Some("x".into())));
        s.consult = Some(Consult {
            customer_call_id: "a".into(),
            leg_call_id: Some("l".into()),
            target: "102".into(),
            state: ConsultState::Talking,
            since: 9,
        });
        s.transfer = Some(TransferProgress { call_id: "a".into(), address: "2".into(), since: 8 });
        s.pending.push(Pending { action: Action::Answer, call_id: "b".into() });
        s.last_detail = Some(CallDetail {
            call_id: "z".into(),
            agents: vec!["x".into()],
            analytics: Some(Analytics { todo: vec!["t".into()], ..Default::default() }),
            timeline: vec![TimelineEntry {
                at: 1,
                source: Source::Queue,
                who: "q".into(),
                event: "Enqueue".into(),
            }],
            ..Default::default()
        });
        s.agent = AgentState::Rest { cause: 3, until: Some(99), overdue: true };
        s
    }

    #[test]
    fn a_follower_gets_everything_a_view_shows() {
        let s = busy_session();
        let back = session_from(&session_json(&s)).expect("decodes");
        // The state machine's own bookkeeping stays with the holder.
        let mut expected = s.clone();
        expected.calls.iter_mut().for_each(|c| c.gen = 0);
        (expected.gen, expected.agent_gen, expected.ended, expected.journal) = (0, 0, vec![], vec![]);
        expected.early_call_info.clear();
        assert_eq!(back, expected);
        for out in [
            AgentState::SigningIn,
            AgentState::WrapUp,
            AgentState::Busy { reason: 200 },
            AgentState::SignedOut { reason: Some(Notice::info(Msg::SignedOutByGateway)) },
        ] {
            assert_eq!(agent_from(&agent_json(&out)), Some(out));
        }
        assert!(session_from(&json!({"v": 2})).is_none());
    }

    #[test]
    fn every_forwarded_intent_arrives_as_sent() {
        let t = |device| ConsultTarget { device, address: "102".into() };
        let intents = vec![
            Intent::SignOut,
            Intent::SignOutLeavingCalls,
            Intent::Ready,
            Intent::Busy { reason: Some(201) },
            Intent::Busy { reason: None },
            Intent::Rest { seconds: 900, cause: 3 },
            Intent::EnterWrapUp,
            Intent::LeaveWrapUp,
            Intent::Answer { call_id: "c".into() },
            Intent::Reject { call_id: "c".into(), mode: RejectMode::Requeue },
            Intent::Reject { call_id: "c".into(), mode: RejectMode::Release },
            Intent::HangUp { call_id: "c".into() },
            Intent::Hold { call_id: "c".into() },
            Intent::Retrieve { call_id: "c".into() },
            Intent::Mute { call_id: "c".into() },
            Intent::Unmute { call_id: "c".into() },
            Intent::Dtmf { call_id: "c".into(), digits: "1#".into() },
            Intent::CallOut { number: "013800000000".into() },
            Intent::ConnectHeld { call_id: "c".into() },
            Intent::DropCall { call_id: "c".into() },
            Intent::Transfer(TransferRequest {
                call_id: "c".into(),
                kind: TransferKind::Media,
                device: DeviceType::Agent,
                mode: 2,
                address: "205".into(),
                calldata: Some("help".into()),
                skill_id: Some(3),
            }),
            Intent::Consult { customer_call_id: "c".into(), target: t(DeviceType::SkillQueue) },
            Intent::CancelConsult { customer_call_id: "c".into(), leg_call_id: Some("l".into()) },
            Intent::CancelConsult { customer_call_id: "c".into(), leg_call_id: None },
            Intent::CompleteConsult { customer_call_id: "c".into() },
            Intent::Conference { customer_call_id: "c".into() },
        ];
        for i in intents {
            let v = intent_json(&i).expect("encodes");
            assert_eq!(intent_from(&v).as_ref(), Some(&i), "{v}");
        }
        let sign_in = Intent::SignIn {
            agent_id: "1".into(),
            password: "secret".into(),
            phone: "2".into(),
            initial: InitialState::Idle,
            force: false,
            auto_enter_idle: true,
        };
        assert!(intent_json(&sign_in).is_none(), "a password never crosses");
        assert!(intent_from(&json!({"t": "fly"})).is_none());
    }
}
