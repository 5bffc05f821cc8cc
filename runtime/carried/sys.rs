//! The system calls the scope program makes, as thin wrappers over
//! [`crate::arch::syscall6`]: each returns the kernel's result, a
//! non-negative value or `-errno`, and touches nothing else.

use crate::arch::syscall6;

#[cfg(target_arch = "x86_64")]
mod nr {
    pub(super) const READ: usize = 0;
    pub(super) const WRITE: usize = 1;
    pub(super) const CLOSE: usize = 3;
    pub(super) const RT_SIGPROCMASK: usize = 14;
    pub(super) const IOCTL: usize = 16;
    pub(super) const SOCKET: usize = 41;
    pub(super) const SENDMSG: usize = 46;
    pub(super) const BIND: usize = 49;
    pub(super) const WAIT4: usize = 61;
    pub(super) const KILL: usize = 62;
    pub(super) const FCNTL: usize = 72;
    pub(super) const CHDIR: usize = 80;
    pub(super) const SETPGID: usize = 109;
    pub(super) const SETSID: usize = 112;
    pub(super) const GETPPID: usize = 110;
    pub(super) const GETPID: usize = 39;
    pub(super) const CLOCK_GETTIME: usize = 228;
    pub(super) const PRCTL: usize = 157;
    pub(super) const MOUNT: usize = 165;
    pub(super) const SETHOSTNAME: usize = 170;
    pub(super) const EXIT_GROUP: usize = 231;
    pub(super) const OPENAT: usize = 257;
    pub(super) const PPOLL: usize = 271;
    pub(super) const EPOLL_CREATE1: usize = 291;
    pub(super) const EPOLL_CTL: usize = 233;
    pub(super) const EPOLL_PWAIT: usize = 281;
    pub(super) const PIPE2: usize = 293;
    pub(super) const SIGNALFD4: usize = 289;
    pub(super) const DUP3: usize = 292;
    pub(super) const SETNS: usize = 308;
    pub(super) const UNSHARE: usize = 272;
    pub(super) const CLONE3: usize = 435;
    pub(super) const FSOPEN: usize = 430;
    pub(super) const FSCONFIG: usize = 431;
    pub(super) const FSMOUNT: usize = 432;
    pub(super) const CLOSE_RANGE: usize = 436;
    pub(super) const PIDFD_OPEN: usize = 434;
    pub(super) const PIDFD_SEND_SIGNAL: usize = 424;
    pub(super) const PREAD64: usize = 17;
    pub(super) const SETGROUPS: usize = 116;
    pub(super) const SETRESUID: usize = 117;
    pub(super) const SETRESGID: usize = 119;
    pub(super) const SOCKETPAIR: usize = 53;
    pub(super) const SETSOCKOPT: usize = 54;
    pub(super) const RECVMSG: usize = 47;
}

