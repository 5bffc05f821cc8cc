//! A start through the carried program, until its report is in.
//!
//! The program says how a start went over a pipe: the process it became or
//! cloned, or the step that failed. The report comes once the program has
//! entered the scope and the node has reached `execve`, which a scope-mate
//! can slow without stopping anything (see `tests/scope_slowed_exec.rs`).
//! So a [`PendingStart`] is read as it comes: the event loop waits on its
//! pipe beside everything else and looks at the program every
//! [`CHECK_EVERY`](crate::held_up::CHECK_EVERY), and the blocking callers
//! (a scope's creation, the cgroup watcher) wait for it in
//! [`PendingStart::wait`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::process::{Pid, WaitId, WaitIdOptions};

use super::carried::{self, REPORT_LEN, Report, decode_words};
use crate::error::Step;
use crate::held_up::{self, Looks};
use crate::process::Process;

/// A start whose report has not all come yet.
#[derive(Debug)]
pub(crate) struct PendingStart {
    program: Process,
    /// The node's clone, once it has reported itself, which it does before
    /// anything else (and only while the program lives, see
    /// `carried/join.rs`): ours to kill whatever becomes of the program.
    clone: Option<Process>,
    /// The report pipe's read end, non-blocking.
    pipe: OwnedFd,
    bytes: [u8; REPORT_LEN],
    filled: usize,
    /// The program said it is about to `execve` the node itself: EOF next
    /// means it did, another report that it failed.
    executing: bool,
    /// The start is to be killed ([`cancel`](Self::cancel)).
    cancelled: bool,
    looks: Looks,
}

/// A report read whole (or the EOF that ends it), for
/// [`PendingStart::conclude`].
#[derive(Debug)]
pub(crate) struct Complete {
    report: Report,
    /// A helper the program cloned as our child, to be reaped.
    helper: Option<i32>,
}

impl PendingStart {
    /// The start `program` reports on through `pipe`, the read end, made
    /// non-blocking with the pipe.
    pub(crate) fn new(program: Process, pipe: OwnedFd) -> PendingStart {
        PendingStart {
            program,
            clone: None,
            pipe,
            bytes: [0; REPORT_LEN],
            filled: 0,
            executing: false,
            cancelled: false,
            looks: Looks::new(),
        }
    }

