//! The dynamic graph API: nodes, edges, scopes, and their lowering to the
//! topology crate's model, whose wiring rules the `#[process_graph]` macro
//! enforces at compile time and `Graph::validate` at run time.

mod edge;
mod endpoint;
mod join;
mod replicas;
mod subgraph;
mod topology;

use crate::cgroup::Containment;
use std::time::Duration;

pub use edge::{Pipe, SocketKind, SocketPair};
pub use endpoint::{EdgeId, Endpoint, Endpoints, NodeId, ScopeId};
pub use join::{JoinError, PortKind, PortName};
pub use replicas::REPLICA_VAR;
pub(crate) use subgraph::SubgraphSpec;
pub use subgraph::{Nested, NotAPort, SubgraphFailure, SubgraphId};

use crate::command::Command;
use crate::policy::{Intensity, NodeOptions, Strategy};
use crate::scope::ScopeSpec;

/// What an edge is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    /// A pipe: every writer shares the write end, the reader holds the read end.
    Pipe {
        writers: Vec<Endpoint>,
        readers: Vec<Endpoint>,
        pipe: Pipe,
    },
    /// A socketpair: one end each.
    SocketPair {
        ends: [Endpoint; 2],
        pair: SocketPair,
    },
    /// A port [joined](Graph::join) to another: its ends now belong to
    /// edge `into`, and it has none. It keeps its id, so every id handed
    /// out stays valid; nothing is created or drawn for it.
    Joined { into: EdgeId },
}

