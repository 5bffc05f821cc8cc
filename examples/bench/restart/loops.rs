//! The restart loops compared: process-graph's supervisor, blocking and on
//! tokio, and a raw pidfd + `clone3` loop doing the same steps by hand, each
//! with a cgroup per child or without. Each keeps one child running that has
//! written its byte to fd 3; one restart kills it and waits until its
//! replacement runs.

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Decision, Endpoint, Event, ExitStatus, Graph, Namespace, NodeId,
    NodeOptions, Restart, RunningGraph, ScopeSpec, Signal,
};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{WaitIdOptions, pidfd_send_signal};

use super::node_cgroups::NodeCgroups;
use crate::exec_args::ExecArgs;
use crate::floor::{self, Child, ChildSetup};

/// How long one step may take before the run counts as broken.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The lowest fd the raw loop's pipe end gets: anything but 3, which
/// `dup3(fd, 3)` in the child could not move.
const PIPE_FD_MIN: i32 = 10;

/// How long one restart took, from just before the SIGKILL.
#[derive(Clone, Copy)]
pub struct Latency {
    /// Until the replacement was spawned: `Event::Started` returned, or
    /// (raw) `clone3` returned, which with `CLONE_VFORK` is after `execve`.
    pub started: Duration,
    /// Until the parent read the byte the replacement's first instructions
    /// wrote to fd 3.
    pub running: Duration,
}

pub trait RestartLoop {
    fn label(&self) -> &str;
    /// Whether each child runs in a cgroup of its own.
    fn in_cgroups(&self) -> bool;
    /// Whether the others are compared with this one (a raw loop).
    fn is_floor(&self) -> bool {
        false
    }
    /// Kills the current child and waits until its replacement runs.
    fn restart_once(&mut self) -> io::Result<Latency>;
}

/// process-graph: one node with restart = always and no backoff; its fd 3 is
/// a pipe to the parent. SIGKILL through `RunningGraph::kill`, then
/// `next_event` until the replacement's `Event::Started`. Siblings are nodes
/// of the same graph that write to one shared pipe and never restart. With
/// `scoped`, every node is in one user + pid scope.
pub struct Ours {
    in_cgroups: bool,
    label: String,
    running: RunningGraph,
    node: NodeId,
    marks: std::io::PipeReader,
    /// Kept open so the siblings' write to fd 3 succeeds.
    _sibling_marks: Option<std::io::PipeReader>,
}

impl Ours {
    /// With `in_cgroups` each node in a cgroup of its own
    /// ([`Containment::Required`]: the spawn fails where the application may
    /// not create cgroups), otherwise [`Containment::Off`].
    pub fn start(
        child: &Path,
        siblings: usize,
        in_cgroups: bool,
        scoped: bool,
    ) -> io::Result<Ours> {
        let mut graph = Graph::new();
        graph.containment(match in_cgroups {
            true => Containment::Required,
            false => Containment::Off,
        });
        let scope =
            scoped.then(|| graph.scope("all", ScopeSpec::new([Namespace::User, Namespace::Pid])));
        let options = || match scope {
            Some(scope) => NodeOptions::new().scope(scope),
            None => NodeOptions::new(),
        };
        let node = graph.node_with(
            "blocker",
            Command::new(child),
            options()
                .restart(Restart::Always)
                .backoff(Duration::ZERO, Duration::ZERO),
        );
        let marks = graph.pipe(node.fd(3), Endpoint::Parent);
        let sibling_nodes: Vec<NodeId> = (0..siblings)
            .map(|k| graph.node_with(format!("sibling-{k}"), Command::new(child), options()))
            .collect();
        let sibling_marks = (!sibling_nodes.is_empty()).then(|| {
            let writers: Vec<_> = sibling_nodes.iter().map(|n| n.fd(3)).collect();
            graph.pipe(writers, Endpoint::Parent)
        });
        // Thousands of restarts a second are the point here, not a failure.
        graph.intensity(u32::MAX, Duration::from_secs(1));
        graph.stop_timeout(Duration::ZERO);
        let mut running = graph.spawn().map_err(io::Error::other)?;
        let mut marks = running
            .take_reader(marks)
            .ok_or_else(|| io::Error::other("no reader for fd 3"))?;
        let sibling_marks = sibling_marks.and_then(|edge| running.take_reader(edge));
        read_mark(&mut marks)?;
        // The starts queued by `spawn`.
        for _ in 0..=siblings {
            match running
                .next_event(Some(TIMEOUT))
                .map_err(io::Error::other)?
            {
                Some(Event::Started { .. }) => {}
                other => {
                    return Err(io::Error::other(format!(
                        "expected the first starts, got {other:?}"
                    )));
                }
            }
        }
        Ok(Ours {
            in_cgroups,
            label: graph_label("process-graph", scoped, in_cgroups),
            running,
            node,
            marks,
            _sibling_marks: sibling_marks,
        })
    }
}

