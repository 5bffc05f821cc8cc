//! `RunningGraph`: the handle of a started graph — its nodes, the ends of
//! edges the parent holds, and the supervision loop (in `supervise/`).

use std::io::{PipeReader, PipeWriter};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::exit::{ExitReport, ExitStatus};
use crate::graph::{EdgeId, Graph, NodeId};
use crate::poller::Waker;
use crate::signal::Signal;
use crate::spawn::ParentEnd;
use crate::supervise::{AfterStop, Core, Decision, Driver, Event, Mode, NodeState, Snapshot};

/// A started graph.
///
/// All supervision happens on the thread that calls its methods: call
/// [`wait`](Self::wait), or loop on [`next_event`](Self::next_event) to apply
/// a policy of your own.
///
/// Dropping it stops every node that is still running — dependents first,
/// each with its stop signal, SIGKILL to its process group after its stop
/// timeout — and reaps them all. Outside an async runtime that blocks the
/// dropping thread for up to the stop timeouts. Within a tokio runtime
/// (feature `tokio`) it never blocks the executor: the drop hands the rest
/// of the stop to a thread of its own, `process-graph-stop`, and returns at
/// once — so the nodes may still be stopping when it has returned, and a
/// program that exits right after leaves them to their parent-death signal
/// (SIGKILL, no stop signal) and cgroups. To stop them in order and know
/// they are gone, await `shutdown_async` or `wait_async` before the drop.
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
    /// What to do: node states, policies, timers, events.
    pub(crate) core: Core,
    /// Doing it: processes, fds, the wait set.
    pub(crate) io: Driver,
    pub(crate) parent_ends: Vec<Option<ParentEnd>>,
}

impl RunningGraph {
    /// Validates and prepares `graph`, then starts its nodes.
    pub(crate) fn start(mut graph: Graph) -> Result<RunningGraph, Error> {
        // Spawned on its own, there is no running graph whose scopes it
        // could name.
        graph.resolve_running_scopes(|_| None)?;
        graph.validate().map_err(Error::Invalid)?;
        crate::sigchld::check()?;
        let graph = graph.expand_replicas();
        let (io, parent_ends) = Driver::prepare(&graph)?;
        let mut running = RunningGraph {
            core: Core::new(graph),
            io,
            parent_ends,
        };
        running.io.start_all(&mut running.core)?;
        Ok(running)
    }

    /// The node's name.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("true"));
    /// let mut running = graph.spawn()?;
    /// assert_eq!(running.name(db), "db");
    /// while let Some(event) = running.next_event(None)? {
    ///     println!("{}", event.map_node(|id| running.name(id))); // "db exited with code 0; …"
    /// }
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn name(&self, node: NodeId) -> &str {
        &self.core.names[node.index()]
    }

    /// The application's end of the node's pseudo-terminal, if it runs on
    /// one ([`Command::terminal`](crate::Command::terminal)); once.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let check = Command::new("sh").args(["-c", "test -t 0 && echo on a terminal"]);
    /// let tty = graph.node("tty", check.terminal());
    /// let mut running = graph.spawn()?;
    /// let mut terminal = running.take_terminal(tty).unwrap();
    /// assert!(running.take_terminal(tty).is_none()); // taken once
    /// let mut screen = String::new();
    /// terminal.read_to_string(&mut screen)?; // to its end: the node exited
    /// assert_eq!(screen, "on a terminal\r\n"); // the terminal writes \n as \r\n
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_terminal(&mut self, node: NodeId) -> Option<crate::Terminal> {
        self.io.launcher.take_terminal(node.index())
    }

