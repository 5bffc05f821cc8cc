//! `SpawnPlan`: what spawning a graph will do, computed without starting
//! anything — the start order, each child's complete fd table, its
//! namespaces, its environment additions and its policies. It is built from
//! the same fd plan the launcher executes, so tests can assert on it and
//! reviewers can diff it.

use std::fmt;

use super::{FdSource, Plan};
use crate::graph::{EdgeId, EdgeKind, Graph, NodeId};
use crate::policy::{Readiness, Restart};
use crate::scope::Namespace;
use crate::supervise::Deps;
use process_graph_topology::Violations;

/// Where one fd of a child comes from.
///
/// ```
/// use process_graph_runtime::{Command, FdOrigin, Graph, Stdio};
///
/// let mut graph = Graph::new();
/// let seq = graph.node("seq", Command::new("seq").arg("3").stderr(Stdio::Null));
/// let wc = graph.node("wc", Command::new("wc").arg("-l"));
/// let lines = graph.pipe(seq.stdout(), wc.stdin());
/// graph.name_edge(lines, "lines");
/// let plan = graph.plan()?;
/// let fds = &plan.nodes[seq.index()].fds;
/// assert_eq!(fds[0], (0, FdOrigin::Inherited));
/// assert_eq!(fds[1], (1, FdOrigin::PipeWrite { edge: "lines".into() }));
/// assert_eq!(fds[2].1.to_string(), "/dev/null");
/// # Ok::<(), process_graph_runtime::Violations>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FdOrigin {
    /// The parent's fd of the same number (stdio only).
    Inherited,
    /// `/dev/null`.
    DevNull,
    /// The read end of a pipe edge.
    PipeRead {
        /// The edge's name (or `pipe #N`).
        edge: String,
    },
    /// The write end of a pipe edge.
    PipeWrite {
        /// The edge's name (or `pipe #N`).
        edge: String,
    },
    /// One end of a socketpair edge.
    Socket {
        /// The edge's name (or `socketpair #N`).
        edge: String,
    },
    /// A pipe to the graph's output thread (`Stdio::Prefixed`,
    /// `Stdio::Sink`), new for every start.
    Forwarded,
    /// The node's pseudo-terminal (`Stdio::Terminal`).
    Terminal,
    /// The write end of the node's readiness pipe (`Readiness::Fd`).
    Readiness,
    /// An fd the application passes in (`Command::fd`, `Stdio::Fd`).
    Passed,
    /// A listening socket passed the systemd way (`Command::listen`).
    Listener {
        /// Its name and address: `http (tcp:127.0.0.1:8080)`.
        listener: String,
    },
}

impl fmt::Display for FdOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdOrigin::Inherited => f.write_str("inherited from the parent"),
            FdOrigin::DevNull => f.write_str("/dev/null"),
            FdOrigin::PipeRead { edge } => write!(f, "{edge} (read end)"),
            FdOrigin::PipeWrite { edge } => write!(f, "{edge} (write end)"),
            FdOrigin::Socket { edge } => write!(f, "{edge} (socket)"),
            FdOrigin::Forwarded => f.write_str("forwarded to the graph's output thread"),
            FdOrigin::Terminal => f.write_str("the node's pseudo-terminal"),
            FdOrigin::Readiness => f.write_str("readiness pipe to the parent"),
            FdOrigin::Passed => f.write_str("passed in by the application"),
            FdOrigin::Listener { listener } => write!(f, "listening socket {listener}"),
        }
    }
}

