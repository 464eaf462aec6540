//! CCC webhook events (relayed over SSE as `ccc`, docs/RELAY.md) as neutral events, and when
//! PollUserStatus is still needed as catch-up.
//!
//! A webhook event carries ids and types but no UserContext/CallContext (aliyun-ccc.md §6).
//! Where that is enough the event maps straight to the core's input: agent state
//! (`AgentReady`, `AgentBreak` + `breakCode`, `AgentRelease` = wrap-up, `AgentCheckOut`), and the
//! agent's own leg (`Ringing` → the banner, `Established` → talking, `Released`, `Held`,
//! `Retrieved`). What it does not carry is read once with PollUserStatus (`Decoded::read`):
//! - **The caller's and the called number.** No documented call event has them, so a ring
//!   shows the banner at once (with its JobId and direction) and one coalesced PollUserStatus
//!   fills the numbers in.
//! - Consult legs, transfers and conferences (`callType` CONSULTANT, a `scenario`, the scenario
//!   events), `Dialing` (the called number), `RingingTimeout`.
//!
//! `CatchUp` coalesces those reads: at most one in flight and one queued.

use super::aliyun::{consult_leg, feature_of, offer, CccState};
use crate::core::event::{CallOffer, Event, Media};
use crate::core::step::{CallSummary, ReportedState};
use crate::protocol::aliyun::{Contexts, UserContext, WebhookEvent};

/// What one webhook event means for the toolbar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Applied in order.
    pub events: Vec<Event>,
    /// The event needs data it does not carry: read PollUserStatus (coalesced).
    pub read: bool,
    /// An event type this toolbar does not know (logged and skipped).
    pub unknown: Option<String>,
}

impl Decoded {
    fn events(events: Vec<Event>) -> Decoded {
        Decoded { events, ..Default::default() }
    }

    fn read(mut self) -> Decoded {
        self.read = true;
        self
    }
}

/// Event types the toolbar knows and has no use for (queue, IVR, supervisor, recordings…).
const NOT_FOR_THE_TOOLBAR: &[&str] = &[
    "AgentCheckIn",
    "Muted",
    "Unmuted",
    "Route2IVR",
    "Abandoned",
    "Enqueue",
    "QueueingTimeout",
    "AssignAgent",
    "IvrTracking",
    "StartMonitor",
    "StopMonitor",
    "StartCoach",
    "StopCoach",
    "BargeIn",
    "Intercept",
    "TextStream",
    "SatisfactionSurveyOffer",
    "SatisfactionSurveyResponse",
    "RecordingReady",
    "DualTrackRecordingReady",
    "CDRReady",
];

/// Scenario events, and `RingingTimeout`: the call's legs changed in ways only a read shows.
const READ_AFTER: &[&str] = &[
    "BlindTransfer",
    "AttendedTransfer",
    "InitiateConsultant",
    "StartConsultant",
    "StopConsultant",
    "StartConference",
    "StopConference",
    "RingingTimeout",
    "Dialing",
];

/// Keeps the remembered UserState in step with the events applied, so that a later
/// PollUserStatus is diffed against what the session shows.
fn note_state(st: &mut CccState, state: &str, break_code: Option<&str>) {
    let user =
        st.last.user.get_or_insert_with(|| UserContext { user_id: st.user_id.clone(), ..Default::default() });
    user.user_state = state.to_string();
    if state == "BREAK" {
        user.break_code = break_code.map(str::to_string);
    }
}

