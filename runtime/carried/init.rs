//! The init of a scope: the first process in its new namespaces.
//!
//! It waits until the application has written the id maps, finishes the
//! namespaces' setup from the inside (`/` private, a fresh `/proc`, no
//! cgroup hierarchy and every mount locked (`mounts.rs`), `lo` up, the
//! hostname), reports over its sync socket, then reaps: as pid 1 of a pid
//! namespace, every orphan of the scope is reparented to it. It exits when
//! the application's end of the sync socket closes — when the application
//! drops the scope or dies, however it dies — and PDEATHSIG backs that up.
//! When the init of a pid namespace dies, the kernel kills every process left
//! in it: that is the containment guarantee of pid scopes. Meanwhile it
//! answers the application's requests for TCP sockets of the scope's network
//! namespace, for probes of its nodes, and kills what the scope's only node
//! left when it ended.
//!
//! No process of the scope can keep the init from dying: its address space
//! is a copy of this program's, made while it belonged to the application's
//! user namespace, and it is non-dumpable from the moment the maps are
//! written (before any node exists), so nothing inside can ptrace it, write
//! its memory, or steal its fds. Signals from inside its pid namespace cannot
//! kill a pid 1 either.

use core::convert::Infallible;

use crate::app_proc;
use crate::enter::check;
use crate::protocol::{self, step};
use crate::sys;

/// What the init is to do, from the `create` program's arguments.
pub(crate) struct Plan<'a> {
    /// The init's end of its sync socket.
    pub(crate) sync: i32,
    /// The `SETUP_*` bits.
    pub(crate) setup: u32,
    pub(crate) hostname: &'a [u8],
    /// The `CLONE_NEW*` flags of every namespace it is in, whose fds it sends.
    pub(crate) namespaces: u32,
    /// How many `NOTIFY_SOCKET`s to make in its network namespace.
    pub(crate) notify_sockets: usize,
    /// The ids to take in the scope's user namespace, if it is in one.
    pub(crate) ids: Option<InsideIds>,
    /// A socket to send one message on, first thing, and close: the init
    /// of a nested pid namespace says it exists to the `create` program,
    /// which learns its pid from that message (see `create.rs`).
    pub(crate) announce: Option<i32>,
    /// The application's `/proc`, opened before any scope was entered, or
    /// -1: where the init opens its own namespace files (`self/ns/*`).
    /// Through the `/proc` of its mount namespace, a copy of an enclosing
    /// scope's for a nested scope, a node of that scope could have mounted
    /// files of its own there, and hold the opens up with leases
    /// (`tests/scope_nested_leased.rs`), or hand us other namespaces.
    pub(crate) app_proc: i32,
}

/// The ids of a scope's processes inside its user namespace.
///
/// Creating or joining a user namespace does not change a process's ids:
/// they stay the application's, which the scope's id map need not name —
/// under a root application it maps the scope's ids to an unprivileged uid
/// of the scope's own, and a process still holding root's ids would be
/// root to every file and process outside. So the init takes these ids
/// (and gives up root's groups) before anything of the scope runs.
pub(crate) struct InsideIds {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// `setgroups` is allowed in the namespace (a root application).
    pub(crate) clear_groups: bool,
}

pub(crate) fn run(mut plan: Plan<'_>) -> ! {
    if let Some(announce) = plan.announce.take() {
        // Our parent is the application (set_up arms this again).
        sys::die_with_parent();
        sys::send_with_fds(announce, &0i32.to_ne_bytes(), &[]);
        sys::close(announce);
    }
    // The sync socket goes to its place first (closing our copy of the
    // `create` program's report pipe, which sits there).
    if plan.sync == SYNC || sys::dup3(plan.sync, SYNC) >= 0 {
        plan.sync = SYNC;
    }
    let Err((step, errno)) = set_up(&plan);
    sys::report(plan.sync, step, errno, 0);
    sys::exit_group(127)
}

