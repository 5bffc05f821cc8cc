//! Children: graphs of one declared type added to a running graph at run
//! time (OTP's `simple_one_for_one`), each a supervision level of its own,
//! and named by the enclosing node enum as `PoolNode::Workers(child)`.

use std::fmt;
use std::marker::PhantomData;

use process_graph_runtime::{NodeExit, NodeId};

use crate::GraphNode;

/// The type of a `#[children]` field: the children, graphs of type `G`,
/// are added at run time through the generated `add_<field>` method of the
/// running handle, so the field holds nothing and is left out of `new`.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Worker {
///     #[process]
///     work: Cmd,
/// }
///
/// #[process_graph]
/// struct Pool {
///     #[process]
///     dispatcher: Cmd,
///     #[children]
///     workers: Children<Worker>,
/// }
///
/// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
/// let first = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
/// let node = PoolNode::Workers(first.node(WorkerNode::Work));
/// assert_eq!(node.to_string(), "workers.0.work");
/// assert!(running.process(node).pid().is_some());
/// running.remove_child(first);
/// running.shutdown(std::time::Duration::from_secs(5))?;
/// # Ok::<(), process_graph::Error>(())
/// ```
pub struct Children<G>(PhantomData<fn() -> G>);

impl<G> Default for Children<G> {
    fn default() -> Self {
        Children(PhantomData)
    }
}

impl<G> fmt::Debug for Children<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Children")
    }
}

/// One child added to a `#[children]` field: its number (from 0, in the
/// order children were added to that field, never reused) and where its
/// nodes are in the running graph. `N` is the child graph's node enum.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Worker { #[process] work: Cmd }
/// #[process_graph]
/// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
///
/// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
/// let first = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
/// let second = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
/// assert_ne!(first, second);
/// running.remove_child(first); // the handle for all of its nodes
/// # Ok::<(), process_graph::Error>(())
/// ```
pub struct ChildId<N> {
    number: u32,
    first: NodeId,
    node: PhantomData<fn() -> N>,
}

impl<N: GraphNode> ChildId<N> {
    pub(crate) fn new(number: u32, first: NodeId) -> Self {
        ChildId {
            number,
            first,
            node: PhantomData,
        }
    }

    /// The child's number within its field: `workers.3` is number 3.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Worker { #[process] work: Cmd }
    /// #[process_graph]
    /// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
    ///
    /// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let first = running.add_workers(Worker::new(Cmd::new("true")))?;
    /// running.remove_child(first);
    /// let next = running.add_workers(Worker::new(Cmd::new("true")))?;
    /// assert_eq!((first.number(), next.number()), (0, 1)); // numbers are not reused
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn number(self) -> u32 {
        self.number
    }

    /// Node `node` of this child, to wrap in the enclosing node enum's
    /// variant (`PoolNode::Workers(child.node(WorkerNode::Work))`).
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Worker { #[process] work: Cmd }
    /// #[process_graph]
    /// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
    ///
    /// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let first = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
    /// let work = PoolNode::Workers(first.node(WorkerNode::Work));
    /// assert!(running.process(work).pid().is_some());
    /// assert_eq!(work.to_string(), "workers.0.work");
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn node(self, node: N) -> Child<N> {
        Child { id: self, node }
    }

    /// The running graph's ids of the child's nodes.
    pub(crate) fn ids(self) -> impl Iterator<Item = NodeId> {
        (0..N::COUNT).map(move |k| NodeId::from_index(self.first.index() + k))
    }
}

/// A node of a child: which child, and which of its nodes, by the child
/// graph's own node enum. Shown as `number.node` (`3.work`), and by the
/// enclosing node enum with the field first (`workers.3.work`).
///
/// ```
/// use process_graph::{Child, prelude::*};
///
/// #[process_graph]
/// struct Worker { #[process] work: Cmd }
/// #[process_graph]
/// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
///
/// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
/// let first = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
/// let work: Child<WorkerNode> = first.node(WorkerNode::Work);
/// assert_eq!(work.to_string(), "0.work");
/// running.stop(PoolNode::Workers(work)); // the node enum names it too
/// # Ok::<(), process_graph::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Child<N> {
    id: ChildId<N>,
    node: N,
}

impl<N: GraphNode> Child<N> {
    /// The child this node belongs to.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Worker { #[process] work: Cmd }
    /// #[process_graph]
    /// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
    ///
    /// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let first = running.add_workers(Worker::new(Cmd::new("sh").args(["-c", "sleep 0.1; exit 1"])))?;
    /// while let Some(event) = running.next_event(None)? {
    ///     if let GraphEvent::Exited { node: PoolNode::Workers(failed), .. } = event {
    ///         assert_eq!(failed.child(), first);
    ///         running.remove_child(failed.child()); // all of the child's nodes
    ///         break;
    ///     }
    /// }
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn child(self) -> ChildId<N> {
        self.id
    }

    /// The node, by the child graph's own node enum.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Worker { #[process] work: Cmd }
    /// #[process_graph]
    /// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
    ///
    /// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let first = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
    /// let work = first.node(WorkerNode::Work);
    /// match work.node() {
    ///     WorkerNode::Work => assert_eq!(work.node().name(), "work"), // the child graph's own enum
    /// }
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn node(self) -> N {
        self.node
    }

    /// The node's id in the running graph.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Worker { #[process] work: Cmd }
    /// #[process_graph]
    /// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
    ///
    /// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let first = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
    /// let work = first.node(WorkerNode::Work);
    /// let untyped = running.running_graph();
    /// assert_eq!(untyped.name(work.id()), "workers.0.work");
    /// assert_eq!(untyped.pid(work.id()), running.process(PoolNode::Workers(work)).pid());
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn id(self) -> NodeId {
        NodeId::from_index(self.id.first.index() + self.node.id().index())
    }
}

/// How one node of a child ended: the entries of a `#[children]` field in a
/// generated report, in the order the children were added.
///
/// ```
/// use process_graph::{ChildExit, prelude::*};
///
/// #[process_graph]
/// struct Worker { #[process] work: Cmd }
/// #[process_graph]
/// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
///
/// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
/// running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
/// let report = running.shutdown(std::time::Duration::from_secs(5))?;
/// let exit: &ChildExit<WorkerNode> = &report.workers[0];
/// assert_eq!(exit.node.to_string(), "0.work");
/// assert_eq!(exit.exit.status, Some(ExitStatus::Signaled(Signal::TERM)));
/// # Ok::<(), process_graph::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildExit<N> {
    /// The node.
    pub node: Child<N>,
    /// How it ended.
    pub exit: NodeExit,
}

// By hand: derives would bound `N` where only `PhantomData<fn() -> N>` is held.
impl<N> Clone for ChildId<N> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<N> Copy for ChildId<N> {}
impl<N> PartialEq for ChildId<N> {
    fn eq(&self, other: &Self) -> bool {
        (self.number, self.first) == (other.number, other.first)
    }
}
impl<N> Eq for ChildId<N> {}
impl<N> PartialOrd for ChildId<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<N> Ord for ChildId<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.first, self.number).cmp(&(other.first, other.number))
    }
}
impl<N> std::hash::Hash for ChildId<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.number, self.first).hash(state)
    }
}
impl<N> fmt::Debug for ChildId<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChildId({})", self.number)
    }
}

impl<N: fmt::Display> fmt::Display for Child<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.id.number, self.node)
    }
}
