//! Per-node and per-graph supervision policy, in Erlang/OTP's vocabulary.

use std::time::Duration;

use crate::cgroup::Limits;
use process_graph_topology::ProbeInfo;

use crate::graph::{NodeId, ScopeId};
use crate::probe::Probe;
use crate::signal::Signal;

/// When a node is started again after it ends (OTP's restart types).
///
/// ```
/// use process_graph_runtime::{Command, Graph, NodeOptions, Restart};
///
/// let mut graph = Graph::new();
/// let job = graph.node_with("job", Command::new("true"), NodeOptions::new().restart(Restart::OnFailure));
/// let report = graph.spawn()?.wait()?;
/// assert_eq!(report[job].restarts, 0); // it exited 0: no restart
/// assert_eq!(Restart::OnFailure.to_string(), "on-failure");
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// Never (OTP `temporary`). The default.
    #[default]
    Never,
    /// When it ends with a non-zero code or a signal (OTP `transient`).
    OnFailure,
    /// Whenever it ends (OTP `permanent`).
    Always,
}

impl std::fmt::Display for Restart {
    /// As declared: `never`, `on-failure`, `always`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Restart::Never => "never",
            Restart::OnFailure => "on-failure",
            Restart::Always => "always",
        })
    }
}

impl Restart {
    /// Whether a node that ended with `status` is restarted under this policy.
    ///
    /// ```
    /// use process_graph_runtime::{ExitStatus, Restart, Signal};
    ///
    /// let crashed = ExitStatus::Signaled(Signal::KILL);
    /// assert!(Restart::OnFailure.applies_to(crashed));
    /// assert!(!Restart::OnFailure.applies_to(ExitStatus::Exited(0)));
    /// assert!(Restart::Always.applies_to(ExitStatus::Exited(0)));
    /// assert!(!Restart::Never.applies_to(crashed));
    /// ```
    pub fn applies_to(self, status: crate::ExitStatus) -> bool {
        match self {
            Restart::Never => false,
            Restart::OnFailure => !status.success(),
            Restart::Always => true,
        }
    }
}

