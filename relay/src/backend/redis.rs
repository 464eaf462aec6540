//! Any number of instances: per-agent Redis Streams for the backlog, pub/sub for fan-out.
//!
//! Keys (`<p>` is the prefix, default `agentbar:relay`):
//! * `<p>:s:<agent>` — the agent's stream. Entry ids are `<seq>-0` (seq = 1, 2, 3…), fields
//!   `k` (event name), `d` (JSON), `t` (receive time, epoch µs). `XADD … MAXLEN ~ <bound>`,
//!   and the key expires `ttl` after the last event.
//! * `<p>:g:<agent>` — the stream's generation (epoch ms of its creation), created with the
//!   stream's first entry and expiring with it: ids are `<gen>.<seq>`, so a client's id from a
//!   stream that was lost (a flushed Redis) is never read as a position in the new one.
//! * `<p>:c:<agent>` — the agent's pub/sub channel: `<seq>\n<kind>\n<rx_us>\n<gen>\n<data>`. Each
//!   instance SUBSCRIBEs to the channels of the agents it holds a stream of.
//! * `<p>:t:<ticket>` — a ticket (agent), `PX 60000`, redeemed with GETDEL.
//! * `<p>:push` — set of CC-Gateway agents with a push session; `<p>:l:<key>` — leases.
//!
//! Appending is one Lua script (next seq, XADD, PEXPIRE, PUBLISH), so seqs have no gaps and
//! subscribers see them in order.

use super::{
    Backend, BackendError, Backlog, Coord, Fanout, Hub, HubCmd, Replay, Result, Stored, Subscription, Tickets,
};
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use std::sync::Arc;

const APPEND: &str = r#"
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local n = 1
if #last > 0 then n = tonumber(string.match(last[1][1], '^(%d+)')) + 1 end
local g = redis.call('GET', KEYS[3])
if not g then
  g = ARGV[6]
  redis.call('SET', KEYS[3], g)
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], n .. '-0', 'k', ARGV[2], 'd', ARGV[3], 't', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
redis.call('PUBLISH', KEYS[2], n .. '\n' .. ARGV[2] .. '\n' .. ARGV[4] .. '\n' .. g .. '\n' .. ARGV[3])
return {n, g}
"#;

pub struct Redis {
    prefix: String,
    bound: usize,
    ttl_ms: u64,
    conn: ConnectionManager,
    hub: Arc<Hub>,
    append: redis::Script,
}

impl Redis {
    /// Connects (one multiplexed connection for commands, one for pub/sub) and starts the
    /// pub/sub task. `bound`: events kept per agent (approximately: MAXLEN ~); `ttl_ms`: a
    /// backlog with no new event for this long is deleted.
    pub async fn connect(url: &str, prefix: &str, bound: usize, ttl_ms: u64) -> Result<Redis> {
        let client = redis::Client::open(url)?;
        // Commands reconnect by themselves (ConnectionManager).
        let conn = client.get_connection_manager().await?;
        let pubsub = client.get_async_pubsub().await?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<HubCmd>();
        let hub = Arc::new(Hub::with_commands(tx));
        tokio::spawn(pubsub_task(client, pubsub, rx, hub.clone(), format!("{prefix}:c:")));
        Ok(Redis {
            prefix: prefix.to_string(),
            bound: bound.max(1),
            ttl_ms,
            conn,
            hub,
            append: redis::Script::new(APPEND),
        })
    }

    fn key(&self, kind: &str, rest: &str) -> String {
        format!("{}:{kind}:{rest}", self.prefix)
    }

    /// Deletes everything under the prefix (tests).
    pub async fn flush_prefix(&self) -> Result<()> {
        let mut c = self.conn.clone();
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.prefix)).query_async(&mut c).await?;
        if !keys.is_empty() {
            redis::cmd("DEL").arg(keys).query_async::<()>(&mut c).await?;
        }
        Ok(())
    }
}

/// Owns the pub/sub connection: (un)subscribes in the order the hub changed, delivers messages
/// to the hub, and when the connection drops reconnects (0.1 s doubling to 5 s), subscribes
/// again to every agent with a local stream and nudges those streams to catch up from the
/// backlog, so what was published meanwhile is not lost.
async fn pubsub_task(
    client: redis::Client,
    first: redis::aio::PubSub,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<HubCmd>,
    hub: Arc<Hub>,
    prefix: String,
) {
    let mut pubsub = Some(first);
    loop {
        let (mut sink, mut stream) = match pubsub.take() {
            Some(p) => p.split(),
            None => {
                let mut wait = 100;
                let p = loop {
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                    match client.get_async_pubsub().await {
                        Ok(p) => break p,
                        Err(_) => wait = (wait * 2).min(5000),
                    }
                };
                let (mut sink, stream) = p.split();
                for agent in hub.agent_names() {
                    if let Err(e) = sink.subscribe(format!("{prefix}{agent}")).await {
                        eprintln!("agentbar-relay: redis resubscribe failed: {e}");
                    }
                }
                eprintln!("agentbar-relay: redis pub/sub connection restored");
                hub.nudge_all();
                (sink, stream)
            }
        };
        loop {
            tokio::select! {
                cmd = rx.recv() => {
                    let Some(cmd) = cmd else { return };
                    let result = match cmd {
                        HubCmd::Subscribe(agent, done) => {
                            let r = sink.subscribe(format!("{prefix}{agent}")).await;
                            let _ = done.send(());
                            r
                        }
                        HubCmd::Unsubscribe(agent) => sink.unsubscribe(format!("{prefix}{agent}")).await,
                    };
                    if let Err(e) = result {
                        eprintln!("agentbar-relay: redis (un)subscribe failed: {e}");
                    }
                }
                msg = stream.next() => {
                    let Some(msg) = msg else { break };
                    let Some(agent) = msg.get_channel_name().strip_prefix(&prefix) else { continue };
                    if let Some(ev) = msg.get_payload::<String>().ok().and_then(|p| parse_message(&p)) {
                        hub.deliver(agent, ev);
                    }
                }
            }
        }
        eprintln!("agentbar-relay: redis pub/sub connection lost; reconnecting");
    }
}

