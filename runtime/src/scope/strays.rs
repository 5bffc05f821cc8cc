//! The application's children in a dying scope's pid namespace that the
//! graph did not start.
//!
//! A node in a pid scope is the application's child (the carried program
//! clones it with `CLONE_PARENT`, so that the application can wait for it),
//! and so is whatever the node clones with `CLONE_PARENT` itself, as many
//! as it likes. When the scope ends, the kernel kills them with the rest of
//! its namespace, but the scope's init exits only once every process of
//! the namespace has been reaped, and these are the application's to reap.
//! Left alone they would hold the init, and with it the graph's end (or the
//! `remove` that ended the scope), for a helper's 30 s limit, and stay
//! zombies after it. So while the killed init has not exited, each child of
//! the application that is in the scope's pid namespace, or in one nested
//! in it, is reaped: the
//! namespace is dying, and the graph has reaped every node it started
//! there, so such a child is one a node made.
//!
//! [`PidNamespace::holds`] is the same test at the end of a scope's only
//! node, whose init has killed what it left: the driver's strays
//! (`supervise/driver/strays.rs`) reap what that node cloned.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::process::Pid;

/// Reaps the application's children that have ended in the pid namespace
/// `namespace` (an fd of it) or one nested in it.
pub(crate) fn reap_in(namespace: &OwnedFd) {
    crate::strays::reap_seen(|pid| holds(namespace.as_fd(), pid), |_| false);
}

/// A pid namespace, held by an fd of it, and named as `fstat` of that fd
/// names it: two are equal when they are the same namespace.
#[derive(Debug)]
pub(crate) struct PidNamespace {
    fd: OwnedFd,
    dev: u64,
    ino: u64,
}

impl PartialEq for PidNamespace {
    fn eq(&self, other: &Self) -> bool {
        (self.dev, self.ino) == (other.dev, other.ino)
    }
}

impl Eq for PidNamespace {}

impl PidNamespace {
    /// The pid namespace `fd` is an fd of, held by a copy of `fd` (high in
    /// the fd table, out of the spawns' way, as it may wait there for a
    /// later look); `None` where no copy can be made (`EMFILE`), and then
    /// what the look would have reaped is left to the scope's end.
    pub(crate) fn of(fd: &OwnedFd) -> Option<PidNamespace> {
        let stat = rustix::fs::fstat(fd).ok()?;
        Some(PidNamespace {
            fd: crate::sys::held_high(fd.try_clone().ok()?),
            dev: stat.st_dev,
            ino: stat.st_ino,
        })
    }

    /// Whether process `pid` is in this pid namespace or in one nested in
    /// it: a node may clone itself into a pid namespace of its own (with a
    /// user namespace of its own, no privilege needed), which dies with the
    /// scope's all the same.
    pub(crate) fn holds(&self, pid: Pid) -> bool {
        holds(self.fd.as_fd(), pid)
    }
}

/// Whether process `pid` (a pid of ours) is in the pid namespace
/// `namespace`, or in one nested in it: whether it has a pid there, as
/// `NS_GET_TGID_IN_PIDNS` answers for a zombie too, whatever the process
/// made itself. A node root in its scope can make itself non-dumpable, and
/// then, once it has ended, `/proc/PID/ns/pid` is closed to an application
/// without `CAP_SYS_PTRACE` in the machine's first user namespace, whose
/// user owns the process all the same; so that file is read only where the
/// kernel is too old to know the request ([`holds_by_proc`]).
fn holds(namespace: BorrowedFd<'_>, pid: Pid) -> bool {
    // SAFETY: the request takes a pid by value and writes nothing.
    let tgid = unsafe {
        libc::ioctl(
            namespace.as_raw_fd(),
            libc::NS_GET_TGID_IN_PIDNS,
            pid.as_raw_nonzero().get() as libc::c_ulong,
        )
    };
    match tgid {
        tgid if tgid > 0 => true,
        _ if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOTTY) => {
            holds_by_proc(namespace, pid)
        }
        // ESRCH: no pid there, or no process at all.
        _ => false,
    }
}

/// [`holds`] where the kernel has no `NS_GET_TGID_IN_PIDNS`: the namespace
/// `/proc/PID/ns/pid` names, or one that `NS_GET_PARENT` finds above it,
/// is `namespace`. Walking up fails above the application's own.
fn holds_by_proc(namespace: BorrowedFd<'_>, pid: Pid) -> bool {
    let named = |fd: BorrowedFd<'_>| rustix::fs::fstat(fd).ok().map(|s| (s.st_dev, s.st_ino));
    let Some(wanted) = named(namespace) else {
        return false;
    };
    let Ok(path) = CString::new(format!("/proc/{}/ns/pid", pid.as_raw_nonzero())) else {
        return false;
    };
    let flags = OFlags::RDONLY | OFlags::CLOEXEC;
    let Ok(mut walked) = rustix::fs::open(path.as_c_str(), flags, Mode::empty()) else {
        return false;
    };
    // Pid namespaces nest 32 deep at most.
    for _ in 0..=32 {
        if named(walked.as_fd()) == Some(wanted) {
            return true;
        }
        // SAFETY: NS_GET_PARENT takes no argument and returns a new fd.
        let parent = unsafe { libc::ioctl(walked.as_raw_fd(), libc::NS_GET_PARENT) };
        if parent < 0 {
            return false;
        }
        // SAFETY: the ioctl returned a new fd, ours alone.
        walked = unsafe { OwnedFd::from_raw_fd(parent) };
    }
    false
}