/// Takes the scope's ids (see [`InsideIds`]): groups, then gid, then uid,
/// each needing the privilege the next gives up. A change of credentials
/// sets the dumpable flag to what `fs.suid_dumpable` says and clears the
/// parent-death signal: both are set again.
fn take_inside_ids(ids: &InsideIds) -> Result<(), (i32, i32)> {
    if ids.clear_groups {
        check(sys::setgroups(&[]), step::SETGROUPS)?;
    }
    check(sys::setresgid(ids.gid), step::SETGID)?;
    check(sys::setresuid(ids.uid), step::SETUID)?;
    check(sys::not_dumpable(), step::NOT_DUMPABLE)?;
    check(sys::die_with_parent(), step::DEATH_SIGNAL)
}

/// Where the init keeps its fds once every other one is closed, above its
/// stdio: the application's `/dev/null`, which the `create` program starts
/// with, so that nothing of the application's (its terminal, its pipes)
/// stays open in a process that lives as long as the scope. Its sync
/// socket, the signalfd of its children's deaths, the two waits on them,
/// and, where it has one, its own `/proc` ([`OWN_PROC`]); nothing else.
const SYNC: i32 = 3;
const SIGNALS: i32 = 4;
/// An epoll of [`SIGNALS`] and [`SYNC`], and one of [`SIGNALS`] alone:
/// what the init waits on. Not `ppoll`, which the kernel refuses once
/// `RLIMIT_NOFILE` is below the number of fds waited on, and a node root
/// in the scope may lower ours to 0 (`prlimit`): our loop would fail, we
/// would exit, and the scope's pid namespace would die with us.
const WAITS: i32 = 5;
const CHILD_EXITS: i32 = 6;
/// A `/proc` of the init's pid namespace, of its own, attached nowhere
/// ([`mount_own_proc`]), where the init is pid 1 and the kernel let it
/// mount one.
const OWN_PROC: i32 = 7;

/// Where the init keeps the application's `/proc` until it has sent its
/// namespace fds.
const APP_PROC: i32 = 8;

