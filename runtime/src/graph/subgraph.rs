//! Subgraphs: a graph nested in another, as OTP nests supervisors.
//!
//! [`Graph::subgraph`] appends the inner graph's nodes, edges, scopes and
//! subgraphs to the enclosing graph, names its nodes by path (`db.primary`),
//! and records it as a supervision level of its own: the inner graph's
//! strategy and intensity apply among its nodes. When its intensity is
//! exceeded, the subgraph fails as one unit to the enclosing level, which
//! applies its [`SubgraphFailure`] policy: restart the whole subgraph (one
//! restart against the enclosing level's own intensity), or escalate.
//!
//! The inner graph's parent ends are its ports. [`Graph::connect`] wires a
//! port to nodes of the enclosing graph, [`Graph::join`] joins it to
//! another port (two subgraphs' edges become one); a port left unconnected
//! stays a parent end, which the application takes as usual.

use super::{EdgeId, EdgeKind, Endpoint, Endpoints, Graph, NodeId, ScopeId};
use crate::policy::{Intensity, Strategy};

/// What the enclosing graph does when a subgraph fails as a unit — when
/// restarts inside it exceed its intensity (OTP: a child supervisor that
/// gave up).
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Error, Graph, NodeOptions, Restart, SubgraphFailure};
///
/// let mut db = Graph::new();
/// db.node_with("primary", Command::new("false"), NodeOptions::new().restart(Restart::Always));
/// db.intensity(0, Duration::from_secs(5)); // the first restart is one too many
///
/// let mut app = Graph::new();
/// app.subgraph("db", db, SubgraphFailure::Escalate); // db failing fails the app
/// let ended = app.spawn().and_then(|mut running| running.wait());
/// assert!(matches!(ended, Err(Error::RestartIntensity { node, .. }) if node == "db.primary"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubgraphFailure {
    /// Stop every node of the subgraph and start them all again, with the
    /// enclosing level's strategy applied to the subgraph as to one node.
    /// The restart counts against the enclosing level's intensity, so a
    /// subgraph that keeps failing makes its parent fail in turn. The
    /// default, as OTP's `permanent` child supervisor.
    #[default]
    Restart,
    /// The enclosing level fails at once, as if its own intensity had been
    /// exceeded: the failure goes up one more level (at the top, the whole
    /// graph stops with [`Outcome::RestartIntensity`](crate::Outcome::RestartIntensity)).
    Escalate,
}

/// A subgraph of a [`Graph`], returned by [`Graph::subgraph`].
///
/// ```
/// use process_graph_runtime::{Command, Graph, SubgraphFailure, SubgraphId};
///
/// let mut db = Graph::new();
/// db.node("primary", Command::new("true"));
/// let mut app = Graph::new();
/// let id: SubgraphId = app.subgraph("db", db, SubgraphFailure::Restart).id();
/// assert_eq!(app.subgraph_name(id), Some("db"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubgraphId(pub(crate) u32);

