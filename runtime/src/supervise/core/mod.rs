//! The supervisor core: a plain state machine with no I/O.
//!
//! It decides; a driver acts. [`Input`]s go in — a node was spawned or could
//! not be, a node ended, a node became ready, a signal arrived, the
//! application asked for something — and [`Action`]s come out: spawn a node,
//! signal or kill one, close edge fds nobody needs any more. Events for the
//! application queue up in the core. Time is an argument: every entry point
//! takes `now`, and [`Core::next_deadline`] is when the driver must come back
//! even if no fd becomes ready. So strategies, intensity, backoff and stop
//! timeouts are tested with a fake clock (`tests.rs`), and the blocking loop
//! (`driver::blocking`) and the tokio loop (`async_wait`) drive the same core.
//!
//! A driver's round: [`Core::advance`] once, then [`Core::next_action`]
//! until it returns `None`, carrying each action out — and answering an
//! [`Action::Spawn`] with [`Input::Spawned`] or [`Input::SpawnFailed`]
//! before asking for the next action, so that nodes start in the order the
//! launcher's edge plan expects — or with [`Input::Launching`] for a start
//! the carried program reports on later, which must not hold up the loop.

mod agenda;
mod deps;
mod events;
mod levels;
mod node;
mod policy;
mod probes;
mod start;
mod stop;
#[cfg(test)]
mod tests;
mod timers;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::{Duration, Instant};

pub(crate) use deps::Deps;
pub use node::NodeState;
pub(crate) use node::{AfterStop, IdChange, NodeRuntime};
pub(crate) use timers::{Purpose, TimerKey, Timers};

use self::agenda::Agenda;
use self::levels::{Levels, Unit};
use self::start::Bucket;
use super::{Decision, Event, MainPidRefusal, trace};
use crate::error::SpawnError;
use crate::exit::{ExitStatus, Outcome};
use crate::graph::{Graph, NodeId, ScopeId};
use crate::policy::{Intensity, NodeOptions};
use crate::probe::{ProbeKind, ProbeResult};
use crate::signal::Signal;

/// What happened, told to the core.
#[derive(Debug)]
pub(crate) enum Input {
    /// The answer to [`Action::Spawn`]: node `node` runs; `ready_at_exec`
    /// when it has no readiness protocol.
    Spawned {
        node: usize,
        pid: u32,
        ready_at_exec: bool,
    },
    /// The answer to [`Action::Spawn`]: it could not be started.
    SpawnFailed { node: usize, error: SpawnError },
    /// The answer to [`Action::Spawn`] for a node the carried program starts
    /// (in a scope, or under other ids): under way, its `Spawned` or
    /// `SpawnFailed` to come later, as the program reports. Meanwhile the
    /// start pass goes on, and [`Action::CheckStart`] comes from
    /// [`FIRST_LOOK`](crate::held_up::FIRST_LOOK) on, every
    /// [`CHECK_EVERY`](crate::held_up::CHECK_EVERY).
    Launching { node: usize },
    /// The node's main process was reaped, and its end waits for its
    /// scope's init to kill what it left: [`Action::CheckClear`] comes
    /// every [`CHECK_EVERY`](crate::held_up::CHECK_EVERY) until its
    /// `Exited`.
    Clearing { node: usize },
    /// The node's main process was reaped (and its cgroup is empty).
    Exited { node: usize, status: ExitStatus },
    /// The node said it is ready, by whatever protocol (at its start, or at
    /// the end of a reload).
    Ready { node: usize },
    /// The node said `RELOADING=1`.
    Reloading { node: usize },
    /// The node said `WATCHDOG=1`.
    WatchdogPing { node: usize },
    /// The node said `STOPPING=1`.
    Stopping { node: usize },
    /// The node named another main process (`MAINPID=`), and the driver
    /// follows it now.
    MainPid { node: usize, pid: u32 },
    /// The node named a main process the driver refused; nothing changed.
    MainPidRefused {
        node: usize,
        claimed: Option<u32>,
        reason: MainPidRefusal,
    },
    /// A signal of `stop_on_signals` arrived.
    Signal(Signal),
    /// A `Waker` was used.
    Woken,
    /// The answer to [`Action::Spawn`] when the node may not start yet: it
    /// stays waiting, and no start pass hands it out, until
    /// [`Input::ReleaseStart`].
    HoldStart { node: usize },
    /// A node held by [`Input::HoldStart`] may start again.
    ReleaseStart { node: usize },
    /// An attempt of a node's probe ended (for a log-line probe: a line
    /// matched).
    ProbeResult {
        node: usize,
        kind: ProbeKind,
        result: ProbeResult,
    },
}

