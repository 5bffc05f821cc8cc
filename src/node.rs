//! The node enum a `#[process_graph]` struct gets, and the handle of one of
//! its running processes.

use std::fmt::{Debug, Display};
use std::hash::Hash;

use process_graph_runtime::{Error, ExitStatus, NodeId, NodeState, RunningGraph, Signal};

/// The processes of a declared graph as an enum: one variant per `#[process]`
/// field. Its `Display` is the field name, so a [`GraphEvent`](crate::GraphEvent)
/// prints the node by name. `#[process_graph]` implements it for the `<Name>Node` enum it
/// generates; the enum also has these items as inherent ones.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Pair {
///     #[process]
///     left: Cmd,
///     #[process]
///     right_side: Cmd,
/// }
///
/// assert_eq!(PairNode::ALL, [PairNode::Left, PairNode::RightSide]);
/// assert_eq!(PairNode::RightSide.name(), "right_side");
/// assert_eq!(PairNode::from_id(PairNode::Left.id()), Some(PairNode::Left));
/// ```
pub trait GraphNode: Copy + Eq + Hash + Debug + Display + 'static {
    /// Every process of the graph's own (each replica), in declaration
    /// order; a subgraph's processes are in its own node enum's `ALL`.
    const ALL: &'static [Self];

    /// How many nodes the graph runs: every replica, and every node of its
    /// subgraphs, nested ones included.
    const COUNT: usize;

    /// The field name of the process.
    fn name(self) -> &'static str;

    /// The process's id in the dynamic graph.
    fn id(self) -> NodeId;

    /// The process with this id, if it is one of this graph's.
    fn from_id(id: NodeId) -> Option<Self>;
}

/// One process of a running declared graph, borrowed from its
/// `Running<Name>` handle.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Sleeper {
///     #[process]
///     nap: Cmd,
/// }
///
/// let running = Sleeper::new(Cmd::new("sleep").arg("10")).spawn()?;
/// let nap = running.nap();
/// assert_eq!(nap.node(), SleeperNode::Nap);
/// assert!(nap.pid().is_some());
/// nap.signal(Signal::TERM)?;
/// # Ok::<(), process_graph::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ProcessHandle<'a, N> {
    running: &'a RunningGraph,
    node: N,
}

impl<'a, N: GraphNode> ProcessHandle<'a, N> {
    pub(crate) fn new(running: &'a RunningGraph, node: N) -> Self {
        ProcessHandle { running, node }
    }

    /// Which process this is.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd }
    ///
    /// let running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let db = running.db();
    /// assert_eq!(db.node(), SiteNode::Db);
    /// assert_eq!(running.process(db.node()).pid(), db.pid()); // the same process
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn node(&self) -> N {
        self.node
    }

    /// The field name of the process.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd }
    ///
    /// let running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let db = running.db();
    /// assert_eq!(db.name(), "db");
    /// println!("{}: pid {:?}", db.name(), db.pid());
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn name(&self) -> &'static str {
        self.node.name()
    }

    /// Its current pid, while a process of the node is running.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd }
    ///
    /// let running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let pid = running.db().pid().unwrap();
    /// assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn pid(&self) -> Option<u32> {
        self.running.pid(self.node.id())
    }

    /// How its last process ended, once reaped.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("true")).spawn()?;
    /// while running.next_event(None)?.is_some() {} // until it has ended
    /// assert_eq!(running.db().status(), Some(ExitStatus::Exited(0)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn status(&self) -> Option<ExitStatus> {
        self.running.status(self.node.id())
    }

    /// Where the node is in its life (waiting, running, stopped, …).
    ///
    /// ```
    /// use process_graph::{NodeState, prelude::*};
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// assert_eq!(running.db().state(), NodeState::Running);
    /// running.stop(SiteNode::Db);
    /// while running.next_event(None)?.is_some() {}
    /// assert_eq!(running.db().state(), NodeState::Stopped);
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn state(&self) -> NodeState {
        self.running.state(self.node.id())
    }

    /// Sends `signal` to its process through its pidfd; never reaches a
    /// process that reused the pid.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// running.db().signal(Signal::INT)?;
    /// let report = running.wait()?;
    /// assert_eq!(report.db.status, Some(ExitStatus::Signaled(Signal::INT)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn signal(&self, signal: Signal) -> Result<(), Error> {
        self.running.signal(self.node.id(), signal)
    }

    /// Sends SIGKILL to its process.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sh").args(["-c", "trap '' TERM; sleep 10"])).spawn()?;
    /// running.db().kill()?; // SIGKILL: no trap catches it
    /// let report = running.wait()?;
    /// assert_eq!(report.db.status, Some(ExitStatus::Signaled(Signal::KILL)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn kill(&self) -> Result<(), Error> {
        self.running.kill(self.node.id())
    }
}
