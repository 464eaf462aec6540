//! When the runtime reads from the gateway: wanted reads go through `core::reads::ReadPlanner`
//! (coalesced, one at a time, within the CC-Gateway's query budget), and the transfer directory
//! is reused for a few seconds.

use super::{now_ms, Directory, Toolbar, DIRECTORY_FRESH_MS};
use crate::config::Vendor;
use crate::core::reads::{Plan, Read, ReadPlanner};
use leptos::prelude::*;
use leptos::task::spawn_local;

impl Toolbar {
    /// Asks for a read of the gateway; reads run one at a time within the budget.
    pub fn want_read(&self, read: Read) {
        // CCC: every PollUserStatus answer is a full picture, and held legs come with it. On the
        // relay's stream a resync is one catch-up PollUserStatus (coalesced).
        if self.view.vendor == Vendor::Aliyun && read != Read::Directory {
            #[cfg(feature = "aliyun")]
            if read == Read::Resync && self.relay().is_some() {
                self.ccc_catch_up(true);
            }
            return;
        }
        self.io.reads.update_value(|r| r.want(read));
        self.pump_reads();
    }

    /// Starts the next wanted read if the budget has room, or comes back when it will.
    pub(crate) fn pump_reads(&self) {
        let Some(plan) = self.io.reads.try_update_value(|r| r.next(now_ms())) else { return };
        match plan {
            Plan::Idle => {}
            Plan::WaitUntil(at) => {
                if self.io.reads_waiting.try_get_value() == Some(false) {
                    self.io.reads_waiting.set_value(true);
                    let this = *self;
                    let wait = at.saturating_sub(now_ms()).clamp(1, 60_000) as u32;
                    spawn_local(async move {
                        gloo_timers::future::TimeoutFuture::new(wait).await;
                        this.io.reads_waiting.set_value(false);
                        this.pump_reads();
                    });
                }
            }
            Plan::Start(read) => {
                let this = *self;
                spawn_local(async move {
                    match read {
                        Read::Directory => this.read_directory().await,
                        // The CC-Gateway's reads; CCC's snapshots carry all of these.
                        #[cfg(feature = "huawei")]
                        Read::Resync => this.resync().await,
                        #[cfg(feature = "huawei")]
                        Read::HoldList => this.read_hold_list().await,
                        #[cfg(feature = "huawei")]
                        Read::CallData => this.read_call_data().await,
                        #[allow(unreachable_patterns)]
                        _ => {}
                    }
                    this.io.reads.update_value(ReadPlanner::finished);
                    this.pump_reads();
                });
            }
        }
    }

    /// Counts one query request against the budget.
    #[cfg(feature = "huawei")]
    pub(crate) fn spend_read(&self) {
        self.io.reads.update_value(|r| r.sent(now_ms()));
    }

    /// The transfer and consult directory: skill queues and agents with their live state,
    /// reused for a few seconds (the CC-Gateway's query budget is small). Failures leave a list
    /// empty (the agent can still type an address).
    pub async fn load_directory(self) -> Directory {
        let fresh = |t: &Toolbar| {
            t.io.directory
                .try_with_value(|d| {
                    d.as_ref().filter(|(at, _)| now_ms() < at + DIRECTORY_FRESH_MS).map(|(_, d)| d.clone())
                })
                .flatten()
        };
        if let Some(dir) = fresh(&self) {
            return dir;
        }
        // Wait for the read the planner runs when there is room for it.
        let waiter = js_sys::Promise::new(&mut |resolve, _| {
            self.io.directory_waiters.update_value(|w| w.push(resolve))
        });
        self.want_read(Read::Directory);
        let _ = wasm_bindgen_futures::JsFuture::from(waiter).await;
        self.io.directory.try_with_value(|d| d.as_ref().map(|(_, d)| d.clone())).flatten().unwrap_or_default()
    }

    pub(crate) async fn read_directory(self) {
        let dir = match self.view.vendor {
            #[cfg(feature = "aliyun")]
            Vendor::Aliyun => self.ccc_directory().await,
            #[cfg(feature = "huawei")]
            Vendor::Huawei => self.huawei_directory().await,
            #[allow(unreachable_patterns)]
            _ => Default::default(),
        };
        self.io.directory.set_value(Some((now_ms(), dir)));
        for resolve in self.io.directory_waiters.try_update_value(std::mem::take).unwrap_or_default() {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    }

    /// Re-reads the hold list (the panel opened, a call was held or retrieved).
    pub fn refresh_hold_list(&self) {
        self.want_read(Read::HoldList);
    }
}
