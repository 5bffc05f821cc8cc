//! Stopping nodes in order: a node is sent its stop signal only once every
//! node that depends on it and is being stopped too has ended — dependents
//! first, the reverse of the start order — and is SIGKILLed, with its whole
//! process group and cgroup, when its stop timeout runs out. A node that
//! says `STOPPING=1` is stopping the same way, on its own initiative.

use std::time::Instant;

use super::{Action, AfterStop, Core, Deps, NodeRuntime, NodeState, Purpose, TimerKey};
use crate::exit::Outcome;
use crate::graph::NodeId;
use crate::signal::Signal;
use crate::supervise::{Event, trace};

impl Core {
    /// Asks node `i` to stop, and to do `after` once it has.
    pub(crate) fn request_stop(&mut self, i: usize, after: AfterStop) {
        self.agenda.mark(i);
        let node = &mut self.nodes[i];
        // A removed node is stopped for good, whatever asks for it next.
        let after = if node.removed {
            AfterStop::Leave
        } else {
            after
        };
        if node.state.is_alive() {
            node.stop_requested = Some(after);
        } else if !node.state.is_final() {
            node.state = NodeState::Stopped;
            self.undecided.remove(&i);
        }
    }

    /// Removes node `i`: stops it for good (after the nodes that depend on
    /// it and are being stopped too) and marks it removed.
    pub(crate) fn remove(&mut self, i: usize) {
        if let Some(live) = &mut self.live_names
            && !self.nodes[i].removed
        {
            live.remove(self.names[i].as_str());
        }
        self.nodes[i].removed = true;
        self.request_stop(i, AfterStop::Leave);
    }

    /// Node `i` was removed and has ended: what it held may go.
    pub(crate) fn is_gone(&self, i: usize) -> bool {
        self.nodes[i].removed && self.nodes[i].state.is_final()
    }

    /// Restarts node `i` as soon as it is down.
    pub(crate) fn request_restart(&mut self, i: usize, now: Instant) {
        if self.outcome.is_some() || self.nodes[i].removed {
            return;
        }
        if self.nodes[i].state.is_alive() {
            self.request_stop(i, AfterStop::Restart);
        } else {
            self.undecided.remove(&i);
            self.schedule(i, now, now);
        }
    }

    /// Stops the whole graph for `cause` (the first cause wins).
    pub(crate) fn stop_graph(&mut self, cause: Outcome) {
        if self.outcome.is_none() {
            trace::graph_stops(&self.names, cause);
        }
        self.outcome.get_or_insert(cause);
        self.pending = None;
        for i in 0..self.nodes.len() {
            self.request_stop(i, AfterStop::Leave);
        }
    }

    /// Sends the stop signals whose turn has come, arming each node's stop
    /// timeout (SIGKILL when it runs out: `on_timer`).
    pub(super) fn progress_stops(&mut self, now: Instant) {
        for i in self.agenda.nodes() {
            self.stop_if_due(i, now);
        }
    }

    /// Sends node `i` its stop signal if one was asked for, it is alive,
    /// and its turn has come (no dependent of it is still being stopped).
    fn stop_if_due(&mut self, i: usize, now: Instant) {
        let node = &self.nodes[i];
        // Stopping: the signal was sent and the timer is armed.
        if node.stop_requested.is_none()
            || !node.state.is_alive()
            || node.state == NodeState::Stopping
            || node.killed_after_timeout
            || stop_waits(&self.nodes, &self.deps, i)
        {
            return;
        }
        self.send_stop_signal(i, now);
    }

    /// Node `i` is no longer alive: the stops of the nodes it depends on
    /// may have been waiting for it, off the agenda (a chain of N stopping
    /// one by one would walk them all at each of its N turns). Each whose
    /// turn has come gets its signal now: the end may come in a round, from
    /// a start given up at its look, after the round's stops went out, and
    /// no later round need come. The others are put back all the same.
    pub(super) fn wake_dependencies(&mut self, i: usize, now: Instant) {
        for k in 0..self.deps.dependencies(i).len() {
            let d = self.deps.dependencies(i)[k];
            if self.nodes[d].stop_requested.is_some() {
                self.agenda.mark(d);
                self.stop_if_due(d, now);
            }
        }
    }

    /// Sends node `i` its stop signal and lets it stop (`enter_stopping`).
    pub(super) fn send_stop_signal(&mut self, i: usize, now: Instant) {
        let signal = self.options[i].rare().stop_signal.unwrap_or(Signal::TERM);
        trace::stop_signal(&self.names[i], signal, self.stop_timeout_of(i));
        self.outbox.push_back(Action::Signal(i, signal));
        self.enter_stopping(i, now);
    }

    /// Node `i` said `STOPPING=1`: it is shutting down on its own, as after
    /// its stop signal — stopping, bounded by its stop timeout (then
    /// SIGKILL), no probe or watchdog kills it meanwhile, and a stop asked
    /// for later sends no second signal. Its exit is its own: its restart
    /// policy decides, as for any exit. Ignored unless it is alive and not
    /// stopping already.
    pub(super) fn began_stopping(&mut self, i: usize, now: Instant) {
        let state = self.nodes[i].state;
        if !state.is_alive() || state == NodeState::Stopping {
            return;
        }
        self.agenda.mark(i);
        self.timers.cancel(TimerKey {
            node: i,
            purpose: Purpose::Ready,
        });
        self.emit(Event::Stopping {
            node: NodeId::from_index(i),
        });
        self.enter_stopping(i, now);
    }

    /// Node `i` is stopping from now on: its stop timeout is armed (SIGKILL
    /// when it runs out: `on_timer`), and its probes and watchdog end — they
    /// must not kill a node that is being stopped.
    fn enter_stopping(&mut self, i: usize, now: Instant) {
        let timeout = self.stop_timeout_of(i);
        self.timers.arm(
            TimerKey {
                node: i,
                purpose: Purpose::Stop,
            },
            now + timeout,
        );
        self.timers.cancel(TimerKey {
            node: i,
            purpose: Purpose::Watchdog,
        });
        self.nodes[i].state = NodeState::Stopping;
        self.end_probes(i);
    }

    /// Node `i`'s stop timeout: its own, or the graph's.
    fn stop_timeout_of(&self, i: usize) -> std::time::Duration {
        self.options[i]
            .rare()
            .stop_timeout
            .unwrap_or(self.stop_timeout)
    }
}

/// Node `i`'s stop signal waits: a node that depends on it is being
/// stopped too and is still alive (dependents stop first), unless the two
/// are in one cycle of dependencies (they stop together).
pub(super) fn stop_waits(nodes: &[NodeRuntime], deps: &Deps, i: usize) -> bool {
    deps.dependents(i).iter().any(|&d| {
        nodes[d].stop_requested.is_some() && nodes[d].state.is_alive() && !deps.in_one_cycle(i, d)
    })
}
