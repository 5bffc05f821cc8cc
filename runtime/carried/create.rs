//! `create`: clone a scope's init into new namespaces.
//!
//! The init is cloned with `CLONE_PARENT`, so it is the application's child
//! (its pidfd and `waitid` work as for any node), from this program's own
//! small address space: it starts as a copy of it, not of the application.
//! We report its pid and exit; the application writes the id maps and tells
//! the init to go on (see `init.rs`).

use crate::args::Args;
use crate::enter::{self, bad_arguments};
use crate::protocol::{create, step};
use crate::sys::{self, CLONE_PARENT, CloneArgs};

pub(crate) fn run(args: &Args) -> ! {
    let c = enter::common(args);
    if args.count() != create::COUNT {
        enter::fail(c.report, bad_arguments());
    }
    let (Some(sync), Some(new_flags), Some(setup), Some(hostname), Some(sockets)) = (
        args.number(create::SYNC_FD),
        args.number(create::NEW_FLAGS),
        args.number(create::SETUP),
        args.bytes(create::HOSTNAME),
        args.number(create::NOTIFY_SOCKETS),
    ) else {
        enter::fail(c.report, bad_arguments())
    };
    if let Err(failure) = enter::enter(&c) {
        enter::fail(c.report, failure);
    }
    // CLONE_PARENT requires exit_signal 0: the init inherits ours (SIGCHLD).
    let mut clone = CloneArgs {
        flags: CLONE_PARENT | new_flags as u64,
        ..CloneArgs::default()
    };
    match sys::fork_with(&mut clone) {
        0 => crate::init::run(crate::init::Plan {
            sync: sync as i32,
            setup: setup as u32,
            hostname,
            namespaces: c.join_flags | new_flags as u32,
            notify_sockets: sockets as usize,
        }),
        pid if pid < 0 => enter::fail(c.report, (step::CLONE, sys::errno_of(pid))),
        pid => {
            sys::report(c.report, step::OK, 0, pid as i32);
            sys::exit_group(0)
        }
    }
}
