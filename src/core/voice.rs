//! The softphone's pure parts (issue 16): which SIP call carries a toolbar call's audio, and
//! what the media watchdog tells the agent when no audio flows. The SIP user agent itself is
//! the `agentbar-sip` crate; the browser glue is `runtime::voice`.

use crate::i18n::Msg;

/// How long media may be absent after answer (or resume) before the agent is told.
pub const MEDIA_GRACE_MS: u64 = 5_000;

/// `RTCPeerConnection.iceConnectionState`, as far as the watchdog cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IceState {
    #[default]
    New,
    Checking,
    Connected,
    Disconnected,
    Failed,
    Closed,
}

impl IceState {
    pub fn parse(s: &str) -> IceState {
        match s {
            "checking" => IceState::Checking,
            "connected" | "completed" => IceState::Connected,
            "disconnected" => IceState::Disconnected,
            "failed" => IceState::Failed,
            "closed" => IceState::Closed,
            _ => IceState::New,
        }
    }
}

/// One `getStats()` reading of a call's audio.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MediaSample {
    pub at_ms: u64,
    /// `inbound-rtp.packetsReceived`.
    pub packets_in: u64,
    /// `outbound-rtp.packetsSent`.
    pub packets_out: u64,
    /// `media-source.audioLevel` (0–1) of the agent's microphone.
    pub level_out: f64,
    pub ice: IceState,
}

/// Why the agent hears nothing or is not heard, in the words the agent reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaProblem {
    /// The browser refused the microphone (permission denied or no device).
    MicDenied,
    /// ICE failed: no network path for media. With no TURN relay configured, a TURN relay is
    /// the likely fix (UDP blocked).
    IceFailed { turn_configured: bool },
    /// Media never connected within the grace period: UDP is likely blocked.
    NoMediaPath { turn_configured: bool },
    /// Connected, but nothing arrives from the other side.
    NothingReceived,
    /// Connected, but the agent's audio is not being sent.
    NothingSent,
    /// Packets go out but the microphone is silent (muted headset, wrong device).
    SilentMicrophone,
}

impl MediaProblem {
    pub fn msg(self) -> Msg {
        match self {
            MediaProblem::MicDenied => Msg::VoiceMicDenied,
            MediaProblem::IceFailed { turn_configured: false }
            | MediaProblem::NoMediaPath { turn_configured: false } => Msg::VoiceNeedsTurn,
            MediaProblem::IceFailed { turn_configured: true }
            | MediaProblem::NoMediaPath { turn_configured: true } => Msg::VoiceNoPath,
            MediaProblem::NothingReceived => Msg::VoiceNothingReceived,
            MediaProblem::NothingSent => Msg::VoiceNothingSent,
            MediaProblem::SilentMicrophone => Msg::VoiceSilentMic,
        }
    }
}

/// Watches one call's audio from `getStats()` readings about once a second. Paused while the
/// call is held (hold stops media both ways on purpose).
#[derive(Debug, Clone, Default)]
pub struct Watchdog {
    /// When media was expected to start flowing (answer, resume).
    expected_since: Option<u64>,
    turn_configured: bool,
    /// The last reading where packets arrived / went out / the microphone had sound.
    last_in: Option<(u64, u64)>,
    last_out: Option<(u64, u64)>,
    last_sound: Option<u64>,
    mic_denied: bool,
    problem: Option<MediaProblem>,
}

impl Watchdog {
    pub fn new(turn_configured: bool) -> Watchdog {
        Watchdog { turn_configured, ..Default::default() }
    }

    /// Media should flow from `now` (answered, or resumed after a hold).
    pub fn expect_media(&mut self, now: u64) {
        self.expected_since = Some(now);
        // Counts carry over a hold: only packets after `now` show media flows again.
        self.last_in = self.last_in.map(|(n, _)| (n, now));
        self.last_out = self.last_out.map(|(n, _)| (n, now));
        self.last_sound = None;
        if !self.mic_denied {
            self.problem = None;
        }
    }

    /// Held: no media is expected until `expect_media` again.
    pub fn pause(&mut self) {
        self.expected_since = None;
        if !self.mic_denied {
            self.problem = None;
        }
    }

