//! The long-poll policy: when to poll again, when to back off, when to give up.
//! Pure: the I/O loop asks it after every answer and sleeps for what it says.

use super::error::{ErrorKind, GatewayError};

/// How one poll ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// At least one event arrived.
    Events,
    /// The long-poll ran out with nothing to report.
    Empty,
    /// Network error, 5xx, or a body that could not be read.
    Transport(String),
    /// The gateway answered with an error retcode.
    Gateway(GatewayError),
}

/// What the loop does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Poll again after this many milliseconds; `failing` counts consecutive failures (0 = healthy).
    PollAfter { delay_ms: u64, failing: u32 },
    /// Stop: the session is gone.
    Stop(GatewayError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    /// Pause after an empty answer: the dev guide says 200–500 ms.
    pub empty_min_ms: u64,
    pub empty_max_ms: u64,
    /// First retry delay after a failure; doubles each time up to `backoff_cap_ms`.
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
    /// 000-003 is retried this many times in a row before the session counts as lost
    /// (Huawei's demo client gives up after more than 5).
    pub auth_retries: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            empty_min_ms: 200,
            empty_max_ms: 500,
            backoff_base_ms: 500,
            backoff_cap_ms: 15_000,
            auth_retries: 5,
        }
    }
}

/// Consecutive-failure bookkeeping across polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollTracker {
    failures: u32,
    auth_failures: u32,
}

impl PollTracker {
    /// Decides the next step. `random` is a number in [0, 1) for jitter.
    pub fn next(&mut self, policy: &PollPolicy, outcome: PollOutcome, random: f64) -> Next {
        let random = random.clamp(0.0, 1.0);
        match outcome {
            PollOutcome::Events => {
                self.reset();
                Next::PollAfter { delay_ms: 0, failing: 0 }
            }
            PollOutcome::Empty => {
                self.reset();
                let span = policy.empty_max_ms.saturating_sub(policy.empty_min_ms) as f64;
                Next::PollAfter { delay_ms: policy.empty_min_ms + (span * random) as u64, failing: 0 }
            }
            PollOutcome::Gateway(err) if err.kind == ErrorKind::SessionLost => Next::Stop(err),
            PollOutcome::Gateway(err) if err.kind == ErrorKind::AuthRetry => {
                self.auth_failures += 1;
                if self.auth_failures > policy.auth_retries {
                    return Next::Stop(err);
                }
                self.fail(policy, random)
            }
            PollOutcome::Gateway(_) | PollOutcome::Transport(_) => self.fail(policy, random),
        }
    }

    fn reset(&mut self) {
        self.failures = 0;
        self.auth_failures = 0;
    }

    fn fail(&mut self, policy: &PollPolicy, random: f64) -> Next {
        self.failures += 1;
        let exp = policy.backoff_base_ms.saturating_mul(1 << (self.failures - 1).min(16));
        let capped = exp.min(policy.backoff_cap_ms);
        // "Equal jitter": half fixed, half random, so a fleet of toolbars does not retry in step.
        let delay_ms = capped / 2 + ((capped / 2) as f64 * random) as u64;
        Next::PollAfter { delay_ms, failing: self.failures }
    }
}

/// Reconnect bookkeeping for a held stream (the relay's SSE, the browser phone's SIP socket):
/// the same capped, jittered backoff as the long-poll, and a stream that stayed up a while
/// counts as healthy, so a drop after an hour waits 0.5 s, not the last storm's 15 s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamTracker {
    failures: u32,
}

impl StreamTracker {
    /// A stream up this long was healthy: its drop starts the backoff again.
    pub const HEALTHY_MS: f64 = 30_000.0;

    /// Opening failed (ticket refused, socket refused): the delay before the next try.
    pub fn refused(&mut self, policy: &PollPolicy, random: f64) -> u64 {
        self.failures += 1;
        self.delay(policy, random)
    }

