//! The event loop: dispatch what `poll` reports, start what may start, decide
//! what to do when a node ends.

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use super::node::AfterStop;
use super::readiness::read_ready_pipe;
use super::{Decision, Event, NodeRuntime, NodeState, Token, agenda};
use crate::error::{Error, SpawnError, Step};
use crate::exit::{ExitStatus, Outcome};
use crate::graph::NodeId;
use crate::policy::{NodeOptions, Restart, Strategy};
use crate::poller::Interest;
use crate::running::RunningGraph;
use crate::spawn::Launched;

/// How a turn treats decisions: handed to the application first
/// (`next_event`), or carried out at once (`wait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Interactive,
    Automatic,
}

impl RunningGraph {
    /// Starts every node that can start, running the loop until each has
    /// started once (nodes started `after` others wait for their readiness)
    /// or the graph is being stopped. A node that cannot be spawned fails the
    /// whole start: everything already started is killed and reaped. A graph
    /// that fails while starting (a dependency failed, the intensity was
    /// exceeded, or dependencies were not ready within `timeout`) is stopped
    /// in order and reaped, and its error returned.
    pub(crate) fn start_all(&mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            // Decide about exits first: what was decided (a dependency that
            // will never be ready, a restart) changes what `advance` may do.
            self.apply_undecided();
            self.advance(Instant::now());
            let failed_start = self.events.iter().find_map(|event| match event {
                Event::StartFailed { error, .. } => Some(error.clone()),
                _ => None,
            });
            if let Some(error) = failed_start {
                self.kill_all();
                return Err(Error::Spawn(error));
            }
            if self.outcome.is_some_and(Outcome::is_failure) {
                return self.stop_failed_start();
            }
            let all_started = self
                .nodes
                .iter()
                .all(|n| n.started_at.is_some() || n.state.is_final());
            if all_started || self.outcome.is_some() {
                return Ok(());
            }
            if deadline.is_some_and(|d| d <= Instant::now()) {
                let (node, dependency) = self.first_waiting();
                self.stop_graph(Outcome::StartTimeout { node, dependency });
                return self.stop_failed_start();
            }
            let until = match (deadline, self.next_timer()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.poll(until)?;
        }
    }

    /// Runs a graph that failed while starting to its end — every node
    /// stopped in order and reaped — and returns the error `wait` would.
    fn stop_failed_start(&mut self) -> Result<(), Error> {
        self.turn(None, Mode::Automatic)?;
        self.finish().map(drop)
    }

    /// The first node that has not started, and the first node it starts
    /// `after` that is not ready (itself if there is none).
    fn first_waiting(&self) -> (NodeId, NodeId) {
        let waiting = (0..self.nodes.len())
            .find(|&i| self.nodes[i].started_at.is_none() && !self.nodes[i].state.is_final())
            .unwrap_or_default();
        let dependency = self.deps.after[waiting]
            .iter()
            .copied()
            .find(|&d| !self.is_ready(d))
            .unwrap_or(waiting);
        (NodeId::from_index(waiting), NodeId::from_index(dependency))
    }

