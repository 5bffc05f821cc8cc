//! What the runtime and the carried scope program say to each other: the
//! program's arguments, in order, and the report it writes back. Shared by
//! `#[path]` between both sides, so the two cannot drift apart.
//!
//! Every number travels as decimal ASCII in `argv`; the report is four
//! native-endian `i32`s, written in one `write` (well under `PIPE_BUF`, so
//! the reader gets all of it or nothing).

/// `argv[0]` of the program, shown by `ps` while it runs.
pub(crate) const PROGRAM_NAME: &[u8] = b"process-graph-scope";

/// `argv[1]`: create a scope (clone its init into new namespaces).
pub(crate) const MODE_CREATE: &[u8] = b"create";
/// `argv[1]`: start a node inside a scope.
pub(crate) const MODE_JOIN: &[u8] = b"join";
/// `argv[1]`: watch the application, and end its graph's cgroups when it
/// dies.
pub(crate) const MODE_WATCH: &[u8] = b"watch";

/// Arguments common to both modes, after the mode.
pub(crate) mod common {
    /// The application's pid: the program's parent, checked with `getppid`.
    pub(crate) const APP_PID: usize = 2;
    /// The fd the report is written to (a pipe to the application).
    pub(crate) const REPORT_FD: usize = 3;
    /// The first of the namespace fds of the scope joined first (one per
    /// kind in `JOIN_FLAGS`, in [`NAMESPACES`](super::NAMESPACES) order, at
    /// consecutive fds), or -1 for none.
    pub(crate) const SCOPE_FDS: usize = 4;
    /// The `CLONE_NEW*` flags of the namespaces at `SCOPE_FDS`.
    pub(crate) const JOIN_FLAGS: usize = 5;
}

/// The rest of `create`'s arguments. Its fds 0, 1 and 2 are `/dev/null`,
/// opened by the application, which the init keeps as its stdio.
pub(crate) mod create {
    /// The init's end of its sync socket, kept for the init's whole life.
    pub(crate) const SYNC_FD: usize = 6;
    /// The `CLONE_NEW*` flags of the new scope.
    pub(crate) const NEW_FLAGS: usize = 7;
    /// The init's set-up steps: the `SETUP_*` bits.
    pub(crate) const SETUP: usize = 8;
    /// The hostname (may be empty when `SETUP_HOSTNAME` is not set).
    pub(crate) const HOSTNAME: usize = 9;
    /// How many `NOTIFY_SOCKET`s the init makes in its network namespace.
    pub(crate) const NOTIFY_SOCKETS: usize = 10;
    /// The uid the init takes inside the scope's user namespace (its own or
    /// an enclosing scope's) once the id maps are written, or -1 when the
    /// scope is in none.
    pub(crate) const INSIDE_UID: usize = 11;
    /// The gid it takes, likewise.
    pub(crate) const INSIDE_GID: usize = 12;
    /// 1: clear the supplementary groups too (the application is root, so
    /// `setgroups` is allowed in the namespace); 0: keep them (it is denied).
    pub(crate) const CLEAR_GROUPS: usize = 13;
    /// How many arguments `create` takes, `argv[0]` included.
    pub(crate) const COUNT: usize = 14;
}

/// The rest of `join`'s arguments, then the node's own.
pub(crate) mod join {
    /// 1: clone the node into the joined pid namespace (setns only moves
    /// the caller's future children there); 0: exec the node directly.
    pub(crate) const CLONE_CHILD: usize = 6;
    /// With `CLONE_CHILD`: the fd of the cgroup directory the node is
    /// cloned into (`CLONE_INTO_CGROUP`), or -1 for the program's own.
    pub(crate) const NODE_CGROUP_FD: usize = 7;
    /// The working directory, or the empty string for none.
    pub(crate) const CWD: usize = 8;
    /// The uid to drop to (`setresuid`), or -1 to keep it.
    pub(crate) const UID: usize = 9;
    /// The gid to drop to (`setresgid`), or -1 to keep it.
    pub(crate) const GID: usize = 10;
    /// The supplementary groups, comma-separated (`setgroups`; empty: none),
    /// or [`KEEP_GROUPS`] to keep them.
    pub(crate) const GROUPS: usize = 11;
    /// The index in the environment of the `LISTEN_PID` entry to fill in
    /// with the node's pid ([`write_listen_pid`](super::write_listen_pid)),
    /// or -1.
    pub(crate) const LISTEN_PID_ENV: usize = 12;
    /// With `CLONE_CHILD`: the node's fd of its pseudo-terminal, which its
    /// clone makes its controlling terminal once it leads a session of its
    /// own (`TIOCSCTTY`), or -1.
    pub(crate) const CONTROLLING_TERMINAL: usize = 13;
    /// How many candidate paths follow.
    pub(crate) const CANDIDATES: usize = 14;
    /// The first candidate path; the node's `argv` follows the last one.
    pub(crate) const FIRST_CANDIDATE: usize = 15;
    /// `GROUPS` when the node keeps its supplementary groups.
    pub(crate) const KEEP_GROUPS: &[u8] = b"-";
    /// The most supplementary groups `GROUPS` may list: it is one
    /// argument, which the kernel caps at 128 KiB (`MAX_ARG_STRLEN`), and
    /// 8,192 ids of up to 10 digits and a comma fill 90 KB of it (the
    /// kernel itself takes up to 65,536).
    pub(crate) const MAX_GROUPS: usize = 8_192;
}

