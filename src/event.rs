//! `GraphEvent`: the runtime's [`Event`] with nodes named by a declared
//! graph's node enum, so a policy is an exhaustive `match`.

use process_graph_runtime::{Decision, Event, ExitStatus, Signal, SpawnError};

use crate::GraphNode;

/// Something that happened in a running declared graph; `N` is its node
/// enum. Returned by the generated `next_event`.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Job {
///     #[process]
///     work: Cmd,
/// }
///
/// let mut running = Job::new(Cmd::new("true")).spawn()?;
/// while let Some(event) = running.next_event(None)? {
///     if let GraphEvent::Exited { node: JobNode::Work, status, .. } = event {
///         assert!(status.success());
///     }
/// }
/// # Ok::<(), process_graph::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphEvent<N> {
    /// A process was started.
    Started {
        /// The process.
        node: N,
        /// Its new pid.
        pid: u32,
    },
    /// A process with a readiness protocol said it is ready.
    Ready {
        /// The process.
        node: N,
    },
    /// A process was not ready within its `ready_timeout`; it is being
    /// killed, and its exit follows.
    ReadyTimeout {
        /// The process.
        node: N,
    },
    /// A process ended and was reaped.
    Exited {
        /// The process.
        node: N,
        /// How it ended.
        status: ExitStatus,
        /// What the runtime will do next, unless the application decides
        /// otherwise (the generated `decide`).
        decision: Decision,
    },
    /// A process could not be started again; it is marked failed.
    StartFailed {
        /// The process.
        node: N,
        /// Why.
        error: SpawnError,
    },
    /// A process can never start because one it starts `after` ended for
    /// good without being ready.
    DependencyFailed {
        /// The process that cannot start.
        node: N,
        /// The dependency that failed.
        dependency: N,
    },
    /// A signal registered with `stop_on_signals` arrived; the graph is
    /// being stopped.
    Signal(Signal),
    /// A [`Waker`](crate::Waker) was used.
    Woken,
    /// An event this version does not know how to type; the runtime's own.
    Untyped(Event),
}

impl<N: GraphNode> GraphEvent<N> {
    /// The typed form of a runtime event, e.g. one taken from the untyped
    /// running graph.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Job {
    ///     #[process]
    ///     work: Cmd,
    /// }
    ///
    /// let mut running = Job::new(Cmd::new("true")).spawn()?;
    /// let event = running.running_graph_mut().next_event(None)?.expect("an event");
    /// let typed = GraphEvent::<JobNode>::from_event(event);
    /// assert!(matches!(typed, GraphEvent::Started { node: JobNode::Work, .. }));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn from_event(event: Event) -> Self {
        Self::typed(&event).unwrap_or(GraphEvent::Untyped(event))
    }

    fn typed(event: &Event) -> Option<Self> {
        let n = N::from_id;
        Some(match event {
            Event::Started { node, pid } => GraphEvent::Started {
                node: n(*node)?,
                pid: *pid,
            },
            Event::Ready { node } => GraphEvent::Ready { node: n(*node)? },
            Event::ReadyTimeout { node } => GraphEvent::ReadyTimeout { node: n(*node)? },
            Event::Exited {
                node,
                status,
                decision,
            } => GraphEvent::Exited {
                node: n(*node)?,
                status: *status,
                decision: *decision,
            },
            Event::StartFailed { node, error } => GraphEvent::StartFailed {
                node: n(*node)?,
                error: error.clone(),
            },
            Event::DependencyFailed { node, dependency } => GraphEvent::DependencyFailed {
                node: n(*node)?,
                dependency: n(*dependency)?,
            },
            Event::Signal(signal) => GraphEvent::Signal(*signal),
            Event::Woken => GraphEvent::Woken,
            _ => return None,
        })
    }
}
