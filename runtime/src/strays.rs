//! The application's ended children that the graph did not start: what a
//! node cloned with `CLONE_PARENT`.
//!
//! Such a clone's parent is the node's parent, the application, and a node
//! may make as many as it likes: each that ends stays the application's
//! zombie, holding its pid, until someone waits for it. Nobody else will —
//! the application never learned of it — so the runtime reaps those it can
//! tell apart from the application's own children: by the cgroup of a node
//! that has ended (`supervise::driver::strays`, and the graph's at its end),
//! or by the pid namespace of a scope that is ending (`scope::strays`). A
//! child of the application that no such test names is never reaped here.
//!
//! Finding them costs one `waitid` when no child has ended: it peeks at the
//! first ended child, and only when that one is not a stray — the
//! application's own, or a node's exit the graph reaps next — are the
//! application's children listed.

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};

/// How long [`reap_pinned`] waits, in all, for strays to finish exiting.
const EXITING: Duration = Duration::from_millis(50);

/// What [`reap_seen`] left to look at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swept {
    /// Every ended stray it could see is reaped.
    All,
    /// It stopped at an ended child that `awaited` named: a node's exit,
    /// which hides what ended after it until the graph reaps it.
    UntilAwaitedReaped,
}

/// Reaps every ended child of the application that `is_stray` names, as a
/// `waitid` shows them, listing the children only once it shows one that
/// is not. The children `awaited` names are someone's to reap (a node's
/// process, which the graph reaps itself): never reaped here, and shown
/// first, they end the look ([`Swept::UntilAwaitedReaped`]).
pub(crate) fn reap_seen(is_stray: impl Fn(Pid) -> bool, awaited: impl Fn(Pid) -> bool) -> Swept {
    loop {
        let Some(first) = first_ended() else {
            return Swept::All;
        };
        if awaited(first) {
            return Swept::UntilAwaitedReaped;
        }
        // Not a stray (or not reapable: a tracee stopped, which a peek
        // shows too): it hides those behind it, so they are listed.
        if !matches!(pinned_ended(first), Some(pidfd) if is_stray(first) && reaped(&pidfd)) {
            break;
        }
    }
    reap_listed(is_stray, awaited);
    Swept::All
}

/// Reaps every ended child of the application that `is_stray` names and
/// `awaited` does not, as listed.
fn reap_listed(is_stray: impl Fn(Pid) -> bool, awaited: impl Fn(Pid) -> bool) {
    for child in children().into_iter().filter(|&child| !awaited(child)) {
        if let Some(pidfd) = pinned_ended(child)
            && is_stray(child)
        {
            reaped(&pidfd);
        }
    }
}

/// `pid`, pinned by a pidfd, if it is a child of the application, ended or
/// not, left unreaped.
pub(crate) fn pinned_child(pid: Pid) -> Option<OwnedFd> {
    crate::process::pin_child(pid).ok().map(|(pidfd, _)| pidfd)
}

/// Reaps the children `pinned` holds, waiting up to [`EXITING`] in all for
/// those that have not ended: they were killed, and are on their way out.
pub(crate) fn reap_pinned(pinned: impl IntoIterator<Item = OwnedFd>) {
    let deadline = Instant::now() + EXITING;
    for pidfd in pinned {
        let wait = deadline.saturating_duration_since(Instant::now());
        if matches!(crate::sys::readable(pidfd.as_fd(), Some(wait)), Ok(true)) {
            reaped(&pidfd);
        }
    }
}

/// The ended child of the application that a `waitid` would take first,
/// left unreaped; `None` when none has ended.
fn first_ended() -> Option<Pid> {
    // SAFETY: an all-zero `siginfo_t` is valid for `waitid` to fill in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let options = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: `P_ALL` takes no id; `info` is ours to write.
    if unsafe { libc::waitid(libc::P_ALL, 0, &mut info, options) } != 0 {
        return None;
    }
    // SAFETY: filled in by a successful `waitid` (`si_pid` 0: none ended).
    Pid::from_raw(unsafe { info.si_pid() })
}

/// `pid`, pinned by a pidfd, if it is an ended child of the application.
fn pinned_ended(pid: Pid) -> Option<OwnedFd> {
    let (pidfd, ended) = crate::process::pin_child(pid).ok()?;
    ended.then_some(pidfd)
}

/// Reaps `pidfd`'s process, if it is an ended child of the application.
fn reaped(pidfd: &OwnedFd) -> bool {
    let reap = WaitIdOptions::EXITED | WaitIdOptions::NOHANG;
    matches!(waitid(WaitId::PidFd(pidfd.as_fd()), reap), Ok(Some(_)))
}

/// The application's children: every thread's `/proc/self/task/TID/children`
/// (where the kernel has them, `CONFIG_PROC_CHILDREN`), else every process
/// of `/proc`, which the waits sort out (`ECHILD`).
fn children() -> Vec<Pid> {
    if !std::path::Path::new("/proc/thread-self/children").exists() {
        return crate::kernel_file::every_process();
    }
    let threads = std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten();
    // A thread that exited meanwhile has no file left, and no children.
    let lists = threads.filter_map(|thread| std::fs::read(thread.path().join("children")).ok());
    lists
        .flat_map(|list| {
            list.split(|&b| b == b' ')
                .filter_map(|pid| std::str::from_utf8(pid).ok()?.parse().ok())
                .filter_map(Pid::from_raw)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that has exited, unreaped.
    #[expect(clippy::zombie_processes, reason = "the zombie is what the test needs")]
    fn ended_child() -> Pid {
        let child = std::process::Command::new("true").spawn().unwrap();
        let pid = Pid::from_raw(child.id() as i32).unwrap();
        let (pidfd, _) = crate::process::pin_child(pid).unwrap();
        crate::sys::readable(pidfd.as_fd(), None).unwrap();
        pid
    }

    fn unreaped(pid: Pid) -> bool {
        pinned_ended(pid).is_some()
    }

    #[test]
    fn reaps_only_the_children_named_strays_and_never_an_awaited_one() {
        let (stray, own, awaited) = (ended_child(), ended_child(), ended_child());
        let is_stray = |pid| pid == stray || pid == awaited;
        reap_seen(is_stray, |pid| pid == awaited);
        assert!(!unreaped(stray), "the stray is reaped");
        assert!(unreaped(own), "the application's own child is left");
        assert!(unreaped(awaited), "the awaited child is left");
        reap_listed(|pid| pid == own || pid == awaited, |pid| pid == awaited);
        assert!(!unreaped(own));
        assert!(unreaped(awaited));
        reap_pinned(pinned_child(awaited));
        assert!(!unreaped(awaited));
    }
}