#[cfg(target_arch = "aarch64")]
mod nr {
    pub(super) const READ: usize = 63;
    pub(super) const WRITE: usize = 64;
    pub(super) const CLOSE: usize = 57;
    pub(super) const RT_SIGPROCMASK: usize = 135;
    pub(super) const IOCTL: usize = 29;
    pub(super) const SOCKET: usize = 198;
    pub(super) const SENDMSG: usize = 211;
    pub(super) const BIND: usize = 200;
    pub(super) const WAIT4: usize = 260;
    pub(super) const KILL: usize = 129;
    pub(super) const FCNTL: usize = 25;
    pub(super) const CHDIR: usize = 49;
    pub(super) const SETPGID: usize = 154;
    pub(super) const SETSID: usize = 157;
    pub(super) const GETPPID: usize = 173;
    pub(super) const GETPID: usize = 172;
    pub(super) const CLOCK_GETTIME: usize = 113;
    pub(super) const PRCTL: usize = 167;
    pub(super) const MOUNT: usize = 40;
    pub(super) const SETHOSTNAME: usize = 161;
    pub(super) const EXIT_GROUP: usize = 94;
    pub(super) const OPENAT: usize = 56;
    pub(super) const PPOLL: usize = 73;
    pub(super) const EPOLL_CREATE1: usize = 20;
    pub(super) const EPOLL_CTL: usize = 21;
    pub(super) const EPOLL_PWAIT: usize = 22;
    pub(super) const PIPE2: usize = 59;
    pub(super) const SIGNALFD4: usize = 74;
    pub(super) const DUP3: usize = 24;
    pub(super) const SETNS: usize = 268;
    pub(super) const UNSHARE: usize = 97;
    pub(super) const CLONE3: usize = 435;
    pub(super) const FSOPEN: usize = 430;
    pub(super) const FSCONFIG: usize = 431;
    pub(super) const FSMOUNT: usize = 432;
    pub(super) const CLOSE_RANGE: usize = 436;
    pub(super) const PIDFD_OPEN: usize = 434;
    pub(super) const PIDFD_SEND_SIGNAL: usize = 424;
    pub(super) const PREAD64: usize = 67;
    pub(super) const SETGROUPS: usize = 159;
    pub(super) const SETRESUID: usize = 147;
    pub(super) const SETRESGID: usize = 149;
    pub(super) const SOCKETPAIR: usize = 199;
    pub(super) const SETSOCKOPT: usize = 208;
    pub(super) const RECVMSG: usize = 212;
}

pub(crate) const SIGKILL: usize = 9;
pub(crate) const ENOENT: i32 = 2;
pub(crate) const EINTR: i32 = 4;
pub(crate) const SIGCHLD: usize = 17;
pub(crate) const ETIMEDOUT: i32 = 110;
pub(crate) const CLONE_VM: u64 = 0x100;
pub(crate) const CLONE_FILES: u64 = 0x400;
pub(crate) const CLONE_PIDFD: u64 = 0x1000;
pub(crate) const CLONE_PARENT: u64 = 0x8000;
pub(crate) const CLONE_PARENT_SETTID: u64 = 0x10_0000;
pub(crate) const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
const O_NONBLOCK: usize = 0o4000;
const O_CLOEXEC: usize = 0o2_000_000;
pub(crate) const AT_FDCWD: isize = -100;

/// Runs a system call with up to six arguments.
fn call(nr: usize, a: [usize; 6]) -> isize {
    // SAFETY: every wrapper below passes arguments that satisfy its syscall:
    // pointers come from live references with the lengths given.
    unsafe { syscall6(nr, a) }
}

