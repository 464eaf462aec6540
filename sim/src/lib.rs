//! `agentbar-sim`: a stateful simulator of the Huawei CEC CC-Gateway agent REST API and, over the
//! same agent/call model, of the Alibaba Cloud CCC OpenAPI 2020-07-01 agent actions.
//!
//! Written from the vendor docs and the seed pages only; it does not use the toolbar crate's
//! types, so a disagreement between the two fails a test instead of hiding on both sides.
//!
//! * [`model::Sim`] — the gateway state and all call logic, pure and synchronous.
//! * `vendor` — `/agentgateway/resource/...`, the Huawei API the toolbar talks to.
//! * `ccc` — RPC requests to `/` (`Action=...`), signature checks, CCC envelopes.
//! * `control` — `/sim/...`, the JSON API tests and the demo use to drive calls.
//! * `fault` — fault injection in front of the vendor API (`/sim/fault`).
//! * `request` — what those layers share about one vendor request (dialect, agent, fault tag,
//!   logged body), so that they depend on it and never on each other.
//!
//! In-process use (tests):
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tokio::spawn(agentbar_sim::serve(agentbar_sim::config::SimConfig::default(), listener, Default::default()));
//! # Ok(()) }
//! ```

mod ccc;
pub mod codes;
pub mod config;
mod control;
pub mod crypto;
mod fault;
pub mod model;
mod params;
mod request;
mod vendor;

use axum::Router;
use config::SimConfig;
use model::{Emit, Ms, Sim};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Shared server state: the one model behind one mutex, plus the wake-ups.
pub struct App {
    sim: Mutex<Sim>,
    /// Woken whenever events are queued; waiting polls re-check their queue.
    events: Notify,
    /// Woken whenever a request may have added a timer, so the timer task re-plans.
    timers: Notify,
    /// Manual clock (`POST /sim/clock`): epoch ms, 0 = the real clock.
    clock: AtomicU64,
    /// Woken when push callbacks or webhook events wait in the outbox.
    push: Notify,
}

pub type SharedApp = Arc<App>;

/// Current time in epoch milliseconds.
pub fn now_ms() -> Ms {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Ms)
        .unwrap_or(0)
}

impl App {
    pub fn new(config: SimConfig) -> SharedApp {
        Arc::new(App {
            sim: Mutex::new(Sim::new(config)),
            events: Notify::new(),
            timers: Notify::new(),
            clock: AtomicU64::new(0),
            push: Notify::new(),
        })
    }

    /// The simulator's time: the manual clock when set (`POST /sim/clock`), else real time.
    pub fn now(&self) -> Ms {
        match self.clock.load(Ordering::SeqCst) {
            0 => now_ms(),
            fixed => fixed,
        }
    }

    /// Sets (Some) or releases (None) the manual clock.
    pub fn set_clock(&self, at: Option<Ms>) {
        self.clock.store(at.unwrap_or(0), Ordering::SeqCst);
    }

    pub fn clock_fixed(&self) -> bool {
        self.clock.load(Ordering::SeqCst) != 0
    }

    /// Locks the model. A panic in another request must not take the simulator down, so a
    /// poisoned lock is used as it is.
    pub fn lock(&self) -> MutexGuard<'_, Sim> {
        self.sim.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues events (under the caller's lock) — call [`App::wake`] after unlocking — and
    /// brings the CCC view of the calls up to date.
    fn queue(sim: &mut Sim, emits: Vec<Emit>, now: Ms) {
        if !emits.is_empty() {
            sim.push_events(emits, now);
        }
        sim.ccc_sync(now);
    }

    /// Wakes waiting polls and the timer task after a change.
    fn wake(&self) {
        self.events.notify_waiters();
        self.timers.notify_one();
        self.push.notify_one();
    }
}

/// Options of [`serve`].
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Also serve a built web app (Trunk `dist/`) at `/`, with `index.html` as fallback.
    pub static_dir: Option<PathBuf>,
    /// Offer a call to the demo agent periodically while it is idle.
    pub demo: bool,
}

