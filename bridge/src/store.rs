//! State the bridge keeps between requests: login attempt accounting, session epochs and the
//! call ids each agent has seen. Each kind sits behind a small async trait: in memory here (one
//! instance), on Redis in `store_redis.rs` (several instances share it, issue 15).
//!
//! Times are Unix milliseconds rather than `Instant`s because a shared store compares times
//! taken on different machines.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// What the traits return: a boxed future, so the traits stay object-safe (`Arc<dyn …>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a login attempt counter grows and forgets.
///
/// Every attempt adds one to a key's score, and the score drains by one every `decay_ms`.
/// Once the score reaches `free`, the key is locked for `base_ms · 2^(score − free)`, capped at
/// `max_ms`. So `free` attempts may come at once, and after that about one per `decay_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub free: u32,
    pub decay_ms: u64,
    pub base_ms: u64,
    pub max_ms: u64,
    /// Whether an attempt refused because the key is locked counts too (it prolongs the lock).
    pub count_refused: bool,
}

impl Backoff {
    fn lock_ms(&self, score: f64) -> u64 {
        let over = (score.ceil() as i64 - i64::from(self.free)).clamp(0, 40) as u32;
        self.base_ms.saturating_mul(1u64 << over).min(self.max_ms)
    }
}

/// Login attempts per key (a username, a client address).
pub trait LoginThrottle: Send + Sync {
    /// Count one attempt for `key`. `Err(ms)`: the key is locked for that much longer.
    fn attempt<'a>(
        &'a self,
        key: &'a str,
        policy: &'a Backoff,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), u64>>;
    /// Take one attempt back (it succeeded, or never ran); `forget` clears the key entirely.
    fn refund<'a>(
        &'a self,
        key: &'a str,
        forget: bool,
        policy: &'a Backoff,
        now_ms: u64,
    ) -> BoxFuture<'a, ()>;
}

/// When each agent's sessions were last revoked. A session cookie carries the time it was
/// issued; it is valid only if it was issued at or after that time.
pub trait SessionEpochs: Send + Sync {
    /// Unix ms before which the agent's sessions are revoked (0: none ever were).
    fn revoked_before<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, u64>;
    /// End every session of the agent issued up to `now_ms`.
    fn revoke<'a>(&'a self, user_id: &'a str, now_ms: u64) -> BoxFuture<'a, ()>;
}

/// Which kind of CCC id a parameter names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// `JobId`, and `ContactId` (a CDR's id is its call's JobId).
    Job,
    Channel,
}

/// The call ids CCC's answers showed each agent; a request may only name those.
pub trait SeenIds: Send + Sync {
    fn remember<'a>(&'a self, user_id: &'a str, ids: Vec<(IdKind, String)>) -> BoxFuture<'a, ()>;
    fn knows<'a>(&'a self, user_id: &'a str, kind: IdKind, id: &'a str) -> BoxFuture<'a, bool>;
}

/// The three stores a bridge uses.
#[derive(Clone)]
pub struct Stores {
    pub throttle: Arc<dyn LoginThrottle>,
    pub epochs: Arc<dyn SessionEpochs>,
    pub seen: Arc<dyn SeenIds>,
}