/// What the core wants done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Start the node; answer with [`Input::Spawned`],
    /// [`Input::SpawnFailed`], [`Input::Launching`] or [`Input::HoldStart`]
    /// before the next action.
    Spawn(usize),
    /// Look at the node's start under way (see [`Input::Launching`]): give
    /// it up if it is held up, answering as the start would.
    CheckStart(usize),
    /// Look at the init whose answer the node's end waits for (see
    /// [`Input::Clearing`]): give it up if it is held up, ending the node.
    CheckClear(usize),
    /// Send the node's main process this signal (it may have just exited).
    Signal(usize, Signal),
    /// SIGKILL the node: main process, process group, cgroup.
    Kill(usize),
    /// Close the fds of this node's edges that no node which may still
    /// start needs ([`Core::may_start`]), and what was passed in for it if
    /// it may not start again. Handed out at the end of a pass for each
    /// node on the agenda: whatever may stop a node from starting again
    /// (an exit, a stop, a failed start, the graph stopping) puts it on the
    /// agenda, so an edge is looked at when its last user can no longer
    /// start, and a round costs the nodes it looks at, not every edge the
    /// graph holds.
    ReleaseEdgesOf(usize),
    /// Start an attempt of the node's probe; answer with
    /// [`Input::ProbeResult`] when it ends.
    StartProbe(usize, ProbeKind),
    /// Drop the attempt of the node's probe in flight (timed out, or the
    /// node is gone): no result is expected any more.
    CancelProbe(usize, ProbeKind),
}

/// How far the start pass of the current round has got.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// The next agenda index to look at.
    cursor: usize,
    /// Something started in this pass: another pass follows.
    progressed: bool,
}

/// Nodes restarting together: none of them starts before all are down.
///
/// Every member waiting asks at every pass whether the group still holds
/// it, and a `one_for_all` level of N nodes takes about N turns to stop:
/// so each ask costs O(1), not a walk of the members, or the restart costs
/// O(N²) asks of O(N) each.
#[derive(Debug)]
struct Group {
    /// In index order: whether a node is a member is a binary search.
    members: Vec<usize>,
    /// When they restart.
    at: Instant,
    /// Where the last member found alive is in `members`: the next look
    /// begins there. A member down stays down while the group holds it, so
    /// the looks of the whole restart pass each member about once.
    alive_at: usize,
}

impl Group {
    fn new(mut members: Vec<usize>, at: Instant) -> Group {
        members.sort_unstable();
        members.dedup();
        Group {
            members,
            at,
            alive_at: 0,
        }
    }

    fn contains(&self, i: usize) -> bool {
        self.members.binary_search(&i).is_ok()
    }

    /// Whether a member is alive still; once none is, the group has done
    /// its job.
    fn any_alive(&mut self, nodes: &[NodeRuntime]) -> bool {
        let count = self.members.len();
        let found = (0..count)
            .map(|k| (self.alive_at + k) % count)
            .find(|&k| nodes[self.members[k]].state.is_alive());
        if let Some(k) = found {
            self.alive_at = k;
        }
        found.is_some()
    }
}

/// A decision about a node's exit: why, when it stops the graph; at which
/// level, and bringing down what, when it restarts the node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verdict {
    decision: Decision,
    cause: Option<Outcome>,
    /// The level whose intensity the restart counts against, and what it
    /// restarts; `None` for the node alone at its own level (a restart the
    /// application decided).
    restart: Option<(usize, Unit)>,
    /// The node ended while a restart decided for another node was to
    /// bring it down anyway (two members of a subgraph, or of a
    /// `one_for_all` level, ending together): it starts again with that
    /// restart, counted there and not against any intensity of its own, as
    /// OTP absorbs the exit of a child it was about to restart.
    joins: bool,
    /// For a stop for intensity: the level whose intensity was exceeded.
    exceeded: Option<usize>,
}