/// The HTTP routes: vendor API (Huawei paths, CCC requests to `/`), control API and
/// (optionally) static files.
pub fn router(app: SharedApp, static_dir: Option<PathBuf>) -> Router {
    let router = Router::new().merge(vendor::routes()).merge(control::routes()).with_state(app.clone());
    let router = match static_dir {
        Some(dir) => {
            let index = dir.join("index.html");
            router.fallback_service(
                tower_http::services::ServeDir::new(dir)
                    .fallback(tower_http::services::ServeFile::new(index)),
            )
        }
        None => router.fallback(|| async { axum::http::StatusCode::NOT_FOUND }),
    };
    // Outermost: fault injection sees every vendor request first (`/sim/fault`).
    router
        .layer(axum::middleware::from_fn_with_state(app.clone(), ccc_layer))
        .layer(axum::middleware::from_fn_with_state(app, fault::layer))
}

/// Sends CCC requests (`/` with an `Action`) to the CCC dialect before any other route.
async fn ccc_layer(
    axum::extract::State(app): axum::extract::State<SharedApp>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request::is_ccc(&req) {
        ccc::handle(app, req).await
    } else {
        next.run(req).await
    }
}

/// Runs the timers (far-party answers, rest reminders, demo calls, the no-poll sign-out).
/// Sleeps until the next due time or until a request changed something; no busy loop.
pub fn spawn_timers(app: SharedApp) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let changed = app.timers.notified();
            let due = app.lock().next_due();
            let wait = due.map_or(60_000, |d| d.saturating_sub(app.now()).min(60_000));
            if wait > 0 {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_millis(wait)) => {}
                    _ = changed => {}
                }
            }
            let now = app.now();
            let fired = {
                let mut sim = app.lock();
                let emits = sim.tick(now);
                let fired = !emits.is_empty();
                App::queue(&mut sim, emits, now);
                fired
            };
            if fired {
                app.events.notify_waiters();
                app.push.notify_one();
            }
        }
    })
}

/// Serves the simulator on `listener` until the task is dropped.
pub async fn serve(
    config: SimConfig,
    listener: tokio::net::TcpListener,
    options: ServeOptions,
) -> std::io::Result<()> {
    let app = App::new(config);
    if options.demo {
        app.lock().set_demo(true, now_ms());
    }
    let timers = spawn_timers(app.clone());
    let push = spawn_push(app.clone());
    let result = axum::serve(listener, router(app, options.static_dir)).await;
    timers.abort();
    push.abort();
    result
}

/// Delivers push-mode callbacks (`{workNo, eventList}` with the `service_token` header) and CCC
/// webhook events: everything queued is sent at once, each agent's POSTs in order (an agent's
/// next POST waits for the previous answer), up to 3 tries each.
pub fn spawn_push(app: SharedApp) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build() {
            Ok(c) => c,
            Err(_) => return,
        };
        loop {
            app.push.notified().await;
            let posts = app.lock().take_push_posts();
            if posts.is_empty() {
                continue;
            }
            let mut by_agent: std::collections::BTreeMap<String, Vec<model::PushPost>> = Default::default();
            for p in posts {
                by_agent.entry(p.agent.clone()).or_default().push(p);
            }
            let sends = by_agent.into_values().map(|list| {
                let (client, app) = (client.clone(), app.clone());
                tokio::spawn(async move {
                    for post in list {
                        let mut ok = false;
                        for attempt in 0..3u64 {
                            let mut req = client.post(&post.uri).json(&post.body);
                            if let Some(t) = &post.token {
                                req = req.header(model::CALLBACK_TOKEN_HEADER, t);
                            }
                            if let Ok(r) = req.send().await {
                                if r.status().is_success() {
                                    ok = true;
                                    break;
                                }
                            }
                            tokio::time::sleep(std::time::Duration::from_millis(100 * (attempt + 1))).await;
                        }
                        let mut sim = app.lock();
                        let c = sim.count(&post.agent);
                        if ok {
                            c.push_posts += 1;
                        } else {
                            c.push_failures += 1;
                        }
                    }
                })
            });
            for s in sends.collect::<Vec<_>>() {
                let _ = s.await;
            }
        }
    })
}
