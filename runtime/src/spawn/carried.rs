//! The carried scope program (`carried/` beside `src/`), seen from the
//! application: the sealed memfd it runs from, the arguments of its two
//! modes, and what its report means.
//!
//! Everything that happens inside a scope's namespaces — creating a scope's
//! init, and starting a node in a scope — is done by that program in an
//! address space of its own, never by a process that shares the
//! application's memory (see `carried/main.rs` for why this matters, and the
//! crate's "Guarantees" documentation).

use std::ffi::{CStr, OsStr};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;

use rustix::fs::{MemfdFlags, SealFlags};
use rustix::io::Errno;

use super::exec_spec::StringArray;
use crate::error::Step;
use crate::scope::InsideIds;

// Shared with the program, which uses the parts this side does not.
#[allow(dead_code)]
#[path = "../../carried/protocol.rs"]
mod protocol;

// The program's mountinfo reading, unit-tested here.
#[cfg(test)]
#[path = "../../carried/mountinfo.rs"]
mod mountinfo;

pub(crate) use protocol::join::MAX_GROUPS;
pub(crate) use protocol::{LISTEN_PID_PLACEHOLDER, write_listen_pid};
pub(crate) use protocol::{
    NAMESPACES, REPORT_LEN, REQUEST_CLEAR, REQUEST_TCP_SOCKET_V4, REQUEST_TCP_SOCKET_V6,
    SETUP_HOSTNAME, SETUP_LOCK_MOUNTS, SETUP_LOOPBACK_UP, SETUP_MOUNT_PROC, SETUP_ROOT_PRIVATE,
};

/// The program, built for this target by the build script.
static PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/scope-program"));

/// The fd the program is executed from: a memfd holding [`PROGRAM`],
/// sealed against every change, created once per process.
///
/// Sealed, because the application itself executes it: were anything able
/// to write it, that would be code run with the application's credentials.
pub(crate) fn program_fd() -> io::Result<BorrowedFd<'static>> {
    if let Some(fd) = PROGRAM_FD.get() {
        return Ok(fd.as_fd());
    }
    let fd = sealed_program()?;
    // A racing thread may have won; its memfd is as good as ours.
    Ok(PROGRAM_FD.get_or_init(|| fd).as_fd())
}

static PROGRAM_FD: OnceLock<OwnedFd> = OnceLock::new();

fn sealed_program() -> io::Result<OwnedFd> {
    let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
    // MFD_EXEC (Linux 6.3) keeps `vm.memfd_noexec = 1` from making the memfd
    // non-executable; older kernels reject the flag.
    let fd = match rustix::fs::memfd_create(c"process-graph-scope", flags | MemfdFlags::EXEC) {
        Err(Errno::INVAL) => rustix::fs::memfd_create(c"process-graph-scope", flags)?,
        other => other?,
    };
    let mut rest = PROGRAM;
    while !rest.is_empty() {
        match rustix::io::write(&fd, rest) {
            Ok(n) => rest = &rest[n..],
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let seals = SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE;
    rustix::fs::fcntl_add_seals(&fd, seals)?;
    Ok(fd)
}

/// Where the program finds what it needs to enter a scope, in the fd table
/// the application's child gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProgramFds {
    /// The report pipe's write end.
    pub(crate) report: i32,
    /// The first of the namespace fds of the scope joined first.
    pub(crate) scope: Option<i32>,
    /// `join` into a pid namespace only: the directory of the cgroup the
    /// node is cloned into, where that is not the program's (see
    /// `Launcher::clone_cgroups`).
    pub(crate) node_cgroup: Option<i32>,
}

/// What a `join` or `create` program is to do besides its mode's own
/// arguments: which scope to enter first, and how to check its parent.
pub(crate) struct Entry {
    pub(crate) app_pid: i32,
    pub(crate) fds: ProgramFds,
    /// The `CLONE_NEW*` flags of the namespace fds at `fds.scope`.
    pub(crate) join_flags: u32,
}

/// Builds the program's `argv` in protocol order: each argument must land
/// at the index the protocol names for it.
struct Arguments(StringArray);

impl Arguments {
    fn new(mode: &[u8], entry: &Entry) -> Arguments {
        let mut args = Arguments(StringArray::default());
        args.put(0, protocol::PROGRAM_NAME);
        args.put(1, mode);
        args.number(protocol::common::APP_PID, entry.app_pid);
        args.number(protocol::common::REPORT_FD, entry.fds.report);
        args.number(protocol::common::SCOPE_FDS, entry.fds.scope.unwrap_or(-1));
        args.number(protocol::common::JOIN_FLAGS, entry.join_flags);
        args
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        debug_assert_eq!(self.0.len(), at, "argument out of protocol order");
        self.0.push_bytes(bytes);
    }

    fn number(&mut self, at: usize, n: impl std::fmt::Display) {
        self.put(at, n.to_string().as_bytes());
    }
}

/// `argv` of `create`: clone an init with `new_flags` into new namespaces
/// and set them up as `setup` (the `SETUP_*` bits) says, then make
/// `notify_sockets` `NOTIFY_SOCKET`s in its network namespace. The init's
/// end of its sync socket is at `sync_fd`.
pub(crate) fn create_arguments(
    entry: &Entry,
    sync_fd: i32,
    new_flags: u64,
    setup: u32,
    hostname: Option<&str>,
    notify_sockets: usize,
    ids: Option<InsideIds>,
) -> Result<StringArray, String> {
    let mut args = Arguments::new(protocol::MODE_CREATE, entry);
    args.number(protocol::create::SYNC_FD, sync_fd);
    args.number(protocol::create::NEW_FLAGS, new_flags);
    args.number(protocol::create::SETUP, setup);
    let hostname = hostname.unwrap_or("").as_bytes();
    if hostname.contains(&0) {
        return Err("the hostname contains a NUL byte".to_owned());
    }
    args.put(protocol::create::HOSTNAME, hostname);
    args.number(protocol::create::NOTIFY_SOCKETS, notify_sockets);
    let id = |id: Option<u32>| id.map_or(-1, i64::from);
    args.number(protocol::create::INSIDE_UID, id(ids.map(|i| i.uid)));
    args.number(protocol::create::INSIDE_GID, id(ids.map(|i| i.gid)));
    let clear_groups = ids.is_some_and(|i| i.clear_groups);
    args.number(protocol::create::CLEAR_GROUPS, u8::from(clear_groups));
    Ok(args.0.finish())
}

/// The ids a `join` drops to before it runs the node; `None` keeps each.
pub(crate) struct IdChange<'a> {
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) groups: Option<&'a [u32]>,
}

