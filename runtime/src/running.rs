//! `RunningGraph`: the handle of a started graph — its nodes, the ends of
//! edges the parent holds, and the supervision loop (in `supervise/`).

use std::collections::VecDeque;
use std::io::{PipeReader, PipeWriter};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::exit::{ExitReport, ExitStatus, NodeExit, Outcome};
use crate::forward::Forwarder;
use crate::graph::{EdgeId, Graph, NodeId};
use crate::owner::Owner;
use crate::policy::{Intensity, NodeOptions, Strategy};
use crate::poller::{Interest, WaitSet, WakeFd, Waker};
use crate::scope::Scopes;
use crate::signal::Signal;
use crate::spawn::{LaunchKit, Launcher, ParentEnd};
use crate::supervise::{
    Agenda, Decision, Deps, Event, Mode, NodeRuntime, NodeState, NotifySocket, SignalFd, Snapshot,
    Token,
};

/// A started graph.
///
/// All supervision happens on the thread that calls its methods: call
/// [`wait`](Self::wait), or loop on [`next_event`](Self::next_event) to apply
/// a policy of your own.
///
/// Dropping it stops every node that is still running — dependents first,
/// each with its stop signal, SIGKILL to its process group after its stop
/// timeout — and reaps them all. That blocks the dropping thread for up to
/// the stop timeouts: in async code (feature `tokio`), await
/// `shutdown_async` or `wait_async` first, and the drop has nothing left to
/// do.
///
/// # After `fork()`
///
/// It acts only in the process that spawned it. A forked child holds a copy
/// of it — pidfds and process group ids that still reach the parent's nodes
/// and scopes — but there that copy signals, stops, reaps and cleans up
/// nothing: [`signal`](Self::signal), [`kill`](Self::kill),
/// [`next_event`](Self::next_event), [`wait`](Self::wait),
/// [`shutdown`](Self::shutdown) and [`stop_on_signals`](Self::stop_on_signals)
/// return [`Error::ForeignProcess`], and
/// dropping it only closes the child's copies of the fds. The parent's graph
/// runs on untouched.
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// use process_graph_runtime::{Command, Endpoint, Graph};
///
/// let mut graph = Graph::new();
/// let cat = graph.node("cat", Command::new("cat"));
/// let to_cat = graph.pipe(Endpoint::Parent, cat.stdin());
/// let from_cat = graph.pipe(cat.stdout(), Endpoint::Parent);
/// let mut running = graph.spawn()?;
///
/// let mut input = running.take_writer(to_cat).unwrap();
/// input.write_all(b"hello\n")?;
/// drop(input); // EOF for cat
/// let mut line = String::new();
/// BufReader::new(running.take_reader(from_cat).unwrap()).read_line(&mut line)?;
/// assert_eq!(line, "hello\n");
/// assert!(running.wait()?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RunningGraph {
    pub(crate) names: Vec<String>,
    pub(crate) options: Vec<NodeOptions>,
    pub(crate) deps: Deps,
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    pub(crate) stop_timeout: Duration,
    /// How long `spawn` waited at most for dependencies to be ready.
    pub(crate) start_timeout: Duration,
    pub(crate) nodes: Vec<NodeRuntime>,
    /// The nodes the next turn must look at, and how many are alive.
    pub(crate) agenda: Agenda,
    pub(crate) launcher: Launcher,
    pub(crate) parent_ends: Vec<Option<ParentEnd>>,
    pub(crate) wake: WakeFd,
    /// Every fd the loop waits on, kept in step with what the graph holds.
    pub(crate) waits: WaitSet<Token>,
    /// Whether `wake`'s eventfd, made on the first `waker()`, is in `waits`.
    pub(crate) wake_watched: bool,
    /// `waits`, registered once with the tokio reactor of the first async
    /// call.
    #[cfg(feature = "tokio")]
    pub(crate) reactor: Option<tokio::io::unix::AsyncFd<std::sync::Arc<std::os::fd::OwnedFd>>>,
    pub(crate) notify: Vec<Option<NotifySocket>>,
    pub(crate) signals: Option<SignalFd>,
    pub(crate) forwarder: Option<Forwarder>,
    /// When recent restarts happened, for the intensity limit.
    pub(crate) restart_log: VecDeque<Instant>,
    pub(crate) events: VecDeque<Event>,
    /// The decision of the last `Exited` event handed out (with the node,
    /// and why, if it stops the graph), applied at the next call unless the
    /// application overrides it.
    pub(crate) pending: Option<(usize, Verdict)>,
    /// Per node: the decision about its exit not yet handed out or applied.
    pub(crate) undecided: Vec<Option<Verdict>>,
    /// Nodes restarting together: none of them starts before all are down.
    pub(crate) group: Vec<usize>,
    /// When the group restarts.
    pub(crate) group_at: Option<Instant>,
    /// Set once the graph is being stopped, with the reason.
    pub(crate) outcome: Option<Outcome>,
    /// The process that spawned the graph, the only one it acts in.
    pub(crate) owner: Owner,
}

