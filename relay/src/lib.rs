//! `agentbar-relay`: CC-Gateway push callbacks and CCC webhook deliveries, mapped to their agent
//! and streamed to that agent's browser over Server-Sent Events, with ids and a bounded
//! per-agent backlog for `Last-Event-ID` replay. One instance with an in-process backlog, or
//! any number behind a load balancer on Redis Streams. The HTTP contract is docs/RELAY.md.

pub mod backend;
pub mod client;
pub mod config;
pub mod handshake;
pub mod server;

use backend::Backend;
use std::sync::Arc;

pub use server::Relay;

/// Serves `relay` on `listener` (browser routes, and the callback routes unless
/// `callback_listener` is given) until `shutdown` resolves.
pub async fn serve<B: Backend>(
    relay: Arc<Relay<B>>,
    listener: tokio::net::TcpListener,
    callback_listener: Option<tokio::net::TcpListener>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handshakes = handshake::spawn(relay.clone());
    let browser = server::browser_router(relay.clone());
    let callbacks = server::callback_router(relay.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let result = match callback_listener {
        Some(cl) => {
            let a = axum::serve(listener, browser).with_graceful_shutdown(wait(stop_rx.clone()));
            let b = axum::serve(cl, callbacks).with_graceful_shutdown(wait(stop_rx));
            tokio::try_join!(async { a.await }, async { b.await }).map(|_| ())
        }
        None => axum::serve(listener, browser.merge(callbacks)).with_graceful_shutdown(wait(stop_rx)).await,
    };
    handshakes.abort();
    result
}
