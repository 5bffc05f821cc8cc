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
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let sort = graph.node("sort", Command::new("sort"));
    /// let input = graph.pipe(Endpoint::Parent, sort.stdin());
    /// let output = graph.pipe(sort.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// running.take_writer(input).unwrap().write_all(b"b\na\n")?; // dropped: EOF
    /// let mut sorted = String::new();
    /// running.take_reader(output).unwrap().read_to_string(&mut sorted)?;
    /// assert_eq!(sorted, "a\nb\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stdin(self) -> Endpoint {
        self.fd(0)
    }

    /// The node's stdout (fd 1).
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let seq = graph.node("seq", Command::new("seq").arg("3"));
    /// let numbers = graph.pipe(seq.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(numbers).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "1\n2\n3\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stdout(self) -> Endpoint {
        self.fd(1)
    }

    /// The node's stderr (fd 2).
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let job = graph.node("job", Command::new("sh").args(["-c", "echo done; echo oops >&2"]));
    /// let errors = graph.pipe(job.stderr(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(errors).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "oops\n"); // stdout is still inherited
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stderr(self) -> Endpoint {
        self.fd(2)
    }

    /// Fd number `fd` of the node.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let job = graph.node("job", Command::new("sh").args(["-c", "echo status >&3"]));
    /// let status = graph.pipe(job.fd(3), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(status).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "status\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fd(self, fd: i32) -> Endpoint {
        Endpoint::Node { node: self, fd }
    }

    /// The node's position in its graph, in declaration order.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("true"));
    /// let app = graph.node("app", Command::new("true"));
    /// assert_eq!(app.index(), 1);
    /// assert_eq!(graph.topology().nodes[app.index()].name, "app");
    /// ```
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The node at position `index`. Generated code uses this; a wrong index
    /// is reported by validation as an unknown node.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeId};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("true"));
    /// assert_eq!(NodeId::from_index(0), db);
    /// assert_eq!(graph.node_name(NodeId::from_index(0)), Some("db"));
    /// assert_eq!(graph.node_name(NodeId::from_index(7)), None);
    /// ```
    pub fn from_index(index: usize) -> Self {
        NodeId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// An edge of a [`Graph`](crate::Graph): a pipe or a socketpair.
///
/// ```
/// use process_graph_runtime::{Command, EdgeId, Graph};
///
/// let mut graph = Graph::new();
/// let seq = graph.node("seq", Command::new("seq").arg("3"));
/// let wc = graph.node("wc", Command::new("wc").arg("-l"));
/// let lines: EdgeId = graph.pipe(seq.stdout(), wc.stdin());
/// graph.name_edge(lines, "lines");
/// assert_eq!(graph.edge_named("lines"), Some(lines));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeId(pub(crate) u32);

impl EdgeId {
    /// The edge's position in its graph, in declaration order.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let seq = graph.node("seq", Command::new("seq").arg("3"));
    /// let wc = graph.node("wc", Command::new("wc").arg("-l"));
    /// let lines = graph.pipe(seq.stdout(), wc.stdin());
    /// graph.name_edge(lines, "lines");
    /// assert_eq!(lines.index(), 0);
    /// assert_eq!(graph.topology().edges[lines.index()].name.as_deref(), Some("lines"));
    /// ```
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The edge at position `index`. A wrong index names no edge: taking
    /// its parent end gives `None`.
    ///
    /// ```
    /// use process_graph_runtime::{Command, EdgeId, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let echo = graph.node("echo", Command::new("echo").arg("hi"));
    /// let out = graph.pipe(echo.stdout(), Endpoint::Parent);
    /// assert_eq!(EdgeId::from_index(0), out);
    /// let mut running = graph.spawn()?;
    /// assert!(running.take_reader(EdgeId::from_index(7)).is_none()); // no such edge
    /// assert!(running.take_reader(EdgeId::from_index(0)).is_some());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn from_index(index: usize) -> Self {
        EdgeId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// A namespace scope of a [`Graph`](crate::Graph), returned by
/// [`Graph::scope`](crate::Graph::scope).
///
/// ```
/// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeId, ScopeSpec};
///
/// let mut graph = Graph::new();
/// let sandbox: ScopeId = graph.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Net]));
/// let server = graph.node_with("server", Command::new("true"), NodeOptions::new().scope(sandbox));
/// assert_eq!(graph.plan()?.nodes[server.index()].scope.as_deref(), Some("sandbox"));
/// # Ok::<(), process_graph_runtime::Violations>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub(crate) u32);

impl ScopeId {
    /// The scope's position in its graph, in declaration order.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// let sandbox = graph.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Net]));
    /// graph.node_with("server", Command::new("true"), NodeOptions::new().scope(sandbox));
    /// let topology = graph.topology();
    /// assert_eq!(sandbox.index(), 0);
    /// assert_eq!(topology.scopes[sandbox.index()].name, "sandbox");
    /// assert_eq!(topology.nodes[0].scope, Some(sandbox.index()));
    /// ```
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The scope at position `index`. Generated code uses this; a wrong
    /// index names no scope: a node given it is refused by validation, and
    /// a node in a [`Graph::running_scope`](crate::Graph::running_scope)
    /// given it makes the add fail with
    /// [`Error::NoSuchScope`](crate::Error::NoSuchScope).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Rule, ScopeId};
    ///
    /// let mut graph = Graph::new();
    /// let scope = ScopeId::from_index(5); // the graph has no scope at all
    /// graph.node_with("server", Command::new("true"), NodeOptions::new().scope(scope));
    /// let refused = graph.validate().unwrap_err();
    /// assert_eq!(refused.violations()[0].rule, Rule::UnknownScope { index: 5 });
    /// ```
    pub fn from_index(index: usize) -> Self {
        ScopeId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// One end of an edge.
///
/// ```
/// use std::io::Read;
/// use process_graph_runtime::{Command, Endpoint, Graph};
///
/// let mut graph = Graph::new();
/// let echo = graph.node("echo", Command::new("echo").arg("hello"));
/// assert_eq!(echo.stdout(), Endpoint::Node { node: echo, fd: 1 });
/// let out = graph.pipe(echo.stdout(), Endpoint::Parent); // the application reads
/// let mut running = graph.spawn()?;
/// let mut text = String::new();
/// running.take_reader(out).unwrap().read_to_string(&mut text)?;
/// assert_eq!(text, "hello\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