/// The namespace kinds a scope can have, with their `CLONE_NEW*` flag and
/// their file in `/proc/self/ns`, in the order they are joined — the user
/// namespace first, which gives the capabilities the others need — and in
/// which a scope's namespace fds are sent, held and passed on.
pub(crate) const NAMESPACES: [(u32, &core::ffi::CStr); 6] = [
    (0x1000_0000, c"/proc/self/ns/user"),
    (0x2000_0000, c"/proc/self/ns/pid"),
    (0x4000_0000, c"/proc/self/ns/net"),
    (0x0002_0000, c"/proc/self/ns/mnt"),
    (0x0400_0000, c"/proc/self/ns/uts"),
    (0x0800_0000, c"/proc/self/ns/ipc"),
];

/// The rest of `watch`'s arguments.
pub(crate) mod watch {
    /// The application's cgroup directory, where its graphs' cgroups are.
    pub(crate) const PARENT_FD: usize = 6;
    /// What the name of each of the application's graph cgroups starts
    /// with (its pid and a token of its own).
    pub(crate) const PREFIX: usize = 7;
    /// How many arguments `watch` takes, `argv[0]` included.
    pub(crate) const COUNT: usize = 8;
}

/// Make `/` private (MS_REC | MS_PRIVATE): the scope has a mount namespace.
pub(crate) const SETUP_ROOT_PRIVATE: u32 = 1;
/// Mount a fresh `/proc`: the scope has mount and pid namespaces.
pub(crate) const SETUP_MOUNT_PROC: u32 = 2;
/// Bring `lo` up: the scope has a network namespace.
pub(crate) const SETUP_LOOPBACK_UP: u32 = 4;
/// Set the hostname: the scope has a UTS namespace and a hostname.
pub(crate) const SETUP_HOSTNAME: u32 = 8;
/// Cover every cgroup hierarchy and every `proc` mount but `/proc`, then
/// lock every mount (`mounts.rs`): the scope has its own user and pid
/// namespaces, and a mount namespace.
pub(crate) const SETUP_LOCK_MOUNTS: u32 = 16;

/// A request byte the application sends a scope's init once it is set up:
/// answer with a report carrying a non-blocking TCP socket of the init's
/// network namespace (the scope's), IPv4 or IPv6 — what a probe of a node
/// in the scope connects with. Any other byte is ignored; EOF ends the
/// init.
pub(crate) const REQUEST_TCP_SOCKET_V4: u8 = b'4';
/// See [`REQUEST_TCP_SOCKET_V4`].
pub(crate) const REQUEST_TCP_SOCKET_V6: u8 = b'6';
/// A request byte: SIGKILL every process of the init's pid namespace but
/// the init (`kill(-1, SIGKILL)` from its pid 1), reap them as they exit
/// (up to a second without an exit), wait until the application's children
/// among them have ended too (where the init has a `/proc` of its own, one
/// to two seconds at most), then answer with an `OK` report without fds
/// that says how many of those it left ([`REPORT_LEN`]). The application
/// asks it when the only node of a pid scope without cgroups has ended:
/// what is left are that node's daemons and clones.
pub(crate) const REQUEST_CLEAR: u8 = b'k';

/// The pid of an `OK` report that means "this process": a scope's init
/// that needs no pid namespace is the `create` program itself.
pub(crate) const ITSELF: i32 = 0;

/// The pid of an `OK` report that means "about to `execve`": the pipe's EOF
/// next says the `execve` happened (the pipe is close-on-exec), another
/// report that it failed. Without it, EOF could not tell an `execve` from a
/// death: a program SIGKILLed before it reports closes the pipe too.
pub(crate) const EXECUTING: i32 = -1;

/// The errno of an `OK` report that means "cloned, not yet exec'd": the
/// pid is the node's clone, which writes this report itself before
/// anything else (and exits if it cannot), and the program's report of how
/// the start went follows. So the application holds the pid of every clone
/// that may run, and can kill it when it gives up on the start, or stops
/// the node during it, without waiting for the program (a scope-mate may
/// slow the clone's `execve`) and whatever becomes of the program.
pub(crate) const CLONING: i32 = -1;