fn set_up(plan: &Plan<'_>) -> Result<Infallible, (i32, i32)> {
    let (sync, setup, hostname) = (plan.sync, plan.setup, plan.hostname);
    // A clone does not inherit the parent-death signal, and `unshare` of a
    // user namespace clears it (a change of credentials).
    check(sys::die_with_parent(), step::DEATH_SIGNAL)?;
    check(sys::own_process_group(), step::PROCESS_GROUP)?;
    // The application sends one byte once the id maps are written; EOF
    // means it is gone.
    let mut go = [0u8; 1];
    match sys::read(sync, &mut go) {
        1 => {}
        0 => sys::exit_group(0),
        ret => check(ret, step::WAIT_FOR_MAPS)?,
    }
    // Only now: the application could not have written the maps of a
    // process whose /proc files belong to root.
    check(sys::not_dumpable(), step::NOT_DUMPABLE)?;
    if setup & protocol::SETUP_ROOT_PRIVATE != 0 {
        const MS_REC: usize = 0x4000;
        const MS_PRIVATE: usize = 1 << 18;
        let ret = sys::mount(c"none", c"/", None, MS_REC | MS_PRIVATE);
        check(ret, step::ROOT_PRIVATE)?;
    }
    if setup & protocol::SETUP_MOUNT_PROC != 0 {
        const NOSUID_NODEV_NOEXEC: usize = 2 | 4 | 8;
        let ret = sys::mount(c"proc", c"/proc", Some(c"proc"), NOSUID_NODEV_NOEXEC);
        check(ret, step::MOUNT_PROC)?;
    }
    if setup & protocol::SETUP_LOCK_MOUNTS != 0 {
        // Locking needs the ids to map in the nested user namespace; a
        // plan without them fails the scope rather than leave it unlocked.
        const EINVAL: i32 = 22;
        let ids = plan.ids.as_ref().ok_or((step::LOCK_MOUNTS, EINVAL))?;
        crate::mounts::cover_outside_views()?;
        crate::mounts::lock(ids)?;
    }
    if setup & protocol::SETUP_LOOPBACK_UP != 0 {
        loopback_up().map_err(|errno| (step::LOOPBACK_UP, errno))?;
    }
    if setup & protocol::SETUP_HOSTNAME != 0 {
        check(sys::sethostname(hostname), step::HOSTNAME)?;
    }
    if let Some(ids) = &plan.ids {
        take_inside_ids(ids)?;
    }
    if sync != SYNC {
        check(sys::dup3(sync, SYNC), step::CLOSE_FDS)?;
    }
    // Orphans announce their death with SIGCHLD; read it from a signalfd.
    check(sys::set_signal_mask(!0), step::SIGNALFD)?;
    let signals = sys::signalfd(1 << (sys::SIGCHLD - 1));
    check(signals, step::SIGNALFD)?;
    if signals as i32 != SIGNALS {
        check(sys::dup3(signals as i32, SIGNALS), step::CLOSE_FDS)?;
    }
    let proc = match plan.app_proc {
        -1 => -1,
        APP_PROC => APP_PROC,
        proc => {
            check(sys::dup3(proc, APP_PROC), step::CLOSE_FDS)?;
            APP_PROC
        }
    };
    // Where we are pid 1 of a namespace. Where the kernel refuses the
    // mount (no new mount API: a sandbox, a seccomp list older than it) we
    // do without: the clear then says it cannot tell what it left, so the
    // application looks, and only the wait for those still exiting is lost.
    let own_proc = sys::getpid() == 1 && {
        let mounted = mount_own_proc();
        if mounted >= 0 && mounted as i32 != OWN_PROC {
            check(sys::dup3(mounted as i32, OWN_PROC), step::CLOSE_FDS)?;
        }
        mounted >= 0
    };
    // Made last: each is moved to its place over what is no longer needed.
    for (place, fds) in [(WAITS, &[SIGNALS, SYNC][..]), (CHILD_EXITS, &[SIGNALS])] {
        let epoll = sys::epoll_of(fds);
        check(epoll, step::EPOLL)?;
        if epoll as i32 != place {
            check(sys::dup3(epoll as i32, place), step::CLOSE_FDS)?;
        }
    }
    check(sys::close_from(APP_PROC as u32 + 1), step::CLOSE_FDS)?;
    let ours = match (proc, own_proc) {
        (-1, true) => OWN_PROC,
        _ => proc,
    };
    send_namespaces(plan.namespaces, ours)?;
    let kept = if own_proc { OWN_PROC } else { CHILD_EXITS };
    check(sys::close_from(kept as u32 + 1), step::CLOSE_FDS)?;
    for _ in 0..plan.notify_sockets {
        send_notify_socket()?;
    }
    reap_forever(own_proc)
}

/// A `/proc` of our pid namespace for the init alone, which counts what a
/// clear left ([`others_in_the_namespace`]): an fd of a new instance,
/// attached nowhere. Not the scope's `/proc`, which a node root in the
/// scope could hide its processes in from a listing by its path: by
/// mounting over it (an empty `tmpfs`), or by remounting it with
/// `hidepid=invisible`, which hides a non-dumpable process that has
/// ended, or is ending, from every reader without `CAP_SYS_PTRACE` in the
/// machine's first user namespace. An instance's options are its own, and
/// no path leads a node to this one: we are non-dumpable, so our fds are
/// out of its reach. The `/proc` we mounted for the scope already shows
/// all of it, so the kernel lets us mount another (`mount_too_revealing`);
/// in a scope without a user namespace (a root application's) we are
/// root, and mount one all the same, though the `/proc` we see is the
/// application's, with every process of the machine.
fn mount_own_proc() -> isize {
    const MOUNT_ATTR_NOSUID_NODEV_NOEXEC: usize = 0x2 | 0x4 | 0x8;
    sys::detached_mount(c"proc", MOUNT_ATTR_NOSUID_NODEV_NOEXEC)
}

