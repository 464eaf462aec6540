//! `step`: the toolbar's state machine. Gateway events, request outcomes and poll results go
//! in; the session changes and the effects the I/O layer must carry out come out.

use super::actions::Action;
use super::cdr::{self, JournalEntry, Source};
use super::error::{ErrorKind, GatewayError};
use super::event::{CallOffer, Event, Media};
use super::gate::{self, Refusal};
use super::model::ENDED_LIMIT;
use super::model::{
    AgentState, Attempt, Call, CallPhase, Connection, Consult, ConsultState, Direction, Failure, Millis,
    Notice, Session, TransferProgress,
};
use super::transfer::{waits_for_outcome, ConsultTarget, TransferKind};
use crate::i18n::Msg;

pub use super::intent::{InitialState, Intent, RejectMode};

/// A call as a query (callinfo, hold list) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallSummary {
    pub call_id: String,
    pub caller: String,
    pub called: String,
    pub feature: i64,
    pub skill: Option<String>,
    /// The call was answered (a query reports ringing and dialled calls too).
    pub answered: bool,
}

/// The agent's state as the gateway reports it on a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedState {
    SignedOut,
    Idle,
    Busy,
    WrapUp,
    Rest,
    InCall,
    Unknown,
}

/// Everything that can change the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The agent (or a host page, or the toolbar itself) asks for something: it passes the
    /// gate (`core::gate`) or is refused.
    Intent(Intent),
    Event(Event),
    /// A request's outcome. `Ok` carries the vendor's result (e.g. a new call id).
    Done {
        intent: Intent,
        result: Result<serde_json::Value, GatewayError>,
    },
    /// A poll answered (with or without an event): the stream is alive.
    PollAlive,
    /// A poll failed and will be retried (`attempt` counts consecutive failures).
    PollFailing {
        attempt: u32,
    },
    /// The gateway no longer knows the session: polling has stopped.
    SessionLost(GatewayError),
    /// The state re-read from the gateway's queries after an error or a reconnect. `as_of` is
    /// the session's generation when the first query went out: anything applied since wins.
    Resynced {
        as_of: u64,
        state: ReportedState,
        current: Option<CallSummary>,
        /// `None` when the hold list could not be read: held calls stay as they are.
        held: Option<Vec<CallSummary>>,
    },
    /// The hold list as the gateway reports it, read at generation `as_of`.
    HoldList {
        as_of: u64,
        held: Vec<CallSummary>,
    },
    /// A read of the gateway (state, hold list, directory) was refused with a vendor code: the
    /// agent is told, with the code; nothing about the calls changes.
    ReadFailed(GatewayError),
    /// The agent dismissed the notice with this id.
    DismissNotice(u64),
    /// The agent chose "go ready anyway" at the readiness check: do not ask again this sign-in.
    ReadyAnyway,
    /// A call's detail record arrived (CCC GetCallDetailRecord).
    CallDetail(Box<super::cdr::CallDetail>),
    /// The gateway session survived a page reload (updateGuid, or the bridge's cookie): carry
    /// on without signing in again; the state is re-read from the gateway.
    Recovered {
        agent_id: String,
        auto_enter_idle: bool,
    },
}

/// Work the I/O layer must do as a consequence of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The intent passed the gate: carry it out (the vendor's plan of requests).
    Request(Intent),
    /// The intent was not sent; whoever asked is told why.
    Refused(Intent, Refusal),
    /// The intent was taken and goes out with the request after the one on its way (DTMF).
    Accepted(Intent),
    StartPolling,
    StopPolling,
    /// Re-read state, current call and hold list from the gateway.
    Resync,
    RefreshHoldList,
    /// Send this intent on the agent's behalf (e.g. take the customer back after a failed
    /// consult); it passes the gate like any other.
    Send(Intent),
    /// A connected or dialled call ended: a vendor with a CDR API fetches the record.
    CallEnded {
        call_id: String,
    },
    /// A call rings with no call data yet: a vendor that keeps it apart (CC-Gateway `appdata`)
    /// reads it, so the banner shows what the IVR collected.
    FetchCallData {
        call_id: String,
    },
}

