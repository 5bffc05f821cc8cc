//! The core's timers: at most one per (node, purpose), kept in deadline
//! order, so the next deadline — the wait's timeout — costs no scan of the
//! graph, and a graph with no timer armed never wakes up.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

/// What a timer is for. A feature that needs a timer of its own adds a
/// variant here and an arm in `Core::on_timer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Purpose {
    /// A node backing off may start (again).
    Start,
    /// A starting node's `ready_timeout` ran out.
    Ready,
    /// A stopping node's stop timeout ran out: SIGKILL.
    Stop,
    /// A start under way is to be looked at (`Input::Launching`).
    Launch,
    /// The init whose answer an ended node waits for is to be looked at
    /// (`Input::Clearing`).
    Clear,
    /// A probe's next attempt is due, or its attempt's timeout ran out.
    Probe(crate::probe::ProbeKind),
    /// A node's `WATCHDOG=1` was due: SIGABRT.
    Watchdog,
    /// A node aborted by its watchdog outlived its stop timeout: SIGKILL.
    Abort,
}

/// One timer: a node and what for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TimerKey {
    pub(crate) node: usize,
    pub(crate) purpose: Purpose,
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// Every armed timer, earliest first.
    queue: BTreeSet<(Instant, TimerKey)>,
    /// When each armed timer fires.
    armed: HashMap<TimerKey, Instant>,
}

impl Timers {
    /// Arms `key` to fire at `at`, replacing its previous deadline.
    pub(crate) fn arm(&mut self, key: TimerKey, at: Instant) {
        if let Some(old) = self.armed.insert(key, at) {
            self.queue.remove(&(old, key));
        }
        self.queue.insert((at, key));
    }

    /// Disarms `key`, if armed.
    pub(crate) fn cancel(&mut self, key: TimerKey) {
        if let Some(old) = self.armed.remove(&key) {
            self.queue.remove(&(old, key));
        }
    }

    /// Whether `key` is armed.
    pub(crate) fn is_armed(&self, key: TimerKey) -> bool {
        self.armed.contains_key(&key)
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.queue.first().map(|&(at, _)| at)
    }

    /// Disarms and returns the earliest timer due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerKey> {
        let &(at, key) = self.queue.first()?;
        if at > now {
            return None;
        }
        self.queue.pop_first();
        self.armed.remove(&key);
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timers_fire_in_deadline_order_and_rearming_replaces() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let key = |node, purpose| TimerKey { node, purpose };
        let mut timers = Timers::default();
        timers.arm(key(0, Purpose::Stop), at(30));
        timers.arm(key(1, Purpose::Start), at(10));
        timers.arm(key(0, Purpose::Stop), at(20));
        timers.arm(key(2, Purpose::Ready), at(40));
        timers.cancel(key(2, Purpose::Ready));
        assert_eq!(timers.next(), Some(at(10)));
        assert_eq!(timers.pop_due(at(5)), None);
        assert_eq!(timers.pop_due(at(25)), Some(key(1, Purpose::Start)));
        assert_eq!(timers.pop_due(at(25)), Some(key(0, Purpose::Stop)));
        assert_eq!(
            timers.pop_due(at(100)),
            None,
            "the replaced and cancelled ones are gone"
        );
        assert_eq!(timers.next(), None);
    }
}
