//! `watch`: what makes a graph's cgroups die with the application, even
//! when the application is killed with SIGKILL.
//!
//! No kernel mechanism ties a cgroup to a process's life, so one small
//! process per graph does: it holds a pidfd of the application, which turns
//! readable when the application's last thread has exited, however it died.
//! Then it writes `1` to the graph cgroup's `cgroup.kill` (SIGKILL to every
//! process of every node, forks racing with it included), waits for
//! `populated 0`, removes the cgroups and exits. While the graph ends
//! normally the application removes the cgroups itself, then SIGKILLs and
//! reaps the watcher.
//!
//! Why it holds:
//! - It lives in the application's cgroup, outside the graph's, so the
//!   graph's `cgroup.kill` cannot hit it; and it is started before any node,
//!   so no node exists without it.
//! - It is this program, with an address space of its own: the OOM killer,
//!   which kills every process sharing the victim's memory, does not take it
//!   with the application, and starting it costs the same whatever the
//!   application's size (a `fork` of the application would copy its page
//!   tables). It is non-dumpable, and processes in a scope's user namespace
//!   cannot reach it at all (their credentials are in a child namespace).
//! - Its parent-death signal is never armed (the application's child skips
//!   it for this mode); it blocks every signal but SIGKILL and SIGSTOP and
//!   runs in a process group of its own, so a terminal's Ctrl-C or a signal
//!   meant for the application's process group does not end it; it keeps
//!   only its own fds, so it holds no pipe end of the application's open.
//! - Its name (`comm`) is `pg-cgroup-watch`, so `ps` shows what it is.
//! - What it cannot survive: a SIGKILL aimed at it, or at the application's
//!   whole cgroup (then the graph's cgroups below it are killed too, and the
//!   empty ones left behind).

use crate::args::Args;
use crate::cgroup::{populated_in, remove_tree};
use crate::enter::{self, bad_arguments};
use crate::protocol::watch;
use crate::sys::{self, POLLIN, POLLPRI, PollFd};

pub(crate) fn run(args: &Args) -> ! {
    let c = enter::common(args);
    let (Some(parent), Some(graph), Some(events), Some(name)) = (
        args.number(watch::PARENT_FD),
        args.number(watch::GRAPH_FD),
        args.number(watch::EVENTS_FD),
        args.ptr(watch::NAME).zip(args.bytes(watch::NAME)),
    ) else {
        enter::fail(c.report, bad_arguments())
    };
    if args.count() != watch::COUNT {
        enter::fail(c.report, bad_arguments());
    }
    let (parent, graph, events) = (parent as i32, graph as i32, events as i32);
    // SAFETY: argv strings are NUL-terminated: the name with its NUL.
    let name = unsafe { core::slice::from_raw_parts(name.0, name.1.len() + 1) };
    let _ = sys::set_signal_mask(!0);
    let _ = sys::not_dumpable();
    let _ = sys::set_name(c"pg-cgroup-watch");
    // Our stdio is the application's: let go of it, then take a pidfd of the
    // application (fd 0 now). If it already died, we are reparented, and go
    // straight to the kill.
    let _ = sys::close_between(0, 2);
    let application = sys::pidfd_open(c.app_pid);
    let alive = application >= 0 && enter::parent_alive(&c).is_ok();
    // Every other fd goes, the report pipe among them, once it has told
    // the application that we run.
    sys::report(c.report, crate::protocol::step::OK, 0, crate::protocol::ITSELF);
    let mut keep = [parent, graph, events, application as i32];
    keep.sort_unstable();
    let mut next = 0u32;
    for fd in keep.into_iter().filter(|&fd| fd >= 0) {
        if fd as u32 > next {
            let _ = sys::close_between(next, fd as u32 - 1);
        }
        next = next.max(fd as u32 + 1);
    }
    let _ = sys::close_from(next);
    if alive {
        wait_for(application as i32, POLLIN);
    }
    if let Ok(kill) = u32::try_from(sys::open_write_at(graph, c"cgroup.kill")) {
        let _ = sys::write(kill as i32, b"1");
        sys::close(kill as i32);
    }
    loop {
        let mut text = [0u8; 128];
        let len = sys::read_from_start(events, &mut text);
        match text.get(..len.max(0) as usize) {
            Some(text) if len > 0 && populated_in(text) => wait_for(events, POLLPRI),
            // Empty, or unreadable (then removing fails harmlessly).
            _ => break,
        }
    }
    let _ = remove_tree(parent, name);
    sys::exit_group(0)
}

/// Waits, however long it takes, until `fd` reports `events`.
fn wait_for(fd: i32, events: i16) {
    loop {
        let mut fds = [PollFd {
            fd,
            events,
            revents: 0,
        }];
        let ret = sys::poll(&mut fds);
        if ret >= 0 || sys::errno_of(ret) != sys::EINTR {
            return;
        }
    }
}
