//! How events and decisions read: one line each, the node by its
//! `Display` — its name when the node is a declared graph's enum or
//! [`RunningGraph::name`](crate::RunningGraph::name)'s string, `#3` when it
//! is a bare [`NodeId`].

use std::fmt;

use super::event::{Decision, Event};
use crate::graph::{NodeId, SubgraphFailure};

impl fmt::Display for NodeId {
    /// `#3`: the node's position in its graph. A running graph names it:
    /// `event.map_node(|id| running.name(id))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.index())
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Leave => f.write_str("it stays stopped"),
            Decision::Restart { delay } => write!(f, "it restarts in {delay:?}"),
            Decision::StopGraph => f.write_str("the graph stops"),
        }
    }
}

impl<N: fmt::Display> fmt::Display for Event<N> {
    /// One line, e.g. `db exited with code 1; it restarts in 100ms`.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("job", Command::new("true"));
    /// let mut running = graph.spawn()?;
    /// let mut lines = Vec::new();
    /// while let Some(event) = running.next_event(None)? {
    ///     lines.push(event.map_node(|id| running.name(id)).to_string());
    /// }
    /// assert!(lines[0].starts_with("job started (pid "));
    /// assert_eq!(lines[1], "job exited with code 0; it stays stopped");
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Started { node, pid } => write!(f, "{node} started (pid {pid})"),
            Event::Ready { node } => write!(f, "{node} is ready"),
            Event::ReadyTimeout { node } => {
                write!(f, "{node} was not ready in time; it is being killed")
            }
            Event::WatchdogTimeout { node } => {
                write!(f, "{node} missed its watchdog; it is being aborted")
            }
            Event::Stopping { node } => write!(f, "{node} is stopping (STOPPING=1)"),
            Event::MainPid { node, pid } => write!(f, "{node}'s main process is now pid {pid}"),
            Event::MainPidRefused {
                node,
                claimed: Some(pid),
                reason,
            } => write!(
                f,
                "{node} named pid {pid} its main process: refused, {reason}"
            ),
            Event::MainPidRefused {
                node,
                claimed: None,
                reason,
            } => write!(f, "{node} named a main process: refused, {reason}"),
            Event::Exited {
                node,
                status,
                decision,
            } => write!(f, "{node} {status}; {decision}"),
            Event::StartFailed { node, error } => write!(
                f,
                "{node} could not start again: {} failed ({})",
                error.step(),
                error.io_error()
            ),
            Event::StartHeld { node } => write!(
                f,
                "{node} waits to start: its scope's init, held up, has not killed what its last run left"
            ),
            Event::DependencyFailed { node, dependency } => write!(
                f,
                "{node} cannot start: {dependency}, which it starts after, ended without becoming ready"
            ),
            Event::ProbeFailed {
                node,
                probe,
                result,
                failures,
            } => write!(
                f,
                "{node}: {probe} probe failed ({failures} in a row): {result}"
            ),
            Event::ProbeKilled {
                node,
                result,
                failures,
            } => write!(
                f,
                "{node}: liveness probe failed ({failures} in a row: {result}); it is being killed"
            ),
            Event::Signal(signal) => write!(f, "{signal} arrived; the graph is stopping"),
            Event::Woken => f.write_str("woken"),
            Event::SubgraphFailed {
                subgraph,
                node,
                on_failure,
            } => {
                let then = match on_failure {
                    SubgraphFailure::Restart => "it restarts as a whole",
                    SubgraphFailure::Escalate => "the level above it fails too",
                };
                write!(
                    f,
                    "subgraph {subgraph} failed: the restart of {node} exceeded its intensity; {then}"
                )
            }
        }
    }
}