impl Verdict {
    fn new(decision: Decision) -> Verdict {
        Verdict {
            decision,
            cause: None,
            restart: None,
            joins: false,
            exceeded: None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) names: Vec<String>,
    pub(crate) options: Vec<NodeOptions>,
    deps: Deps,
    /// The graph and its subgraphs: strategies, intensities, restart logs.
    pub(crate) levels: Levels,
    pub(crate) stop_timeout: Duration,
    /// How long `spawn` waits at most for dependencies to be ready.
    pub(crate) start_timeout: Duration,
    pub(crate) nodes: Vec<NodeRuntime>,
    /// Per node: its probes' schedules, if it has probes (boxed: most
    /// nodes have none, and each costs a pointer).
    probes: Vec<Option<Box<probes::NodeProbes>>>,
    /// Where the grid of probe attempts starts: when the first probe began.
    probe_grid: Option<Instant>,
    /// The nodes the next round must look at, and how many are alive.
    agenda: Agenda,
    timers: Timers,
    events: events::Events,
    /// Actions decided, not yet handed to the driver.
    outbox: VecDeque<Action>,
    /// Nodes whose start waits for the driver's word ([`Input::HoldStart`]):
    /// a kill asked of their scope's init is not answered yet, and would
    /// reach the start. A set beside the nodes, not a flag in each: it is
    /// empty but for a held-up init.
    held_starts: BTreeSet<usize>,
    /// The start pass under way, if any.
    pass: Option<Pass>,
    /// Per scope (by index), and for the nodes outside scopes that change
    /// their ids, how many starts are under way (`Input::Launching`): see
    /// `start::launch_bucket`.
    launching_in: BTreeMap<Bucket, u32>,
    /// The decision of the last `Exited` event handed out (with the node),
    /// applied at the next call unless the application overrides it.
    pending: Option<(usize, Verdict)>,
    /// The decisions about exits not yet handed out or applied, by node
    /// (a map: most nodes have none, most of the time).
    undecided: BTreeMap<usize, Verdict>,
    /// Group restarts under way (a `one_for_all` level, a subgraph
    /// restarted as a unit), several at once when levels restart side by
    /// side.
    groups: Vec<Group>,
    /// Set once the graph is being stopped, with the reason.
    outcome: Option<Outcome>,
    /// The level whose intensity was exceeded, when that stopped the graph.
    exceeded: Option<usize>,
    /// The names of the nodes not removed, made on the first add (which
    /// must not reuse one): a graph that never adds pays nothing for it,
    /// one that does pays a lookup per added node, not a scan of every
    /// node it ever had.
    live_names: Option<HashSet<Box<str>>>,
}

impl Core {
    /// The core of `graph`, whose nodes' names and options it takes over
    /// (not copies: a running node costs the parent what it holds).
    pub(crate) fn new(graph: Graph) -> Core {
        let count = graph.nodes.len();
        let deps = Deps::of(&graph);
        let levels = Levels::of(&graph);
        let probes = graph.nodes.iter().map(|n| probes::of(&n.options)).collect();
        let nodes = (graph.nodes.iter())
            .map(|n| NodeRuntime::new(IdChange::of(&n.command.credentials)))
            .collect();
        let (names, options) = graph.nodes.into_iter().map(|n| (n.name, n.options)).unzip();
        Core {
            names,
            options,
            deps,
            levels,
            stop_timeout: graph.stop_timeout,
            start_timeout: graph.start_timeout,
            nodes,
            probes,
            probe_grid: None,
            agenda: Agenda::all(count),
            timers: Timers::default(),
            events: events::Events::default(),
            outbox: VecDeque::new(),
            held_starts: BTreeSet::new(),
            pass: None,
            launching_in: BTreeMap::new(),
            pending: None,
            undecided: BTreeMap::new(),
            groups: Vec::new(),
            outcome: None,
            exceeded: None,
            live_names: None,
        }
    }

    /// Whether a node not removed is named `name`.
    pub(crate) fn has_live_node_named(&mut self, name: &str) -> bool {
        let (names, nodes) = (&self.names, &self.nodes);
        self.live_names
            .get_or_insert_with(|| {
                (names.iter().zip(nodes))
                    .filter(|(_, node)| !node.removed)
                    .map(|(name, _)| name.as_str().into())
                    .collect()
            })
            .contains(name)
    }