    pub fn mic_denied(&mut self) {
        self.mic_denied = true;
        self.problem = Some(MediaProblem::MicDenied);
    }

    pub fn problem(&self) -> Option<MediaProblem> {
        self.problem
    }

    /// Takes one reading; returns the problem the agent should see now (None: audio flows).
    pub fn sample(&mut self, s: MediaSample) -> Option<MediaProblem> {
        if self.mic_denied {
            return self.problem;
        }
        let since = self.expected_since?;
        let turn_configured = self.turn_configured;
        let advanced = |last: &mut Option<(u64, u64)>, count: u64| -> u64 {
            match *last {
                Some((n, at)) if count <= n => at,
                _ => {
                    // The first reading counts as "flowing" only when packets already came.
                    let at = if last.is_none() && count == 0 { since } else { s.at_ms };
                    *last = Some((count, at));
                    at
                }
            }
        };
        let in_at = advanced(&mut self.last_in, s.packets_in);
        let out_at = advanced(&mut self.last_out, s.packets_out);
        if s.level_out > 0.001 || self.last_sound.is_none() {
            self.last_sound = Some(if s.level_out > 0.001 { s.at_ms } else { since });
        }
        let quiet_for = |at: u64| s.at_ms.saturating_sub(at) >= MEDIA_GRACE_MS;
        self.problem = if s.ice == IceState::Failed {
            Some(MediaProblem::IceFailed { turn_configured })
        } else if s.ice != IceState::Connected && quiet_for(since) && s.packets_in == 0 {
            Some(MediaProblem::NoMediaPath { turn_configured })
        } else if quiet_for(in_at) {
            Some(MediaProblem::NothingReceived)
        } else if quiet_for(out_at) {
            Some(MediaProblem::NothingSent)
        } else if self.last_sound.is_some_and(quiet_for) {
            Some(MediaProblem::SilentMicrophone)
        } else {
            None
        };
        self.problem
    }
}

/// Where and as whom the browser phone registers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceAccount {
    pub ws: String,
    pub domain: String,
    pub extension: String,
    pub password: String,
    /// Extra REGISTER headers (a platform's signature).
    pub register_headers: Vec<(String, String)>,
    pub ice_servers: Vec<crate::config::IceServer>,
}

/// A SIP call that rings, as the toolbar sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipOffer<'a> {
    pub id: u32,
    /// The From URI's user part (the caller's number).
    pub from_user: &'a str,
    /// The INVITE's headers the UA kept (`X-…`, P-Asserted-Identity…).
    pub headers: &'a [(String, String)],
}

/// Headers a contact-centre platform puts the call's id in (INFERRED: neither vendor
/// publishes theirs; a deployment names its own in `agentbar.json` `softphone.callIdHeader`).
pub const CALL_ID_HEADERS: [&str; 3] = ["X-CallId", "X-Call-Id", "X-CC-CallId"];

