//! Nodes added to and removed from a running graph (OTP's dynamic
//! children): [`RunningGraph::add`] appends a graph of new nodes — with
//! edges among themselves and to the parent — and
//! [`RunningGraph::remove`] stops nodes for good and lets go of what they
//! held. Ids are never reused: a removed node keeps its index, so an id the
//! application still holds never names another node.

use std::time::Instant;

use crate::error::Error;
use crate::graph::{EdgeId, Graph, NodeId, ScopeId};
use crate::running::RunningGraph;

/// Where the nodes and edges of a graph added to a running one went:
/// [`node`](Self::node) and [`edge`](Self::edge) turn the added graph's ids
/// into the running graph's.
///
/// ```
/// use process_graph_runtime::{Command, Graph};
///
/// let mut graph = Graph::new();
/// graph.node("db", Command::new("sleep").arg("10"));
/// let mut running = graph.spawn()?;
/// let mut more = Graph::new();
/// let job = more.node("job", Command::new("sleep").arg("10")); // node 0 of `more`...
/// let added = running.add(more)?;
/// assert_eq!(added.node(job).index(), 1); // ...is node 1 of the running graph
/// assert_eq!(running.name(added.node(job)), "job");
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    first_node: usize,
    first_edge: usize,
    first_scope: usize,
}

impl Added {
    /// The running graph's id of node `node` of the added graph (of its
    /// replica 0, for a node with replicas).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeState};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// let mut more = Graph::new();
    /// let cache = more.node("cache", Command::new("sleep").arg("10"));
    /// let added = running.add(more)?;
    /// let cache = added.node(cache); // from here on, the running graph's id
    /// assert!(running.pid(cache).is_some());
    /// assert_eq!(running.state(cache), NodeState::Running);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn node(&self, node: NodeId) -> NodeId {
        NodeId::from_index(self.first_node + node.index())
    }

    /// The running graph's id of edge `edge` of the added graph: take its
    /// parent end with it.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut running = Graph::new().spawn()?; // empty, for now
    /// let mut more = Graph::new();
    /// let report = more.node("report", Command::new("echo").arg("42 rows"));
    /// let out = more.pipe(report.stdout(), Endpoint::Parent);
    /// let added = running.add(more)?;
    /// let mut text = String::new();
    /// running.take_reader(added.edge(out)).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "42 rows\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn edge(&self, edge: EdgeId) -> EdgeId {
        EdgeId::from_index(self.first_edge + edge.index())
    }

    /// The running graph's id of scope `scope` of the added graph, by
    /// which later added graphs name it with [`Graph::running_scope`]. For
    /// a scope standing for one of the running graph's, it is a second id
    /// of that scope: it names the same namespaces, but is not equal to the
    /// id it stands for.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    ///
    /// // A sandbox made by an add...
    /// let mut first = Graph::new();
    /// let sandbox = first.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    /// first.node_with("a", Command::new("sleep").arg("10"), NodeOptions::new().scope(sandbox));
    /// let added = match running.add(first) {
    ///     Ok(added) => added,
    ///     Err(e) => return Ok(eprintln!("no user namespaces here: {e}")),
    /// };
    /// // ...joined by a later one.
    /// let mut second = Graph::new();
    /// let inside = second.running_scope(added.scope(sandbox));
    /// second.node_with("b", Command::new("sleep").arg("10"), NodeOptions::new().scope(inside));
    /// running.add(second)?;
    /// running.shutdown(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scope(&self, scope: ScopeId) -> ScopeId {
        ScopeId::from_index(self.first_scope + scope.index())
    }
}