/// Advances the session by one input at time `now`.
pub fn step(s: &mut Session, input: Input, now: Millis) -> Vec<Effect> {
    // Gateway events and request answers are stamped with a generation, so a read sent
    // before them cannot undo them when its answer comes late (see `resync`).
    let named = match &input {
        Input::Event(e) => Some(e.call_id().map(str::to_string)),
        Input::Done { intent, .. } => Some(gate::call_of(intent).map(str::to_string)),
        _ => None,
    };
    let Some(named) = named else { return dispatch(s, input, now) };
    let agent_event = matches!(&input, Input::Event(e) if e.is_agent_state());
    // The gateway's word that a call is over counts even when the call is not on screen (a
    // resync took it first): a dial's answer arriving after it must not bring it back.
    let released = match &input {
        Input::Event(Event::CallReleased { call_id } | Event::CustomerReleased { call_id, .. }) => {
            Some(call_id.clone())
        }
        _ => None,
    };
    let (calls_before, agent_before) = (s.calls.clone(), s.agent.clone());
    let effects = dispatch(s, input, now);
    s.gen += 1;
    let gen = s.gen;
    for call in s.calls.iter_mut() {
        let unchanged = calls_before.iter().any(|c| c == call);
        if !unchanged || named.as_deref() == Some(call.id.as_str()) {
            call.gen = gen;
        }
    }
    let gone = calls_before.into_iter().map(|c| c.id).filter(|id| s.call(id).is_none());
    for id in gone.chain(released).collect::<Vec<_>>() {
        remember_ended(s, id, gen);
    }
    if agent_event || s.agent != agent_before {
        s.agent_gen = gen;
    }
    effects
}

fn remember_ended(s: &mut Session, call_id: String, gen: u64) {
    // A requeued call rings again under the same id: its newest end is the one that counts.
    s.ended.retain(|(id, _)| *id != call_id);
    if s.ended.len() >= ENDED_LIMIT {
        s.ended.remove(0);
    }
    s.ended.push((call_id, gen));
}

/// Whether the gateway ended this call after generation `as_of`.
fn ended_since(s: &Session, call_id: &str, as_of: u64) -> bool {
    s.ended.iter().any(|(id, gen)| id == call_id && *gen > as_of)
}

fn dispatch(s: &mut Session, input: Input, now: Millis) -> Vec<Effect> {
    match input {
        Input::Intent(intent) => admit(s, intent),
        Input::Event(e) => on_event(s, e, now),
        Input::Done { intent, result } => {
            let mut effects = settle_request(s, &intent);
            effects.extend(match result {
                Ok(result) => on_success(s, intent, result, now),
                Err(err) => on_failure(s, intent, err, now),
            });
            effects
        }
        Input::PollAlive => {
            let was_reconnecting = matches!(s.connection, Connection::Reconnecting { .. });
            s.connection = Connection::Online;
            if was_reconnecting {
                // Events may have been lost while the stream was down.
                vec![Effect::Resync]
            } else {
                vec![]
            }
        }
        Input::PollFailing { attempt } => {
            let since = match s.connection {
                Connection::Reconnecting { since, .. } => since,
                _ => now,
            };
            s.connection = Connection::Reconnecting { attempt, since };
            vec![]
        }
        // Already signed out (the gateway said so first): a request or read that was on its way
        // then fails with "no such session"; the reason the agent reads stays the first one.
        Input::SessionLost(_) if !s.agent.is_signed_in() => vec![Effect::StopPolling],
        Input::SessionLost(err) => {
            let mut notice = Notice::error(Msg::SessionLost);
            notice.code = Some(err.code).filter(|c| !c.is_empty());
            notice.detail = Some(err.message).filter(|m| !m.is_empty());
            sign_out(s, Some(notice), now);
            vec![Effect::StopPolling]
        }
        Input::Resynced { as_of, state, current, held } => {
            resync(s, as_of, state, current, held, now);
            vec![]
        }
        Input::HoldList { as_of, held } => {
            reconcile_held(s, as_of, held, now);
            vec![]
        }
        Input::DismissNotice(id) => {
            s.dismiss(id);
            vec![]
        }
        Input::ReadFailed(err) if err.kind == ErrorKind::SessionLost => {
            dispatch(s, Input::SessionLost(err), now)
        }
        // A read that was in flight when the agent was signed out fails with "not signed in";
        // the sign-out reason stays the newest thing the agent reads.
        Input::ReadFailed(_) if !s.agent.is_signed_in() => vec![],
        Input::ReadFailed(err) => {
            let mut notice = Notice::error(Msg::ReadFailed);
            notice.code = Some(err.code).filter(|c| !c.is_empty());
            notice.detail = Some(err.message).filter(|m| !m.is_empty());
            s.notify(notice);
            vec![]
        }
        Input::ReadyAnyway => {
            s.ready_anyway = true;
            vec![]
        }
        Input::CallDetail(detail) => {
            s.last_detail = Some(*detail);
            vec![]
        }
        Input::Recovered { agent_id, auto_enter_idle } => {
            s.agent_id = agent_id;
            s.auto_enter_idle = auto_enter_idle;
            s.connection = Connection::Online;
            s.notices.clear();
            set_agent(s, AgentState::SigningIn, now);
            vec![Effect::Resync, Effect::StartPolling]
        }
    }
}