    /// Appends the nodes of a validated `graph`, node `i` of it becoming
    /// node `first + i` (`first` is the node count so far); they start on
    /// the next round, in dependency order among themselves.
    ///
    /// A node's scope becomes the running graph's: the one a stand-in
    /// (`Graph::running_scope`) joins, or the graph's own scope `s` as
    /// scope `first_scope + s` of the running graph (`Added::scope`).
    pub(crate) fn add(&mut self, graph: Graph, first_scope: usize) {
        let first = self.names.len();
        self.deps.append(Deps::of(&graph), first);
        self.levels.append(&graph);
        for (i, node) in (first..).zip(graph.nodes) {
            let mut options = node.options;
            for dep in &mut options.after {
                *dep = NodeId::from_index(first + dep.index());
            }
            if let Some(local) = options.rare().scope {
                let joined = graph.scopes.get(local.index()).and_then(|s| s.joins);
                let scope = joined.unwrap_or(ScopeId::from_index(first_scope + local.index()));
                options = options.scope(scope);
            }
            if let Some(live) = &mut self.live_names {
                live.insert(node.name.as_str().into());
            }
            self.names.push(node.name);
            self.probes.push(probes::of(&options));
            self.options.push(options);
            self.nodes
                .push(NodeRuntime::new(IdChange::of(&node.command.credentials)));
            self.agenda.mark(i);
        }
    }

    /// Why the graph is being stopped, once it is.
    pub(crate) fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// The intensity whose excess stopped the graph: the graph's own, or a
    /// subgraph's that escalated (the graph's when nothing was exceeded).
    pub(crate) fn exceeded_intensity(&self) -> Intensity {
        self.levels.get(self.exceeded.unwrap_or(0)).intensity
    }

    /// Records `outcome` unless one is already set; returns the one set.
    pub(crate) fn settle_outcome(&mut self, outcome: Outcome) -> Outcome {
        *self.outcome.get_or_insert(outcome)
    }

    /// When the driver must call [`advance`](Self::advance) even if nothing
    /// else happens: the earliest armed timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// True once every node has ended for good and everything was handed out.
    pub(crate) fn is_finished(&self) -> bool {
        self.pending.is_none() && self.events.is_empty() && self.agenda.finished(&self.nodes)
    }

    /// Every node has started once, or ended for good.
    pub(crate) fn all_started(&self) -> bool {
        self.nodes
            .iter()
            .all(|n| n.started_at.is_some() || n.state.is_final())
    }

    pub(crate) fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The first start failure among the queued events.
    pub(crate) fn failed_start(&self) -> Option<SpawnError> {
        self.events.iter().find_map(|event| match event {
            Event::StartFailed { error, .. } => Some(error.clone()),
            _ => None,
        })
    }

    /// Drops the queued events (nobody will see them: `wait`).
    pub(crate) fn clear_events(&mut self) {
        self.events.clear();
    }

    /// Queues an event for the application: the one place events are
    /// made, and so where they are traced (feature `tracing`).
    fn emit(&mut self, event: Event) {
        trace::event(&self.names, &event);
        self.events.push(event);
    }

    /// The next event for the application. An `Exited` one carries a
    /// decision the application may replace ([`decide`](Self::decide))
    /// until the next round applies it.
    pub(crate) fn pop_event(&mut self) -> Option<Event> {
        let event = self.events.pop()?;
        if let Event::Exited { node, .. } = event
            && let Some(verdict) = self.undecided.remove(&node.index())
        {
            self.pending = Some((node.index(), verdict));
        }
        Some(event)
    }

    /// Replaces the decision of the last `Exited` event handed out.
    pub(crate) fn decide(&mut self, decision: Decision) -> bool {
        match &mut self.pending {
            Some((_, verdict)) => {
                *verdict = Verdict::new(decision);
                true
            }
            None => false,
        }
    }

    /// Carries out the decision handed out with the last `Exited` event.
    pub(crate) fn apply_pending(&mut self, now: Instant) {
        if let Some((index, verdict)) = self.pending.take() {
            self.apply(index, verdict, now);
        }
    }