/// Sends the OK report with an fd of each of our namespaces (the kinds in
/// `namespaces`), through which the application's nodes join the scope: we
/// are non-dumpable, so a `setns` through our pidfd, or opening our
/// `/proc/PID/ns` files, would need CAP_SYS_PTRACE in the application's user
/// namespace, which an unprivileged application lacks. Opening our own is
/// always allowed: in `proc`, the application's `/proc` (see
/// [`Plan::app_proc`]) or, without it, our own ([`OWN_PROC`]); else in
/// the `/proc` at the path, which a node of an enclosing scope could have
/// mounted over.
fn send_namespaces(namespaces: u32, proc: i32) -> Result<(), (i32, i32)> {
    let mut fds = [0i32; protocol::NAMESPACES.len()];
    let mut count = 0;
    for (flag, path) in protocol::NAMESPACES {
        if namespaces & flag != 0 {
            let fd = match path.to_bytes_with_nul().strip_prefix(b"/proc/") {
                Some(relative) if proc >= 0 => sys::open_read_at(proc, relative, false),
                _ => sys::open_read(path),
            };
            check(fd, step::NAMESPACE_FDS)?;
            fds[count] = fd as i32;
            count += 1;
        }
    }
    let mut report = [0u8; protocol::REPORT_LEN];
    report[..4].copy_from_slice(&step::OK.to_ne_bytes());
    check(
        sys::send_with_fds(SYNC, &report, &fds[..count]),
        step::NAMESPACE_FDS,
    )
}

/// Sends one `NOTIFY_SOCKET`: a unix datagram socket of our network
/// namespace (the node's), autobound — the kernel picks an abstract address
/// no one holds, so nothing can take it first and nothing is left to clean
/// up. The application reads its address back with `getsockname`.
fn send_notify_socket() -> Result<(), (i32, i32)> {
    let socket = sys::unix_dgram_socket();
    check(socket, step::NOTIFY_SOCKET)?;
    let socket = socket as i32;
    let mut report = [0u8; protocol::REPORT_LEN];
    report[..4].copy_from_slice(&step::OK.to_ne_bytes());
    let sent = match check(sys::autobind(socket), step::NOTIFY_SOCKET) {
        Ok(()) => check(
            sys::send_with_fds(SYNC, &report, &[socket]),
            step::NOTIFY_SOCKET,
        ),
        Err(failure) => Err(failure),
    };
    sys::close(socket);
    sent
}

/// Answers one request of the application's, in the order they came:
/// - a TCP socket made here, in the scope's network namespace, sent over
///   the sync socket — the only way an unprivileged application gets one,
///   as it cannot `setns` into a network namespace its child user
///   namespace owns;
/// - every other process of the pid namespace SIGKILLed: from its pid 1,
///   `kill(-1)` reaches each of them (root of the scope's user namespace,
///   the init may signal them all), a fork under way included, and nothing
///   of the scope can keep it from being sent. The answer waits until they
///   are gone ([`reap_the_killed`], and, where `own_proc` says we hold
///   our `/proc`, [`wait_for_the_applications_killed`]), so that what they
///   held is free. The report's third word says how many of the
///   application's children it left, all ended, for the application to
///   reap; -1 where it cannot tell.
fn answer(request: u8, own_proc: bool) {
    const AF_INET: usize = 2;
    const AF_INET6: usize = 10;
    let mut report = [0u8; protocol::REPORT_LEN];
    let family = match request {
        protocol::REQUEST_TCP_SOCKET_V4 => AF_INET,
        protocol::REQUEST_TCP_SOCKET_V6 => AF_INET6,
        protocol::REQUEST_CLEAR => {
            // Checked here too, however the request came: from an init of
            // no pid namespace of its own, kill(-1) reaches outside.
            if sys::getpid() == 1 {
                // ESRCH: there was nothing left.
                sys::kill(-1, sys::SIGKILL);
                reap_the_killed();
                let left = match own_proc {
                    true => wait_for_the_applications_killed(),
                    false => None,
                };
                report[..4].copy_from_slice(&step::OK.to_ne_bytes());
                let left = left.and_then(|n| i32::try_from(n).ok()).unwrap_or(-1);
                report[8..12].copy_from_slice(&left.to_ne_bytes());
            } else {
                const EPERM: i32 = 1;
                report[..4].copy_from_slice(&step::CLEAR.to_ne_bytes());
                report[4..8].copy_from_slice(&EPERM.to_ne_bytes());
            }
            sys::send_with_fds(SYNC, &report, &[]);
            return;
        }
        _ => return,
    };
    let socket = sys::tcp_socket(family);
    let mut failed = socket;
    if socket >= 0 {
        report[..4].copy_from_slice(&step::OK.to_ne_bytes());
        failed = sys::send_with_fds(SYNC, &report, &[socket as i32]);
        sys::close(socket as i32);
    }
    // No socket, or it could not go with the answer (`ETOOMANYREFS`, which
    // other processes of the application's uid may bring about): an
    // answer all the same, without it, so that every request has exactly
    // one and the application pairs the next answers with their requests.
    if failed < 0 {
        report[..4].copy_from_slice(&step::PROBE_SOCKET.to_ne_bytes());
        report[4..8].copy_from_slice(&sys::errno_of(failed).to_ne_bytes());
        sys::send_with_fds(SYNC, &report, &[]);
    }
}

