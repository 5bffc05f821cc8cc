//! `Running<N>`: a running graph addressed by a declared graph's node enum.

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Decision, Error, ExitReport, Graph, NodeId, RunningGraph, ScopeId, Signal, Snapshot,
    SubgraphFailure, Waker,
};

use crate::child::{Child, ChildExit, ChildId};
use crate::child_table::ChildTable;
use crate::{GraphEvent, GraphNode, ProcessGraph, ProcessHandle};

/// A running graph whose processes are named by the node enum `N` of a
/// `#[process_graph]` struct.
///
/// The `Running<Name>` struct the macro generates holds one and
/// dereferences to it, so these methods are the same for every graph; the
/// generated struct adds one handle per process, the parent's ends of the
/// edges as fields, and `wait` and `shutdown` with a report that has one
/// field per process.
///
/// It acts only in the process that spawned it: after `fork()`, the child's
/// copy signals, stops, reaps and cleans up nothing — `signal`,
/// `next_event`, `wait` and `shutdown` return
/// [`Error::ForeignProcess`],
/// and dropping it only closes the child's copies of the fds — so the
/// parent's processes and scopes run on untouched (see
/// [`RunningGraph`]).
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Nap {
///     #[process]
///     sleeper: Cmd,
/// }
///
/// let mut running = Nap::new(Cmd::new("sleep").arg("10")).spawn()?;
/// running.signal(NapNode::Sleeper, Signal::TERM)?; // a method of Running<NapNode>
/// loop {
///     match running.next_event(None)? {
///         Some(GraphEvent::Exited { node: NapNode::Sleeper, status, .. }) => {
///             break assert_eq!(status, ExitStatus::Signaled(Signal::TERM));
///         }
///         Some(_) => continue,
///         None => unreachable!("the sleeper's exit is reported"),
///     }
/// }
/// # Ok::<(), process_graph::Error>(())
/// ```
pub struct Running<N> {
    graph: RunningGraph,
    children: ChildTable<N>,
}

impl<N> std::fmt::Debug for Running<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("graph", &self.graph)
            .finish_non_exhaustive()
    }
}

impl<N: GraphNode> Running<N> {
    /// A running graph built from `N`'s declaration (its node ids are `N`'s).
    pub(crate) fn new(graph: RunningGraph) -> Self {
        Running {
            graph,
            children: ChildTable::new(),
        }
    }

    /// The handle of one process.
    pub fn process(&self, node: N) -> ProcessHandle<'_, N> {
        ProcessHandle::new(&self.graph, node)
    }

    /// Sends `signal` to a process through its pidfd.
    pub fn signal(&self, node: N, signal: Signal) -> Result<(), Error> {
        self.graph.signal(node.id(), signal)
    }

    /// Restarts a process now: stops it first if it is running, then starts
    /// it again (after the processes it starts `after` are ready).
    pub fn restart(&mut self, node: N) {
        self.graph.restart(node.id())
    }

    /// Asks a process to reload its configuration (its `reload_signal`,
    /// SIGHUP by default) and, for a `ready = "notify"` one, waits until it
    /// is ready again; see `RunningGraph::reload`.
    pub fn reload(&mut self, node: N) -> Result<(), Error> {
        self.graph.reload(node.id())
    }

    /// Stops a process for good, with its stop signal and timeout.
    pub fn stop(&mut self, node: N) {
        self.graph.stop(node.id())
    }

    /// Replaces what the runtime will do about the last `Exited` event
    /// returned by `next_event`; false if there is nothing left to decide.
    pub fn decide(&mut self, decision: Decision) -> bool {
        self.graph.decide(decision)
    }

    /// Waits for the next event, up to `timeout` (`None`: no limit);
    /// `Ok(None)` when the timeout passes or every process has been reaped.
    /// Events about nodes added untyped (`running_graph_mut().add`) are
    /// passed over: the runtime applies their policy as they declared it.
    pub fn next_event(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<GraphEvent<N>>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let Some(event) = self.graph.next_event(left)? else {
                return Ok(None);
            };
            if let Some(event) = crate::event::typed(event, &self.children) {
                return Ok(Some(event));
            }
        }
    }

    /// Stops a child for good and lets go of what it held, as
    /// [`RunningGraph::remove`] does for its nodes (dependents first, each
    /// with its stop signal); its number is not reused.
    pub fn remove_child<M: GraphNode>(&mut self, child: ChildId<M>) {
        self.graph.remove(child.ids());
    }

    /// Adds `graph` as the next child of the `#[children]` field `field`:
    /// a subgraph `field.number` of the running graph, whose nodes `wrap`
    /// names in `N`. What the generated `add_<field>` calls.
    #[doc(hidden)]
    pub fn __add_child<G: ProcessGraph>(
        &mut self,
        field: &'static str,
        graph: G,
        on_failure: SubgraphFailure,
        scope: Option<ScopeId>,
        wrap: fn(Child<G::Node>) -> N,
    ) -> Result<ChildId<G::Node>, Error> {
        let number = self.children.next_number(field);
        let mut child = Graph::new();
        let name = format!("{field}.{number}");
        match scope {
            None => child.subgraph(name, graph.graph(), on_failure),
            Some(scope) => {
                let scope = child.running_scope(scope);
                child.subgraph_in_scope(name, graph.graph(), on_failure, scope)
            }
        };
        let added = self.graph.add(child)?;
        Ok(self
            .children
            .push(field, added.node(NodeId::from_index(0)), wrap))
    }

    /// How each node of each child of `field` ended, for the generated
    /// report.
    #[doc(hidden)]
    pub fn __child_exits<M: GraphNode>(
        &self,
        field: &'static str,
        report: &ExitReport,
    ) -> Vec<ChildExit<M>> {
        self.children.exits(field, report)
    }

    /// Every node's pid, state, restarts, uptime and last exit, as a table
    /// (its `Display`); see [`RunningGraph::snapshot`].
    pub fn snapshot(&self) -> Snapshot {
        self.graph.snapshot()
    }

    /// Turns these signals, sent to the application, into a graceful stop
    /// of the graph; see [`RunningGraph::stop_on_signals`].
    pub fn stop_on_signals(&mut self, signals: &[Signal]) -> Result<(), Error> {
        self.graph.stop_on_signals(signals)
    }

    /// A handle another thread can use to wake `next_event`; see
    /// [`RunningGraph::waker`].
    pub fn waker(&self) -> Result<Waker, Error> {
        self.graph.waker()
    }

    /// Whether every node has ended for good.
    pub fn is_finished(&self) -> bool {
        self.graph.is_finished()
    }

    /// [`next_event`](Self::next_event) without a timeout, as a future
    /// (feature `tokio`): `Ok(None)` once every process has been reaped.
    ///
    /// The generated `Running<Name>` adds `wait_async` and `shutdown_async`.
    /// Dropping a graph that has not finished blocks the thread while its
    /// processes stop: await `shutdown_async` or `wait_async` first.
    #[cfg(feature = "tokio")]
    pub async fn next_event_async(&mut self) -> Result<Option<GraphEvent<N>>, Error> {
        loop {
            let Some(event) = self.graph.next_event_async().await? else {
                return Ok(None);
            };
            if let Some(event) = crate::event::typed(event, &self.children) {
                return Ok(Some(event));
            }
        }
    }

    /// The untyped running graph.
    pub fn running_graph(&self) -> &RunningGraph {
        &self.graph
    }

    /// The untyped running graph, mutably.
    pub fn running_graph_mut(&mut self) -> &mut RunningGraph {
        &mut self.graph
    }
}
