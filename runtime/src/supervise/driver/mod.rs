//! The driver: everything of a running graph that does I/O — the launcher
//! (spawns, edge fds, scopes, cgroups), each node's process and readiness
//! pipe, the notify sockets, the signalfd, the wake-up eventfd, the stdio
//! thread — and the one wait set over their fds. It carries out the core's
//! [`Action`]s and turns what the wait set reports into [`Input`]s.
//!
//! A feature with an fd of its own (a probe socket, …) adds a [`Token`]
//! variant, registers the fd in `waits` when it makes it (removing it before
//! closing it), and handles the token in [`Driver::dispatch`], feeding the
//! core the `Input` its reader returns.

mod blocking;
mod contain;
mod launch;
mod main_pid;
mod reload;
mod scope_answers;
mod strays;

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Instant;

pub(crate) use blocking::Mode;

use super::core::{Action, Core, Input};
use super::main_pid::MainPid;
use super::readiness::read_ready_pipe;
use super::scope_requests::ScopeRequests;
use super::{NotifySocket, SignalFd, Token};
use crate::error::{Error, SpawnError, Step};
use crate::exit::{ExitReport, NodeExit, Outcome};
use crate::graph::{Graph, NodeId};
use crate::held_up::Looks;
use crate::owner::Owner;
use crate::policy::Readiness;
use crate::poller::{Interest, WaitSet, WakeFd};
use crate::probe::run::ProbeRuns;
use crate::process::Process;
use crate::scope::Scopes;
use crate::signal::Signal;
use crate::spawn::{LaunchKit, Launched, Launcher, ParentEnd, Started};

/// A notify socket for each node of `graph` with `Readiness::Notify`. A node
/// with a network of its own gets a socket its scope's init made there:
/// abstract addresses belong to a network namespace.
fn notify_sockets(
    graph: &Graph,
    scopes: &mut Scopes,
) -> Result<Vec<Option<Box<NotifySocket>>>, Error> {
    graph
        .nodes
        .iter()
        .map(|n| match (n.options.ready, n.options.rare().scope) {
            (Readiness::Notify, Some(scope)) if graph.in_own_network(n) => scopes
                .try_get_mut(scope)
                .and_then(|scope| scope.take_notify_socket())
                .ok_or_else(|| std::io::ErrorKind::NotFound.into())
                .and_then(NotifySocket::autobound)
                .map(|socket| Some(Box::new(socket)))
                .map_err(|e| Error::io(Some(&n.name), "take NOTIFY_SOCKET", e)),
            (Readiness::Notify, _) => NotifySocket::bind()
                .map(|socket| Some(Box::new(socket)))
                .map_err(|e| Error::io(Some(&n.name), "bind NOTIFY_SOCKET", e)),
            _ => Ok(None),
        })
        .collect()
}

/// Puts `notify`, the notify sockets of `graph`'s nodes, numbered from
/// `first`, into the wait set; if one cannot go in, takes them all out
/// again.
fn watch_notify(
    waits: &mut WaitSet<Token>,
    notify: &[Option<Box<NotifySocket>>],
    graph: &Graph,
    first: usize,
) -> Result<(), Error> {
    for ((i, node), socket) in (first..).zip(&graph.nodes).zip(notify) {
        let Some(socket) = socket else {
            continue;
        };
        if let Err(e) = waits.add(socket.fd(), Token::Notify(i), Interest::Readable) {
            // Every one, the failed one too: a set that failed to grow may
            // hold it; those never put in are no matter.
            for socket in notify.iter().flatten() {
                waits.remove(socket.fd());
            }
            return Err(Error::io(Some(&node.name), "watch NOTIFY_SOCKET", e));
        }
    }
    Ok(())
}

/// systemd's variables each node of `graph` gets: where to notify, and how
/// often to ping its watchdog.
fn extra_env(
    graph: &Graph,
    notify: &[Option<Box<NotifySocket>>],
) -> Vec<Vec<(std::ffi::OsString, std::ffi::OsString)>> {
    notify
        .iter()
        .zip(&graph.nodes)
        .map(|(socket, node)| {
            let watchdog = node.options.rare().watchdog.map(|interval| {
                let usec = interval.as_micros().max(1).to_string();
                ("WATCHDOG_USEC".into(), usec.into())
            });
            socket
                .iter()
                .map(|socket| socket.env())
                .chain(watchdog)
                .collect()
        })
        .collect()
}