/// How a `join` clones the node into its scope's pid namespace (`setns`
/// moves only the caller's future children there).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeClone {
    /// The node's fd of its pseudo-terminal: the clone, which leads a
    /// session of its own, makes it its controlling terminal. (A node that
    /// is not cloned is given it by the application's child, which becomes
    /// the program and then the node, in its session.)
    pub(crate) controlling_terminal: Option<i32>,
}

/// `argv` of `join`: enter the scope (if any), drop to `ids`, and run the
/// node, whose own `argv` (already checked for NUL bytes) follows its
/// candidate paths. With `clone`, the node is cloned into the scope's
/// pid namespace.
pub(crate) fn join_arguments(
    entry: &Entry,
    clone: Option<NodeClone>,
    cwd: Option<&OsStr>,
    ids: &IdChange<'_>,
    listen_pid: Option<usize>,
    candidates: &[Vec<u8>],
    node_argv: &[&[u8]],
) -> StringArray {
    let mut args = Arguments::new(protocol::MODE_JOIN, entry);
    args.number(protocol::join::CLONE_CHILD, u8::from(clone.is_some()));
    args.number(
        protocol::join::NODE_CGROUP_FD,
        entry.fds.node_cgroup.unwrap_or(-1),
    );
    args.put(protocol::join::CWD, cwd.map_or(&b""[..], OsStr::as_bytes));
    let id = |id: Option<u32>| id.map_or(-1, i64::from);
    args.number(protocol::join::UID, id(ids.uid));
    args.number(protocol::join::GID, id(ids.gid));
    match ids.groups {
        None => args.put(protocol::join::GROUPS, protocol::join::KEEP_GROUPS),
        Some(groups) => {
            let list: Vec<String> = groups.iter().map(u32::to_string).collect();
            args.put(protocol::join::GROUPS, list.join(",").as_bytes());
        }
    }
    args.number(
        protocol::join::LISTEN_PID_ENV,
        listen_pid.map_or(-1, |i| i as i64),
    );
    let terminal = clone.and_then(|clone| clone.controlling_terminal);
    args.number(protocol::join::CONTROLLING_TERMINAL, terminal.unwrap_or(-1));
    args.number(protocol::join::CANDIDATES, candidates.len());
    for (i, candidate) in candidates.iter().enumerate() {
        args.put(protocol::join::FIRST_CANDIDATE + i, candidate);
    }
    for arg in node_argv {
        args.0.push_bytes(arg);
    }
    args.0.finish()
}

