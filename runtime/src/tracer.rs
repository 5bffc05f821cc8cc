//! An ended child that a tracer keeps from us.
//!
//! A zombie ptracee is its tracer's to wait for first: until the tracer
//! waits for it, detaches or dies, the parent's `waitid` does not show it,
//! though its pidfd reads as ended. A node may trace its own processes (in
//! a scope, root there may trace every scope-mate; dropped to another uid,
//! every process of that uid) and never wait: its end would then never be
//! seen, a blocking reap would block for as long as the tracer lives, and
//! its pidfd in the wait set would wake the event loop at every turn
//! (`tests/traced_ends.rs`). So a child whose pidfd says it has ended, but
//! that `waitid` does not show, is given [`GRACE`] — a debugger such as
//! `strace -f` waits for its tracee's end at once — and then its tracer is
//! SIGKILLed: a dying tracer hands its tracees back (`exit_ptrace`), before
//! it reads as ended itself.

use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

use crate::sys::readable;

/// How long an ended child's tracer has to wait for it before it is killed.
const GRACE: Duration = Duration::from_millis(50);

/// How often `shown` is asked during [`GRACE`].
const LOOK_EVERY: Duration = Duration::from_millis(5);

/// How long a killed tracer has to die.
const DEATH: Duration = Duration::from_secs(1);

/// `PIDFD_THREAD`: a tracer is a thread, not necessarily its process's
/// leader (Linux 6.9; rustix has no name for it).
const PIDFD_THREAD: u32 = libc::O_EXCL as u32;

/// Whether the process of `pidfd` has ended (its pidfd is readable).
pub(crate) fn ended(pidfd: BorrowedFd<'_>) -> bool {
    readable(pidfd, Some(Duration::ZERO)).unwrap_or(false)
}

/// Waits until the process of `pidfd` has ended, for as long as it takes.
pub(crate) fn wait_ended(pidfd: BorrowedFd<'_>) {
    let _ = readable(pidfd, None);
}

/// Hands our ended child `pid` back from its tracer: waits up to [`GRACE`]
/// for `shown` (our `waitid` shows it), then SIGKILLs the tracer and waits
/// up to [`DEATH`] for it to die. Nothing is killed where the tracer is
/// this process, or gone.
pub(crate) fn release(pid: Pid, shown: impl Fn() -> bool) {
    let until = Instant::now() + GRACE;
    while Instant::now() < until {
        if shown() {
            return;
        }
        std::thread::sleep(LOOK_EVERY);
    }
    let Some(tracer) = tracer_of(pid).filter(|&t| t != rustix::process::getpid()) else {
        return;
    };
    let opened = pidfd_open(tracer, PidfdFlags::empty())
        .or_else(|_| pidfd_open(tracer, PidfdFlags::from_bits_retain(PIDFD_THREAD)));
    let Ok(pidfd) = opened else {
        return;
    };
    // Still its tracer after the open: the pidfd is of the tracer, not of a
    // process that took its pid since.
    if tracer_of(pid) != Some(tracer) {
        return;
    }
    if pidfd_send_signal(&pidfd, Signal::KILL).is_ok() {
        let _ = readable(pidfd.as_fd(), Some(DEATH));
    }
}

/// The tracer of `pid` (`TracerPid`, numbered in our pid namespace), if
/// any.
fn tracer_of(pid: Pid) -> Option<Pid> {
    let tracer = crate::kernel_file::proc_status_line(pid.as_raw_nonzero().get(), "TracerPid")?;
    Pid::from_raw(tracer.parse().ok()?)
}
