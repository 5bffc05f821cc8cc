//! Waiting for an answer from a helper the application started and a node
//! may reach: the carried program that starts a node in its scope, and a
//! scope's init.
//!
//! Once the carried program has joined a scope's user namespace, and from
//! the start for the init that made it, root in that scope may signal them.
//! A SIGSTOP would leave the application blocked on their answer, and every
//! graph it supervises frozen with it. So every such wait looks, every
//! [`CHECK_EVERY`], whether the helper is stopped — none ever stops itself,
//! so a stopped helper is not waited out — and gives up after [`LIMIT`]
//! whatever holds it up. The caller then kills the helper (SIGKILL ends a
//! stopped process too) and fails the start.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::kernel_file::ProcStat;
use crate::process::Process;

/// The longest a helper may take to answer.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);
/// How often a helper that has not answered is looked at.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// Waits until `answer` is readable or hung up, while `helper` is neither
/// stopped nor past [`LIMIT`]; else `ETIMEDOUT`.
pub(crate) fn wait_for_answer(answer: BorrowedFd<'_>, helper: &Process) -> io::Result<()> {
    let deadline = Instant::now() + LIMIT;
    loop {
        // Asked once more after the deadline: an application stopped past
        // it (job control, a debugger) finds the answer that came meanwhile.
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = Timespec::try_from(left.min(CHECK_EVERY)).map_err(io::Error::other)?;
        match poll(&mut [PollFd::new(&answer, PollFlags::IN)], Some(&wait)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => {}
            Ok(_) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if left.is_zero() || stopped(helper) {
            return Err(held_up());
        }
    }
}

/// Waits until `helper` has exited, under the same rules; does not reap it.
pub(crate) fn wait_for_exit(helper: &Process) -> io::Result<()> {
    match helper.pidfd() {
        // A pidfd is readable once its process has exited.
        Some(pidfd) => wait_for_answer(pidfd, helper),
        None => Ok(()),
    }
}

/// Whether `process` is stopped (by a signal, or under a tracer).
fn stopped(process: &Process) -> bool {
    ProcStat::of(process.pid().as_raw_nonzero().get())
        .and_then(|stat| stat.field::<char>(0))
        .is_some_and(|state| matches!(state, 'T' | 't'))
}

fn held_up() -> io::Error {
    io::Error::from_raw_os_error(libc::ETIMEDOUT)
}