/// What a [`join_arguments`] array names for the node, read back from its
/// strings (`string(i)` is string `i`): the paths its `execve` tries, and
/// the directory it changes to first.
pub(crate) fn joined_paths<'a>(
    string: impl Fn(usize) -> Option<&'a CStr>,
) -> (Vec<&'a CStr>, Option<&'a CStr>) {
    use protocol::join::{CANDIDATES, CWD, FIRST_CANDIDATE};
    let count = string(CANDIDATES)
        .and_then(|n| n.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let candidates = (0..count)
        .map_while(|i| string(FIRST_CANDIDATE + i))
        .collect();
    let cwd = string(CWD).filter(|dir| !dir.is_empty());
    (candidates, cwd)
}

/// `argv` of `watch`: outlive the application, and end its graphs' cgroups
/// when it dies. `parent` is where the application's cgroup directory is;
/// the name of each of its graphs' cgroups there starts with `prefix`.
pub(crate) fn watch_arguments(entry: &Entry, parent: i32, prefix: &str) -> StringArray {
    let mut args = Arguments::new(protocol::MODE_WATCH, entry);
    args.number(protocol::watch::PARENT_FD, parent);
    args.put(protocol::watch::PREFIX, prefix.as_bytes());
    args.0.finish()
}

/// What the program reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Report {
    /// Nothing, and the pipe closed: after [`Executing`](Report::Executing),
    /// the `execve` succeeded; otherwise the program died before it could
    /// report (it was killed).
    Died,
    /// The program is about to exec the node itself.
    Executing,
    /// The program is the process it was asked for (a scope's init that
    /// needed no pid namespace), and runs on.
    Itself,
    /// The node's clone, with this pid, reported itself before anything
    /// else; the program's report of how the start went follows.
    Cloning(i32),
    /// It cloned a process (a node, or a scope's init) with this pid.
    Cloned(i32),
    /// It failed at this step; `pid` is a clone that failed after it, or 0.
    Failed { step: i32, errno: i32, pid: i32 },
    /// It was stopped, or did not answer in time (see [`crate::held_up`]).
    HeldUp,
}

impl Report {
    /// Decodes what was read from the report pipe before EOF.
    pub(crate) fn decode(bytes: &[u8]) -> Report {
        let Ok(bytes) = <[u8; REPORT_LEN]>::try_from(bytes) else {
            return match bytes {
                [] => Report::Died,
                _ => Report::protocol_error(),
            };
        };
        let [step, errno, pid, _] = decode_words(&bytes);
        match step {
            protocol::step::OK if errno == protocol::CLONING && pid > 0 => Report::Cloning(pid),
            protocol::step::OK if errno == protocol::CLONING => Report::protocol_error(),
            protocol::step::OK if pid == protocol::ITSELF => Report::Itself,
            protocol::step::OK if pid == protocol::EXECUTING => Report::Executing,
            protocol::step::OK if pid > 0 => Report::Cloned(pid),
            protocol::step::OK => Report::protocol_error(),
            step => Report::Failed { step, errno, pid },
        }
    }

    /// A start that failed at its clone with `errno`.
    pub(crate) fn clone_failed(errno: i32) -> Report {
        Report::Failed {
            step: protocol::step::CLONE,
            errno,
            pid: 0,
        }
    }

    /// A report that breaks the protocol.
    pub(crate) fn protocol_error() -> Report {
        Report::Failed {
            step: protocol::step::ARGUMENTS,
            errno: libc::EPROTO,
            pid: 0,
        }
    }
}

/// The four `i32`s of a report.
pub(crate) fn decode_words(bytes: &[u8; REPORT_LEN]) -> [i32; 4] {
    let word = |i: usize| i32::from_ne_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    [word(0), word(4), word(8), word(12)]
}

/// The node's [`Step`] for a step the program reported while starting it.
pub(crate) fn node_step(step: i32) -> Step {
    use protocol::step::*;
    match step {
        SETNS => Step::Setns,
        CLONE => Step::Clone,
        PROCESS_GROUP => Step::ProcessGroup,
        SESSION => Step::Session,
        CONTROLLING_TERMINAL => Step::ControllingTerminal,
        DEATH_SIGNAL => Step::ParentDeathSignal,
        PARENT_DIED => Step::ParentDied,
        CHDIR => Step::Chdir,
        EXECVE => Step::Execve,
        KILLED => Step::Killed,
        SETGROUPS => Step::SetGroups,
        SETGID => Step::SetGid,
        SETUID => Step::SetUid,
        // Held up like the program itself: `ETIMEDOUT` at the same step.
        HELD_UP => Step::ScopeProgram,
        _ => Step::ScopeProgram,
    }
}