/// The gate: a repeat of a request on its way is dropped, a request the state does not allow
/// is refused, DTMF typed while a digit is on its way queues behind it.
fn admit(s: &mut Session, intent: Intent) -> Vec<Effect> {
    match gate::admit(s, &intent) {
        Err(why) => vec![Effect::Refused(intent, why)],
        Ok(()) => {
            let key = gate::pending_of(&intent);
            if let Intent::Dtmf { call_id, digits } = &intent {
                if s.pending.contains(&key) {
                    match s.dtmf_queue.iter_mut().find(|(id, _)| id == call_id) {
                        Some((_, queued)) => queued.push_str(digits),
                        None => s.dtmf_queue.push((call_id.clone(), digits.clone())),
                    }
                    return vec![Effect::Accepted(intent)];
                }
            }
            s.pending.push(key);
            vec![Effect::Request(intent)]
        }
    }
}

/// A request was answered: it is no longer in flight; queued DTMF digits go next.
fn settle_request(s: &mut Session, intent: &Intent) -> Vec<Effect> {
    let key = gate::pending_of(intent);
    if let Some(pos) = s.pending.iter().position(|p| *p == key) {
        s.pending.remove(pos);
    }
    if let Intent::Dtmf { call_id, .. } = intent {
        if let Some(pos) = s.dtmf_queue.iter().position(|(id, _)| id == call_id) {
            let (call_id, digits) = s.dtmf_queue.remove(pos);
            // The queued digits go only if DTMF is still allowed (not muted, still on the call).
            if s.call(&call_id).is_some() && super::actions::allowed_actions(s).contains(Action::Dtmf) {
                s.pending.push(key);
                return vec![Effect::Request(Intent::Dtmf { call_id, digits })];
            }
        }
    }
    vec![]
}

fn set_agent(s: &mut Session, state: AgentState, now: Millis) {
    if s.agent != state {
        s.agent = state;
        s.agent_since = now;
    }
}

fn sign_out(s: &mut Session, reason: Option<Notice>, now: Millis) {
    s.calls.clear();
    s.journal.clear();
    s.consult = None;
    s.transfer = None;
    s.connection = Connection::Offline;
    s.offer_force_sign_in = false;
    s.pending.clear();
    s.dtmf_queue.clear();
    s.ready_anyway = false;
    // The reason stays on screen above the sign-in form until dismissed.
    if let Some(reason) = &reason {
        s.notify(reason.clone());
    }
    set_agent(s, AgentState::SignedOut { reason }, now);
}

fn set_phase(call: &mut Call, phase: CallPhase, now: Millis) {
    if call.phase != phase {
        call.phase = phase;
        call.phase_since = now;
        // What a settling request waited for has happened (or something else did).
        call.settling = None;
    }
}

fn new_call(offer: CallOffer, phase: CallPhase, now: Millis) -> Call {
    Call {
        direction: Direction::from_feature(offer.feature),
        id: offer.call_id,
        caller: offer.caller,
        called: offer.called,
        media: offer.media,
        feature: offer.feature,
        phase,
        phase_since: now,
        skill: None,
        calldata: None,
        transferred_from: offer.transferred_from,
        muted: false,
        conference: Vec::new(),
        settling: None,
        gen: 0,
    }
}

/// The journal keeps at most this many entries: a shift's calls must not pile up.
const JOURNAL_LIMIT: usize = 64;

fn journal(s: &mut Session, call_id: &str, source: Source, event: &str, now: Millis) {
    if s.journal.len() >= JOURNAL_LIMIT {
        s.journal.remove(0);
    }
    s.journal.push(JournalEntry { call_id: call_id.to_string(), at: now, source, event: event.to_string() });
}

/// Removes a call. A call that was connected or dialled (not a consult leg, not a ring the
/// agent never took) gets its details built from the journal, and a `CallEnded` effect.
fn remove_call(s: &mut Session, call_id: &str) -> Vec<Effect> {
    let Some(pos) = s.calls.iter().position(|c| c.id == call_id) else { return vec![] };
    let call = s.calls.remove(pos);
    s.dtmf_queue.retain(|(id, _)| id != call_id);
    let entries_of_call =
        |s: &Session| s.journal.iter().any(|e| e.call_id == call_id && e.event == "Established");
    let worth_a_record = call.feature != 51 && (entries_of_call(s) || call.direction == Direction::Outbound);
    let effects = if worth_a_record {
        s.last_detail = Some(cdr::from_journal(
            call_id,
            &call.caller,
            &call.called,
            call.direction == Direction::Outbound,
            &s.journal,
        ));
        vec![Effect::CallEnded { call_id: call_id.to_string() }]
    } else {
        vec![]
    };
    s.journal.retain(|e| e.call_id != call_id);
    effects
}

