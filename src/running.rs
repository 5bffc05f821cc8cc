//! `Running<N>`: a running graph addressed by a declared graph's node enum.

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Decision, Error, ExitReport, Graph, NodeId, RunningGraph, ScopeId, Signal, Snapshot,
    SubgraphFailure, Terminal, Waker,
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
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] db: Cmd, #[process(after = [db])] web: Cmd }
    ///
    /// let sleep = || Cmd::new("sleep").arg("10");
    /// let running = Site::new(sleep(), sleep()).spawn()?;
    /// for &node in SiteNode::ALL {
    ///     let process = running.process(node); // as `running.db()`, `running.web()`
    ///     assert!(process.pid().is_some(), "{node} is not running");
    /// }
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn process(&self, node: N) -> ProcessHandle<'_, N> {
        ProcessHandle::new(&self.graph, node)
    }

    /// The application's end of a process's pseudo-terminal, declared with
    /// `#[process(terminal)]` (or `stdin = "terminal"` and the like, or
    /// given by its command, [`Cmd::terminal`](crate::Command::terminal)):
    /// `Read + Write`, its window size, [`attach`](crate::Terminal::attach).
    /// `None` for a process without one, and once taken. The same terminal
    /// serves every start of the process.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Repl {
    ///     #[process(terminal)]
    ///     shell: Cmd,
    /// }
    ///
    /// let shell = Cmd::new("sh").args(["-c", r#"read line; echo "got $line""#]);
    /// let mut running = Repl::new(shell).spawn()?;
    /// let mut terminal = running.take_terminal(ReplNode::Shell).expect("declared");
    /// terminal.write_all(b"hello\n")?; // typed, line discipline and all
    /// let mut screen = String::new();
    /// terminal.read_to_string(&mut screen)?; // to its end: the node exited
    /// assert!(screen.contains("got hello"), "{screen}");
    /// assert!(running.wait()?.success());
    /// assert!(running.take_terminal(ReplNode::Shell).is_none()); // taken once
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_terminal(&mut self, node: N) -> Option<Terminal> {
        self.graph.take_terminal(node.id())
    }

    /// Sends `signal` to a process through its pidfd.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// running.signal(SiteNode::Web, Signal::INT)?;
    /// let report = running.wait()?;
    /// assert_eq!(report.web.status, Some(ExitStatus::Signaled(Signal::INT)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn signal(&self, node: N, signal: Signal) -> Result<(), Error> {
        self.graph.signal(node.id(), signal)
    }

    /// Restarts a process now: stops it first if it is running, then starts
    /// it again (after the processes it starts `after` are ready).
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let before = running.web().pid();
    /// running.restart(SiteNode::Web); // stopped with its stop signal, then started again
    /// loop {
    ///     match running.next_event(None)? {
    ///         Some(GraphEvent::Started { pid, .. }) if Some(pid) != before => break,
    ///         Some(_) => continue, // its first start, its exit
    ///         None => panic!("not started again"),
    ///     }
    /// }
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn restart(&mut self, node: N) {
        self.graph.restart(node.id())
    }

    /// Asks a process to reload its configuration (its `reload_signal`,
    /// SIGHUP by default) and, for a `ready = "notify"` one, waits until it
    /// is ready again; see `RunningGraph::reload`.
    ///
    /// ```
    /// use std::io::{BufRead, BufReader};
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Daemon { #[process] main: Cmd, #[pipe(main.stdout -> parent)] out: Pipe }
    ///
    /// let script = "trap 'echo config reread' HUP; echo up; while :; do sleep 0.1; done";
    /// let mut running = Daemon::new(Cmd::new("sh").args(["-c", script])).spawn()?;
    /// let mut lines = BufReader::new(running.out.take().unwrap()).lines();
    /// assert_eq!(lines.next().unwrap()?, "up"); // its trap is set
    /// running.reload(DaemonNode::Main)?; // SIGHUP, the default reload signal
    /// assert_eq!(lines.next().unwrap()?, "config reread");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload(&mut self, node: N) -> Result<(), Error> {
        self.graph.reload(node.id())
    }

    /// Stops a process for good, with its stop signal and timeout.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process(restart = "always")] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// running.stop(SiteNode::Web); // for good, `always` notwithstanding
    /// let report = running.wait()?;
    /// assert_eq!(report.web.status, Some(ExitStatus::Signaled(Signal::TERM)));
    /// assert_eq!(report.web.restarts, 0);
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn stop(&mut self, node: N) {
        self.graph.stop(node.id())
    }

    /// Replaces what the runtime will do about the last `Exited` event
    /// returned by `next_event`; false if there is nothing left to decide.
    ///
    /// ```
    /// use process_graph::{Decision, prelude::*};
    ///
    /// #[process_graph]
    /// struct Site { #[process(restart = "on-failure")] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sh").args(["-c", "sleep 0.1; exit 1"])).spawn()?;
    /// while let Some(event) = running.next_event(None)? {
    ///     if let GraphEvent::Exited { decision: Decision::Restart { .. }, .. } = event {
    ///         assert!(running.decide(Decision::Leave)); // not this time
    ///     }
    /// }
    /// assert_eq!(running.wait()?.web.status, Some(ExitStatus::Exited(1)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn decide(&mut self, decision: Decision) -> bool {
        self.graph.decide(decision)
    }

    /// Waits for the next event, up to `timeout` (`None`: no limit);
    /// `Ok(None)` when the timeout passes or every process has been reaped.
    /// Events about nodes added untyped (`running_graph_mut().add`) are
    /// passed over: the runtime applies their policy as they declared it.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("true")).spawn()?;
    /// let mut exit = None;
    /// while let Some(event) = running.next_event(None)? {
    ///     match event {
    ///         GraphEvent::Exited { node: SiteNode::Web, status, .. } => exit = Some(status),
    ///         other => println!("{other}"), // "web started (pid …)"
    ///     }
    /// }
    /// assert_eq!(exit, Some(ExitStatus::Exited(0)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
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
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Worker { #[process] work: Cmd }
    /// #[process_graph]
    /// struct Pool { #[process] dispatcher: Cmd, #[children] workers: Children<Worker> }
    ///
    /// let mut running = Pool::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let worker = running.add_workers(Worker::new(Cmd::new("sleep").arg("10")))?;
    /// running.remove_child(worker); // stopped as the event loop runs, then forgotten
    /// assert!(running.snapshot().nodes.iter().all(|n| n.name != "workers.0.work"));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
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
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let snapshot = running.snapshot();
    /// assert_eq!(snapshot.nodes[0].name, "web");
    /// assert_eq!(snapshot.nodes[0].pid, running.web().pid());
    /// print!("{snapshot}"); // NODE  PID  PROCS  STATE  RESTARTS  UPTIME …
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        self.graph.snapshot()
    }

    /// Turns these signals, sent to the application, into a graceful stop
    /// of the graph; see [`RunningGraph::stop_on_signals`].
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("0.1")).spawn()?;
    /// running.stop_on_signals(&[Signal::TERM, Signal::INT])?;
    /// // A SIGTERM or Ctrl-C from now on stops the graph in order, and `wait` returns.
    /// assert!(running.wait()?.web.success());
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn stop_on_signals(&mut self, signals: &[Signal]) -> Result<(), Error> {
        self.graph.stop_on_signals(signals)
    }

    /// A handle another thread can use to wake `next_event`; see
    /// [`RunningGraph::waker`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let waker = running.waker()?;
    /// std::thread::spawn(move || waker.wake()); // e.g. once a job is queued
    /// loop {
    ///     match running.next_event(Some(Duration::from_secs(5)))? {
    ///         Some(GraphEvent::Started { .. }) => continue,
    ///         other => break assert_eq!(other, Some(GraphEvent::Woken)),
    ///     }
    /// }
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn waker(&self) -> Result<Waker, Error> {
        self.graph.waker()
    }

    /// Whether every node has ended for good.
    ///
    /// ```
    /// use process_graph::prelude::*;
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("true")).spawn()?;
    /// while !running.is_finished() {
    ///     running.next_event(None)?;
    /// }
    /// assert_eq!(running.web().status(), Some(ExitStatus::Exited(0)));
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.graph.is_finished()
    }

    /// [`next_event`](Self::next_event) without a timeout, as a future
    /// (feature `tokio`): `Ok(None)` once every process has been reaped.
    ///
    /// The generated `Running<Name>` adds `wait_async` and `shutdown_async`.
    /// Dropping a graph within a tokio runtime hands what is left of its
    /// stop to a thread and returns at once: await `shutdown_async` or
    /// `wait_async` to know its processes are gone.
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
    ///
    /// ```
    /// use process_graph::{RunningGraph, prelude::*};
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// /// Code that knows nothing of declared graphs.
    /// fn alive(graph: &RunningGraph) -> usize {
    ///     graph.snapshot().nodes.iter().filter(|n| n.state.is_alive()).count()
    /// }
    ///
    /// let running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// assert_eq!(alive(running.running_graph()), 1);
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn running_graph(&self) -> &RunningGraph {
        &self.graph
    }

    /// The untyped running graph, mutably.
    ///
    /// ```
    /// use process_graph::{Graph, prelude::*};
    ///
    /// #[process_graph]
    /// struct Site { #[process] web: Cmd }
    ///
    /// let mut running = Site::new(Cmd::new("sleep").arg("10")).spawn()?;
    /// let mut more = Graph::new(); // a node the declaration does not have
    /// let probe = more.node("probe", Cmd::new("sleep").arg("10"));
    /// let added = running.running_graph_mut().add(more)?;
    /// assert_eq!(running.running_graph().name(added.node(probe)), "probe");
    /// # Ok::<(), process_graph::Error>(())
    /// ```
    pub fn running_graph_mut(&mut self) -> &mut RunningGraph {
        &mut self.graph
    }
}
