//! The mount table a scope with its own user and pid namespaces hands to
//! its nodes: no cgroup hierarchy and no outside `/proc` in it, and nothing
//! in it that the scope can take apart.
//!
//! Why: root in such a scope passes every permission check on a file its
//! user namespace maps the owner of. Under an unprivileged application
//! that is the application's own uid, which owns every cgroup file of its
//! graphs — so through the host's cgroup mount the scope could kill the
//! graph, freeze a sibling (whose next start then hangs the application in
//! `clone3`) or nest cgroups past what removal walks. Hiding the hierarchy
//! takes that path away; the fresh `/proc` (mounted before, by `init.rs`)
//! takes away the other one, `/proc/PID/root` of a process outside — and
//! so every other `proc` mount (a chroot's, say), which still shows the
//! outside's processes, is covered too.
//!
//! Both are mounts the scope's root could simply unmount again, in a mount
//! namespace its own user namespace owns. So the init ends in a copy of that
//! namespace made by a user namespace nested in the scope's: the kernel
//! locks every mount of a copy made for another user namespace (they can be
//! neither unmounted nor moved, `MNT_LOCKED`), and the scope's nodes join
//! that copy. The first namespace, the only one with unlocked mounts, is
//! gone once the init has left it.

use crate::init::InsideIds;
use crate::mountinfo::{hidden_mount_point, unescape};
use crate::protocol::step;
use crate::sys;

/// Longest `/proc/self/mountinfo` line read: one longer fails the scope
/// rather than leave a hierarchy uncovered.
const LINE_MAX: usize = 8192;
const ENOENT: i32 = 2;
const E2BIG: i32 = 7;
const ENOTDIR: i32 = 20;

/// Covers every `cgroup` and `cgroup2` mount in this mount namespace, and
/// every `proc` mount outside the fresh `/proc`, as `/proc/self/mountinfo`
/// lists them (see [`hidden_mount_point`] and [`cover`]).
pub(crate) fn cover_outside_views() -> Result<(), (i32, i32)> {
    let fail = |errno: i32| (step::COVER_OUTSIDE_VIEWS, errno);
    let info = sys::open_read(c"/proc/self/mountinfo");
    if info < 0 {
        return Err(fail(sys::errno_of(info)));
    }
    let info = info as i32;
    let covered = each_line(info, |line| match hidden_mount_point(line) {
        Some(point) => cover(point),
        None => Ok(()),
    });
    sys::close(info);
    covered.map_err(fail)
}

/// Calls `each` with every line of the file `fd` (without its newline).
fn each_line(fd: i32, mut each: impl FnMut(&[u8]) -> Result<(), i32>) -> Result<(), i32> {
    let mut buffer = [0u8; 2 * LINE_MAX];
    let mut filled = 0;
    loop {
        let read = sys::read(fd, &mut buffer[filled..]);
        if read < 0 {
            return Err(sys::errno_of(read));
        }
        filled += read as usize;
        let mut start = 0;
        while let Some(end) = buffer[start..filled].iter().position(|&b| b == b'\n') {
            each(&buffer[start..start + end])?;
            start += end + 1;
        }
        if read == 0 {
            return match start == filled {
                true => Ok(()),
                false => each(&buffer[start..filled]),
            };
        }
        if filled - start > LINE_MAX {
            return Err(E2BIG);
        }
        buffer.copy_within(start..filled, 0);
        filled -= start;
    }
}

