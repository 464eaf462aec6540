//! Where events live between a callback and a browser: the per-agent bounded backlog (replay),
//! the fan-out to whichever instance holds the agent's stream, single-use tickets, and the
//! handshake leases. Two implementations: [`memory::Memory`] (one instance, the default) and
//! [`redis::Redis`] (any number of instances behind any load balancer).

pub mod memory;
pub mod redis;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// One event of an agent's stream. The SSE `id:` is `<gen>.<seq>`: `seq` is 1, 2, 3… per
/// agent, no gaps, so a client (and the load test) can tell a loss from a duplicate; `gen`
/// names the stream's lifetime (set when the agent's backlog is created), so an id from a
/// backlog that was lost (a restarted in-memory relay, a flushed Redis) is never mistaken for
/// a position in the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub gen: u64,
    pub seq: u64,
    /// SSE `event:` name: `huawei`, `ccc` or `guid`.
    pub kind: String,
    /// SSE `data:`: one line of JSON.
    pub data: String,
    /// When the relay received the callback carrying it (epoch µs).
    pub rx_us: u64,
}

/// Events after a client's last id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    pub events: Vec<Stored>,
    /// The agent's newest `seq` (0: no events).
    pub last: u64,
    /// The backlog's generation (0: no backlog).
    pub gen: u64,
    /// Some events after `after` are no longer in the bounded backlog (or `after` is ahead of
    /// the stream, e.g. a backlog that expired): the client must resync.
    pub gap: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError(pub String);

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<::redis::RedisError> for BackendError {
    fn from(e: ::redis::RedisError) -> Self {
        BackendError(format!("redis: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, BackendError>;

/// A new backlog's generation: the wall clock in milliseconds (a restarted relay or a
/// re-created Redis key is never in the same millisecond as the one it replaces).
pub fn new_gen() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_millis() as u64)
        .max(1)
}

/// The per-agent bounded backlog.
pub trait Backlog: Send + Sync + 'static {
    /// Appends an event (trimming the backlog to about its bound) and publishes it to every
    /// instance's subscribers of `agent`. Returns the event as stored, with its `seq`.
    fn append(
        &self,
        agent: &str,
        kind: &str,
        data: &str,
        rx_us: u64,
    ) -> impl Future<Output = Result<Stored>> + Send;
    /// Events with `seq > after`, oldest first.
    fn since(&self, agent: &str, after: u64) -> impl Future<Output = Result<Replay>> + Send;
}

/// Live delivery to this instance's streams.
pub trait Fanout: Send + Sync + 'static {
    /// Starts receiving `agent`'s new events on this instance. Subscribe before reading the
    /// backlog: what arrives in between comes on both, and the stream drops repeats by `seq`.
    fn subscribe(&self, agent: &str) -> impl Future<Output = Result<Subscription>> + Send;
}

/// Single-use tickets, shared by all instances (issued on one, redeemed on another).
pub trait Tickets: Send + Sync + 'static {
    fn put(&self, ticket: &str, agent: &str, ttl_ms: u64) -> impl Future<Output = Result<()>> + Send;
    /// The agent of a live ticket, which is consumed.
    fn take(&self, ticket: &str) -> impl Future<Output = Result<Option<String>>> + Send;
}

/// Coordination of CC-Gateway handshakes among instances.
pub trait Coord: Send + Sync + 'static {
    /// Adds (`alive`) or removes an agent from the set of push sessions to keep alive.
    fn note_push_agent(&self, agent: &str, alive: bool) -> impl Future<Output = Result<()>> + Send;
    fn push_agents(&self) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// True for exactly one caller (across instances) per `key` per `ttl_ms`.
    fn try_lease(&self, key: &str, ttl_ms: u64) -> impl Future<Output = Result<bool>> + Send;
}

pub trait Backend: Backlog + Fanout + Tickets + Coord {
    fn name(&self) -> &'static str;
}

// ------------------------------------------------------------------------------- local hub

/// This instance's live subscribers, per agent. Both backends deliver into it: the memory
/// backend directly from `append`, the Redis backend from its pub/sub reader.
#[derive(Default)]
pub struct Hub {
    agents: Mutex<HashMap<String, Live>>,
    cmds: Option<tokio::sync::mpsc::UnboundedSender<HubCmd>>,
}

/// One agent's live channel and its number of local subscribers.
type Live = (broadcast::Sender<Arc<Stored>>, usize);

/// Capacity of one agent's live channel. A stream that falls further behind re-reads the
/// backlog, so nothing is lost.
const LIVE_CAPACITY: usize = 64;

/// Receiving an agent's live events; ends the subscription when dropped.
pub struct Subscription {
    pub rx: broadcast::Receiver<Arc<Stored>>,
    hub: Arc<Hub>,
    agent: String,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.leave(&self.agent);
    }
}

/// What the Redis backend's pub/sub task must do when an agent gets its first local subscriber
/// or loses its last one. Sent under the hub's lock, so the commands keep the hub's order.
pub enum HubCmd {
    Subscribe(String, tokio::sync::oneshot::Sender<()>),
    Unsubscribe(String),
}

impl Hub {
    /// A hub that tells `cmds` about first joins and last leaves (and every join, so each
    /// subscriber can wait until the pub/sub subscription is confirmed).
    pub fn with_commands(cmds: tokio::sync::mpsc::UnboundedSender<HubCmd>) -> Hub {
        Hub { agents: Mutex::default(), cmds: Some(cmds) }
    }

    /// Joins; the receiver resolves once live delivery to it is set up.
    pub fn join(self: &Arc<Self>, agent: &str) -> (Subscription, Option<tokio::sync::oneshot::Receiver<()>>) {
        let mut map = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(agent.to_string()).or_insert_with(|| (broadcast::channel(LIVE_CAPACITY).0, 0));
        entry.1 += 1;
        let sub = Subscription { rx: entry.0.subscribe(), hub: self.clone(), agent: agent.to_string() };
        let ready = self.cmds.as_ref().map(|cmds| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let _ = cmds.send(HubCmd::Subscribe(agent.to_string(), tx));
            rx
        });
        (sub, ready)
    }

    fn leave(&self, agent: &str) {
        let mut map = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = map.get_mut(agent) else {
            return;
        };
        entry.1 = entry.1.saturating_sub(1);
        if entry.1 == 0 {
            map.remove(agent);
            if let Some(cmds) = &self.cmds {
                let _ = cmds.send(HubCmd::Unsubscribe(agent.to_string()));
            }
        }
    }

    pub fn deliver(&self, agent: &str, ev: Stored) {
        let map = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((tx, _)) = map.get(agent) {
            let _ = tx.send(Arc::new(ev));
        }
    }

    /// Agents with a local subscriber.
    pub fn agent_names(&self) -> Vec<String> {
        self.agents.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    /// Makes every local stream re-read its backlog (after live delivery may have missed
    /// events): a marker with the highest seq, which a stream takes as a gap and never sends.
    pub fn nudge_all(&self) {
        let map = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        for (tx, _) in map.values() {
            let _ = tx.send(Arc::new(Stored {
                gen: 0,
                seq: u64::MAX,
                kind: String::new(),
                data: String::new(),
                rx_us: 0,
            }));
        }
    }

    pub fn agents(&self) -> usize {
        self.agents.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