    /// The nodes whose start is held ([`Input::HoldStart`]).
    pub(crate) fn held_starts(&self) -> impl Iterator<Item = usize> + '_ {
        self.held_starts.iter().copied()
    }

    /// Tells the core what happened.
    pub(crate) fn handle(&mut self, input: Input, now: Instant) {
        match input {
            Input::Spawned {
                node,
                pid,
                ready_at_exec,
            } => self.spawned(node, pid, ready_at_exec, now),
            Input::SpawnFailed { node, error } => self.spawn_failed(node, error, now),
            Input::Launching { node } => self.launching(node, now),
            Input::Clearing { node } => {
                let key = TimerKey {
                    node,
                    purpose: Purpose::Clear,
                };
                self.timers.arm(key, now + crate::held_up::CHECK_EVERY);
            }
            Input::Exited { node, status } => self.on_exit(node, status, now),
            Input::Ready { node } => self.mark_ready(node, now),
            Input::Reloading { node } => {
                self.begin_reload(node);
            }
            Input::WatchdogPing { node } => {
                let key = TimerKey {
                    node,
                    purpose: Purpose::Watchdog,
                };
                // Not after an abort: the ping came too late.
                if self.timers.is_armed(key) {
                    self.watchdog_ping(node, now);
                }
            }
            Input::Stopping { node } => self.began_stopping(node, now),
            Input::MainPid { node, pid } => {
                let node = NodeId::from_index(node);
                self.emit(Event::MainPid { node, pid });
            }
            Input::MainPidRefused {
                node,
                claimed,
                reason,
            } => {
                let node = NodeId::from_index(node);
                self.emit(Event::MainPidRefused {
                    node,
                    claimed,
                    reason,
                });
            }
            Input::Signal(signal) => {
                self.emit(Event::Signal(signal));
                self.stop_graph(Outcome::Signal(signal));
            }
            Input::Woken => self.emit(Event::Woken),
            Input::HoldStart { node } => {
                if self.held_starts.insert(node) {
                    self.emit(Event::StartHeld {
                        node: NodeId::from_index(node),
                    });
                }
            }
            Input::ReleaseStart { node } => {
                self.held_starts.remove(&node);
                self.agenda.mark(node);
            }
            Input::ProbeResult { node, kind, result } => self.probe_result(node, kind, result, now),
        }
    }

    /// Begins a round at `now`: fires due timers, sends the stop signals
    /// whose turn has come, and starts a pass over what may start (its
    /// actions come from [`next_action`](Self::next_action)).
    pub(crate) fn advance(&mut self, now: Instant) {
        while let Some(key) = self.timers.pop_due(now) {
            self.on_timer(key, now);
        }
        self.progress_stops(now);
        // Once every member has been down at the same time, a group has
        // done its job; the members then start in dependency order as usual.
        self.settle_groups();
        self.pass = Some(Pass {
            cursor: 0,
            progressed: false,
        });
    }

    /// Drops the groups whose members have all been down at the same time,
    /// and puts their members back on the agenda: held, they were off it.
    /// Whether it dropped any.
    fn settle_groups(&mut self) -> bool {
        let (nodes, agenda) = (&self.nodes, &mut self.agenda);
        let before = self.groups.len();
        self.groups.retain_mut(|g| {
            let holds = g.any_alive(nodes);
            if !holds {
                g.members.iter().for_each(|&m| agenda.mark(m));
            }
            holds
        });
        self.groups.len() < before
    }

    /// The next thing to do, or `None` when the round is over.
    pub(crate) fn next_action(&mut self) -> Option<Action> {
        loop {
            if let Some(action) = self.outbox.pop_front() {
                return Some(action);
            }
            let pass = self.pass.take()?;
            self.continue_pass(pass);
        }
    }