impl Stores {
    pub fn in_memory() -> Self {
        Stores {
            throttle: Arc::new(MemoryThrottle::new(MemoryThrottle::DEFAULT_CAPACITY)),
            epochs: Arc::new(MemoryEpochs::default()),
            seen: Arc::new(MemorySeenIds::new(
                MemorySeenIds::JOBS_PER_AGENT,
                MemorySeenIds::CHANNELS_PER_AGENT,
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// in-memory implementations

#[derive(Clone, Copy, Debug)]
struct Score {
    score: f64,
    at_ms: u64,
    locked_until: u64,
}

impl Score {
    fn drain(&mut self, policy: &Backoff, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.at_ms) as f64;
        self.score = (self.score - elapsed / policy.decay_ms.max(1) as f64).max(0.0);
        self.at_ms = now_ms.max(self.at_ms);
    }

    fn add(&mut self, policy: &Backoff, now_ms: u64) {
        self.score += 1.0;
        // Rounded up: a failure that has only partly drained still counts.
        if self.score.ceil() >= f64::from(policy.free) {
            self.locked_until = self.locked_until.max(now_ms + policy.lock_ms(self.score));
        }
    }
}

/// Attempt counters in a map of bounded size. When it is full, keys whose score has drained
/// and whose lock has passed go first; if that is not enough, the least recently touched half.
/// (Somebody able to fill it with fresh keys could reset other keys' counters that way; the
/// per-address limit runs first, which makes that expensive.)
pub struct MemoryThrottle {
    keys: Mutex<HashMap<String, Score>>,
    capacity: usize,
}

impl MemoryThrottle {
    pub const DEFAULT_CAPACITY: usize = 100_000;

    pub fn new(capacity: usize) -> Self {
        MemoryThrottle { keys: Mutex::new(HashMap::new()), capacity: capacity.max(2) }
    }

    fn make_room(keys: &mut HashMap<String, Score>, capacity: usize, policy: &Backoff, now_ms: u64) {
        if keys.len() < capacity {
            return;
        }
        keys.retain(|_, s| {
            let mut d = *s;
            d.drain(policy, now_ms);
            d.score > 0.0 || s.locked_until > now_ms
        });
        if keys.len() >= capacity {
            let mut ages: Vec<u64> = keys.values().map(|s| s.at_ms).collect();
            let mid = ages.len() / 2;
            let (_, cut, _) = ages.select_nth_unstable(mid);
            let cut = *cut;
            keys.retain(|_, s| s.at_ms > cut);
        }
    }

    fn attempt_now(&self, key: &str, policy: &Backoff, now_ms: u64) -> Result<(), u64> {
        let Ok(mut keys) = self.keys.lock() else { return Err(1000) };
        if !keys.contains_key(key) {
            Self::make_room(&mut keys, self.capacity, policy, now_ms);
        }
        let s = keys.entry(key.to_string()).or_insert(Score { score: 0.0, at_ms: now_ms, locked_until: 0 });
        s.drain(policy, now_ms);
        if now_ms < s.locked_until {
            if policy.count_refused {
                s.add(policy, now_ms);
            }
            return Err(s.locked_until - now_ms);
        }
        s.add(policy, now_ms);
        Ok(())
    }

    fn refund_now(&self, key: &str, forget: bool, policy: &Backoff, now_ms: u64) {
        let Ok(mut keys) = self.keys.lock() else { return };
        if forget {
            keys.remove(key);
            return;
        }
        if let Some(s) = keys.get_mut(key) {
            s.drain(policy, now_ms);
            s.score = (s.score - 1.0).max(0.0);
            if s.score.ceil() < f64::from(policy.free) {
                s.locked_until = 0;
            }
        }
    }
}

impl LoginThrottle for MemoryThrottle {
    fn attempt<'a>(
        &'a self,
        key: &'a str,
        policy: &'a Backoff,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), u64>> {
        Box::pin(std::future::ready(self.attempt_now(key, policy, now_ms)))
    }

    fn refund<'a>(
        &'a self,
        key: &'a str,
        forget: bool,
        policy: &'a Backoff,
        now_ms: u64,
    ) -> BoxFuture<'a, ()> {
        self.refund_now(key, forget, policy, now_ms);
        Box::pin(std::future::ready(()))
    }
}

/// Epochs in memory. A restart forgets them, so a cookie revoked before a restart is valid
/// again after it (until it expires); the Redis store (`--redis`) closes that gap. Password
/// changes and removals from the agents file do not depend on this store (see `auth.rs`).
#[derive(Default)]
pub struct MemoryEpochs {
    revoked: Mutex<HashMap<String, u64>>,
}

impl SessionEpochs for MemoryEpochs {
    fn revoked_before<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, u64> {
        let v = self.revoked.lock().map(|m| m.get(user_id).copied().unwrap_or(0)).unwrap_or(u64::MAX);
        Box::pin(std::future::ready(v))
    }

    fn revoke<'a>(&'a self, user_id: &'a str, now_ms: u64) -> BoxFuture<'a, ()> {
        if let Ok(mut m) = self.revoked.lock() {
            let e = m.entry(user_id.to_string()).or_insert(0);
            // `+ 1`: a cookie issued in this very millisecond, before the logout, dies too.
            *e = (*e).max(now_ms + 1);
        }
        Box::pin(std::future::ready(()))
    }
}

#[derive(Default)]
struct Recent {
    jobs: VecDeque<String>,
    channels: VecDeque<String>,
}

/// The most recent ids per agent (oldest dropped first). The map has one entry per agent that
/// ever signed in, which the agents file bounds.
pub struct MemorySeenIds {
    agents: Mutex<HashMap<String, Recent>>,
    max_jobs: usize,
    max_channels: usize,
}

impl MemorySeenIds {
    /// A call detail record is fetched right after its call, so a few dozen calls is plenty.
    pub const JOBS_PER_AGENT: usize = 64;
    pub const CHANNELS_PER_AGENT: usize = 256;