impl Ours {
    /// Whether `event`, the next one after the SIGKILL, is the
    /// replacement's start; an error for anything but the kill's exit and
    /// that start.
    fn is_replacement_started(&self, event: Option<Event>) -> io::Result<bool> {
        match event {
            Some(Event::Started { node, .. }) if node == self.node => Ok(true),
            Some(Event::Exited {
                status, decision, ..
            }) => {
                killed(status == ExitStatus::Signaled(Signal::KILL), status)?;
                match decision {
                    Decision::Restart { .. } => Ok(false),
                    _ => Err(io::Error::other(format!(
                        "the runtime decided {decision:?}, not a restart"
                    ))),
                }
            }
            other => Err(io::Error::other(format!(
                "expected an exit and a start, got {other:?}"
            ))),
        }
    }

    /// The time from `begin` to the replacement running, after it started
    /// at `started`.
    fn latency(&mut self, begin: Instant, started: Duration) -> io::Result<Latency> {
        read_mark(&mut self.marks)?;
        Ok(Latency {
            started,
            running: begin.elapsed(),
        })
    }
}

/// The label of our graph of this kind, driven by `driver`.
fn graph_label(driver: &str, scoped: bool, in_cgroups: bool) -> String {
    let scope = match scoped {
        true => " in a user + pid scope",
        false => "",
    };
    let cgroups = match in_cgroups {
        true => "a cgroup per node",
        false => "containment off",
    };
    format!("{driver}{scope}, {cgroups}")
}

impl RestartLoop for Ours {
    fn label(&self) -> &str {
        &self.label
    }

    fn in_cgroups(&self) -> bool {
        self.in_cgroups
    }

    fn restart_once(&mut self) -> io::Result<Latency> {
        let begin = Instant::now();
        self.running.kill(self.node).map_err(io::Error::other)?;
        loop {
            let event = self.running.next_event(Some(TIMEOUT));
            if self.is_replacement_started(event.map_err(io::Error::other)?)? {
                break;
            }
        }
        self.latency(begin, begin.elapsed())
    }
}

/// The same graph awaited on a current-thread tokio runtime: a restart is
/// one task, as in an application's event loop, awaiting each event
/// through `next_event_async` (its wait set registered with the reactor),
/// under one timeout.
pub struct OursOnTokio {
    ours: Ours,
    label: String,
    runtime: tokio::runtime::Runtime,
}

impl OursOnTokio {
    pub fn start(
        child: &Path,
        siblings: usize,
        in_cgroups: bool,
        scoped: bool,
    ) -> io::Result<OursOnTokio> {
        let ours = Ours::start(child, siblings, in_cgroups, scoped)?;
        Ok(OursOnTokio {
            label: graph_label("process-graph on tokio", scoped, in_cgroups),
            ours,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        })
    }
}

impl RestartLoop for OursOnTokio {
    fn label(&self) -> &str {
        &self.label
    }

    fn in_cgroups(&self) -> bool {
        self.ours.in_cgroups
    }

    fn restart_once(&mut self) -> io::Result<Latency> {
        let ours = &mut self.ours;
        let begin = Instant::now();
        let restart = async {
            ours.running.kill(ours.node).map_err(io::Error::other)?;
            loop {
                let event = ours.running.next_event_async().await;
                if ours.is_replacement_started(event.map_err(io::Error::other)?)? {
                    return Ok::<_, io::Error>(begin.elapsed());
                }
            }
        };
        let started = self
            .runtime
            .block_on(async { tokio::time::timeout(TIMEOUT, restart).await })
            .map_err(|_| io::Error::other(format!("no restart within {TIMEOUT:?}")))??;
        ours.latency(begin, started)
    }
}

/// The floor: `pidfd_send_signal(SIGKILL)`, `poll` on the pidfd,
/// `waitid(P_PIDFD)`, then `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD)`
/// with the pipe moved to fd 3 and nothing else. With [`NodeCgroups`] each
/// child (siblings too) starts in a cgroup of its own with
/// `CLONE_INTO_CGROUP`, and after each reap the restarted child's
/// `cgroup.events` is read: the floor for a graph whose nodes have cgroups.
/// With `like_runtime` (not a floor) each child also makes the system calls
/// process-graph's child makes before `execve` (`ChildSetup::LikeRuntimeFd3`,
/// cloned with `CLONE_CLEAR_SIGHAND` as the runtime does): how much of our
/// time over the floor is the child's own set-up.
pub struct Raw {
    like_runtime: bool,
    exec: ExecArgs,
    child: Option<Child>,
    marks: std::fs::File,
    /// The write end every child gets as fd 3; kept open across restarts.
    mark_writer: OwnedFd,
    /// Children that just run beside the restarted one, and the read end of
    /// the pipe they write their byte to.
    siblings: Vec<Child>,
    _sibling_marks: Option<OwnedFd>,
    /// Dropped after the children are reaped (`Drop` below).
    cgroups: Option<NodeCgroups>,
}

/// The restarted child's cgroup, with [`NodeCgroups`] (made first).
const RESTARTED: usize = 0;

