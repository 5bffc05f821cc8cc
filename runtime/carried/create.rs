//! `create`: make a scope's init in new namespaces.
//!
//! Without a pid namespace (its own or an enclosing scope's) this process
//! becomes the init: `unshare` moves it into the new namespaces, and it
//! reports itself. A pid namespace holds only the caller's future children,
//! so then the init is cloned, with
//! `CLONE_PARENT` so that it is the application's child (its pidfd and
//! `waitid` work as for any node), from this program's own small address
//! space: it starts as a copy of it, not of the application; we report its
//! pid and exit. Either way the application then writes the id maps and
//! tells the init to go on (see `init.rs`).

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
    let ids = match (
        args.number(create::INSIDE_UID),
        args.number(create::INSIDE_GID),
        args.number(create::CLEAR_GROUPS),
    ) {
        (Some(-1), Some(-1), Some(0)) => None,
        (Some(uid), Some(gid), Some(clear @ 0..=1)) => match (u32::try_from(uid), u32::try_from(gid)) {
            (Ok(uid), Ok(gid)) => Some(crate::init::InsideIds {
                uid,
                gid,
                clear_groups: clear == 1,
            }),
            _ => enter::fail(c.report, bad_arguments()),
        },
        _ => enter::fail(c.report, bad_arguments()),
    };
    if let Err(failure) = enter::enter(&c) {
        enter::fail(c.report, failure);
    }
    let plan = crate::init::Plan {
        sync: sync as i32,
        setup: setup as u32,
        hostname,
        namespaces: c.join_flags | new_flags as u32,
        notify_sockets: sockets as usize,
        ids,
    };
    const CLONE_NEWPID: u64 = 0x2000_0000;
    // Only where no pid namespace is involved at all: one joined through an
    // enclosing scope also holds only our future children, and our own pid
    // namespace is what the init sends as the scope's.
    if (c.join_flags as u64 | new_flags as u64) & CLONE_NEWPID == 0 {
        if let Err(failure) = enter::check(sys::unshare(new_flags as u64), step::CLONE) {
            enter::fail(c.report, failure);
        }
        sys::report(c.report, step::OK, 0, crate::protocol::ITSELF);
        crate::init::run(plan)
    }
    // CLONE_PARENT requires exit_signal 0: the init inherits ours (SIGCHLD).
    let mut clone = CloneArgs {
        flags: CLONE_PARENT | new_flags as u64,
        ..CloneArgs::default()
    };
    match sys::fork_with(&mut clone) {
        0 => crate::init::run(plan),
        pid if pid < 0 => enter::fail(c.report, (step::CLONE, sys::errno_of(pid))),
        pid => {
            sys::report(c.report, step::OK, 0, pid as i32);
            sys::exit_group(0)
        }
    }
}