/// When a node counts as ready, which is when nodes started `after` it may start.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Graph, NodeOptions, NodeState, Readiness};
///
/// let mut graph = Graph::new();
/// let db = Command::new("sh").args(["-c", "sleep 0.1; echo >&3; exec sleep 10"]);
/// let db = graph.node_with("db", db, NodeOptions::new().ready(Readiness::Fd(3)));
/// graph.node_with("app", Command::new("true"), NodeOptions::new().after([db]));
/// let mut running = graph.spawn()?; // returns once db wrote its newline and app started
/// assert_eq!(running.state(db), NodeState::Running);
/// running.shutdown(Duration::from_secs(1))?;
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Readiness {
    /// As soon as `execve` succeeded. The default.
    #[default]
    Exec,
    /// s6's notification-fd protocol: the child writes a newline to this fd.
    ///
    /// Each start gets a fresh pipe. EOF before the newline, or 4 KiB
    /// without one, closes it: the node will not become ready that way and
    /// its ready timeout applies. The supervisor reads at most 4 KiB of it
    /// per turn, so a node writing without pause holds up nothing else.
    Fd(i32),
    /// systemd's protocol: the child sends `READY=1` to `$NOTIFY_SOCKET`.
    ///
    /// Each node has a datagram socket of its own, at an abstract address
    /// whose name holds 128 random bits (`@process-graph/…`), or a socket
    /// file when its scope has its own network namespace. A `STATUS=` line
    /// becomes the node's [`status_text`](crate::NodeSnapshot::status_text).
    /// A message longer than 4096 bytes is dropped whole.
    ///
    /// # Who can make a node ready
    ///
    /// A message counts only if the pid the kernel attaches to it
    /// (`SCM_CREDENTIALS`) is the node's main process — the one the runtime
    /// started, or the one it named with `MAINPID=` (below) — and that
    /// process has not been reaped. From Linux 6.5 the sender must also be
    /// unreaped when the datagram is read, as the pidfd the kernel took of
    /// it when it sent says (`SO_PASSPIDFD`): a sender reaped since has left
    /// its pid to whoever got it next, and a stranger who cycles pids can
    /// time that for the node's next main process. Before 6.5 that race is
    /// open. The kernel lets a
    /// sender attach another pid than its own only if it holds
    /// `CAP_SYS_ADMIN` over the user namespace that owns its pid namespace,
    /// and only a pid that exists in that pid namespace. So a process can
    /// mark ready only a node whose processes it could already control
    /// (ptrace), and nothing inside a scope with a user namespace can mark
    /// ready a node outside it:
    ///
    /// | the sender | can mark ready |
    /// |---|---|
    /// | the node's main process | its node |
    /// | anything else of an unprivileged application's graph outside scopes — the node's children, grandchildren, other nodes — or another user on the machine | nothing: it can only attach its own pid |
    /// | a process in a scope with [`User`](crate::Namespace::User) and [`Pid`](crate::Namespace::Pid), root inside (the default), or its descendants | the nodes whose main process lives in that pid namespace: its scope-mates (and nodes of scopes nested in it). They are all root in one user namespace and can ptrace each other anyway. Nodes outside the scope have no pid there (`ESRCH`) |
    /// | a process in a scope with `User` but no `Pid` (`user`, `user+net`, …) | nothing: its pid namespace is the application's, owned by a user namespace where it holds no capability (`EPERM`) |
    /// | a process with `CAP_SYS_ADMIN` in the application's user namespace: under a root application, every node outside scopes and every node of a scope without `User`, and their descendants unless they drop it | any node whose main process it can see — which it could ptrace as well. A scope without `User` is no boundary for a root process |
    ///
    /// Anyone who can reach the socket (the name is listed in
    /// `/proc/net/unix`; a scope with its own network cannot reach the
    /// application's abstract names at all) can send to it, but only
    /// messages as above are believed. Nobody can bind a node's name first
    /// (a name that is taken all the same is replaced by a fresh one), so
    /// nobody can make `spawn` fail that way. A flood delays a node's
    /// messages but does not stall the graph: each wake-up reads at most a
    /// few datagrams per socket.
    ///
    /// The main process must send itself: a helper it runs, such as
    /// `systemd-notify`, has a pid of its own and is believed only with
    /// [`NotifyAccess::All`] (see [`NodeOptions::notify_access`]).
    ///
    /// # Beyond `READY=1`
    ///
    /// - `STATUS=…`: the node's status text.
    /// - `RELOADING=1` … `READY=1`: the node is
    ///   [`Reloading`](crate::NodeState::Reloading) in between;
    ///   [`RunningGraph::reload`](crate::RunningGraph::reload) sends the
    ///   reload signal and waits for the `READY=1`.
    /// - `WATCHDOG=1`: a keep-alive for a node with a
    ///   [`watchdog`](NodeOptions::watchdog), which gets `WATCHDOG_USEC`.
    /// - `BARRIER=1` (`systemd-notify` waits on it): its fd is closed as
    ///   its datagram is read, after every message before it was judged.
    /// - `STOPPING=1`: the node is shutting down on its own, as if sent its
    ///   stop signal (systemd's `deactivating`): it is
    ///   [`Stopping`](crate::NodeState::Stopping), reported as
    ///   [`Event::Stopping`](crate::Event::Stopping), spared its probes and
    ///   watchdog, and SIGKILLed if it has not ended within its stop
    ///   timeout. Its exit is then decided by its restart policy, as
    ///   systemd decides it by `Restart=`: exit 0 leaves an `on-failure`
    ///   node down and restarts an `always` one. A stop asked for meanwhile
    ///   (by the application, or the graph's end) keeps it down, and sends
    ///   no second signal.
    /// - `MAINPID=PID`: a node that forks its real server names it. From
    ///   then on the runtime follows that process through a pidfd: the
    ///   node's [`pid`](crate::RunningGraph::pid), its signals, reload and
    ///   stop signal go to it, messages are believed from it, and the node
    ///   ends when it ends, with its exit status (read from the kernel: it
    ///   is not the application's child), decided by the restart policy.
    ///   The process the runtime started may exit (a zombie is kept until
    ///   the node ends, so its pid, the node's process-group id, stays
    ///   taken); when the named one ends, whatever is left of the node —
    ///   the started process, its process group, its cgroup — is killed.
    ///
    ///   Only a process of the node's own is accepted: in its cgroup or a
    ///   cgroup below it when it has one (as systemd checks), otherwise a
    ///   descendant of the started or current main process, or a member of
    ///   the node's process group (with
    ///   [`ProcessGroup::Own`](crate::ProcessGroup::Own), the default,
    ///   which a server forked into the background stays in after its
    ///   parent exits). Never the application, pid 1, another node's
    ///   started process (of this graph or another), the node's probe
    ///   commands and what they fork, a scope's init, a process of another
    ///   graph or of nobody's. A node that may write `cgroup.procs` (root, or in a
    ///   delegated subtree) can move a process it could signal anyway into
    ///   its cgroup; of those, the started processes and probe commands
    ///   are still refused, another node's forked server would not be. The pid is read in the sender's pid namespace (a node in
    ///   a pid scope names its server by its pid there). The check is
    ///   race-free against pid reuse: the pidfd is opened first, and the
    ///   process must still be unreaped after every check. A refused claim
    ///   changes nothing and is reported as
    ///   [`Event::MainPidRefused`](crate::Event::MainPidRefused) with its
    ///   [`MainPidRefusal`](crate::MainPidRefusal) — not a pid, no such
    ///   process, not the node's — and as a warning with the `tracing`
    ///   feature; an accepted one as
    ///   [`Event::MainPid`](crate::Event::MainPid).
    /// - Other keys are ignored.
    Notify,
}