/// Notes call events in the journal the CC-Gateway's call details are built from.
fn record(s: &mut Session, event: &Event, now: Millis) {
    let (call_id, source, name) = match event {
        Event::Ringing(o) => (&o.call_id, Source::Agent, "Ringing"),
        Event::Talking { call_id, .. } => {
            let phase = s.call(call_id).map(|c| c.phase);
            let name = match phase {
                Some(CallPhase::Held) => "Retrieved",
                Some(CallPhase::Talking) => return,
                _ => "Established",
            };
            (call_id, Source::Agent, name)
        }
        Event::FarAlerting { call_id, .. } => (call_id, Source::Customer, "Ringing"),
        Event::Held { call_id } => (call_id, Source::Agent, "Held"),
        Event::CallReleased { call_id } => (call_id, Source::Agent, "Released"),
        Event::CustomerReleased { call_id, .. } => (call_id, Source::Customer, "Released"),
        Event::NoAnswer { call_id } => (call_id, Source::Agent, "NoAnswer"),
        _ => return,
    };
    if s.call(call_id).is_some()
        || matches!(event, Event::Ringing(_) | Event::FarAlerting { .. } | Event::Talking { .. })
    {
        let call_id = call_id.clone();
        journal(s, &call_id, source, name, now);
    }
}

