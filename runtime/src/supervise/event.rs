//! What the event loop reports, and what it proposes to do about it.

use std::time::Duration;

use crate::error::SpawnError;
use crate::exit::ExitStatus;
use crate::graph::{NodeId, SubgraphFailure};
use crate::probe::{ProbeKind, ProbeResult};
use crate::signal::Signal;
use crate::supervise::MainPidRefusal;

/// What the runtime will do after a node ended, unless the application
/// decides otherwise with [`RunningGraph::decide`](crate::RunningGraph::decide).
///
/// ```
/// use process_graph_runtime::{Command, Decision, Event, Graph, NodeOptions, Restart};
///
/// let mut graph = Graph::new();
/// let worker = graph.node_with("worker", Command::new("false"), NodeOptions::new().restart(Restart::Always));
/// let mut running = graph.spawn()?;
/// while let Some(event) = running.next_event(None)? {
///     if let Event::Exited { decision: Decision::Restart { .. }, .. } = event {
///         assert!(running.decide(Decision::Leave)); // keep it down after all
///     }
/// }
/// assert_eq!(running.wait()?[worker].restarts, 0);
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Leave the node stopped.
    Leave,
    /// Restart it — with the other nodes its graph's [`Strategy`](crate::Strategy)
    /// names — after `delay`.
    Restart {
        /// The backoff delay.
        delay: Duration,
    },
    /// Stop the whole graph.
    StopGraph,
}

/// Something that happened in a running graph.
///
/// `N` names the nodes: a [`NodeId`] from the dynamic API, or the node enum
/// of a `#[process_graph]` struct (see [`Event::map_node`]), so a failure
/// policy can be an exhaustive `match`.
///
/// ```
/// use process_graph_runtime::{Command, Event, Graph};
///
/// let mut graph = Graph::new();
/// let job = graph.node("job", Command::new("true"));
/// let mut running = graph.spawn()?;
/// let mut events = Vec::new();
/// while let Some(event) = running.next_event(None)? {
///     events.push(event); // None: the graph has finished
/// }
/// assert!(matches!(events[0], Event::Started { node, .. } if node == job));
/// assert!(matches!(events.last(), Some(Event::Exited { status, .. }) if status.success()));
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<N = NodeId> {
    /// An attempt of a node's probe failed (or timed out). Passing attempts
    /// raise no event; [`NodeSnapshot::probes`](crate::NodeSnapshot::probes)
    /// shows the last result of each probe.
    ProbeFailed {
        /// The node.
        node: N,
        /// Which of its probes.
        probe: ProbeKind,
        /// How the attempt ended.
        result: ProbeResult,
        /// Failures in a row, this one included.
        failures: u32,
    },
    /// A node's liveness probe failed its `failure_threshold` times in a
    /// row, or an attempt ran past its timeout: the node is being killed
    /// (its stop signal, then SIGKILL after its stop timeout). Its exit
    /// follows as an [`Event::Exited`], decided by its restart policy, and
    /// its [`NodeExit::killed_by_probe`](crate::NodeExit::killed_by_probe)
    /// says so.
    ProbeKilled {
        /// The node.
        node: N,
        /// How the last attempt ended.
        result: ProbeResult,
        /// Failures in a row, the last one included.
        failures: u32,
    },
    /// A node's process was started.
    Started {
        /// The node.
        node: N,
        /// Its new pid.
        pid: u32,
    },
    /// A node with a readiness protocol said it is ready, or its readiness
    /// probe passed.
    Ready {
        /// The node.
        node: N,
    },
    /// A node was not ready within its `ready_timeout`; it is being killed,
    /// and its exit follows as an [`Event::Exited`].
    ReadyTimeout {
        /// The node.
        node: N,
    },
    /// A node with a [`watchdog`](crate::NodeOptions::watchdog) did not send
    /// `WATCHDOG=1` in time; it is sent SIGABRT (SIGKILL after its stop
    /// timeout), and its exit follows as an [`Event::Exited`], decided by its
    /// restart policy.
    WatchdogTimeout {
        /// The node.
        node: N,
    },
    /// A node said `STOPPING=1`: it is shutting down on its own. It is
    /// [`Stopping`](crate::NodeState::Stopping) until it ends — no probe or
    /// watchdog kills it meanwhile, but it must end within its stop timeout
    /// or is SIGKILLed — and its exit follows as an [`Event::Exited`],
    /// decided by its restart policy as any exit (as systemd's `Restart=`
    /// decides it), unless a stop was asked for meanwhile: then it stays
    /// down.
    Stopping {
        /// The node.
        node: N,
    },
    /// A node named another process as its main process (`MAINPID=`, a
    /// node that forks its real server), and the runtime follows that one
    /// now: the node ends when it ends, signals and stops go to it, and
    /// [`RunningGraph::pid`](crate::RunningGraph::pid) reports it.
    MainPid {
        /// The node.
        node: N,
        /// The new main process (a pid of the application's namespace).
        pid: u32,
    },
    /// A node named a main process (`MAINPID=`) that is not its own, or no
    /// process at all: refused, nothing changed.
    MainPidRefused {
        /// The node.
        node: N,
        /// The pid it named, in its own pid namespace; `None` if the value
        /// was no pid.
        claimed: Option<u32>,
        /// Why it was refused.
        reason: MainPidRefusal,
    },
    /// A node's process ended and was reaped (after anything left in its
    /// process group was killed).
    Exited {
        /// The node.
        node: N,
        /// How it ended.
        status: ExitStatus,
        /// What the runtime will do next. For an exit the runtime caused
        /// itself (a stop, a group restart) this is informational; otherwise
        /// [`RunningGraph::decide`](crate::RunningGraph::decide) may change it
        /// before the next call to `next_event`.
        decision: Decision,
    },
    /// A node could not be started again; it is marked failed.
    StartFailed {
        /// The node.
        node: N,
        /// Why.
        error: SpawnError,
    },
    /// A node can never start because a node it starts `after` ended for
    /// good without completing (being ready, then exiting with status 0).
    DependencyFailed {
        /// The node that cannot start.
        node: N,
        /// The dependency that failed.
        dependency: N,
    },
    /// A node's start waits for its scope's init: the node ran alone in a
    /// pid scope without a cgroup, and the init, asked to kill what its
    /// last run left there, has not answered, because it is held up
    /// (stopped, by someone who may signal it: the node's own uid in the
    /// scope, or root). A start now could be reached by that kill when the
    /// init goes on, so none goes: the node stays
    /// [`NodeState::Waiting`](crate::NodeState::Waiting) for as long as the
    /// init is held up, and its [`Event::Started`] follows the answer. An
    /// application that waits on the node's start may see this as the
    /// reason.
    StartHeld {
        /// The node whose start waits.
        node: N,
    },
    /// A signal registered with
    /// [`RunningGraph::stop_on_signals`](crate::RunningGraph::stop_on_signals)
    /// arrived; the graph is being stopped.
    Signal(Signal),
    /// A [`Waker`](crate::Waker) was used.
    Woken,
    /// Restarts inside a subgraph exceeded its intensity: the subgraph
    /// failed as one unit to the level that encloses it, which handles it by
    /// the subgraph's [`SubgraphFailure`] policy — restart all its nodes
    /// (against its own intensity, so another `SubgraphFailed` of the
    /// enclosing subgraph may follow), or fail itself. It comes right after
    /// the [`Event::Exited`] of `node`, whose decision says what comes of it
    /// all: that event is the first of the two.
    SubgraphFailed {
        /// The subgraph's path, `db` or `site.db`.
        subgraph: String,
        /// The node whose exit was one restart too many.
        node: N,
        /// What the enclosing level does about it.
        on_failure: SubgraphFailure,
    },
}