/// Whose messages on a node's `NOTIFY_SOCKET` count (systemd's
/// `NotifyAccess`). Only with [`Readiness::Notify`].
///
/// ```
/// use process_graph_runtime::{Command, Graph, NodeOptions, NotifyAccess, Readiness};
///
/// let mut graph = Graph::new();
/// // A shell script whose `systemd-notify --ready` is its child, not itself.
/// graph.node_with(
///     "script",
///     Command::new("sh").args(["-c", "systemd-notify --ready; exec sleep 1"]),
///     NodeOptions::new().ready(Readiness::Notify).notify_access(NotifyAccess::All),
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotifyAccess {
    /// The node's main process only (systemd's `main`). The default.
    #[default]
    Main,
    /// The main process and its descendants (systemd's `all`, narrowed to
    /// the node): a message counts if the pid the kernel attaches to it is
    /// the main process or a live process whose chain of parents leads to
    /// it in fewer than 64 generations, when the message is read (one `/proc`
    /// read per generation, so the chain is cut where a node could make
    /// the check dear; a process 64 forks below the main one is not
    /// believed, nor is a daemon that left the chain by a double fork).
    /// A sender that exits before its message
    /// is read cannot be traced and is not believed: `systemd-notify` waits
    /// for the message to be read (its `BARRIER=1`, which the runtime
    /// answers), `sd_notify` callers should not exit right after sending.
    /// Who can claim which pid is as for [`Readiness::Notify`]: the kernel's
    /// rules are unchanged, only more of the node's own processes count.
    All,
}

impl std::fmt::Display for NotifyAccess {
    /// As declared: `main`, `all`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotifyAccess::Main => "main",
            NotifyAccess::All => "all",
        })
    }
}

/// Exponential backoff between restarts of one node: the first restart waits
/// `initial`, each further one twice as long, up to `max`. A node that stayed
/// up for longer than `max` starts over at `initial`.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Backoff, NodeOptions};
///
/// let b = Backoff::default();
/// assert_eq!((b.initial, b.max), (Duration::from_millis(100), Duration::from_secs(30)));
/// assert_eq!(b.delay(3), Duration::from_millis(800));
/// let patient = NodeOptions::new().backoff(b.initial * 10, b.max * 2);
/// # let _ = patient;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The cap.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::DEFAULT
    }
}

impl Backoff {
    const DEFAULT: Backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(30),
    };

    /// The delay before restart number `attempt` (0 is the first restart).
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::Backoff;
    ///
    /// let b = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(1) };
    /// assert_eq!(b.delay(0), Duration::from_millis(100));
    /// assert_eq!(b.delay(2), Duration::from_millis(400));
    /// assert_eq!(b.delay(10), Duration::from_secs(1));
    /// ```
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// Which nodes are restarted with a failed one (OTP's supervisor strategies).
///
/// ```
/// use process_graph_runtime::{Command, Graph, NodeOptions, Strategy};
///
/// let mut graph = Graph::new();
/// let db = graph.node("db", Command::new("true"));
/// graph.node_with("cache", Command::new("true"), NodeOptions::new().after([db]));
/// graph.node("metrics", Command::new("true"));
/// // A restart of db restarts cache (started after it), not metrics.
/// graph.strategy(Strategy::RestForOne);
/// assert_eq!(Strategy::default(), Strategy::OneForOne);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Only the node that ended. The default.
    #[default]
    OneForOne,
    /// Every node: the others are stopped (reverse start order) and all are
    /// started again.
    OneForAll,
    /// The node and every node that depends on it — by `after`, or by reading
    /// a pipe it writes, transitively.
    RestForOne,
}