impl Raw {
    pub fn start(
        child: &Path,
        siblings: usize,
        cgroups: Option<NodeCgroups>,
        like_runtime: bool,
    ) -> io::Result<Raw> {
        let (reader, writer) = marks_pipe()?;
        let mut raw = Raw {
            like_runtime,
            exec: ExecArgs::new(child)?,
            child: None,
            marks: reader.into(),
            mark_writer: writer,
            siblings: Vec::with_capacity(siblings),
            _sibling_marks: None,
            cgroups,
        };
        if let Some(cgroups) = &mut raw.cgroups {
            cgroups.add()?;
        }
        if siblings > 0 {
            let (reader, writer) = marks_pipe()?;
            for _ in 0..siblings {
                let cgroup = raw.cgroups.as_mut().map(NodeCgroups::add).transpose()?;
                let sibling = raw.spawn_in(cgroup, writer.as_fd())?;
                raw.siblings.push(sibling);
            }
            raw._sibling_marks = Some(reader);
        }
        raw.child = Some(raw.spawn_in(Some(RESTARTED), raw.mark_writer.as_fd())?);
        read_mark(&mut raw.marks)?;
        Ok(raw)
    }

    /// Starts a child with `fd3` as its fd 3, in the cgroup of that index
    /// where there are cgroups.
    fn spawn_in(&self, cgroup: Option<usize>, fd3: BorrowedFd<'_>) -> io::Result<Child> {
        let dir = match (&self.cgroups, cgroup) {
            (Some(cgroups), Some(index)) => Some(cgroups.open_dir(index)?),
            _ => None,
        };
        let (flags, setup) = match self.like_runtime {
            true => (floor::CLONE_CLEAR_SIGHAND, ChildSetup::LikeRuntimeFd3(fd3)),
            false => (0, ChildSetup::Fd3(fd3)),
        };
        floor::spawn_in(&self.exec, flags, setup, dir.as_ref().map(AsFd::as_fd))
    }
}

impl RestartLoop for Raw {
    fn label(&self) -> &str {
        match (&self.cgroups, self.like_runtime) {
            (None, false) => "raw pidfd + clone3 loop",
            (Some(_), false) => "raw loop, a cgroup per child",
            (None, true) => "raw loop + our child set-up",
            (Some(_), true) => "raw loop, a cgroup per child, + our child set-up",
        }
    }

    fn in_cgroups(&self) -> bool {
        self.cgroups.is_some()
    }

    fn is_floor(&self) -> bool {
        !self.like_runtime
    }

    fn restart_once(&mut self) -> io::Result<Latency> {
        let begin = Instant::now();
        let child = self.child.take().expect("a child is always running");
        pidfd_send_signal(&child.pidfd, rustix::process::Signal::KILL)?;
        wait_readable(child.pidfd.as_fd())?;
        let status = floor::wait(&child, WaitIdOptions::empty())?;
        killed(
            status.terminating_signal() == Some(libc::SIGKILL),
            format_args!("{status:?}"),
        )?;
        if let Some(cgroups) = &self.cgroups
            && !cgroups.is_empty(RESTARTED)?
        {
            return Err(io::Error::other("a process is left in the child's cgroup"));
        }
        self.child = Some(self.spawn_in(Some(RESTARTED), self.mark_writer.as_fd())?);
        let started = begin.elapsed();
        read_mark(&mut self.marks)?;
        Ok(Latency {
            started,
            running: begin.elapsed(),
        })
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        for child in self.child.iter().chain(&self.siblings) {
            // Best effort: the child only pauses, SIGKILL ends it promptly.
            let _ = pidfd_send_signal(&child.pidfd, rustix::process::Signal::KILL);
            let _ = floor::wait(child, WaitIdOptions::empty());
        }
    }
}

/// A pipe whose write end is at [`PIPE_FD_MIN`] or above, for children's fd 3.
fn marks_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let writer = rustix::io::fcntl_dupfd_cloexec(&writer, PIPE_FD_MIN)?;
    Ok((reader, writer))
}

/// Ok if the child died of the SIGKILL; otherwise an error saying how it
/// ended instead.
fn killed(ok: bool, how: impl std::fmt::Display) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "the child ended with {how}, not SIGKILL"
        )))
    }
}

/// Waits up to [`TIMEOUT`] until `fd` is readable.
fn wait_readable(fd: BorrowedFd<'_>) -> io::Result<()> {
    let timeout = Timespec {
        tv_sec: TIMEOUT.as_secs() as i64,
        tv_nsec: 0,
    };
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    loop {
        match poll(&mut fds, Some(&timeout)) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
            Ok(0) => return Err(io::Error::other(format!("nothing within {TIMEOUT:?}"))),
            Ok(_) => return Ok(()),
        }
    }
}

/// Reads the one byte a new child writes to its fd 3.
fn read_mark(reader: &mut (impl Read + AsFd)) -> io::Result<()> {
    wait_readable(reader.as_fd())
        .map_err(|e| io::Error::new(e.kind(), format!("the child's byte: {e}")))?;
    let mut byte = [0u8; 1];
    match reader.read(&mut byte)? {
        1 if byte == *b"!" => Ok(()),
        n => Err(io::Error::other(format!(
            "expected the child's byte '!', read {:?}",
            &byte[..n]
        ))),
    }
}