impl<N> Event<N> {
    /// The same event with its nodes renamed by `rename`.
    ///
    /// ```
    /// use process_graph_runtime::{Event, NodeId};
    ///
    /// let event: Event = Event::Ready { node: NodeId::from_index(1) };
    /// let named = event.map_node(|id| ["db", "app"][id.index()]);
    /// assert_eq!(named, Event::Ready { node: "app" });
    /// ```
    pub fn map_node<M>(self, mut rename: impl FnMut(N) -> M) -> Event<M> {
        match self {
            Event::Started { node, pid } => Event::Started {
                node: rename(node),
                pid,
            },
            Event::Ready { node } => Event::Ready { node: rename(node) },
            Event::ReadyTimeout { node } => Event::ReadyTimeout { node: rename(node) },
            Event::WatchdogTimeout { node } => Event::WatchdogTimeout { node: rename(node) },
            Event::Stopping { node } => Event::Stopping { node: rename(node) },
            Event::MainPid { node, pid } => Event::MainPid {
                node: rename(node),
                pid,
            },
            Event::MainPidRefused {
                node,
                claimed,
                reason,
            } => Event::MainPidRefused {
                node: rename(node),
                claimed,
                reason,
            },
            Event::Exited {
                node,
                status,
                decision,
            } => Event::Exited {
                node: rename(node),
                status,
                decision,
            },
            Event::StartFailed { node, error } => Event::StartFailed {
                node: rename(node),
                error,
            },
            Event::DependencyFailed { node, dependency } => Event::DependencyFailed {
                node: rename(node),
                dependency: rename(dependency),
            },
            Event::ProbeFailed {
                node,
                probe,
                result,
                failures,
            } => Event::ProbeFailed {
                node: rename(node),
                probe,
                result,
                failures,
            },
            Event::ProbeKilled {
                node,
                result,
                failures,
            } => Event::ProbeKilled {
                node: rename(node),
                result,
                failures,
            },
            Event::StartHeld { node } => Event::StartHeld { node: rename(node) },
            Event::Signal(signal) => Event::Signal(signal),
            Event::Woken => Event::Woken,
            Event::SubgraphFailed {
                subgraph,
                node,
                on_failure,
            } => Event::SubgraphFailed {
                subgraph,
                node: rename(node),
                on_failure,
            },
        }
    }
}