/// How a node is supervised.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Graph, NodeOptions, Readiness, Restart};
///
/// let mut graph = Graph::new();
/// let db = graph.node_with(
///     "db",
///     Command::new("sleep").arg("1"),
///     NodeOptions::new().ready(Readiness::Exec).restart(Restart::OnFailure),
/// );
/// let app = graph.node_with(
///     "app",
///     Command::new("true"),
///     NodeOptions::new().after([db]).stop_timeout(Duration::from_secs(2)),
/// );
/// # let _ = app;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeOptions {
    pub(crate) restart: Restart,
    pub(crate) critical: bool,
    pub(crate) oneshot: bool,
    pub(crate) after: Vec<NodeId>,
    pub(crate) ready: Readiness,
    /// The settings most nodes leave at their defaults.
    rare: Rare,
}

/// The options most nodes leave at their defaults, kept apart so that such
/// a node costs the running graph one pointer for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RareOptions {
    pub(crate) ready_timeout: Option<Duration>,
    pub(crate) ready_probe: Option<ProbeInfo>,
    pub(crate) live_probe: Option<ProbeInfo>,
    pub(crate) watchdog: Option<Duration>,
    pub(crate) notify_access: NotifyAccess,
    pub(crate) reload_signal: Option<Signal>,
    pub(crate) stop_signal: Option<Signal>,
    pub(crate) stop_timeout: Option<Duration>,
    pub(crate) backoff: Backoff,
    pub(crate) scope: Option<ScopeId>,
    pub(crate) limits: Limits,
    pub(crate) replicas: Option<u32>,
}

impl RareOptions {
    const DEFAULT: RareOptions = RareOptions {
        ready_timeout: None,
        ready_probe: None,
        live_probe: None,
        watchdog: None,
        notify_access: NotifyAccess::Main,
        reload_signal: None,
        stop_signal: None,
        stop_timeout: None,
        backoff: Backoff::DEFAULT,
        scope: None,
        limits: Limits::NONE,
        replicas: None,
    };
}

/// [`RareOptions`], boxed once one is set: absent and all-default compare
/// equal.
#[derive(Debug, Clone, Default)]
struct Rare(Option<Box<RareOptions>>);

impl PartialEq for Rare {
    fn eq(&self, other: &Rare) -> bool {
        self.get() == other.get()
    }
}

impl Eq for Rare {}

impl Rare {
    fn get(&self) -> &RareOptions {
        static DEFAULT: RareOptions = RareOptions::DEFAULT;
        self.0.as_deref().unwrap_or(&DEFAULT)
    }

    fn get_mut(&mut self) -> &mut RareOptions {
        self.0.get_or_insert_with(|| Box::new(RareOptions::DEFAULT))
    }
}

impl NodeOptions {
    /// The options most nodes leave at their defaults.
    pub(crate) fn rare(&self) -> &RareOptions {
        self.rare.get()
    }

    /// The same, to change one.
    pub(crate) fn rare_mut(&mut self) -> &mut RareOptions {
        self.rare.get_mut()
    }

    /// Forgets the replica count (once the replicas are nodes of their
    /// own), keeping no box of defaults behind.
    pub(crate) fn clear_replicas(&mut self) {
        if let Some(rare) = &mut self.rare.0 {
            rare.replicas = None;
            if **rare == RareOptions::DEFAULT {
                self.rare.0 = None;
            }
        }
    }

    /// The defaults: never restarted, not critical, ready at exec, stopped
    /// with SIGTERM and the graph's stop timeout.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// graph.node_with("job", Command::new("true"), NodeOptions::new());
    /// let node = &graph.topology().nodes[0];
    /// assert_eq!((node.restart, node.critical, node.ready), ("never", false, None));
    /// ```
    pub fn new() -> Self {
        NodeOptions::default()
    }