/// The plan of one node.
///
/// ```
/// use process_graph_runtime::{Command, Graph, NodeOptions, Readiness, Restart};
///
/// let mut graph = Graph::new();
/// let db = graph.node_with("db", Command::new("true"), NodeOptions::new().ready(Readiness::Fd(3)));
/// let app = NodeOptions::new().after([db]).restart(Restart::OnFailure).critical(true);
/// let app = graph.node_with("app", Command::new("true"), app);
/// let plan = graph.plan()?;
/// let planned = &plan.nodes[app.index()];
/// assert_eq!((planned.name.as_str(), planned.restart, planned.critical), ("app", Restart::OnFailure, true));
/// assert_eq!(planned.after, ["db"]);
/// assert!(planned.scope.is_none() && planned.namespaces.is_empty());
/// # Ok::<(), process_graph_runtime::Violations>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedNode {
    /// The node.
    pub node: NodeId,
    /// Its name.
    pub name: String,
    /// Its complete fd table, by fd number: 0, 1, 2 and every declared fd.
    pub fds: Vec<(i32, FdOrigin)>,
    /// The scope it runs in, if any.
    pub scope: Option<String>,
    /// The namespaces it joins (its scope's and every enclosing scope's).
    pub namespaces: Vec<Namespace>,
    /// Variables the runtime adds to its environment.
    pub env: Vec<(String, String)>,
    /// Its restart policy.
    pub restart: Restart,
    /// Its readiness protocol.
    pub ready: Readiness,
    /// The nodes it starts after.
    pub after: Vec<String>,
    /// Whether the graph ends when it ends.
    pub critical: bool,
}

/// What [`Graph::spawn`] will do.
///
/// ```
/// use process_graph_runtime::{Command, FdOrigin, Graph};
///
/// let mut graph = Graph::new();
/// let a = graph.node("a", Command::new("seq").arg("3"));
/// let b = graph.node("b", Command::new("cat"));
/// let lines = graph.pipe(a.stdout(), b.stdin());
/// graph.name_edge(lines, "lines");
/// let plan = graph.plan()?;
/// assert_eq!(plan.nodes[1].fds[0], (0, FdOrigin::PipeRead { edge: "lines".into() }));
/// println!("{plan}");
/// # Ok::<(), process_graph_runtime::Violations>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnPlan {
    /// Start order: the nodes of each wave start at once, in the order
    /// listed; a node of a later wave starts as soon as the nodes it starts
    /// `after` are ready.
    pub waves: Vec<Vec<NodeId>>,
    /// Every node, in declaration order.
    pub nodes: Vec<PlannedNode>,
}

impl Graph {
    /// The plan of what [`spawn`](Graph::spawn) will do, without starting
    /// anything; fails with the same errors. Replicas are planned as the
    /// nodes they start as (`worker[0]`, `worker[1]`, ...).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Readiness};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node_with("db", Command::new("true"), NodeOptions::new().ready(Readiness::Fd(3)));
    /// graph.node_with("app", Command::new("true"), NodeOptions::new().after([db]));
    /// graph.node_with("worker", Command::new("true"), NodeOptions::new().replicas(2));
    /// let plan = graph.plan()?; // nothing is started
    /// let name = |node: &process_graph_runtime::NodeId| plan.nodes[node.index()].name.as_str();
    /// let waves: Vec<Vec<&str>> = plan.waves.iter().map(|wave| wave.iter().map(name).collect()).collect();
    /// assert_eq!(waves, [vec!["db", "worker[0]", "worker[1]"], vec!["app"]]);
    /// # Ok::<(), process_graph_runtime::Violations>(())
    /// ```
    pub fn plan(&self) -> Result<SpawnPlan, Violations> {
        self.validate()?;
        Ok(self.clone().expand_replicas().plan_checked())
    }

    /// The plan of a checked graph with its replicas expanded.
    fn plan_checked(&self) -> SpawnPlan {
        let fd_plan = Plan::of(self);
        let ready_at_exec: Vec<bool> = self
            .nodes
            .iter()
            .map(|n| n.options.ready_at_exec())
            .collect();
        let waves = Deps::of(self)
            .start_waves(&ready_at_exec)
            .into_iter()
            .map(|wave| wave.into_iter().map(NodeId::from_index).collect())
            .collect();
        let nodes = self
            .nodes
            .iter()
            .zip(&fd_plan.nodes)
            .enumerate()
            .map(|(index, (spec, node_plan))| {
                let mut fds: Vec<(i32, FdOrigin)> = node_plan
                    .fds
                    .iter()
                    .map(|a| match a.source {
                        FdSource::Listener(n) => (
                            a.target,
                            FdOrigin::Listener {
                                listener: spec.command.listeners[n].to_string(),
                            },
                        ),
                        source => (a.target, self.origin(source)),
                    })
                    .collect();
                for stdio in 0..=2 {
                    if !fds.iter().any(|(fd, _)| *fd == stdio) {
                        fds.push((stdio, FdOrigin::Inherited));
                    }
                }
                fds.sort_by_key(|(fd, _)| *fd);
                let options = &spec.options;
                let mut env = match options.ready {
                    Readiness::Notify => vec![(
                        "NOTIFY_SOCKET".to_owned(),
                        format!("<a socket of node {:?}, made at spawn>", spec.name),
                    )],
                    _ => Vec::new(),
                };
                for (key, value) in crate::spawn::listen_env(&spec.command.listeners) {
                    let value = if key == "LISTEN_PID" {
                        "<its own pid, written by its child before execve>".to_owned()
                    } else {
                        value.to_string_lossy().into_owned()
                    };
                    env.push((key.to_string_lossy().into_owned(), value));
                }
                PlannedNode {
                    node: NodeId::from_index(index),
                    name: spec.name.clone(),
                    fds,
                    scope: options
                        .rare()
                        .scope
                        .map(|s| self.scopes[s.index()].name.clone()),
                    namespaces: self.joined_namespaces(spec),
                    env,
                    restart: options.restart,
                    ready: options.ready,
                    after: options
                        .after
                        .iter()
                        .map(|d| self.nodes[d.index()].name.clone())
                        .collect(),
                    critical: options.critical,
                }
            })
            .collect();
        SpawnPlan { waves, nodes }
    }

