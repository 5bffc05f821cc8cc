//! What happens when a node ends: its restart policy, the graph's intensity
//! limit and strategy, its backoff — decided, handed to the application
//! with the `Exited` event, then carried out.

use std::time::{Duration, Instant};

use super::levels::Unit;
use super::{AfterStop, Core, Group, NodeState, Purpose, TimerKey, Verdict};
use crate::exit::{ExitStatus, Outcome};
use crate::graph::{NodeId, SubgraphFailure};
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
            Purpose::Clear,
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
        // The levels that give up on this exit, told after the exit itself.
        let mut unit_failures = Vec::new();
        let decision = if let Some(after) = node.stop_requested.take() {
            match self.end_as_asked(i, after, now) {
                Some(delay) => Decision::Restart { delay },
                None => Decision::Leave,
            }
        } else {
            let verdict = self.decide_exit(i, status, now, &mut unit_failures);
            self.undecided.insert(i, verdict);
            verdict.decision
        };
        self.emit(Event::Exited {
            node: NodeId::from_index(i),
            status,
            decision,
        });
        unit_failures.into_iter().for_each(|e| self.emit(e));
        // Down now: the stops of the nodes it depends on may go.
        self.wake_dependencies(i, now);
    }

    /// What the policies say about a node that ended on its own; the
    /// `SubgraphFailed` events of the levels that give up go to
    /// `unit_failures`.
    fn decide_exit(
        &mut self,
        i: usize,
        status: ExitStatus,
        now: Instant,
        unit_failures: &mut Vec<Event>,
    ) -> Verdict {
        let options = &self.options[i];
        let node = NodeId::from_index(i);
        if self.outcome.is_some() {
            return Verdict::new(Decision::Leave);
        }
        if options.restart.applies_to(status) {
            let delay = options.rare().backoff.delay(self.nodes[i].backoff_attempt);
            if let Some(restart) = self.restart_under_way(i) {
                return Verdict {
                    restart: Some(restart),
                    joins: true,
                    ..Verdict::new(Decision::Restart { delay })
                };
            }
            return match self.restart_level(i, now, unit_failures) {
                Ok(restart) => Verdict {
                    restart: Some(restart),
                    ..Verdict::new(Decision::Restart { delay })
                },
                Err(exceeded) => Verdict {
                    cause: Some(Outcome::RestartIntensity { node }),
                    exceeded: Some(exceeded),
                    ..Verdict::new(Decision::StopGraph)
                },
            };
        }
        if options.critical {
            return Verdict {
                cause: Some(Outcome::Critical { node }),
                ..Verdict::new(Decision::StopGraph)
            };
        }
        Verdict::new(Decision::Leave)
    }

    /// Where the restart of node `i` is allowed, going up the levels as OTP
    /// does: the node's own level, if its intensity allows one more restart;
    /// else the subgraph fails as a unit and the enclosing level restarts
    /// it whole (if its own intensity allows, and the subgraph's policy is
    /// not to escalate), and so on up. When the top gives up: the level
    /// whose intensity was exceeded last (below the top when a subgraph
    /// escalated), which the error names.
    fn restart_level(
        &mut self,
        i: usize,
        now: Instant,
        unit_failures: &mut Vec<Event>,
    ) -> Result<(usize, Unit), usize> {
        let mut level = self.levels.level_of(i);
        let mut unit = Unit::Node(i);
        let mut may_restart = true;
        let mut exceeded = level;
        loop {
            if may_restart {
                let recent = self.levels.get_mut(level).recent_restarts(now);
                let max = self.levels.get(level).intensity.max_restarts as usize;
                if recent + self.proposed_restarts(level) < max {
                    return Ok((level, unit));
                }
                exceeded = level;
            }
            // This level gives up: it fails as a unit to its parent, which
            // restarts it or gives up in turn, as its policy says.
            let parent = self.levels.get(level).parent.ok_or(exceeded)?;
            let on_failure = self.levels.get(level).on_failure;
            unit_failures.push(Event::SubgraphFailed {
                subgraph: self.levels.path(level).to_owned(),
                node: NodeId::from_index(i),
                on_failure,
            });
            unit = Unit::Subgraph(level);
            level = parent;
            may_restart = on_failure == SubgraphFailure::Restart;
        }
    }

    /// Restarts at `level` proposed but not yet carried out (and so not yet
    /// in its restart log): exits reaped together are each decided before
    /// any is applied, and each must count against the intensity.
    fn proposed_restarts(&self, level: usize) -> usize {
        self.proposals()
            .filter(|(node, verdict)| {
                matches!(verdict.decision, Decision::Restart { .. })
                    && !verdict.joins
                    && verdict
                        .restart
                        .map_or(self.levels.level_of(*node), |(l, _)| l)
                        == level
            })
            .count()
    }

    /// A restart decided for another node and not yet carried out that
    /// brings node `i` down anyway: its level and unit.
    fn restart_under_way(&self, i: usize) -> Option<(usize, Unit)> {
        self.proposals()
            .filter(|&(node, verdict)| {
                node != i && !verdict.joins && matches!(verdict.decision, Decision::Restart { .. })
            })
            .filter_map(|(_, verdict)| verdict.restart)
            .find(|&(level, unit)| self.restarted_with(level, unit).contains(&i))
    }

    /// The decisions about exits not yet carried out, by node.
    fn proposals(&self) -> impl Iterator<Item = (usize, &Verdict)> {
        self.undecided
            .iter()
            .map(|(&node, verdict)| (node, verdict))
            .chain(self.pending.iter().map(|(node, verdict)| (*node, verdict)))
    }

    /// Carries out every decision nobody will see (`wait`).
    pub(crate) fn apply_undecided(&mut self, now: Instant) {
        while let Some((i, verdict)) = self.undecided.pop_first() {
            self.apply(i, verdict, now);
        }
    }

    /// Carries out a decision about node `i`, which has ended.
    pub(super) fn apply(&mut self, i: usize, verdict: Verdict, now: Instant) {
        self.undecided.remove(&i);
        if self.nodes[i].state != NodeState::Exited {
            return;
        }
        match verdict.decision {
            Decision::Leave => self.nodes[i].state = NodeState::Stopped,
            Decision::StopGraph => {
                self.nodes[i].state = NodeState::Stopped;
                if self.outcome.is_none() {
                    self.exceeded = verdict.exceeded;
                }
                self.stop_graph(verdict.cause.unwrap_or(Outcome::Shutdown));
            }
            // Counted with the restart it joins, and started with it.
            Decision::Restart { delay } if verdict.joins => {
                let at = self.group_at(i).unwrap_or(now + delay).max(now);
                self.schedule(i, at, now);
            }
            Decision::Restart { delay } => {
                let (level, unit) = verdict
                    .restart
                    .unwrap_or((self.levels.level_of(i), Unit::Node(i)));
                self.levels.get_mut(level).log_restart(now);
                if let Unit::Subgraph(failed) = unit {
                    self.levels.forget_restarts_within(failed);
                }
                let node = &mut self.nodes[i];
                node.backoff_attempt = node.backoff_attempt.saturating_add(1);
                let at = now + delay;
                self.schedule(i, at, now);
                let members = self.restarted_with(level, unit);
                if members.len() > 1 {
                    self.restart_group(i, members, at);
                }
            }
        }
    }

    /// The nodes a restart of `unit` at `level` brings down, by the level's
    /// strategy: the unit alone, every node of the level, or the unit and
    /// whatever of the level depends on it.
    fn restarted_with(&self, level: usize, unit: Unit) -> Vec<usize> {
        let nodes = self.levels.nodes_of(unit);
        match self.levels.get(level).strategy {
            Strategy::OneForOne => nodes,
            Strategy::OneForAll => self.levels.members(level).collect(),
            Strategy::RestForOne => {
                let mut all: Vec<usize> = nodes
                    .into_iter()
                    .flat_map(|n| self.deps.with_dependents(n))
                    .filter(|&n| self.levels.contains(level, n))
                    .collect();
                all.sort_unstable();
                all.dedup();
                all
            }
        }
    }

    /// Stops the other members of a group restart; each running member that
    /// may be restarted starts again, with `failed`, once all are down. A
    /// member already down and due to start again waits for them too; one
    /// being stopped for good (removed, say) stays down.
    fn restart_group(&mut self, failed: usize, members: Vec<usize>, at: Instant) {
        let mut group = vec![failed];
        for m in members.into_iter().filter(|&m| m != failed) {
            let node = &self.nodes[m];
            if node.removed || node.stop_requested == Some(AfterStop::Leave) {
                continue;
            }
            if !node.state.is_alive() {
                if matches!(
                    node.state,
                    NodeState::Waiting | NodeState::BackingOff | NodeState::Exited
                ) {
                    group.push(m);
                }
                continue;
            }
            if self.options[m].restart == Restart::Never {
                self.request_stop(m, AfterStop::Leave);
            } else {
                self.request_stop(m, AfterStop::Restart);
                group.push(m);
            }
        }
        self.groups.push(Group::new(group, at));
    }

    /// When the group restart node `i` is part of starts it again, if any
    /// (the latest, when it is in several).
    fn group_at(&self, i: usize) -> Option<Instant> {
        self.groups
            .iter()
            .filter(|g| g.contains(i))
            .map(|g| g.at)
            .max()
    }

    /// Node `i` ended, or its start failed, while a stop asked for it was
    /// under way: it goes as the stop meant — started again after a
    /// restart's stop (at its group's time) while the graph goes on, else
    /// down for good (a removal always asks for that: `request_stop`). The
    /// delay until it starts again, if it does.
    pub(super) fn end_as_asked(
        &mut self,
        i: usize,
        after: AfterStop,
        now: Instant,
    ) -> Option<Duration> {
        if after != AfterStop::Restart || self.outcome.is_some() {
            self.nodes[i].state = NodeState::Stopped;
            return None;
        }
        let at = self.group_at(i).unwrap_or(now).max(now);
        self.schedule(i, at, now);
        Some(at - now)
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
