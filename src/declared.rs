//! `ProcessGraph` and `RunningProcessGraph`: what every `#[process_graph]`
//! struct and its running handle have, so code can be generic over graphs.

use std::fmt::Debug;
use std::ops::DerefMut;
use std::time::Duration;

use process_graph_runtime::{EdgeId, Error, Graph, RunningGraph};
use process_graph_topology::Topology;

use crate::{GraphNode, Running};

/// A graph declared with `#[process_graph]`; the macro implements it for the
/// struct (which also has these items as inherent ones). Code generic over
/// it runs any declared graph: the same supervision loop for a graph with a
/// scope and without one, a test harness for every graph of a crate.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Plain {
///     #[process(stdout = "null")]
///     job: Cmd,
/// }
///
/// #[process_graph]
/// struct Boxed {
///     #[scope(user, pid)]
///     sandbox: Scope,
///     #[process(scope = sandbox, stdout = "null")]
///     job: Cmd,
/// }
///
/// /// Runs any graph to its end, printing each event with the node's name.
/// fn run<G: ProcessGraph>(graph: G) -> Result<usize, process_graph::Error> {
///     assert!(!G::TOPOLOGY.nodes.is_empty());
///     let mut running = graph.spawn()?;
///     let mut events = 0;
///     while let Some(event) = running.next_event(None)? {
///         println!("{event}");
///         events += 1;
///     }
///     running.wait()?;
///     Ok(events)
/// }
///
/// assert!(run(Plain::new(Cmd::new("true")))? > 0);
/// let _same_loop_with_a_scope = run::<Boxed>;
/// # Ok::<(), process_graph::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a #[process_graph] struct",
    label = "not a #[process_graph] struct",
    note = "`ProcessGraph` is implemented by #[process_graph] on a struct"
)]
pub trait ProcessGraph: Sized {
    /// The node enum, `<Name>Node`.
    type Node: GraphNode;
    /// The running handle, `Running<Name>`.
    type Running: RunningProcessGraph<Node = Self::Node>;

    /// The graph's shape: its processes, edges, scopes and policies.
    const TOPOLOGY: Topology;

    /// Its ports, `<Name>Ports`: one field per edge with a `parent` end,
    /// of a [`port`](crate::port) type, for a graph that nests this one as
    /// a `#[subgraph]` to check its wiring against at compile time.
    type Ports;
    /// The ports' kinds, as a value.
    const PORTS: Self::Ports;

    /// The parent's ends of its ports, `<Name>PortEnds`, where a graph that
    /// nests this one as a `#[subgraph]` leaves them unwired: one field per
    /// port, of the type the running handle gives an edge with a `parent`
    /// end, `None` (empty) for each port the enclosing graph wires. The
    /// enclosing graph's running handle has one per `#[subgraph]` field,
    /// named after it.
    type PortEnds: Debug;

    /// The dynamic graph this declaration stands for: the calls of the
    /// runtime's API the macro expands to. Its [`plan`](Graph::plan) shows,
    /// without starting anything, what `spawn` would do.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Pair {
    ///     #[process]
    ///     writer: Cmd,
    ///     #[process(after = [writer])]
    ///     reader: Cmd,
    ///     #[pipe(writer.stdout -> reader.stdin)]
    ///     lines: Pipe,
    /// }
    ///
    /// let graph = Pair::new(Cmd::new("echo"), Cmd::new("cat")).graph();
    /// assert_eq!(graph.topology().nodes.len(), 2);
    /// println!("{}", graph.plan()?); // start order, fd tables, policies
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn graph(self) -> Graph;

    /// Checks the graph, starts every process in dependency order and wires
    /// every edge; returns once every process has started
    /// ([`Graph::spawn`] says what happens when one fails).
    fn spawn(self) -> Result<Self::Running, Error>;

    /// [`graph`](Self::graph), and the ids of its edges with a `parent`
    /// end in declaration order, each as one id per replica it feeds.
    #[doc(hidden)]
    fn __graph_with_ends(self) -> (Graph, Vec<Vec<EdgeId>>);

    /// Takes the parent's ends of the ports out of `running`, where the
    /// port edges have the ids `ends` (as `__graph_with_ends` gave them,
    /// moved into the enclosing graph).
    #[doc(hidden)]
    fn __port_ends(running: &mut RunningGraph, ends: &[Vec<EdgeId>]) -> Self::PortEnds;

    /// Closes the pipe ends the parent writes into, so that their readers
    /// see EOF: what `wait` does first.
    #[doc(hidden)]
    fn __close_port_writers(ends: &mut Self::PortEnds);
}

/// The running handle of a declared graph, `Running<Name>`: it dereferences
/// to [`Running<Node>`](Running) (events, signals, restarts, snapshot), and
/// reports how each process ended with one field per process.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Job { #[process] work: Cmd }
///
/// /// Starts any declared graph and waits for its report.
/// fn run<G: ProcessGraph>(
///     graph: G,
/// ) -> Result<<G::Running as RunningProcessGraph>::Report, process_graph::Error> {
///     let mut running = graph.spawn()?;
///     running.stop_on_signals(&[Signal::TERM])?; // through `Deref` to `Running<G::Node>`
///     running.wait()
/// }
///
/// let report = run(Job::new(Cmd::new("true")))?;
/// assert_eq!(report.work.status, Some(ExitStatus::Exited(0)));
/// # Ok::<(), process_graph::Error>(())
/// ```
pub trait RunningProcessGraph: DerefMut<Target = Running<Self::Node>> {
    /// The node enum, `<Name>Node`.
    type Node: GraphNode;
    /// The report, `<Name>Report`.
    type Report;

    /// Closes the pipe ends the parent writes into, then waits for every
    /// process to end.
    fn wait(&mut self) -> Result<Self::Report, Error>;

    /// Stops every process still running — dependents first, each with its
    /// stop signal, then SIGKILL to its process group after its stop timeout
    /// (`grace` for processes that set no `stop_timeout`) — reaps them all
    /// and reports how each ended.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Idle {
    ///     #[process]
    ///     sleeper: Cmd,
    /// }
    ///
    /// let mut running = Idle::new(Cmd::new("sleep").arg("60")).spawn()?;
    /// let report = running.shutdown(Duration::from_secs(1))?;
    /// assert_eq!(report.sleeper.status, Some(ExitStatus::Signaled(Signal::TERM)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    fn shutdown(&mut self, grace: Duration) -> Result<Self::Report, Error>;
}
