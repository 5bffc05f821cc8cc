//! One child process, held by its pidfd.
//!
//! The pidfd comes from `CLONE_PIDFD`, so there is no window in which the pid
//! could name another process. Signals go through `pidfd_send_signal`; the
//! child is reaped with `waitid(P_PIDFD)`, which cannot steal anyone else's
//! child. The status is cached on reaping and the pidfd closed, so a stale
//! handle can never signal a recycled pid: it gets an error instead. A copy
//! of the handle in a forked process signals, kills and reaps nothing (see
//! [`crate::owner`]).

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::process::{
    Pid, WaitId, WaitIdOptions, WaitIdStatus, kill_process_group, pidfd_send_signal,
};

use crate::exit::ExitStatus;
use crate::owner::Owner;
use crate::signal::Signal;

/// A started child: its pid, its pidfd until it is reaped, then its status.
#[derive(Debug)]
pub(crate) struct Process {
    pid: Pid,
    pidfd: Option<OwnedFd>,
    status: Option<ExitStatus>,
    /// The process that started it, the only one that acts on it.
    owner: Owner,
}

impl Process {
    pub(crate) fn new(pid: Pid, pidfd: OwnedFd) -> Self {
        Process {
            pid,
            pidfd: Some(crate::sys::held_high(pidfd)),
            status: None,
            owner: Owner::current(),
        }
    }

    pub(crate) fn pid(&self) -> Pid {
        self.pid
    }

