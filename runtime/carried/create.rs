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

use crate::app_proc;
use crate::args::Args;
use crate::enter::{self, bad_arguments};
use crate::protocol::{create, step};
use crate::sys::{self, CLONE_FILES, CLONE_PARENT, CLONE_PIDFD, CloneArgs, POLLIN, PollFd};

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
        (Some(uid), Some(gid), Some(clear @ 0..=1)) => {
            match (u32::try_from(uid), u32::try_from(gid)) {
                (Ok(uid), Ok(gid)) => Some(crate::init::InsideIds {
                    uid,
                    gid,
                    clear_groups: clear == 1,
                }),
                _ => enter::fail(c.report, bad_arguments()),
            }
        }
        _ => enter::fail(c.report, bad_arguments()),
    };
    const CLONE_NEWPID: u64 = 0x2000_0000;
    let nested = c.join_flags as u64 & new_flags as u64 & CLONE_NEWPID != 0;
    // Where the init opens its namespace files (see `init::Plan`), and, for
    // a nested pid namespace, where its pid is read should it not say it
    // (see `nested_pid`).
    let proc = app_proc::open();
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
        app_proc: proc,
    };
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
    if nested {
        nested_pid(c.report, proc, new_flags as u64, plan)
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

/// How long all of a nested creation may take us, the wait for a killed
/// helper to be gone included: within the application's 30 s, with room
/// for the second [`sys::monotonic_seconds`] may round away.
const CREATION_SECONDS: i64 = 24;

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
/// where the helper is visible, stop it after its clone).
///
/// Such a process may stop the helper before its clone, or stop or kill
/// the init before its message, in the microseconds after its clone. So we
/// look at both while we wait ([`Creation::wait_for_announcement`]); and
/// the helper shares our fd table (`CLONE_FILES`) and clones the init with
/// `CLONE_PIDFD`: the init's pidfd is in our table before the init runs
/// (see [`Creation::init_pidfd`]). Without the message we kill the init
/// through it, ask the kernel its pid in our pid namespace
/// (`PIDFD_GET_INFO`, else the `fdinfo` in the application's `/proc`,
/// `proc`), and report the failure with that pid, for the application to
/// reap.
fn nested_pid(report: i32, proc: i32, new_flags: u64, mut plan: crate::init::Plan<'_>) -> ! {
    let until = sys::monotonic_seconds() + CREATION_SECONDS;
    let mut pair = [-1i32; 2];
    if let Err(failure) = enter::check(sys::seqpacket_pair(&mut pair), step::CLONE) {
        enter::fail(report, failure);
    }
    let [ours, theirs] = pair;
    if let Err(failure) = enter::check(sys::pass_credentials(ours), step::CLONE) {
        enter::fail(report, failure);
    }
    // Anything the application left us that is a pidfd is not the init's.
    let before = pidfds();
    let mut helper_pidfd = -1i32;
    let mut helper = CloneArgs {
        flags: CLONE_PARENT | CLONE_FILES | CLONE_PIDFD,
        pidfd: &raw mut helper_pidfd as u64,
        ..CloneArgs::default()
    };
    let helper = match sys::fork_with(&mut helper) {
        0 => {
            // Our parent is the application: die with it.
            sys::die_with_parent();
            let mut unused = -1i32;
            let mut clone = CloneArgs {
                flags: CLONE_PARENT | CLONE_PIDFD | new_flags,
                pidfd: &raw mut unused as u64,
                ..CloneArgs::default()
            };
            match sys::fork_with(&mut clone) {
                0 => {
                    // A copy of the table the helper shares with us: these
                    // are not the init's (nor the helper's pidfd, which it
                    // closes with every other fd before the scope is used).
                    sys::close(ours);
                    plan.announce = Some(theirs);
                    crate::init::run(plan)
                }
                pid if pid < 0 => {
                    let errno = sys::errno_of(pid);
                    sys::send_with_fds(theirs, &errno.to_ne_bytes(), &[]);
                    sys::exit_group(127)
                }
                // `theirs` is closed by us, who share it, once we see the
                // helper gone.
                _ => sys::exit_group(0),
            }
        }
        pid if pid < 0 => enter::fail(report, (step::CLONE, sys::errno_of(pid))),
        pid => pid,
    };
    let helper_pid = helper as i32;
    let mut creation = Creation {
        announce_until: sys::monotonic_seconds() + ANNOUNCE_SECONDS,
        ours,
        theirs,
        helper,
        helper_pidfd,
        before,
        init_pidfd: None,
        proc,
    };
    match creation.wait_for_announcement() {
        Ok(init) => {
            sys::report_helper(report, step::OK, 0, init, helper_pid);
        }
        Err((step, errno)) => {
            // The helper is the application's unreaped child: its pid is
            // still its own. Gone, it clones nothing more.
            sys::kill(helper, sys::SIGKILL);
            wait_until_exited(helper_pidfd, until);
            let init = match creation.init_pidfd() {
                Some(pidfd) => {
                    sys::pidfd_kill(pidfd, sys::SIGKILL);
                    app_proc::pid_of_pidfd(proc, pidfd).unwrap_or(0)
                }
                None => 0,
            };
            sys::report_helper(report, step, errno, init, helper_pid);
        }
    }
    sys::exit_group(0)
}

/// The creation of a nested pid namespace's init, once the helper is
/// cloned.
struct Creation {
    /// When we stop waiting for the init's message ([`sys::monotonic_seconds`]).
    announce_until: i64,
    /// Our end of the socket the init's message comes on, and the other,
    /// which we share with the helper (the init has a copy of its own).
    ours: i32,
    theirs: i32,
    /// The helper's pid, in our pid namespace, and its pidfd.
    helper: isize,
    helper_pidfd: i32,
    /// Our pidfds before the helper's clone ([`pidfds`]).
    before: u64,
    /// The init's pidfd, once found (see [`init_pidfd`](Self::init_pidfd)).
    init_pidfd: Option<i32>,
    /// The application's `/proc`, or -1.
    proc: i32,
}

/// Which of our first 64 fds are pidfds, as bits (fd `n`: bit `n`): this
/// program holds a handful of fds, and a new one takes the lowest free.
/// `pidfd_send_signal` of signal 0 fails with `EBADF` on any other fd.
fn pidfds() -> u64 {
    const EBADF: i32 = 9;
    const EINVAL: i32 = 22;
    (0..64).fold(0, |bits, fd| {
        let ret = sys::pidfd_kill(fd, 0);
        match ret >= 0 || !matches!(sys::errno_of(ret), EBADF | EINVAL) {
            true => bits | 1 << fd,
            false => bits,
        }
    })
}

impl Creation {
    /// The init's pidfd, if the init exists: the one pidfd in our table
    /// that was not there before the helper's clone, besides the helper's.
    /// The helper's clone of the init put it at the lowest free fd then,
    /// which our own opening of files meanwhile may have moved, so it is
    /// searched for.
    fn init_pidfd(&mut self) -> Option<i32> {
        if self.init_pidfd.is_none() {
            // The helper's is among the first 64 (a new fd takes the lowest
            // free one); should it not be, it is not in the bits either.
            let helper = 1u64.checked_shl(self.helper_pidfd as u32).unwrap_or(0);
            let new = pidfds() & !self.before & !helper;
            self.init_pidfd = (new != 0).then(|| new.trailing_zeros() as i32);
        }
        self.init_pidfd
    }

    /// Waits for the init's message: the init's pid in our pid namespace,
    /// or the failure — the helper's errno at `CLONE`; `ETIMEDOUT` at
    /// `announce_until`; `EINTR` if the helper died before its clone or the
    /// init died (only a signal does either), which the pidfds of both tell
    /// at once. Every [`app_proc::CHECK_EVERY_NANOS`] without the
    /// message, the helper and (once it exists) the init are looked at in
    /// the application's `/proc`: one found stopped ends the wait at
    /// `HELD_UP`.
    fn wait_for_announcement(&mut self) -> Result<i32, (i32, i32)> {
        let (mut helper_stat, mut init_stat) = (-1, -1);
        // The message; the helper's exit; the init's (a negative fd is
        // not polled).
        let mut fds = [self.ours, self.helper_pidfd, -1].map(|fd| PollFd {
            fd,
            events: POLLIN,
            revents: 0,
        });
        loop {
            let waited = sys::poll_for(&mut fds, 0, app_proc::CHECK_EVERY_NANOS);
            if waited < 0 && sys::errno_of(waited) != sys::EINTR {
                return Err((step::CLONE, sys::errno_of(waited)));
            }
            if fds[0].revents != 0 {
                break;
            }
            if fds[2].revents != 0 {
                return Err((step::CLONE, EINTR));
            }
            if fds[1].revents != 0 {
                // The helper is gone, and cloned nothing more: the init's
                // copy of `theirs` is now the only one, so its death would
                // be our EOF.
                fds[1].fd = -1;
                sys::close(self.theirs);
                if self.init_pidfd().is_none() {
                    return Err((step::CLONE, EINTR));
                }
            }
            if let Some(init) = self.init_pidfd() {
                fds[2].fd = init;
            }
            if sys::monotonic_seconds() >= self.announce_until {
                return Err((step::CLONE, ETIMEDOUT));
            }
            if self.proc < 0 {
                continue;
            }
            let helper_there = fds[1].fd >= 0;
            if helper_stat < 0 && helper_there {
                helper_stat = app_proc::open_stat(self.proc, self.helper) as i32;
            }
            if init_stat < 0
                && let Some(init) = self.init_pidfd
            {
                init_stat = match app_proc::pid_of_pidfd(self.proc, init) {
                    Some(pid) => app_proc::open_stat(self.proc, pid as isize) as i32,
                    None => -1,
                };
            }
            let helper_stopped = helper_there && helper_stat >= 0 && app_proc::stopped(helper_stat);
            if helper_stopped || (init_stat >= 0 && app_proc::stopped(init_stat)) {
                return Err((step::HELD_UP, ETIMEDOUT));
            }
        }
        let mut message = [0u8; 4];
        match sys::receive_with_pid(self.ours, &mut message) {
            (4, pid) if message == [0; 4] && pid > 0 => Ok(pid),
            (4, _) if message != [0; 4] => Err((step::CLONE, i32::from_ne_bytes(message))),
            (ret, _) if ret < 0 => Err((step::CLONE, sys::errno_of(ret))),
            _ => Err((step::CLONE, EINTR)),
        }
    }
}

/// Waits until the SIGKILLed process of `pidfd` has exited, up to `until`
/// ([`sys::monotonic_seconds`]): a clone the helper was in puts the init's
/// pidfd in our table only at its very end, and a node may keep the helper
/// off the CPU (lowest priority, busy threads) for long.
fn wait_until_exited(pidfd: i32, until: i64) {
    let mut fds = [PollFd {
        fd: pidfd,
        events: POLLIN,
        revents: 0,
    }];
    let left = until - sys::monotonic_seconds();
    if left > 0 {
        sys::poll_for(&mut fds, left, 0);
    }
}

const ETIMEDOUT: i32 = 110;
/// The helper or the init died before the init could say it exists (only
/// a signal does that).
const EINTR: i32 = 4;
