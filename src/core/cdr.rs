//! The call-detail view's model, for both vendors: CCC's GetCallDetailRecord (seed 003), or,
//! for the CC-Gateway, the call's own event journal kept by the state machine.

use super::Millis;
use crate::i18n::Msg;
#[cfg(feature = "aliyun")]
use crate::protocol::aliyun::{CallDetailRecord, CdrParty};

/// Whose event a timeline entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Ivr,
    Queue,
    Agent,
    Customer,
}

impl Source {
    pub fn msg(self) -> Msg {
        match self {
            Source::Ivr => Msg::CdrIvr,
            Source::Queue => Msg::CdrQueue,
            Source::Agent => Msg::CdrAgent,
            Source::Customer => Msg::CdrCustomer,
        }
    }

    /// The name a host page and `data-source` see (`ivr`, `queue`, `agent`, `customer`).
    pub fn name(self) -> &'static str {
        match self {
            Source::Ivr => "ivr",
            Source::Queue => "queue",
            Source::Agent => "agent",
            Source::Customer => "customer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: Millis,
    pub source: Source,
    /// The agent, queue, flow or customer the event belongs to.
    pub who: String,
    /// The vendor's event name (Route2IVR, Enqueue, Ringing, Established, Released…).
    pub event: String,
}

/// What the details panel shows of one finished call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallDetail {
    pub call_id: String,
    /// CCC ContactDisposition vocabulary: Success, NoAnswer, Reject, AbandonedInRing, …
    pub disposition: String,
    /// INBOUND, OUTBOUND, INTERNAL, …
    pub contact_type: String,
    /// `agent` or `customer`.
    pub released_by: Option<String>,
    pub caller: String,
    pub called: String,
    pub start: Option<Millis>,
    pub established: Option<Millis>,
    pub released: Option<Millis>,
    pub talk_secs: Option<u64>,
    pub recording_ready: Option<bool>,
    pub satisfaction: Option<i64>,
    pub timeline: Vec<TimelineEntry>,
    /// The far end's answer code (`200 - OK`, `486 - Busy Here`…).
    pub release_reason: Option<String>,
    /// Whether early media (ringback, announcements) reached the caller.
    pub early_media_state: Option<String>,
    pub caller_location: Option<String>,
    pub callee_location: Option<String>,
    /// Agent and skill-group names the call went through.
    pub agents: Vec<String>,
    pub skill_groups: Vec<String>,
    /// How the satisfaction survey was offered (IVR, SMS…), and whether it was.
    pub satisfaction_channel: Option<String>,
    pub survey_offered: Option<bool>,
    /// CCC's speech analytics of the call, when the report is ready.
    pub analytics: Option<Analytics>,
}

/// What CCC's analytics report says about a call (seed 003 `AnalyticsReport`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analytics {
    pub problem_solved: Option<bool>,
    pub problem: String,
    pub solution: String,
    pub emotion: String,
    /// Percent (CCC gives 0–1 or 0–100; both are read).
    pub emotion_confidence: Option<u32>,
    pub satisfaction_note: String,
    pub todo: Vec<String>,
}

impl CallDetail {
    /// Seconds from start to answer (ringing and queueing), when both are known.
    pub fn wait_secs(&self) -> Option<u64> {
        Some(self.established?.saturating_sub(self.start?) / 1000)
    }
}

/// Plain words for a CCC ContactDisposition.
pub fn disposition_msg(code: &str) -> Option<Msg> {
    Some(match code {
        "Success" => Msg::DispSuccess,
        "NoAnswer" => Msg::DispNoAnswer,
        "Reject" => Msg::DispReject,
        "AbandonedInQueue" => Msg::DispAbandonedInQueue,
        "AbandonedInRing" => Msg::DispAbandonedInRing,
        "AbandonedInIVR" | "AbandonedInVoiceNavigator" | "AbandonedInContactFlow" => Msg::DispAbandonedInIvr,
        "QueuingTimeout" | "QueuingOverflow" | "QueuingFailed" => Msg::DispQueueFailed,
        "Voicemail" => Msg::DispVoicemail,
        "IVRException" => Msg::DispIvrException,
        "ForwardToOutsideNumber" | "Transferred" => Msg::DispTransferred,
        _ => return None,
    })
}

#[cfg(feature = "aliyun")]
fn party_entries(parties: &[CdrParty], source: Source, out: &mut Vec<TimelineEntry>) {
    for p in parties {
        let who = p.who().to_string();
        for e in &p.event_sequence {
            out.push(TimelineEntry {
                at: e.event_time.unwrap_or(0).max(0) as Millis,
                source,
                who: who.clone(),
                event: e.event.clone(),
            });
        }
    }
}

