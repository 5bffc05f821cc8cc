//! The watcher: what makes a graph's cgroups die with the application, even
//! when the application is killed with SIGKILL.
//!
//! No kernel mechanism ties a cgroup to a process's life, so one small
//! process per graph does: it holds a pidfd of the application, which turns
//! readable when the application's last thread has exited, however it
//! died. Then it writes `1` to the graph cgroup's `cgroup.kill` (SIGKILL to
//! every process of every node, forks racing with it included), waits for
//! `populated 0`, removes the cgroups and exits. While the graph ends
//! normally the application removes the cgroups itself, then SIGKILLs and
//! reaps the watcher.
//!
//! Why it holds:
//! - It lives in the application's cgroup, outside the graph's, so the
//!   graph's `cgroup.kill` cannot hit it; and it is created before any node,
//!   so no node exists without it.
//! - It has an address space of its own (a `fork`, not `CLONE_VM`): the
//!   OOM killer, which kills every process sharing the victim's memory,
//!   cannot take it down with the application, and writing its memory
//!   changes nothing in the application. It is made non-dumpable, so only a
//!   process with CAP_SYS_PTRACE may read its copy of the application's
//!   memory; processes in a scope's user namespace cannot reach it at all
//!   (their credentials are in a child namespace).
//! - It blocks every signal (only SIGKILL and SIGSTOP remain) and leaves
//!   the application's session, so a terminal's Ctrl-C or a signal meant for
//!   the application's process group does not end it; it keeps only its own
//!   fds, so it holds no pipe end of the application's open.
//! - Its name (`comm`) is `pg-cgroup-watch`, so `ps` shows what it is.
//! - What it cannot survive: a SIGKILL aimed at it, or at the application's
//!   whole cgroup (then the graph's cgroups below it are killed too, and the
//!   empty ones left behind).
//!
//! It runs in a forked child of a possibly multi-threaded process, so the
//! rules of [`crate::spawn::child`] hold: no allocation, no locks, no
//! panics, raw system calls only (rustix's linux_raw backend and
//! [`crate::sys`]), and it leaves with `exit_group`.

use core::ffi::c_void;
use std::ffi::CStr;
use std::os::fd::BorrowedFd;

use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::DumpableBehavior;

use super::handle::populated_in;
use super::remove::remove_tree;
use crate::sys::{self, Closing};

/// What the watcher needs, prepared by the application. The watcher reads
/// its own copy (it has its own address space from the fork on).
#[derive(Debug)]
pub(crate) struct WatcherContext<'a> {
    /// A pidfd of the application.
    pub(crate) application: BorrowedFd<'a>,
    /// The application's cgroup directory, where the graph's cgroup is.
    pub(crate) parent: BorrowedFd<'a>,
    /// The graph's cgroup directory.
    pub(crate) graph: BorrowedFd<'a>,
    /// The graph's `cgroup.events`.
    pub(crate) events: BorrowedFd<'a>,
    /// The graph cgroup's name in `parent`.
    pub(crate) name: &'a CStr,
}

/// The watcher's entry point (see the module's documentation).
///
/// # Safety
///
/// `arg` points to a [`WatcherContext`] in the watcher's own copy of the
/// application's memory; the process must not share memory with the
/// application.
pub(crate) unsafe extern "C" fn watcher_main(arg: *mut c_void) -> ! {
    // SAFETY: guaranteed by the caller.
    let ctx = unsafe { &*arg.cast::<WatcherContext<'_>>() };
    // Every signal that can be blocked is; the mask survives nothing else.
    let _ = sys::set_signal_mask(!0);
    let _ = rustix::process::setsid();
    let _ = rustix::process::set_dumpable_behavior(DumpableBehavior::NotDumpable);
    let _ = rustix::thread::set_name(c"pg-cgroup-watch");
    let mut keep = [
        ctx.application,
        ctx.parent,
        ctx.graph,
        ctx.events,
    ]
    .map(|fd| std::os::fd::AsRawFd::as_raw_fd(&fd));
    keep.sort_unstable();
    let _ = sys::close_range(0, 2, 0);
    let _ = sys::close_fds_except(keep, Closing::Now);

    wait_for(ctx.application, PollFlags::IN);
    kill(ctx.graph);
    loop {
        let mut text = [0u8; 128];
        match rustix::io::pread(ctx.events, &mut text, 0) {
            Ok(len) if populated_in(text.get(..len).unwrap_or(&[])) => {
                wait_for(ctx.events, PollFlags::PRI);
            }
            // Empty, or unreadable (then removing fails harmlessly).
            _ => break,
        }
    }
    let _ = remove_tree(ctx.parent, ctx.name);
    sys::exit_group(0)
}

/// Waits, however long it takes, until `fd` reports `flags`.
fn wait_for(fd: BorrowedFd<'_>, flags: PollFlags) {
    loop {
        let mut fds = [PollFd::from_borrowed_fd(fd, flags)];
        match poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => continue,
            _ => return,
        }
    }
}

/// Writes `1` to `cgroup.kill` of the cgroup directory `dir`.
fn kill(dir: BorrowedFd<'_>) {
    use rustix::fs::{Mode, OFlags, openat};
    if let Ok(file) = openat(dir, c"cgroup.kill", OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty()) {
        let _ = rustix::io::write(&file, b"1");
    }
}