    /// The pipe to wait on: readable when more of the report, or its EOF,
    /// has come.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.pipe.as_fd()
    }

    /// The program's pid: the process starting, which becomes the command
    /// or clones it.
    pub(crate) fn pid(&self) -> rustix::process::Pid {
        self.program.pid()
    }

    /// The start is to be killed (a stop timeout, a probe's timeout): at
    /// once where that leaves nothing behind — the program once it is the
    /// node, about to `execve` it or in it, and the node's clone once it
    /// has reported itself (the report then ends as a start whose process
    /// was killed) — or as soon as either report is read. Before that, a
    /// clone may have been made whose report has yet to be read, so the
    /// program is left to report how the start went, and what the report
    /// brings is for the caller to kill
    /// ([`is_cancelled`](Self::is_cancelled)). Whether it was killed now.
    pub(crate) fn cancel(&mut self) -> bool {
        self.cancelled = true;
        self.kill_if_the_node()
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    fn kill_if_the_node(&self) -> bool {
        let node = match &self.clone {
            Some(clone) => clone,
            None if self.executing => &self.program,
            None => return false,
        };
        let _ = node.signal(crate::Signal::KILL);
        true
    }

    /// Reads what the pipe holds, without blocking: the report once it is
    /// complete, `None` while more is to come.
    pub(crate) fn read(&mut self) -> Option<Complete> {
        loop {
            if self.filled == REPORT_LEN {
                let helper = match decode_words(&self.bytes) {
                    [.., helper] if helper > 0 => Some(helper),
                    _ => None,
                };
                let report = Report::decode(&self.bytes);
                self.filled = 0;
                match (self.executing, report) {
                    (false, Report::Executing) => self.executing = true,
                    (false, Report::Cloning(pid)) if self.clone.is_none() => match adopt(pid) {
                        Ok(clone) => self.clone = Some(clone),
                        Err(errno) => return Some(Complete::of(unheld_clone(pid, errno))),
                    },
                    (true, Report::Executing) | (_, Report::Cloning(_)) => {
                        return Some(Complete {
                            report: Report::protocol_error(),
                            helper,
                        });
                    }
                    (_, report) => return Some(Complete { report, helper }),
                }
                // The node is known now: a kill asked for before is carried out.
                if self.cancelled {
                    self.kill_if_the_node();
                }
            }
            match rustix::io::read(&self.pipe, &mut self.bytes[self.filled..]) {
                Ok(0) => {
                    let report = match (self.executing, self.filled) {
                        // EOF after `EXECUTING`: the `execve` happened.
                        (true, 0) => Report::Itself,
                        (_, filled) => Report::decode(&self.bytes[..filled]),
                    };
                    return Some(Complete::of(report));
                }
                Ok(n) => self.filled += n,
                Err(Errno::AGAIN) => return None,
                Err(Errno::INTR) => {}
                Err(e) => {
                    let report = Report::Failed {
                        step: -1,
                        errno: e.raw_os_error(),
                        pid: 0,
                    };
                    return Some(Complete::of(report));
                }
            }
        }
    }

    /// One look at the program: whether it is held up (see
    /// [`crate::held_up`]), and the start to be given up on with
    /// [`abandon`](Self::abandon). The event loop looks every
    /// [`CHECK_EVERY`](held_up::CHECK_EVERY) at a node's start, and once
    /// per attempt at a probe's: a program found stopped at five looks in a
    /// row is held up, so a probe's after five attempts.
    pub(crate) fn held_up(&mut self) -> bool {
        self.looks.held_up(&self.program)
    }

    /// Gives up on a held-up start: kills the program and takes what it
    /// reported before, else fails the start with `ETIMEDOUT` (killing the
    /// clone it reported, if any).
    pub(crate) fn abandon(mut self) -> Result<Process, (Step, i32)> {
        let _ = self.program.signal(crate::Signal::KILL);
        // Dead (SIGKILL is prompt), so whatever it wrote is in the pipe.
        let _ = held_up::wait_for_exit(&self.program, || {});
        match self.read() {
            // A report it made before the kill; not the bare EOF the kill
            // made (`Died`), nor the end of an `execve` it was about to make
            // (the node will not run).
            Some(complete) if !self.executing && !matches!(complete.report, Report::Died) => {
                self.conclude(complete)
            }
            _ => self.conclude(Complete::of(Report::HeldUp)),
        }
    }

    /// Gives the start up and kills and reaps whatever it brought (an error
    /// while it was under way). What it brought was never in a wait set.
    pub(crate) fn discard(self) {
        if let Ok(mut process) = self.abandon() {
            process.kill_and_reap(|_| {});
        }
    }

    /// Waits for the whole report, giving up on a program held up: the
    /// limit runs from the start, however the report is cut up.
    pub(crate) fn wait(mut self) -> Result<Process, (Step, i32)> {
        loop {
            let waited = held_up::wait_for_more(self.pipe.as_fd(), &self.program, &mut self.looks);
            if waited.is_err() {
                return self.abandon();
            }
            if let Some(complete) = self.read() {
                return self.conclude(complete);
            }
        }
    }

    /// The process the report stands for: the program itself once it
    /// exec'd the node or became a scope's init or the watcher, or the
    /// process it cloned; or the step that failed. Reaps the program when it
    /// is not that process, and any helper it named; kills and reaps the
    /// node's clone when the start failed.
    pub(crate) fn conclude(self, complete: Complete) -> Result<Process, (Step, i32)> {
        let PendingStart {
            program, mut clone, ..
        } = self;
        // A helper the program cloned as our child: it has exited or is about
        // to (or, stopped by a process of the scope, is killed).
        if let Some(helper) = complete.helper.and_then(|pid| adopt(pid).ok()) {
            wait_exited(helper);
        }
        let result = match complete.report {
            Report::Itself => Ok(program),
            Report::Cloned(pid) => {
                // It exits right after this report, and runs in no cgroup the
                // node may freeze (`Launcher::clone_cgroups`); killed all the
                // same, so that nothing could hold this wait for the whole
                // limit (a frozen process is not "stopped", and a SIGKILL
                // reaches it).
                let _ = program.signal(crate::Signal::KILL);
                wait_exited(program);
                match clone.take() {
                    Some(node) if node.pid().as_raw_nonzero().get() == pid => Ok(node),
                    Some(other) => {
                        clone = Some(other);
                        Err((Step::ScopeProgram, libc::EPROTO))
                    }
                    // A scope's init.
                    None => adopt(pid).map_err(|errno| (Step::ScopeProgram, errno)),
                }
            }
            Report::Died | Report::Executing | Report::Cloning(_) => {
                wait_exited(program);
                Err((Step::Killed, libc::EINTR))
            }
            Report::HeldUp => {
                let _ = program.signal(crate::Signal::KILL);
                wait_exited(program);
                Err((Step::ScopeProgram, libc::ETIMEDOUT))
            }
            Report::Failed { step, errno, pid } => {
                // It exits right after this report: killed all the same, so
                // that a scope-mate stopping it there holds nothing up.
                let _ = program.signal(crate::Signal::KILL);
                wait_exited(program);
                // A scope's init that failed after its clone: dead or dying,
                // killed all the same, so that nothing holds this wait.
                if clone.is_none() {
                    clone = adopt(pid).ok();
                }
                Err((carried::node_step(step), errno))
            }
        };
        // The node's clone, where the start failed: it may be on its way to
        // its `execve`, or asleep in it.
        if let Some(mut clone) = clone {
            clone.kill_and_reap(|_| {});
        }
        result
    }
}