/// After the kill of every other process of the namespace: reaps them as
/// they exit, until none is left that is ours to reap, for up to
/// [`CLEAR_WAIT_POLLS`] waits of 10 ms without an exit — so that what they
/// held (a port, a lock, a pipe end, memory) is free when the application
/// hears the answer, tens of ms later for one freeing much memory, rather
/// than after its end is reported and its next run has started. Every one
/// of them is ours: an orphan comes to pid 1, and a process's children come
/// to it when it exits, before its parent can reap it — so once we have no
/// child, none is left but the application's own children (what a node
/// cloned with `CLONE_PARENT`), which are its to wait for. One stuck in the
/// kernel is given up on at the limit, still dying.
fn reap_the_killed() {
    let mut polls = 0;
    loop {
        let reaped = sys::reap_any();
        if reaped > 0 {
            continue;
        }
        // ECHILD (or a failure): nothing left to wait for.
        if reaped < 0 || polls == CLEAR_WAIT_POLLS {
            return;
        }
        let mut exited = [sys::EpollEvent::default()];
        if sys::epoll_wait(CHILD_EXITS, &mut exited, 10) == 0 {
            polls += 1;
        }
        drain_signals();
    }
}

/// How many 10 ms waits without an exit the answer to a clear waits for
/// the killed processes: a second.
const CLEAR_WAIT_POLLS: u32 = 100;

/// After [`reap_the_killed`]: waits until every other process of the
/// namespace has ended too, and says how many there are (all ended), or
/// `None` if some still run at the limit or they cannot be counted. What
/// is left then are the application's children (what a node cloned with
/// `CLONE_PARENT`), killed with the rest; the application reaps them once
/// it has the answer, and their exit frees what they held, as the reap of
/// ours does. This namespace's `/proc` ([`OWN_PROC`]) shows one that has
/// ended as a zombie until the application reaps it. Looked at every ms,
/// for a second or two in all (the clock counts whole seconds; a look over
/// many processes takes time too): one stuck in the kernel is given up on,
/// still dying.
fn wait_for_the_applications_killed() -> Option<u32> {
    let until = sys::monotonic_seconds() + 2;
    loop {
        let others = others_in_the_namespace()?;
        if others.running == 0 {
            return Some(others.ended);
        }
        if sys::monotonic_seconds() >= until {
            return None;
        }
        sys::poll_for(&mut [], 0, 1_000_000);
    }
}

/// The processes of the namespace other than this one (pid 1).
struct Others {
    running: u32,
    ended: u32,
}