    /// The restart policy.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Decision, Event, Graph, NodeOptions, Restart};
    ///
    /// let mut graph = Graph::new();
    /// graph.node_with("flaky", Command::new("false"), NodeOptions::new().restart(Restart::OnFailure));
    /// let mut running = graph.spawn()?;
    /// let decision = loop {
    ///     if let Some(Event::Exited { decision, .. }) = running.next_event(None)? {
    ///         break decision;
    ///     }
    /// };
    /// assert!(matches!(decision, Decision::Restart { .. })); // it exited 1
    /// running.shutdown(Duration::from_secs(1))?;
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// A critical node ends the whole graph when it ends for good (OTP's
    /// significant children).
    ///
    /// ```
    /// use process_graph_runtime::{Command, ExitStatus, Graph, NodeOptions, Outcome, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let server = graph.node("server", Command::new("sleep").arg("10"));
    /// let main = graph.node_with("main", Command::new("true"), NodeOptions::new().critical(true));
    /// let report = graph.spawn()?.wait()?; // main's end stops the server
    /// assert_eq!(report.outcome(), Outcome::Critical { node: main });
    /// assert_eq!(report[server].status, Some(ExitStatus::Signaled(Signal::TERM)));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Makes the node a one-shot job, as systemd's `Type=oneshot` and
    /// s6-rc's oneshots: it is done when it exits 0 and has failed when it
    /// exits otherwise. Nodes started [`after`](Self::after) it wait for its
    /// success, and fail (as [`Error::DependencyFailed`](crate::Error::DependencyFailed))
    /// if it fails for good. A [`ready_timeout`](Self::ready_timeout) bounds
    /// how long it may run; `restart(Restart::OnFailure)` retries it until
    /// it succeeds.
    ///
    /// A one-shot job has no readiness protocol and is never restarted
    /// [`Always`](Restart::Always): [`Graph::validate`](crate::Graph::validate)
    /// refuses both, as the `#[process(oneshot)]` attribute does at compile
    /// time.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// let migrate = graph.node_with(
    ///     "migrate",
    ///     Command::new("sh").args(["-c", "sleep 0.2; echo done > /dev/null"]),
    ///     NodeOptions::new().oneshot(true),
    /// );
    /// let server = graph.node_with("server", Command::new("true"), NodeOptions::new().after([migrate]));
    /// let mut running = graph.spawn()?; // `server` starts once `migrate` has exited 0
    /// let report = running.wait()?;
    /// assert!(report.success());
    /// # let _ = server;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn oneshot(mut self, oneshot: bool) -> Self {
        self.oneshot = oneshot;
        self
    }

    /// Whether a log-line probe watches the node's output.
    pub(crate) fn watches_output(&self) -> bool {
        self.rare()
            .ready_probe
            .as_ref()
            .is_some_and(|p| matches!(p.check, process_graph_topology::ProbeCheck::LogLine(_)))
    }

    /// Whether the node counts as ready as soon as it has been exec'd: it
    /// has no readiness protocol or probe and is not a one-shot job.
    pub(crate) fn ready_at_exec(&self) -> bool {
        self.ready == Readiness::Exec && !self.oneshot && self.rare().ready_probe.is_none()
    }

    /// Start only once these nodes are ready (a one-shot job: done).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Readiness};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node_with("db", Command::new("true"), NodeOptions::new().ready(Readiness::Fd(3)));
    /// let cache = graph.node("cache", Command::new("true"));
    /// let app = graph.node_with("app", Command::new("true"), NodeOptions::new().after([db, cache]));
    /// let plan = graph.plan()?;
    /// assert_eq!(plan.nodes[app.index()].after, ["db", "cache"]);
    /// assert_eq!(plan.waves, [vec![db, cache], vec![app]]); // app waits for db's readiness
    /// # Ok::<(), process_graph_runtime::Violations>(())
    /// ```
    pub fn after(mut self, nodes: impl IntoIterator<Item = NodeId>) -> Self {
        self.after.extend(nodes);
        self
    }

    /// When the node counts as ready.
    ///
    /// ```
    /// use process_graph_runtime::{Command, FdOrigin, Graph, NodeOptions, Readiness};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node_with("db", Command::new("true"), NodeOptions::new().ready(Readiness::Fd(3)));
    /// let plan = graph.plan()?;
    /// assert_eq!(plan.nodes[db.index()].ready, Readiness::Fd(3));
    /// assert_eq!(plan.nodes[db.index()].fds[3], (3, FdOrigin::Readiness)); // db writes a newline here
    /// # Ok::<(), process_graph_runtime::Violations>(())
    /// ```
    pub fn ready(mut self, ready: Readiness) -> Self {
        self.ready = ready;
        self
    }

    /// Not ready within this time is a failure of the node: it is killed
    /// (SIGKILL), reported as [`Event::ReadyTimeout`](crate::Event::ReadyTimeout),
    /// and its restart policy decides. For a one-shot job, the time it may
    /// take to finish.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Error, Graph, NodeOptions, Readiness};
    ///
    /// let mut graph = Graph::new();
    /// // Never says it is ready.
    /// let options = NodeOptions::new().ready(Readiness::Fd(3)).ready_timeout(Duration::from_millis(100));
    /// let db = graph.node_with("db", Command::new("sleep").arg("10"), options);
    /// graph.node_with("app", Command::new("true"), NodeOptions::new().after([db]));
    /// match graph.spawn() {
    ///     Err(Error::DependencyFailed { node, dependency, .. }) => assert_eq!((&*node, &*dependency), ("app", "db")),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.rare_mut().ready_timeout = Some(timeout);
        self
    }

    /// The node is ready when this probe first passes; it is tried every
    /// period from the node's start. In place of a readiness protocol
    /// ([`ready`](Self::ready) must stay [`Readiness::Exec`]); a
    /// [`ready_timeout`](Self::ready_timeout) bounds it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, NodeState, Probe};
    ///
    /// let mut graph = Graph::new();
    /// let server = Command::new("sh").args(["-c", "sleep 0.1; echo listening; exec sleep 10"]);
    /// let server = graph.node_with("server", server, NodeOptions::new().ready_probe(Probe::log_line("listening")));
    /// graph.node_with("client", Command::new("true"), NodeOptions::new().after([server]));
    /// let mut running = graph.spawn()?; // the client started once the line was seen
    /// assert_eq!(running.state(server), NodeState::Running);
    /// running.shutdown(Duration::from_secs(1))?;
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn ready_probe(mut self, probe: Probe) -> Self {
        self.rare_mut().ready_probe = Some(probe.info(false));
        self
    }

    /// Once the node is ready, this probe runs every period; after its
    /// failure threshold of failures in a row, or one attempt past its
    /// timeout, the node is killed (its stop signal, then SIGKILL after its
    /// stop timeout) and its restart policy applies.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Probe, Restart};
    ///
    /// let mut graph = Graph::new();
    /// graph.node_with(
    ///     "db",
    ///     Command::new("postgres"),
    ///     NodeOptions::new()
    ///         .restart(Restart::Always)
    ///         .ready_probe(Probe::exec(["pg_isready", "-q"]))
    ///         .live_probe(Probe::tcp("127.0.0.1:5432").period(Duration::from_secs(5))),
    /// );
    /// ```
    pub fn live_probe(mut self, probe: Probe) -> Self {
        self.rare_mut().live_probe = Some(probe.info(true));
        self
    }

    /// systemd's `WatchdogSec`: the node (with [`Readiness::Notify`]) gets
    /// `WATCHDOG_USEC` in its environment and must send `WATCHDOG=1` at least
    /// this often once it is ready. A node that misses it is sent SIGABRT
    /// (for a core dump), SIGKILLed after its stop timeout if it is still
    /// there, and then handled by its restart policy, as any node that
    /// failed. [`Graph::validate`](crate::Graph::validate) refuses a watchdog
    /// without `Readiness::Notify`, and a zero one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Readiness};
    ///
    /// let mut graph = Graph::new();
    /// let options = NodeOptions::new().ready(Readiness::Notify).watchdog(Duration::from_secs(30));
    /// graph.node_with("daemon", Command::new("my-daemon"), options);
    /// assert!(graph.validate().is_ok());
    /// assert_eq!(graph.topology().nodes[0].watchdog_ms, Some(30_000));
    /// ```
    pub fn watchdog(mut self, interval: Duration) -> Self {
        self.rare_mut().watchdog = Some(interval);
        self
    }

    /// Whose `NOTIFY_SOCKET` messages count (default
    /// [`NotifyAccess::Main`]). Only with [`Readiness::Notify`].
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, NotifyAccess, Readiness};
    ///
    /// let mut graph = Graph::new();
    /// let options = NodeOptions::new().ready(Readiness::Notify).notify_access(NotifyAccess::All);
    /// graph.node_with("script", Command::new("sh").args(["-c", "systemd-notify --ready; exec sleep 1"]), options);
    /// assert_eq!(graph.topology().nodes[0].notify_access, "all");
    /// ```
    pub fn notify_access(mut self, access: NotifyAccess) -> Self {
        self.rare_mut().notify_access = access;
        self
    }

    /// The signal that asks the node to reload its configuration (default
    /// SIGHUP), sent by [`RunningGraph::reload`](crate::RunningGraph::reload).
    ///
    /// ```
    /// use std::io::{BufRead, BufReader};
    /// use process_graph_runtime::{Command, Endpoint, Graph, NodeOptions, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let script = "trap 'echo reloaded; exit' USR1; echo up; sleep 10 & wait";
    /// let server = graph.node_with("server", Command::new("sh").args(["-c", script]), NodeOptions::new().reload_signal(Signal::USR1));
    /// let out = graph.pipe(server.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut lines = BufReader::new(running.take_reader(out).unwrap()).lines();
    /// assert_eq!(lines.next().unwrap()?, "up"); // its trap is set
    /// running.reload(server)?; // sends SIGUSR1
    /// assert_eq!(lines.next().unwrap()?, "reloaded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload_signal(mut self, signal: Signal) -> Self {
        self.rare_mut().reload_signal = Some(signal);
        self
    }

    /// The signal that asks the node to stop (default SIGTERM), sent to
    /// its main process and followed by SIGCONT, as systemd does, so that
    /// a stopped node acts on it rather than waiting out its stop timeout.
    ///
    /// ```
    /// use std::io::{BufRead, BufReader};
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Endpoint, Graph, NodeOptions, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let script = "trap 'exit 0' INT; echo up; sleep 10 & wait"; // stops cleanly on SIGINT
    /// let server = graph.node_with("server", Command::new("sh").args(["-c", script]), NodeOptions::new().stop_signal(Signal::INT));
    /// let out = graph.pipe(server.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// BufReader::new(running.take_reader(out).unwrap()).read_line(&mut String::new())?;
    /// let report = running.shutdown(Duration::from_secs(5))?;
    /// assert!(report[server].success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop_signal(mut self, signal: Signal) -> Self {
        self.rare_mut().stop_signal = Some(signal);
        self
    }

    /// How long to wait after the stop signal before SIGKILL.
    ///
    /// ```
    /// use std::io::{BufRead, BufReader};
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Endpoint, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// let script = "trap '' TERM; echo up; sleep 10"; // ignores SIGTERM
    /// let stubborn = graph.node_with("stubborn", Command::new("sh").args(["-c", script]), NodeOptions::new().stop_timeout(Duration::from_millis(100)));
    /// let out = graph.pipe(stubborn.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// BufReader::new(running.take_reader(out).unwrap()).read_line(&mut String::new())?;
    /// let report = running.shutdown(Duration::from_secs(30))?; // its own 100 ms apply
    /// assert!(report[stubborn].killed_after_timeout);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.rare_mut().stop_timeout = Some(timeout);
        self
    }

    /// The restart backoff.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Decision, Event, Graph, NodeOptions, Restart};
    ///
    /// let mut graph = Graph::new();
    /// let options = NodeOptions::new().restart(Restart::Always).backoff(Duration::from_millis(50), Duration::from_secs(5));
    /// graph.node_with("flaky", Command::new("false"), options);
    /// let mut running = graph.spawn()?;
    /// let decision = loop {
    ///     if let Some(Event::Exited { decision, .. }) = running.next_event(None)? {
    ///         break decision;
    ///     }
    /// };
    /// assert_eq!(decision, Decision::Restart { delay: Duration::from_millis(50) });
    /// running.shutdown(Duration::from_secs(1))?;
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.rare_mut().backoff = Backoff { initial, max };
        self
    }

    /// Run `count` copies of the node, each supervised on its own (its own
    /// restarts, backoff and exit report), named `name[i]` and told its
    /// index by `PROCESS_GRAPH_REPLICA=i` in its environment. A pipe out of
    /// the replicas is shared by all of them; an edge into them comes from
    /// the parent, one per replica. See [`Graph::replica_ids`](crate::Graph::replica_ids).
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// let echo = Command::new("sh").args(["-c", "echo replica $PROCESS_GRAPH_REPLICA"]);
    /// let worker = graph.node_with("worker", echo, NodeOptions::new().replicas(3));
    /// let out = graph.pipe(worker.stdout(), Endpoint::Parent); // one pipe, three writers
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// let mut lines: Vec<&str> = text.lines().collect();
    /// lines.sort();
    /// assert_eq!(lines, ["replica 0", "replica 1", "replica 2"]);
    /// assert!(running.wait()?.success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replicas(mut self, count: u32) -> Self {
        self.rare_mut().replicas = Some(count);
        self
    }

    /// Run the node inside this scope's namespaces.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// let offline = graph.scope("offline", ScopeSpec::new([Namespace::User, Namespace::Net]));
    /// let tests = graph.node_with("tests", Command::new("true"), NodeOptions::new().scope(offline));
    /// let plan = graph.plan()?;
    /// assert_eq!(plan.nodes[tests.index()].scope.as_deref(), Some("offline"));
    /// assert_eq!(plan.nodes[tests.index()].namespaces, [Namespace::User, Namespace::Net]);
    /// # Ok::<(), process_graph_runtime::Violations>(())
    /// ```
    pub fn scope(mut self, scope: ScopeId) -> Self {
        self.rare_mut().scope = Some(scope);
        self
    }

    /// Limits the memory of the node's cgroup, in bytes (`memory.max`).
    ///
    /// Like every resource limit, this needs cgroups and the controller
    /// (here `memory`) enabled in the cgroup v2 hierarchy for the
    /// application's cgroup's children. Where cgroups are not available,
    /// spawn fails with [`Error::CgroupUnavailable`](crate::Error::CgroupUnavailable),
    /// where the controller is not, with
    /// [`Error::ControllerUnavailable`](crate::Error::ControllerUnavailable)
    /// naming it; either way nothing is started.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// graph.node_with(
    ///     "cache",
    ///     Command::new("true"),
    ///     NodeOptions::new().memory_max(256 << 20).pids_max(64).cpu_weight(50),
    /// );
    /// match graph.spawn() {
    ///     Ok(mut running) => assert!(running.wait()?.success()),
    ///     Err(Error::ControllerUnavailable { controller, .. }) => {
    ///         eprintln!("{controller} is not enabled in cgroup v2 here")
    ///     }
    ///     Err(Error::CgroupUnavailable { reason, .. }) => eprintln!("{reason}"),
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_max(mut self, bytes: u64) -> Self {
        self.rare_mut().limits.memory_max = Some(bytes);
        self
    }

    /// Limits how many processes and threads the node's cgroup may hold
    /// (`pids.max`; controller `pids`). See [`memory_max`](Self::memory_max).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// // A fork bomb in here stops at 32 processes.
    /// graph.node_with("build", Command::new("true"), NodeOptions::new().pids_max(32));
    /// match graph.spawn() {
    ///     Ok(mut running) => assert!(running.wait()?.success()),
    ///     Err(Error::ControllerUnavailable { .. } | Error::CgroupUnavailable { .. }) => {} // no cgroups here
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pids_max(mut self, max: u64) -> Self {
        self.rare_mut().limits.pids_max = Some(max);
        self
    }

    /// The node's share of CPU time against its siblings, 1 to 10,000,
    /// default 100 (`cpu.weight`; controller `cpu`). See
    /// [`memory_max`](Self::memory_max).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// // A tenth of the CPU time of a default sibling when both are busy.
    /// graph.node_with("indexer", Command::new("true"), NodeOptions::new().cpu_weight(10));
    /// match graph.spawn() {
    ///     Ok(mut running) => assert!(running.wait()?.success()),
    ///     Err(Error::ControllerUnavailable { .. } | Error::CgroupUnavailable { .. }) => {} // no cgroups here
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cpu_weight(mut self, weight: u16) -> Self {
        self.rare_mut().limits.cpu_weight = Some(weight);
        self
    }
}

