//! The topology types: the graph as data, which both front doors lower
//! their declarations to — the macro at compile time (emitted as a `const`,
//! hence the `Cow`s: borrowed from `'static` data there) and the runtime's
//! `Graph` at run time (owned). The renderers draw it and
//! [`Topology::check`] holds every wiring rule, once.

use std::borrow::Cow;
use std::fmt;

use crate::probe::ProbeInfo;
use crate::rules::Side;

/// Text that is `'static` in a `const` topology and owned in a built one.
///
/// ```
/// use std::borrow::Cow;
/// use process_graph_topology::{NodeInfo, Text};
///
/// const NAME: Text = Cow::Borrowed("server"); // in a `const` topology, as the macro emits
/// let built: Text = format!("worker-{}", 3).into(); // owned, in a topology built at run time
/// let nodes = [NodeInfo { name: NAME, ..NodeInfo::default() }, NodeInfo { name: built, ..NodeInfo::default() }];
/// assert_eq!(nodes[1].name, "worker-3");
/// ```
pub type Text = Cow<'static, str>;

/// A list that is `'static` in a `const` topology and owned in a built one.
///
/// ```
/// use std::borrow::Cow;
/// use process_graph_topology::{List, NodeInfo};
///
/// const NONE: List<usize> = Cow::Borrowed(&[]); // in a `const` topology, as the macro emits
/// let after: List<usize> = vec![0, 2].into(); // owned, in a topology built at run time
/// let node = NodeInfo { name: "app".into(), after, after_subgraphs: NONE, ..NodeInfo::default() };
/// assert_eq!(node.after[..], [0, 2]);
/// ```
pub type List<T> = Cow<'static, [T]>;

/// A whole graph.
///
/// ```
/// use process_graph_topology::{NodeInfo, Ready, Topology};
///
/// let topology = Topology {
///     name: "Single".into(),
///     nodes: vec![NodeInfo {
///         name: "server".into(),
///         restart: "always",
///         critical: true,
///         ready: Some(Ready::Notify),
///         ..NodeInfo::default()
///     }]
///     .into(),
///     ..Topology::default()
/// };
/// assert_eq!(topology.nodes[0].name, "server");
/// assert!(topology.check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The graph's name (the struct's name).
    pub name: Text,
    /// Processes, in declaration order.
    pub nodes: List<NodeInfo>,
    /// Pipes and socketpairs, in declaration order.
    pub edges: List<EdgeInfo>,
    /// Namespace scopes, in declaration order.
    pub scopes: List<ScopeInfo>,
    /// Nested graphs (`#[subgraph]` fields), in declaration order.
    pub subgraphs: List<SubgraphInfo>,
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
    ///
    /// ```
    /// use process_graph_topology::Topology;
    ///
    /// assert_eq!(Topology::DEFAULT_INTENSITY, 3);
    /// assert_eq!(Topology::default().intensity, Topology::DEFAULT_INTENSITY);
    /// ```
    pub const DEFAULT_INTENSITY: u32 = 3;
    /// The intensity period when a graph sets none: 5 seconds.
    ///
    /// ```
    /// use process_graph_topology::Topology;
    ///
    /// assert_eq!(Topology::DEFAULT_PERIOD_MS, 5_000);
    /// let lenient = Topology { period_ms: 2 * Topology::DEFAULT_PERIOD_MS, ..Topology::default() };
    /// assert!(lenient.check().is_ok());
    /// ```
    pub const DEFAULT_PERIOD_MS: u64 = 5_000;
    /// The restart strategy when a graph sets none.
    ///
    /// ```
    /// use process_graph_topology::Topology;
    ///
    /// assert_eq!(Topology::DEFAULT_STRATEGY, "one_for_one");
    /// assert_eq!(Topology::default().strategy, Topology::DEFAULT_STRATEGY);
    /// ```
    pub const DEFAULT_STRATEGY: &'static str = "one_for_one";
}

impl Default for Topology {
    /// An empty graph named `Graph`, with the default policies.
    fn default() -> Self {
        Topology {
            name: Cow::Borrowed("Graph"),
            nodes: Cow::Borrowed(&[]),
            edges: Cow::Borrowed(&[]),
            scopes: Cow::Borrowed(&[]),
            subgraphs: Cow::Borrowed(&[]),
            strategy: Topology::DEFAULT_STRATEGY,
            intensity: Topology::DEFAULT_INTENSITY,
            period_ms: Topology::DEFAULT_PERIOD_MS,
        }
    }
}

