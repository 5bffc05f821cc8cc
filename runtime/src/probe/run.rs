//! The attempts in flight, on the driver's side: a TCP or HTTP attempt is
//! a non-blocking socket in the graph's wait set (for a node in a scope, a
//! socket its scope's init made in the scope's network namespace, asked for
//! without waiting); an exec probe is a child whose pidfd is in the wait
//! set. Nothing here waits: each call does what the fds allow and reports
//! the attempts that ended.
//!
//! An attempt past its timeout is cancelled: its socket is closed, its
//! child SIGKILLed — and reaped when its pidfd says it ended, not at once,
//! since a child stuck in an uninterruptible sleep would block the loop. A
//! socket the init sends for a cancelled attempt is dropped when it comes.

use std::net::SocketAddr;
use std::os::fd::BorrowedFd;

use process_graph_topology::{ProbeCheck, ProbeInfo, http_target, probe_address};

use super::connect::{Attempt, Step, tcp_socket};
use super::{ProbeKind, ProbeResult};
use crate::graph::Graph;
use crate::poller::{Interest, WaitSet};
use crate::process::Process;
use crate::scope::ScopeRuntime;
use crate::spawn::{Launcher, PendingStart, Started};
use crate::supervise::Token;
use crate::supervise::scope_requests::{Asked, ScopeRequests};

/// What one probe checks, as the driver runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Tcp(SocketAddr),
    Http(SocketAddr, String),
    /// The launcher holds the command.
    Exec,
    /// Matched in the output pipeline, not run here.
    LogLine,
}

impl Target {
    /// The graph was validated, so every address parses; were one not to,
    /// each attempt fails with why.
    fn of(info: &ProbeInfo) -> Result<Target, String> {
        let error = |e: process_graph_topology::AddressError| e.to_string();
        Ok(match &info.check {
            ProbeCheck::Tcp(address) => Target::Tcp(probe_address(address).map_err(error)?),
            ProbeCheck::Http(url) => {
                let (address, path) = http_target(url).map_err(error)?;
                Target::Http(address, path.to_owned())
            }
            ProbeCheck::Exec(_) => Target::Exec,
            ProbeCheck::LogLine(_) => Target::LogLine,
        })
    }
}

#[derive(Debug)]
enum InFlight {
    /// A socket was asked of the node's scope's init, for attempt number
    /// `attempt` of this probe.
    AwaitingSocket {
        attempt: u64,
    },
    Connect {
        attempt: Attempt,
        interest: Interest,
    },
    /// An exec probe's command the carried program is starting in the
    /// node's scope, its report to come; cancelled at the attempt's timeout
    /// meanwhile ([`PendingStart::cancel`]): what the start brings is
    /// killed.
    Launching(PendingStart),
    Child(Process),
    /// Killed at its timeout; reaped once its pidfd is readable.
    Killed(Process),
}

/// One probe of one node.
#[derive(Debug)]
struct Slot {
    target: Result<Target, String>,
    in_flight: Option<InFlight>,
    /// How many attempts have started, to match the init's answers.
    attempts: u64,
}

/// Every probe attempt of a graph in flight.
#[derive(Debug, Default)]
pub(crate) struct ProbeRuns {
    /// Per node: its readiness and its liveness probe (boxed, and only for
    /// nodes that have probes: most have none).
    slots: Vec<Option<Box<[Option<Slot>; 2]>>>,
}

fn index(kind: ProbeKind) -> usize {
    match kind {
        ProbeKind::Ready => 0,
        ProbeKind::Live => 1,
    }
}

impl ProbeRuns {
    pub(crate) fn new(graph: &Graph) -> Self {
        let slots = graph
            .nodes
            .iter()
            .map(|node| {
                let probes = [
                    &node.options.rare().ready_probe,
                    &node.options.rare().live_probe,
                ];
                probes.iter().any(|p| p.is_some()).then(|| {
                    Box::new(probes.map(|probe| {
                        probe.as_ref().map(|info| Slot {
                            target: Target::of(info),
                            in_flight: None,
                            attempts: 0,
                        })
                    }))
                })
            })
            .collect();
        ProbeRuns { slots }
    }

