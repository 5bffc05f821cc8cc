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
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{DEFAULT_STOP_TIMEOUT, Graph};
///
/// assert_eq!(DEFAULT_STOP_TIMEOUT, Duration::from_secs(5));
/// let mut graph = Graph::new();
/// graph.stop_timeout(DEFAULT_STOP_TIMEOUT * 4); // a graph of slow stoppers
/// ```
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long [`Graph::spawn`] waits for the nodes it starts `after` others,
/// unless the graph sets its own [`start_timeout`](Graph::start_timeout):
/// systemd's `DefaultTimeoutStartSec`.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{DEFAULT_START_TIMEOUT, Graph};
///
/// assert_eq!(DEFAULT_START_TIMEOUT, Duration::from_secs(90));
/// let mut graph = Graph::new();
/// graph.start_timeout(DEFAULT_START_TIMEOUT / 3); // dependencies that start fast
/// ```
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
    ///
    /// ```
    /// use process_graph_runtime::Graph;
    ///
    /// let graph = Graph::new();
    /// assert_eq!(graph.node_count(), 0);
    /// assert!(graph.spawn()?.wait()?.success()); // nothing to run: done at once
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
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

    /// Adds a process. Names must be unique within the graph, not empty,
    /// and free of control characters (a newline, a NUL, an escape): a
    /// name is printed in prefixed output, events and errors, where it must
    /// read as one name. [`validate`](Self::validate) and `spawn` refuse
    /// others (`Rule::UnprintableName`).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let hello = graph.node("hello", Command::new("echo").arg("hello"));
    /// assert_eq!(graph.node_name(hello), Some("hello"));
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report[hello].success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn node(&mut self, name: impl Into<String>, command: Command) -> NodeId {
        self.node_with(name, command, NodeOptions::default())
    }

    /// Adds a process with supervision options.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Restart};
    ///
    /// let mut graph = Graph::new();
    /// let worker = graph.node_with(
    ///     "worker",
    ///     Command::new("true"),
    ///     NodeOptions::new().restart(Restart::OnFailure),
    /// );
    /// assert_eq!(graph.topology().nodes[worker.index()].restart, "on-failure");
    /// ```
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
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// let offline = graph.scope("offline", ScopeSpec::new([Namespace::User, Namespace::Net]));
    /// graph.node_with("tests", Command::new("true"), NodeOptions::new().scope(offline));
    /// let topology = graph.topology();
    /// assert_eq!(topology.scopes[offline.index()].name, "offline");
    /// assert_eq!(topology.scopes[offline.index()].namespaces[..], ["user", "net"]);
    /// ```
    pub fn scope(&mut self, name: impl Into<String>, spec: ScopeSpec) -> ScopeId {
        let id = ScopeId::from_index(self.scopes.len());
        self.scopes.push(spec.named(name.into()));
        id
    }

    /// Which nodes are restarted together (default [`Strategy::OneForOne`]).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Strategy};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("true"));
    /// graph.node_with("app", Command::new("true"), NodeOptions::new().after([db]));
    /// graph.strategy(Strategy::RestForOne); // db's restart restarts app too
    /// assert_eq!(graph.topology().strategy, "rest_for_one");
    /// ```
    pub fn strategy(&mut self, strategy: Strategy) {
        self.strategy = strategy;
    }

    /// At most `max_restarts` restarts within `period`, or the graph stops
    /// and reports which node exceeded it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Error, Graph, NodeOptions, Restart};
    ///
    /// let mut graph = Graph::new();
    /// let options = NodeOptions::new().restart(Restart::Always).backoff(Duration::ZERO, Duration::ZERO);
    /// graph.node_with("crasher", Command::new("false"), options);
    /// graph.intensity(2, Duration::from_secs(60));
    /// match graph.spawn().and_then(|mut running| running.wait()) {
    ///     Err(Error::RestartIntensity { node, max_restarts, .. }) => assert_eq!((&*node, max_restarts), ("crasher", 2)),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
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
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let a = graph.node("a", Command::new("echo").arg("a"));
    /// let b = graph.node("b", Command::new("echo").arg("b"));
    /// let both = graph.pipe([a.stdout(), b.stdout()], Endpoint::Parent); // two writers
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(both).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text.len(), 4); // "a\n" and "b\n", in either order
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pipe(&mut self, writers: impl Into<Endpoints>, readers: impl Into<Endpoints>) -> EdgeId {
        self.pipe_of(Pipe::default(), writers, readers)
    }

    /// Adds a pipe with options.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Pipe};
    ///
    /// let mut graph = Graph::new();
    /// let dump = graph.node("dump", Command::new("seq").arg("100000"));
    /// let count = graph.node("count", Command::new("wc").arg("-c"));
    /// graph.pipe_of(Pipe::with_capacity(1 << 20), dump.stdout(), count.stdin());
    /// assert!(graph.spawn()?.wait()?.success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
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
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let upper = graph.node("upper", Command::new("sh").args(["-c", "tr a-z A-Z <&3 >&4"]));
    /// let in_pair = graph.socketpair(upper.fd(3), Endpoint::Parent);
    /// let out_pair = graph.socketpair(upper.fd(4), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut input = running.take_socket(in_pair).unwrap();
    /// input.write_all(b"hello")?;
    /// drop(input); // EOF for tr
    /// let mut text = String::new();
    /// running.take_socket(out_pair).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "HELLO");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn socketpair(&mut self, a: Endpoint, b: Endpoint) -> EdgeId {
        self.socketpair_of(SocketPair::default(), a, b)
    }

    /// Adds a socketpair with options between `a` and `b`.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, SocketPair};
    ///
    /// let mut graph = Graph::new();
    /// let client = graph.node("client", Command::new("true"));
    /// let server = graph.node("server", Command::new("true"));
    /// // Requests keep their boundaries: one write, one message.
    /// let requests = graph.socketpair_of(SocketPair::seqpacket(), client.fd(3), server.fd(3));
    /// graph.name_edge(requests, "requests");
    /// assert!(graph.validate().is_ok());
    /// ```
    pub fn socketpair_of(&mut self, pair: SocketPair, a: Endpoint, b: Endpoint) -> EdgeId {
        self.edge(EdgeKind::SocketPair { ends: [a, b], pair })
    }

    /// Names an edge; error messages then use the name.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let a = graph.node("a", Command::new("true"));
    /// let lines = graph.pipe(a.stdin(), Endpoint::Parent); // stdin cannot write
    /// graph.name_edge(lines, "lines");
    /// let refused = graph.validate().unwrap_err();
    /// assert!(refused.to_string().starts_with("edge \"lines\": "));
    /// ```
    pub fn name_edge(&mut self, edge: EdgeId, name: impl Into<String>) {
        if let Some(spec) = self.edges.get_mut(edge.index()) {
            spec.name = Some(name.into());
        }
    }

    /// Sets how long a node has after its stop signal before it is
    /// SIGKILLed, for nodes without a `stop_timeout` of their own (default
    /// [`DEFAULT_STOP_TIMEOUT`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// let stubborn = graph.node("stubborn", Command::new("sh").args(["-c", "trap '' TERM; echo up; sleep 10"]));
    /// // `main` ends once stubborn is up, and the graph stops with it:
    /// // SIGTERM to stubborn, then SIGKILL 100 ms later.
    /// let main = graph.node_with("main", Command::new("sh").args(["-c", "read up"]), NodeOptions::new().critical(true));
    /// graph.pipe(stubborn.stdout(), main.stdin());
    /// graph.stop_timeout(Duration::from_millis(100));
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report[stubborn].killed_after_timeout);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
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
    ///
    /// ```
    /// use process_graph_runtime::{Command, Containment, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let job = graph.node("job", Command::new("true"));
    /// graph.containment(Containment::Off); // process groups only, no cgroups
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report[job].success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn containment(&mut self, containment: Containment) {
        self.containment = containment;
    }

    /// The name of a node, if it exists.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeId};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("true"));
    /// assert_eq!(graph.node_name(db), Some("db"));
    /// assert_eq!(graph.node_name(NodeId::from_index(1)), None);
    /// ```
    pub fn node_name(&self, node: NodeId) -> Option<&str> {
        self.nodes.get(node.index()).map(|n| n.name.as_str())
    }

    /// The edge named `name` (see [`name_edge`](Graph::name_edge)); a
    /// subgraph's edges are named by path, `db.queries`.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Endpoint, Graph, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// let server = db.node("server", Command::new("cat"));
    /// let queries = db.pipe(Endpoint::Parent, server.stdin());
    /// db.name_edge(queries, "queries");
    ///
    /// let mut app = Graph::new();
    /// let nested = app.subgraph("db", db, SubgraphFailure::Restart);
    /// assert_eq!(app.edge_named("db.queries"), Some(nested.edge(queries)));
    /// assert_eq!(app.edge_named("queries"), None);
    /// ```
    pub fn edge_named(&self, name: &str) -> Option<EdgeId> {
        self.edges
            .iter()
            .position(|e| e.name.as_deref() == Some(name))
            .map(EdgeId::from_index)
    }

    /// The number of nodes.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("true"));
    /// graph.node_with("worker", Command::new("true"), NodeOptions::new().replicas(4));
    /// assert_eq!(graph.node_count(), 2); // as declared: replicas are started as 4 nodes
    /// assert_eq!(graph.plan()?.nodes.len(), 5);
    /// # Ok::<(), process_graph_runtime::Violations>(())
    /// ```
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