fn on_event(s: &mut Session, event: Event, now: Millis) -> Vec<Effect> {
    // A signed-out toolbar has no event stream: whatever arrives now is from the session that
    // ended (a poll answer in flight, a repeat) and must not bring it back.
    if !s.agent.is_signed_in() {
        return vec![];
    }
    record(s, &event, now);
    match event {
        Event::InService => {
            if !s.agent.is_signed_in() || s.agent == AgentState::SigningIn {
                set_agent(s, AgentState::Idle, now);
            }
            vec![]
        }
        Event::ShutDown => {
            sign_out(s, Some(Notice::info(Msg::SignedOutByGateway)), now);
            vec![Effect::StopPolling]
        }
        Event::Ready => {
            set_agent(s, AgentState::Idle, now);
            // Ready with calls on screen: an end of call was missed, or the state is odd.
            // The gateway is asked once rather than a call inferred away.
            if s.calls.is_empty() {
                vec![]
            } else {
                vec![Effect::Resync]
            }
        }
        Event::BusyCleared | Event::RestEnded | Event::WrapUpEnded => {
            set_agent(s, AgentState::Idle, now);
            vec![]
        }
        Event::Busy { reason } => {
            set_agent(s, AgentState::Busy { reason }, now);
            vec![]
        }
        Event::RestStarted { cause } => {
            let until = s.requested_rest_secs.take().map(|secs| now + secs * 1000);
            set_agent(s, AgentState::Rest { cause, until, overdue: false }, now);
            vec![]
        }
        Event::RestTimeout => {
            if let AgentState::Rest { overdue, .. } = &mut s.agent {
                *overdue = true;
            }
            vec![]
        }
        Event::WrapUp => {
            set_agent(s, AgentState::WrapUp, now);
            vec![]
        }
        Event::Occupied | Event::AutoAnswered => vec![],
        Event::PhoneReleased => {
            // The phone is on-hook: a call still shown as connected needs the gateway's word.
            if s.calls.iter().any(|c| matches!(c.phase, CallPhase::Talking | CallPhase::Dialing { .. })) {
                vec![Effect::Resync]
            } else {
                vec![]
            }
        }
        Event::Ringing(offer) => {
            let id = offer.call_id.clone();
            // A late or repeated ring never takes an answered, held or dialled call back to
            // ringing: the events that moved it on came after the ring.
            let new = s.call(&id).is_none();
            if new {
                s.calls.push(new_call(offer, CallPhase::Ringing, now));
            } else if let Some(call) = s.call_mut(&id) {
                // A ring shown before its numbers were known (a CCC webhook carries none):
                // the repeat that knows them fills them in, and changes nothing else.
                if call.caller.is_empty() {
                    call.caller = offer.caller;
                }
                if call.called.is_empty() {
                    call.called = offer.called;
                }
            }
            // Details may have arrived before the ringing event itself.
            if let Some(pos) = s.early_call_info.iter().position(|(cid, _, _)| *cid == id) {
                let (_, skill, calldata) = s.early_call_info.remove(pos);
                if let Some(call) = s.call_mut(&id) {
                    call.skill = skill.or(call.skill.take());
                    call.calldata = calldata.or(call.calldata.take());
                }
            }
            let has_data = s.call(&id).is_some_and(|c| c.calldata.is_some());
            if new && !has_data {
                vec![Effect::FetchCallData { call_id: id }]
            } else {
                vec![]
            }
        }
        Event::CallInfo { call_id, skill, calldata } => {
            match s.call_mut(&call_id) {
                Some(call) => {
                    call.skill = skill.or(call.skill.take());
                    call.calldata = calldata.or(call.calldata.take());
                }
                None => {
                    // Keep only a few: details for calls that never ring must not pile up.
                    if s.early_call_info.len() >= 8 {
                        s.early_call_info.remove(0);
                    }
                    s.early_call_info.push((call_id, skill, calldata));
                }
            }
            vec![]
        }
        Event::Talking { call_id, caller, called, media, feature } => {
            let was_held = s.call(&call_id).is_some_and(|c| c.phase == CallPhase::Held);
            match s.call_mut(&call_id) {
                Some(call) => set_phase(call, CallPhase::Talking, now),
                None => {
                    let offer = CallOffer {
                        call_id: call_id.clone(),
                        caller,
                        called,
                        media,
                        feature,
                        ..Default::default()
                    };
                    s.calls.push(new_call(offer, CallPhase::Talking, now));
                }
            }
            if let Some(c) = s.consult.as_mut() {
                if c.leg_call_id.as_deref() == Some(call_id.as_str()) {
                    c.state = ConsultState::Talking;
                } else if c.customer_call_id == call_id {
                    // The customer is back with the agent: the consult is over.
                    s.consult = None;
                }
            }
            if was_held || s.held().next().is_some() {
                vec![Effect::RefreshHoldList]
            } else {
                vec![]
            }
        }
        Event::FarAlerting { call_id, number, consult_leg: is_consult_leg, .. } => {
            if let Some(c) = s.consult.as_mut() {
                let is_leg = c.leg_call_id.as_deref().is_none_or(|leg| leg == call_id);
                if is_leg && c.customer_call_id != call_id {
                    c.leg_call_id = Some(call_id.clone());
                    c.state = ConsultState::Ringing;
                }
            }
            match s.call_mut(&call_id) {
                // A connected call whose far party rings is being transferred: the agent stays
                // on it until the outcome.
                Some(call) if call.phase == CallPhase::Talking => {}
                Some(call) => set_phase(call, CallPhase::Dialing { far_alerting: true }, now),
                None => {
                    // A leg the agent is consulting on is internal; any other is a callout.
                    let consult_leg = is_consult_leg
                        || s.consult
                            .as_ref()
                            .is_some_and(|c| c.leg_call_id.as_deref() == Some(call_id.as_str()));
                    let feature = if consult_leg { 51 } else { 7 };
                    let offer = CallOffer {
                        call_id,
                        called: number,
                        feature,
                        media: Media::Voice,
                        ..Default::default()
                    };
                    s.calls.push(new_call(offer, CallPhase::Dialing { far_alerting: true }, now));
                }
            }
            vec![]
        }
        Event::Held { call_id } => {
            if let Some(call) = s.call_mut(&call_id) {
                set_phase(call, CallPhase::Held, now);
            }
            vec![Effect::RefreshHoldList]
        }
        Event::Conference { call_id, partners } => {
            let mut effects = vec![];
            if let Some(c) = s.consult.take_if(|c| c.customer_call_id == call_id) {
                // The consult leg merged into the customer's call.
                if let Some(leg) = c.leg_call_id {
                    effects.extend(remove_call(s, &leg));
                }
            }
            if let Some(call) = s.call_mut(&call_id) {
                call.conference = partners;
                set_phase(call, CallPhase::Talking, now);
            }
            journal(s, &call_id, Source::Agent, "StartConference", now);
            effects
        }
        Event::NoAnswer { call_id } => remove_call(s, &call_id),
        Event::CallReleased { call_id } | Event::CustomerReleased { call_id, .. } => {
            let had_held = s.held().next().is_some();
            let mut effects = remove_call(s, &call_id);
            if s.transfer.as_ref().is_some_and(|t| t.call_id == call_id) {
                s.transfer = None;
            }
            if let Some(c) = s.consult.as_mut() {
                if c.leg_call_id.as_deref() == Some(call_id.as_str()) {
                    c.state = ConsultState::Ended;
                } else if c.customer_call_id == call_id {
                    // The customer left, or was handed to the consultee: the consult is over.
                    s.consult = None;
                }
            }
            if had_held {
                effects.push(Effect::RefreshHoldList);
            }
            effects
        }
        Event::ConsultFailed { call_id } => {
            s.notify(Notice::failed(Msg::ConsultFailed, Attempt::Consult, Some(call_id.clone())));
            // Only a known consult leg goes: a gateway that names the customer's call here
            // must not make the toolbar drop the customer.
            let customer = s.consult.as_ref().map(|c| c.customer_call_id.clone());
            let known_leg =
                s.consult.as_ref().is_some_and(|c| c.leg_call_id.as_deref() == Some(call_id.as_str()))
                    || s.call(&call_id).is_some_and(|c| c.feature == 51);
            let mut effects = vec![];
            if known_leg && customer.as_deref() != Some(call_id.as_str()) {
                effects.extend(remove_call(s, &call_id));
            }
            if let Some(c) = s.consult.as_mut() {
                c.state = ConsultState::Ended;
                // Take the customer back at once rather than leave them waiting on hold.
                let customer_call_id = c.customer_call_id.clone();
                if s.call(&customer_call_id).is_some_and(|c| c.phase == CallPhase::Held) {
                    effects.push(Effect::Send(Intent::Retrieve { call_id: customer_call_id }));
                }
            }
            effects
        }
        Event::ConnectFailed { call_id } | Event::CallOutFailed { call_id } => {
            // A failed outbound leg disappears; a failed transfer leaves the agent on the call.
            let dialing = s.call(&call_id).is_some_and(|c| matches!(c.phase, CallPhase::Dialing { .. }));
            let effects = if dialing { remove_call(s, &call_id) } else { vec![] };
            let was_transfer = s.transfer.take_if(|t| t.call_id == call_id).is_some();
            s.notify(if was_transfer {
                Notice::failed(Msg::TransferFailed, Attempt::Transfer, Some(call_id.clone()))
            } else {
                Notice::failed(Msg::ConnectFailed, Attempt::Dial, Some(call_id.clone()))
            });
            effects
        }
        Event::TransferResult { call_id, ok } => {
            let effects = if ok {
                journal(s, &call_id, Source::Agent, "Transferred", now);
                remove_call(s, &call_id)
            } else {
                s.notify(Notice::failed(Msg::TransferFailed, Attempt::Transfer, Some(call_id.clone())));
                vec![]
            };
            if s.transfer.as_ref().is_some_and(|t| t.call_id == call_id) {
                s.transfer = None;
            }
            effects
        }
    }
}