/// One process.
///
/// ```
/// use process_graph_topology::{NodeInfo, Ready};
///
/// // `#[process(restart = "on-failure", after = [source], ready = fd(3))] filter: Cmd`
/// let filter = NodeInfo {
///     name: "filter".into(),
///     restart: "on-failure",
///     after: vec![0].into(),
///     ready: Some(Ready::Fd(3)),
///     ..NodeInfo::default()
/// };
/// assert_eq!(filter.after[..], [0]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The field name.
    pub name: Text,
    /// The `///` comment of the field, if any.
    pub doc: Option<Text>,
    /// The command line, when it is known (a graph built at run time).
    pub command: Option<Text>,
    /// Index into [`Topology::scopes`].
    pub scope: Option<usize>,
    /// `"never"`, `"on-failure"` or `"always"`.
    pub restart: &'static str,
    /// The graph ends when this node ends.
    pub critical: bool,
    /// A one-shot job (systemd's `Type=oneshot`, s6-rc's oneshots): done
    /// when it exits 0, failed when it exits otherwise. Nodes started
    /// `after` it wait for its success.
    pub oneshot: bool,
    /// Indices of the nodes that must be ready (a one-shot job: done)
    /// before this one starts.
    pub after: List<usize>,
    /// Indices into [`Topology::subgraphs`]: the subgraphs every node of
    /// which must be ready before this one starts (`after = [db]`, `db` a
    /// `#[subgraph]` field).
    pub after_subgraphs: List<usize>,
    /// Readiness: `None` (ready at exec), or a protocol.
    pub ready: Option<Ready>,
    /// How long the node may take to become ready (a one-shot job: to
    /// finish), in milliseconds.
    pub ready_timeout_ms: Option<u64>,
    /// A probe whose first success makes the node ready, in place of a
    /// readiness protocol.
    pub ready_probe: Option<ProbeInfo>,
    /// A probe run every period once the node is ready; failing, it kills
    /// the node.
    pub live_probe: Option<ProbeInfo>,
    /// systemd's `WatchdogSec`: a node with `ready = "notify"` sends
    /// `WATCHDOG=1` at least this often, in milliseconds, or is aborted.
    pub watchdog_ms: Option<u64>,
    /// Whose `NOTIFY_SOCKET` messages count, as systemd's `NotifyAccess`:
    /// `"main"` (the default: the node's main process only) or `"all"` (its
    /// descendants too, e.g. a shell script's `systemd-notify`).
    pub notify_access: &'static str,
    /// The default of stdin, stdout and stderr, when one is set.
    pub stdio: [Option<StdioMode>; 3],
    /// The fds above stdio that the application passes in with the
    /// command (`Command::fd`), known only for a graph built at run time.
    pub passed_fds: List<i32>,
    /// The listening sockets passed to it the systemd way, at fd 3 and on
    /// in this order (`LISTEN_FDS`).
    pub listeners: List<ListenerInfo>,
    /// How many copies of the process run (`replicas = N`; 1 for a plain
    /// process). Each replica restarts on its own. Edges out of the
    /// replicas are shared (every replica writes into one pipe); edges into
    /// them come from the parent, one per replica.
    pub replicas: u32,
}

impl Default for NodeInfo {
    /// A node with no name and every option at its default.
    fn default() -> Self {
        NodeInfo {
            name: Cow::Borrowed(""),
            doc: None,
            command: None,
            scope: None,
            restart: "never",
            critical: false,
            oneshot: false,
            after: Cow::Borrowed(&[]),
            after_subgraphs: Cow::Borrowed(&[]),
            ready: None,
            ready_timeout_ms: None,
            ready_probe: None,
            live_probe: None,
            watchdog_ms: None,
            notify_access: "main",
            stdio: [None; 3],
            passed_fds: Cow::Borrowed(&[]),
            listeners: Cow::Borrowed(&[]),
            replicas: 1,
        }
    }
}

/// How a node tells it is ready.
///
/// ```
/// use process_graph_topology::Ready;
///
/// assert_eq!(Ready::Fd(3).to_string(), "fd(3)");
/// assert_eq!(Ready::Notify.to_string(), "notify");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// s6's protocol: the child writes a newline to this fd.
    Fd(i32),
    /// systemd's protocol: the child sends `READY=1` to `$NOTIFY_SOCKET`.
    Notify,
}

impl fmt::Display for Ready {
    /// As declared: `fd(3)` or `notify`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ready::Fd(fd) => write!(f, "fd({fd})"),
            Ready::Notify => f.write_str("notify"),
        }
    }
}

/// What a node's stdin, stdout or stderr is when no edge claims it.
///
/// ```
/// use process_graph_topology::StdioMode;
///
/// assert_eq!(StdioMode::Null.to_string(), "null");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdioMode {
    /// The parent's stream.
    Inherit,
    /// `/dev/null`.
    Null,
    /// Each line forwarded to the parent's stream, prefixed with the node's
    /// name (and a timestamp, if one is asked for).
    Prefixed,
    /// An fd the application passes in: a file, a socket, any open fd.
    Fd,
    /// Each line forwarded to a file that rotates by size.
    File,
    /// Each line forwarded to a function of the application.
    Callback,
    /// Each line forwarded as a tracing event.
    Tracing,
    /// The node's pseudo-terminal, whose other end the application holds.
    Terminal,
}

