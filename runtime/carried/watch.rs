//! `watch`: what makes an application's graph cgroups die with it, even
//! when the application is killed with SIGKILL.
//!
//! No kernel mechanism ties a cgroup to a process's life, so one small
//! process per application (and per cgroup it makes graphs in) does: it
//! holds a pidfd of the application, which turns readable when the
//! application's last thread has exited, however it died. Then, for every
//! graph cgroup in the application's cgroup whose name starts with the
//! application's prefix (`process-graph-PID-TOKEN-`: its pid, and a random
//! token of its own, so that no other process's graphs match), it writes
//! `1` to `cgroup.kill` (SIGKILL to every process of every node, forks
//! racing with it included), waits for `populated 0`, removes the cgroups,
//! and exits. While the application lives, its graphs remove their own
//! cgroups as they end, and the watcher stays for the next graph: a graph's
//! spawn starts no process of its own for this.
//!
//! Why it holds:
//! - It lives in the application's cgroup, outside the graphs', so no
//!   graph's `cgroup.kill` can hit it; and it is started before the first
//!   graph's first node, so no node exists without it.
//! - It is this program, with an address space of its own: the OOM killer,
//!   which kills every process sharing the victim's memory, does not take it
//!   with the application, and starting it costs the same whatever the
//!   application's size (a `fork` of the application would copy its page
//!   tables). It is non-dumpable, so nothing in a scope's user namespace
//!   may ptrace it or read its memory; under a root application a scope is
//!   an unprivileged uid of its own outside, which may not signal it either,
//!   and a scope with a pid namespace cannot name it at all. (A scope of an
//!   unprivileged application without a pid namespace is the application's
//!   uid outside, and may signal it as it may the application:
//!   `tests/cgroup_watcher_attacks.rs`.)
//! - Its parent-death signal is never armed (the application's child skips
//!   it for this mode); it blocks every signal but SIGKILL and SIGSTOP and
//!   runs in a process group of its own, so a terminal's Ctrl-C or a signal
//!   meant for the application's process group does not end it; it keeps
//!   only its own fds, so it holds no pipe end of the application's open.
//! - Its name (`comm`) is `pg-cgroup-watch`, so `ps` shows what it is.
//! - What it cannot survive: a SIGKILL aimed at it (the application's next
//!   graph starts another), or at the application's whole cgroup (then the
//!   graphs' cgroups below it are killed too, and the empty ones left
//!   behind).

use crate::args::Args;
use crate::cgroup::{for_each_directory, populated_in, remove_tree};
use crate::enter::{self, bad_arguments};
use crate::protocol::watch;
use crate::sys::{self, POLLIN, POLLPRI, PollFd};

pub(crate) fn run(args: &Args) -> ! {
    let c = enter::common(args);
    let (Some(parent), Some(prefix)) = (args.number(watch::PARENT_FD), args.bytes(watch::PREFIX))
    else {
        enter::fail(c.report, bad_arguments())
    };
    if args.count() != watch::COUNT || prefix.is_empty() {
        enter::fail(c.report, bad_arguments());
    }
    let parent = parent as i32;
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
    sys::report(
        c.report,
        crate::protocol::step::OK,
        0,
        crate::protocol::ITSELF,
    );
    let mut keep = [parent, application as i32];
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
    // A graph removed while listing may hide one listed after it (the
    // listing's offsets move): list again while a pass removes a graph. A
    // pass that removes none moved nothing, so it saw every graph there
    // is; what it could not end stays (another pass would only kill and
    // wait for it again). Bounded: a process of the application's uid may
    // make cgroups named like its graphs as fast as they are removed.
    for _ in 0..MAX_PASSES {
        let mut removed = 0u32;
        for_each_directory(parent, |name| {
            if name.starts_with(prefix) && end_graph(parent, name) {
                removed += 1;
            }
        });
        if removed == 0 {
            break;
        }
    }
    sys::exit_group(0)
}

/// How many times at most the application's cgroup is listed.
const MAX_PASSES: u32 = 4;

/// Kills everything in the graph cgroup `name` (NUL-terminated) of
/// `parent`, waits until it is empty, and removes it with its nodes'.
/// Returns whether it is gone: removed here, or by someone else already.
fn end_graph(parent: i32, name: &[u8]) -> bool {
    let graph = sys::open_read_at(parent, name, true);
    let Ok(graph) = u32::try_from(graph) else {
        // Gone already, or not ours to open.
        return sys::errno_of(graph) == sys::ENOENT;
    };
    let graph = graph as i32;
    if let Ok(kill) = u32::try_from(sys::open_write_at(graph, c"cgroup.kill")) {
        let _ = sys::write(kill as i32, b"1");
        sys::close(kill as i32);
    }
    if let Ok(events) = u32::try_from(sys::open_read_at(graph, b"cgroup.events\0", false)) {
        loop {
            let mut text = [0u8; 128];
            let len = sys::read_from_start(events as i32, &mut text);
            match text.get(..len.max(0) as usize) {
                Some(text) if len > 0 && populated_in(text) => wait_for(events as i32, POLLPRI),
                // Empty, or unreadable (then removing fails harmlessly).
                _ => break,
            }
        }
        sys::close(events as i32);
    }
    sys::close(graph);
    let removed = remove_tree(parent, name);
    removed == 0 || sys::errno_of(removed) == sys::ENOENT
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
