//! agentbar-bridge: the server-side half of agentbar's Alibaba Cloud CCC integration.
//!
//! The browser toolbar posts agent actions to `/ccc/api?action=<Action>`; the bridge
//! authenticates the agent, pins `UserId`/`InstanceId` to that agent, signs the call with the
//! site's AccessKey (which never reaches the browser) and forwards it to CCC, returning CCC's
//! JSON unchanged except for other agents' personal fields. See README.md for the contract.

pub mod actions;
pub mod answers;
pub mod auth;
pub mod config;
pub mod server;
pub mod signer;
pub mod store;
pub mod store_redis;

use std::sync::Arc;

pub use config::{parse_serve, ServeOptions, Settings};
pub use server::{router, AppState, LogSink};

/// Serve on `listener` until `shutdown` resolves. The peer address of each connection is kept
/// (per-address login limits).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    static_dir: Option<std::path::PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state, static_dir.as_deref());
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