fn on_success(s: &mut Session, intent: Intent, result: serde_json::Value, now: Millis) -> Vec<Effect> {
    match intent {
        Intent::SignIn { agent_id, auto_enter_idle, force, .. } => {
            s.agent_id = agent_id;
            s.auto_enter_idle = auto_enter_idle;
            s.offer_force_sign_in = false;
            s.notices.clear();
            s.ready_anyway = false;
            s.calls.clear();
            s.connection = Connection::Online;
            set_agent(s, AgentState::SigningIn, now);
            if force {
                // Taking a session over: its calls may still be up on the gateway.
                vec![Effect::StartPolling, Effect::Resync]
            } else {
                vec![Effect::StartPolling]
            }
        }
        Intent::SignOut | Intent::SignOutLeavingCalls => {
            sign_out(s, None, now);
            vec![Effect::StopPolling]
        }
        Intent::Rest { seconds, .. } => {
            // The confirming event may have overtaken this answer.
            match &mut s.agent {
                AgentState::Rest { until: until @ None, .. } => *until = Some(s.agent_since + seconds * 1000),
                _ => s.requested_rest_secs = Some(seconds),
            }
            vec![]
        }
        Intent::Mute { ref call_id } | Intent::Unmute { ref call_id } => {
            // The gateway sends no mute event: the request's success is the confirmation. It
            // sets the state the request asked for: a repeated or late answer cannot flip it.
            let muted = matches!(intent, Intent::Mute { .. });
            if let Some(call) = s.call_mut(call_id) {
                call.muted = muted;
            }
            vec![]
        }
        Intent::Answer { ref call_id } | Intent::Reject { ref call_id, .. } => {
            settling(s, call_id, gate::action_of(&intent), |p| p == CallPhase::Ringing);
            vec![]
        }
        Intent::Hold { ref call_id } => {
            settling(s, call_id, Action::Hold, |p| p == CallPhase::Talking);
            vec![]
        }
        Intent::Retrieve { ref call_id } => {
            settling(s, call_id, Action::Retrieve, |p| p == CallPhase::Held);
            vec![]
        }
        Intent::HangUp { ref call_id } | Intent::DropCall { ref call_id } => {
            settling(s, call_id, Action::HangUp, |_| true);
            vec![]
        }
        Intent::Transfer(req) if req.kind == TransferKind::Ccc && req.mode != 0 => {
            // CCC's attended ("talk first") transfer is a consult: the agent talks to the
            // target, then completes or cancels it from the consult bar.
            let target = ConsultTarget { device: req.device, address: req.address };
            on_success(s, Intent::Consult { customer_call_id: req.call_id, target }, result, now)
        }
        Intent::Transfer(req) => {
            if waits_for_outcome(&req) && s.call(&req.call_id).is_some() {
                s.transfer =
                    Some(TransferProgress { call_id: req.call_id, address: req.address, since: now });
            }
            vec![]
        }
        Intent::Consult { customer_call_id, target } => {
            // The result is the consult leg's call id. The leg's events may have overtaken this
            // answer (the poll was already waiting), so its state is read from the call itself.
            let leg = Some(crate::protocol::lenient::value_string(&result)).filter(|l| !l.is_empty());
            let leg = leg.or_else(|| s.consult.as_ref().and_then(|c| c.leg_call_id.clone()));
            let mut state = ConsultState::Dialing;
            if let Some(call) = leg.as_deref().and_then(|id| s.call_mut(id)) {
                call.feature = 51;
                call.direction = Direction::Internal;
                state = match call.phase {
                    CallPhase::Talking => ConsultState::Talking,
                    CallPhase::Dialing { far_alerting: true } => ConsultState::Ringing,
                    _ => ConsultState::Dialing,
                };
            }
            journal(s, &customer_call_id, Source::Agent, "Consulting", now);
            s.consult = Some(Consult {
                customer_call_id,
                leg_call_id: leg,
                target: target.address,
                state,
                since: now,
            });
            vec![]
        }
        Intent::CancelConsult { customer_call_id, leg_call_id } => {
            // The gateway confirmed: the consult leg is gone and the customer is the current
            // call again, whatever leg states the answer still lists (CCC seed 000 lists the
            // consult leg as ANSWERED). No hold-list read: the customer's event refreshes it.
            let leg = leg_call_id.or_else(|| s.consult.as_ref().and_then(|c| c.leg_call_id.clone()));
            s.consult = None;
            let mut effects = vec![];
            if let Some(leg) = leg.filter(|l| *l != customer_call_id) {
                effects.extend(remove_call(s, &leg));
            }
            if let Some(call) = s.call_mut(&customer_call_id) {
                set_phase(call, CallPhase::Talking, now);
            }
            effects
        }
        Intent::CallOut { number } => {
            // The result is the new call id; show the dialing call before any event arrives.
            let call_id = crate::protocol::lenient::value_string(&result);
            // The call's own events may have overtaken this answer, even its end.
            let ended = s.ended.iter().any(|(id, _)| *id == call_id);
            if !call_id.is_empty() && s.call(&call_id).is_none() && !ended {
                let offer = CallOffer { call_id, called: number, feature: 7, ..Default::default() };
                s.calls.push(new_call(offer, CallPhase::Dialing { far_alerting: false }, now));
            }
            vec![]
        }
        _ => vec![],
    }
}