    fn origin(&self, source: FdSource) -> FdOrigin {
        match source {
            FdSource::PipeRead(e) => FdOrigin::PipeRead {
                edge: self.edge_label(e),
            },
            FdSource::PipeWrite(e) => FdOrigin::PipeWrite {
                edge: self.edge_label(e),
            },
            FdSource::Socket(e, _) => FdOrigin::Socket {
                edge: self.edge_label(e),
            },
            FdSource::DevNull => FdOrigin::DevNull,
            FdSource::Forwarded => FdOrigin::Forwarded,
            FdSource::Terminal => FdOrigin::Terminal,
            FdSource::Ready => FdOrigin::Readiness,
            FdSource::Passed | FdSource::Listener(_) => FdOrigin::Passed,
        }
    }

    fn edge_label(&self, edge: EdgeId) -> String {
        let spec = &self.edges[edge.index()];
        match (&spec.name, &spec.kind) {
            (Some(name), _) => name.clone(),
            (None, EdgeKind::Pipe { .. }) => format!("pipe #{}", edge.index()),
            (None, EdgeKind::SocketPair { .. }) => format!("socketpair #{}", edge.index()),
            // No fd comes from a joined port: it has no ends.
            (None, EdgeKind::Joined { .. }) => format!("edge #{}", edge.index()),
        }
    }

    /// The namespaces of a node's scope and every enclosing scope.
    fn joined_namespaces(&self, node: &crate::graph::NodeSpec) -> Vec<Namespace> {
        let mut namespaces: Vec<Namespace> = self
            .enclosing_scopes(node)
            .flat_map(|scope| scope.namespaces.iter().copied())
            .collect();
        namespaces.sort();
        namespaces.dedup();
        namespaces
    }
}

impl fmt::Display for SpawnPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "start order:")?;
        for (i, wave) in self.waves.iter().enumerate() {
            let names: Vec<&str> = wave
                .iter()
                .map(|n| self.nodes[n.index()].name.as_str())
                .collect();
            writeln!(f, "  {}. {}", i + 1, names.join(", "))?;
        }
        for node in &self.nodes {
            writeln!(f)?;
            write!(f, "node {:?}", node.name)?;
            if let Some(scope) = &node.scope {
                let kinds: Vec<String> = node.namespaces.iter().map(ToString::to_string).collect();
                write!(f, " in scope {scope:?} ({})", kinds.join(", "))?;
            }
            writeln!(f)?;
            for (fd, origin) in &node.fds {
                writeln!(f, "  fd {fd:<3} {origin}")?;
            }
            for (key, value) in &node.env {
                writeln!(f, "  env    {key}={value}")?;
            }
            let ready = match node.ready {
                Readiness::Exec => "at exec".to_owned(),
                Readiness::Fd(fd) => format!("fd({fd})"),
                Readiness::Notify => "notify".to_owned(),
            };
            write!(f, "  policy restart {}, ready {ready}", node.restart)?;
            if !node.after.is_empty() {
                write!(f, ", after {}", node.after.join(", "))?;
            }
            if node.critical {
                write!(f, ", critical")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