/// A numeric break code is one of our busy reasons; CCC's own (`Warm-up`, `RejectCall`…) read
/// as "no reason", as in `adapter::aliyun`.
fn break_reason(code: Option<&str>) -> i64 {
    code.and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// One relayed webhook event → neutral events, and whether a read must follow.
pub fn decode(ev: &WebhookEvent, st: &mut CccState) -> Decoded {
    let call_id = ev.contact_id.clone();
    let ty = ev.event_type.as_str();
    // Agent events.
    match ty {
        "AgentReady" => {
            note_state(st, "READY", None);
            return Decoded::events(vec![Event::Ready]);
        }
        "AgentBreak" => {
            note_state(st, "BREAK", ev.break_code.as_deref());
            return Decoded::events(vec![Event::Busy { reason: break_reason(ev.break_code.as_deref()) }]);
        }
        // After-call work (INFERRED mapping, as in the simulator).
        "AgentRelease" => {
            note_state(st, "WORKING", None);
            return Decoded::events(vec![Event::WrapUp]);
        }
        "AgentCheckOut" => {
            note_state(st, "OFFLINE", None);
            return Decoded::events(vec![Event::ShutDown]);
        }
        // The call's own channel event says which call; these only move the state.
        "AgentRinging" | "AgentTalk" | "AgentDialing" => {
            let state = match ty {
                "AgentRinging" => "RINGING",
                "AgentTalk" => "TALKING",
                _ => "DIALING",
            };
            note_state(st, state, None);
            return Decoded::default();
        }
        t if NOT_FOR_THE_TOOLBAR.contains(&t) => return Decoded::default(),
        t if READ_AFTER.contains(&t) => return Decoded::default().read(),
        _ => {}
    }
    let channel_event = matches!(ty, "Ringing" | "Established" | "Released" | "Held" | "Retrieved");
    if !channel_event {
        return Decoded { unknown: Some(ev.event_type.clone()), ..Default::default() };
    }
    if call_id.is_empty() {
        return Decoded::default().read();
    }
    // Consult legs are shown under their ChannelId, transfers move legs: the contexts say how.
    if ev.call_type == "CONSULTANT" || !ev.scenario.is_empty() {
        return Decoded::default().read();
    }
    let feature = feature_of(&ev.call_type);
    let talking = Event::Talking {
        call_id: call_id.clone(),
        caller: String::new(),
        called: String::new(),
        media: Media::Voice,
        feature,
    };
    match ty {
        // The banner at once; the numbers are not in the event: one read brings them.
        "Ringing" => Decoded::events(vec![Event::Ringing(CallOffer {
            call_id,
            feature,
            media: Media::Voice,
            ..Default::default()
        })])
        .read(),
        "Established" | "Retrieved" => Decoded::events(vec![talking]),
        "Held" => Decoded::events(vec![Event::Held { call_id }]),
        _ => Decoded::events(vec![Event::CallReleased { call_id }]),
    }
}

/// A PollUserStatus answer as a query's report, for the core's generation-ordered resync
/// (`Input::Resynced`): what the agent is doing and the call it is on.
pub fn reported(c: &Contexts, user_id: &str) -> (ReportedState, Option<CallSummary>) {
    let state = c.user.as_ref().map(|u| u.user_state.as_str()).unwrap_or("");
    let reported = match state {
        "OFFLINE" => ReportedState::SignedOut,
        "READY" => ReportedState::Idle,
        "BREAK" => ReportedState::Busy,
        "WORKING" => ReportedState::WrapUp,
        "RINGING" | "TALKING" | "DIALING" => ReportedState::InCall,
        _ => ReportedState::Unknown,
    };
    let current = c.call.as_ref().filter(|call| !call.all_released()).map(|call| {
        let o = offer(call, user_id);
        CallSummary {
            call_id: o.call_id,
            caller: o.caller,
            called: o.called,
            feature: o.feature,
            skill: None,
            answered: state == "TALKING",
        }
    });
    (reported, current)
}

/// Whether the remembered call has a consult leg: webhooks carry only the agent's own legs,
/// so while one exists the toolbar keeps reading.
pub fn consulting(st: &CccState) -> bool {
    st.last.call.as_ref().and_then(consult_leg).is_some()
}

/// Coalesces the catch-up reads: at most one in flight and one queued. A read that answers
/// after a webhook event was applied may be older than that event: it is not applied, and one
/// more read follows (at most twice in a row, so a busy stream cannot starve the reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    in_flight: Option<Flight>,
    /// Queued behind the one in flight; `true`: a reconcile (after a reconnect or `reset`).
    queued: Option<bool>,
    /// Webhook events applied so far.
    pushed: u64,
    stale_in_a_row: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flight {
    reconcile: bool,
    pushed_at: u64,
}

/// What to do with a read's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// Apply it (else it is older than an event applied while it was on its way).
    pub apply: bool,
    /// Apply it as a reconcile (`Input::Resynced`), not only as a diff.
    pub reconcile: bool,
    /// Start another read now (`Some(reconcile)`).
    pub next: Option<bool>,
}

