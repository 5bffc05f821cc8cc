//! Probes in the core: when each attempt starts (a timer per node and
//! probe), and what its result means — a readiness probe that passes makes
//! its node ready; a liveness probe that fails `failure_threshold` times in
//! a row, or runs past its timeout, kills its node with its stop signal
//! (SIGKILL after its stop timeout), and the exit is then decided by the
//! node's restart policy like any other. The attempts themselves are the
//! driver's ([`Action::StartProbe`], [`Input::ProbeResult`](super::Input::ProbeResult)).

use std::time::Instant;

use super::{Action, Core, NodeState, Purpose, TimerKey};
use crate::graph::NodeId;
use crate::probe::schedule::{Schedule, Verdict};
use crate::probe::{ProbeKind, ProbeResult, ProbeSnapshot};
use crate::supervise::Event;

/// Per node: its readiness and its liveness probe, if declared.
pub(crate) type NodeProbes = [Option<Schedule>; 2];

pub(super) fn of(options: &crate::policy::NodeOptions) -> Option<Box<NodeProbes>> {
    let options = options.rare();
    if options.ready_probe.is_none() && options.live_probe.is_none() {
        return None;
    }
    Some(Box::new([
        options
            .ready_probe
            .as_ref()
            .map(|info| Schedule::new(info, ProbeKind::Ready)),
        options
            .live_probe
            .as_ref()
            .map(|info| Schedule::new(info, ProbeKind::Live)),
    ]))
}

fn slot(kind: ProbeKind) -> usize {
    match kind {
        ProbeKind::Ready => 0,
        ProbeKind::Live => 1,
    }
}

/// Node `i`'s probe `kind`, if it has one.
fn schedule(
    probes: &mut [Option<Box<NodeProbes>>],
    i: usize,
    kind: ProbeKind,
) -> Option<&mut Schedule> {
    probes.get_mut(i)?.as_mut()?[slot(kind)].as_mut()
}

impl Core {
    /// Begins probe `kind` of node `i` at `now`, with its first attempt due
    /// `at` (started at once if that is now).
    pub(super) fn begin_probe(&mut self, i: usize, kind: ProbeKind, at: Instant, now: Instant) {
        let origin = *self.probe_grid.get_or_insert(now);
        let Some(probe) = schedule(&mut self.probes, i, kind) else {
            return;
        };
        probe.begin(at, origin);
        self.run_probe(i, kind, now);
    }

    /// Ends node `i`'s probes (it ended, or is being stopped).
    pub(super) fn end_probes(&mut self, i: usize) {
        self.end_probe(i, ProbeKind::Ready);
        self.end_probe(i, ProbeKind::Live);
    }

    /// Ends node `i`'s probe `kind`; an attempt in flight is cancelled.
    pub(super) fn end_probe(&mut self, i: usize, kind: ProbeKind) {
        let Some(probe) = schedule(&mut self.probes, i, kind) else {
            return;
        };
        if probe.in_flight() {
            self.outbox.push_back(Action::CancelProbe(i, kind));
        }
        probe.end();
        self.timers.cancel(TimerKey {
            node: i,
            purpose: Purpose::Probe(kind),
        });
    }

    /// Does what is due at `now` (its timer fired): the attempt in flight
    /// ran past its timeout, or the next attempt starts.
    pub(super) fn run_probe(&mut self, i: usize, kind: ProbeKind, now: Instant) {
        let Some(probe) = schedule(&mut self.probes, i, kind) else {
            return;
        };
        if probe.timed_out(now) {
            self.outbox.push_back(Action::CancelProbe(i, kind));
            self.probe_result(i, kind, ProbeResult::TimedOut, now);
            return;
        }
        if probe.is_due(now) {
            probe.started(now);
            self.outbox.push_back(Action::StartProbe(i, kind));
        }
        self.rearm_probe(i, kind);
    }

    /// Node `i`'s probe `kind` ended its attempt with `result`.
    pub(super) fn probe_result(
        &mut self,
        i: usize,
        kind: ProbeKind,
        result: ProbeResult,
        now: Instant,
    ) {
        let Some(probe) = schedule(&mut self.probes, i, kind) else {
            return;
        };
        if !probe.in_flight() {
            return; // Ended or cancelled meanwhile.
        }
        let verdict = probe.finished(result.clone(), now);
        let failures = probe.consecutive_failures();
        self.rearm_probe(i, kind);
        let node = NodeId::from_index(i);
        match verdict {
            Verdict::Ready => self.mark_ready(i, now),
            Verdict::Kill => {
                self.emit(Event::ProbeKilled {
                    node,
                    result,
                    failures,
                });
                self.kill_by_probe(i, now);
            }
            Verdict::Wait if result != ProbeResult::Passed => {
                self.emit(Event::ProbeFailed {
                    node,
                    probe: kind,
                    result,
                    failures,
                });
            }
            Verdict::Wait => {}
        }
    }

    /// Keeps the probe's timer at its next deadline.
    fn rearm_probe(&mut self, i: usize, kind: ProbeKind) {
        let key = TimerKey {
            node: i,
            purpose: Purpose::Probe(kind),
        };
        match schedule(&mut self.probes, i, kind).and_then(|p| p.next_timer()) {
            Some(at) => self.timers.arm(key, at),
            None => self.timers.cancel(key),
        }
    }

    /// Stops node `i` as a stop would — its stop signal, SIGKILL after its
    /// stop timeout — but leaves what follows to its restart policy: the
    /// node failed.
    fn kill_by_probe(&mut self, i: usize, now: Instant) {
        self.end_probes(i);
        let node = &mut self.nodes[i];
        if !node.state.is_alive() || node.state == NodeState::Stopping {
            return;
        }
        node.killed_by_probe = true;
        self.agenda.mark(i);
        self.send_stop_signal(i, now);
    }

    /// What node `i`'s probes have seen, for its snapshot.
    pub(crate) fn probe_snapshots(&self, i: usize) -> Vec<ProbeSnapshot> {
        let probes = self.probes[i].iter().flat_map(|p| p.iter().flatten());
        probes.map(Schedule::snapshot).collect()
    }
}