/// [`Others`], as the `/proc` we mounted lists them ([`OWN_PROC`]), or
/// `None` if it cannot be read whole (no fd left to open, or no memory):
/// then we cannot tell, and must not answer that none is left. A node
/// root in the scope may lower our `RLIMIT_NOFILE` to 0 (`prlimit`).
fn others_in_the_namespace() -> Option<Others> {
    let mut others = Others {
        running: 0,
        ended: 0,
    };
    // A listing of its own: the directory's offset is the open file's.
    let proc = sys::open_read_at(OWN_PROC, b".\0", true) as i32;
    if proc < 0 {
        return None;
    }
    let mut read_all = true;
    let listed = crate::cgroup::for_each_directory(proc, |name| {
        let digits = name.strip_suffix(b"\0").unwrap_or(name);
        let Some(pid) = crate::args::decimal(digits).filter(|&pid| pid > 1) else {
            return;
        };
        let stat = app_proc::open_stat(proc, pid as isize);
        if stat < 0 {
            // ENOENT: reaped since the listing, not left; anything else:
            // we cannot tell.
            read_all &= sys::errno_of(stat) == sys::ENOENT;
            return;
        }
        match app_proc::state(stat as i32) {
            Some(b'Z' | b'X') => others.ended += 1,
            _ => others.running += 1,
        }
        sys::close(stat as i32);
    });
    sys::close(proc);
    (listed >= 0 && read_all).then_some(others)
}

/// `ioctl(SIOCGIFFLAGS)`, set `IFF_UP`, `ioctl(SIOCSIFFLAGS)` on `lo`. The
/// kernel then adds 127.0.0.1/8 and ::1 by itself.
fn loopback_up() -> Result<(), i32> {
    const SIOCGIFFLAGS: usize = 0x8913;
    const SIOCSIFFLAGS: usize = 0x8914;
    const IFF_UP: u8 = 1;
    let socket = sys::inet_dgram_socket();
    if socket < 0 {
        return Err(sys::errno_of(socket));
    }
    let socket = socket as i32;
    // `struct ifreq`: the name, then `ifr_flags` (a short) at offset 16.
    let mut ifreq = [0u8; 40];
    ifreq[..2].copy_from_slice(b"lo");
    let mut ret = sys::ioctl(socket, SIOCGIFFLAGS, &mut ifreq);
    if ret >= 0 {
        ifreq[16] |= IFF_UP;
        ret = sys::ioctl(socket, SIOCSIFFLAGS, &mut ifreq);
    }
    sys::close(socket);
    if ret < 0 {
        Err(sys::errno_of(ret))
    } else {
        Ok(())
    }
}

/// Reaps every child that dies, and answers the application's requests,
/// until its end of the sync socket closes. `own_proc`: we hold our pid
/// namespace's `/proc` at [`OWN_PROC`].
fn reap_forever(own_proc: bool) -> ! {
    loop {
        let mut events = [sys::EpollEvent::default(); 2];
        let ret = sys::epoll_wait(WAITS, &mut events, -1);
        if ret < 0 && sys::errno_of(ret) != sys::EINTR {
            sys::exit_group(1);
        }
        let ready = &events[..ret.max(0) as usize];
        // A copy: the field of a packed struct cannot be borrowed.
        if ready.iter().any(|event| { event.data } == SYNC as u64) {
            let mut message = [0u8; 64];
            let read = sys::read(SYNC, &mut message);
            if read <= 0 {
                // The application is gone or dropped the scope: dying kills
                // the whole pid namespace.
                sys::exit_group(0);
            }
            for &request in &message[..read as usize] {
                answer(request, own_proc);
            }
        }
        drain_signals();
        while sys::reap_any() > 0 {}
    }
}

/// Reads every SIGCHLD queued on the signalfd: they only wake the wait.
fn drain_signals() {
    let mut info = [0u8; 128];
    while sys::read(SIGNALS, &mut info) > 0 {}
}