impl StdioMode {
    /// Whether the stream is read by the graph's output thread, line by
    /// line: only an output stream can be.
    ///
    /// ```
    /// use process_graph_topology::StdioMode;
    ///
    /// assert!(StdioMode::File.is_forwarded());
    /// assert!(!StdioMode::Null.is_forwarded());
    /// ```
    pub fn is_forwarded(self) -> bool {
        !matches!(
            self,
            StdioMode::Inherit | StdioMode::Null | StdioMode::Fd | StdioMode::Terminal
        )
    }
}

impl fmt::Display for StdioMode {
    /// As declared: `inherit`, `null`, `prefixed`, `file`, `callback`,
    /// `tracing`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StdioMode::Inherit => "inherit",
            StdioMode::Null => "null",
            StdioMode::Prefixed => "prefixed",
            StdioMode::Fd => "fd",
            StdioMode::File => "file",
            StdioMode::Callback => "callback",
            StdioMode::Tracing => "tracing",
            StdioMode::Terminal => "terminal",
        })
    }
}

/// Whether an edge is a pipe or a socketpair.
///
/// ```
/// use process_graph_topology::EdgeKind;
///
/// assert_ne!(EdgeKind::Pipe, EdgeKind::SocketPair);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeKind {
    /// A pipe: `from` are the writers, `to` the one reader.
    #[default]
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
/// let parent = EndpointInfo::PARENT;                        // `parent`
/// assert!(parent.node.is_none() && filter_fd3.fd == 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointInfo {
    /// Index into [`Topology::nodes`]; `None` is the parent.
    pub node: Option<usize>,
    /// The fd number in the child (ignored for the parent).
    pub fd: i32,
}

impl EndpointInfo {
    /// `parent`: the application holds this end.
    ///
    /// ```
    /// use process_graph_topology::{EdgeInfo, EndpointInfo, NodeInfo, Topology};
    ///
    /// let topology = Topology {
    ///     nodes: vec![NodeInfo { name: "log".into(), ..NodeInfo::default() }].into(),
    ///     // `#[pipe(parent -> log.stdin)] lines: Pipe`
    ///     edges: vec![EdgeInfo { from: vec![EndpointInfo::PARENT].into(), to: vec![EndpointInfo { node: Some(0), fd: 0 }].into(), ..EdgeInfo::default() }].into(),
    ///     ..Topology::default()
    /// };
    /// assert!(topology.check().is_ok());
    /// assert_eq!(topology.endpoint_name(&EndpointInfo::PARENT), "parent");
    /// ```
    pub const PARENT: EndpointInfo = EndpointInfo { node: None, fd: -1 };
}

/// One pipe or socketpair.
///
/// ```
/// use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo};
///
/// // `#[pipe(a.stdout, b.stdout -> c.stdin)] merged: Pipe`
/// let merged = EdgeInfo {
///     name: Some("merged".into()),
///     kind: EdgeKind::Pipe,
///     from: vec![EndpointInfo { node: Some(0), fd: 1 }, EndpointInfo { node: Some(1), fd: 1 }]
///         .into(),
///     to: vec![EndpointInfo { node: Some(2), fd: 0 }].into(),
///     doc: None,
/// };
/// assert_eq!(merged.from.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EdgeInfo {
    /// The field name; a graph built at run time may leave an edge unnamed.
    pub name: Option<Text>,
    /// The `///` comment of the field, if any.
    pub doc: Option<Text>,
    /// Pipe or socketpair.
    pub kind: EdgeKind,
    /// The writers of a pipe, or the first end of a socketpair.
    pub from: List<EndpointInfo>,
    /// The reader of a pipe, or the second end of a socketpair.
    pub to: List<EndpointInfo>,
}

/// One namespace scope.
///
/// ```
/// use process_graph_topology::ScopeInfo;
///
/// // `#[scope(user, pid, net, uts, hostname = "sandbox")] sandbox: Scope`
/// let sandbox = ScopeInfo {
///     name: "sandbox".into(),
///     namespaces: vec!["user", "pid", "net", "uts"].into(),
///     hostname: Some("sandbox".into()),
///     ..ScopeInfo::default()
/// };
/// assert!(sandbox.namespaces.contains(&"pid"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeInfo {
    /// The field name.
    pub name: Text,
    /// The `///` comment of the field, if any.
    pub doc: Option<Text>,
    /// Namespace kinds: `"user"`, `"pid"`, `"net"`, `"mount"`, `"uts"`, `"ipc"`.
    pub namespaces: List<&'static str>,
    /// The hostname set in its uts namespace.
    pub hostname: Option<Text>,
    /// Index of the enclosing scope.
    pub parent: Option<usize>,
}