    pub(crate) fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    pub(crate) fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(AsFd::as_fd)
    }

    /// Sends `signal` to the process (not its group). `ESRCH` once reaped,
    /// `EPERM` from any process but its owner.
    pub(crate) fn signal(&self, signal: Signal) -> io::Result<()> {
        if !self.owner.is_current() {
            return Err(io::Error::from_raw_os_error(libc::EPERM));
        }
        let pidfd = self
            .pidfd
            .as_ref()
            .ok_or(io::Error::from_raw_os_error(libc::ESRCH))?;
        Ok(pidfd_send_signal(pidfd, signal.to_rustix())?)
    }

    /// SIGKILLs every process in the node's process group.
    ///
    /// Only while the leader is unreaped: until then its pid, and so the
    /// group id, cannot be reused, so this cannot hit a stranger's group.
    /// Only from its owner: elsewhere it would kill the owner's node.
    ///
    /// The pidfd is held until the runtime reaps the leader, but another
    /// part of the application may have reaped it first (`waitpid(-1)`):
    /// a `waitid` peek through the pidfd says so (`ECHILD`) and nothing is
    /// killed. Left open: such a reap between the peek and the kill, with
    /// the pid reused in that instant (a full turn of `pid_max`).
    pub(crate) fn kill_group(&self) {
        let Some(pidfd) = self.pidfd.as_ref().filter(|_| self.owner.is_current()) else {
            return;
        };
        if waitid_retrying(pidfd, PEEK).is_ok() {
            self.kill_group_of_unreaped();
        }
    }

    /// [`kill_group`](Self::kill_group) once the leader is known to be
    /// unreaped.
    fn kill_group_of_unreaped(&self) {
        // ESRCH (group already empty) is the expected outcome, not an error.
        let _ = kill_process_group(self.pid, rustix::process::Signal::KILL);
    }

    /// SIGKILLs the process and everything in its process group (it may have
    /// left the group itself, so both).
    pub(crate) fn kill(&self) {
        self.kill_group();
        let _ = self.signal(Signal::KILL);
    }

    /// [`kill`](Self::kill)s it and reaps it, handing the pidfd to
    /// `before_close` as [`reap_then`](Self::reap_then) does. Blocking:
    /// SIGKILL cannot be caught, and a tracer cannot keep the end from us
    /// for long (see [`crate::tracer`]), so this returns promptly.
    pub(crate) fn kill_and_reap(&mut self, before_close: impl FnOnce(BorrowedFd<'_>)) {
        self.kill();
        let _ = self.reap_then(true, before_close);
    }

    /// How the process ended, if it has, without reaping it: it stays a
    /// zombie, its pid (and so its process-group id) taken. `Ok(None)` from
    /// any process but its owner, or once reaped.
    pub(crate) fn peek(&self) -> io::Result<Option<ExitStatus>> {
        let Some(pidfd) = self.pidfd.as_ref().filter(|_| self.owner.is_current()) else {
            return Ok(None);
        };
        match self.peek_released(pidfd) {
            Ok(Peeked::Ended(status)) => Ok(Some(ExitStatus::from_waitid(&status))),
            Ok(Peeked::Held) => Ok(Some(ExitStatus::Unknown)),
            Ok(Peeked::Running) => Ok(None),
            Err(e) if reaped_elsewhere(&e) => Ok(Some(ExitStatus::Unknown)),
            Err(e) => Err(e),
        }
    }

    /// A `waitid` peek that sees the process's end even where a tracer
    /// keeps it from us: once its pidfd says it has ended, the tracer is
    /// given a moment, then killed ([`crate::tracer::release`]).
    fn peek_released(&self, pidfd: &OwnedFd) -> io::Result<Peeked> {
        if let Some(status) = waitid_retrying(pidfd, PEEK)? {
            return Ok(Peeked::Ended(status));
        }
        if !crate::tracer::ended(pidfd.as_fd()) {
            return Ok(Peeked::Running);
        }
        let shown = || matches!(waitid_retrying(pidfd, PEEK), Ok(Some(_)) | Err(_));
        crate::tracer::release(self.pid, shown);
        Ok(match waitid_retrying(pidfd, PEEK)? {
            Some(status) => Peeked::Ended(status),
            None => Peeked::Held,
        })
    }

    /// Reaps the process if it has exited; `blocking` waits until it does.
    ///
    /// What is left of its process group (helpers it started, a pipeline's
    /// other members) is SIGKILLed first: a node is its process group, and
    /// nothing of it outlives its main process. From any process but its
    /// owner (which alone can reap it), nothing is done: `Ok(None)`.
    pub(crate) fn reap(&mut self, blocking: bool) -> io::Result<Option<ExitStatus>> {
        self.reap_then(blocking, |_| {})
    }

    /// [`reap`](Self::reap), handing the pidfd to `before_close` (to take it
    /// out of a wait set) once the process is reaped, just before closing it.
    ///
    /// A process someone else in the application reaped first ended with
    /// [`ExitStatus::Unknown`]: reported once, like any ending, rather than
    /// as a `waitid` error on every later turn.
    pub(crate) fn reap_then(
        &mut self,
        blocking: bool,
        before_close: impl FnOnce(BorrowedFd<'_>),
    ) -> io::Result<Option<ExitStatus>> {
        if self.status.is_some() {
            return Ok(self.status);
        }
        if !self.owner.is_current() {
            return Ok(None);
        }
        let Some(pidfd) = &self.pidfd else {
            return Ok(None);
        };
        // Waited for on the pidfd, not in `waitid`, which a tracer could
        // hold for as long as it lives.
        if blocking {
            crate::tracer::wait_ended(pidfd.as_fd());
        }
        // Peek first (WNOWAIT), so the group is killed while the leader's pid
        // still pins the group id.
        let status = match self.peek_released(pidfd) {
            Ok(Peeked::Running) => return Ok(None),
            // It stays unreaped (its pid stays its own), reported ended.
            Ok(Peeked::Held) => {
                self.kill_group_of_unreaped();
                ExitStatus::Unknown
            }
            // Its pid may already be another process's: its group is not
            // killed.
            Err(e) if reaped_elsewhere(&e) => ExitStatus::Unknown,
            Err(e) => return Err(e),
            Ok(Peeked::Ended(peeked)) => {
                self.kill_group_of_unreaped();
                // Without WNOHANG, `Ok(None)` does not happen.
                match waitid_retrying(pidfd, WaitIdOptions::EXITED) {
                    Ok(reaped) => ExitStatus::from_waitid(&reaped.unwrap_or(peeked)),
                    // Reaped elsewhere since the peek: the peek saw how.
                    Err(e) if reaped_elsewhere(&e) => ExitStatus::from_waitid(&peeked),
                    Err(e) => return Err(e),
                }
            }
        };
        self.status = Some(status);
        before_close(pidfd.as_fd());
        self.pidfd = None;
        Ok(Some(status))
    }
}

/// What a peek at a child found.
enum Peeked {
    Ended(WaitIdStatus),
    /// Ended, and kept from us by a tracer that would not let go.
    Held,
    Running,
}

/// Whether `waitid` failed because another part of the application reaped
/// the process first (a `waitpid(-1)`): it ended, how is lost. Not where
/// the kernel reaps every child (`sigchld`), which stays an error: then no
/// node can be supervised.
fn reaped_elsewhere(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::ECHILD) && crate::sigchld::reaped_by_kernel().is_none()
}

/// Our child `pid`, held by a pidfd from now on, and whether it has ended
/// (left unreaped). `ECHILD` for a process that is not our child: a
/// `waitid` on a pidfd takes only one's own. Until we reap it, its pid
/// names it and nobody else: nothing read of `/proc/PID` meanwhile is about
/// a stranger unless another part of the application reaps it.
pub(crate) fn pin_child(pid: Pid) -> io::Result<(OwnedFd, bool)> {
    let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())?;
    let ended = waitid_retrying(&pidfd, PEEK)?.is_some();
    Ok((pidfd, ended))
}

/// A `waitid` that says whether, and how, the process ended, leaving it
/// unreaped.
const PEEK: WaitIdOptions = WaitIdOptions::EXITED
    .union(WaitIdOptions::NOHANG)
    .union(WaitIdOptions::NOWAIT);

fn waitid_retrying(
    pidfd: &OwnedFd,
    options: WaitIdOptions,
) -> io::Result<Option<rustix::process::WaitIdStatus>> {
    loop {
        match rustix::process::waitid(WaitId::PidFd(pidfd.as_fd()), options) {
            Err(rustix::io::Errno::INTR) => continue,
            other => return Ok(other?),
        }
    }
}
