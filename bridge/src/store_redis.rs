//! The bridge's shared state on Redis (issue 15): with several bridge instances behind a load
//! balancer, a logout at one revokes the agent's cookies at all, a locked login name is locked
//! at all, and an id CCC showed the agent through one instance may be used through another.
//! Same semantics as the in-memory stores in `store.rs` (the tests run one sequence against
//! both); every key lives under one prefix and expires once it no longer matters.
//!
//! When Redis does not answer, the stores fail closed: a session counts as revoked, a login as
//! locked for a second, an id as unknown. An agent then sees a clear refusal rather than a
//! bridge that quietly stopped enforcing its rules; Redis is part of the deployment's critical
//! path once configured (run it with a replica).

use crate::store::{Backoff, BoxFuture, IdKind, LoginThrottle, SeenIds, SessionEpochs, Stores};
use redis::aio::ConnectionManager;
use std::sync::Arc;

/// The attempt counter of `store.rs`'s `Score`, done atomically in Redis: drain, check the lock,
/// count, lock again (`ARGV[1]` attempt | refund | forget). Returns the lock left in ms (0: ok).
const THROTTLE: &str = r#"
local k = KEYS[1]
local op = ARGV[1]
if op == 'forget' then redis.call('DEL', k) return 0 end
local now = tonumber(ARGV[2])
local free = tonumber(ARGV[3])
local decay = math.max(tonumber(ARGV[4]), 1)
local base = tonumber(ARGV[5])
local maxms = tonumber(ARGV[6])
local count_refused = ARGV[7] == '1'
local v = redis.call('HMGET', k, 's', 'a', 'l')
local score = tonumber(v[1]) or 0
local at = tonumber(v[2]) or now
local locked = tonumber(v[3]) or 0
score = math.max(0, score - math.max(0, now - at) / decay)
at = math.max(now, at)
local function add()
  score = score + 1
  local c = math.ceil(score)
  if c >= free then
    local over = math.min(math.max(c - free, 0), 40)
    locked = math.max(locked, now + math.min(base * 2 ^ over, maxms))
  end
end
local left = 0
if op == 'attempt' then
  if now < locked then
    if count_refused then add() end
    left = locked - now
  else
    add()
  end
else
  score = math.max(0, score - 1)
  if math.ceil(score) < free then locked = 0 end
end
redis.call('HSET', k, 's', string.format('%.17g', score), 'a', string.format('%d', at), 'l', string.format('%d', locked))
redis.call('PEXPIRE', k, math.ceil(math.max(locked - now, score * decay)) + 1000)
return left
"#;

/// How long an agent's seen ids are kept without a new one (a working day and then some).
const SEEN_TTL_SECS: u64 = 36 * 3600;

/// The three stores on one Redis connection (it reconnects by itself).
pub async fn redis_stores(url: &str, prefix: &str) -> Result<Stores, String> {
    let client = redis::Client::open(url)
        .map_err(|e| format!("--redis (URL not shown: it may hold a password): {e}"))?;
    let conn = client
        .get_connection_manager()
        .await
        .map_err(|e| format!("--redis (URL not shown: it may hold a password): {e}"))?;
    let shared = Arc::new(RedisStore {
        conn,
        prefix: prefix.trim_end_matches(':').to_string(),
        throttle: redis::Script::new(THROTTLE),
        max_jobs: crate::store::MemorySeenIds::JOBS_PER_AGENT,
        max_channels: crate::store::MemorySeenIds::CHANNELS_PER_AGENT,
    });
    Ok(Stores { throttle: shared.clone(), epochs: shared.clone(), seen: shared })
}

pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    throttle: redis::Script,
    max_jobs: usize,
    max_channels: usize,
}

impl RedisStore {
    fn key(&self, kind: &str, rest: &str) -> String {
        format!("{}:{kind}:{rest}", self.prefix)
    }

    fn seen_key(&self, user_id: &str, kind: IdKind) -> String {
        self.key(if kind == IdKind::Job { "jobs" } else { "channels" }, user_id)
    }

    async fn throttle_op(&self, op: &str, key: &str, p: &Backoff, now_ms: u64) -> redis::RedisResult<u64> {
        let mut c = self.conn.clone();
        self.throttle
            .key(self.key("login", key))
            .arg(op)
            .arg(now_ms)
            .arg(p.free)
            .arg(p.decay_ms)
            .arg(p.base_ms)
            .arg(p.max_ms)
            .arg(if p.count_refused { "1" } else { "0" })
            .invoke_async(&mut c)
            .await
    }
}

impl LoginThrottle for RedisStore {
    fn attempt<'a>(
        &'a self,
        key: &'a str,
        policy: &'a Backoff,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), u64>> {
        Box::pin(async move {
            match self.throttle_op("attempt", key, policy, now_ms).await {
                Ok(0) => Ok(()),
                Ok(left) => Err(left),
                Err(_) => Err(1000),
            }
        })
    }

    fn refund<'a>(
        &'a self,
        key: &'a str,
        forget: bool,
        policy: &'a Backoff,
        now_ms: u64,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let _ = self.throttle_op(if forget { "forget" } else { "refund" }, key, policy, now_ms).await;
        })
    }
}

impl SessionEpochs for RedisStore {
    fn revoked_before<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, u64> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            let score: redis::RedisResult<Option<f64>> =
                redis::cmd("ZSCORE").arg(self.key("epochs", "all")).arg(user_id).query_async(&mut c).await;
            match score {
                Ok(s) => s.map_or(0, |s| s as u64),
                Err(_) => u64::MAX,
            }
        })
    }

    fn revoke<'a>(&'a self, user_id: &'a str, now_ms: u64) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            // GT: an epoch only moves forward, whichever instance writes last. `+ 1` as in memory.
            let _: redis::RedisResult<()> = redis::cmd("ZADD")
                .arg(self.key("epochs", "all"))
                .arg("GT")
                .arg(now_ms + 1)
                .arg(user_id)
                .query_async(&mut c)
                .await;
        })
    }
}