impl Complete {
    fn of(report: Report) -> Complete {
        Complete {
            report,
            helper: None,
        }
    }
}

/// Our child `pid`, which the program cloned with `CLONE_PARENT`, as a
/// process we hold by pidfd. Its pid cannot have been reused: we have not
/// reaped it, and nobody else can.
fn adopt(pid: i32) -> Result<Process, i32> {
    let pid = Pid::from_raw(pid).ok_or(libc::ESRCH)?;
    let (pidfd, _) =
        crate::process::pin_child(pid).map_err(|e| e.raw_os_error().unwrap_or(libc::EINVAL))?;
    Ok(Process::new(pid, pidfd))
}

/// A report of the node's clone `pid` (our child) that could not be
/// adopted (`errno`); the start fails. Where no pidfd could be opened for
/// lack of fds or memory, the clone is killed and reaped by its pid, still
/// its own as we have not reaped it. Any other failure says another part
/// of the application reaped it (`waitpid(-1)`), and its pid may be
/// another process's now: nothing is killed.
fn unheld_clone(pid: i32, errno: i32) -> Report {
    let no_room = [libc::EMFILE, libc::ENFILE, libc::ENOMEM].contains(&errno);
    if let Some(pid) = Pid::from_raw(pid).filter(|_| no_room) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
    }
    Report::clone_failed(errno)
}

/// Waits for the program to exit, killing it if it is held up, and reaps
/// it, without touching its process group: it may hold the init the program
/// just cloned, which has yet to leave it.
fn wait_exited(process: Process) {
    if held_up::wait_for_exit(&process, || {}).is_err() {
        let _ = process.signal(crate::Signal::KILL);
    }
    if let Some(pidfd) = process.pidfd() {
        while let Err(Errno::INTR) =
            rustix::process::waitid(WaitId::PidFd(pidfd), WaitIdOptions::EXITED)
        {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program that writes its report a byte at a time is given up on at
    /// the limit from the start's first look, not from its last byte.
    #[test]
    fn a_report_cut_up_does_not_renew_the_limit() {
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .expect("spawn sleep");
        let program = adopt(child.id() as i32).expect("our child");
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::NONBLOCK).unwrap();
        let mut start = PendingStart::new(program, read);
        start.looks = Looks::past_limit();
        rustix::io::write(&write, &[0]).unwrap();
        let began = std::time::Instant::now();
        let result = start.wait();
        assert!(
            began.elapsed() < std::time::Duration::from_secs(10),
            "waited {:?}: the limit began again at the byte",
            began.elapsed()
        );
        assert_eq!(result.unwrap_err(), (Step::ScopeProgram, libc::ETIMEDOUT));
        // Killed and reaped by `wait`: its pid is no longer ours to wait for.
        assert!(child.try_wait().is_err(), "the program was left unreaped");
    }

    /// A program held up before it reported anything fails the start as
    /// held up, not as killed: the EOF that follows is the kill's own.
    #[test]
    fn a_program_given_up_on_before_its_first_word_was_held_up() {
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::NONBLOCK).unwrap();
        // The program holds the pipe's only write end, as the carried one does.
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .stdout(write)
            .spawn()
            .expect("spawn sleep");
        let program = adopt(child.id() as i32).expect("our child");
        let mut start = PendingStart::new(program, read);
        start.looks = Looks::past_limit();
        assert_eq!(
            start.wait().unwrap_err(),
            (Step::ScopeProgram, libc::ETIMEDOUT)
        );
        assert!(child.try_wait().is_err(), "the program was left unreaped");
    }
}
