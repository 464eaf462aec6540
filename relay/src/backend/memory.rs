//! One instance, no Redis: a `VecDeque` per agent and the local hub.

use super::{Backend, Backlog, Coord, Fanout, Hub, Replay, Result, Stored, Subscription, Tickets};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct AgentLog {
    gen: u64,
    last: u64,
    events: VecDeque<Stored>,
}

pub struct Memory {
    bound: usize,
    logs: Mutex<HashMap<String, AgentLog>>,
    hub: Arc<Hub>,
    tickets: Mutex<HashMap<String, (String, Instant)>>,
    push: Mutex<BTreeSet<String>>,
    leases: Mutex<HashMap<String, Instant>>,
}

impl Memory {
    /// `bound`: events kept per agent.
    pub fn new(bound: usize) -> Memory {
        Memory {
            bound: bound.max(1),
            logs: Mutex::default(),
            hub: Arc::default(),
            tickets: Mutex::default(),
            push: Mutex::default(),
            leases: Mutex::default(),
        }
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Backlog for Memory {
    async fn append(&self, agent: &str, kind: &str, data: &str, rx_us: u64) -> Result<Stored> {
        let ev = {
            let mut logs = lock(&self.logs);
            let log = logs.entry(agent.to_string()).or_insert_with(|| AgentLog {
                gen: super::new_gen(),
                last: 0,
                events: VecDeque::new(),
            });
            log.last += 1;
            let ev =
                Stored { gen: log.gen, seq: log.last, kind: kind.to_string(), data: data.to_string(), rx_us };
            if log.events.len() >= self.bound {
                log.events.pop_front();
            }
            log.events.push_back(ev.clone());
            // Delivered under the lock so live events reach subscribers in `seq` order.
            self.hub.deliver(agent, ev.clone());
            ev
        };
        Ok(ev)
    }

    async fn since(&self, agent: &str, after: u64) -> Result<Replay> {
        let logs = lock(&self.logs);
        let Some(log) = logs.get(agent) else {
            return Ok(Replay { events: Vec::new(), last: 0, gap: after > 0, gen: 0 });
        };
        let events: Vec<Stored> = log.events.iter().filter(|e| e.seq > after).cloned().collect();
        let first = log.events.front().map_or(log.last + 1, |e| e.seq);
        Ok(Replay { gap: after > log.last || after + 1 < first, last: log.last, events, gen: log.gen })
    }
}

impl Fanout for Memory {
    async fn subscribe(&self, agent: &str) -> Result<Subscription> {
        Ok(self.hub.join(agent).0)
    }
}

impl Tickets for Memory {
    async fn put(&self, ticket: &str, agent: &str, ttl_ms: u64) -> Result<()> {
        let mut t = lock(&self.tickets);
        let now = Instant::now();
        t.retain(|_, (_, until)| *until > now);
        t.insert(ticket.to_string(), (agent.to_string(), now + Duration::from_millis(ttl_ms)));
        Ok(())
    }

    async fn take(&self, ticket: &str) -> Result<Option<String>> {
        let mut t = lock(&self.tickets);
        Ok(t.remove(ticket).filter(|(_, until)| *until > Instant::now()).map(|(a, _)| a))
    }
}

impl Coord for Memory {
    async fn note_push_agent(&self, agent: &str, alive: bool) -> Result<()> {
        let mut p = lock(&self.push);
        if alive {
            p.insert(agent.to_string());
        } else {
            p.remove(agent);
        }
        Ok(())
    }

    async fn push_agents(&self) -> Result<Vec<String>> {
        Ok(lock(&self.push).iter().cloned().collect())
    }

    async fn try_lease(&self, key: &str, ttl_ms: u64) -> Result<bool> {
        let mut l = lock(&self.leases);
        let now = Instant::now();
        match l.get(key) {
            Some(until) if *until > now => Ok(false),
            _ => {
                l.insert(key.to_string(), now + Duration::from_millis(ttl_ms));
                Ok(true)
            }
        }
    }
}

impl Backend for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }
}