/// A decision about a node's exit, and why, when it stops the graph.
pub(crate) type Verdict = (Decision, Option<Outcome>);

impl RunningGraph {
    /// Validates and prepares `graph`, then starts its nodes.
    pub(crate) fn start(graph: Graph) -> Result<RunningGraph, Error> {
        graph.validate().map_err(Error::Invalid)?;
        let graph = graph.expand_replicas();
        let mut scopes = Scopes::create(&graph)?;
        // A node with a network of its own gets a socket its scope's init
        // made there: abstract addresses belong to a network namespace.
        let notify = graph
            .nodes
            .iter()
            .map(|n| match (n.options.ready, n.options.scope) {
                (crate::Readiness::Notify, Some(scope)) if graph.in_own_network(n) => scopes
                    .get_mut(scope)
                    .take_notify_socket()
                    .ok_or_else(|| std::io::ErrorKind::NotFound.into())
                    .and_then(NotifySocket::autobound)
                    .map(Some)
                    .map_err(|e| Error::io(Some(&n.name), "take NOTIFY_SOCKET", e)),
                (crate::Readiness::Notify, _) => NotifySocket::bind()
                    .map(Some)
                    .map_err(|e| Error::io(Some(&n.name), "bind NOTIFY_SOCKET", e)),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let extra_env: Vec<Vec<_>> = notify
            .iter()
            .map(|n| n.iter().map(NotifySocket::env).collect())
            .collect();
        let LaunchKit {
            launcher,
            parent_ends,
            prefixed,
        } = Launcher::prepare(&graph, scopes, &extra_env)?;
        let forwarder = (!prefixed.is_empty())
            .then(|| Forwarder::start(prefixed))
            .transpose()
            .map_err(|e| Error::io(None, "start stdio thread", e))?;
        let now = Instant::now();
        let mut running = RunningGraph {
            names: graph.nodes.iter().map(|n| n.name.clone()).collect(),
            options: graph.nodes.iter().map(|n| n.options.clone()).collect(),
            deps: Deps::of(&graph),
            strategy: graph.strategy,
            intensity: graph.intensity,
            stop_timeout: graph.stop_timeout,
            start_timeout: graph.start_timeout,
            nodes: graph.nodes.iter().map(|_| NodeRuntime::new(now)).collect(),
            agenda: Agenda::all(graph.nodes.len()),
            launcher,
            parent_ends,
            wake: WakeFd::default(),
            waits: WaitSet::new(),
            wake_watched: false,
            #[cfg(feature = "tokio")]
            reactor: None,
            notify,
            signals: None,
            forwarder,
            restart_log: VecDeque::new(),
            events: VecDeque::new(),
            pending: None,
            undecided: graph.nodes.iter().map(|_| None).collect(),
            group: Vec::new(),
            group_at: None,
            outcome: None,
            owner: Owner::current(),
        };
        for (i, socket) in running.notify.iter().enumerate() {
            if let Some(socket) = socket {
                running
                    .waits
                    .add(socket.fd(), Token::Notify(i), Interest::Readable)
                    .map_err(|e| Error::io(Some(&running.names[i]), "watch NOTIFY_SOCKET", e))?;
            }
        }
        running.start_all(running.start_timeout)?;
        Ok(running)
    }

    /// The node's name.
    pub fn name(&self, node: NodeId) -> &str {
        &self.names[node.index()]
    }

    /// The node's current pid, while it has a process that is not reaped.
    pub fn pid(&self, node: NodeId) -> Option<u32> {
        let runtime = &self.nodes[node.index()];
        let process = runtime.process.as_ref()?;
        process
            .status()
            .is_none()
            .then(|| process.pid().as_raw_nonzero().get() as u32)
    }

    /// How the node's last process ended, once it has been reaped.
    pub fn status(&self, node: NodeId) -> Option<ExitStatus> {
        self.nodes[node.index()].last_exit()
    }

    /// Where the node is in its life.
    pub fn state(&self, node: NodeId) -> NodeState {
        self.nodes[node.index()].state
    }

    /// Sends `signal` to the node's current process through its pidfd.
    ///
    /// Fails with [`Error::NotRunning`] once the process has been reaped: a
    /// stale handle never reaches a process that reused the pid; and with
    /// [`Error::ForeignProcess`] in a forked copy.
    pub fn signal(&self, node: NodeId, signal: Signal) -> Result<(), Error> {
        self.check_owner()?;
        let not_running = || Error::NotRunning {
            node: self.name(node).to_owned(),
        };
        let process = self.nodes[node.index()]
            .process
            .as_ref()
            .ok_or_else(not_running)?;
        process.signal(signal).map_err(|e| match e.raw_os_error() {
            Some(libc::ESRCH) => not_running(),
            _ => Error::io(Some(self.name(node)), "pidfd_send_signal", e),
        })
    }

    /// Sends SIGKILL to the node's current process (only from the process
    /// that spawned the graph, as [`signal`](Self::signal)).
    pub fn kill(&self, node: NodeId) -> Result<(), Error> {
        self.signal(node, Signal::KILL)
    }

    /// Takes the parent's read end of a pipe whose reader is the parent.
    /// `None` if the edge has no such end or it was already taken.
    pub fn take_reader(&mut self, edge: EdgeId) -> Option<PipeReader> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Reader(r) => Some(r),
            other => self.put_back(edge, other),
        }
    }

