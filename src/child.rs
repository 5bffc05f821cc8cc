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
    pub fn number(self) -> u32 {
        self.number
    }

    /// Node `node` of this child, to wrap in the enclosing node enum's
    /// variant (`PoolNode::Workers(child.node(WorkerNode::Work))`).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Child<N> {
    id: ChildId<N>,
    node: N,
}

impl<N: GraphNode> Child<N> {
    /// The child this node belongs to.
    pub fn child(self) -> ChildId<N> {
        self.id
    }

    /// The node, by the child graph's own node enum.
    pub fn node(self) -> N {
        self.node
    }

    /// The node's id in the running graph.
    pub fn id(self) -> NodeId {
        NodeId::from_index(self.id.first.index() + self.node.id().index())
    }
}

/// How one node of a child ended: the entries of a `#[children]` field in a
/// generated report, in the order the children were added.
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
