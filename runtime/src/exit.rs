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
    /// It ended, but how is not known: it was a main process the node named
    /// with `MAINPID=`, not the runtime's child, whose status the kernel
    /// would not show — `/proc` hides a zombie's exit code from a process
    /// not allowed to ptrace it, and only Linux 6.15 keeps the status of a
    /// reaped process for its pidfd. Or it was the runtime's own child but
    /// another part of the application reaped it first (a `waitpid(-1)`
    /// elsewhere), which took its status. Not a success: `on-failure`
    /// restarts the node.
    Unknown,
}

impl ExitStatus {
    /// Exit code 0.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let check = graph.node("check", Command::new("test").args(["-d", "/"]));
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report[check].status.unwrap().success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }

    /// The exit code, if it exited.
    ///
    /// ```
    /// use process_graph_runtime::{Command, ExitStatus, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let lint = graph.node("lint", Command::new("sh").args(["-c", "exit 3"]));
    /// let report = graph.spawn()?.wait()?;
    /// assert_eq!(report[lint].status.and_then(ExitStatus::code), Some(3));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn code(self) -> Option<i32> {
        match self {
            ExitStatus::Exited(code) => Some(code),
            ExitStatus::Signaled(_) | ExitStatus::Unknown => None,
        }
    }

    /// The signal, if one ended it.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let server = graph.node("server", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// running.kill(server)?;
    /// let status = running.wait()?[server].status.unwrap();
    /// assert_eq!(status.signal(), Some(Signal::KILL));
    /// assert_eq!(status.code(), None);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn signal(self) -> Option<Signal> {
        match self {
            ExitStatus::Signaled(signal) => Some(signal),
            ExitStatus::Exited(_) | ExitStatus::Unknown => None,
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

    /// From a wait status as `wait(2)` encodes it (`WIFEXITED`, …).
    pub(crate) fn from_wait_status(raw: i32) -> ExitStatus {
        if libc::WIFEXITED(raw) {
            ExitStatus::Exited(libc::WEXITSTATUS(raw))
        } else if libc::WIFSIGNALED(raw) {
            ExitStatus::Signaled(Signal::from_raw(libc::WTERMSIG(raw)).unwrap_or(Signal::KILL))
        } else {
            ExitStatus::Unknown
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(code) => write!(f, "exited with code {code}"),
            ExitStatus::Signaled(signal) => write!(f, "killed by {signal}"),
            ExitStatus::Unknown => f.write_str("ended, how is not known"),
        }
    }
}

/// How one node ended.
///
/// ```
/// use process_graph_runtime::{Command, ExitStatus, Graph, NodeExit};
///
/// let mut graph = Graph::new();
/// let migrate = graph.node("migrate", Command::new("true"));
/// let report = graph.spawn()?.wait()?;
/// let exit: &NodeExit = &report[migrate];
/// assert_eq!((exit.name.as_str(), exit.status), ("migrate", Some(ExitStatus::Exited(0))));
/// assert_eq!(exit.restarts, 0);
/// assert_eq!(exit.to_string(), "migrate: exited with code 0");
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeExit {
    /// The node.
    pub node: NodeId,
    /// Its name.
    pub name: String,
    /// How its last process ended; `None` if it never started (a dependency
    /// failed, or the graph stopped first).
    pub status: Option<ExitStatus>,
    /// How many times it was restarted.
    pub restarts: u32,
    /// Its last process did not stop within the stop timeout and was SIGKILLed.
    pub killed_after_timeout: bool,
    /// Its liveness probe failed and killed its last process (see
    /// [`NodeOptions::live_probe`](crate::NodeOptions::live_probe)).
    pub killed_by_probe: bool,
    /// The OOM killer killed a process of its last run (its cgroup's
    /// `memory.events` counted an `oom_kill`) — so a SIGKILL in `status` came
    /// from there. Known only where the node has a cgroup with the memory
    /// controller enabled; false elsewhere.
    pub oom_killed: bool,
}

impl NodeExit {
    /// It ran, and its last process exited with code 0.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("build", Command::new("true"));
    /// graph.node("test", Command::new("false"));
    /// let report = graph.spawn()?.wait()?;
    /// let failed: Vec<&str> = report.iter().filter(|n| !n.success()).map(|n| &*n.name).collect();
    /// assert_eq!(failed, ["test"]);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn success(&self) -> bool {
        self.status.is_some_and(ExitStatus::success)
    }
}