/// A nested graph: a `#[subgraph]` field, whose type is another
/// `#[process_graph]` struct. The enclosing declaration sees only the field,
/// so this holds what it says — the name, the type, the failure policy —
/// and the subgraph's ports that this graph's edges reach; the nested
/// graph's own processes are drawn in its own docs.
///
/// To the wiring rules a port is what the parent's end is, the world
/// outside this graph's processes: an edge that reaches `db.queries` has
/// [`EndpointInfo::PARENT`] there, and the port says which parent end it is.
///
/// ```
/// use process_graph_topology::{PortInfo, Side, SubgraphInfo};
///
/// // `#[subgraph] db: Db` and `#[pipe(client.stdout -> db.queries)] feed: Pipe`,
/// // edge 0 of the enclosing graph.
/// let db = SubgraphInfo {
///     name: "db".into(),
///     type_name: "Db".into(),
///     ports: vec![PortInfo { name: "queries".into(), edge: 0, side: Side::To, end: 0 }].into(),
///     ..SubgraphInfo::default()
/// };
/// assert_eq!(db.on_failure, "restart");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubgraphInfo {
    /// The field name.
    pub name: Text,
    /// The `///` comment of the field, if any.
    pub doc: Option<Text>,
    /// The nested graph's type, as written: `Db`, `storage::Db`.
    pub type_name: Text,
    /// What the enclosing graph does when the subgraph fails as a unit:
    /// `"restart"` or `"escalate"`.
    pub on_failure: &'static str,
    /// Index into [`Topology::scopes`]: the scope of this graph the whole
    /// subgraph runs in (`#[subgraph(scope = sandbox)]`).
    pub scope: Option<usize>,
    /// The ends of this graph's edges that are ports of the subgraph.
    pub ports: List<PortInfo>,
    /// Indices into [`Topology::nodes`]: the nodes that must be ready
    /// before any node of the subgraph starts (`#[subgraph(after =
    /// [migrate])]`).
    pub after: List<usize>,
    /// Indices into [`Topology::subgraphs`]: the subgraphs every node of
    /// which must be ready before any node of this one starts.
    pub after_subgraphs: List<usize>,
}

impl Default for SubgraphInfo {
    /// A subgraph with no name, restarted when it fails, in no scope, no
    /// port wired, started after nothing.
    fn default() -> Self {
        SubgraphInfo {
            name: Cow::Borrowed(""),
            doc: None,
            type_name: Cow::Borrowed(""),
            on_failure: "restart",
            scope: None,
            ports: Cow::Borrowed(&[]),
            after: Cow::Borrowed(&[]),
            after_subgraphs: Cow::Borrowed(&[]),
        }
    }
}

/// An end of an edge that is a subgraph's port: `db.queries` in
/// `#[pipe(client.stdout -> db.queries)]`.
///
/// ```
/// use process_graph_topology::{PortInfo, Side};
///
/// // `queries` is the reader (the first and only `to` end) of edge 2.
/// let queries = PortInfo { name: "queries".into(), edge: 2, side: Side::To, end: 0 };
/// assert_eq!(queries.side, Side::To);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// The port's name: the nested graph's edge field that has a `parent` end.
    pub name: Text,
    /// Index into [`Topology::edges`].
    pub edge: usize,
    /// The side of the edge the port is on.
    pub side: Side,
    /// Index into that side's ends ([`EdgeInfo::from`] or [`EdgeInfo::to`]).
    pub end: usize,
}

/// The namespace kinds a scope may create, as declared.
///
/// ```
/// use process_graph_topology::{NAMESPACES, ScopeInfo};
///
/// let sandbox = ScopeInfo { name: "sandbox".into(), namespaces: vec!["user", "net"].into(), ..ScopeInfo::default() };
/// assert!(sandbox.namespaces.iter().all(|ns| NAMESPACES.contains(ns)));
/// assert!(!NAMESPACES.contains(&"mnt")); // declared as `mount`
/// ```
pub const NAMESPACES: [&str; 6] = ["user", "pid", "net", "mount", "uts", "ipc"];

/// A listening socket a node gets by socket activation.
///
/// ```
/// use process_graph_topology::ListenerInfo;
///
/// let http = ListenerInfo { name: "http".into(), address: "tcp:127.0.0.1:8080".into() };
/// assert_eq!(http.address, "tcp:127.0.0.1:8080");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerInfo {
    /// Its name in `LISTEN_FDNAMES`.
    pub name: Text,
    /// Where it listens, as declared: `tcp:HOST:PORT`, `unix:/PATH` or
    /// `unix:@NAME`.
    pub address: Text,
}