    /// Runs the loop until it has an event to hand out (interactive: for
    /// `next_event`, until `deadline`) or, carrying out every decision
    /// itself (automatic: for `wait`), until the graph has finished.
    pub(crate) fn turn(
        &mut self,
        deadline: Option<Instant>,
        mode: Mode,
    ) -> Result<Option<Event>, Error> {
        self.check_owner()?;
        let mut polled = false;
        loop {
            if let Some((index, (decision, cause))) = self.pending.take() {
                self.apply(index, decision, cause);
            }
            if mode == Mode::Automatic {
                self.apply_undecided();
            }
            self.advance(Instant::now());
            if mode == Mode::Automatic && !self.events.is_empty() {
                // Nobody sees them; their decisions are carried out above.
                self.events.clear();
                continue;
            }
            if let Some(event) = self.events.pop_front() {
                if let Event::Exited { node, .. } = event
                    && let Some(verdict) = self.undecided[node.index()].take()
                {
                    self.pending = Some((node.index(), verdict));
                }
                return Ok(Some(event));
            }
            if self.is_finished() {
                return Ok(None);
            }
            // Past the deadline, still look once without blocking, so that a
            // zero timeout reports what has already happened.
            if polled && deadline.is_some_and(|d| d <= Instant::now()) {
                return Ok(None);
            }
            polled = true;
            let until = match (deadline, self.next_timer()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.poll(until)?;
        }
    }

    /// Waits until `until` for one of the graph's fds and handles what
    /// became ready.
    fn poll(&mut self, until: Option<Instant>) -> Result<(), Error> {
        self.watch_wake()?;
        let timeout = until.map(|u| u.saturating_duration_since(Instant::now()));
        let mut ready = Vec::new();
        self.waits
            .wait(timeout, &mut ready)
            .map_err(|e| Error::io(None, "wait", e))?;
        for token in ready {
            self.dispatch(token)?;
        }
        Ok(())
    }

    /// Adds the wake-up eventfd to the wait set once a `Waker` made it.
    pub(crate) fn watch_wake(&mut self) -> Result<(), Error> {
        if !self.wake_watched
            && let Some(fd) = self.wake.fd()
        {
            self.waits
                .add(fd, Token::Wake, Interest::Readable)
                .map_err(|e| Error::io(None, "watch the wake-up eventfd", e))?;
            self.wake_watched = true;
        }
        Ok(())
    }

    /// Closes node `i`'s readiness pipe, taking it out of the wait set first.
    fn close_ready_pipe(&mut self, i: usize) -> Option<OwnedFd> {
        let pipe = self.nodes[i].ready_pipe.take()?;
        self.waits.remove(pipe.as_fd());
        Some(pipe)
    }

    fn dispatch(&mut self, token: Token) -> Result<(), Error> {
        match token {
            Token::Pidfd(i) => {
                // Before the reap, while its pid cannot name another
                // process: what the main process said before it ended (a
                // one-shot job says `READY=1` and exits).
                self.read_notify(i);
                let waits = &mut self.waits;
                let reaped = match &mut self.nodes[i].process {
                    Some(process) => process
                        .reap_then(false, |pidfd| waits.remove(pidfd))
                        .map_err(|e| Error::io(Some(&self.names[i]), "waitid", e))?,
                    None => None,
                };
                if let Some(status) = reaped {
                    self.main_exited(i, status)?;
                }
            }
            Token::Cgroup(i) => self.cgroup_changed(i),
            Token::ReadyPipe(i) => {
                let Some(pipe) = &self.nodes[i].ready_pipe else {
                    return Ok(());
                };
                let notice = read_ready_pipe(pipe);
                if notice.ready || notice.closed {
                    self.close_ready_pipe(i);
                }
                if notice.ready {
                    self.mark_ready(i);
                }
            }
            Token::Notify(i) => self.read_notify(i),
            Token::Signals => {
                while let Some(signal) = self.signals.as_ref().and_then(|s| s.read()) {
                    self.events.push_back(Event::Signal(signal));
                    self.stop_graph(Outcome::Signal(signal));
                }
            }
            Token::Wake => {
                self.wake.drain();
                self.events.push_back(Event::Woken);
            }
        }
        Ok(())
    }

    /// Reads node `i`'s `NOTIFY_SOCKET`, believing its main process only
    /// while that is unreaped: a reaped pid may name anyone next.
    fn read_notify(&mut self, i: usize) {
        let Some(socket) = &self.notify[i] else {
            return;
        };
        let main_pid = self.nodes[i]
            .process
            .as_ref()
            .filter(|p| p.status().is_none())
            .map(|p| p.pid());
        let notice = socket.read(main_pid);
        if notice.status.is_some() {
            self.nodes[i].status_text = notice.status;
        }
        if notice.ready {
            self.mark_ready(i);
        }
    }

    fn mark_ready(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        node.was_ready = true;
        node.ready_deadline = None;
        if node.state == NodeState::Starting {
            node.state = NodeState::Running;
            self.events.push_back(Event::Ready {
                node: NodeId::from_index(i),
            });
        }
    }

    /// Handles a node's end: runtime-caused exits are settled at once; any
    /// other gets a decision the application may still change.
    pub(super) fn on_exit(&mut self, i: usize, status: ExitStatus) {
        let now = Instant::now();
        self.agenda.mark(i);
        self.agenda.reaped();
        // A one-shot job may say it is ready and exit before the pipe's
        // event is seen: read the pipe once more so that is not lost.
        if let Some(pipe) = self.close_ready_pipe(i)
            && read_ready_pipe(&pipe).ready
        {
            self.mark_ready(i);
        }
        let node = &mut self.nodes[i];
        // A one-shot job is done (ready for those `after` it) when it exits 0.
        if self.options[i].oneshot && status.success() {
            node.was_ready = true;
        }
        node.stop_deadline = None;
        node.ready_deadline = None;
        node.state = NodeState::Exited;
        // A run that stayed up longer than the backoff's cap starts it over.
        let backoff_cap = self.options[i].backoff.max;
        if node
            .started_at
            .is_some_and(|start| now.duration_since(start) >= backoff_cap)
        {
            node.backoff_attempt = 0;
        }
        let decision = if let Some(after) = node.stop_requested.take() {
            if after == AfterStop::Restart && self.outcome.is_none() {
                let at = self.group_at.unwrap_or(now).max(now);
                self.schedule(i, at);
                Decision::Restart { delay: at - now }
            } else {
                self.nodes[i].state = NodeState::Stopped;
                Decision::Leave
            }
        } else {
            let (decision, cause) = self.decide_exit(i, status, now);
            self.undecided[i] = Some((decision, cause));
            decision
        };
        self.events.push_back(Event::Exited {
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
            let delay = options.backoff.delay(self.nodes[i].backoff_attempt);
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
        self.agenda
            .iter()
            .filter_map(|i| self.undecided[i].as_ref())
            .chain(self.pending.iter().map(|(_, verdict)| verdict))
            .filter(|(decision, _)| matches!(decision, Decision::Restart { .. }))
            .count()
    }

    /// Carries out every decision nobody will see (automatic mode).
    fn apply_undecided(&mut self) {
        for i in self.agenda.nodes() {
            if let Some((decision, cause)) = self.undecided[i].take() {
                self.apply(i, decision, cause);
            }
        }
    }

    /// Carries out a decision about node `i`, which has ended.
    pub(crate) fn apply(&mut self, i: usize, decision: Decision, cause: Option<Outcome>) {
        self.undecided[i] = None;
        if self.nodes[i].state != NodeState::Exited {
            return;
        }
        let now = Instant::now();
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
                self.schedule(i, at);
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
    pub(crate) fn schedule(&mut self, i: usize, at: Instant) {
        self.agenda.mark(i);
        let node = &mut self.nodes[i];
        node.not_before = Some(at);
        node.state = if at > Instant::now() {
            NodeState::BackingOff
        } else {
            NodeState::Waiting
        };
    }

    /// Does what time and state allow: stop progress, ready timeouts, due
    /// restarts, starting nodes whose dependencies are ready. A node that
    /// cannot be spawned becomes [`Event::StartFailed`].
    pub(crate) fn advance(&mut self, now: Instant) {
        self.progress_stops(now);
        for i in self.agenda.nodes() {
            let node = &mut self.nodes[i];
            if node.state == NodeState::Starting && node.ready_deadline.is_some_and(|d| d <= now) {
                node.ready_deadline = None;
                self.events.push_back(Event::ReadyTimeout {
                    node: NodeId::from_index(i),
                });
                self.kill_node(i);
            }
            let node = &mut self.nodes[i];
            if node.not_before.is_some_and(|t| t <= now) {
                // Passed: forget it, or it would count as a due timer forever
                // and turn every wait into a busy poll.
                node.not_before = None;
                if node.state == NodeState::BackingOff {
                    node.state = NodeState::Waiting;
                }
            }
        }
        // Once every member has been down at the same time, the group has
        // done its job; the members then start in dependency order as usual.
        let group_done = self.group.iter().all(|&m| !self.nodes[m].state.is_alive());
        if group_done {
            self.group.clear();
            self.group_at = None;
        }
        while self.outcome.is_none() {
            let mut progressed = false;
            for i in self.agenda.nodes() {
                if self.nodes[i].state != NodeState::Waiting
                    || self.nodes[i].not_before.is_some_and(|t| t > now)
                    || self.held_by_group(i)
                {
                    continue;
                }
                if let Some(dependency) = self.failed_dependency(i) {
                    self.nodes[i].state = NodeState::Failed;
                    let (node, dependency) =
                        (NodeId::from_index(i), NodeId::from_index(dependency));
                    self.events
                        .push_back(Event::DependencyFailed { node, dependency });
                    self.stop_graph(Outcome::DependencyFailed { node, dependency });
                    break;
                }
                if self.dependencies_ready(i) {
                    self.start_node(i, now);
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        self.release_fds();
        let (nodes, undecided) = (&self.nodes, &self.undecided);
        self.agenda
            .settle(|i| agenda::pending(&nodes[i], undecided[i].is_some()));
    }

    /// A member of a group restart waits until every member is down.
    fn held_by_group(&self, i: usize) -> bool {
        self.group.contains(&i) && self.group.iter().any(|&m| self.nodes[m].state.is_alive())
    }

    fn dependencies_ready(&self, i: usize) -> bool {
        self.deps.after[i].iter().all(|&d| self.is_ready(d))
    }

    /// Ready for the nodes that start `after` it: running and ready, or
    /// done (a one-shot job that exited 0).
    fn is_ready(&self, i: usize) -> bool {
        self.nodes[i].state == NodeState::Running || self.nodes[i].completed()
    }

    /// A dependency that ended for good without completing.
    fn failed_dependency(&self, i: usize) -> Option<usize> {
        self.deps.after[i].iter().copied().find(|&d| {
            let dep = &self.nodes[d];
            dep.state == NodeState::Failed || (dep.state == NodeState::Stopped && !dep.completed())
        })
    }

    /// Starts node `i`, then closes the edge fds it was the last to need,
    /// so the next spawn does not copy them.
    fn start_node(&mut self, i: usize, now: Instant) {
        self.launch_node(i, now);
        let (nodes, options, stopping) = (&self.nodes, &self.options, self.outcome.is_some());
        self.launcher
            .release_edges_of(i, &|n| may_start(&nodes[n], &options[n], stopping));
    }

    fn launch_node(&mut self, i: usize, now: Instant) {
        let launched = match self.launcher.launch(i).and_then(|l| self.watch(i, l)) {
            Ok(launched) => launched,
            Err(error) => {
                self.nodes[i].state = NodeState::Failed;
                let node = NodeId::from_index(i);
                self.events.push_back(Event::StartFailed { node, error });
                if self.options[i].critical {
                    self.stop_graph(Outcome::Critical { node });
                }
                return;
            }
        };
        self.agenda.started();
        let pid = launched.process.pid().as_raw_nonzero().get() as u32;
        let options = &self.options[i];
        let node = &mut self.nodes[i];
        node.process = Some(launched.process);
        node.ready_pipe = launched.ready_pipe;
        node.not_before = None;
        if node.started_at.is_some() {
            node.restarts += 1;
        }
        node.started_at = Some(now);
        node.oom_kills_at_start = self.launcher.oom_kills(i);
        node.killed_after_timeout = false;
        node.was_ready = options.ready_at_exec();
        node.state = if node.was_ready {
            NodeState::Running
        } else {
            NodeState::Starting
        };
        node.ready_deadline = options.ready_timeout.map(|t| now + t);
        self.events.push_back(Event::Started {
            node: NodeId::from_index(i),
            pid,
        });
    }

    /// Adds a just-launched node's pidfd and readiness pipe to the wait set;
    /// if that fails, kills and reaps it (it could never be waited on).
    fn watch(&mut self, i: usize, mut launched: Launched) -> Result<Launched, SpawnError> {
        let waits = &mut self.waits;
        let mut added = launched.process.pidfd().map_or(Ok(()), |pidfd| {
            waits.add(pidfd, Token::Pidfd(i), Interest::Readable)
        });
        if let (Ok(()), Some(pipe)) = (&added, &launched.ready_pipe) {
            added = waits.add(pipe.as_fd(), Token::ReadyPipe(i), Interest::Readable);
        }
        let Err(error) = added else {
            return Ok(launched);
        };
        if let Some(pipe) = &launched.ready_pipe {
            waits.remove(pipe.as_fd());
        }
        launched.process.kill();
        // Blocking: SIGKILL cannot be caught, so this returns promptly.
        let _ = launched
            .process
            .reap_then(true, |pidfd| waits.remove(pidfd));
        // Anything it forked meanwhile, too.
        if let Some(cgroup) = self.launcher.cgroup(i) {
            let _ = cgroup.kill();
        }
        Err(SpawnError::new(
            NodeId::from_index(i),
            self.names[i].clone(),
            Step::Watch,
            error.raw_os_error().unwrap_or(libc::ENOMEM),
        ))
    }

    /// The earliest instant at which `advance` has something to do.
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        self.agenda
            .iter()
            .flat_map(|i| {
                let n = &self.nodes[i];
                let backoff = matches!(n.state, NodeState::BackingOff | NodeState::Waiting)
                    .then_some(n.not_before)
                    .flatten();
                let ready = (n.state == NodeState::Starting)
                    .then_some(n.ready_deadline)
                    .flatten();
                let stop = n.state.is_alive().then_some(n.stop_deadline).flatten();
                [backoff, ready, stop]
            })
            .flatten()
            .min()
    }

    fn release_fds(&mut self) {
        let (nodes, options, stopping) = (&self.nodes, &self.options, self.outcome.is_some());
        self.launcher
            .release(&|n| may_start(&nodes[n], &options[n], stopping));
    }

    /// Kills and reaps every node at once (a failed start). What was in
    /// their cgroups goes when the cgroups are removed.
    pub(crate) fn kill_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill_node(i);
            self.stop_draining(i);
            let waits = &mut self.waits;
            let node = &mut self.nodes[i];
            if let Some(process) = &mut node.process {
                // Blocking: SIGKILL cannot be caught, so this returns promptly.
                let _ = process.reap_then(true, |pidfd| waits.remove(pidfd));
            }
            node.state = NodeState::Stopped;
        }
        self.agenda.all_reaped();
        self.events.clear();
        self.undecided.iter_mut().for_each(|u| *u = None);
        self.outcome.get_or_insert(Outcome::Shutdown);
    }
}

/// Whether a node may still be started (again); its edge fds are held for it
/// until it may not. `stopping`: the graph is being stopped.
fn may_start(node: &NodeRuntime, options: &NodeOptions, stopping: bool) -> bool {
    match node.state {
        NodeState::Waiting | NodeState::BackingOff | NodeState::Exited => true,
        NodeState::Stopped | NodeState::Failed => false,
        NodeState::Starting | NodeState::Running | NodeState::Stopping => {
            !stopping
                && match node.stop_requested {
                    Some(after) => after == AfterStop::Restart,
                    None => options.restart != Restart::Never,
                }
        }
    }
}