    /// An open stream dropped after `lived_ms`: the delay before reconnecting.
    pub fn dropped(&mut self, policy: &PollPolicy, lived_ms: f64, random: f64) -> u64 {
        self.failures = if lived_ms > Self::HEALTHY_MS { 1 } else { self.failures + 1 };
        self.delay(policy, random)
    }

    /// The stream is (again) what it should be: registered, subscribed.
    pub fn healthy(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures (0 = healthy), for the status line.
    pub fn failing(&self) -> u32 {
        self.failures
    }

    fn delay(&self, policy: &PollPolicy, random: f64) -> u64 {
        let exp = policy.backoff_base_ms.saturating_mul(1 << self.failures.saturating_sub(1).min(16));
        let capped = exp.min(policy.backoff_cap_ms);
        capped / 2 + ((capped / 2) as f64 * random.clamp(0.0, 1.0)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: ErrorKind, code: &str) -> GatewayError {
        GatewayError { kind, code: code.into(), message: String::new(), retry_after_secs: None }
    }

    #[test]
    fn after_an_event_poll_at_once_after_empty_within_200_to_500_ms() {
        let p = PollPolicy::default();
        let mut t = PollTracker::default();
        assert_eq!(t.next(&p, PollOutcome::Events, 0.7), Next::PollAfter { delay_ms: 0, failing: 0 });
        for r in [0.0, 0.5, 0.999] {
            let Next::PollAfter { delay_ms, .. } = t.next(&p, PollOutcome::Empty, r) else { panic!() };
            assert!((200..=500).contains(&delay_ms), "{delay_ms}");
        }
    }

    #[test]
    fn failures_back_off_exponentially_capped_with_jitter_and_recover() {
        let p = PollPolicy::default();
        let mut t = PollTracker::default();
        let delays: Vec<u64> = (0..10)
            .map(|_| match t.next(&p, PollOutcome::Transport("down".into()), 1.0) {
                Next::PollAfter { delay_ms, .. } => delay_ms,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(&delays[..6], &[500, 1000, 2000, 4000, 8000, 15000]);
        assert!(delays.iter().all(|d| *d <= p.backoff_cap_ms));
        let Next::PollAfter { delay_ms: low, failing } = t.next(&p, PollOutcome::Transport("x".into()), 0.0)
        else {
            panic!()
        };
        assert_eq!((low, failing), (7500, 11));
        assert_eq!(t.next(&p, PollOutcome::Empty, 0.0), Next::PollAfter { delay_ms: 200, failing: 0 });
    }

    #[test]
    fn session_lost_stops_at_once_and_auth_failures_after_retries() {
        let p = PollPolicy::default();
        let mut t = PollTracker::default();
        let lost = err(ErrorKind::SessionLost, "100-006");
        assert_eq!(t.next(&p, PollOutcome::Gateway(lost.clone()), 0.0), Next::Stop(lost));
        let auth = err(ErrorKind::AuthRetry, "000-003");
        for _ in 0..p.auth_retries {
            assert!(matches!(t.next(&p, PollOutcome::Gateway(auth.clone()), 0.0), Next::PollAfter { .. }));
        }
        assert_eq!(t.next(&p, PollOutcome::Gateway(auth.clone()), 0.0), Next::Stop(auth));
    }

    #[test]
    fn a_stream_backs_off_while_it_fails_and_starts_over_after_it_lived() {
        let p = PollPolicy::default();
        let mut t = StreamTracker::default();
        let refusals: Vec<u64> = (0..7).map(|_| t.refused(&p, 1.0)).collect();
        assert_eq!(refusals, [500, 1000, 2000, 4000, 8000, 15000, 15000]);
        assert_eq!(t.failing(), 7);
        // Up for a second only: still the storm's backoff, with jitter of at most half.
        assert_eq!(t.dropped(&p, 1_000.0, 0.0), 7_500);
        // Up for an hour: the first step again.
        assert_eq!(t.dropped(&p, 3_600_000.0, 1.0), 500);
        assert_eq!(t.failing(), 1);
        t.healthy();
        assert_eq!(t.failing(), 0);
        assert_eq!(t.refused(&p, 0.0), 250);
    }
}