impl RunningGraph {
    /// Adds the nodes and edges of `graph` to the running graph and starts
    /// them (a node `after` another of `graph` when that one is ready, as
    /// the event loop runs). Edges connect the added nodes with each other
    /// and with the parent; the added nodes are supervised like the rest,
    /// under the running graph's strategy and intensity, and stopped with
    /// it. A node started through the carried program (in a scope, or
    /// under other ids) may still be starting when `add` returns: it is
    /// [`NodeState::Starting`](crate::NodeState::Starting) with no pid
    /// until the program has reported, as the event loop runs, with
    /// [`Event::Started`](crate::Event::Started) or
    /// [`Event::StartFailed`](crate::Event::StartFailed).
    ///
    /// `graph` is checked by the same rules as at spawn. Its nodes may run
    /// in scopes: scopes of the running graph, named with
    /// [`Graph::running_scope`] (an id the running graph does not have is
    /// [`Error::NoSuchScope`]), and new scopes of its own, created now
    /// ([`Added::scope`] gives their ids) and ended when their last node has
    /// been removed, or with the graph. Their
    /// forwarded streams ([`Stdio::Prefixed`](crate::Stdio::Prefixed), any
    /// [`Sink`](crate::Sink)) go to the graph's one output thread, started
    /// now if the graph had none; a file sink they share with the graph's
    /// nodes has one writer. Refused ([`Error::CannotAdd`]): name clashes
    /// with nodes still in the running graph, probes, and readiness by
    /// `NOTIFY_SOCKET` from inside a scope's own network. Nothing is added
    /// if it fails, whatever step failed (running out of fds, say), and
    /// nothing of it is left: no node, scope, cgroup, fd or thread (the
    /// output thread an add started is stopped again), and the next add
    /// numbers its nodes on from the running graph's.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    ///
    /// let mut more = Graph::new();
    /// let job = more.node("job", Command::new("echo").arg("hello"));
    /// let out = more.pipe(job.stdout(), Endpoint::Parent);
    /// let added = running.add(more)?;
    /// let mut text = String::new();
    /// running.take_reader(added.edge(out)).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "hello\n");
    /// assert_eq!(running.name(added.node(job)), "job");
    ///
    /// running.remove([added.node(job)]);
    /// running.shutdown(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, mut graph: Graph) -> Result<Added, Error> {
        self.io.check_owner()?;
        let cannot = |node: &str, reason| Error::CannotAdd {
            node: node.to_owned(),
            reason,
        };
        if let Some(node) = graph.nodes.first()
            && self.core.outcome().is_some()
        {
            return Err(cannot(&node.name, "the graph is being stopped"));
        }
        let launcher = &self.io.launcher;
        graph.resolve_running_scopes(|scope| launcher.scope_namespaces(scope))?;
        graph.validate().map_err(Error::Invalid)?;
        crate::sigchld::check()?;
        let graph = graph.expand_replicas();
        for node in &graph.nodes {
            if self.core.has_live_node_named(&node.name) {
                return Err(cannot(
                    &node.name,
                    "a node of the running graph has this name",
                ));
            }
        }
        let added = Added {
            first_node: self.core.names.len(),
            first_edge: self.parent_ends.len(),
            first_scope: self.io.launcher.next_scope_id(),
        };
        let ends = self.io.add(&graph)?;
        self.parent_ends.extend(ends);
        self.core.add(graph, added.first_scope);
        self.io.run(&mut self.core, Instant::now());
        Ok(added)
    }

    /// Removes nodes from the running graph: each is stopped for good, in
    /// order (dependents first, each with its stop signal, SIGKILL after its
    /// stop timeout) as the event loop runs, and once it has ended its
    /// cgroup is removed and the fds only it used are closed, parent ends
    /// the application never took included, and its forwarded streams once
    /// what they hold has reached its sinks (a partial last line too); then
    /// the output thread drops the sinks no node left in the graph uses (a
    /// file sink's fd is closed, a callback dropped), so that nodes added
    /// and removed for as long as the application runs leave it only what
    /// live nodes use. Its prepared command (arguments, and its own copy of
    /// the environment if it sets any) is dropped too; what stays of a
    /// removed node is its slot, about 500 bytes (its name, how it ended),
    /// since ids are not reused. A
    /// scope made by an add ends once its last node has ended (its init
    /// killed, and with a pid namespace whatever the nodes left in it); a
    /// scope made at spawn stays until the graph ends. Their ids are not reused;
    /// snapshots leave them out, [`wait`](Self::wait)'s report still lists
    /// how they ended.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// let mut more = Graph::new();
    /// let worker = more.node("worker", Command::new("sleep").arg("10"));
    /// let worker = running.add(more)?.node(worker);
    /// running.remove([worker]); // stopped as the event loop runs, then forgotten
    /// assert!(running.snapshot().nodes.iter().all(|n| n.name != "worker"));
    /// let report = running.shutdown(std::time::Duration::from_secs(5))?;
    /// assert!(report.by_name("worker").is_some()); // how it ended is still reported
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn remove(&mut self, nodes: impl IntoIterator<Item = NodeId>) {
        let nodes: Vec<usize> = nodes
            .into_iter()
            .map(NodeId::index)
            .filter(|&i| i < self.core.nodes.len())
            .collect();
        for &i in &nodes {
            self.core.remove(i);
            // Not running (never started, or already ended): gone now.
            if self.core.is_gone(i) {
                self.io.forget(i);
            }
        }
        let removed = |n: usize| self.core.nodes[n].removed;
        let mut untaken = Vec::new();
        for &i in &nodes {
            untaken.extend(
                self.io
                    .launcher
                    .edges_of(i)
                    .filter(|&e| self.io.launcher.edge_only_of(e, &removed)),
            );
        }
        for edge in untaken {
            self.parent_ends[edge] = None;
        }
    }
}
