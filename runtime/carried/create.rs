//! `create`: make a scope's init in new namespaces.
//!
//! Without a pid namespace (its own or an enclosing scope's) this process
//! becomes the init: `unshare` moves it into the new namespaces, and it
//! reports itself. A pid namespace holds only the caller's future children,
//! so then the init is cloned, with
//! `CLONE_PARENT` so that it is the application's child (its pidfd and
//! `waitid` work as for any node), from this program's own small address
//! space: it starts as a copy of it, not of the application; we report its
//! pid and exit. A pid namespace nested in an enclosing scope's needs one
//! more clone in between (see [`nested_pid`]). Either way the application
//! then writes the id maps and tells the init to go on (see `init.rs`).

use crate::args::Args;
use crate::enter::{self, bad_arguments};
use crate::protocol::{create, step};
use crate::sys::{self, CLONE_PARENT, CloneArgs, POLLIN, PollFd};

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
        announce: None,
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
    if c.join_flags as u64 & new_flags as u64 & CLONE_NEWPID != 0 {
        nested_pid(c.report, new_flags as u64, plan)
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

/// How long we wait for the init of a nested pid namespace to say it
/// exists: well within the application's own limit for our report
/// (`held_up::LIMIT`, 30 s), so that we can still report the helper.
const ANNOUNCE_SECONDS: i64 = 10;

/// Clones the init of a pid namespace nested in the enclosing scope's.
///
/// `setns` moved only our future children into the enclosing pid
/// namespace, and the kernel makes a new pid namespace only for a caller
/// that is in the one its children go to (else `clone3` fails with
/// `EINVAL`). So we clone a helper first (`CLONE_PARENT`, no new
/// namespace): the application's child, in the enclosing pid namespace;
/// it clones the init (`CLONE_PARENT` again: the application's child too)
/// and exits. The pid the helper gets for the init is numbered in the
/// enclosing namespace; the one the application needs, in its own, comes
/// with the init's first message to us, over a socket on which we receive
/// credentials: the kernel numbers the sender's pid in the receiver's pid
/// namespace — ours, the application's. The init is the application's
/// child, which it has not reaped, so that pid cannot be reused meanwhile.
///
/// The report carries the helper's pid too: it is the application's child,
/// for it to reap (and to kill, should a process of the enclosing scope,
/// where the helper is visible, stop it). Should such a process stop or
/// kill the init before its message (in the microseconds after its clone),
/// we report a failure without the init's pid: the init, unknown to the
/// application, then lasts until the enclosing scope ends, which kills it,
/// and its zombie until the application ends.
fn nested_pid(report: i32, new_flags: u64, mut plan: crate::init::Plan<'_>) -> ! {
    let mut pair = [-1i32; 2];
    if let Err(failure) = enter::check(sys::seqpacket_pair(&mut pair), step::CLONE) {
        enter::fail(report, failure);
    }
    let [ours, theirs] = pair;
    if let Err(failure) = enter::check(sys::pass_credentials(ours), step::CLONE) {
        enter::fail(report, failure);
    }
    let mut helper = CloneArgs {
        flags: CLONE_PARENT,
        ..CloneArgs::default()
    };
    let helper = match sys::fork_with(&mut helper) {
        0 => {
            sys::close(ours);
            // Our parent is the application: die with it.
            sys::die_with_parent();
            let mut clone = CloneArgs {
                flags: CLONE_PARENT | new_flags,
                ..CloneArgs::default()
            };
            match sys::fork_with(&mut clone) {
                0 => {
                    plan.announce = Some(theirs);
                    crate::init::run(plan)
                }
                pid if pid < 0 => {
                    let errno = sys::errno_of(pid);
                    sys::send_with_fds(theirs, &errno.to_ne_bytes(), &[]);
                    sys::exit_group(127)
                }
                _ => sys::exit_group(0),
            }
        }
        pid if pid < 0 => enter::fail(report, (step::CLONE, sys::errno_of(pid))),
        pid => pid,
    };
    sys::close(theirs);
    let helper_pid = helper as i32;
    // The init's `0`, or the helper's errno; EOF if either died first.
    let mut fds = [PollFd {
        fd: ours,
        events: POLLIN,
        revents: 0,
    }];
    let mut waited = sys::poll_for(&mut fds, ANNOUNCE_SECONDS, 0);
    while waited < 0 && sys::errno_of(waited) == sys::EINTR {
        waited = sys::poll_for(&mut fds, ANNOUNCE_SECONDS, 0);
    }
    let (failure, init) = match waited {
        0 => (Some(ETIMEDOUT), 0),
        waited if waited < 0 => (Some(sys::errno_of(waited)), 0),
        _ => {
            let mut message = [0u8; 4];
            match sys::receive_with_pid(ours, &mut message) {
                (4, pid) if message == [0; 4] && pid > 0 => (None, pid),
                (4, _) if message != [0; 4] => (Some(i32::from_ne_bytes(message)), 0),
                (ret, _) if ret < 0 => (Some(sys::errno_of(ret)), 0),
                _ => (Some(EINTR), 0),
            }
        }
    };
    match failure {
        None => sys::report_helper(report, step::OK, 0, init, helper_pid),
        Some(errno) => {
            // The helper is the application's unreaped child: its pid is
            // still its own.
            sys::kill(helper, sys::SIGKILL);
            sys::report_helper(report, step::CLONE, errno, 0, helper_pid);
        }
    }
    sys::exit_group(0)
}

const ETIMEDOUT: i32 = 110;
/// The helper or the init died before the init could say it exists (only
/// a signal does that).
const EINTR: i32 = 4;