fn on_failure(s: &mut Session, intent: Intent, err: GatewayError, now: Millis) -> Vec<Effect> {
    let mut notice = Notice::error(Msg::GatewayError);
    notice.code = Some(err.code.clone()).filter(|c| !c.is_empty());
    notice.detail = Some(err.message.clone()).filter(|m| !m.is_empty());
    notice.retry_after_secs = err.retry_after_secs;
    let attempt = match &intent {
        Intent::CallOut { .. } => Some((Attempt::Dial, None)),
        Intent::Transfer(t) => Some((Attempt::Transfer, Some(t.call_id.clone()))),
        Intent::Consult { customer_call_id, .. } => Some((Attempt::Consult, Some(customer_call_id.clone()))),
        _ => None,
    };
    notice.failure = attempt.map(|(attempt, call_id)| Failure { attempt, call_id, refused: Some(err.kind) });
    let mut effects = vec![];
    match (&intent, err.kind) {
        (Intent::SignIn { .. }, ErrorKind::AlreadySignedIn) => {
            s.offer_force_sign_in = true;
            notice.msg = Msg::AlreadySignedIn;
        }
        (Intent::SignIn { .. }, ErrorKind::BadCredentials) => notice.msg = Msg::BadCredentials,
        (Intent::SignOut | Intent::SignOutLeavingCalls, ErrorKind::SignOutRefused) => {
            notice.msg = Msg::SignOutInCall
        }
        (Intent::Reject { call_id, .. } | Intent::Answer { call_id }, ErrorKind::NoCall) => {
            // Only a call that still rings is taken off the screen: a repeated answer that
            // loses to the first one must not remove the call the agent is talking on.
            if s.call(call_id).is_none_or(|c| c.phase != CallPhase::Ringing) {
                return effects;
            }
            effects.extend(remove_call(s, &call_id.clone()));
            notice.msg = Msg::CallAlreadyGone;
        }
        (_, ErrorKind::SessionLost) => {
            notice.msg = Msg::SessionLost;
            sign_out(s, Some(notice), now);
            return vec![Effect::StopPolling];
        }
        (_, ErrorKind::WrongState) => {
            notice.msg = Msg::WrongState;
            effects.push(Effect::Resync);
        }
        (_, ErrorKind::NoCall) => {
            notice.msg = Msg::CallAlreadyGone;
            effects.push(Effect::Resync);
        }
        (_, ErrorKind::Unavailable) if err.code.is_empty() => notice.msg = Msg::NetworkError,
        _ => {}
    }
    s.notify(notice);
    effects
}

/// Marks a call whose request succeeded while the event confirming it is still on its way,
/// if the call is still in the phase the request started from.
fn settling(s: &mut Session, call_id: &str, action: Action, from: impl Fn(CallPhase) -> bool) {
    if let Some(call) = s.call_mut(call_id).filter(|c| from(c.phase)) {
        call.settling = Some(action);
    }
}

fn agent_from_report(s: &Session, state: ReportedState) -> Option<AgentState> {
    Some(match state {
        ReportedState::SignedOut => {
            AgentState::SignedOut { reason: Some(Notice::info(Msg::SignedOutByGateway)) }
        }
        ReportedState::Idle => AgentState::Idle,
        ReportedState::Busy => match s.agent {
            AgentState::Busy { reason } => AgentState::Busy { reason },
            _ => AgentState::Busy { reason: 0 },
        },
        ReportedState::WrapUp => AgentState::WrapUp,
        ReportedState::Rest => match &s.agent {
            r @ AgentState::Rest { .. } => r.clone(),
            _ => AgentState::Rest { cause: 0, until: None, overdue: false },
        },
        // The call queries below carry the truth about calls; the agent state stays.
        ReportedState::InCall | ReportedState::Unknown => return None,
    })
}