    pub fn new(max_jobs: usize, max_channels: usize) -> Self {
        MemorySeenIds { agents: Mutex::new(HashMap::new()), max_jobs, max_channels }
    }
}

fn push_recent(list: &mut VecDeque<String>, id: String, max: usize) {
    // Seen again: move to the back, so the current call's ids are the last to go.
    if let Some(pos) = list.iter().position(|x| *x == id) {
        list.remove(pos);
    }
    list.push_back(id);
    while list.len() > max {
        list.pop_front();
    }
}

impl SeenIds for MemorySeenIds {
    fn remember<'a>(&'a self, user_id: &'a str, ids: Vec<(IdKind, String)>) -> BoxFuture<'a, ()> {
        if !ids.is_empty() {
            if let Ok(mut agents) = self.agents.lock() {
                let r = agents.entry(user_id.to_string()).or_default();
                for (kind, id) in ids {
                    match kind {
                        IdKind::Job => push_recent(&mut r.jobs, id, self.max_jobs),
                        IdKind::Channel => push_recent(&mut r.channels, id, self.max_channels),
                    }
                }
            }
        }
        Box::pin(std::future::ready(()))
    }

    fn knows<'a>(&'a self, user_id: &'a str, kind: IdKind, id: &'a str) -> BoxFuture<'a, bool> {
        let known = self.agents.lock().ok().is_some_and(|agents| {
            agents.get(user_id).is_some_and(|r| match kind {
                IdKind::Job => r.jobs.iter().any(|x| x == id),
                IdKind::Channel => r.channels.iter().any(|x| x == id),
            })
        });
        Box::pin(std::future::ready(known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now<T>(f: BoxFuture<'_, T>) -> T {
        // The in-memory futures are ready at once.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = f;
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("in-memory store future pending"),
        }
    }

    const USER: Backoff =
        Backoff { free: 3, decay_ms: 60_000, base_ms: 1000, max_ms: 8000, count_refused: true };

    #[test]
    fn backoff_grows_refused_attempts_count_and_success_forgets() {
        let t = MemoryThrottle::new(100);
        for i in 0..3 {
            assert_eq!(now(t.attempt("u", &USER, 1000 + i)), Ok(()), "attempt {i}");
        }
        // the third attempt reached `free` (locked 1 s); a refused attempt counts: score 4 → 2 s
        assert_eq!(now(t.attempt("u", &USER, 1500)), Err(2000));
        assert_eq!(now(t.attempt("u", &USER, 1600)), Err(4000));
        // the cap
        for _ in 0..10 {
            let _ = now(t.attempt("u", &USER, 1700));
        }
        assert_eq!(now(t.attempt("u", &USER, 1700)), Err(8000));
        now(t.refund("u", true, &USER, 1800));
        assert_eq!(now(t.attempt("u", &USER, 1800)), Ok(()));
    }

    #[test]
    fn scores_drain_and_refunds_unlock() {
        let ip = Backoff { free: 2, decay_ms: 1000, base_ms: 1000, max_ms: 60_000, count_refused: false };
        let t = MemoryThrottle::new(100);
        assert!(now(t.attempt("a", &ip, 0)).is_ok());
        assert!(now(t.attempt("a", &ip, 0)).is_ok());
        assert!(now(t.attempt("a", &ip, 10)).is_err());
        assert!(now(t.attempt("a", &ip, 20)).is_err(), "refused attempts do not count here");
        now(t.refund("a", false, &ip, 30));
        assert!(now(t.attempt("a", &ip, 40)).is_ok(), "a refund below `free` unlocks");
        assert!(now(t.attempt("a", &ip, 5000)).is_ok(), "drained");
    }

    #[test]
    fn throttle_map_is_bounded() {
        let t = MemoryThrottle::new(10);
        for i in 0..1000u64 {
            let _ = now(t.attempt(&format!("k{i}"), &USER, i));
        }
        assert!(t.keys.lock().unwrap().len() <= 10);
    }

    #[test]
    fn epochs_and_seen_ids() {
        let e = MemoryEpochs::default();
        assert_eq!(now(e.revoked_before("a")), 0);
        now(e.revoke("a", 500));
        assert_eq!(now(e.revoked_before("a")), 501);
        now(e.revoke("a", 100));
        assert_eq!(now(e.revoked_before("a")), 501, "never goes back");

        let s = MemorySeenIds::new(2, 2);
        now(s.remember("a", vec![(IdKind::Job, "j1".into()), (IdKind::Channel, "c1".into())]));
        assert!(now(s.knows("a", IdKind::Job, "j1")));
        assert!(!now(s.knows("a", IdKind::Channel, "j1")));
        assert!(!now(s.knows("b", IdKind::Job, "j1")));
        now(s.remember("a", vec![(IdKind::Job, "j2".into()), (IdKind::Job, "j1".into())]));
        now(s.remember("a", vec![(IdKind::Job, "j3".into())]));
        assert!(now(s.knows("a", IdKind::Job, "j1")), "seen again, kept");
        assert!(!now(s.knows("a", IdKind::Job, "j2")), "oldest dropped");
    }
}
