//! Scopes of a running graph named by a graph added to it: the added graph
//! holds a stand-in for each ([`Graph::running_scope`]), which its nodes
//! join and its new scopes nest in like any scope of its own; when it is
//! added, each stand-in takes the namespaces of the scope it names, so the
//! wiring rules check it as they check the graph's own scopes.

use super::{Namespace, ScopeSpec};
use crate::error::Error;
use crate::graph::{Graph, ScopeId};

impl Graph {
    /// Names scope `scope` of the running graph this graph is added to
    /// with [`RunningGraph::add`](crate::RunningGraph::add): its nodes join
    /// it with [`NodeOptions::scope`](crate::NodeOptions::scope), and a new
    /// scope of this graph nests in it with
    /// [`ScopeSpec::parent`], as with a scope of its own. `scope` is the
    /// running graph's id: the one [`Graph::scope`] returned for the graph
    /// that was spawned, or [`Added::scope`](crate::Added::scope) for a
    /// scope of an added graph.
    ///
    /// Nothing is created for it: an added node in it runs in the
    /// namespaces the scope's init holds, cloned into its own cgroup where
    /// the graph has cgroups, exactly as a node started at spawn. A scope
    /// the running graph does not have fails the add with
    /// [`Error::NoSuchScope`] naming a node in it, and so does spawning a
    /// graph that names one (there is no running graph).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Event, Graph, Namespace, NodeOptions, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// let sandbox = graph.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    /// graph.node_with("server", Command::new("sleep").arg("10"), NodeOptions::new().scope(sandbox));
    /// let mut running = match graph.spawn() {
    ///     Ok(running) => running,
    ///     Err(e) => return Ok(eprintln!("no user namespaces here: {e}")),
    /// };
    ///
    /// let mut more = Graph::new();
    /// let inside = more.running_scope(sandbox);
    /// let job = more.node_with("job", Command::new("true"), NodeOptions::new().scope(inside));
    /// let job = running.add(more)?.node(job);
    /// // Started in the scope by the carried program as the loop runs.
    /// let pid = loop {
    ///     match running.next_event(None)? {
    ///         Some(Event::Started { node, pid }) if node == job => break pid,
    ///         Some(Event::StartFailed { error, .. }) => return Err(error.into()),
    ///         Some(_) => {}
    ///         None => unreachable!("the graph has not ended"),
    ///     }
    /// };
    /// assert!(pid > 0);
    /// running.shutdown(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn running_scope(&mut self, scope: ScopeId) -> ScopeId {
        let name = format!("running graph's scope {}", scope.index());
        let id = self.scope(name, ScopeSpec::default());
        if let Some(spec) = self.scopes.last_mut() {
            spec.joins = Some(scope);
        }
        id
    }

    /// Gives each scope standing for one of the running graph's the
    /// namespaces a process joins to be in it (`namespaces_of`, as
    /// `CLONE_NEW*` flags, `None` for a scope the running graph does not
    /// have), so that the rules check it like the graph's own. A stand-in
    /// no node is in is left as it is, with no namespace: the rules refuse
    /// it as one that creates none.
    pub(crate) fn resolve_running_scopes(
        &mut self,
        namespaces_of: impl Fn(ScopeId) -> Option<u32>,
    ) -> Result<(), Error> {
        for index in 0..self.scopes.len() {
            let Some(joins) = self.scopes[index].joins else {
                continue;
            };
            match namespaces_of(joins) {
                Some(flags) => {
                    self.scopes[index].namespaces = Namespace::ALL
                        .into_iter()
                        .filter(|n| flags as u64 & n.clone_flag() != 0)
                        .collect();
                }
                None => {
                    if let Some(node) = self.first_node_in(index) {
                        return Err(Error::NoSuchScope {
                            node: node.to_owned(),
                            scope: joins,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The name of the first node in declared scope `scope` or a scope
    /// nested in it.
    pub(crate) fn first_node_in(&self, scope: usize) -> Option<&str> {
        let inside = |mut next: Option<ScopeId>| {
            // Bounded by the scope count: a (rejected) cycle cannot loop.
            (0..self.scopes.len()).any(|_| match next {
                Some(s) if s.index() == scope => true,
                Some(s) => {
                    next = self.scopes.get(s.index()).and_then(|spec| spec.parent);
                    false
                }
                None => false,
            })
        };
        self.nodes
            .iter()
            .find(|n| inside(n.options.rare().scope))
            .map(|n| n.name.as_str())
    }
}