/// The report: `[step, errno, pid, helper]`. `helper` is 0, or the pid of
/// a helper the program cloned as the application's child (`CLONE_PARENT`),
/// which has exited or is about to, for the application to reap: the one
/// through which `create` clones the init of a pid namespace nested in an
/// enclosing scope's. A scope's init sends its own with
/// its namespace fds attached (`SCM_RIGHTS`, in [`NAMESPACES`] order), then
/// one message per `NOTIFY_SOCKET` it was asked for, each carrying a unix
/// datagram socket of its network namespace, bound to an address the
/// kernel chose (autobind: unique, and no one can take it first). Its
/// answer to a [`REQUEST_CLEAR`] puts in the `pid` word how many of the
/// application's children the kill left in its namespace, all ended; -1
/// where it cannot tell.
pub(crate) const REPORT_LEN: usize = 16;

/// The steps a report names: `OK`, or where the program failed.
pub(crate) mod step {
    pub(crate) const OK: i32 = 0;
    pub(crate) const ARGUMENTS: i32 = 1;
    pub(crate) const PARENT_DIED: i32 = 2;
    pub(crate) const DEATH_SIGNAL: i32 = 3;
    pub(crate) const NOT_DUMPABLE: i32 = 4;
    pub(crate) const SETNS: i32 = 5;
    pub(crate) const CLONE: i32 = 6;
    pub(crate) const PROCESS_GROUP: i32 = 7;
    pub(crate) const CHDIR: i32 = 8;
    pub(crate) const EXECVE: i32 = 9;
    pub(crate) const WAIT_FOR_MAPS: i32 = 10;
    pub(crate) const ROOT_PRIVATE: i32 = 11;
    pub(crate) const MOUNT_PROC: i32 = 12;
    pub(crate) const LOOPBACK_UP: i32 = 13;
    pub(crate) const HOSTNAME: i32 = 14;
    pub(crate) const SIGNALFD: i32 = 16;
    pub(crate) const CLOSE_FDS: i32 = 17;
    pub(crate) const NAMESPACE_FDS: i32 = 18;
    pub(crate) const NOTIFY_SOCKET: i32 = 19;
    /// The node's clone was killed before it reached its `execve`.
    pub(crate) const KILLED: i32 = 20;
    pub(crate) const SETGROUPS: i32 = 21;
    pub(crate) const SETGID: i32 = 22;
    pub(crate) const SETUID: i32 = 23;
    /// The init could not make a probe socket of its network namespace.
    pub(crate) const PROBE_SOCKET: i32 = 24;
    /// The node's clone was found stopped before its `execve` (a node of
    /// the scope may signal it), and killed; the errno is `ETIMEDOUT`.
    pub(crate) const HELD_UP: i32 = 25;
    /// Covering the cgroup hierarchies and the other `proc` mounts.
    pub(crate) const COVER_OUTSIDE_VIEWS: i32 = 26;
    pub(crate) const LOCK_MOUNTS: i32 = 27;
    pub(crate) const SESSION: i32 = 28;
    /// The init was asked to kill what its scope's only node left, and is
    /// no pid 1 (the errno is `EPERM`): from anywhere else, `kill(-1)`
    /// would reach every process of its uid outside the scope.
    pub(crate) const CLEAR: i32 = 29;
    /// `ioctl(TIOCSCTTY)` on the node's pseudo-terminal.
    pub(crate) const CONTROLLING_TERMINAL: i32 = 30;
    /// The init's waits (`epoll_create1`, `epoll_ctl`).
    pub(crate) const EPOLL: i32 = 31;
}

/// The `LISTEN_PID` entry of a socket-activated node's environment as the
/// runtime builds it: room for any pid (the kernel's are below 2^22, 7
/// digits), which the process that becomes the node overwrites with its own
/// pid, from `getpid()`, just before `execve` — after `clone`, so nothing
/// is allocated then.
pub(crate) const LISTEN_PID_PLACEHOLDER: &[u8] = b"LISTEN_PID=0000000000";

/// Writes `pid` in decimal and a NUL after `LISTEN_PID=` in `entry` (the
/// placeholder's bytes and its NUL). False, writing nothing, if `entry` is
/// not such a placeholder. No panics: it runs between clone and exec.
pub(crate) fn write_listen_pid(entry: &mut [u8], pid: u32) -> bool {
    let prefix = b"LISTEN_PID=";
    if entry.len() <= LISTEN_PID_PLACEHOLDER.len() || !entry.starts_with(prefix) {
        return false;
    }
    let mut digits = [0u8; 20];
    let used = decimal(u64::from(pid), &mut digits);
    let (_, value) = entry.split_at_mut(prefix.len());
    for (to, from) in value.iter_mut().zip(used.iter().chain(&[0])) {
        *to = *from;
    }
    true
}

/// `n` in decimal, written at the end of `digits`: the digits used. No
/// panics: it runs between clone and exec.
pub(crate) fn decimal(n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let (mut n, mut len) = (n, 0);
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    let (_, used) = digits.split_at(digits.len() - len);
    used
}