impl fmt::Display for NodeExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{}: {status}", self.name)?,
            None => write!(f, "{}: never started", self.name)?,
        }
        if self.restarts > 0 {
            write!(f, " after {} restart(s)", self.restarts)?;
        }
        if self.killed_by_probe {
            f.write_str(" (killed: its liveness probe failed)")?;
        }
        if self.killed_after_timeout {
            f.write_str(" (after the stop timeout)")?;
        }
        if self.oom_killed {
            f.write_str(" (out of memory: the OOM killer struck)")?;
        }
        Ok(())
    }
}

/// Why a graph ended.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Graph, Outcome};
///
/// let mut graph = Graph::new();
/// graph.node("server", Command::new("sleep").arg("10"));
/// let mut running = graph.spawn()?;
/// let report = running.shutdown(Duration::from_secs(5))?;
/// match report.outcome() {
///     Outcome::Shutdown => println!("stopped as asked"),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Every node ended on its own and none is to be restarted.
    Completed,
    /// The application asked for it (`shutdown`, `Decision::StopGraph`, drop).
    Shutdown,
    /// A signal registered with `stop_on_signals` arrived.
    Signal(Signal),
    /// A critical node ended for good.
    Critical {
        /// The node.
        node: NodeId,
    },
    /// Restarts exceeded the graph's intensity; this node's was one too many.
    RestartIntensity {
        /// The node.
        node: NodeId,
    },
    /// A node could never start because a dependency failed.
    DependencyFailed {
        /// The node that could not start.
        node: NodeId,
        /// The dependency.
        dependency: NodeId,
    },
    /// `spawn` gave up: this node had not started within the graph's
    /// [`start_timeout`](crate::Graph::start_timeout), waiting for this
    /// dependency to be ready.
    StartTimeout {
        /// The node that had not started.
        node: NodeId,
        /// The dependency it was waiting for.
        dependency: NodeId,
    },
}

impl Outcome {
    /// The graph failed: the outcomes [`wait`](crate::RunningGraph::wait)
    /// returns as an error (and [`spawn`](crate::Graph::spawn) too, when
    /// they come about while it starts the graph).
    ///
    /// ```
    /// use process_graph_runtime::{NodeId, Outcome};
    ///
    /// let db = NodeId::from_index(0);
    /// assert!(Outcome::RestartIntensity { node: db }.is_failure()); // `wait` returns an error
    /// assert!(!Outcome::Critical { node: db }.is_failure()); // `wait` returns the report
    /// assert!(!Outcome::Completed.is_failure());
    /// ```
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::RestartIntensity { .. }
                | Outcome::DependencyFailed { .. }
                | Outcome::StartTimeout { .. }
        )
    }
}

/// How every node of a graph ended, in node order, and why the graph ended.
///
/// ```
/// use process_graph_runtime::{Command, Graph};
///
/// let mut graph = Graph::new();
/// let ok = graph.node("ok", Command::new("true"));
/// let bad = graph.node("bad", Command::new("false"));
/// let report = graph.spawn()?.wait()?;
/// assert!(report[ok].success());
/// assert_eq!(report[bad].status.and_then(|s| s.code()), Some(1));
/// assert!(!report.success());
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReport {
    pub(crate) nodes: Vec<NodeExit>,
    pub(crate) outcome: Outcome,
}

impl ExitReport {
    /// Every node ran and its last process exited with code 0.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("fetch", Command::new("true"));
    /// graph.node("unpack", Command::new("true"));
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report.success(), "some step failed:\n{report}");
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn success(&self) -> bool {
        self.nodes.iter().all(NodeExit::success)
    }

    /// Why the graph ended.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Outcome};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("job", Command::new("true"));
    /// let report = graph.spawn()?.wait()?;
    /// assert_eq!(report.outcome(), Outcome::Completed); // it ended on its own
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The nodes, in declaration order.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("true"));
    /// graph.node("app", Command::new("sh").args(["-c", "exit 2"]));
    /// let report = graph.spawn()?.wait()?;
    /// let lines: Vec<String> = report.iter().map(|n| n.to_string()).collect();
    /// assert_eq!(lines, ["db: exited with code 0", "app: exited with code 2"]);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &NodeExit> {
        self.nodes.iter()
    }

    /// The entry of the node named `name`.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("migrate", Command::new("true"));
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report.by_name("migrate").is_some_and(|m| m.success()));
    /// assert!(report.by_name("seed").is_none());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
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