impl SubgraphId {
    /// The subgraph's position in its graph, in the order subgraphs were
    /// added (a nested graph's own subgraphs follow it).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// db.node("primary", Command::new("true"));
    /// let mut site = Graph::new();
    /// site.subgraph("db", db, SubgraphFailure::Restart);
    /// let mut cache = Graph::new();
    /// cache.node("redis", Command::new("true"));
    /// let mut app = Graph::new();
    /// let site = app.subgraph("site", site, SubgraphFailure::Restart);
    /// let cache = app.subgraph("cache", cache, SubgraphFailure::Restart);
    /// assert_eq!((site.id().index(), cache.id().index()), (0, 2)); // site.db is 1
    /// ```
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A supervision level inside a graph: its nodes are those whose
/// [`NodeSpec::level`](super::NodeSpec) is this one or a level nested in it.
#[derive(Debug, Clone)]
pub(crate) struct SubgraphSpec {
    /// The path of the subgraph: `db`, `db.replica`.
    pub(crate) name: String,
    /// The enclosing level: 0 is the graph itself, `k` is subgraph `k - 1`.
    pub(crate) parent: u32,
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    pub(crate) on_failure: SubgraphFailure,
}

/// Where the inner graph's items went in the enclosing graph.
///
/// ```
/// use process_graph_runtime::{Command, Endpoint, Graph, SubgraphFailure};
///
/// let mut db = Graph::new();
/// let primary = db.node("primary", Command::new("cat"));
/// let input = db.pipe(Endpoint::Parent, primary.stdin());
///
/// let mut app = Graph::new();
/// let feeder = app.node("feeder", Command::new("echo").arg("hello"));
/// let nested = app.subgraph("db", db, SubgraphFailure::Restart);
/// app.connect(nested.edge(input), feeder.stdout());
/// assert_eq!(app.node_name(nested.node(primary)), Some("db.primary"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Nested {
    id: SubgraphId,
    first_node: usize,
    node_count: usize,
    first_edge: usize,
    first_scope: usize,
}

impl Nested {
    /// The subgraph, as events and snapshots name it.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, SubgraphFailure};
    ///
    /// let mut cache = Graph::new();
    /// cache.node("redis", Command::new("true"));
    /// let mut app = Graph::new();
    /// let a = app.subgraph("cache-a", cache.clone(), SubgraphFailure::Restart);
    /// let b = app.subgraph("cache-b", cache, SubgraphFailure::Restart);
    /// assert_ne!(a.id(), b.id());
    /// assert_eq!(app.subgraph_name(b.id()), Some("cache-b"));
    /// ```
    pub fn id(&self) -> SubgraphId {
        self.id
    }

    /// Node `node` of the inner graph, in the enclosing graph (a replica's
    /// id as [`Graph::replica_ids`] gave it in the inner graph).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// let primary = db.node("primary", Command::new("true"));
    /// let mut app = Graph::new();
    /// app.node("web", Command::new("true"));
    /// let nested = app.subgraph("db", db, SubgraphFailure::Restart);
    /// let report = app.spawn()?.wait()?;
    /// assert_eq!(report[nested.node(primary)].name, "db.primary");
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn node(&self, node: NodeId) -> NodeId {
        NodeId::from_index(self.first_node + node.index())
    }

    /// Every node of the subgraph, nested subgraphs' included (a replicated
    /// node as each of its replicas), in the enclosing graph: what a node
    /// starts [`after`](crate::NodeOptions::after) to wait for the whole
    /// subgraph, or what [`Graph::start_after`] orders.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// db.node("primary", Command::new("true"));
    /// db.node("standby", Command::new("true"));
    ///
    /// let mut app = Graph::new();
    /// let db = app.subgraph("db", db, SubgraphFailure::Restart);
    /// // Starts once both of db's nodes are ready.
    /// let web = app.node_with("web", Command::new("true"), NodeOptions::new().after(db.nodes()));
    /// assert_eq!(db.nodes().count(), 2);
    /// # let _ = web;
    /// ```
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + use<> {
        (self.first_node..self.first_node + self.node_count).map(NodeId::from_index)
    }

    /// Edge `edge` of the inner graph, in the enclosing graph: a port, to
    /// [`connect`](Graph::connect), when it has a parent end.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, SubgraphFailure};
    ///
    /// let mut producer = Graph::new();
    /// let echo = producer.node("echo", Command::new("echo").arg("hello"));
    /// let out = producer.pipe(echo.stdout(), Endpoint::Parent); // a port
    /// let mut app = Graph::new();
    /// let nested = app.subgraph("producer", producer, SubgraphFailure::Restart);
    /// let mut running = app.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(nested.edge(out)).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn edge(&self, edge: EdgeId) -> EdgeId {
        EdgeId::from_index(self.first_edge + edge.index())
    }

    /// Scope `scope` of the inner graph, in the enclosing graph.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// let net = db.scope("net", ScopeSpec::new([Namespace::User, Namespace::Net]));
    /// db.node_with("primary", Command::new("true"), NodeOptions::new().scope(net));
    /// let mut app = Graph::new();
    /// app.node("web", Command::new("true"));
    /// let nested = app.subgraph("db", db, SubgraphFailure::Restart);
    /// assert_eq!(app.topology().scopes[nested.scope(net).index()].name, "db.net");
    /// ```
    pub fn scope(&self, scope: ScopeId) -> ScopeId {
        ScopeId::from_index(self.first_scope + scope.index())
    }
}

