//! Starting nodes: passes over the agenda in index order, each starting
//! whatever may start — a node waiting, not held by a group restart, whose
//! `after` dependencies are ready — until a pass starts nothing. This is the
//! order `Deps::start_waves` plans edge lifetimes for.

use std::time::Instant;

use super::{
    Action, AfterStop, Core, IdChange, NodeRuntime, NodeState, Pass, Purpose, TimerKey, agenda,
    stop,
};
use crate::error::SpawnError;
use crate::exit::Outcome;
use crate::graph::NodeId;
use crate::policy::{NodeOptions, Restart};
use crate::supervise::Event;

/// How many starts through the carried program may be under way at once in
/// one [`launch_bucket`](Core::launch_bucket). Each holds a pidfd and a
/// report pipe until its report is read (and a second pidfd once a node's
/// clone has reported itself): a graph of hundreds of scoped
/// nodes, or of nodes that change their ids, started in one pass would
/// otherwise need twice its fds for a moment (and fail where
/// `RLIMIT_NOFILE` fits the graph running).
const STARTS_IN_FLIGHT_PER_BUCKET: u32 = 16;

/// The starts under way that one [`launch_bucket`](Core::launch_bucket)
/// counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Bucket {
    /// Those of the nodes of one scope (by index).
    Scope(usize),
    /// Those of the nodes outside scopes that change their ids, by the uid
    /// they take (`None`: they keep the application's).
    Uid(Option<u32>),
}

impl Core {
    /// Goes on with the start pass from where it stopped: up to the next
    /// node to spawn (handed out as [`Action::Spawn`], the pass resuming
    /// after it once the driver answered) or the end of the round.
    pub(super) fn continue_pass(&mut self, mut pass: Pass) {
        while self.outcome.is_none() {
            let Some(i) = self.agenda.next_from(pass.cursor) else {
                // A group done since the round began (its last member's
                // start given up at its look, `Action::CheckStart`) puts
                // its members back, some maybe behind the cursor: they are
                // looked at in this round, for no other need come.
                if !pass.progressed && !self.settle_groups() {
                    break;
                }
                pass = Pass {
                    cursor: 0,
                    progressed: false,
                };
                continue;
            };
            pass.cursor = i + 1;
            if self.nodes[i].state != NodeState::Waiting || self.held_by_group(i, &mut pass) {
                continue;
            }
            if let Some(dependency) = self.failed_dependency(i) {
                self.nodes[i].state = NodeState::Failed;
                let (node, dependency) = (NodeId::from_index(i), NodeId::from_index(dependency));
                self.emit(Event::DependencyFailed { node, dependency });
                self.stop_graph(Outcome::DependencyFailed { node, dependency });
                break;
            }
            if !self.held_starts.contains(&i)
                && !self.launches_busy(i)
                && self.dependencies_ready(i)
            {
                pass.progressed = true;
                self.pass = Some(pass);
                self.outbox.push_back(Action::Spawn(i));
                return;
            }
        }
        // Each node on the agenda that can no longer start has its edges
        // let go of when it first cannot (the driver also does right after
        // a spawn), not at every round it stays on the agenda (a
        // shutdown's). Whatever makes a node unable to start puts it on
        // the agenda (`tests/releases.rs` checks this on random runs).
        let stopping = self.outcome.is_some();
        for i in self.agenda.iter() {
            let node = &mut self.nodes[i];
            let may = may_start(node, &self.options[i], stopping);
            if !may && !node.released {
                self.outbox.push_back(Action::ReleaseEdgesOf(i));
            }
            node.released = !may;
        }
        // A node held leaves the agenda; its group, once done, puts it
        // back. One done by now does so here, not at the next round, which
        // might not come: nodes held by a group with no member alive are
        // off the agenda of a graph that looks finished.
        self.settle_groups();
        let (nodes, deps, groups) = (&self.nodes, &self.deps, &self.groups);
        let undecided = &self.undecided;
        self.agenda.settle(|i| {
            let waits = match nodes[i].state {
                NodeState::Waiting => groups.iter().any(|g| g.contains(i)),
                _ => stop::stop_waits(nodes, deps, i),
            };
            agenda::pending(&nodes[i], undecided.contains_key(&i), waits)
        });
    }