    fn slot(&self, node: usize, kind: ProbeKind) -> Option<&Slot> {
        self.slots.get(node)?.as_ref()?[index(kind)].as_ref()
    }

    fn slot_mut(&mut self, node: usize, kind: ProbeKind) -> Option<&mut Slot> {
        self.slots.get_mut(node)?.as_mut()?[index(kind)].as_mut()
    }

    /// Starts an attempt of node `node`'s probe `kind`; its result, if it
    /// ended at once. A socket asked of the node's scope is noted in
    /// `requests`.
    pub(crate) fn start(
        &mut self,
        node: usize,
        kind: ProbeKind,
        launcher: &mut Launcher,
        requests: &mut ScopeRequests,
        waits: &mut WaitSet<Token>,
    ) -> Option<ProbeResult> {
        let slot = self.slot_mut(node, kind)?;
        give_up_if_held_up(slot, waits, || launcher.probe_ended(node, kind));
        let scope = launcher.scope_of(node);
        if slot.in_flight.is_some() {
            return Some(ProbeResult::Failed(
                "its last attempt, cancelled at its timeout, has not ended yet".into(),
            ));
        }
        slot.attempts += 1;
        let target = match &slot.target {
            Ok(target) => target.clone(),
            Err(why) => return Some(ProbeResult::Failed(why.clone())),
        };
        let token = Token::Probe(node, kind);
        match target {
            Target::LogLine => None,
            Target::Exec => match launcher.launch_probe(node, kind) {
                Ok(Started::Running(process)) => watch_command(slot, process, token, waits, false)
                    .inspect(|_| launcher.probe_ended(node, kind)),
                Ok(Started::Reporting(start)) => {
                    if let Err(e) = waits.add(start.fd(), token, Interest::Readable) {
                        start.discard();
                        launcher.probe_ended(node, kind);
                        return Some(ProbeResult::Failed(format!("watch its start: {e}")));
                    }
                    slot.in_flight = Some(InFlight::Launching(start));
                    None
                }
                Err((step, errno)) => Some(start_failed(step, errno)),
            },
            Target::Tcp(address) | Target::Http(address, _) => {
                if let Some((place, scope)) = scope.filter(|(_, s)| s.has_own_network()) {
                    let attempt = slot.attempts;
                    let asked = Asked::Socket {
                        node,
                        kind,
                        attempt,
                    };
                    let send = |scope: &ScopeRuntime| scope.request_socket(address);
                    if let Err(e) = requests.ask(place, scope, asked, send, waits) {
                        return Some(ProbeResult::Failed(format!(
                            "ask the scope for a socket: {e}"
                        )));
                    }
                    self.slot_mut(node, kind)?.in_flight =
                        Some(InFlight::AwaitingSocket { attempt });
                    return None;
                }
                match tcp_socket(address) {
                    Ok(socket) => self.connect(node, kind, socket, waits),
                    Err(e) => Some(ProbeResult::Failed(format!("make a socket: {e}"))),
                }
            }
        }
    }

    /// Starts connecting with `socket`.
    fn connect(
        &mut self,
        node: usize,
        kind: ProbeKind,
        socket: std::os::fd::OwnedFd,
        waits: &mut WaitSet<Token>,
    ) -> Option<ProbeResult> {
        let slot = self.slot_mut(node, kind)?;
        let (address, path) = match &slot.target {
            Ok(Target::Tcp(address)) => (*address, None),
            Ok(Target::Http(address, path)) => (*address, Some(path.as_str())),
            _ => return Some(ProbeResult::Failed("not a network probe".into())),
        };
        let (attempt, step) = Attempt::start(socket, address, path);
        match step {
            Step::Done(result) => {
                slot.in_flight = None;
                Some(result)
            }
            Step::Wait(interest) => {
                if let Err(e) = waits.add(attempt.fd(), Token::Probe(node, kind), interest) {
                    slot.in_flight = None;
                    return Some(ProbeResult::Failed(format!("watch its socket: {e}")));
                }
                slot.in_flight = Some(InFlight::Connect { attempt, interest });
                None
            }
        }
    }