impl Graph {
    /// Nests `inner` in this graph as subgraph `name`: its nodes start as
    /// part of this graph (named `name.node`), its strategy and intensity
    /// apply among them, and when its intensity is exceeded it fails as one
    /// unit to this graph, which handles it by `on_failure`. The inner
    /// graph's stop and start timeouts and containment give way to this
    /// graph's. See [`Nested`] for the example.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// db.node("primary", Command::new("true"));
    /// db.node("standby", Command::new("true"));
    ///
    /// let mut app = Graph::new();
    /// app.node("web", Command::new("true"));
    /// app.subgraph("db", db, SubgraphFailure::Restart);
    /// let report = app.spawn()?.wait()?;
    /// assert!(report.by_name("db.standby").is_some_and(|n| n.success()));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn subgraph(
        &mut self,
        name: impl Into<String>,
        inner: Graph,
        on_failure: SubgraphFailure,
    ) -> Nested {
        self.nest(name.into(), inner, on_failure, None)
    }

    /// [`subgraph`](Self::subgraph), run inside `scope`, a scope of this
    /// graph: the subgraph's nodes that have no scope of their own join
    /// `scope`, and its scopes nest in `scope`, so nothing of it runs
    /// outside the enclosing scope's namespaces.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// let net = db.scope("net", ScopeSpec::new([Namespace::Net]));
    /// db.node("primary", Command::new("true"));
    /// db.node_with("replica", Command::new("true"), NodeOptions::new().scope(net));
    ///
    /// let mut app = Graph::new();
    /// let sandbox = app.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    /// let nested = app.subgraph_in_scope("db", db, SubgraphFailure::Restart, sandbox);
    ///
    /// let topology = app.topology();
    /// assert_eq!(topology.scopes[nested.scope(net).index()].parent, Some(sandbox.index()));
    /// assert_eq!(topology.nodes[0].scope, Some(sandbox.index())); // db.primary
    /// ```
    pub fn subgraph_in_scope(
        &mut self,
        name: impl Into<String>,
        inner: Graph,
        on_failure: SubgraphFailure,
        scope: ScopeId,
    ) -> Nested {
        self.nest(name.into(), inner, on_failure, Some(scope))
    }

    fn nest(
        &mut self,
        name: String,
        inner: Graph,
        on_failure: SubgraphFailure,
        scope: Option<ScopeId>,
    ) -> Nested {
        // Replicas become nodes here, so the subgraph's nodes keep the ids
        // they had in the inner graph, offset by `first_node`.
        let inner = inner.expand_replicas();
        let nested = Nested {
            id: SubgraphId(u32::try_from(self.subgraphs.len()).unwrap_or(u32::MAX)),
            first_node: self.nodes.len(),
            node_count: inner.nodes.len(),
            first_edge: self.edges.len(),
            first_scope: self.scopes.len(),
        };
        // Level 0 of the inner graph becomes this subgraph's level; its own
        // subgraphs follow it.
        let level = u32::try_from(self.subgraphs.len() + 1).unwrap_or(u32::MAX);
        let inner_level = |l: u32| level + l;
        self.subgraphs.push(SubgraphSpec {
            name: name.clone(),
            parent: 0,
            strategy: inner.strategy,
            intensity: inner.intensity,
            on_failure,
        });
        for mut sub in inner.subgraphs {
            sub.name = format!("{name}.{}", sub.name);
            sub.parent = inner_level(sub.parent);
            self.subgraphs.push(sub);
        }
        for mut spec in inner.scopes {
            // A scope of the running graph is not nested here: it has its
            // place there.
            if spec.joins.is_none() {
                spec.parent = spec.parent.map(|p| nested.scope(p)).or(scope);
            }
            spec.name = format!("{name}.{}", spec.name);
            self.scopes.push(spec);
        }
        for mut node in inner.nodes {
            node.name = format!("{name}.{}", node.name);
            node.level = inner_level(node.level);
            for dep in &mut node.options.after {
                *dep = nested.node(*dep);
            }
            match node.options.rare().scope {
                Some(own) => node.options.rare_mut().scope = Some(nested.scope(own)),
                None if scope.is_some() => node.options.rare_mut().scope = scope,
                None => {}
            }
            self.nodes.push(node);
        }
        let moved = |end: Endpoint| match end {
            Endpoint::Node { node, fd } => nested.node(node).fd(fd),
            Endpoint::Parent => Endpoint::Parent,
        };
        for mut edge in inner.edges {
            edge.name = edge.name.map(|n| format!("{name}.{n}"));
            match &mut edge.kind {
                EdgeKind::Pipe {
                    writers, readers, ..
                } => writers
                    .iter_mut()
                    .chain(readers.iter_mut())
                    .for_each(|end| *end = moved(*end)),
                EdgeKind::SocketPair { ends, .. } => *ends = ends.map(moved),
                EdgeKind::Joined { into } => *into = nested.edge(*into),
            }
            self.edges.push(edge);
        }
        nested
    }

    /// Wires a port — an edge with a parent end, typically a subgraph's
    /// (see [`Nested::edge`]) — to `ends` in place of the parent: the
    /// writers of a pipe the parent wrote into, the reader of a pipe the
    /// parent read, the other end of a socketpair (exactly one endpoint).
    /// The wiring rules then check the edge as if it had been declared so.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, SubgraphFailure};
    ///
    /// let mut counter = Graph::new();
    /// let wc = counter.node("wc", Command::new("wc").arg("-l"));
    /// let input = counter.pipe(Endpoint::Parent, wc.stdin());
    /// let count = counter.pipe(wc.stdout(), Endpoint::Parent);
    ///
    /// let mut app = Graph::new();
    /// let seq = app.node("seq", Command::new("seq").arg("3"));
    /// let nested = app.subgraph("counter", counter, SubgraphFailure::Restart);
    /// app.connect(nested.edge(input), seq.stdout())?; // seq writes where the parent would
    /// let mut running = app.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(nested.edge(count)).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text.trim(), "3");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`NotAPort`] when `port` names no edge, or an edge without a parent
    /// end (already connected, say); the graph is unchanged.
    pub fn connect(&mut self, port: EdgeId, ends: impl Into<Endpoints>) -> Result<(), NotAPort> {
        let ends = ends.into().0;
        let edge = self.edges.get_mut(port.index()).ok_or(NotAPort(port))?;
        let is_parent = |e: &Endpoint| *e == Endpoint::Parent;
        match (&mut edge.kind, &ends[..]) {
            (
                EdgeKind::Pipe {
                    writers, readers, ..
                },
                _,
            ) => {
                let side = [writers, readers]
                    .into_iter()
                    .find(|side| side.iter().any(is_parent))
                    .ok_or(NotAPort(port))?;
                let at = side.iter().position(is_parent).unwrap_or_default();
                side.splice(at..=at, ends);
            }
            (EdgeKind::SocketPair { ends: pair, .. }, &[one]) => {
                let end = pair
                    .iter_mut()
                    .find(|e| is_parent(e))
                    .ok_or(NotAPort(port))?;
                *end = one;
            }
            (EdgeKind::SocketPair { .. }, _) | (EdgeKind::Joined { .. }, _) => {
                return Err(NotAPort(port));
            }
        }
        Ok(())
    }

    /// Orders the start of `nodes` after `dependencies`: each of `nodes`
    /// starts only once every one of `dependencies` is ready (a one-shot
    /// job: done), as if each had been given them with
    /// [`NodeOptions::after`](crate::NodeOptions::after). Either side may be
    /// a subgraph's [`nodes`](Nested::nodes), which is how a subgraph
    /// starts after a node of the enclosing graph, or a node after a
    /// subgraph declared later than it. A dependency a node already has is
    /// not added twice. A dependency this graph does not have is reported
    /// by [`validate`](Graph::validate), as in `after`; a node it does not
    /// have is passed over (there is nothing to order). Restarts treat
    /// these dependencies as any `after`: under
    /// [`Strategy::RestForOne`], nodes are
    /// restarted with what they start after, a subgraph restarted as a unit
    /// included.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// db.node("primary", Command::new("true"));
    ///
    /// let mut app = Graph::new();
    /// let migrate = app.node_with("migrate", Command::new("true"), NodeOptions::new().oneshot(true));
    /// let web = app.node("web", Command::new("true"));
    /// let db = app.subgraph("db", db, SubgraphFailure::Restart);
    /// app.start_after(db.nodes(), [migrate]); // db starts once migrate is done
    /// app.start_after([web], db.nodes()); // web once db is ready
    ///
    /// let topology = app.topology();
    /// assert_eq!(topology.nodes[2].after[..], [0]); // db.primary after migrate
    /// assert_eq!(topology.nodes[1].after[..], [2]); // web after db.primary
    /// ```
    pub fn start_after(
        &mut self,
        nodes: impl IntoIterator<Item = NodeId>,
        dependencies: impl IntoIterator<Item = NodeId>,
    ) {
        // Each given once, in order; a set per node for the ones it has:
        // a subgraph after a subgraph gives each of m nodes n entries, and a
        // scan per entry made that m·n² at every build.
        let mut seen = std::collections::HashSet::new();
        let dependencies: Vec<NodeId> = dependencies
            .into_iter()
            .filter(|d| seen.insert(*d))
            .collect();
        for node in nodes {
            let Some(spec) = self.nodes.get_mut(node.index()) else {
                continue;
            };
            let after = &mut spec.options.after;
            let had: std::collections::HashSet<NodeId> = after.iter().copied().collect();
            after.extend(dependencies.iter().filter(|d| !had.contains(d)));
        }
    }

    /// The path of `subgraph`, if it exists.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, SubgraphFailure};
    ///
    /// let mut db = Graph::new();
    /// db.node("primary", Command::new("true"));
    /// let mut app = Graph::new();
    /// let nested = app.subgraph("db", db, SubgraphFailure::Restart);
    /// assert_eq!(app.subgraph_name(nested.id()), Some("db"));
    /// ```
    pub fn subgraph_name(&self, subgraph: SubgraphId) -> Option<&str> {
        self.subgraphs
            .get(subgraph.index())
            .map(|s| s.name.as_str())
    }
}

/// [`Graph::connect`] was given an edge that has no parent end to replace.
///
/// ```
/// use process_graph_runtime::{Command, Graph, NotAPort};
///
/// let mut graph = Graph::new();
/// let a = graph.node("a", Command::new("true"));
/// let b = graph.node("b", Command::new("true"));
/// let lines = graph.pipe(a.stdout(), b.stdin()); // no parent end to replace
/// let c = graph.node("c", Command::new("true"));
/// assert_eq!(graph.connect(lines, c.stdin()), Err(NotAPort(lines)));
/// assert_eq!(NotAPort(lines).to_string(), "edge 0 is not a port: it has no parent end to connect");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAPort(pub EdgeId);

impl std::fmt::Display for NotAPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "edge {} is not a port: it has no parent end to connect",
            self.0.index()
        )
    }
}

impl std::error::Error for NotAPort {}