impl CatchUp {
    /// Asks for a read; `Some(reconcile)`: start one now.
    pub fn want(&mut self, reconcile: bool) -> Option<bool> {
        if self.in_flight.is_some() {
            self.queued = Some(self.queued.unwrap_or(false) || reconcile);
            return None;
        }
        self.in_flight = Some(Flight { reconcile, pushed_at: self.pushed });
        Some(reconcile)
    }

    /// A webhook event was applied.
    pub fn pushed(&mut self) {
        self.pushed += 1;
    }

    /// Whether a read is on its way.
    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The read on its way answered (`ok`) or failed.
    pub fn answered(&mut self, ok: bool) -> Answered {
        let Some(flight) = self.in_flight.take() else {
            return Answered { apply: false, reconcile: false, next: None };
        };
        let stale = ok && flight.pushed_at != self.pushed && self.stale_in_a_row < 2;
        if stale {
            self.stale_in_a_row += 1;
            self.queued = Some(self.queued.unwrap_or(false) || flight.reconcile);
        } else if ok {
            self.stale_in_a_row = 0;
        }
        let next = self.queued.take();
        if let Some(reconcile) = next {
            self.in_flight = Some(Flight { reconcile, pushed_at: self.pushed });
        }
        Answered { apply: ok && !stale, reconcile: flight.reconcile, next }
    }