    /// Takes the parent's write end of a pipe the parent writes into.
    pub fn take_writer(&mut self, edge: EdgeId) -> Option<PipeWriter> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Writer(w) => Some(w),
            other => self.put_back(edge, other),
        }
    }

    /// Takes the parent's end of a socketpair. For a `SeqPacket` socketpair
    /// each `write` sends one message and each `read` receives one.
    pub fn take_socket(&mut self, edge: EdgeId) -> Option<UnixStream> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Socket(s) => Some(s),
            other => self.put_back(edge, other),
        }
    }

    fn put_back<T>(&mut self, edge: EdgeId, end: ParentEnd) -> Option<T> {
        self.parent_ends[edge.index()] = Some(end);
        None
    }

    /// A handle that wakes [`next_event`](Self::next_event) from another
    /// thread. The first call creates the eventfd behind it.
    pub fn waker(&self) -> Result<Waker, Error> {
        self.wake
            .waker()
            .map_err(|e| Error::io(None, "create the wake-up eventfd", e))
    }

    /// Turns these signals, sent to the application, into an orderly
    /// shutdown of the graph: they are blocked in the calling thread and read
    /// through a signalfd by the event loop, which then reports
    /// [`Event::Signal`] and stops every node. No handler is installed.
    ///
    /// Call it from the thread that runs the event loop before the
    /// application starts other threads (threads inherit the signal mask;
    /// a thread that does not block the signals would take them instead).
    /// In a forked copy it fails with [`Error::ForeignProcess`]: the wait
    /// set may be an epoll instance shared with the process that spawned
    /// the graph.
    pub fn stop_on_signals(&mut self, signals: &[Signal]) -> Result<(), Error> {
        self.check_owner()?;
        let fd = SignalFd::new(signals).map_err(|e| Error::io(None, "signalfd", e))?;
        self.waits
            .add(fd.fd(), Token::Signals, Interest::Readable)
            .map_err(|e| Error::io(None, "watch the signalfd", e))?;
        if let Some(old) = self.signals.replace(fd) {
            self.waits.remove(old.fd());
        }
        Ok(())
    }

    /// True once every node has ended for good.
    pub fn is_finished(&self) -> bool {
        self.pending.is_none() && self.events.is_empty() && self.agenda.finished(&self.nodes)
    }

    /// Waits for the next event, up to `timeout` (`None`: no limit).
    ///
    /// Returns `Ok(None)` when the timeout passes, or at once when the graph
    /// has finished. The decision of the previous [`Event::Exited`] is
    /// carried out first (see [`decide`](Self::decide)).
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>, Error> {
        self.turn(timeout.map(|t| Instant::now() + t), Mode::Interactive)
    }

    /// Replaces the decision of the last [`Event::Exited`] returned by
    /// [`next_event`](Self::next_event), before it is carried out.
    ///
    /// Returns false if there is no decision to replace (the exit was caused
    /// by the runtime itself, or the decision was already carried out).
    pub fn decide(&mut self, decision: Decision) -> bool {
        match &mut self.pending {
            Some((_, verdict)) => {
                *verdict = (decision, None);
                true
            }
            None => false,
        }
    }

    /// Restarts a node now: stops it first if it is running, then starts it
    /// again (after the nodes it starts `after` are ready).
    pub fn restart(&mut self, node: NodeId) {
        self.request_restart(node.index(), Instant::now());
    }

    /// Stops a node for good, with its stop signal and timeout; it is not
    /// restarted.
    pub fn stop(&mut self, node: NodeId) {
        self.request_stop(node.index(), crate::supervise::AfterStop::Leave);
    }

    /// Waits for the graph to finish and reports how each node ended.
    ///
    /// Close or drain the pipe ends you took first: a child blocked writing
    /// into a full pipe nobody reads never ends.
    ///
    /// Once it has returned the graph is over: [`restart`](Self::restart)
    /// does nothing, and each node's `NOTIFY_SOCKET` is closed.
    ///
    /// # Errors
    ///
    /// [`Error::RestartIntensity`] if restarts exceeded the graph's intensity,
    /// [`Error::DependencyFailed`] if a node could never start; either way
    /// every node has been stopped and reaped.
    pub fn wait(&mut self) -> Result<ExitReport, Error> {
        self.turn(None, Mode::Automatic)?;
        self.finish()
    }

    /// Stops every node — dependents first, each with its stop signal, then
    /// SIGKILL to its process group after its stop timeout (`grace` for
    /// nodes that set none) — reaps them all and reports how each ended.
    pub fn shutdown(&mut self, grace: Duration) -> Result<ExitReport, Error> {
        self.check_owner()?;
        self.stop_timeout = grace;
        self.stop_graph(crate::exit::Outcome::Shutdown);
        self.wait()
    }

    /// A snapshot of every node: pid, state, restarts, uptime, last exit,
    /// status text. Its `Display` is a table.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(self)
    }

    /// [`Error::ForeignProcess`] unless called in the process that spawned
    /// the graph.
    pub(crate) fn check_owner(&self) -> Result<(), Error> {
        if self.owner.is_current() {
            Ok(())
        } else {
            Err(Error::ForeignProcess {
                spawner: self.owner.pid(),
            })
        }
    }

    /// Ends a finished graph for good: nothing starts again, and what only
    /// its nodes used is released — the stdio thread, each `NOTIFY_SOCKET`,
    /// the graph's scopes and cgroups.
    pub(crate) fn finish(&mut self) -> Result<ExitReport, Error> {
        self.check_owner()?;
        // Every node is reaped: end the scopes too, so that nothing started
        // in a pid scope (a daemon that left its node) outlives this call.
        self.launcher.end_scopes();
        if let Some(forwarder) = &mut self.forwarder {
            forwarder.finish();
        }
        let outcome = *self.outcome.get_or_insert(Outcome::Completed);
        for socket in self.notify.iter_mut().filter_map(Option::take) {
            self.waits.remove(socket.fd());
        }
        self.launcher
            .remove_cgroups()
            .map_err(|e| Error::io(None, "remove the graph's cgroups", e))?;
        let nodes = self
            .nodes
            .iter()
            .zip(&self.names)
            .enumerate()
            .map(|(index, (node, name))| NodeExit {
                node: NodeId::from_index(index),
                name: name.clone(),
                status: node.last_exit(),
                restarts: node.restarts,
                killed_after_timeout: node.killed_after_timeout,
                oom_killed: node.oom_killed,
            })
            .collect();
        let report = ExitReport { nodes, outcome };
        match outcome {
            Outcome::RestartIntensity { node } => Err(Error::RestartIntensity {
                node: self.name(node).to_owned(),
                max_restarts: self.intensity.max_restarts,
                period: self.intensity.period,
                report: Box::new(report),
            }),
            Outcome::DependencyFailed { node, dependency } => Err(Error::DependencyFailed {
                node: self.name(node).to_owned(),
                dependency: self.name(dependency).to_owned(),
                report: Box::new(report),
            }),
            Outcome::StartTimeout { node, dependency } => Err(Error::StartTimeout {
                node: self.name(node).to_owned(),
                dependency: self.name(dependency).to_owned(),
                timeout: self.start_timeout,
                report: Box::new(report),
            }),
            _ => Ok(report),
        }
    }
}

impl Drop for RunningGraph {
    fn drop(&mut self) {
        // In a forked copy the fields' own drops only close fds: processes,
        // the stdio thread and cgroups check their owner too.
        if !self.is_finished() && self.owner.is_current() {
            let _ = self.shutdown(self.stop_timeout);
        }
    }
}
