//! Waiting for an answer from a helper the application started and a node
//! may reach: the carried program that starts a node in its scope, and a
//! scope's init.
//!
//! Once the carried program has joined a scope's user namespace, and from
//! the start for the init that made it, root in that scope may signal them.
//! A SIGSTOP would leave the application blocked on their answer, and every
//! graph it supervises frozen with it. So every such wait looks, every
//! [`CHECK_EVERY`], whether the helper is stopped — none ever stops itself,
//! so a helper found stopped [`STOPPED_LOOKS`] times in a row is not waited
//! out — and gives up after [`LIMIT`] whatever holds it up. The caller then kills the helper (SIGKILL ends a
//! stopped process too) and fails the start.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use rustix::process::{WaitId, WaitIdOptions};

use crate::process::Process;
use crate::sys::readable;

/// The longest a helper may take to answer.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);
/// How often a helper that has not answered is looked at.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(20);
/// When a start the event loop does not wait for is first looked at: most
/// are over by then, and cost no look at all (a graph starting 1,000 nodes
/// through the carried program at once would otherwise look at each every
/// [`CHECK_EVERY`] while the others start).
pub(crate) const FIRST_LOOK: Duration = Duration::from_millis(100);
/// How many looks in a row must find a helper stopped (100 ms): a stop and
/// continue of the whole application (`systemctl kill -s STOP`, then
/// `CONT`) may resume the application a moment before its helpers.
const STOPPED_LOOKS: u32 = 5;

/// The looks at one helper that has not answered yet: when it is past
/// [`LIMIT`], and how many looks in a row found it stopped.
#[derive(Debug)]
pub(crate) struct Looks {
    deadline: Instant,
    stopped_in_a_row: u32,
}

impl Looks {
    /// Looks at a helper asked from now on.
    pub(crate) fn new() -> Looks {
        Looks {
            deadline: Instant::now() + LIMIT,
            stopped_in_a_row: 0,
        }
    }

    /// Looks at a helper already past [`LIMIT`].
    #[cfg(test)]
    pub(crate) fn past_limit() -> Looks {
        Looks {
            deadline: Instant::now(),
            stopped_in_a_row: 0,
        }
    }

    /// How long until the helper is past [`LIMIT`].
    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// One look, [`CHECK_EVERY`] after the last: whether `helper` is to be
    /// given up on, found stopped [`STOPPED_LOOKS`] times in a row or past
    /// [`LIMIT`]. What it wrote before is still to be taken.
    pub(crate) fn held_up(&mut self, helper: &Process) -> bool {
        self.stopped_in_a_row = match stopped(helper) {
            true => self.stopped_in_a_row + 1,
            false => 0,
        };
        self.left().is_zero() || self.stopped_in_a_row == STOPPED_LOOKS
    }

    /// One look at `helper`, whose answer is to come on `answer`: whether
    /// to give it up, [`held_up`](Self::held_up) with nothing written
    /// before — what a helper wrote before it was stopped is still taken.
    pub(crate) fn gives_up(
        &mut self,
        helper: &Process,
        answer: BorrowedFd<'_>,
    ) -> io::Result<bool> {
        Ok(self.held_up(helper) && !readable(answer, Some(Duration::ZERO))?)
    }
}

/// Waits until `answer` is readable or hung up, while `helper` — a child
/// of this process, not yet reaped — is neither stopped nor past [`LIMIT`];
/// else `ETIMEDOUT`.
pub(crate) fn wait_for_answer(answer: BorrowedFd<'_>, helper: &Process) -> io::Result<()> {
    wait_looking(answer, helper, &mut Looks::new(), || {})
}

/// [`wait_for_answer`] for one of several answers, under `looks` kept
/// across them: a helper that answers a byte at a time is still given up
/// on at [`LIMIT`] from its first look, not from its last byte.
pub(crate) fn wait_for_more(
    answer: BorrowedFd<'_>,
    helper: &Process,
    looks: &mut Looks,
) -> io::Result<()> {
    wait_looking(answer, helper, looks, || {})
}

/// [`wait_for_answer`], calling `each_look` at every look.
fn wait_looking(
    answer: BorrowedFd<'_>,
    helper: &Process,
    looks: &mut Looks,
    mut each_look: impl FnMut(),
) -> io::Result<()> {
    loop {
        // Asked once more after the deadline: an application stopped past
        // it (job control, a debugger) finds the answer that came meanwhile.
        if readable(answer, Some(looks.left().min(CHECK_EVERY)))? {
            return Ok(());
        }
        each_look();
        if looks.gives_up(helper, answer)? {
            return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT));
        }
    }
}

/// Waits until `helper` has exited, under the same rules, calling
/// `each_look` at every look (what may hold up its exit is dealt with
/// there); does not reap it.
pub(crate) fn wait_for_exit(helper: &Process, each_look: impl FnMut()) -> io::Result<()> {
    match helper.pidfd() {
        // A pidfd is readable once its process has exited.
        Some(pidfd) => wait_looking(pidfd, helper, &mut Looks::new(), each_look),
        None => Ok(()),
    }
}

/// Whether `helper`, our child, is stopped by a signal. Asked of the
/// kernel's wait, which leaves it to be waited for again and does not
/// count a tracer's stop: a debugger or `strace` on a helper is no attack.
fn stopped(helper: &Process) -> bool {
    helper.pidfd().is_some_and(|pidfd| {
        let options = WaitIdOptions::STOPPED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        matches!(
            rustix::process::waitid(WaitId::PidFd(pidfd), options),
            Ok(Some(_))
        )
    })
}
