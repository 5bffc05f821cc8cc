//! How a process ended, and the per-node report of a whole graph.

use std::fmt;

use crate::graph::NodeId;
use crate::signal::Signal;

/// How a process ended.
///
/// ```
/// use process_graph_runtime::{ExitStatus, Signal};
///
/// assert!(ExitStatus::Exited(0).success());
/// assert_eq!(ExitStatus::Signaled(Signal::KILL).to_string(), "killed by SIGKILL");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It called `exit` with this code.
    Exited(i32),
    /// A signal ended it.
    Signaled(Signal),
}

impl ExitStatus {
    /// Exit code 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }

    /// The exit code, if it exited.
    pub fn code(self) -> Option<i32> {
        match self {
            ExitStatus::Exited(code) => Some(code),
            ExitStatus::Signaled(_) => None,
        }
    }

    /// The signal, if one ended it.
    pub fn signal(self) -> Option<Signal> {
        match self {
            ExitStatus::Signaled(signal) => Some(signal),
            ExitStatus::Exited(_) => None,
        }
    }

    pub(crate) fn from_waitid(status: &rustix::process::WaitIdStatus) -> ExitStatus {
        match (status.exit_status(), status.terminating_signal()) {
            (Some(code), _) => ExitStatus::Exited(code),
            (None, Some(signo)) => {
                ExitStatus::Signaled(Signal::from_raw(signo).unwrap_or(Signal::KILL))
            }
            (None, None) => ExitStatus::Exited(status.raw_code()),
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(code) => write!(f, "exited with code {code}"),
            ExitStatus::Signaled(signal) => write!(f, "killed by {signal}"),
        }
    }
}

/// How one node ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeExit {
    /// The node.
    pub node: NodeId,
    /// Its name.
    pub name: String,
    /// How its process ended.
    pub status: ExitStatus,
    /// It did not stop within the stop timeout and was sent SIGKILL.
    pub killed_after_timeout: bool,
}

impl fmt::Display for NodeExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.status)?;
        if self.killed_after_timeout {
            f.write_str(" (after the stop timeout)")?;
        }
        Ok(())
    }
}

/// How every node of a graph ended, in node order.
///
/// ```
/// use process_graph_runtime::{Command, Graph};
///
/// let mut graph = Graph::new();
/// let ok = graph.node("ok", Command::new("true"));
/// let bad = graph.node("bad", Command::new("false"));
/// let report = graph.spawn()?.wait()?;
/// assert!(report[ok].status.success());
/// assert_eq!(report[bad].status.code(), Some(1));
/// assert!(!report.success());
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReport {
    pub(crate) nodes: Vec<NodeExit>,
}

impl ExitReport {
    /// Every node exited with code 0.
    pub fn success(&self) -> bool {
        self.nodes.iter().all(|n| n.status.success())
    }

    /// The nodes, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &NodeExit> {
        self.nodes.iter()
    }

    /// The entry of the node named `name`.
    pub fn by_name(&self, name: &str) -> Option<&NodeExit> {
        self.nodes.iter().find(|n| n.name == name)
    }
}

impl std::ops::Index<NodeId> for ExitReport {
    type Output = NodeExit;

    fn index(&self, node: NodeId) -> &NodeExit {
        &self.nodes[node.index()]
    }
}

impl fmt::Display for ExitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for node in &self.nodes {
            writeln!(f, "{node}")?;
        }
        Ok(())
    }
}
