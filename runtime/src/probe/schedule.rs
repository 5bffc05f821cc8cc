//! When each probe of a node runs, and what its results mean: a pure state
//! machine over instants given by the caller (no clock, no I/O), so the
//! rules are tested with a fake clock. The caller runs an attempt when
//! [`Schedule::is_due`], reports how it ended, and carries out the
//! [`Verdict`].

use std::time::{Duration, Instant};

use process_graph_topology::ProbeInfo;

use super::{ProbeKind, ProbeResult, ProbeSnapshot};

/// Attempts are due on a grid of this step (rounded down, so two attempts
/// are never more than a period apart): the probes of nodes started
/// together come due at the same instant and share one wake-up.
const GRAIN: Duration = Duration::from_millis(10);

/// `at`, rounded down to the grid that starts at `origin` (never below
/// `floor`).
fn on_grid(at: Instant, origin: Instant, floor: Instant) -> Instant {
    let Some(since) = at.checked_duration_since(origin) else {
        return at.max(floor);
    };
    let steps = since.as_nanos() / GRAIN.as_nanos();
    let grid = origin + GRAIN * u32::try_from(steps).unwrap_or(u32::MAX);
    grid.max(floor)
}

/// What a probe result asks of the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing: probe again at the next period.
    Wait,
    /// The readiness probe passed: the node is ready (and this probe stops).
    Ready,
    /// The liveness probe failed `failure_threshold` times in a row, or
    /// timed out: kill the node (and this probe stops).
    Kill,
}

/// One probe of one node.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    kind: ProbeKind,
    period: Duration,
    timeout: Duration,
    threshold: u32,
    /// When the next attempt starts; `None` while not probing.
    due: Option<Instant>,
    /// The attempt in flight started at this instant.
    running_since: Option<Instant>,
    consecutive_failures: u32,
    last: Option<ProbeResult>,
    /// A log-line probe: nothing is run; a matching line is reported as a
    /// passed attempt while it listens.
    passive: bool,
    /// Between `begin` and `end`.
    active: bool,
    /// Where the grid of due instants starts: the same for every probe of
    /// a graph (given by `begin`).
    origin: Option<Instant>,
}

impl Schedule {
    pub(crate) fn new(info: &ProbeInfo, kind: ProbeKind) -> Self {
        Schedule {
            kind,
            period: Duration::from_millis(info.period_ms),
            timeout: Duration::from_millis(info.timeout_ms),
            threshold: info.failure_threshold,
            due: None,
            running_since: None,
            consecutive_failures: 0,
            last: None,
            passive: matches!(info.check, process_graph_topology::ProbeCheck::LogLine(_)),
            active: false,
            origin: None,
        }
    }

    /// Starts probing, the first attempt due at `at`: a readiness probe
    /// when its node starts, a liveness probe when its node becomes ready.
    /// Later attempts come due on the grid that starts at `origin`. Failures
    /// counted for an earlier process of the node are forgotten.
    pub(crate) fn begin(&mut self, now: Instant, origin: Instant) {
        self.active = true;
        self.origin = Some(origin);
        self.due = (!self.passive).then_some(now);
        self.running_since = None;
        self.consecutive_failures = 0;
    }

    /// Stops probing (the node ended, or is being stopped). The caller
    /// drops the attempt in flight, if any.
    pub(crate) fn end(&mut self) {
        self.active = false;
        self.due = None;
        self.running_since = None;
    }

    /// Whether a result is awaited: an attempt is in flight, or a log-line
    /// probe listens.
    pub(crate) fn in_flight(&self) -> bool {
        self.running_since.is_some() || (self.passive && self.active)
    }

    /// Whether an attempt should start now.
    pub(crate) fn is_due(&self, now: Instant) -> bool {
        self.running_since.is_none() && self.due.is_some_and(|due| due <= now)
    }

    /// An attempt started at `now`.
    pub(crate) fn started(&mut self, now: Instant) {
        self.due = None;
        self.running_since = Some(now);
    }

    /// Whether the attempt in flight has run past its timeout.
    pub(crate) fn timed_out(&self, now: Instant) -> bool {
        self.running_since
            .is_some_and(|since| since + self.timeout <= now)
    }

    /// The next instant at which something is due: an attempt to start, or
    /// the timeout of the one in flight.
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        match self.running_since {
            Some(since) => Some(since + self.timeout),
            None => self.due,
        }
    }

    /// Records how the attempt in flight ended, at `now`.
    pub(crate) fn finished(&mut self, result: ProbeResult, now: Instant) -> Verdict {
        let since = self.running_since.take().unwrap_or(now);
        let passed = result == ProbeResult::Passed;
        let timed_out = result == ProbeResult::TimedOut;
        self.last = Some(result);
        if passed {
            self.consecutive_failures = 0;
        } else {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        }
        let verdict = match self.kind {
            ProbeKind::Ready if passed => Verdict::Ready,
            ProbeKind::Live if timed_out || self.consecutive_failures >= self.threshold => {
                Verdict::Kill
            }
            _ => Verdict::Wait,
        };
        // One period after the attempt started (on the grid), or at once if
        // it took longer.
        let next = on_grid(since + self.period, self.origin.unwrap_or(since), now);
        self.due = (verdict == Verdict::Wait && !self.passive).then_some(next);
        self.active &= verdict == Verdict::Wait;
        verdict
    }

    pub(crate) fn snapshot(&self) -> ProbeSnapshot {
        ProbeSnapshot {
            kind: self.kind,
            last: self.last.clone(),
            consecutive_failures: self.consecutive_failures,
        }
    }

    /// How many attempts in a row have failed.
    pub(crate) fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }
}