    /// Forgets everything (a new sign-in, the stream ended).
    pub fn reset(&mut self) {
        *self = CatchUp::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::aliyun::{contexts, decode_webhook};
    use serde_json::json;

    const ME: &str = "agent101@ccc-demo";

    fn st() -> CccState {
        CccState { user_id: ME.into(), ..Default::default() }
    }

    fn ev(v: serde_json::Value) -> WebhookEvent {
        decode_webhook(&v.to_string()).expect("a documented event decodes")
    }

    /// The documented shapes (aliyun-ccc.md §6 and docs/RELAY.md), as the simulator sends them.
    fn ringing() -> serde_json::Value {
        json!({"eventTime":"2026-12-02T01:02:03.456Z","eventType":"Ringing","instanceId":"ccc-demo",
               "agentId":ME,"contactId":"job-1","channelId":"ch:user:1","callType":"INBOUND",
               "skillGroupId":"skillgroup1@ccc-demo","scenario":""})
    }

    fn channel(ty: &str) -> serde_json::Value {
        let mut v = ringing();
        v["eventType"] = json!(ty);
        v
    }

    #[test]
    fn a_ring_shows_the_banner_at_once_and_reads_the_numbers_once() {
        let mut s = st();
        let d = decode(&ev(ringing()), &mut s);
        let [Event::Ringing(o)] = d.events.as_slice() else { panic!("{d:?}") };
        assert_eq!((o.call_id.as_str(), o.feature, o.caller.as_str()), ("job-1", 0, ""));
        assert!(d.read, "the documented event has no caller number");
    }

    #[test]
    fn the_agents_leg_moves_the_call() {
        let mut s = st();
        let d = decode(&ev(channel("Established")), &mut s);
        assert!(matches!(d.events.as_slice(), [Event::Talking { call_id, .. }] if call_id == "job-1"));
        assert!(!d.read);
        assert_eq!(decode(&ev(channel("Held")), &mut s).events, [Event::Held { call_id: "job-1".into() }]);
        assert!(matches!(
            decode(&ev(channel("Retrieved")), &mut s).events.as_slice(),
            [Event::Talking { .. }]
        ));
        assert_eq!(
            decode(&ev(channel("Released")), &mut s).events,
            [Event::CallReleased { call_id: "job-1".into() }]
        );
        let mut outbound = channel("Established");
        outbound["callType"] = json!("OUTBOUND");
        assert!(matches!(
            decode(&ev(outbound), &mut s).events.as_slice(),
            [Event::Talking { feature: 7, .. }]
        ));
    }

    #[test]
    fn agent_events_move_the_agent_and_are_remembered_for_the_next_read() {
        let mut s = st();
        let brk = json!({"eventTime":"2026-12-02T01:02:03.456Z","eventType":"AgentBreak","instanceId":"ccc-demo",
                         "agentId":ME,"skillGroupIds":"skillgroup1@ccc-demo","breakCode":"Warm-up"});
        assert_eq!(decode(&ev(brk), &mut s).events, [Event::Busy { reason: 0 }]);
        assert_eq!(s.last.user.as_ref().map(|u| u.user_state.as_str()), Some("BREAK"));
        let ours = json!({"eventType":"AgentBreak","agentId":ME,"breakCode":"201"});
        assert_eq!(decode(&ev(ours), &mut s).events, [Event::Busy { reason: 201 }]);
        let ready = json!({"eventType":"AgentReady","agentId":ME,"outboundScenario":0});
        assert_eq!(decode(&ev(ready), &mut s).events, [Event::Ready]);
        assert_eq!(
            decode(&ev(json!({"eventType":"AgentRelease","agentId":ME})), &mut s).events,
            [Event::WrapUp]
        );
        assert_eq!(
            decode(&ev(json!({"eventType":"AgentCheckOut","agentId":ME})), &mut s).events,
            [Event::ShutDown]
        );
        let ringing = decode(&ev(json!({"eventType":"AgentRinging","agentId":ME})), &mut s);
        assert!(ringing.events.is_empty() && !ringing.read);
        assert_eq!(s.last.user.as_ref().map(|u| u.user_state.as_str()), Some("RINGING"));
    }

    #[test]
    fn consults_transfers_and_scenarios_are_read_and_unknown_types_reported() {
        let mut s = st();
        let mut consult = channel("Ringing");
        consult["callType"] = json!("CONSULTANT");
        let d = decode(&ev(consult), &mut s);
        assert!(d.events.is_empty() && d.read);
        let mut transfer = channel("Established");
        transfer["scenario"] = json!("ATTENDED_TRANSFER");
        assert!(decode(&ev(transfer), &mut s).read);
        assert!(decode(&ev(json!({"eventType":"StartConsultant","contactId":"job-1"})), &mut s).read);
        let quiet = decode(&ev(json!({"eventType":"Enqueue","contactId":"job-1"})), &mut s);
        assert_eq!(quiet, Decoded::default());
        let odd = decode(&ev(json!({"eventType":"SomethingNew"})), &mut s);
        assert_eq!(odd.unknown.as_deref(), Some("SomethingNew"));
        assert!(odd.events.is_empty());
    }

    #[test]
    fn what_is_not_an_event_is_an_error_not_a_panic() {
        assert!(decode_webhook("").is_err());
        assert!(decode_webhook("[1,2]").is_err());
        assert!(decode_webhook(r#"{"agentId":"x"}"#).is_err());
        assert!(decode_webhook(r#"{"eventType":7,"contactId":12}"#).is_ok(), "lenient: numbers as text");
    }

    #[test]
    fn a_poll_answer_reports_state_and_call_for_the_reconcile() {
        let data = json!({
            "UserContext": {"UserId": ME, "UserState": "RINGING"},
            "CallContext": {"JobId": "job-1", "CallType": "INBOUND", "ChannelContexts": [
                {"ChannelId": "c1", "ChannelState": "ANSWERED", "CallType": "INBOUND", "UserId": "",
                 "Originator": "13800000000", "Destination": "4001", "JobId": "job-1"},
                {"ChannelId": "c2", "ChannelState": "RINGING", "CallType": "INBOUND", "UserId": ME,
                 "Originator": "13800000000", "Destination": "80010101", "JobId": "job-1"}]}
        });
        let (state, current) = reported(&contexts(&data), ME);
        assert_eq!(state, ReportedState::InCall);
        let c = current.expect("the ringing call");
        assert_eq!((c.call_id.as_str(), c.caller.as_str(), c.answered), ("job-1", "13800000000", false));
        let idle = reported(&contexts(&json!({"UserContext": {"UserId": ME, "UserState": "READY"}})), ME);
        assert_eq!(idle, (ReportedState::Idle, None));
    }

    #[test]
    fn catch_up_reads_are_coalesced_one_in_flight_one_queued() {
        let mut c = CatchUp::default();
        assert_eq!(c.want(true), Some(true));
        assert_eq!(c.want(false), None);
        assert_eq!(c.want(false), None, "a third want joins the queued read");
        let a = c.answered(true);
        assert_eq!(a, Answered { apply: true, reconcile: true, next: Some(false) });
        assert_eq!(c.answered(true), Answered { apply: true, reconcile: false, next: None });
        assert!(!c.busy());
        // A queued reconcile stays a reconcile.
        assert_eq!(c.want(false), Some(false));
        assert_eq!(c.want(true), None);
        assert_eq!(c.answered(false).next, Some(true));
    }

    #[test]
    fn a_read_older_than_an_applied_event_is_read_again_but_not_forever() {
        let mut c = CatchUp::default();
        assert_eq!(c.want(false), Some(false));
        c.pushed();
        assert_eq!(c.answered(true), Answered { apply: false, reconcile: false, next: Some(false) });
        c.pushed();
        assert!(!c.answered(true).apply);
        c.pushed();
        let third = c.answered(true);
        assert!(third.apply && third.next.is_none(), "{third:?}");
    }
}

#[cfg(test)]
mod sequence {
    //! The webhook ring and the catch-up read through the core: the banner first, then the
    //! numbers.
    use super::*;
    use crate::adapter::aliyun::{absorb, Answer};
    use crate::core::model::CallPhase;
    use crate::core::step::{step, Input};
    use crate::core::Session;
    use crate::protocol::aliyun::decode_webhook;
    use serde_json::json;

    const ME: &str = "agent101@ccc-demo";

    #[test]
    fn ring_from_the_webhook_then_numbers_from_one_read() {
        let mut s = Session::default();
        step(&mut s, Input::Recovered { agent_id: "agent101".into(), auto_enter_idle: true }, 0);
        step(&mut s, Input::Event(Event::InService), 1);
        step(&mut s, Input::Event(Event::Ready), 2);
        assert!(s.agent.is_signed_in(), "{:?}", s.agent);
        let mut st = CccState { user_id: ME.into(), ..Default::default() };
        // What the sign-in catch-up read saw: ready, no call.
        absorb(&mut st, &json!({"UserContext": {"UserId": ME, "UserState": "READY"}}), Answer::Poll);
        let ring = decode_webhook(
            &json!({"eventTime":"2026-12-02T01:02:03.456Z","eventType":"Ringing","instanceId":"ccc-demo",
                    "agentId":ME,"contactId":"job-9","channelId":"ch:user:9","callType":"INBOUND",
                    "skillGroupId":"skillgroup1@ccc-demo","scenario":""})
            .to_string(),
        )
        .unwrap();
        let d = decode(&ring, &mut st);
        for e in d.events {
            step(&mut s, Input::Event(e), 10);
        }
        let call = s.call("job-9").expect("the banner, before any read");
        assert_eq!((call.phase, call.caller.as_str()), (CallPhase::Ringing, ""));
        // The one read: the same call, now with its numbers.
        let poll = json!({
            "UserContext": {"UserId": ME, "UserState": "RINGING"},
            "CallContext": {"JobId": "job-9", "CallType": "INBOUND", "ChannelContexts": [
                {"ChannelId": "c1", "ChannelState": "ANSWERED", "CallType": "INBOUND", "UserId": "",
                 "Originator": "13800000009", "Destination": "4001", "JobId": "job-9"},
                {"ChannelId": "ch:user:9", "ChannelState": "RINGING", "CallType": "INBOUND", "UserId": ME,
                 "Originator": "13800000009", "Destination": "80010101", "JobId": "job-9"}]}
        });
        for e in absorb(&mut st, &poll, Answer::Poll) {
            step(&mut s, Input::Event(e), 20);
        }
        let call = s.call("job-9").expect("still ringing");
        assert_eq!(
            (call.phase, call.caller.as_str(), call.called.as_str()),
            (CallPhase::Ringing, "13800000009", "4001")
        );
        assert_eq!(s.calls.len(), 1);
    }
}