    /// A timer fired.
    fn on_timer(&mut self, key: TimerKey, now: Instant) {
        let i = key.node;
        self.agenda.mark(i);
        let node = &mut self.nodes[i];
        match key.purpose {
            Purpose::Start => {
                if node.state == NodeState::BackingOff {
                    node.state = NodeState::Waiting;
                }
            }
            Purpose::Ready => {
                if node.state == NodeState::Starting {
                    self.emit(Event::ReadyTimeout {
                        node: NodeId::from_index(i),
                    });
                    self.outbox.push_back(Action::Kill(i));
                }
            }
            Purpose::Stop => {
                if node.state.is_alive() && !node.killed_after_timeout {
                    // Done with this timer: SIGKILL cannot be ignored.
                    node.killed_after_timeout = true;
                    trace::killed_after_timeout(&self.names[i]);
                    self.outbox.push_back(Action::Kill(i));
                }
            }
            Purpose::Launch => {
                if node.launching {
                    self.outbox.push_back(Action::CheckStart(i));
                    self.timers.arm(key, now + crate::held_up::CHECK_EVERY);
                }
            }
            // Until the node's `Exited`, which cancels it.
            Purpose::Clear => {
                self.outbox.push_back(Action::CheckClear(i));
                self.timers.arm(key, now + crate::held_up::CHECK_EVERY);
            }
            Purpose::Probe(kind) => self.run_probe(i, kind, now),
            // As systemd: SIGABRT for a core dump, then SIGKILL with the
            // node's group and cgroup after its stop timeout. The exit is
            // the node's own: its restart policy decides.
            Purpose::Watchdog => {
                if node.state.is_alive() {
                    let timeout = self.options[i]
                        .rare()
                        .stop_timeout
                        .unwrap_or(self.stop_timeout);
                    let key = TimerKey {
                        node: i,
                        purpose: Purpose::Abort,
                    };
                    self.timers.arm(key, now + timeout);
                    self.outbox.push_back(Action::Signal(i, Signal::ABRT));
                    let node = NodeId::from_index(i);
                    self.emit(Event::WatchdogTimeout { node });
                }
            }
            Purpose::Abort => {
                if node.state.is_alive() {
                    self.outbox.push_back(Action::Kill(i));
                }
            }
        }
    }

    /// Node `i`'s watchdog starts over from `now`, if it has one.
    pub(super) fn watchdog_ping(&mut self, i: usize, now: Instant) {
        if let Some(interval) = self.options[i].rare().watchdog {
            let key = TimerKey {
                node: i,
                purpose: Purpose::Watchdog,
            };
            self.timers.arm(key, now + interval);
        }
    }

    fn mark_ready(&mut self, i: usize, now: Instant) {
        self.timers.cancel(TimerKey {
            node: i,
            purpose: Purpose::Ready,
        });
        let node = &mut self.nodes[i];
        node.was_ready = true;
        if matches!(node.state, NodeState::Starting | NodeState::Reloading) {
            node.state = NodeState::Running;
            self.emit(Event::Ready {
                node: NodeId::from_index(i),
            });
            self.became_ready(i, now);
        }
    }

    /// Node `i` is running and ready (at `now`): its readiness probe is
    /// done, its liveness probe starts, one period later.
    pub(super) fn became_ready(&mut self, i: usize, now: Instant) {
        self.end_probe(i, ProbeKind::Ready);
        let period = self.options[i]
            .rare()
            .live_probe
            .as_ref()
            .map(|p| std::time::Duration::from_millis(p.period_ms));
        if let Some(period) = period {
            self.begin_probe(i, ProbeKind::Live, now + period, now);
        }
    }

    /// A running node begins a reload (its reload signal is going out, or it
    /// said `RELOADING=1`): it is `Reloading` until its next `READY=1`.
    /// False if it is not running.
    pub(crate) fn begin_reload(&mut self, i: usize) -> bool {
        let node = &mut self.nodes[i];
        let running = node.state == NodeState::Running;
        if running {
            node.state = NodeState::Reloading;
        }
        running
    }

    /// A reload that got no `READY=1` in time: the node, still there, counts
    /// as running again.
    pub(crate) fn end_reload(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if node.state == NodeState::Reloading {
            node.state = NodeState::Running;
        }
    }

    /// Gives up a failed start: every node is being killed and reaped by the
    /// driver; nothing is pending any more.
    pub(crate) fn abort(&mut self) {
        for node in &mut self.nodes {
            node.state = NodeState::Stopped;
        }
        self.agenda.all_reaped();
        self.events.clear();
        self.outbox.clear();
        self.pass = None;
        self.undecided.clear();
        self.outcome.get_or_insert(Outcome::Shutdown);
    }
}
