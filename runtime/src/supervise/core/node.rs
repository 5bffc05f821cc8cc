//! The supervision state of one node.

use std::fmt;
use std::time::Instant;

use crate::exit::ExitStatus;

/// Where a node is in its life.
///
/// ```
/// use process_graph_runtime::{Command, Graph, NodeState};
///
/// let mut graph = Graph::new();
/// let sleeper = graph.node("sleeper", Command::new("sleep").arg("10"));
/// let mut running = graph.spawn()?;
/// assert_eq!(running.state(sleeper), NodeState::Running);
/// running.stop(sleeper);
/// running.wait()?;
/// assert_eq!(running.state(sleeper), NodeState::Stopped);
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeState {
    /// Not started yet: waiting for the nodes it starts `after`; or, in a
    /// pid scope whose init was stopped as the scope's only node ended, for
    /// that init to answer the kill of what the node left (README,
    /// "Nothing outlives the graph").
    Waiting,
    /// Started, not ready yet; or being started by the carried program (in
    /// a scope, or under other ids), with no pid until it has reported.
    Starting,
    /// Started and ready.
    Running,
    /// Reloading its configuration: sent its reload signal, or said
    /// `RELOADING=1`; ready again at its next `READY=1`.
    Reloading,
    /// Ended; waiting out its backoff delay before a restart.
    BackingOff,
    /// Asked to stop, or said `STOPPING=1`; waiting for it to end.
    Stopping,
    /// Ended; what happens next is being decided.
    Exited,
    /// Ended, and will not be started again.
    Stopped,
    /// Will not be started again because it failed: it could not be
    /// spawned, or a dependency failed.
    Failed,
}

impl NodeState {
    /// A process of the node exists (not yet reaped).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeState};
    ///
    /// let mut graph = Graph::new();
    /// let sleeper = graph.node("sleeper", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// assert!(running.state(sleeper).is_alive());
    /// running.kill(sleeper)?;
    /// running.wait()?;
    /// assert!(!running.state(sleeper).is_alive());
    /// assert!(NodeState::Stopping.is_alive()); // sent its stop signal, not reaped yet
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn is_alive(self) -> bool {
        matches!(
            self,
            NodeState::Starting | NodeState::Running | NodeState::Reloading | NodeState::Stopping
        )
    }

    /// Nothing more will happen to the node.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeState};
    ///
    /// let mut graph = Graph::new();
    /// let job = graph.node("job", Command::new("true"));
    /// let mut running = graph.spawn()?;
    /// running.wait()?;
    /// assert!(running.state(job).is_final());
    /// assert!(!NodeState::BackingOff.is_final()); // it will be started again
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn is_final(self) -> bool {
        matches!(self, NodeState::Stopped | NodeState::Failed)
    }
}

impl fmt::Display for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeState::Waiting => "waiting",
            NodeState::Starting => "starting",
            NodeState::Running => "running",
            NodeState::Reloading => "reloading",
            NodeState::BackingOff => "backing-off",
            NodeState::Stopping => "stopping",
            NodeState::Exited => "exited",
            NodeState::Stopped => "stopped",
            NodeState::Failed => "failed",
        })
    }
}

/// What becomes of a node the runtime stops, once it has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterStop {
    /// It stays down (`stop(node)`, a shutdown).
    Leave,
    /// It starts again (a group restart, `restart(node)`).
    Restart,
}

/// Which of its ids a node changes, as far as its start is concerned: once
/// the carried program starting it has taken a uid, every process of that
/// uid may signal it (and slow or stop that start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdChange {
    /// It keeps the application's ids.
    None,
    /// It takes this uid.
    Uid(u32),
    /// It keeps the application's uid, and changes its group ids only.
    Groups,
}

impl IdChange {
    pub(crate) fn of(credentials: &crate::credentials::Credentials) -> IdChange {
        match credentials.uid {
            Some(uid) => IdChange::Uid(uid),
            None if credentials.any() => IdChange::Groups,
            None => IdChange::None,
        }
    }
}

/// Supervision bookkeeping for one node, as the core sees it (its process
/// and fds are the driver's: `driver::NodeIo`).
#[derive(Debug)]
pub(crate) struct NodeRuntime {
    pub(crate) state: NodeState,
    /// The runtime wants this process to end (stop, group restart,
    /// shutdown), and what then.
    pub(crate) stop_requested: Option<AfterStop>,
    pub(crate) started_at: Option<Instant>,
    /// Being started by the carried program, whose report is to come: the
    /// node is `Starting` with no process of its own yet.
    pub(crate) launching: bool,
    /// Started through the carried program because it changes its ids
    /// (`Command::uid` and the like): outside scopes, its start counts
    /// among those of the nodes that take the same uid
    /// (`start::launch_bucket`).
    pub(crate) ids: IdChange,
    /// How its last process ended, once reaped.
    pub(crate) last_exit: Option<ExitStatus>,
    /// The current (or last) process became ready.
    pub(crate) was_ready: bool,
    /// Starts after the first.
    pub(crate) restarts: u32,
    pub(crate) backoff_attempt: u32,
    pub(crate) killed_after_timeout: bool,
    /// Its liveness probe killed its current (or last) process.
    pub(crate) killed_by_probe: bool,
    /// Removed from the running graph: stopped for good, left out of
    /// snapshots; its index is never reused.
    pub(crate) removed: bool,
    /// Its edges were let go of since it last could start again
    /// (`Action::ReleaseEdgesOf`): not handed out again while it cannot.
    pub(crate) released: bool,
}

impl NodeRuntime {
    /// A node's bookkeeping before its first start; `ids` as for the
    /// field.
    pub(crate) fn new(ids: IdChange) -> Self {
        NodeRuntime {
            state: NodeState::Waiting,
            stop_requested: None,
            started_at: None,
            launching: false,
            ids,
            last_exit: None,
            was_ready: false,
            restarts: 0,
            backoff_attempt: 0,
            killed_after_timeout: false,
            killed_by_probe: false,
            removed: false,
            released: false,
        }
    }

    /// Ended successfully after having been ready: good enough for the nodes
    /// that start `after` it (a one-shot setup job).
    pub(crate) fn completed(&self) -> bool {
        self.state == NodeState::Stopped
            && self.was_ready
            && self.last_exit.is_some_and(ExitStatus::success)
    }
}
