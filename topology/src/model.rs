//! The topology types. Every field is `'static` data so a whole topology can
//! be a `const`; the macro builds one at compile time by leaking its strings.

/// A whole graph.
///
/// ```
/// use process_graph_topology::{NodeInfo, Topology};
///
/// const TOPOLOGY: Topology = Topology {
///     name: "Single",
///     nodes: &[NodeInfo { name: "server", command: Some("./server"), scope: None,
///                         restart: "always", critical: true, after: &[], ready: Some("notify") }],
///     edges: &[],
///     scopes: &[],
///     strategy: "one_for_one",
///     intensity: 5,
///     period_ms: 10_000,
/// };
/// assert_eq!(TOPOLOGY.nodes[0].name, "server");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topology {
    /// The graph's name (the struct's name).
    pub name: &'static str,
    /// Processes, in declaration order.
    pub nodes: &'static [NodeInfo],
    /// Pipes and socketpairs, in declaration order.
    pub edges: &'static [EdgeInfo],
    /// Namespace scopes, in declaration order.
    pub scopes: &'static [ScopeInfo],
    /// The restart strategy: `"one_for_one"`, `"one_for_all"` or `"rest_for_one"`.
    pub strategy: &'static str,
    /// At most this many restarts within `period_ms`, or the graph gives up.
    pub intensity: u32,
    /// The intensity period, in milliseconds.
    pub period_ms: u64,
}

impl Topology {
    /// The restart intensity when a graph sets none: 3 restarts within
    /// [`DEFAULT_PERIOD_MS`](Self::DEFAULT_PERIOD_MS), as Erlang/OTP. The
    /// macro (at compile time) and the runtime both take it from here.
    pub const DEFAULT_INTENSITY: u32 = 3;
    /// The intensity period when a graph sets none: 5 seconds.
    pub const DEFAULT_PERIOD_MS: u64 = 5_000;
}

/// One process.
///
/// ```
/// use process_graph_topology::NodeInfo;
///
/// // `#[process(restart = "on-failure", after = [source], ready = fd(3))] filter: Cmd`
/// let filter = NodeInfo { name: "filter", command: Some("grep error"), scope: None,
///                         restart: "on-failure", critical: false, after: &[0],
///                         ready: Some("fd(3)") };
/// assert_eq!(filter.after, [0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeInfo {
    /// The field name.
    pub name: &'static str,
    /// The command line, when it is known at compile time.
    pub command: Option<&'static str>,
    /// Index into [`Topology::scopes`].
    pub scope: Option<usize>,
    /// `"never"`, `"on-failure"` or `"always"`.
    pub restart: &'static str,
    /// The graph ends when this node ends.
    pub critical: bool,
    /// Indices of the nodes that must be ready before this one starts.
    pub after: &'static [usize],
    /// Readiness: `None` (ready at exec), `Some("fd(3)")`, `Some("notify")`.
    pub ready: Option<&'static str>,
}

/// Whether an edge is a pipe or a socketpair.
///
/// ```
/// use process_graph_topology::EdgeKind;
///
/// assert_ne!(EdgeKind::Pipe, EdgeKind::SocketPair);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// A pipe: `from` are the writers, `to` the one reader.
    Pipe,
    /// A socketpair: `from` and `to` hold one end each.
    SocketPair,
}

/// One end of an edge.
///
/// ```
/// use process_graph_topology::EndpointInfo;
///
/// let filter_fd3 = EndpointInfo { node: Some(1), fd: 3 }; // `filter.fd(3)`
/// let parent = EndpointInfo { node: None, fd: -1 };       // `parent`
/// assert!(parent.node.is_none() && filter_fd3.fd == 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointInfo {
    /// Index into [`Topology::nodes`]; `None` is the parent.
    pub node: Option<usize>,
    /// The fd number in the child (ignored for the parent).
    pub fd: i32,
}

/// One pipe or socketpair.
///
/// ```
/// use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo};
///
/// // `#[pipe(a.stdout, b.stdout -> c.stdin)] merged: Pipe`
/// let merged = EdgeInfo {
///     name: "merged",
///     kind: EdgeKind::Pipe,
///     from: &[EndpointInfo { node: Some(0), fd: 1 }, EndpointInfo { node: Some(1), fd: 1 }],
///     to: &[EndpointInfo { node: Some(2), fd: 0 }],
/// };
/// assert_eq!(merged.from.len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeInfo {
    /// The field name.
    pub name: &'static str,
    /// Pipe or socketpair.
    pub kind: EdgeKind,
    /// The writers of a pipe, or the first end of a socketpair.
    pub from: &'static [EndpointInfo],
    /// The reader of a pipe, or the second end of a socketpair.
    pub to: &'static [EndpointInfo],
}

/// One namespace scope.
///
/// ```
/// use process_graph_topology::ScopeInfo;
///
/// // `#[scope(user, pid, net, uts, hostname = "sandbox")] sandbox: Scope`
/// let sandbox = ScopeInfo { name: "sandbox", namespaces: &["user", "pid", "net", "uts"],
///                           hostname: Some("sandbox"), parent: None };
/// assert!(sandbox.namespaces.contains(&"pid"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeInfo {
    /// The field name.
    pub name: &'static str,
    /// Namespace kinds: `"user"`, `"pid"`, `"net"`, `"mount"`, `"uts"`, `"ipc"`.
    pub namespaces: &'static [&'static str],
    /// The hostname set in its uts namespace.
    pub hostname: Option<&'static str>,
    /// Index of the enclosing scope.
    pub parent: Option<usize>,
}
