//! When the toolbar reads from the gateway (state, current call, hold list, directory). The
//! CC-Gateway puts its query interfaces under overload control: 5 requests per 2 s per agent
//! (cc-gateway.md §3). Reads are coalesced (a resync covers a hold-list refresh, a second
//! resync asked for while one runs becomes one more, not many), run one at a time, and wait
//! for room in the window rather than go over it.

use super::model::Millis;
use std::collections::VecDeque;

/// One read: a full resync (agent state, current call, hold list), the hold list alone, or the
/// transfer directory (skill queues and agents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Resync,
    HoldList,
    Directory,
    /// The attached data of the calls that rang without it (one request per call).
    CallData,
}

impl Read {
    /// How many query requests the read sends.
    pub fn cost(self) -> usize {
        match self {
            Read::Resync => 3,
            Read::HoldList => 1,
            Read::Directory => 2,
            Read::CallData => 1,
        }
    }
}

/// What the planner says to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Start(Read),
    /// Something is wanted but there is no room in the window before this time.
    WaitUntil(Millis),
    /// A read is running, or nothing is wanted.
    Idle,
}

/// The overload-control budget of the CC-Gateway: requests per window per agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub requests: usize,
    pub window_ms: Millis,
}

impl Default for Budget {
    fn default() -> Self {
        // The gateway counts requests when they arrive; ours are counted when they leave. A
        // window 10% longer than the gateway's absorbs the difference in network delay.
        Budget { requests: 5, window_ms: 2_200 }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReadPlanner {
    budget: Budget,
    /// When each query request of the current window went out.
    sent: VecDeque<Millis>,
    /// Wanted reads, each at most once, in the order first asked (none starves).
    wanted: VecDeque<Read>,
    running: Option<Read>,
}

impl ReadPlanner {
    pub fn new(budget: Budget) -> ReadPlanner {
        ReadPlanner { budget, ..Default::default() }
    }

    /// Asks for a read. Asking again before it starts changes nothing.
    pub fn want(&mut self, read: Read) {
        // A resync reads the hold list too.
        if read == Read::HoldList && self.wanted.contains(&Read::Resync) {
            return;
        }
        if read == Read::Resync {
            self.wanted.retain(|r| *r != Read::HoldList);
        }
        if !self.wanted.contains(&read) {
            self.wanted.push_back(read);
        }
    }

    fn prune(&mut self, now: Millis) {
        while self.sent.front().is_some_and(|t| now.saturating_sub(*t) >= self.budget.window_ms) {
            self.sent.pop_front();
        }
    }

    /// The next read to start, if any may start now. Starting it is the caller's promise to
    /// call [`ReadPlanner::sent`] for each request and [`ReadPlanner::finished`] at the end.
    pub fn next(&mut self, now: Millis) -> Plan {
        if self.running.is_some() {
            return Plan::Idle;
        }
        let Some(&read) = self.wanted.front() else { return Plan::Idle };
        self.prune(now);
        let room = self.budget.requests.saturating_sub(self.sent.len());
        if room < read.cost() {
            // Room opens as the oldest requests leave the window.
            let needed = read.cost() - room;
            let until = self.sent.get(needed - 1).map_or(now, |t| t + self.budget.window_ms);
            return Plan::WaitUntil(until);
        }
        self.wanted.pop_front();
        self.running = Some(read);
        Plan::Start(read)
    }

    /// One query request of the running read went out.
    pub fn sent(&mut self, now: Millis) {
        self.prune(now);
        self.sent.push_back(now);
    }

    pub fn finished(&mut self) {
        self.running = None;
    }

    pub fn running(&self) -> Option<Read> {
        self.running
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays a planner through `wants` at the given times, running each read to its end at
    /// once; returns every request time.
    fn run(planner: &mut ReadPlanner, mut now: Millis, until: Millis) -> Vec<Millis> {
        let mut times = Vec::new();
        while now <= until {
            match planner.next(now) {
                Plan::Start(read) => {
                    for _ in 0..read.cost() {
                        planner.sent(now);
                        times.push(now);
                    }
                    planner.finished();
                }
                Plan::WaitUntil(t) if t <= until => now = t,
                Plan::WaitUntil(_) | Plan::Idle => break,
            }
        }
        times
    }

    fn max_in_window(times: &[Millis], window: Millis) -> usize {
        times
            .iter()
            .map(|t| times.iter().filter(|u| **u >= *t && **u < t + window).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn wanted_reads_take_turns() {
        let mut p = ReadPlanner::default();
        p.want(Read::Directory);
        p.want(Read::Resync);
        assert_eq!(p.next(0), Plan::Start(Read::Directory), "first asked, first read");
        (0..2).for_each(|_| p.sent(0));
        p.finished();
        p.want(Read::Directory);
        assert_eq!(p.next(0), Plan::Start(Read::Resync));
    }

    #[test]
    fn a_resync_covers_a_hold_list_refresh_and_repeats_coalesce() {
        let mut p = ReadPlanner::default();
        p.want(Read::HoldList);
        p.want(Read::Resync);
        p.want(Read::Resync);
        assert_eq!(p.next(0), Plan::Start(Read::Resync));
        p.want(Read::Resync); // asked while running: one more, later
        assert_eq!(p.next(1), Plan::Idle, "one read at a time");
        (0..3).for_each(|_| p.sent(1));
        p.finished();
        // 3 sent, room for 2: a second resync waits until the first requests leave the window.
        assert_eq!(p.next(2), Plan::WaitUntil(2_201));
        assert_eq!(p.next(2_201), Plan::Start(Read::Resync));
        (0..3).for_each(|_| p.sent(2_201));
        p.finished();
        assert_eq!(p.next(2_202), Plan::Idle);
    }

    #[test]
    fn a_storm_of_wants_never_goes_over_five_per_two_seconds() {
        let mut p = ReadPlanner::default();
        let mut all = Vec::new();
        for step in 0..200u64 {
            let now = step * 37;
            p.want([Read::Resync, Read::HoldList, Read::Directory][(step % 3) as usize]);
            all.extend(run(&mut p, now, now + 36));
        }
        // 7.4 s at 5 per 2.2 s is at most 20 requests; the budget is used, not wasted.
        assert!(all.len() >= 14, "reads still happen: {}", all.len());
        assert!(max_in_window(&all, 2_200) <= 5, "{}", max_in_window(&all, 2_200));
    }
}
