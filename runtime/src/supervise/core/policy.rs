//! What happens when a node ends: its restart policy, the graph's intensity
//! limit and strategy, its backoff — decided, handed to the application
//! with the `Exited` event, then carried out.

use std::time::Instant;

use super::{AfterStop, Core, NodeState, Purpose, TimerKey};
use crate::exit::{ExitStatus, Outcome};
use crate::graph::NodeId;
use crate::policy::{Restart, Strategy};
use crate::supervise::{Decision, Event};

impl Core {
    /// Handles a node's end: runtime-caused exits are settled at once; any
    /// other gets a decision the application may still change.
    pub(super) fn on_exit(&mut self, i: usize, status: ExitStatus, now: Instant) {
        self.agenda.mark(i);
        self.agenda.reaped();
        for purpose in [
            Purpose::Ready,
            Purpose::Stop,
            Purpose::Watchdog,
            Purpose::Abort,
        ] {
            self.timers.cancel(TimerKey { node: i, purpose });
        }
        self.end_probes(i);
        let node = &mut self.nodes[i];
        node.last_exit = Some(status);
        // A one-shot job is done (ready for those `after` it) when it exits 0.
        if self.options[i].oneshot && status.success() {
            node.was_ready = true;
        }
        node.state = NodeState::Exited;
        // A run that stayed up longer than the backoff's cap starts it over.
        let backoff_cap = self.options[i].rare().backoff.max;
        if node
            .started_at
            .is_some_and(|start| now.duration_since(start) >= backoff_cap)
        {
            node.backoff_attempt = 0;
        }
        let decision = if let Some(after) = node.stop_requested.take() {
            if after == AfterStop::Restart && self.outcome.is_none() {
                let at = self.group_at.unwrap_or(now).max(now);
                self.schedule(i, at, now);
                Decision::Restart { delay: at - now }
            } else {
                self.nodes[i].state = NodeState::Stopped;
                Decision::Leave
            }
        } else {
            let (decision, cause) = self.decide_exit(i, status, now);
            self.undecided.insert(i, (decision, cause));
            decision
        };
        self.emit(Event::Exited {
            node: NodeId::from_index(i),
            status,
            decision,
        });
    }

    /// What the policies say about a node that ended on its own.
    fn decide_exit(
        &mut self,
        i: usize,
        status: ExitStatus,
        now: Instant,
    ) -> (Decision, Option<Outcome>) {
        let options = &self.options[i];
        let node = NodeId::from_index(i);
        if self.outcome.is_some() {
            return (Decision::Leave, None);
        }
        if options.restart.applies_to(status) {
            let window = self.intensity.period;
            while self
                .restart_log
                .front()
                .is_some_and(|&t| now.duration_since(t) > window)
            {
                self.restart_log.pop_front();
            }
            if self.restart_log.len() + self.proposed_restarts()
                >= self.intensity.max_restarts as usize
            {
                return (
                    Decision::StopGraph,
                    Some(Outcome::RestartIntensity { node }),
                );
            }
            let delay = options.rare().backoff.delay(self.nodes[i].backoff_attempt);
            return (Decision::Restart { delay }, None);
        }
        if options.critical {
            return (Decision::StopGraph, Some(Outcome::Critical { node }));
        }
        (Decision::Leave, None)
    }

    /// Restarts proposed but not yet carried out (and so not yet in the
    /// restart log): exits reaped together are each decided before any is
    /// applied, and each must count against the intensity.
    fn proposed_restarts(&self) -> usize {
        self.undecided
            .values()
            .chain(self.pending.iter().map(|(_, verdict)| verdict))
            .filter(|(decision, _)| matches!(decision, Decision::Restart { .. }))
            .count()
    }

    /// Carries out every decision nobody will see (`wait`).
    pub(crate) fn apply_undecided(&mut self, now: Instant) {
        while let Some((i, (decision, cause))) = self.undecided.pop_first() {
            self.apply(i, decision, cause, now);
        }
    }

    /// Carries out a decision about node `i`, which has ended.
    pub(super) fn apply(
        &mut self,
        i: usize,
        decision: Decision,
        cause: Option<Outcome>,
        now: Instant,
    ) {
        self.undecided.remove(&i);
        if self.nodes[i].state != NodeState::Exited {
            return;
        }
        match decision {
            Decision::Leave => self.nodes[i].state = NodeState::Stopped,
            Decision::StopGraph => {
                self.nodes[i].state = NodeState::Stopped;
                self.stop_graph(cause.unwrap_or(Outcome::Shutdown));
            }
            Decision::Restart { delay } => {
                self.restart_log.push_back(now);
                let node = &mut self.nodes[i];
                node.backoff_attempt = node.backoff_attempt.saturating_add(1);
                let at = now + delay;
                self.schedule(i, at, now);
                let members = match self.strategy {
                    Strategy::OneForOne => vec![i],
                    Strategy::OneForAll => (0..self.nodes.len()).collect(),
                    Strategy::RestForOne => self.deps.with_dependents(i),
                };
                if members.len() > 1 {
                    self.restart_group(i, members, at);
                }
            }
        }
    }

    /// Stops the other members of a group restart; each running member that
    /// may be restarted starts again, with `failed`, once all are down.
    fn restart_group(&mut self, failed: usize, members: Vec<usize>, at: Instant) {
        let mut group = vec![failed];
        for m in members.into_iter().filter(|&m| m != failed) {
            if !self.nodes[m].state.is_alive() {
                continue;
            }
            if self.options[m].restart == Restart::Never {
                self.request_stop(m, AfterStop::Leave);
            } else {
                self.request_stop(m, AfterStop::Restart);
                group.push(m);
            }
        }
        self.group = group;
        self.group_at = Some(at);
    }

    /// Marks a node to start at `at` (after its dependencies are ready).
    pub(super) fn schedule(&mut self, i: usize, at: Instant, now: Instant) {
        self.agenda.mark(i);
        let key = TimerKey {
            node: i,
            purpose: Purpose::Start,
        };
        let node = &mut self.nodes[i];
        if at > now {
            node.state = NodeState::BackingOff;
            self.timers.arm(key, at);
        } else {
            node.state = NodeState::Waiting;
            self.timers.cancel(key);
        }
    }
}