#[derive(Debug, Clone)]
pub(crate) struct NodeSpec {
    pub(crate) name: String,
    pub(crate) command: Command,
    pub(crate) options: NodeOptions,
    /// The supervision level the node belongs to: 0 is the graph itself,
    /// `k` is subgraph `k - 1` (see [`Graph::subgraph`]).
    pub(crate) level: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct EdgeSpec {
    pub(crate) name: Option<String>,
    pub(crate) kind: EdgeKind,
}

/// How long a node has, after its stop signal, before it is SIGKILLed —
/// whatever stops it (`shutdown`, `Drop`, a critical node, a group restart,
/// `stop`) — unless the node sets its own `stop_timeout`.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long [`Graph::spawn`] waits for the nodes it starts `after` others,
/// unless the graph sets its own [`start_timeout`](Graph::start_timeout):
/// systemd's `DefaultTimeoutStartSec`.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(90);

/// A graph of processes and the pipes and socketpairs between them, built at
/// run time. [`Graph::spawn`] checks it and starts every node.
///
/// ```
/// use std::io::Read;
/// use process_graph_runtime::{Command, Endpoint, Graph};
///
/// let mut graph = Graph::new();
/// let seq = graph.node("seq", Command::new("seq").args(["1", "1000"]));
/// let grep = graph.node("grep", Command::new("grep").arg("7"));
/// let wc = graph.node("wc", Command::new("wc").arg("-l"));
/// graph.pipe(seq.stdout(), grep.stdin());
/// graph.pipe(grep.stdout(), wc.stdin());
/// let count = graph.pipe(wc.stdout(), Endpoint::Parent);
///
/// let mut running = graph.spawn()?;
/// let mut out = String::new();
/// running.take_reader(count).unwrap().read_to_string(&mut out)?;
/// assert_eq!(out.trim(), "271");
/// assert!(running.wait()?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) nodes: Vec<NodeSpec>,
    pub(crate) edges: Vec<EdgeSpec>,
    pub(crate) scopes: Vec<ScopeSpec>,
    pub(crate) subgraphs: Vec<SubgraphSpec>,
    pub(crate) stop_timeout: Duration,
    pub(crate) start_timeout: Duration,
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    pub(crate) containment: Containment,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Graph {
            nodes: Vec::new(),
            edges: Vec::new(),
            scopes: Vec::new(),
            subgraphs: Vec::new(),
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            start_timeout: DEFAULT_START_TIMEOUT,
            strategy: Strategy::default(),
            intensity: Intensity::default(),
            containment: Containment::default(),
        }
    }

    /// Adds a process. Names must be unique within the graph.
    pub fn node(&mut self, name: impl Into<String>, command: Command) -> NodeId {
        self.node_with(name, command, NodeOptions::default())
    }

    /// Adds a process with supervision options.
    pub fn node_with(
        &mut self,
        name: impl Into<String>,
        command: Command,
        options: NodeOptions,
    ) -> NodeId {
        let id = NodeId::from_index(self.nodes.len());
        self.nodes.push(NodeSpec {
            name: name.into(),
            command,
            options,
            level: 0,
        });
        id
    }

    /// Adds a namespace scope; nodes join it with [`NodeOptions::scope`].
    pub fn scope(&mut self, name: impl Into<String>, spec: ScopeSpec) -> ScopeId {
        let id = ScopeId::from_index(self.scopes.len());
        self.scopes.push(spec.named(name.into()));
        id
    }

    /// Which nodes are restarted together (default [`Strategy::OneForOne`]).
    pub fn strategy(&mut self, strategy: Strategy) {
        self.strategy = strategy;
    }

    /// At most `max_restarts` restarts within `period`, or the graph stops
    /// and reports which node exceeded it.
    pub fn intensity(&mut self, max_restarts: u32, period: Duration) {
        self.intensity = Intensity {
            max_restarts,
            period,
        };
    }

    /// Adds a pipe from one or more `writers` to one reader.
    ///
    /// A pipe's write end is an output of a node (`stdout`, `stderr` or
    /// `fd(N)`) or the parent; its read end is an input (`stdin` or `fd(N)`)
    /// or the parent. Several writers may share a pipe; several readers may
    /// not (each would see an arbitrary share of the data).
    pub fn pipe(&mut self, writers: impl Into<Endpoints>, readers: impl Into<Endpoints>) -> EdgeId {
        self.pipe_of(Pipe::default(), writers, readers)
    }

    /// Adds a pipe with options.
    pub fn pipe_of(
        &mut self,
        pipe: Pipe,
        writers: impl Into<Endpoints>,
        readers: impl Into<Endpoints>,
    ) -> EdgeId {
        self.edge(EdgeKind::Pipe {
            writers: writers.into().0,
            readers: readers.into().0,
            pipe,
        })
    }

    /// Adds a `SOCK_STREAM` socketpair between `a` and `b`.
    pub fn socketpair(&mut self, a: Endpoint, b: Endpoint) -> EdgeId {
        self.socketpair_of(SocketPair::default(), a, b)
    }

    /// Adds a socketpair with options between `a` and `b`.
    pub fn socketpair_of(&mut self, pair: SocketPair, a: Endpoint, b: Endpoint) -> EdgeId {
        self.edge(EdgeKind::SocketPair { ends: [a, b], pair })
    }

    /// Names an edge; error messages then use the name.
    pub fn name_edge(&mut self, edge: EdgeId, name: impl Into<String>) {
        if let Some(spec) = self.edges.get_mut(edge.index()) {
            spec.name = Some(name.into());
        }
    }

    /// Sets how long a node has after its stop signal before it is
    /// SIGKILLed, for nodes without a `stop_timeout` of their own (default
    /// [`DEFAULT_STOP_TIMEOUT`]).
    pub fn stop_timeout(&mut self, timeout: Duration) {
        self.stop_timeout = timeout;
    }

    /// Bounds how long [`spawn`](Graph::spawn) waits for dependencies to be
    /// ready (default [`DEFAULT_START_TIMEOUT`], 90 seconds). `spawn`
    /// returns once every node has started, and a node starts only once the
    /// nodes it starts `after` are ready — so a dependency that never says
    /// it is ready, and has no [`ready_timeout`](crate::NodeOptions::ready_timeout)
    /// of its own, would hold `spawn` for as long as it runs. Past this
    /// bound, `spawn` stops the graph (every node that started is stopped
    /// and reaped) and fails with [`Error::StartTimeout`](crate::Error::StartTimeout),
    /// naming the node that had not started and the dependency it waited
    /// for. [`Duration::MAX`] waits without bound.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Error, Graph, NodeOptions, Readiness};
    ///
    /// let mut graph = Graph::new();
    /// // Never writes its readiness fd.
    /// let db = graph.node_with("db", Command::new("sleep").arg("30"), NodeOptions::new().ready(Readiness::Fd(3)));
    /// graph.node_with("app", Command::new("true"), NodeOptions::new().after([db]));
    /// graph.start_timeout(Duration::from_millis(100));
    /// match graph.spawn() {
    ///     Err(Error::StartTimeout { node, dependency, .. }) => assert_eq!((&*node, &*dependency), ("app", "db")),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn start_timeout(&mut self, timeout: Duration) {
        self.start_timeout = timeout;
    }

    /// Whether the nodes run in cgroups of their own (default
    /// [`Containment::Auto`]: where the application may create them). See
    /// [`Containment`] for the example.
    pub fn containment(&mut self, containment: Containment) {
        self.containment = containment;
    }

    /// The name of a node, if it exists.
    pub fn node_name(&self, node: NodeId) -> Option<&str> {
        self.nodes.get(node.index()).map(|n| n.name.as_str())
    }

    /// The edge named `name` (see [`name_edge`](Graph::name_edge)); a
    /// subgraph's edges are named by path, `db.queries`.
    pub fn edge_named(&self, name: &str) -> Option<EdgeId> {
        self.edges
            .iter()
            .position(|e| e.name.as_deref() == Some(name))
            .map(EdgeId::from_index)
    }

    /// The number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn edge(&mut self, kind: EdgeKind) -> EdgeId {
        let id = EdgeId::from_index(self.edges.len());
        self.edges.push(EdgeSpec { name: None, kind });
        id
    }

    /// Whether a node runs in a scope (or a scope nested in one) that has its
    /// own network namespace.
    pub(crate) fn in_own_network(&self, node: &NodeSpec) -> bool {
        self.enclosing_scopes(node)
            .any(|scope| scope.has(crate::Namespace::Net))
    }

    /// A node's scope, then each scope enclosing it.
    pub(crate) fn enclosing_scopes(&self, node: &NodeSpec) -> impl Iterator<Item = &ScopeSpec> {
        let mut next = node.options.rare().scope;
        // Bounded by the scope count, so a (rejected) cycle cannot loop forever.
        (0..self.scopes.len()).map_while(move |_| {
            let spec = self.scopes.get(next?.index())?;
            next = spec.parent;
            Some(spec)
        })
    }
}