fn parse_message(payload: &str) -> Option<Stored> {
    let mut parts = payload.splitn(5, '\n');
    let seq = parts.next()?.parse().ok()?;
    let kind = parts.next()?.to_string();
    let rx_us = parts.next()?.parse().ok()?;
    let gen = parts.next()?.parse().ok()?;
    let data = parts.next()?.to_string();
    Some(Stored { gen, seq, kind, data, rx_us })
}

fn seq_of(id: &str) -> Option<u64> {
    id.split('-').next()?.parse().ok()
}

type Entry = (String, Vec<(String, String)>);

fn stored(gen: u64, entry: Entry) -> Option<Stored> {
    let (id, fields) = entry;
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    Some(Stored { gen, seq: seq_of(&id)?, kind: get("k")?, data: get("d")?, rx_us: get("t")?.parse().ok()? })
}

impl Backlog for Redis {
    async fn append(&self, agent: &str, kind: &str, data: &str, rx_us: u64) -> Result<Stored> {
        let mut c = self.conn.clone();
        let (seq, gen): (u64, u64) = self
            .append
            .key(self.key("s", agent))
            .key(self.key("c", agent))
            .key(self.key("g", agent))
            .arg(self.bound)
            .arg(kind)
            .arg(data)
            .arg(rx_us)
            .arg(self.ttl_ms)
            .arg(super::new_gen())
            .invoke_async(&mut c)
            .await?;
        Ok(Stored { gen, seq, kind: kind.to_string(), data: data.to_string(), rx_us })
    }

    async fn since(&self, agent: &str, after: u64) -> Result<Replay> {
        let mut c = self.conn.clone();
        let key = self.key("s", agent);
        let gen: Option<u64> = redis::cmd("GET").arg(self.key("g", agent)).query_async(&mut c).await?;
        let gen = gen.unwrap_or(0);
        let entries: Vec<Entry> = redis::cmd("XRANGE")
            .arg(&key)
            .arg(format!("{}-0", after + 1))
            .arg("+")
            .query_async(&mut c)
            .await?;
        let events: Vec<Stored> = entries.into_iter().filter_map(|e| stored(gen, e)).collect();
        if let (Some(first), Some(last)) = (events.first(), events.last()) {
            return Ok(Replay { gap: first.seq != after + 1, last: last.seq, events, gen });
        }
        let newest: Vec<Entry> = redis::cmd("XREVRANGE")
            .arg(&key)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut c)
            .await?;
        let last = newest.first().and_then(|(id, _)| seq_of(id)).unwrap_or(0);
        Ok(Replay { events, last, gap: after > last, gen })
    }
}

impl Fanout for Redis {
    async fn subscribe(&self, agent: &str) -> Result<Subscription> {
        let (sub, ready) = self.hub.join(agent);
        if let Some(ready) = ready {
            ready.await.map_err(|_| BackendError("redis pub/sub task ended".into()))?;
        }
        Ok(sub)
    }
}

impl Tickets for Redis {
    async fn put(&self, ticket: &str, agent: &str, ttl_ms: u64) -> Result<()> {
        let mut c = self.conn.clone();
        redis::cmd("SET")
            .arg(self.key("t", ticket))
            .arg(agent)
            .arg("PX")
            .arg(ttl_ms)
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
    }

    async fn take(&self, ticket: &str) -> Result<Option<String>> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("GETDEL").arg(self.key("t", ticket)).query_async(&mut c).await?)
    }
}

impl Coord for Redis {
    async fn note_push_agent(&self, agent: &str, alive: bool) -> Result<()> {
        let mut c = self.conn.clone();
        let cmd = if alive { "SADD" } else { "SREM" };
        redis::cmd(cmd).arg(self.key("push", "set")).arg(agent).query_async::<()>(&mut c).await?;
        Ok(())
    }

    async fn push_agents(&self) -> Result<Vec<String>> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("SMEMBERS").arg(self.key("push", "set")).query_async(&mut c).await?)
    }

    async fn try_lease(&self, key: &str, ttl_ms: u64) -> Result<bool> {
        let mut c = self.conn.clone();
        let got: Option<String> = redis::cmd("SET")
            .arg(self.key("l", key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query_async(&mut c)
            .await?;
        Ok(got.is_some())
    }
}

impl Backend for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_ids_parse() {
        let ev = parse_message("7\nhuawei\n123\n1764640000000\n{\"a\":\"x\\ny\"}").expect("parses");
        assert_eq!(
            (ev.gen, ev.seq, ev.kind.as_str(), ev.rx_us, ev.data.as_str()),
            (1764640000000, 7, "huawei", 123, "{\"a\":\"x\\ny\"}")
        );
        assert_eq!(seq_of("42-0"), Some(42));
        assert!(parse_message("x\nhuawei\n1\n{}").is_none());
    }
}