/// What failed, in words, for a step of the program or of a scope's init.
pub(crate) fn describe(step: i32) -> &'static str {
    use protocol::step::*;
    match step {
        ARGUMENTS => "the scope program's arguments",
        PARENT_DIED => "parent-death check",
        DEATH_SIGNAL => "prctl(PR_SET_PDEATHSIG)",
        NOT_DUMPABLE => "prctl(PR_SET_DUMPABLE, 0)",
        SETNS => "setns into the enclosing scope",
        CLONE => "clone3",
        PROCESS_GROUP => "setpgid",
        SESSION => "setsid",
        CONTROLLING_TERMINAL => "ioctl TIOCSCTTY",
        EPOLL => "epoll of the signalfd and the sync socket",
        WAIT_FOR_MAPS => "wait for the id maps",
        ROOT_PRIVATE => "make / private (mount MS_REC|MS_PRIVATE)",
        MOUNT_PROC => "mount /proc",
        LOOPBACK_UP => "bring lo up (SIOCSIFFLAGS)",
        HOSTNAME => "sethostname",
        SIGNALFD => "signalfd for SIGCHLD",
        CLOSE_FDS => "close inherited fds",
        NAMESPACE_FDS => "send the namespace fds",
        NOTIFY_SOCKET => "make a NOTIFY_SOCKET in the scope's network",
        KILLED => "reach execve (the node's clone was killed first)",
        SETGROUPS => "setgroups",
        SETGID => "setgid",
        SETUID => "setuid",
        HELD_UP => "reach execve (the node's clone was found stopped, and killed)",
        COVER_OUTSIDE_VIEWS => {
            "cover the cgroup hierarchies and other proc mounts (an empty tmpfs or /dev/null)"
        }
        LOCK_MOUNTS => {
            "lock the mounts (a copy of the mount namespace made by a nested user namespace)"
        }
        CLEAR => "kill what the scope's only node left (the init is no pid 1)",
        _ => "the scope program",
    }
}

/// The namespace a failed init step concerns, by its `CLONE_NEW*` flag.
pub(crate) fn step_namespace_flag(step: i32) -> Option<u64> {
    use protocol::step::*;
    match step {
        ROOT_PRIVATE | MOUNT_PROC | COVER_OUTSIDE_VIEWS | LOCK_MOUNTS => {
            Some(libc::CLONE_NEWNS as u64)
        }
        LOOPBACK_UP => Some(libc::CLONE_NEWNET as u64),
        HOSTNAME => Some(libc::CLONE_NEWUTS as u64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_a_static_elf() {
        assert_eq!(&PROGRAM[..4], b"\x7fELF");
        assert!(PROGRAM.len() < 64 * 1024, "{} bytes", PROGRAM.len());
    }

    #[test]
    fn the_memfd_is_sealed_against_writes() {
        let fd = program_fd().unwrap();
        let seals = rustix::fs::fcntl_get_seals(fd).unwrap();
        assert!(seals.contains(SealFlags::WRITE | SealFlags::SEAL | SealFlags::GROW));
        assert_eq!(rustix::io::pwrite(fd, b"x", 0), Err(Errno::PERM));
    }

    #[test]
    fn reports_decode() {
        let mut bytes = [0u8; REPORT_LEN];
        assert_eq!(Report::decode(&bytes), Report::Itself);
        bytes[8..12].copy_from_slice(&42i32.to_ne_bytes());
        assert_eq!(Report::decode(&bytes), Report::Cloned(42));
        bytes[4..8].copy_from_slice(&protocol::CLONING.to_ne_bytes());
        assert_eq!(Report::decode(&bytes), Report::Cloning(42));
        bytes[4..8].fill(0);
        assert_eq!(Report::decode(&[]), Report::Died);
        bytes[8..12].copy_from_slice(&protocol::EXECUTING.to_ne_bytes());
        assert_eq!(Report::decode(&bytes), Report::Executing);
        bytes[8..12].copy_from_slice(&42i32.to_ne_bytes());
        bytes[..4].copy_from_slice(&protocol::step::SETNS.to_ne_bytes());
        bytes[4..8].copy_from_slice(&libc::EPERM.to_ne_bytes());
        assert_eq!(
            Report::decode(&bytes),
            Report::Failed {
                step: protocol::step::SETNS,
                errno: libc::EPERM,
                pid: 42
            }
        );
        assert!(matches!(Report::decode(&bytes[..7]), Report::Failed { .. }));
    }
}
