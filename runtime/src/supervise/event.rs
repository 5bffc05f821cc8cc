//! What the event loop reports, and what it proposes to do about it.

use std::time::Duration;

use crate::error::SpawnError;
use crate::exit::ExitStatus;
use crate::graph::NodeId;
use crate::signal::Signal;

/// What the runtime will do after a node ended, unless the application
/// decides otherwise with [`RunningGraph::decide`](crate::RunningGraph::decide).
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
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A node's process was started.
    Started {
        /// The node.
        node: NodeId,
        /// Its new pid.
        pid: u32,
    },
    /// A node with a readiness protocol said it is ready.
    Ready {
        /// The node.
        node: NodeId,
    },
    /// A node was not ready within its `ready_timeout`; it is being killed,
    /// and its exit follows as an [`Event::Exited`].
    ReadyTimeout {
        /// The node.
        node: NodeId,
    },
    /// A node's process ended and was reaped (after anything left in its
    /// process group was killed).
    Exited {
        /// The node.
        node: NodeId,
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
        node: NodeId,
        /// Why.
        error: SpawnError,
    },
    /// A node can never start because a node it starts `after` ended for
    /// good without being ready.
    DependencyFailed {
        /// The node that cannot start.
        node: NodeId,
        /// The dependency that failed.
        dependency: NodeId,
    },
    /// A signal registered with
    /// [`RunningGraph::stop_on_signals`](crate::RunningGraph::stop_on_signals)
    /// arrived; the graph is being stopped.
    Signal(Signal),
    /// A [`Waker`](crate::Waker) was used.
    Woken,
}