    /// The node's current pid, while it has a process that is not reaped:
    /// its main process — the one it named with `MAINPID=` (see
    /// [`Readiness::Notify`](crate::Readiness::Notify)), else the one the
    /// runtime started.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("sleep").arg("10"));
    /// let running = graph.spawn()?;
    /// let pid = running.pid(db).unwrap();
    /// assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn pid(&self, node: NodeId) -> Option<u32> {
        self.io.pid(node.index())
    }

    /// How the node's last process ended, once it has been reaped.
    ///
    /// ```
    /// use process_graph_runtime::{Command, ExitStatus, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let job = graph.node("job", Command::new("true"));
    /// let mut running = graph.spawn()?;
    /// while running.next_event(None)?.is_some() {} // until every node has ended
    /// assert_eq!(running.status(job), Some(ExitStatus::Exited(0)));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn status(&self, node: NodeId) -> Option<ExitStatus> {
        self.core.nodes[node.index()].last_exit
    }

    /// Where the node is in its life.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeState};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// assert_eq!(running.state(db), NodeState::Running); // no readiness protocol: ready at exec
    /// running.stop(db);
    /// while running.next_event(None)?.is_some() {}
    /// assert_eq!(running.state(db), NodeState::Stopped);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn state(&self, node: NodeId) -> NodeState {
        self.core.nodes[node.index()].state
    }

    /// Sends `signal` to the node's current main process through its pidfd
    /// (the one it named with `MAINPID=`, if it named one).
    ///
    /// Fails with [`Error::NotRunning`] once the process has been reaped: a
    /// stale handle never reaches a process that reused the pid; and with
    /// [`Error::ForeignProcess`] in a forked copy.
    ///
    /// ```
    /// use process_graph_runtime::{Command, ExitStatus, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let worker = graph.node("worker", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// running.signal(worker, Signal::INT)?;
    /// assert_eq!(running.wait()?[worker].status, Some(ExitStatus::Signaled(Signal::INT)));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn signal(&self, node: NodeId, signal: Signal) -> Result<(), Error> {
        self.io.check_owner()?;
        let not_running = || Error::NotRunning {
            node: self.name(node).to_owned(),
        };
        let sent = self.io.signal_main(node.index(), signal);
        sent.map_err(|e| match e.raw_os_error() {
            Some(libc::ESRCH) => not_running(),
            _ => Error::io(Some(self.name(node)), "pidfd_send_signal", e),
        })
    }

    /// Sends SIGKILL to the node's current process (only from the process
    /// that spawned the graph, as [`signal`](Self::signal)).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let hung = graph.node("hung", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// running.kill(hung)?;
    /// running.wait()?;
    /// // Reaped: its pid may be another process's by now, which is never hit.
    /// assert!(matches!(running.kill(hung), Err(Error::NotRunning { .. })));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn kill(&self, node: NodeId) -> Result<(), Error> {
        self.signal(node, Signal::KILL)
    }

    /// Takes the parent's read end of a pipe whose reader is the parent.
    /// `None` if the edge has no such end or it was already taken.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let uname = graph.node("uname", Command::new("uname").arg("-s"));
    /// let out = graph.pipe(uname.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut reader = running.take_reader(out).unwrap();
    /// assert!(running.take_reader(out).is_none()); // taken once
    /// let mut text = String::new();
    /// reader.read_to_string(&mut text)?;
    /// assert_eq!(text, "Linux\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_reader(&mut self, edge: EdgeId) -> Option<PipeReader> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Reader(r) => Some(r),
            other => self.put_back(edge, other),
        }
    }

    /// Takes the parent's write end of a pipe the parent writes into.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let wc = graph.node("wc", Command::new("wc").arg("-l"));
    /// let lines = graph.pipe(Endpoint::Parent, wc.stdin());
    /// let count = graph.pipe(wc.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut input = running.take_writer(lines).unwrap();
    /// input.write_all(b"one\ntwo\n")?;
    /// drop(input); // EOF: wc counts and exits
    /// let mut text = String::new();
    /// running.take_reader(count).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text.trim(), "2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_writer(&mut self, edge: EdgeId) -> Option<PipeWriter> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Writer(w) => Some(w),
            other => self.put_back(edge, other),
        }
    }

    /// Takes the parent's end of a socketpair. For a `SeqPacket` socketpair
    /// each `write` sends one message and each `read` receives one.
    ///
    /// ```
    /// use std::io::{BufRead, BufReader, Write};
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let script = r#"read -r question <&3; echo "got $question" >&3"#;
    /// let peer = graph.node("peer", Command::new("sh").args(["-c", script]));
    /// let link = graph.socketpair(Endpoint::Parent, peer.fd(3));
    /// let mut running = graph.spawn()?;
    /// let mut socket = running.take_socket(link).unwrap();
    /// socket.write_all(b"ping\n")?;
    /// let mut answer = String::new();
    /// BufReader::new(socket).read_line(&mut answer)?;
    /// assert_eq!(answer, "got ping\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Event, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("server", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// let (jobs, queue) = std::sync::mpsc::channel();
    /// let waker = running.waker()?;
    /// std::thread::spawn(move || { jobs.send("rotate logs").unwrap(); waker.wake(); });
    /// loop {
    ///     match running.next_event(Some(Duration::from_secs(5)))? {
    ///         Some(Event::Woken) => break assert_eq!(queue.try_recv(), Ok("rotate logs")),
    ///         Some(_) => continue, // the server's `Started`
    ///         None => panic!("not woken"),
    ///     }
    /// }
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn waker(&self) -> Result<Waker, Error> {
        self.io
            .wake
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
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("job", Command::new("sleep").arg("0.1"));
    /// let mut running = graph.spawn()?;
    /// running.stop_on_signals(&[Signal::TERM, Signal::INT])?;
    /// // A SIGTERM or Ctrl-C from now on stops the graph in order, and `wait` returns.
    /// assert!(running.wait()?.success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn stop_on_signals(&mut self, signals: &[Signal]) -> Result<(), Error> {
        self.io.stop_on_signals(signals)
    }

    /// True once every node has ended for good.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("job", Command::new("true"));
    /// let mut running = graph.spawn()?;
    /// while !running.is_finished() {
    ///     running.next_event(None)?;
    /// }
    /// assert!(running.next_event(None)?.is_none()); // nothing more will happen
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.core.is_finished()
    }

    /// Waits for the next event, up to `timeout` (`None`: no limit).
    ///
    /// Returns `Ok(None)` when the timeout passes, or at once when the graph
    /// has finished. The decision of the previous [`Event::Exited`] is
    /// carried out first (see [`decide`](Self::decide)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Event, ExitStatus, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let job = graph.node("job", Command::new("true"));
    /// let mut running = graph.spawn()?;
    /// let mut exit = None;
    /// while let Some(event) = running.next_event(Some(Duration::from_secs(10)))? {
    ///     if let Event::Exited { node, status, .. } = event {
    ///         exit = Some((node, status));
    ///     }
    /// }
    /// assert!(running.is_finished()); // `None` because it finished, not a timeout
    /// assert_eq!(exit, Some((job, ExitStatus::Exited(0))));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        self.io.turn(&mut self.core, deadline, Mode::Interactive)
    }

    /// Replaces the decision of the last [`Event::Exited`] returned by
    /// [`next_event`](Self::next_event), before it is carried out.
    ///
    /// Returns false if there is no decision to replace (the exit was caused
    /// by the runtime itself, or the decision was already carried out).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Decision, Event, Graph, NodeOptions, Restart};
    ///
    /// let mut graph = Graph::new();
    /// let flaky = Command::new("sh").args(["-c", "sleep 0.1; exit 1"]);
    /// let on_failure = NodeOptions::new().restart(Restart::OnFailure);
    /// let flaky = graph.node_with("flaky", flaky, on_failure);
    /// let mut running = graph.spawn()?;
    /// while let Some(event) = running.next_event(None)? {
    ///     if let Event::Exited { decision: Decision::Restart { .. }, .. } = event {
    ///         assert!(running.decide(Decision::Leave)); // not this time
    ///     }
    /// }
    /// assert_eq!(running.wait()?[flaky].status.and_then(|s| s.code()), Some(1));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn decide(&mut self, decision: Decision) -> bool {
        self.core.decide(decision)
    }

    /// Restarts a node now: stops it first if it is running, then starts it
    /// again (after the nodes it starts `after` are ready).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Event, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let web = graph.node("web", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// let before = running.pid(web);
    /// running.restart(web); // stopped with its stop signal, then started again
    /// loop {
    ///     match running.next_event(None)? {
    ///         Some(Event::Started { pid, .. }) if Some(pid) != before => break,
    ///         Some(_) => continue, // its first start, its exit
    ///         None => panic!("not started again"),
    ///     }
    /// }
    /// assert_eq!(running.snapshot().nodes[0].restarts, 1);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn restart(&mut self, node: NodeId) {
        self.core.request_restart(node.index(), Instant::now());
    }

    /// Asks a running node to reload its configuration: sends its
    /// [`reload_signal`](crate::NodeOptions::reload_signal) (SIGHUP by
    /// default). A node with [`Readiness::Notify`](crate::Readiness::Notify)
    /// is [`Reloading`](NodeState::Reloading) until it says `READY=1` again —
    /// systemd's `Type=notify-reload`, where the node says `RELOADING=1`
    /// when it starts — and this call waits for that (reported as
    /// [`Event::Ready`] again), at most the node's `ready_timeout` or the
    /// graph's [`start_timeout`](crate::Graph::start_timeout). Other nodes
    /// are only signalled. Events that come up meanwhile wait for
    /// [`next_event`](Self::next_event).
    ///
    /// # Errors
    ///
    /// [`Error::NotRunning`] unless the node is running and ready;
    /// [`Error::ReloadFailed`] if it ends, or is not ready again in time.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::{BufRead, BufReader};
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let script = "trap 'echo config reread' HUP; echo up; while :; do sleep 0.1; done";
    /// let daemon = graph.node("daemon", Command::new("sh").args(["-c", script]));
    /// let out = graph.pipe(daemon.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut lines = BufReader::new(running.take_reader(out).unwrap()).lines();
    /// assert_eq!(lines.next().unwrap()?, "up"); // its trap is set
    /// running.reload(daemon)?; // SIGHUP, the default reload signal
    /// assert_eq!(lines.next().unwrap()?, "config reread");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload(&mut self, node: NodeId) -> Result<(), Error> {
        self.io.reload(&mut self.core, node.index())
    }

    /// Stops a node for good, with its stop signal and timeout; it is not
    /// restarted.
    ///
    /// ```
    /// use process_graph_runtime::{Command, ExitStatus, Graph, NodeOptions, Restart, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let always = NodeOptions::new().restart(Restart::Always);
    /// let worker = graph.node_with("worker", Command::new("sleep").arg("10"), always);
    /// let mut running = graph.spawn()?;
    /// running.stop(worker); // for good, `always` notwithstanding
    /// let report = running.wait()?;
    /// assert_eq!(report[worker].status, Some(ExitStatus::Signaled(Signal::TERM)));
    /// assert_eq!(report[worker].restarts, 0);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn stop(&mut self, node: NodeId) {
        self.core.request_stop(node.index(), AfterStop::Leave);
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
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    /// use process_graph_runtime::{Command, Endpoint, Graph, Stdio};
    ///
    /// let mut graph = Graph::new();
    /// let cat = graph.node("cat", Command::new("cat").stdout(Stdio::Null));
    /// let input = graph.pipe(Endpoint::Parent, cat.stdin());
    /// let mut running = graph.spawn()?;
    /// let mut writer = running.take_writer(input).unwrap();
    /// writer.write_all(b"last words\n")?;
    /// drop(writer); // cat ends at EOF: close what you took before waiting
    /// let report = running.wait()?;
    /// assert!(report.success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait(&mut self) -> Result<ExitReport, Error> {
        self.io.turn(&mut self.core, None, Mode::Automatic)?;
        self.io.finish(&mut self.core)
    }

    /// Stops every node — dependents first, each with its stop signal, then
    /// SIGKILL to its process group after its stop timeout (`grace` for
    /// nodes that set none) — reaps them all and reports how each ended.
    ///
    /// ```
    /// use std::io::{BufRead, BufReader};
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Endpoint, Graph, Outcome};
    ///
    /// let mut graph = Graph::new();
    /// let script = "trap '' TERM; echo up; exec sleep 60"; // deaf to SIGTERM
    /// let stubborn = graph.node("stubborn", Command::new("sh").args(["-c", script]));
    /// let up = graph.pipe(stubborn.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// BufReader::new(running.take_reader(up).unwrap()).read_line(&mut String::new())?;
    /// let report = running.shutdown(Duration::from_millis(100))?;
    /// assert!(report[stubborn].killed_after_timeout); // SIGKILL after 100 ms
    /// assert_eq!(report.outcome(), Outcome::Shutdown);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&mut self, grace: Duration) -> Result<ExitReport, Error> {
        self.io.shutdown(&mut self.core, grace)
    }

    /// A snapshot of every node: pid, state, restarts, uptime, last exit,
    /// status text. Its `Display` is a table.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("sleep").arg("10"));
    /// let running = graph.spawn()?;
    /// let snapshot = running.snapshot();
    /// assert_eq!(snapshot.nodes[0].name, "db");
    /// assert_eq!(snapshot.nodes[0].pid, running.pid(db));
    /// print!("{snapshot}"); // NODE  PID  PROCS  STATE  RESTARTS  UPTIME …
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(&self.core, &self.io)
    }
}

impl Drop for RunningGraph {
    fn drop(&mut self) {
        // In a forked copy the fields' own drops only close fds: processes,
        // the stdio thread and cgroups check their owner too.
        if !self.io.owner.is_current() {
            #[cfg(feature = "tokio")]
            self.io.forget_reactor();
            return;
        }
        // Within a tokio runtime, what is left to do goes to a thread: the
        // stop, or for a graph that has finished, the teardown `finish`
        // does (the output thread joined, scopes and cgroups ended), which
        // may wait on a slow sink or a dying scope.
        #[cfg(feature = "tokio")]
        if !self.io.torn_down && tokio::runtime::Handle::try_current().is_ok() {
            return self.stop_on_another_thread();
        }
        if self.is_finished() {
            return;
        }
        let grace = self.core.stop_timeout;
        let _ = self.io.shutdown(&mut self.core, grace);
    }
}