    /// Watches the eventfd of each log-line probe (the output thread counts
    /// matching lines on it), for as long as the graph runs.
    pub(crate) fn watch_lines(
        &self,
        launcher: &Launcher,
        waits: &mut WaitSet<Token>,
    ) -> std::io::Result<()> {
        for node in 0..self.slots.len() {
            if let Some(matched) = launcher.line_watch(node) {
                waits.add(
                    matched,
                    Token::Probe(node, ProbeKind::Ready),
                    Interest::Readable,
                )?;
            }
        }
        Ok(())
    }

    /// The pids of node `node`'s probe commands not reaped yet (each names
    /// its attempt): processes in the node's cgroup and scope that are the
    /// runtime's, not the node's.
    pub(crate) fn commands_of(&self, node: usize) -> Vec<rustix::process::Pid> {
        [ProbeKind::Ready, ProbeKind::Live]
            .into_iter()
            .filter_map(|kind| match self.slot(node, kind)?.in_flight.as_ref()? {
                InFlight::Child(process) | InFlight::Killed(process) => Some(process.pid()),
                // The program becomes the command, or is its parent.
                InFlight::Launching(start) => Some(start.pid()),
                InFlight::AwaitingSocket { .. } | InFlight::Connect { .. } => None,
            })
            .collect()
    }

    /// Node `node` was removed and has ended, and the launcher is about to
    /// forget it: the eventfd of its log-line probe leaves the wait set
    /// before the launcher closes it (left in, `ppoll` would report it
    /// invalid on every wait, and its number could come back as another
    /// fd), and an attempt still in flight is cancelled.
    pub(crate) fn forget_node(
        &mut self,
        node: usize,
        launcher: &Launcher,
        waits: &mut WaitSet<Token>,
    ) {
        if let Some(matched) = launcher.line_watch(node) {
            waits.remove(matched);
        }
        self.cancel_node(node, waits);
    }

    /// Ends the attempts in flight of both of node `node`'s probes (it has
    /// ended): see [`cancel`](Self::cancel).
    pub(crate) fn cancel_node(&mut self, node: usize, waits: &mut WaitSet<Token>) {
        self.cancel(node, ProbeKind::Ready, waits);
        self.cancel(node, ProbeKind::Live, waits);
    }