/// What the driver holds for one node.
#[derive(Debug, Default)]
pub(crate) struct NodeIo {
    /// The current process, or the last one (then reaped, status cached).
    pub(crate) process: Option<Process>,
    /// Its start under way, while the carried program has not reported.
    launch: Option<Box<launch::Launch>>,
    /// The main process the node named (`MAINPID=`), while the node runs;
    /// `process` then stays unreaped until the node ends (see `main_pid`).
    main_pid: Option<Box<MainPid>>,
    ready_pipe: Option<OwnedFd>,
    /// The last `STATUS=` text.
    pub(crate) status_text: Option<String>,
    /// The main process has been reaped; what was left in the node's cgroup
    /// has been SIGKILLed, and the node ends when the cgroup is empty.
    draining: bool,
    /// Its cgroup's `oom_kill` count when the current process started, where
    /// the memory controller tells it.
    oom_kills_at_start: Option<u64>,
    /// The OOM killer killed a process of its last run.
    oom_killed: bool,
}

#[derive(Debug)]
pub(crate) struct Driver {
    pub(crate) launcher: Launcher,
    pub(crate) nodes: Vec<NodeIo>,
    pub(crate) wake: WakeFd,
    /// Every fd the loop waits on, kept in step with what the graph holds.
    pub(crate) waits: WaitSet<Token>,
    /// Whether `wake`'s eventfd, made on the first `waker()`, is in `waits`.
    wake_watched: bool,
    /// `waits`, registered with the reactor of the tokio runtime (by its
    /// id) that the async calls run in: once, unless they move to another.
    #[cfg(feature = "tokio")]
    pub(crate) reactor: Option<(
        tokio::runtime::Id,
        tokio::io::unix::AsyncFd<std::sync::Arc<OwnedFd>>,
    )>,
    /// Per node with `Readiness::Notify`: its socket (boxed: most nodes
    /// have none), until the node is gone or the graph ends.
    notify: Vec<Option<Box<NotifySocket>>>,
    signals: Option<SignalFd>,
    /// The probe attempts in flight.
    probes: ProbeRuns,
    /// What the scopes' inits have been asked and not answered.
    scope_requests: ScopeRequests,
    /// Per node whose end waits for its scope's init to kill what it left
    /// (see `contain`): the looks at that init so far.
    clears: HashMap<usize, Looks>,
    /// The node of each started and named main process, by pid.
    node_of_pid: main_pid::NodeOfPid,
    /// What nodes made the application's children, still to be reaped.
    strays: strays::Strays,
    /// The process that spawned the graph, the only one it acts in.
    pub(crate) owner: Owner,
    /// [`finish`](Self::finish) has ended the scopes, the output thread and
    /// the cgroups: what is left drops at once.
    pub(crate) torn_down: bool,
    /// `wait_async`'s teardown on tokio's blocking pool, kept while it runs
    /// so that a `wait_async` cancelled meanwhile is awaited on by the next.
    #[cfg(feature = "tokio")]
    pub(crate) teardown: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Driver {
    /// Prepares what `graph`'s nodes need before the first spawn: scopes,
    /// notify sockets, edge plans, cgroups, the stdio thread. Returns the
    /// parent's ends of edges too.
    pub(crate) fn prepare(graph: &Graph) -> Result<(Driver, Vec<Option<ParentEnd>>), Error> {
        let mut scopes = Scopes::create(graph)?;
        let notify = notify_sockets(graph, &mut scopes)?;
        let LaunchKit {
            launcher,
            parent_ends,
        } = Launcher::prepare(graph, scopes, &extra_env(graph, &notify))?;
        let mut driver = Driver {
            launcher,
            nodes: graph.nodes.iter().map(|_| NodeIo::default()).collect(),
            wake: WakeFd::default(),
            waits: WaitSet::new(),
            wake_watched: false,
            #[cfg(feature = "tokio")]
            reactor: None,
            notify,
            signals: None,
            probes: ProbeRuns::new(graph),
            scope_requests: ScopeRequests::default(),
            clears: HashMap::new(),
            node_of_pid: main_pid::NodeOfPid::default(),
            strays: strays::Strays::default(),
            owner: Owner::current(),
            torn_down: false,
            #[cfg(feature = "tokio")]
            teardown: None,
        };
        driver.node_of_pid.reserve(graph.nodes.len());
        watch_notify(&mut driver.waits, &driver.notify, graph, 0)?;
        driver
            .probes
            .watch_lines(&driver.launcher, &mut driver.waits)
            .map_err(|e| Error::io(None, "watch the log-line probes", e))?;
        Ok((driver, parent_ends))
    }

    /// Appends the nodes and edges of a validated `graph` to the running
    /// graph's, node `i` becoming node `first + i` (`first`: the count so
    /// far), and its scopes (standing for the running graph's, or new);
    /// returns the parent's ends of the new edges. Nodes with probes cannot
    /// be added (the probes are set up at spawn), nor nodes notifying
    /// readiness from a scope's network (its init makes their sockets when
    /// it is created).
    ///
    /// All or nothing: every step that may fail comes before the launcher
    /// commits the add, and what those steps made is undone when one fails
    /// — the scopes made, the cgroups, the output thread if the add started
    /// it, the notify sockets, in the wait set too.
    pub(crate) fn add(&mut self, graph: &Graph) -> Result<Vec<Option<ParentEnd>>, Error> {
        let cannot = |node: &str, reason| Error::CannotAdd {
            node: node.to_owned(),
            reason,
        };
        for node in &graph.nodes {
            if node.options.rare().ready_probe.is_some() || node.options.rare().live_probe.is_some()
            {
                return Err(cannot(&node.name, "its probes are set up at spawn"));
            }
            if node.options.ready == Readiness::Notify && graph.in_own_network(node) {
                return Err(cannot(
                    &node.name,
                    "a NOTIFY_SOCKET in a scope's network is made when the scope is created",
                ));
            }
        }
        let first = self.nodes.len();
        let mut notify = notify_sockets(graph, &mut Scopes::default())?;
        let scopes = self.launcher.add_scopes(graph)?;
        let pending = self
            .launcher
            .prepare_add(graph, scopes.next_declared(), &extra_env(graph, &notify))
            .inspect_err(|_| self.launcher.truncate_scopes(scopes))?;
        // Last of the steps that may fail: a wait set grown into an epoll
        // instance stays one, so a step failing after it would leave that
        // fd behind.
        if let Err(e) = watch_notify(&mut self.waits, &notify, graph, first) {
            self.launcher.abandon(pending);
            self.launcher.truncate_scopes(scopes);
            return Err(e);
        }
        let added = self.launcher.commit(pending);
        self.nodes
            .extend(graph.nodes.iter().map(|_| NodeIo::default()));
        self.node_of_pid.reserve(self.nodes.len());
        self.notify.append(&mut notify);
        Ok(added.parent_ends)
    }

    /// Every node is reaped; a probe's command killed at its timeout may
    /// not be yet: kills and reaps the probes' commands, and stops waiting
    /// for the sockets asked of the scopes for them.
    pub(crate) fn kill_probes(&mut self) {
        self.probes.kill_all(&self.launcher, &mut self.waits);
        let launcher = &self.launcher;
        self.scope_requests
            .forget_all(|place| launcher.scope_at(place), &mut self.waits);
    }

    /// In a forked copy: forgets the reactor registration without
    /// deregistering it. The runtime's epoll instance is the parent's open
    /// file too, so deregistering here would deregister the parent's graph.
    #[cfg(feature = "tokio")]
    pub(crate) fn forget_reactor(&mut self) {
        std::mem::forget(self.reactor.take());
    }

    /// Lets go of what belongs to the calling thread, before the rest is
    /// handed to another: the reactor registration (deregistered here, on
    /// the runtime's thread) and the signalfd (whose signals this thread
    /// blocked, and unblocks).
    #[cfg(feature = "tokio")]
    pub(crate) fn leave_thread(&mut self) {
        self.reactor = None;
        if let Some(signals) = self.signals.take() {
            self.waits.remove(signals.fd());
        }
    }

    /// Stops every node — dependents first, each with its stop signal, then
    /// SIGKILL after its stop timeout (`grace` for nodes that set none) —
    /// reaps them all and reports how each ended.
    pub(crate) fn shutdown(
        &mut self,
        core: &mut Core,
        grace: std::time::Duration,
    ) -> Result<ExitReport, Error> {
        self.check_owner()?;
        core.stop_timeout = grace;
        core.stop_graph(Outcome::Shutdown);
        self.turn(core, None, Mode::Automatic)?;
        self.finish(core)
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

    /// Node `i`'s current pid, while its main process is not reaped: the
    /// one it named with `MAINPID=`, else the one the runtime started.
    pub(crate) fn pid(&self, i: usize) -> Option<u32> {
        self.main_pid(i)
            .map(|pid| pid.as_raw_nonzero().get() as u32)
    }

    /// One round of the core at `now`: carries out each action it hands out.
    pub(crate) fn run(&mut self, core: &mut Core, now: Instant) {
        core.advance(now);
        while let Some(action) = core.next_action() {
            match action {
                Action::Spawn(i) => {
                    if self.holds_start(i) {
                        core.handle(Input::HoldStart { node: i }, now);
                        continue;
                    }
                    let input = self.spawn(core, i);
                    core.handle(input, now);
                    // Its edge fds that no node which may still start
                    // needs: the next spawn does not copy them.
                    self.launcher.release_edges_of(i, &|n| core.may_start(n));
                }
                Action::Signal(i, signal) => {
                    // ESRCH: it already exited; its exit is being reaped.
                    let _ = self.signal_main(i, signal);
                    // A stop or abort: a node stopped (job control, or the
                    // application's own `signal(STOP)`) would leave it
                    // pending until SIGKILLed at its timeout. As systemd.
                    let _ = self.signal_main(i, Signal::CONT);
                }
                Action::Kill(i) => self.kill_node(i),
                Action::CheckStart(i) => self.check_start(core, i, now),
                Action::CheckClear(i) => self.check_clear(core, i, now),
                Action::ReleaseEdgesOf(i) => {
                    self.launcher.release_edges_of(i, &|n| core.may_start(n));
                }
                Action::StartProbe(node, kind) => {
                    let probes = &mut self.probes;
                    if let Some(result) = probes.start(
                        node,
                        kind,
                        &mut self.launcher,
                        &mut self.scope_requests,
                        &mut self.waits,
                    ) {
                        core.handle(Input::ProbeResult { node, kind, result }, now);
                    }
                }
                Action::CancelProbe(node, kind) => self.probes.cancel(node, kind, &mut self.waits),
            }
        }
    }

    /// Starts node `i`; the answer is the core's input.
    fn spawn(&mut self, core: &Core, i: usize) -> Input {
        match self.launcher.launch(i, &core.names[i]) {
            Ok(Launched {
                process: Started::Running(process),
                ready_pipe,
            }) => self.running(core, i, process, ready_pipe),
            Ok(Launched {
                process: Started::Reporting(start),
                ready_pipe,
            }) => self.await_report(core, i, start, ready_pipe),
            Err(error) => self.start_failed(i, error),
        }
    }

    /// Node `i`'s start failed with `error`: the core's input. Where the
    /// pid namespace it was to start in has lost its init, that is the
    /// cause, whatever step failed, and the error says so
    /// ([`Step::ScopeInitEnded`]).
    fn start_failed(&mut self, i: usize, error: SpawnError) -> Input {
        let error = if self.pid_namespace_ended(i) {
            error.because(Step::ScopeInitEnded, libc::ESRCH)
        } else {
            error
        };
        Input::SpawnFailed { node: i, error }
    }

    /// Whether the pid namespace node `i` starts in has lost its init
    /// ([`Launcher::pid_namespace_ended`]). The inits found ended are
    /// reaped, and one still exiting is watched, to be reaped once it has
    /// exited ([`init_exited`](Self::init_exited)).
    pub(super) fn pid_namespace_ended(&mut self, i: usize) -> bool {
        let (requests, waits) = (&mut self.scope_requests, &mut self.waits);
        let ended = self.launcher.pid_namespace_ended(i, |place, pidfd| {
            requests.init_reaped(place, pidfd, waits);
        });
        if let Some(place) = ended
            && let Some(scope) = self.launcher.scope_at(place)
        {
            (self.scope_requests).watch_exiting_init(place, scope, &mut self.waits);
        }
        ended.is_some()
    }

    /// The init of the scope at `place`, found exiting, has exited: it is
    /// reaped, its pidfd out of the wait set first.
    fn init_exited(&mut self, place: usize) {
        let (requests, waits) = (&mut self.scope_requests, &mut self.waits);
        self.launcher.reap_ended_init(place, |pidfd| {
            requests.init_reaped(place, pidfd, waits);
        });
    }

    /// Node `i` runs `process`: it is watched from now on; the answer is
    /// the core's input.
    fn running(
        &mut self,
        core: &Core,
        i: usize,
        process: Process,
        ready_pipe: Option<OwnedFd>,
    ) -> Input {
        match self.watch(i, &core.names[i], process, ready_pipe) {
            Ok((process, ready_pipe)) => {
                let node = &mut self.nodes[i];
                let pid = process.pid().as_raw_nonzero().get() as u32;
                self.node_of_pid.insert(process.pid(), i);
                node.process = Some(process);
                node.ready_pipe = ready_pipe;
                node.oom_kills_at_start = self.launcher.oom_kills(i);
                Input::Spawned {
                    node: i,
                    pid,
                    ready_at_exec: core.options[i].ready_at_exec(),
                }
            }
            Err(error) => Input::SpawnFailed { node: i, error },
        }
    }

    /// Adds a just-started node's pidfd and readiness pipe to the wait set;
    /// if that fails, kills and reaps it (it could never be waited on).
    fn watch(
        &mut self,
        i: usize,
        name: &str,
        mut process: Process,
        ready_pipe: Option<OwnedFd>,
    ) -> Result<(Process, Option<OwnedFd>), SpawnError> {
        let waits = &mut self.waits;
        let mut added = process.pidfd().map_or(Ok(()), |pidfd| {
            waits.add(pidfd, Token::Pidfd(i), Interest::Readable)
        });
        if let (Ok(()), Some(pipe)) = (&added, &ready_pipe) {
            added = waits.add(pipe.as_fd(), Token::ReadyPipe(i), Interest::Readable);
        }
        let Err(error) = added else {
            return Ok((process, ready_pipe));
        };
        if let Some(pipe) = &ready_pipe {
            waits.remove(pipe.as_fd());
        }
        process.kill_and_reap(|pidfd| waits.remove(pidfd));
        // Anything it forked meanwhile, too.
        if let Some(cgroup) = self.launcher.cgroup(i) {
            let _ = cgroup.kill();
        }
        Err(SpawnError::new(
            NodeId::from_index(i),
            name.to_owned(),
            Step::Watch,
            error.raw_os_error().unwrap_or(libc::ENOMEM),
        ))
    }

    /// Handles what the wait set reported for `token`.
    fn dispatch(&mut self, core: &mut Core, token: Token, now: Instant) -> Result<(), Error> {
        match token {
            Token::Pidfd(i) => {
                // Before the reap, while its pid cannot name another
                // process: what the main process said before it ended (a
                // one-shot job says `READY=1` and exits).
                self.read_notify(core, i, now);
                if self.nodes[i].main_pid.is_some() {
                    return self.started_ended_first(core, i);
                }
                let waits = &mut self.waits;
                let reaped = match &mut self.nodes[i].process {
                    Some(process) => process
                        .reap_then(false, |pidfd| waits.remove(pidfd))
                        .map_err(|e| crate::sigchld::waitid_failed(Some(&core.names[i]), e))?,
                    None => None,
                };
                if reaped.is_some() {
                    self.main_exited(core, i, now)?;
                }
            }
            Token::MainPid(i) => self.named_main_ended(core, i, now)?,
            Token::Cgroup(i) => self.cgroup_changed(core, i, now),
            Token::ReadyPipe(i) => {
                let Some(pipe) = &self.nodes[i].ready_pipe else {
                    return Ok(());
                };
                let notice = read_ready_pipe(pipe);
                if notice.ready || notice.closed {
                    self.close_ready_pipe(i);
                }
                if notice.ready {
                    core.handle(Input::Ready { node: i }, now);
                }
            }
            Token::Notify(i) => self.read_notify(core, i, now),
            Token::Signals => {
                while let Some(signal) = self.signals.as_ref().and_then(|s| s.read()) {
                    core.handle(Input::Signal(signal), now);
                }
            }
            Token::Wake => {
                self.wake.drain();
                core.handle(Input::Woken, now);
            }
            Token::Launch(i) => self.start_reported(core, i, now),
            Token::Probe(node, kind) => {
                let resumed = self
                    .probes
                    .resume(node, kind, &mut self.launcher, &mut self.waits);
                if let Some(result) = resumed {
                    core.handle(Input::ProbeResult { node, kind, result }, now);
                }
            }
            Token::ScopeSync(place) => self.scope_answered(core, place, now),
            Token::ScopeInit(place) => self.init_exited(place),
        }
        Ok(())
    }

    /// Closes node `i`'s readiness pipe, taking it out of the wait set first.
    fn close_ready_pipe(&mut self, i: usize) -> Option<OwnedFd> {
        let pipe = self.nodes[i].ready_pipe.take()?;
        self.waits.remove(pipe.as_fd());
        Some(pipe)
    }

    /// Reads node `i`'s `NOTIFY_SOCKET`, believing its main process only
    /// while that is unreaped: a reaped pid may name anyone next.
    fn read_notify(&mut self, core: &mut Core, i: usize, now: Instant) {
        let Some(socket) = &self.notify[i] else {
            return;
        };
        let notice = socket.read(self.main_pid(i), core.options[i].rare().notify_access);
        if notice.status.is_some() {
            self.nodes[i].status_text = notice.status;
        }
        for claim in notice.main_pids {
            self.claim_main_pid(core, i, claim, now);
        }
        if notice.watchdog {
            core.handle(Input::WatchdogPing { node: i }, now);
        }
        if notice.reloading {
            core.handle(Input::Reloading { node: i }, now);
        }
        if notice.ready {
            core.handle(Input::Ready { node: i }, now);
        }
        if notice.stopping {
            core.handle(Input::Stopping { node: i }, now);
        }
    }

    /// Node `i` has ended for good (main process reaped, cgroup empty). How
    /// its main process ended: the named one's status if it named one (read
    /// now, the latest moment), else the started one's. What it made the
    /// application's children in its cgroup is reaped before the end is
    /// handed on.
    fn node_ended(&mut self, core: &mut Core, i: usize, now: Instant) {
        let io = &mut self.nodes[i];
        if let Some(process) = &io.process {
            self.node_of_pid.remove(process.pid(), i);
        }
        if let Some(named) = &io.main_pid {
            self.node_of_pid.remove(named.pid(), i);
        }
        let status = match io.main_pid.take() {
            Some(named) => Some(named.exit_status()),
            None => io.process.as_ref().and_then(Process::status),
        };
        self.reap_strays_of(i);
        let Some(status) = status else {
            return;
        };
        // A one-shot job may say it is ready and exit before the pipe's
        // event is seen: read the pipe once more so that is not lost.
        if let Some(pipe) = self.close_ready_pipe(i)
            && read_ready_pipe(&pipe).ready
        {
            core.handle(Input::Ready { node: i }, now);
        }
        core.handle(Input::Exited { node: i, status }, now);
        if core.is_gone(i) {
            self.forget(i);
        }
    }

    /// Node `i` was removed and has ended: what the wait set holds of it
    /// leaves the set, then the launcher lets go of the rest, closing those
    /// fds (see [`Launcher::forget`]). Its `NOTIFY_SOCKET` is closed too,
    /// not kept until the graph ends, and so is a scope it ended, once its
    /// sync socket has left the wait set.
    pub(crate) fn forget(&mut self, i: usize) {
        self.probes.forget_node(i, &self.launcher, &mut self.waits);
        if let Some(socket) = self.notify[i].take() {
            self.waits.remove(socket.fd());
        }
        for (place, scope) in self.launcher.forget(i) {
            self.scope_requests.end(place, &scope, &mut self.waits);
        }
    }

    /// Turns these signals into an orderly shutdown (see
    /// `RunningGraph::stop_on_signals`).
    pub(crate) fn stop_on_signals(&mut self, signals: &[Signal]) -> Result<(), Error> {
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

    /// Kills and reaps every node at once (a failed start). What was in
    /// their cgroups goes when the cgroups are removed.
    pub(crate) fn kill_all(&mut self, core: &mut Core) {
        for i in 0..self.nodes.len() {
            self.abandon_start(i);
            self.kill_node(i);
            self.stop_draining(i);
            self.clears.remove(&i);
            if let Some(named) = self.nodes[i].main_pid.take() {
                self.waits.remove(named.pidfd());
            }
            let waits = &mut self.waits;
            if let Some(process) = &mut self.nodes[i].process {
                // Blocking: SIGKILL cannot be caught, so this returns promptly.
                let _ = process.reap_then(true, |pidfd| waits.remove(pidfd));
            }
        }
        self.kill_probes();
        core.abort();
    }

    /// Ends a finished graph for good: nothing starts again, and what only
    /// its nodes used is released — the stdio thread, each `NOTIFY_SOCKET`,
    /// the graph's scopes and cgroups.
    pub(crate) fn finish(&mut self, core: &mut Core) -> Result<ExitReport, Error> {
        self.check_owner()?;
        self.kill_probes();
        // A teardown a cancelled `wait_async` left running ends first.
        #[cfg(feature = "tokio")]
        let parked = self.join_teardown();
        #[cfg(not(feature = "tokio"))]
        let parked = Ok(());
        // The scopes end too, so that nothing started in a pid scope (a
        // daemon that left its node) outlives this call.
        let removed = parked.and(self.launcher.take_teardown().run());
        let outcome = core.settle_outcome(Outcome::Completed);
        for socket in self.notify.iter_mut().filter_map(Option::take) {
            self.waits.remove(socket.fd());
        }
        self.torn_down = true;
        removed.map_err(|e| Error::io(None, "remove the graph's cgroups", e))?;
        let name = |node: NodeId| core.names[node.index()].clone();
        let nodes = core
            .nodes
            .iter()
            .zip(&self.nodes)
            .enumerate()
            .map(|(index, (node, io))| NodeExit {
                node: NodeId::from_index(index),
                name: core.names[index].clone(),
                status: node.last_exit,
                restarts: node.restarts,
                killed_after_timeout: node.killed_after_timeout,
                killed_by_probe: node.killed_by_probe,
                oom_killed: io.oom_killed,
            })
            .collect();
        let report = ExitReport { nodes, outcome };
        match outcome {
            Outcome::RestartIntensity { node } => Err(Error::RestartIntensity {
                node: name(node),
                max_restarts: core.exceeded_intensity().max_restarts,
                period: core.exceeded_intensity().period,
                report: Box::new(report),
            }),
            Outcome::DependencyFailed { node, dependency } => Err(Error::DependencyFailed {
                node: name(node),
                dependency: name(dependency),
                report: Box::new(report),
            }),
            Outcome::StartTimeout { node, dependency } => Err(Error::StartTimeout {
                node: name(node),
                dependency: name(dependency),
                timeout: core.start_timeout,
                report: Box::new(report),
            }),
            _ => Ok(report),
        }
    }
}
