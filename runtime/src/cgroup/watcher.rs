//! The application's cgroup watcher: the carried program's `watch` mode
//! (`carried/watch.rs`), which outlives the application to end its graphs'
//! cgroups if it dies first. One per process and per cgroup directory it
//! makes graphs in, started by the first graph there and left running: a
//! watcher per graph cost every spawn a process start, a SIGKILL and a
//! reap, about 200 µs, four times a one-node graph's own spawn and wait.
//!
//! The application holds no fd of it: a watcher is known by its pid and
//! its start time (a pid alone may name another process once the watcher
//! has been reaped by someone else), checked at each graph's creation.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use rustix::process::{Pid, WaitId, WaitIdOptions, getpid};

use crate::kernel_file::ProcStat;
use crate::owner::Owner;
use crate::spawn::{Entry, ExecSpec, FdMove, ProgramFds, spawn_process, watch_arguments};

/// A running watcher of this process.
struct Watcher {
    /// The cgroup directory it watches.
    dir: PathBuf,
    /// The process that started it: a forked child's copy is its parent's.
    owner: Owner,
    pid: Pid,
    /// Its start time (`/proc/PID/stat`), which tells it from a process
    /// that got its pid later.
    started: u64,
    /// SIGKILLed, not yet reaped: it watches nothing, and is kept only to
    /// be reaped once it has died.
    dying: bool,
}

static WATCHERS: Mutex<Vec<Watcher>> = Mutex::new(Vec::new());

/// What the names of this process's graph cgroups start with: its pid and
/// a token drawn once per process, so that a watcher matches its own
/// application's graphs and no other's (two applications in different pid
/// namespaces may share a pid and a cgroup).
pub(crate) fn prefix() -> io::Result<String> {
    static TOKEN: OnceLock<String> = OnceLock::new();
    let token = match TOKEN.get() {
        Some(token) => token,
        None => {
            let drawn = crate::random::random_hex()?;
            TOKEN.get_or_init(|| drawn)
        }
    };
    Ok(format!(
        "process-graph-{}-{token}-",
        getpid().as_raw_nonzero()
    ))
}

/// Makes sure a watcher of this process watches `dir`, open as `parent`:
/// starts one if there is none, or if the last one died or is dying (a
/// SIGKILL aimed at it), reaping it once it is dead.
pub(crate) fn ensure(dir: &Path, parent: BorrowedFd<'_>) -> io::Result<()> {
    let mut watchers = WATCHERS.lock().unwrap_or_else(PoisonError::into_inner);
    watchers.retain_mut(|w| w.owner.is_current() && w.is_there());
    if watchers.iter().any(|w| w.dir == dir && !w.dying) {
        return Ok(());
    }
    let pid = start(parent)?;
    // Read at once: the watcher runs until the application ends.
    let started = Stat::of(pid)
        .ok_or_else(|| io::Error::other("the cgroup watcher is gone as it started"))?
        .started;
    watchers.push(Watcher {
        dir: dir.to_owned(),
        owner: Owner::current(),
        pid,
        started,
        dying: false,
    });
    Ok(())
}