    /// The probe's fd is ready: goes on with its attempt; its result if it
    /// ended. For a log-line probe, a line matched: it passed.
    pub(crate) fn resume(
        &mut self,
        node: usize,
        kind: ProbeKind,
        launcher: &mut Launcher,
        waits: &mut WaitSet<Token>,
    ) -> Option<ProbeResult> {
        if kind == ProbeKind::Ready
            && let Some(matched) = launcher.line_watch(node)
        {
            return crate::forward::take_matches(matched).then_some(ProbeResult::Passed);
        }
        let slot = self.slot_mut(node, kind)?;
        match slot.in_flight.take()? {
            InFlight::Connect {
                mut attempt,
                interest,
            } => match attempt.resume() {
                Step::Done(result) => {
                    waits.remove(attempt.fd());
                    Some(result)
                }
                Step::Wait(next) => {
                    if next != interest {
                        waits.remove(attempt.fd());
                        if let Err(e) = waits.add(attempt.fd(), Token::Probe(node, kind), next) {
                            return Some(ProbeResult::Failed(format!("watch its socket: {e}")));
                        }
                    }
                    slot.in_flight = Some(InFlight::Connect {
                        attempt,
                        interest: next,
                    });
                    None
                }
            },
            InFlight::Launching(mut start) => {
                let Some(complete) = start.read() else {
                    slot.in_flight = Some(InFlight::Launching(start));
                    return None;
                };
                waits.remove(start.fd());
                let cancelled = start.is_cancelled();
                match start.conclude(complete) {
                    Ok(process) => {
                        let token = Token::Probe(node, kind);
                        let failed = watch_command(slot, process, token, waits, cancelled);
                        if failed.is_some() {
                            launcher.probe_ended(node, kind);
                        }
                        failed.filter(|_| !cancelled)
                    }
                    Err((step, errno)) => {
                        launcher.probe_ended(node, kind);
                        (!cancelled).then(|| start_failed(step, errno))
                    }
                }
            }
            InFlight::Child(mut process) => {
                let result = match reap(&mut process, waits) {
                    Ok(Some(status)) if status.success() => ProbeResult::Passed,
                    Ok(Some(status)) => ProbeResult::Failed(format!("its command {status}")),
                    Ok(None) => {
                        slot.in_flight = Some(InFlight::Child(process));
                        return None;
                    }
                    Err(why) => {
                        ProbeResult::Failed(format!("its command could not be reaped: {why}"))
                    }
                };
                launcher.probe_ended(node, kind);
                Some(result)
            }
            InFlight::Killed(mut process) => {
                match reap(&mut process, waits) {
                    Ok(None) => slot.in_flight = Some(InFlight::Killed(process)),
                    Ok(Some(_)) | Err(_) => launcher.probe_ended(node, kind),
                }
                None
            }
            waiting @ InFlight::AwaitingSocket { .. } => {
                slot.in_flight = Some(waiting);
                None
            }
        }
    }

    /// The socket attempt `attempt` of node `node`'s probe `kind` asked
    /// its scope's init for has come (or why it could not be made): the
    /// attempt connects with it, unless it was cancelled meanwhile (then
    /// the socket is dropped); its result, if it ended at once.
    pub(crate) fn socket_arrived(
        &mut self,
        node: usize,
        kind: ProbeKind,
        attempt: u64,
        answer: std::io::Result<Option<std::os::fd::OwnedFd>>,
        waits: &mut WaitSet<Token>,
    ) -> Option<ProbeResult> {
        let slot = self.slot_mut(node, kind)?;
        if !matches!(slot.in_flight, Some(InFlight::AwaitingSocket { attempt: a }) if a == attempt)
        {
            return None;
        }
        slot.in_flight = None;
        match answer {
            Ok(Some(socket)) => self.connect(node, kind, socket, waits),
            Ok(None) => Some(ProbeResult::Failed(
                "the scope could not make a socket: it sent none".into(),
            )),
            Err(e) => Some(ProbeResult::Failed(format!(
                "the scope could not make a socket: {e}"
            ))),
        }
    }

    /// Ends the attempt in flight, if any (its timeout passed, or the node
    /// is gone): a socket is closed, a child SIGKILLed and reaped later.
    pub(crate) fn cancel(&mut self, node: usize, kind: ProbeKind, waits: &mut WaitSet<Token>) {
        let Some(slot) = self.slot_mut(node, kind) else {
            return;
        };
        slot.in_flight = match slot.in_flight.take() {
            Some(InFlight::Connect { attempt, .. }) => {
                waits.remove(attempt.fd());
                None
            }
            Some(InFlight::Child(process) | InFlight::Killed(process)) => {
                process.kill();
                Some(InFlight::Killed(process))
            }
            // The command killed if it runs or its clone has reported
            // itself, else once it does; the program left to report.
            Some(InFlight::Launching(mut start)) => {
                start.cancel();
                Some(InFlight::Launching(start))
            }
            Some(InFlight::AwaitingSocket { .. }) | None => None,
        };
    }