fn summary_call(summary: CallSummary, phase: CallPhase, now: Millis) -> Call {
    let skill = summary.skill.clone();
    let offer = CallOffer {
        call_id: summary.call_id,
        caller: summary.caller,
        called: summary.called,
        feature: summary.feature,
        ..Default::default()
    };
    let mut call = new_call(offer, phase, now);
    call.skill = skill.filter(|s| !s.is_empty());
    call
}

/// Applies what the gateway's queries reported, read at generation `as_of`. A call or agent
/// state that an event or request answer changed after `as_of` keeps what that said: the
/// answer is older than it. A call that ended after `as_of` is not brought back.
fn resync(
    s: &mut Session,
    as_of: u64,
    state: ReportedState,
    current: Option<CallSummary>,
    held: Option<Vec<CallSummary>>,
    now: Millis,
) {
    if s.agent_gen <= as_of {
        if let Some(agent) = agent_from_report(s, state) {
            if let AgentState::SignedOut { reason } = agent {
                sign_out(s, reason, now);
                return;
            }
            set_agent(s, agent, now);
        } else if s.agent == AgentState::SigningIn {
            // Recovered in the middle of a call: the state under the call is not reported.
            set_agent(s, AgentState::Idle, now);
        }
    }
    // A gateway may report a held call as the "current" one when nothing else is connected.
    let current = current.filter(|c| !held.iter().flatten().any(|h| h.call_id == c.call_id));
    if let Some(held) = held {
        reconcile_held(s, as_of, held, now);
    }
    let current_ended = current.as_ref().is_some_and(|c| ended_since(s, &c.call_id, as_of));
    if let Some(c) = &current {
        drop_outranked(s, as_of, c);
    }
    match current {
        Some(c) => match s.call_mut(&c.call_id) {
            Some(call) if call.gen <= as_of => {
                // Held → connected again, ringing or dialled → answered: events were missed.
                if c.answered && call.phase != CallPhase::Talking {
                    set_phase(call, CallPhase::Talking, now);
                }
                call.settling = None;
            }
            Some(_) => {}
            None if current_ended => {}
            None => {
                let phase = match (c.answered, Direction::from_feature(c.feature)) {
                    (true, _) => CallPhase::Talking,
                    (false, Direction::Outbound) => CallPhase::Dialing { far_alerting: false },
                    (false, _) => CallPhase::Ringing,
                };
                s.calls.push(summary_call(c, phase, now));
            }
        },
        None if state != ReportedState::InCall => {
            s.calls.retain(|c| c.phase == CallPhase::Held || c.gen > as_of);
        }
        None => {}
    }
}

/// The gateway reports one current call, the first of: consult leg, connected or dialled call,
/// ringing call, held call. A connected or dialled voice call on screen that is not the one
/// reported is gone at the gateway (it would have been reported first), unless something
/// newer than the read says otherwise. Ringing and held calls, the consult's own legs and
/// multimedia sessions (several run at once) are not ranked this way, so they stay.
fn drop_outranked(s: &mut Session, as_of: u64, reported: &CallSummary) {
    // A consult (known, asked for, or an internal leg reported) changes the ranking.
    let consulting = s.consult.is_some()
        || s.pending.iter().any(|p| p.action == Action::Consult)
        || Direction::from_feature(reported.feature) == Direction::Internal;
    if consulting {
        return;
    }
    let reported = reported.call_id.as_str();
    let consult: Vec<String> = s
        .consult
        .iter()
        .flat_map(|c| [Some(c.customer_call_id.clone()), c.leg_call_id.clone()])
        .flatten()
        .collect();
    s.calls.retain(|c| {
        let outranked = c.id != reported
            && c.gen <= as_of
            && c.media == Media::Voice
            && matches!(c.phase, CallPhase::Talking | CallPhase::Dialing { .. })
            && !consult.contains(&c.id);
        !outranked
    });
}

fn reconcile_held(s: &mut Session, as_of: u64, held: Vec<CallSummary>, now: Millis) {
    // The gateway's list is the truth for held calls: drop ours that it no longer holds,
    // unless an event about that call came after the list was read.
    s.calls.retain(|c| c.phase != CallPhase::Held || c.gen > as_of || held.iter().any(|h| h.call_id == c.id));
    for h in held {
        let ended = ended_since(s, &h.call_id, as_of);
        match s.call_mut(&h.call_id) {
            None if ended => {}
            None => s.calls.push(summary_call(h, CallPhase::Held, now)),
            Some(call) if call.gen <= as_of => {
                set_phase(call, CallPhase::Held, now);
                call.settling = None;
                if call.skill.is_none() {
                    call.skill = h.skill.filter(|s| !s.is_empty());
                }
            }
            _ => {}
        }
    }
}
