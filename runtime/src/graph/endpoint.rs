//! Endpoints: the places an edge attaches to — an fd of a node, or the parent.

/// A node of a [`Graph`](crate::Graph), returned by [`Graph::node`](crate::Graph::node).
///
/// Its methods name the node's fds as edge endpoints.
///
/// ```
/// use process_graph_runtime::{Command, Endpoint, Graph};
///
/// let mut graph = Graph::new();
/// let cat = graph.node("cat", Command::new("cat"));
/// assert_eq!(cat.stdout(), Endpoint::Node { node: cat, fd: 1 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The node's stdin (fd 0).
    pub fn stdin(self) -> Endpoint {
        self.fd(0)
    }

    /// The node's stdout (fd 1).
    pub fn stdout(self) -> Endpoint {
        self.fd(1)
    }

    /// The node's stderr (fd 2).
    pub fn stderr(self) -> Endpoint {
        self.fd(2)
    }

    /// Fd number `fd` of the node.
    pub fn fd(self, fd: i32) -> Endpoint {
        Endpoint::Node { node: self, fd }
    }

    /// The node's position in its graph, in declaration order.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The node at position `index`. Generated code uses this; a wrong index
    /// is reported by validation as an unknown node.
    pub fn from_index(index: usize) -> Self {
        NodeId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// An edge of a [`Graph`](crate::Graph): a pipe or a socketpair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeId(pub(crate) u32);

impl EdgeId {
    /// The edge's position in its graph, in declaration order.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The edge at position `index`. A wrong index names no edge: taking
    /// its parent end gives `None`.
    pub fn from_index(index: usize) -> Self {
        EdgeId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// A namespace scope of a [`Graph`](crate::Graph), returned by
/// [`Graph::scope`](crate::Graph::scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub(crate) u32);

impl ScopeId {
    /// The scope's position in its graph, in declaration order.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The scope at position `index`. Generated code uses this; a wrong
    /// index names no scope: a node given it is refused by validation, and
    /// a node in a [`Graph::running_scope`](crate::Graph::running_scope)
    /// given it makes the add fail with
    /// [`Error::NoSuchScope`](crate::Error::NoSuchScope).
    pub fn from_index(index: usize) -> Self {
        ScopeId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// One end of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Fd `fd` of node `node`.
    Node {
        /// The node.
        node: NodeId,
        /// The fd number in the child.
        fd: i32,
    },
    /// The application itself: the runtime hands this end to the caller
    /// (see [`RunningGraph::take_reader`](crate::RunningGraph::take_reader)).
    Parent,
}

/// One or more endpoints: an [`Endpoint`], an array, a slice or a `Vec` of them.
///
/// ```
/// use process_graph_runtime::{Command, Graph};
///
/// let mut graph = Graph::new();
/// let a = graph.node("a", Command::new("echo").arg("a"));
/// let b = graph.node("b", Command::new("echo").arg("b"));
/// let sink = graph.node("sink", Command::new("cat"));
/// graph.pipe([a.stdout(), b.stdout()], sink.stdin()); // fan-in
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoints(pub(crate) Vec<Endpoint>);

impl From<Endpoint> for Endpoints {
    fn from(endpoint: Endpoint) -> Self {
        Endpoints(vec![endpoint])
    }
}

impl<const N: usize> From<[Endpoint; N]> for Endpoints {
    fn from(endpoints: [Endpoint; N]) -> Self {
        Endpoints(endpoints.to_vec())
    }
}

impl From<&[Endpoint]> for Endpoints {
    fn from(endpoints: &[Endpoint]) -> Self {
        Endpoints(endpoints.to_vec())
    }
}

impl From<Vec<Endpoint>> for Endpoints {
    fn from(endpoints: Vec<Endpoint>) -> Self {
        Endpoints(endpoints)
    }
}