    /// Kills and reaps every probe child, blocking (the graph is being torn
    /// down; SIGKILL cannot be caught); the sockets asked of scopes are
    /// the driver's to forget ([`ScopeRequests::forget_all`]).
    pub(crate) fn kill_all(&mut self, launcher: &Launcher, waits: &mut WaitSet<Token>) {
        for node in 0..self.slots.len() {
            if let Some(matched) = launcher.line_watch(node) {
                waits.remove(matched);
            }
        }
        for slot in self
            .slots
            .iter_mut()
            .flatten()
            .flat_map(|s| s.iter_mut())
            .flatten()
        {
            match slot.in_flight.take() {
                Some(InFlight::Child(process) | InFlight::Killed(process)) => {
                    kill_and_reap(process, waits);
                }
                Some(InFlight::Connect { attempt, .. }) => waits.remove(attempt.fd()),
                Some(InFlight::Launching(start)) => {
                    waits.remove(start.fd());
                    start.discard();
                }
                _ => {}
            }
        }
    }
}

/// A start of the last attempt's command that has not reported by the
/// next attempt, and whose program is held up (stopped by a process of the
/// node's scope, or past the helpers' limit, see [`crate::held_up`]): given
/// up on, its program and anything it brought killed and reaped, so that
/// the probe is tried again (`ended`, as for every attempt that ends).
/// Looked at once per attempt: a program stopped for good is given up on
/// at the fifth attempt or the limit, whichever comes first.
fn give_up_if_held_up(slot: &mut Slot, waits: &mut WaitSet<Token>, ended: impl FnOnce()) {
    let Some(InFlight::Launching(start)) = &mut slot.in_flight else {
        return;
    };
    if !start.held_up() {
        return;
    }
    if let Some(InFlight::Launching(start)) = slot.in_flight.take() {
        waits.remove(start.fd());
        start.discard();
        ended();
    }
}

/// Watches a probe's command by its pidfd, as the slot's attempt in flight
/// — one `killed` now if its attempt was cancelled while it started, to be
/// reaped once its pidfd says it ended (not at once: a command in an
/// uninterruptible sleep would block the loop). If it cannot be watched,
/// kills it (reaped at once: SIGKILL cannot be caught) and returns why the
/// attempt failed.
fn watch_command(
    slot: &mut Slot,
    process: Process,
    token: Token,
    waits: &mut WaitSet<Token>,
    killed: bool,
) -> Option<ProbeResult> {
    let watched = process
        .pidfd()
        .map_or(Ok(()), |fd| waits.add(fd, token, Interest::Readable));
    if let Err(e) = watched {
        kill_and_reap(process, waits);
        return Some(ProbeResult::Failed(format!("watch its command: {e}")));
    }
    slot.in_flight = Some(match killed {
        true => {
            process.kill();
            InFlight::Killed(process)
        }
        false => InFlight::Child(process),
    });
    None
}

/// Kills a probe's command and reaps it, out of the wait set.
fn kill_and_reap(mut process: Process, waits: &mut WaitSet<Token>) {
    process.kill_and_reap(|pidfd| waits.remove(pidfd));
}

fn start_failed(step: crate::error::Step, errno: i32) -> ProbeResult {
    ProbeResult::Failed(format!(
        "start its command: {step} failed: {}",
        std::io::Error::from_raw_os_error(errno)
    ))
}

/// Reaps a probe child if it ended, taking its pidfd out of the wait set.
///
/// A child that cannot be reaped leaves the wait set too, and ends with
/// why: the kernel reaped it (the application ignores SIGCHLD) or a
/// `waitpid(-1)` elsewhere took it, and its pidfd, readable for good,
/// would otherwise wake the loop at every turn.
fn reap(
    process: &mut Process,
    waits: &mut WaitSet<Token>,
) -> Result<Option<crate::ExitStatus>, String> {
    let remove = |pidfd: BorrowedFd<'_>| waits.remove(pidfd);
    process.reap_then(false, remove).map_err(|e| {
        if let Some(pidfd) = process.pidfd() {
            waits.remove(pidfd);
        }
        crate::sigchld::waitid_failed(None, e).to_string()
    })
}
