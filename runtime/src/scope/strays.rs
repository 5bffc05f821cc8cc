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
//! the application that is in the scope's pid namespace is reaped: the
//! namespace is dying, and the graph has reaped every node it started
//! there, so such a child is one a node made.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};

use rustix::process::{Pid, PidfdFlags, WaitId, WaitIdOptions};

use crate::kernel_file::ProcStat;

/// Reaps the application's children that have ended in the pid namespace
/// `namespace` (an fd of it), as `/proc` lists them.
pub(crate) fn reap_in(namespace: &OwnedFd) {
    let Ok(wanted) = rustix::fs::fstat(namespace) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let pids = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok());
    for pid in pids {
        // Pinned first: whatever `/proc` says next is about this process,
        // and the wait takes it alone, and only if it is our child.
        let Some(pidfd) = Pid::from_raw(pid)
            .and_then(|p| rustix::process::pidfd_open(p, PidfdFlags::empty()).ok())
        else {
            continue;
        };
        let ours = ProcStat::of(pid).and_then(|stat| stat.field::<i32>(1)) == Some(me);
        if ours && in_namespace(pid, &wanted) {
            let _ = rustix::process::waitid(
                WaitId::PidFd(pidfd.as_fd()),
                WaitIdOptions::EXITED | WaitIdOptions::NOHANG,
            );
        }
    }
}

/// Whether process `pid` is in the pid namespace `wanted` (its `fstat`).
/// `/proc/PID/ns/pid` still names it for a zombie.
fn in_namespace(pid: i32, wanted: &rustix::fs::Stat) -> bool {
    let Ok(path) = CString::new(format!("/proc/{pid}/ns/pid")) else {
        return false;
    };
    rustix::fs::stat(path.as_c_str())
        .is_ok_and(|ns| (ns.st_dev, ns.st_ino) == (wanted.st_dev, wanted.st_ino))
}