    /// Node `i`'s start is under way at `now`, its answer to come: it is
    /// starting, and alive (a process, the carried program, exists), so
    /// that a stop or group restart waits for it.
    pub(super) fn launching(&mut self, i: usize, now: Instant) {
        self.begin_start(i);
        if let Some(bucket) = self.launch_bucket(i) {
            *self.launching_in.entry(bucket).or_default() += 1;
        }
        let node = &mut self.nodes[i];
        node.launching = true;
        node.state = NodeState::Starting;
        let key = TimerKey {
            node: i,
            purpose: Purpose::Launch,
        };
        self.timers.arm(key, now + crate::held_up::FIRST_LOOK);
    }

    /// A start begins: the node counts as alive, and the marks of its last
    /// process go.
    fn begin_start(&mut self, i: usize) {
        self.agenda.started();
        self.timers.cancel(TimerKey {
            node: i,
            purpose: Purpose::Start,
        });
        let node = &mut self.nodes[i];
        node.killed_after_timeout = false;
        node.killed_by_probe = false;
    }

    /// Node `i`'s start under way, if any, has its answer: it no longer
    /// counts against its scope's starts, nor is looked at. Whether there
    /// was one (the start then began at `Launching`).
    fn end_launch(&mut self, i: usize) -> bool {
        if !std::mem::take(&mut self.nodes[i].launching) {
            return false;
        }
        self.timers.cancel(TimerKey {
            node: i,
            purpose: Purpose::Launch,
        });
        if let Some(bucket) = self.launch_bucket(i)
            && let Some(count) = self.launching_in.get_mut(&bucket)
        {
            *count -= 1;
            if *count == 0 {
                self.launching_in.remove(&bucket);
            }
        }
        true
    }

    /// Node `i` was started at `now`.
    pub(super) fn spawned(&mut self, i: usize, pid: u32, ready_at_exec: bool, now: Instant) {
        if !self.end_launch(i) {
            self.begin_start(i);
        }
        let node = &mut self.nodes[i];
        if node.started_at.is_some() {
            node.restarts += 1;
        }
        // Asked to stop while its start was under way: its stop signal goes
        // out now that there is a process to take it.
        if node.stop_requested.is_some() {
            self.agenda.mark(i);
        }
        node.started_at = Some(now);
        node.was_ready = ready_at_exec;
        node.state = if ready_at_exec {
            NodeState::Running
        } else {
            NodeState::Starting
        };
        if let Some(timeout) = self.options[i].rare().ready_timeout {
            self.timers.arm(
                TimerKey {
                    node: i,
                    purpose: Purpose::Ready,
                },
                now + timeout,
            );
        }
        // As systemd, from the start: a node pings while it starts up too.
        self.watchdog_ping(i, now);
        self.emit(Event::Started {
            node: NodeId::from_index(i),
            pid,
        });
        if ready_at_exec {
            self.became_ready(i, now);
        } else {
            self.begin_probe(i, crate::probe::ProbeKind::Ready, now, now);
        }
    }

    /// Node `i` could not be started.
    pub(super) fn spawn_failed(&mut self, i: usize, error: SpawnError, now: Instant) {
        let launched = self.end_launch(i);
        // The program that was starting it is reaped.
        if launched {
            self.agenda.reaped();
        }
        self.agenda.mark(i);
        // Asked to stop while its start was under way (a removal, a restart,
        // a stop whose timeout killed the start): it ended as the stop
        // meant, not as a node that cannot start.
        match launched
            .then(|| self.nodes[i].stop_requested.take())
            .flatten()
        {
            Some(after) => {
                self.timers.cancel(TimerKey {
                    node: i,
                    purpose: Purpose::Stop,
                });
                self.end_as_asked(i, after, now);
            }
            None => {
                self.nodes[i].state = NodeState::Failed;
                let node = NodeId::from_index(i);
                self.emit(Event::StartFailed { node, error });
                if self.options[i].critical {
                    self.stop_graph(Outcome::Critical { node });
                }
            }
        }
        // Down now, after its start under way: the stops of the nodes it
        // depends on may go.
        if launched {
            self.wake_dependencies(i, now);
        }
    }