impl Watcher {
    /// Whether it is still there to keep: reaps it if it has ended, and
    /// marks it dying if a SIGKILL is pending in it — from the moment `kill`
    /// returns, before it has run to die: such a watcher is as good as gone,
    /// and a graph made now would have none. Nothing waits for it to die.
    fn is_there(&mut self) -> bool {
        let Some(stat) = Stat::of(self.pid) else {
            return false; // reaped by someone else
        };
        if stat.started != self.started {
            return false; // reaped by someone else; the pid is another's now
        }
        if stat.state != 'Z' {
            self.dying |= stat.pending & SIGKILL_BIT != 0
                || stat.flags & (PF_EXITING | PF_SIGNALED) != 0
                // Running, as a watcher taking its SIGKILL is: it may be
                // just past taking it off its own pending set and not yet
                // flagged (a read of `stat` waits on the lock it takes it
                // under, so lands right there). The process-wide set keeps
                // a `kill`'s SIGKILL until the end.
                || (stat.state == 'R' && shared_sigkill_pending(self.pid));
            return true;
        }
        // Ours, and a zombie: its pid names nobody else until this reap.
        let _ = rustix::process::waitid(
            WaitId::Pid(self.pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOHANG,
        );
        false
    }
}

/// Whether SIGKILL is pending for the whole process (`ShdPnd` in
/// `/proc/PID/status`), as `kill` and `pidfd_send_signal` leave it.
fn shared_sigkill_pending(pid: Pid) -> bool {
    crate::kernel_file::proc_status_line(pid.as_raw_nonzero().get(), "ShdPnd")
        .and_then(|hex| u64::from_str_radix(&hex, 16).ok())
        .is_some_and(|set| set & SIGKILL_BIT != 0)
}

/// The bit of SIGKILL in a signal set.
const SIGKILL_BIT: u64 = 1 << (9 - 1);
/// The kernel's flag of a task in `do_exit`.
const PF_EXITING: u64 = 0x4;
/// The kernel's flag of a task that took a fatal signal, set before
/// `PF_EXITING`.
const PF_SIGNALED: u64 = 0x400;

/// What a watcher's `/proc/PID/stat` says, read once.
struct Stat {
    state: char,
    /// The signals pending for it (a fatal one among them as soon as it is
    /// sent, until it takes it to die).
    pending: u64,
    /// Its task flags: `PF_SIGNALED` from just after it took the signal off
    /// its own pending set, then `PF_EXITING` until it is a zombie.
    flags: u64,
    /// Its start time, which tells it from a process that got its pid later.
    started: u64,
}

impl Stat {
    /// `None` once it is reaped.
    fn of(pid: Pid) -> Option<Stat> {
        let stat = ProcStat::of(pid.as_raw_nonzero().get())?;
        Some(Stat {
            state: stat.field(0)?,
            pending: stat.field(28)?,
            flags: stat.field(6)?,
            started: stat.field(19)?,
        })
    }
}

/// Starts a watcher of the cgroup directory `parent`. Its pidfd is closed
/// at once: it is never waited for while the application lives.
fn start(parent: BorrowedFd<'_>) -> io::Result<Pid> {
    let entry = Entry {
        app_pid: getpid().as_raw_nonzero().get(),
        fds: ProgramFds {
            report: WATCH_REPORT_FD,
            scope: None,
            node_cgroup: None,
        },
        join_flags: 0,
    };
    let argv = watch_arguments(&entry, WATCH_PARENT_FD, &prefix()?);
    let exec = ExecSpec::watcher(argv, entry.fds);
    let fds = vec![FdMove {
        src: parent.as_raw_fd(),
        target: WATCH_PARENT_FD,
    }];
    let process = spawn_process(&exec, fds, getpid(), &[], None).map_err(|(step, errno)| {
        io::Error::new(
            io::Error::from_raw_os_error(errno).kind(),
            format!(
                "start the cgroup watcher: {step} failed: {}",
                io::Error::from_raw_os_error(errno)
            ),
        )
    })?;
    Ok(process.pid())
}

/// Where the watcher gets the application's cgroup directory, and its
/// report pipe above it.
const WATCH_PARENT_FD: i32 = 3;
const WATCH_REPORT_FD: i32 = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn the_stat_of_a_process_and_of_none() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(child.id() as i32).unwrap();
        let stat = Stat::of(pid).unwrap();
        assert_ne!(stat.state, 'Z', "running, not ended");
        assert_eq!(stat.pending & SIGKILL_BIT, 0);
        assert!(stat.started >= Stat::of(getpid()).unwrap().started);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(Stat::of(pid).is_none(), "reaped: no such process");
    }

    /// A watcher SIGKILLed just before a graph is made is replaced by that
    /// graph, not taken for running because it has not yet died.
    #[test]
    fn a_watcher_killed_just_before_a_graph_is_replaced_by_it() {
        let app = match crate::cgroup::discover::discover() {
            Ok(app) => app,
            Err(reason) => return eprintln!("skipped: no cgroups here: {reason}"),
        };
        let parent = rustix::fs::open(
            &app.dir,
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )
        .unwrap();
        let watcher_of = || {
            let watchers = WATCHERS.lock().unwrap();
            let w = watchers
                .iter()
                .find(|w| w.dir == app.dir && !w.dying)
                .unwrap();
            (w.pid, w.started)
        };
        let mut all_killed = Vec::new();
        for round in 0..50 {
            ensure(&app.dir, parent.as_fd()).unwrap();
            let (killed, started) = watcher_of();
            all_killed.push((killed, started));
            rustix::process::kill_process(killed, rustix::process::Signal::KILL).unwrap();
            ensure(&app.dir, parent.as_fd()).unwrap();
            let (pid, started) = watcher_of();
            assert_ne!(
                pid, killed,
                "round {round}: the killed watcher counts as running"
            );
            let stat = Stat::of(pid).unwrap();
            assert_eq!(stat.started, started);
            assert!(stat.state != 'Z' && stat.pending & SIGKILL_BIT == 0);
            assert_eq!(stat.flags & PF_EXITING, 0);
        }
        // Dead by now; the next graph reaps them, leaving no zombie.
        std::thread::sleep(std::time::Duration::from_millis(100));
        ensure(&app.dir, parent.as_fd()).unwrap();
        for (pid, started) in all_killed {
            let left = Stat::of(pid).filter(|s| s.started == started);
            assert!(
                left.is_none(),
                "watcher {pid:?} is left: {:?}",
                left.map(|s| s.state)
            );
        }
    }
}
