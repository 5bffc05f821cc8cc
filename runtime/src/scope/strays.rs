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
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::process::Pid;

/// Reaps the application's children that have ended in the pid namespace
/// `namespace` (an fd of it) or one nested in it.
pub(crate) fn reap_in(namespace: &OwnedFd) {
    let Some(namespace) = PidNamespace::of(namespace) else {
        return;
    };
    crate::strays::reap_seen(|pid| namespace.holds(pid), |_| false);
}

/// A pid namespace, as `fstat` of an fd of it names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PidNamespace {
    dev: u64,
    ino: u64,
}

impl PidNamespace {
    /// The pid namespace `fd` is an fd of.
    pub(crate) fn of(fd: &OwnedFd) -> Option<PidNamespace> {
        let stat = rustix::fs::fstat(fd).ok()?;
        Some(PidNamespace {
            dev: stat.st_dev,
            ino: stat.st_ino,
        })
    }

    /// Whether process `pid` is in this pid namespace or in one nested in
    /// it: a node may clone itself into a pid namespace of its own (with a
    /// user namespace of its own, no privilege needed), which dies with the
    /// scope's all the same. `/proc/PID/ns/pid` still names a zombie's;
    /// `NS_GET_PARENT` walks up from it, and fails above the application's
    /// own.
    pub(crate) fn holds(self, pid: Pid) -> bool {
        let Ok(path) = CString::new(format!("/proc/{}/ns/pid", pid.as_raw_nonzero())) else {
            return false;
        };
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let Ok(mut namespace) = rustix::fs::open(path.as_c_str(), flags, Mode::empty()) else {
            return false;
        };
        // Pid namespaces nest 32 deep at most.
        for _ in 0..=32 {
            if PidNamespace::of(&namespace) == Some(self) {
                return true;
            }
            // SAFETY: NS_GET_PARENT takes no argument and returns a new fd.
            let parent = unsafe { libc::ioctl(namespace.as_raw_fd(), NS_GET_PARENT) };
            if parent < 0 {
                return false;
            }
            // SAFETY: the ioctl returned a new fd, ours alone.
            namespace = unsafe { OwnedFd::from_raw_fd(parent) };
        }
        false
    }
}

/// `_IO(0xb7, 0x2)`: the parent of a pid or user namespace.
const NS_GET_PARENT: libc::Ioctl = 0xb702;