impl SeenIds for RedisStore {
    fn remember<'a>(&'a self, user_id: &'a str, ids: Vec<(IdKind, String)>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if ids.is_empty() {
                return;
            }
            let mut pipe = redis::pipe();
            pipe.atomic();
            for kind in [IdKind::Job, IdKind::Channel] {
                let key = self.seen_key(user_id, kind);
                let max = if kind == IdKind::Job { self.max_jobs } else { self.max_channels };
                let mut any = false;
                for (_, id) in ids.iter().filter(|(k, _)| *k == kind) {
                    // Seen again: to the back, so the current call's ids are the last to go.
                    pipe.cmd("LREM").arg(&key).arg(0).arg(id).ignore();
                    pipe.cmd("RPUSH").arg(&key).arg(id).ignore();
                    any = true;
                }
                if any {
                    pipe.cmd("LTRIM").arg(&key).arg(-(max as i64)).arg(-1).ignore();
                    pipe.cmd("EXPIRE").arg(&key).arg(SEEN_TTL_SECS).ignore();
                }
            }
            let mut c = self.conn.clone();
            let _: redis::RedisResult<()> = pipe.query_async(&mut c).await;
        })
    }

    fn knows<'a>(&'a self, user_id: &'a str, kind: IdKind, id: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            let at: redis::RedisResult<Option<i64>> =
                redis::cmd("LPOS").arg(self.seen_key(user_id, kind)).arg(id).query_async(&mut c).await;
            matches!(at, Ok(Some(_)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryEpochs, MemorySeenIds, MemoryThrottle};

    async fn redis() -> Option<Stores> {
        let url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty())?;
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Some(redis_stores(&url, &format!("agentbar-test:store:{nanos}")).await.expect("REDIS_URL reachable"))
    }

    /// The same attempts, refunds and forgets at the same times give the same answers in
    /// memory and on Redis: one semantics whichever store a deployment runs.
    #[tokio::test]
    async fn redis_throttle_epochs_and_seen_ids_answer_as_memory_does() {
        let Some(shared) = redis().await else {
            return eprintln!("REDIS_URL not set: skipped (scripts/relay-test.sh sets it)");
        };
        let memory = MemoryThrottle::new(1000);
        for count_refused in [false, true] {
            let p = Backoff { free: 3, decay_ms: 1000, base_ms: 500, max_ms: 8000, count_refused };
            let key = format!("name-{count_refused}");
            // (op, ms since start): bursts, waits shorter and longer than the locks, refunds.
            let script: &[(&str, u64)] = &[
                ("a", 0),
                ("a", 10),
                ("a", 20),
                ("a", 30),
                ("a", 40),
                ("a", 600),
                ("a", 1200),
                ("r", 1300),
                ("a", 1400),
                ("a", 5000),
                ("a", 5001),
                ("f", 5002),
                ("a", 5003),
                ("a", 5004),
                ("a", 5005),
                ("a", 5006),
                ("r", 5007),
                ("a", 5008),
                ("a", 60_000),
            ];
            for (i, (op, t)) in script.iter().enumerate() {
                let now = 1_700_000_000_000 + t;
                match *op {
                    "a" => assert_eq!(
                        shared.throttle.attempt(&key, &p, now).await,
                        memory.attempt(&key, &p, now).await,
                        "step {i} ({op} at {t} ms, count_refused {count_refused})"
                    ),
                    op => {
                        shared.throttle.refund(&key, op == "f", &p, now).await;
                        memory.refund(&key, op == "f", &p, now).await;
                    }
                }
            }
        }

        let epochs = MemoryEpochs::default();
        for (user, now) in
            [("agent101", 5_000u64), ("agent101", 4_000), ("agent102", 9_000), ("agent101", 7_000)]
        {
            shared.epochs.revoke(user, now).await;
            epochs.revoke(user, now).await;
            for u in ["agent101", "agent102", "agent103"] {
                assert_eq!(
                    shared.epochs.revoked_before(u).await,
                    epochs.revoked_before(u).await,
                    "{u} after {user}@{now}"
                );
            }
        }

        let seen = MemorySeenIds::new(MemorySeenIds::JOBS_PER_AGENT, MemorySeenIds::CHANNELS_PER_AGENT);
        let jobs =
            |r: std::ops::Range<usize>| r.map(|n| (IdKind::Job, format!("job-{n}"))).collect::<Vec<_>>();
        for batch in
            [jobs(0..40), vec![(IdKind::Job, "job-0".into()), (IdKind::Channel, "ch-1".into())], jobs(40..70)]
        {
            shared.seen.remember("agent101", batch.clone()).await;
            seen.remember("agent101", batch).await;
        }
        for n in 0..70 {
            let id = format!("job-{n}");
            let (r, m) = (
                shared.seen.knows("agent101", IdKind::Job, &id).await,
                seen.knows("agent101", IdKind::Job, &id).await,
            );
            assert_eq!(r, m, "{id}");
        }
        assert!(shared.seen.knows("agent101", IdKind::Job, "job-0").await, "seen again: kept");
        assert!(!shared.seen.knows("agent101", IdKind::Job, "job-1").await, "oldest dropped");
        assert!(shared.seen.knows("agent101", IdKind::Channel, "ch-1").await);
        assert!(!shared.seen.knows("agent102", IdKind::Job, "job-69").await, "per agent");
    }
}