/// Which ringing SIP call carries the audio of the toolbar's call `call_id` from `caller`:
/// one naming the call id in a header, else one from the caller's number, else the only one.
pub fn sip_call_for(
    call_id: &str,
    caller: &str,
    extra_header: Option<&str>,
    offers: &[SipOffer],
) -> Option<u32> {
    let names_call = |o: &&SipOffer| {
        o.headers.iter().any(|(k, v)| {
            let known = CALL_ID_HEADERS.iter().chain(extra_header.iter()).any(|h| h.eq_ignore_ascii_case(k));
            known && v.trim() == call_id
        })
    };
    if let Some(o) = offers.iter().find(names_call) {
        return Some(o.id);
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let caller = digits(caller);
    let same_number = |o: &&SipOffer| {
        let from = digits(o.from_user);
        !caller.is_empty() && !from.is_empty() && (from.ends_with(&caller) || caller.ends_with(&from))
    };
    if let Some(o) = offers.iter().find(same_number) {
        return Some(o.id);
    }
    match offers {
        [only] => Some(only.id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64, packets_in: u64, packets_out: u64, level: f64) -> MediaSample {
        MediaSample { at_ms: ms, packets_in, packets_out, level_out: level, ice: IceState::Connected }
    }

    #[test]
    fn flowing_audio_is_no_problem() {
        let mut w = Watchdog::new(false);
        w.expect_media(0);
        for i in 1..=10 {
            assert_eq!(w.sample(at(i * 1000, i * 50, i * 50, 0.2)), None);
        }
    }

    #[test]
    fn nothing_from_the_far_end_is_said_within_five_seconds() {
        let mut w = Watchdog::new(false);
        w.expect_media(0);
        let mut said = None;
        for i in 1..=6 {
            if let Some(p) = w.sample(at(i * 1000, 0, i * 50, 0.2)) {
                said.get_or_insert((i, p));
            }
        }
        assert_eq!(said, Some((5, MediaProblem::NothingReceived)));
    }

    #[test]
    fn ice_that_never_connects_says_a_turn_relay_is_needed() {
        let mut w = Watchdog::new(false);
        w.expect_media(0);
        let s = MediaSample { at_ms: 5_000, ice: IceState::Checking, ..Default::default() };
        assert_eq!(w.sample(s), Some(MediaProblem::NoMediaPath { turn_configured: false }));
        assert_eq!(w.problem().map(MediaProblem::msg), Some(Msg::VoiceNeedsTurn));
        let failed = MediaSample { at_ms: 1_000, ice: IceState::Failed, ..Default::default() };
        let mut w = Watchdog::new(true);
        w.expect_media(0);
        assert_eq!(w.sample(failed), Some(MediaProblem::IceFailed { turn_configured: true }));
    }

    #[test]
    fn a_silent_microphone_and_a_stalled_sender_are_told_apart() {
        let mut w = Watchdog::new(false);
        w.expect_media(0);
        let mut last = None;
        for i in 1..=6 {
            last = w.sample(at(i * 1000, i * 50, i * 50, 0.0));
        }
        assert_eq!(last, Some(MediaProblem::SilentMicrophone));
        let mut w = Watchdog::new(false);
        w.expect_media(0);
        for i in 1..=6 {
            last = w.sample(at(i * 1000, i * 50, 50, 0.3));
        }
        assert_eq!(last, Some(MediaProblem::NothingSent));
    }

    #[test]
    fn hold_pauses_the_watchdog_and_resume_gives_a_new_grace_period() {
        let mut w = Watchdog::new(false);
        w.expect_media(0);
        assert_eq!(w.sample(at(1000, 50, 50, 0.2)), None);
        w.pause();
        assert_eq!(w.sample(at(9000, 50, 50, 0.0)), None, "held: silence is expected");
        w.expect_media(10_000);
        assert_eq!(w.sample(at(11_000, 50, 50, 0.2)), None, "within the grace period");
        assert_eq!(w.sample(at(15_000, 50, 50, 0.2)), Some(MediaProblem::NothingReceived));
    }

    #[test]
    fn a_denied_microphone_stays_the_reason() {
        let mut w = Watchdog::new(false);
        w.mic_denied();
        w.expect_media(0);
        assert_eq!(w.sample(at(1000, 50, 0, 0.0)), Some(MediaProblem::MicDenied));
    }

    #[test]
    fn the_sip_call_of_a_toolbar_call_is_found_by_header_then_number_then_alone() {
        let h1 = vec![("X-CallId".to_string(), "1700-1".to_string())];
        let none: Vec<(String, String)> = vec![];
        let offers = [
            SipOffer { id: 1, from_user: "4001", headers: &h1 },
            SipOffer { id: 2, from_user: "+8613800000000", headers: &none },
        ];
        assert_eq!(sip_call_for("1700-1", "13800000000", None, &offers), Some(1));
        assert_eq!(sip_call_for("other", "13800000000", None, &offers), Some(2));
        assert_eq!(sip_call_for("other", "555", None, &offers), None, "two candidates, neither matches");
        assert_eq!(sip_call_for("other", "555", None, &offers[..1]), Some(1), "the only one rings");
        let custom = vec![("X-Huawei-Call".to_string(), "c9".to_string())];
        let offers = [SipOffer { id: 7, from_user: "", headers: &custom }, offers[1].clone()];
        assert_eq!(sip_call_for("c9", "", Some("x-huawei-call"), &offers), Some(7));
    }
}