/// At most `max_restarts` restarts within `period`, or the graph gives up
/// (OTP's intensity and period). Default: 3 within 5 seconds, as OTP.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Graph, Intensity};
///
/// let otp = Intensity::default();
/// assert_eq!((otp.max_restarts, otp.period), (3, Duration::from_secs(5)));
/// let mut graph = Graph::new();
/// graph.intensity(otp.max_restarts * 2, otp.period); // twice as forgiving
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed within `period`.
    pub max_restarts: u32,
    /// The sliding window.
    pub period: Duration,
}

impl Intensity {
    /// 3 restarts within 5 seconds, as Erlang/OTP.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::Intensity;
    ///
    /// assert_eq!(Intensity::DEFAULT, Intensity { max_restarts: 3, period: Duration::from_secs(5) });
    /// assert_eq!(Intensity::default(), Intensity::DEFAULT);
    /// ```
    pub const DEFAULT: Intensity = Intensity {
        max_restarts: process_graph_topology::Topology::DEFAULT_INTENSITY,
        period: Duration::from_millis(process_graph_topology::Topology::DEFAULT_PERIOD_MS),
    };
}

impl Default for Intensity {
    fn default() -> Self {
        Intensity::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_options_are_boxed_only_when_set_and_compare_by_value() {
        let plain = NodeOptions::new().restart(Restart::Always).after([]);
        assert!(
            plain.rare.0.is_none(),
            "no box for a node without rare options"
        );
        let defaults = Backoff::default();
        let boxed = plain.clone().backoff(defaults.initial, defaults.max);
        assert!(boxed.rare.0.is_some());
        assert_eq!(boxed, plain, "a box of defaults equals no box");
        let mut replicated = plain.clone().replicas(3);
        assert_ne!(replicated, plain);
        replicated.clear_replicas();
        assert!(replicated.rare.0.is_none(), "no box of defaults kept");
        let timed = plain.clone().ready_timeout(Duration::from_secs(1));
        assert_eq!(timed.rare().ready_timeout, Some(Duration::from_secs(1)));
        assert_eq!(plain.rare().backoff, defaults);
    }
}