pub(crate) fn read(fd: i32, buf: &mut [u8]) -> isize {
    call(
        nr::READ,
        [fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

pub(crate) fn write(fd: i32, buf: &[u8]) -> isize {
    call(
        nr::WRITE,
        [fd as usize, buf.as_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

pub(crate) fn close(fd: i32) -> isize {
    call(nr::CLOSE, [fd as usize, 0, 0, 0, 0, 0])
}

/// `fcntl(fd, F_SETFD, FD_CLOEXEC)`.
pub(crate) fn set_cloexec(fd: i32) -> isize {
    call(nr::FCNTL, [fd as usize, 2, 1, 0, 0, 0])
}

/// `openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC)`.
pub(crate) fn open_read(path: &core::ffi::CStr) -> isize {
    call(
        nr::OPENAT,
        [
            AT_FDCWD as usize,
            path.as_ptr() as usize,
            O_CLOEXEC,
            0,
            0,
            0,
        ],
    )
}

/// `sendmsg(fd, bytes, SCM_RIGHTS(fds), 0)`, for up to eight fds.
pub(crate) fn send_with_fds(fd: i32, bytes: &[u8], fds: &[i32]) -> isize {
    // `struct cmsghdr` (len, level, type) then the fds, 8-byte aligned.
    #[repr(C, align(8))]
    struct Control {
        len: usize,
        level: i32,
        kind: i32,
        fds: [i32; 8],
    }
    #[repr(C)]
    struct IoVec {
        base: *const u8,
        len: usize,
    }
    #[repr(C)]
    struct MsgHdr {
        name: usize,
        name_len: u32,
        iov: *const IoVec,
        iov_len: usize,
        control: *const Control,
        control_len: usize,
        flags: i32,
    }
    let count = fds.len().min(8);
    let mut control = Control {
        len: 16 + 4 * count,
        level: 1,
        kind: 1,
        fds: [-1; 8],
    };
    control.fds[..count].copy_from_slice(&fds[..count]);
    let iov = IoVec {
        base: bytes.as_ptr(),
        len: bytes.len(),
    };
    let message = MsgHdr {
        name: 0,
        name_len: 0,
        iov: &iov,
        iov_len: 1,
        control: if count == 0 {
            core::ptr::null()
        } else {
            &control
        },
        // CMSG_SPACE: the length rounded up to 8.
        control_len: if count == 0 {
            0
        } else {
            (16 + 4 * count + 7) & !7
        },
        flags: 0,
    };
    call(
        nr::SENDMSG,
        [fd as usize, &raw const message as usize, 0, 0, 0, 0],
    )
}

/// `openat(dir, path, O_WRONLY | O_CLOEXEC)`.
pub(crate) fn open_write_at(dir: i32, path: &core::ffi::CStr) -> isize {
    call(
        nr::OPENAT,
        [dir as usize, path.as_ptr() as usize, 1 | O_CLOEXEC, 0, 0, 0],
    )
}

/// `openat(dir, path, O_RDONLY | O_CLOEXEC)`: a file, or (with
/// `directory`) a directory. `path` ends with its NUL.
pub(crate) fn open_read_at(dir: i32, path: &[u8], directory: bool) -> isize {
    const O_DIRECTORY: usize = 0o200_000;
    let flags = O_CLOEXEC | if directory { O_DIRECTORY } else { 0 };
    call(
        nr::OPENAT,
        [dir as usize, path.as_ptr() as usize, flags, 0, 0, 0],
    )
}

/// `pread64(fd, buf, 0)`.
pub(crate) fn read_from_start(fd: i32, buf: &mut [u8]) -> isize {
    call(
        nr::PREAD64,
        [fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

/// `pidfd_open(pid, 0)`.
pub(crate) fn pidfd_open(pid: isize) -> isize {
    call(nr::PIDFD_OPEN, [pid as usize, 0, 0, 0, 0, 0])
}

/// `close_range(first, last, 0)`.
pub(crate) fn close_between(first: u32, last: u32) -> isize {
    call(nr::CLOSE_RANGE, [first as usize, last as usize, 0, 0, 0, 0])
}

/// `dup3(src, target, 0)`.
pub(crate) fn dup3(src: i32, target: i32) -> isize {
    call(nr::DUP3, [src as usize, target as usize, 0, 0, 0, 0])
}

/// `close_range(first, ~0U, 0)`.
pub(crate) fn close_from(first: u32) -> isize {
    call(
        nr::CLOSE_RANGE,
        [first as usize, u32::MAX as usize, 0, 0, 0, 0],
    )
}

pub(crate) fn prctl(option: usize, arg: usize) -> isize {
    call(nr::PRCTL, [option, arg, 0, 0, 0, 0])
}

/// `prctl(PR_SET_PDEATHSIG, SIGKILL)`.
pub(crate) fn die_with_parent() -> isize {
    prctl(1, SIGKILL)
}

/// `prctl(PR_SET_NAME, name)`: what `ps` shows as the command.
pub(crate) fn set_name(name: &core::ffi::CStr) -> isize {
    prctl(15, name.as_ptr() as usize)
}

/// `prctl(PR_SET_DUMPABLE, 0)`.
pub(crate) fn not_dumpable() -> isize {
    prctl(4, 0)
}

/// `CLOCK_MONOTONIC` in seconds (the nanoseconds dropped): enough for
/// deadlines of whole seconds, which it never runs short of.
pub(crate) fn monotonic_seconds() -> i64 {
    const CLOCK_MONOTONIC: usize = 1;
    let mut now = [0i64; 2];
    call(
        nr::CLOCK_GETTIME,
        [CLOCK_MONOTONIC, now.as_mut_ptr() as usize, 0, 0, 0, 0],
    );
    now[0]
}

pub(crate) fn getpid() -> isize {
    call(nr::GETPID, [0; 6])
}

pub(crate) fn getppid() -> isize {
    call(nr::GETPPID, [0; 6])
}

pub(crate) fn kill(pid: isize, signal: usize) -> isize {
    call(nr::KILL, [pid as usize, signal, 0, 0, 0, 0])
}

/// `pidfd_send_signal(pidfd, signal, NULL, 0)`.
pub(crate) fn pidfd_kill(pidfd: i32, signal: usize) -> isize {
    call(nr::PIDFD_SEND_SIGNAL, [pidfd as usize, signal, 0, 0, 0, 0])
}

/// `setpgid(0, 0)`: the init's own group, in the application's session
/// (see `ChildSetup::group_only`).
pub(crate) fn own_process_group() -> isize {
    call(nr::SETPGID, [0; 6])
}

/// `setsid()`: a node's session and process group of its own, outside the
/// application's (see `spawn/child.rs`).
pub(crate) fn own_session() -> isize {
    call(nr::SETSID, [0; 6])
}

/// `ioctl(fd, TIOCSCTTY, 0)`: the terminal at `fd` becomes the controlling
/// terminal of our session, which we lead and which has none yet.
pub(crate) fn controlling_terminal(fd: i32) -> isize {
    const TIOCSCTTY: usize = 0x540E;
    call(nr::IOCTL, [fd as usize, TIOCSCTTY, 0, 0, 0, 0])
}

/// `setgroups(groups.len(), groups)`.
pub(crate) fn setgroups(groups: &[u32]) -> isize {
    call(
        nr::SETGROUPS,
        [groups.len(), groups.as_ptr() as usize, 0, 0, 0, 0],
    )
}

/// `setresgid(gid, gid, gid)`: real, effective and saved.
pub(crate) fn setresgid(gid: u32) -> isize {
    let gid = gid as usize;
    call(nr::SETRESGID, [gid, gid, gid, 0, 0, 0])
}

/// `setresuid(uid, uid, uid)`: real, effective and saved.
pub(crate) fn setresuid(uid: u32) -> isize {
    let uid = uid as usize;
    call(nr::SETRESUID, [uid, uid, uid, 0, 0, 0])
}

pub(crate) fn chdir(path: *const u8) -> isize {
    call(nr::CHDIR, [path as usize, 0, 0, 0, 0, 0])
}

pub(crate) fn setns(fd: i32, flags: u32) -> isize {
    call(nr::SETNS, [fd as usize, flags as usize, 0, 0, 0, 0])
}

pub(crate) fn unshare(flags: u64) -> isize {
    call(nr::UNSHARE, [flags as usize, 0, 0, 0, 0, 0])
}

pub(crate) fn mount(
    source: &core::ffi::CStr,
    target: &core::ffi::CStr,
    fstype: Option<&core::ffi::CStr>,
    flags: usize,
) -> isize {
    let fstype = fstype.map_or(0, |t| t.as_ptr() as usize);
    let args = [
        source.as_ptr() as usize,
        target.as_ptr() as usize,
        fstype,
        flags,
        0,
        0,
    ];
    call(nr::MOUNT, args)
}

/// A mount of a new instance of the file system `fstype`, attached nowhere
/// (`fsopen`, `fsconfig(FSCONFIG_CMD_CREATE)`, `fsmount`), with the
/// `MOUNT_ATTR_*` bits `attributes`: an fd of its root (`O_PATH`), which no
/// other process can reach through a path, or `-errno`.
pub(crate) fn detached_mount(fstype: &core::ffi::CStr, attributes: usize) -> isize {
    const FSOPEN_CLOEXEC: usize = 1;
    const FSCONFIG_CMD_CREATE: usize = 6;
    const FSMOUNT_CLOEXEC: usize = 1;
    let context = call(
        nr::FSOPEN,
        [fstype.as_ptr() as usize, FSOPEN_CLOEXEC, 0, 0, 0, 0],
    );
    if context < 0 {
        return context;
    }
    let create = [context as usize, FSCONFIG_CMD_CREATE, 0, 0, 0, 0];
    let mut ret = call(nr::FSCONFIG, create);
    if ret >= 0 {
        ret = call(
            nr::FSMOUNT,
            [context as usize, FSMOUNT_CLOEXEC, attributes, 0, 0, 0],
        );
    }
    close(context as i32);
    ret
}

pub(crate) fn sethostname(name: &[u8]) -> isize {
    call(
        nr::SETHOSTNAME,
        [name.as_ptr() as usize, name.len(), 0, 0, 0, 0],
    )
}

/// `socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)`.
pub(crate) fn inet_dgram_socket() -> isize {
    call(nr::SOCKET, [2, 2 | O_CLOEXEC, 0, 0, 0, 0])
}

/// `socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)`: a
/// TCP socket for a probe's connect, of this process's network namespace.
pub(crate) fn tcp_socket(family: usize) -> isize {
    call(nr::SOCKET, [family, 1 | O_CLOEXEC | O_NONBLOCK, 0, 0, 0, 0])
}

/// `socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)`.
pub(crate) fn unix_dgram_socket() -> isize {
    call(nr::SOCKET, [1, 2 | O_CLOEXEC | O_NONBLOCK, 0, 0, 0, 0])
}

/// `bind(fd, {AF_UNIX}, sizeof(sa_family_t))`: the kernel picks a free
/// abstract address (autobind).
pub(crate) fn autobind(fd: i32) -> isize {
    let family: u16 = 1;
    call(
        nr::BIND,
        [fd as usize, &raw const family as usize, 2, 0, 0, 0],
    )
}

/// `ioctl(fd, request, arg)` for a request that takes a pointer.
pub(crate) fn ioctl(fd: i32, request: usize, arg: &mut [u8]) -> isize {
    call(
        nr::IOCTL,
        [fd as usize, request, arg.as_mut_ptr() as usize, 0, 0, 0],
    )
}

/// The pid, in our pid namespace, of the process `pidfd` refers to, by
/// `ioctl(PIDFD_GET_INFO)` (Linux 6.13); `None` where the kernel has no
/// such request, or the process is reaped.
pub(crate) fn pidfd_pid(pidfd: i32) -> Option<i32> {
    // `_IOWR(0xFF, 11, struct pidfd_info)`, the struct's first version: 64
    // bytes, `mask` then `cgroupid` (u64 each), then `pid` (u32).
    const PIDFD_GET_INFO: usize = 0xC040_FF0B;
    const PIDFD_INFO_PID: u64 = 1;
    let mut info = [0u8; 64];
    info[..8].copy_from_slice(&PIDFD_INFO_PID.to_ne_bytes());
    if ioctl(pidfd, PIDFD_GET_INFO, &mut info) < 0 {
        return None;
    }
    let mask = u64::from_ne_bytes(info[..8].try_into().ok()?);
    let pid = i32::from_ne_bytes(info[16..20].try_into().ok()?);
    (mask & PIDFD_INFO_PID != 0 && pid > 0).then_some(pid)
}

/// `rt_sigprocmask(SIG_SETMASK, mask, NULL)`.
pub(crate) fn set_signal_mask(mask: u64) -> isize {
    call(
        nr::RT_SIGPROCMASK,
        [2, &raw const mask as usize, 0, 8, 0, 0],
    )
}

/// `signalfd4(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK)`.
pub(crate) fn signalfd(mask: u64) -> isize {
    let flags = O_CLOEXEC | O_NONBLOCK;
    call(
        nr::SIGNALFD4,
        [usize::MAX, &raw const mask as usize, 8, flags, 0, 0],
    )
}

/// `ppoll(fds, n, NULL, NULL)`: waits without a timeout.
pub(crate) fn poll(fds: &mut [PollFd]) -> isize {
    call(
        nr::PPOLL,
        [fds.as_mut_ptr() as usize, fds.len(), 0, 0, 8, 0],
    )
}

/// `ppoll(fds, n, timeout, NULL)`: waits up to `seconds` and `nanos`
/// nanoseconds (less than a second); 0 when nothing happened in time.
pub(crate) fn poll_for(fds: &mut [PollFd], seconds: i64, nanos: u32) -> isize {
    let timeout: [i64; 2] = [seconds, i64::from(nanos)];
    call(
        nr::PPOLL,
        [
            fds.as_mut_ptr() as usize,
            fds.len(),
            &raw const timeout as usize,
            0,
            8,
            0,
        ],
    )
}

/// `epoll_create1(EPOLL_CLOEXEC)` with `fds` added, each for input, its
/// fd its data: the fd of a wait on them, or `-errno`. Unlike `ppoll`, a
/// wait on it is not refused once `RLIMIT_NOFILE` is below the number of
/// fds waited on (a process may lower another's, see `init.rs`).
pub(crate) fn epoll_of(fds: &[i32]) -> isize {
    const EPOLL_CTL_ADD: usize = 1;
    const EPOLLIN: u32 = 1;
    let epoll = call(nr::EPOLL_CREATE1, [O_CLOEXEC, 0, 0, 0, 0, 0]);
    for &fd in fds {
        if epoll < 0 {
            break;
        }
        let event = EpollEvent {
            events: EPOLLIN,
            data: fd as u64,
        };
        let add = [
            epoll as usize,
            EPOLL_CTL_ADD,
            fd as usize,
            &raw const event as usize,
            0,
            0,
        ];
        let ret = call(nr::EPOLL_CTL, add);
        if ret < 0 {
            close(epoll as i32);
            return ret;
        }
    }
    epoll
}

/// `epoll_pwait(epoll, events, n, timeout_ms, NULL)`: waits up to
/// `timeout_ms` (-1: without a limit); how many of `events` it filled, 0
/// when nothing happened in time, or `-errno`.
pub(crate) fn epoll_wait(epoll: i32, events: &mut [EpollEvent], timeout_ms: i32) -> isize {
    call(
        nr::EPOLL_PWAIT,
        [
            epoll as usize,
            events.as_mut_ptr() as usize,
            events.len(),
            timeout_ms as isize as usize,
            0,
            8,
        ],
    )
}

/// `struct epoll_event`: packed on x86-64 alone.
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
#[derive(Clone, Copy, Default)]
pub(crate) struct EpollEvent {
    pub(crate) events: u32,
    pub(crate) data: u64,
}

/// `pipe2(fds, O_CLOEXEC)`: `[read end, write end]`, or `-errno`.
pub(crate) fn pipe_cloexec() -> Result<[i32; 2], isize> {
    let mut fds = [-1i32; 2];
    let ret = call(
        nr::PIPE2,
        [fds.as_mut_ptr() as usize, O_CLOEXEC, 0, 0, 0, 0],
    );
    if ret < 0 { Err(ret) } else { Ok(fds) }
}

/// `struct pollfd`.
#[repr(C)]
pub(crate) struct PollFd {
    pub(crate) fd: i32,
    pub(crate) events: i16,
    pub(crate) revents: i16,
}

pub(crate) const POLLIN: i16 = 1;
pub(crate) const POLLPRI: i16 = 2;
pub(crate) const POLLOUT: i16 = 4;
pub(crate) const POLLERR: i16 = 8;

/// `wait4(pid, NULL, 0, NULL)`: waits for the child `pid` and reaps it.
pub(crate) fn wait_for(pid: isize) -> isize {
    call(nr::WAIT4, [pid as usize, 0, 0, 0, 0, 0])
}

/// `wait4(-1, NULL, WNOHANG, NULL)`: reaps one exited child, if any.
pub(crate) fn reap_any() -> isize {
    call(nr::WAIT4, [usize::MAX, 0, 1, 0, 0, 0])
}

/// `struct clone_args` (the first 88 bytes: up to `cgroup`).
#[repr(C)]
#[derive(Default)]
pub(crate) struct CloneArgs {
    pub(crate) flags: u64,
    pub(crate) pidfd: u64,
    pub(crate) child_tid: u64,
    pub(crate) parent_tid: u64,
    pub(crate) exit_signal: u64,
    pub(crate) stack: u64,
    pub(crate) stack_size: u64,
    pub(crate) tls: u64,
    pub(crate) set_tid: u64,
    pub(crate) set_tid_size: u64,
    pub(crate) cgroup: u64,
}

/// `clone3` without a new stack: like `fork`, it returns twice — 0 in the
/// child, which runs on its own copy of this small program's memory.
pub(crate) fn fork_with(args: &mut CloneArgs) -> isize {
    let size = core::mem::size_of::<CloneArgs>();
    call(
        nr::CLONE3,
        [args as *mut CloneArgs as usize, size, 0, 0, 0, 0],
    )
}

/// `clone3` after which the child calls `entry(arg)` on the stack in `args`.
///
/// # Safety
///
/// As for [`crate::arch::clone3_then_call`].
pub(crate) unsafe fn clone_then_call(
    args: &mut CloneArgs,
    entry: crate::arch::ChildEntry,
    arg: *mut core::ffi::c_void,
) -> isize {
    let size = core::mem::size_of::<CloneArgs>();
    let args = (args as *mut CloneArgs).cast();
    // SAFETY: guaranteed by the caller.
    unsafe { crate::arch::clone3_then_call(nr::CLONE3, args, size, entry, arg) }
}

pub(crate) fn exit_group(code: i32) -> ! {
    call(nr::EXIT_GROUP, [code as usize, 0, 0, 0, 0, 0]);
    // exit_group does not return; should it, trap rather than run on.
    loop {
        core::hint::spin_loop();
    }
}

/// The errno of a `-errno` result.
pub(crate) fn errno_of(ret: isize) -> i32 {
    (ret as i32).wrapping_neg()
}

/// Writes the report `[step, errno, pid, 0]` to `fd`; whether it was
/// written whole.
pub(crate) fn report(fd: i32, step: i32, errno: i32, pid: i32) -> bool {
    report_helper(fd, step, errno, pid, 0)
}

/// Writes the report `[step, errno, pid, helper]` to `fd`; whether it was
/// written whole.
pub(crate) fn report_helper(fd: i32, step: i32, errno: i32, pid: i32, helper: i32) -> bool {
    let mut bytes = [0u8; crate::protocol::REPORT_LEN];
    for (chunk, value) in bytes.chunks_exact_mut(4).zip([step, errno, pid, helper]) {
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    write(fd, &bytes) == bytes.len() as isize
}

/// `socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)` into `pair`.
pub(crate) fn seqpacket_pair(pair: &mut [i32; 2]) -> isize {
    call(
        nr::SOCKETPAIR,
        [1, 5 | O_CLOEXEC, 0, pair.as_mut_ptr() as usize, 0, 0],
    )
}

/// `setsockopt(fd, SOL_SOCKET, SO_PASSCRED, 1)`: every message received
/// on `fd` carries its sender's credentials, its pid numbered in the
/// receiver's pid namespace.
pub(crate) fn pass_credentials(fd: i32) -> isize {
    const SOL_SOCKET: usize = 1;
    const SO_PASSCRED: usize = 16;
    let on: i32 = 1;
    call(
        nr::SETSOCKOPT,
        [
            fd as usize,
            SOL_SOCKET,
            SO_PASSCRED,
            &raw const on as usize,
            4,
            0,
        ],
    )
}

/// `recvmsg(fd, bytes, MSG_CMSG_CLOEXEC)` on a socket with `SO_PASSCRED`:
/// the length received (0 at EOF) or `-errno`, and the sender's pid from
/// its `SCM_CREDENTIALS` (0 if none came).
pub(crate) fn receive_with_pid(fd: i32, bytes: &mut [u8]) -> (isize, i32) {
    const SCM_CREDENTIALS: i32 = 2;
    // `struct ucred` starts with the pid.
    let (ret, pid) = receive_with_control(fd, bytes, SCM_CREDENTIALS);
    (ret, pid.unwrap_or(0))
}

/// `recvmsg(fd, bytes, MSG_CMSG_CLOEXEC)` of a message carrying one fd:
/// the length received (0 at EOF) or `-errno`, and the fd (-1 if none
/// came).
pub(crate) fn receive_with_fd(fd: i32, bytes: &mut [u8]) -> (isize, i32) {
    const SCM_RIGHTS: i32 = 1;
    let (ret, fd) = receive_with_control(fd, bytes, SCM_RIGHTS);
    (ret, fd.unwrap_or(-1))
}

/// `recvmsg(fd, bytes, MSG_CMSG_CLOEXEC)`: the length received (0 at EOF)
/// or `-errno`, and the first 4-byte word of the first `SOL_SOCKET`
/// control message of type `kind`, if one came.
fn receive_with_control(fd: i32, bytes: &mut [u8], kind: i32) -> (isize, Option<i32>) {
    #[repr(C)]
    struct IoVec {
        base: *mut u8,
        len: usize,
    }
    #[repr(C)]
    struct MsgHdr {
        name: usize,
        name_len: u32,
        iov: *const IoVec,
        iov_len: usize,
        control: *mut u8,
        control_len: usize,
        flags: i32,
    }
    // `struct cmsghdr` (len, level, type), then `struct ucred` (pid, uid,
    // gid), padded to 8: CMSG_SPACE(12) is 32; room for two.
    #[repr(C, align(8))]
    struct Control([u8; 64]);
    const SOL_SOCKET: i32 = 1;
    const MSG_CMSG_CLOEXEC: usize = 0x4000_0000;
    let mut control = Control([0; 64]);
    let iov = IoVec {
        base: bytes.as_mut_ptr(),
        len: bytes.len(),
    };
    let mut message = MsgHdr {
        name: 0,
        name_len: 0,
        iov: &iov,
        iov_len: 1,
        control: control.0.as_mut_ptr(),
        control_len: control.0.len(),
        flags: 0,
    };
    let ret = call(
        nr::RECVMSG,
        [
            fd as usize,
            &raw mut message as usize,
            MSG_CMSG_CLOEXEC,
            0,
            0,
            0,
        ],
    );
    if ret < 0 {
        return (ret, None);
    }
    let word = |at: usize| {
        let mut four = [0u8; 4];
        four.copy_from_slice(&control.0[at..at + 4]);
        i32::from_ne_bytes(four)
    };
    let mut at = 0;
    let end = message.control_len.min(control.0.len());
    while at + 16 <= end {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&control.0[at..at + 8]);
        let len = usize::from_ne_bytes(eight);
        if len < 16 || at + len > end {
            break;
        }
        if word(at + 8) == SOL_SOCKET && word(at + 12) == kind && len >= 16 + 4 {
            return (ret, Some(word(at + 16)));
        }
        at += (len + 7) & !7;
    }
    (ret, None)
}