#[cfg(feature = "aliyun")]
fn millis(v: Option<i64>) -> Option<Millis> {
    v.filter(|t| *t > 0).map(|t| t as Millis)
}

/// One timeline merged from the IVR, queue, agent and customer sequences, in time order.
#[cfg(feature = "aliyun")]
pub fn from_ccc(r: &CallDetailRecord) -> CallDetail {
    let mut timeline = Vec::new();
    party_entries(&r.ivr_events, Source::Ivr, &mut timeline);
    party_entries(&r.queue_events, Source::Queue, &mut timeline);
    party_entries(&r.agent_events, Source::Agent, &mut timeline);
    party_entries(&r.customer_events, Source::Customer, &mut timeline);
    // Stable: events at the same instant keep the IVR → queue → agent → customer order.
    timeline.sort_by_key(|e| e.at);
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let names = |s: &str| s.split(',').map(str::trim).filter(|n| !n.is_empty()).map(String::from).collect();
    let analytics =
        r.analytics_report.as_ref().filter(|_| r.analytics_report_ready != Some(false)).map(|a| {
            let ps = a.problem_solving.clone().unwrap_or_default();
            let em = a.emotion.clone().unwrap_or_default();
            Analytics {
                problem_solved: ps.solved,
                problem: ps.problem,
                solution: ps.solution,
                emotion: em.kind,
                emotion_confidence: em
                    .confidence
                    .filter(|c| c.is_finite() && *c >= 0.0)
                    .map(|c| if c <= 1.0 { c * 100.0 } else { c }.round().min(100.0) as u32),
                satisfaction_note: a.satisfaction.clone().unwrap_or_default().satisfaction_description,
                todo: a
                    .todo_list
                    .clone()
                    .unwrap_or_default()
                    .tasks
                    .into_iter()
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            }
        });
    CallDetail {
        release_reason: opt(&r.release_reason),
        early_media_state: opt(&r.early_media_state),
        caller_location: opt(&r.caller_location),
        callee_location: opt(&r.callee_location),
        agents: names(&r.agent_names),
        skill_groups: names(&r.skill_group_names),
        satisfaction_channel: opt(&r.satisfaction_survey_channel),
        survey_offered: r.satisfaction_survey_offered,
        analytics,
        call_id: r.contact_id.clone(),
        disposition: r.contact_disposition.clone(),
        contact_type: r.contact_type.clone(),
        released_by: Some(r.release_initiator.clone()).filter(|s| !s.is_empty()),
        caller: r.calling_number.clone(),
        called: r.called_number.clone(),
        start: millis(r.start_time),
        established: millis(r.established_time),
        released: millis(r.release_time),
        talk_secs: r.call_duration.map(|d| d.max(0) as u64),
        recording_ready: r.recording_ready,
        satisfaction: r.satisfaction,
        timeline,
    }
}

/// What happened to one call, as the CC-Gateway's events told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub call_id: String,
    pub at: Millis,
    pub source: Source,
    pub event: String,
}

/// Builds the details of a finished call from its journal entries (CC-Gateway has no CDR API
/// for agents). `released_by` comes from who hung up first.
pub fn from_journal(
    call_id: &str,
    caller: &str,
    called: &str,
    outbound: bool,
    journal: &[JournalEntry],
) -> CallDetail {
    let entries: Vec<&JournalEntry> = journal.iter().filter(|e| e.call_id == call_id).collect();
    let first = |name: &str| entries.iter().find(|e| e.event == name).map(|e| e.at);
    let start = entries.first().map(|e| e.at);
    let established = first("Established");
    let released = entries.iter().rev().find(|e| e.event == "Released").map(|e| e.at);
    let released_by = entries
        .iter()
        .find(|e| e.event == "Released")
        .map(|e| if e.source == Source::Customer { "customer" } else { "agent" }.to_string());
    let disposition = if entries.iter().any(|e| e.event == "Transferred") {
        "Transferred"
    } else if established.is_some() {
        "Success"
    } else if entries.iter().any(|e| e.event == "Rejected") {
        "Reject"
    } else {
        "NoAnswer"
    };
    CallDetail {
        call_id: call_id.to_string(),
        disposition: disposition.to_string(),
        contact_type: if outbound { "OUTBOUND" } else { "INBOUND" }.to_string(),
        released_by,
        caller: caller.to_string(),
        called: called.to_string(),
        start,
        established,
        released,
        talk_secs: match (established, released) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) / 1000),
            _ => None,
        },
        recording_ready: None,
        satisfaction: None,
        timeline: entries
            .iter()
            .map(|e| TimelineEntry { at: e.at, source: e.source, who: String::new(), event: e.event.clone() })
            .collect(),
        ..Default::default()
    }
}