/// Mounts the cover at `escaped` (a mountinfo path: space, tab, newline
/// and backslash written as `\ooo`): an empty read-only tmpfs over a
/// directory, `/dev/null` (read-only) over a file — a single `proc` file
/// bind-mounted somewhere. A mount point that no longer resolves sits
/// under one covered before it: nothing reaches it by path either.
fn cover(escaped: &[u8]) -> Result<(), i32> {
    let mut path = [0u8; 4097];
    let len = unescape(escaped, &mut path[..4096]).ok_or(E2BIG)?;
    let Ok(path) = core::ffi::CStr::from_bytes_until_nul(&path[..=len]) else {
        return Err(E2BIG);
    };
    const MS_RDONLY: usize = 1;
    const MS_NOSUID_NODEV_NOEXEC: usize = 2 | 4 | 8;
    const MS_REMOUNT: usize = 32;
    const MS_BIND: usize = 4096;
    let flags = MS_RDONLY | MS_NOSUID_NODEV_NOEXEC;
    let ret = match sys::mount(c"none", path, Some(c"tmpfs"), flags) {
        ret if ret < 0 && sys::errno_of(ret) == ENOTDIR => {
            match sys::mount(c"/dev/null", path, None, MS_BIND) {
                // A bind takes its flags only when remounted.
                0 => sys::mount(c"none", path, None, MS_BIND | MS_REMOUNT | flags),
                failed => failed,
            }
        }
        ret => ret,
    };
    match ret {
        ret if ret < 0 && sys::errno_of(ret) != ENOENT => Err(sys::errno_of(ret)),
        _ => Ok(()),
    }
}

/// Moves this process into a copy of its mount namespace in which every
/// mount is locked (see the module docs).
///
/// A child makes the copy, with `unshare(CLONE_NEWUSER | CLONE_NEWNS)`:
/// the new user namespace is nested in ours, so we keep every capability
/// over it and may join the copy, while the child's own capabilities end
/// with it. It sends an fd of the copy and exits. It first takes the
/// scope's `inside` ids: the kernel makes a user namespace only for an
/// owner its parent maps, and we still have the application's ids, which
/// under a root application ours does not.
pub(crate) fn lock(inside: &InsideIds) -> Result<(), (i32, i32)> {
    let fail = |errno: i32| (step::LOCK_MOUNTS, errno);
    let mut pair = [-1i32; 2];
    let ret = sys::seqpacket_pair(&mut pair);
    if ret < 0 {
        return Err(fail(sys::errno_of(ret)));
    }
    let [ours, theirs] = pair;
    let mut clone = sys::CloneArgs {
        exit_signal: sys::SIGCHLD as u64,
        ..sys::CloneArgs::default()
    };
    let child = sys::fork_with(&mut clone);
    if child == 0 {
        sys::exit_group(send_locked_copy(theirs, inside));
    }
    sys::close(theirs);
    let received = match child {
        child if child < 0 => Err(sys::errno_of(child)),
        _ => {
            let mut errno = [0u8; 4];
            let (len, copy) = sys::receive_with_fd(ours, &mut errno);
            sys::wait_for(child);
            match (len, copy) {
                (len, _) if len < 0 => Err(sys::errno_of(len)),
                (4, copy) if copy >= 0 && errno == [0; 4] => Ok(copy),
                (4, _) => Err(i32::from_ne_bytes(errno)),
                // The child died before it could say why.
                _ => Err(sys::EINTR),
            }
        }
    };
    sys::close(ours);
    let copy = received.map_err(fail)?;
    let joined = sys::setns(copy, CLONE_NEWNS);
    sys::close(copy);
    match joined {
        ret if ret < 0 => Err(fail(sys::errno_of(ret))),
        _ => Ok(()),
    }
}

const CLONE_NEWNS: u32 = 0x0002_0000;
const CLONE_NEWUSER: u64 = 0x1000_0000;

/// The child's side of [`lock`]: makes the copy and sends an fd of it on
/// `socket`, or its errno. Returns the exit code.
fn send_locked_copy(socket: i32, inside: &InsideIds) -> i32 {
    let mut ret = sys::setresgid(inside.gid);
    if ret >= 0 {
        ret = sys::setresuid(inside.uid);
    }
    if ret >= 0 {
        ret = sys::unshare(CLONE_NEWUSER | CLONE_NEWNS as u64);
    }
    let copy = match ret {
        ret if ret < 0 => ret,
        _ => sys::open_read(c"/proc/self/ns/mnt"),
    };
    if copy < 0 {
        sys::send_with_fds(socket, &sys::errno_of(copy).to_ne_bytes(), &[]);
        return 1;
    }
    sys::send_with_fds(socket, &0i32.to_ne_bytes(), &[copy as i32]);
    0
}