#[cfg(test)]
mod tests {
    use process_graph_topology::ProbeCheck;

    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn probe(kind: ProbeKind) -> Schedule {
        let check = ProbeCheck::Tcp("127.0.0.1:1".into());
        let info = ProbeInfo {
            period_ms: 100,
            timeout_ms: 30,
            failure_threshold: 3,
            ..ProbeInfo::ready(check)
        };
        Schedule::new(&info, kind)
    }

    fn failed() -> ProbeResult {
        ProbeResult::Failed("connect 127.0.0.1:1 failed: refused".into())
    }

    #[test]
    fn nothing_is_due_before_it_begins_or_after_it_ends() {
        let t0 = Instant::now();
        let mut p = probe(ProbeKind::Live);
        assert_eq!((p.is_due(t0), p.next_timer()), (false, None));
        p.begin(t0, t0);
        assert!(p.is_due(t0));
        p.end();
        assert_eq!((p.is_due(t0 + 1000 * MS), p.next_timer()), (false, None));
    }

    #[test]
    fn a_readiness_probe_retries_every_period_until_it_passes_then_stops() {
        let t0 = Instant::now();
        let mut p = probe(ProbeKind::Ready);
        p.begin(t0, t0);
        p.started(t0);
        assert_eq!(
            p.next_timer(),
            Some(t0 + 30 * MS),
            "the timeout is the next timer"
        );
        assert_eq!(p.finished(failed(), t0 + MS), Verdict::Wait);
        assert!(!p.is_due(t0 + 50 * MS));
        assert!(!p.is_due(t0 + 100 * MS - GRAIN));
        let next = p.next_timer().unwrap();
        assert!(next <= t0 + 100 * MS, "at most one period after it started");
        assert!(next > t0 + 100 * MS - GRAIN, "on the grid just below");
        assert!(p.is_due(t0 + 100 * MS));
        p.started(t0 + 100 * MS);
        assert_eq!(
            p.finished(ProbeResult::TimedOut, t0 + 130 * MS),
            Verdict::Wait
        );
        assert_eq!(p.consecutive_failures(), 2);
        p.started(t0 + 200 * MS);
        assert_eq!(
            p.finished(ProbeResult::Passed, t0 + 201 * MS),
            Verdict::Ready
        );
        assert_eq!((p.next_timer(), p.consecutive_failures()), (None, 0));
        assert_eq!(p.snapshot().last, Some(ProbeResult::Passed));
    }

    #[test]
    fn a_liveness_probe_kills_after_the_threshold_in_a_row() {
        let t0 = Instant::now();
        let mut p = probe(ProbeKind::Live);
        p.begin(t0, t0);
        let mut at = t0;
        for (result, verdict) in [
            (failed(), Verdict::Wait),
            (failed(), Verdict::Wait),
            (ProbeResult::Passed, Verdict::Wait),
            (failed(), Verdict::Wait),
            (failed(), Verdict::Wait),
            (failed(), Verdict::Kill),
        ] {
            assert!(p.is_due(at));
            p.started(at);
            assert_eq!(p.finished(result, at + MS), verdict);
            at += 100 * MS;
        }
        assert_eq!(p.next_timer(), None, "a kill ends the probe");
        assert_eq!(p.snapshot().consecutive_failures, 3);
    }

    #[test]
    fn a_liveness_attempt_past_its_timeout_kills_at_once() {
        let t0 = Instant::now();
        let mut p = probe(ProbeKind::Live);
        p.begin(t0, t0);
        p.started(t0);
        assert!(!p.timed_out(t0 + 29 * MS));
        assert!(p.timed_out(t0 + 30 * MS));
        assert_eq!(
            p.finished(ProbeResult::TimedOut, t0 + 30 * MS),
            Verdict::Kill
        );
    }

    #[test]
    fn attempts_of_nodes_started_together_come_due_together() {
        let t0 = Instant::now();
        let timers: std::collections::BTreeSet<Instant> = (0..10u32)
            .map(|n| {
                // Ten nodes started within 5 ms of each other.
                let start = t0 + n * MS / 2;
                let mut p = probe(ProbeKind::Live);
                p.begin(start, t0);
                p.started(start);
                p.finished(ProbeResult::Passed, start);
                p.next_timer().unwrap()
            })
            .collect();
        // At most two grid instants (the five ms may straddle a step).
        assert!(timers.len() <= 2, "{timers:?}");
    }

    #[test]
    fn a_new_process_starts_with_no_failures() {
        let t0 = Instant::now();
        let mut p = probe(ProbeKind::Live);
        p.begin(t0, t0);
        p.started(t0);
        p.finished(failed(), t0);
        p.begin(t0 + 500 * MS, t0);
        assert_eq!(p.consecutive_failures(), 0);
        assert!(p.is_due(t0 + 500 * MS));
    }
}