    /// Node `i`'s bucket has as many starts under way as may be: it stays
    /// waiting, on the agenda, and the pass after one of them ends starts
    /// it.
    fn launches_busy(&self, i: usize) -> bool {
        self.launch_bucket(i).is_some_and(|bucket| {
            self.launching_in.get(&bucket).copied().unwrap_or(0) >= STARTS_IN_FLIGHT_PER_BUCKET
        })
    }

    /// Which starts under way node `i`'s counts among: its scope's, or,
    /// outside scopes, those of the nodes that change their ids to the same
    /// uid; none for a node started directly. By who may hold a start up:
    /// root in a scope may stop or slow the starts into it
    /// (`tests/scope_slowed_exec.rs`), and a node running as a uid those
    /// of the nodes dropping to that uid, whose program it may signal. So
    /// starts held up by one scope or uid hold up no other's, and nodes
    /// started directly never wait.
    fn launch_bucket(&self, i: usize) -> Option<Bucket> {
        match (self.options[i].rare().scope, self.nodes[i].ids) {
            (Some(scope), _) => Some(Bucket::Scope(scope.index())),
            (None, IdChange::Uid(uid)) => Some(Bucket::Uid(Some(uid))),
            (None, IdChange::Groups) => Some(Bucket::Uid(None)),
            (None, IdChange::None) => None,
        }
    }

    /// A member of a group restart waits until every member is down. A
    /// group found done here puts back members held off the agenda, maybe
    /// behind the cursor: another pass follows.
    fn held_by_group(&mut self, i: usize, pass: &mut Pass) -> bool {
        pass.progressed |= self.settle_groups();
        self.groups.iter().any(|g| g.contains(i))
    }

    fn dependencies_ready(&self, i: usize) -> bool {
        self.deps.after(i).iter().all(|&d| self.is_ready(d))
    }

    /// Ready for the nodes that start `after` it: running and ready (a
    /// reload does not take that back), or done (a one-shot job that exited
    /// 0).
    fn is_ready(&self, i: usize) -> bool {
        matches!(
            self.nodes[i].state,
            NodeState::Running | NodeState::Reloading
        ) || self.nodes[i].completed()
    }

    /// The first node that has not started, and the first node it starts
    /// `after` that is not ready (itself if there is none).
    pub(crate) fn first_waiting(&self) -> (NodeId, NodeId) {
        let waiting = (0..self.nodes.len())
            .find(|&i| self.nodes[i].started_at.is_none() && !self.nodes[i].state.is_final())
            .unwrap_or_default();
        let dependency = self
            .deps
            .after(waiting)
            .iter()
            .copied()
            .find(|&d| !self.is_ready(d))
            .unwrap_or(waiting);
        (NodeId::from_index(waiting), NodeId::from_index(dependency))
    }

    /// A dependency that ended for good without completing.
    fn failed_dependency(&self, i: usize) -> Option<usize> {
        self.deps.after(i).iter().copied().find(|&d| {
            let dep = &self.nodes[d];
            dep.state == NodeState::Failed || (dep.state == NodeState::Stopped && !dep.completed())
        })
    }

    /// Whether node `i` may still be started (again); its edge fds are held
    /// for it until it may not.
    pub(crate) fn may_start(&self, i: usize) -> bool {
        may_start(&self.nodes[i], &self.options[i], self.outcome.is_some())
    }
}

/// `stopping`: the graph is being stopped.
fn may_start(node: &NodeRuntime, options: &NodeOptions, stopping: bool) -> bool {
    match node.state {
        NodeState::Waiting | NodeState::BackingOff | NodeState::Exited => true,
        NodeState::Stopped | NodeState::Failed => false,
        NodeState::Starting | NodeState::Running | NodeState::Reloading | NodeState::Stopping => {
            !stopping
                && match node.stop_requested {
                    Some(after) => after == AfterStop::Restart,
                    None => options.restart != Restart::Never,
                }
        }
    }
}
