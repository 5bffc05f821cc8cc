//! Whether the kernel would reap the application's children itself.
//!
//! Where the application ignores SIGCHLD (`SIG_IGN`, which a parent can
//! leave it through `execve`) or set `SA_NOCLDWAIT`, the kernel reaps every
//! child as it exits: its status is gone before the runtime can `waitid`
//! for it, and its process-group id may be reused before the runtime kills
//! what the node left in its group. No exit signal of the runtime's choosing
//! avoids it: `execve` resets a child's exit signal to SIGCHLD. So a graph
//! refuses to start ([`Error::SigchldIgnored`]), and a node reaped this
//! way while the graph runs is reported the same.

use crate::error::Error;

/// How SIGCHLD is set up so that the kernel reaps children itself:
/// `"SIG_IGN"` or `"SA_NOCLDWAIT"`; `None` where children become zombies
/// for the runtime to reap.
pub(crate) fn reaped_by_kernel() -> Option<&'static str> {
    // SAFETY: all-zero is a valid sigaction to be filled in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: only reads SIGCHLD's disposition into `action`.
    if unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut action) } != 0 {
        return None;
    }
    if action.sa_sigaction == libc::SIG_IGN {
        Some("SIG_IGN")
    } else if action.sa_flags & libc::SA_NOCLDWAIT != 0 {
        Some("SA_NOCLDWAIT")
    } else {
        None
    }
}

/// [`Error::SigchldIgnored`] if the kernel would reap the nodes itself.
pub(crate) fn check() -> Result<(), Error> {
    match reaped_by_kernel() {
        Some(disposition) => Err(Error::SigchldIgnored { disposition }),
        None => Ok(()),
    }
}

/// The error of a failed `waitid` for a child of node `node` (its own or a
/// probe's): [`Error::SigchldIgnored`] where the kernel took it (`ECHILD`
/// while SIGCHLD is set so), or else the system call's error.
pub(crate) fn waitid_failed(node: Option<&str>, source: std::io::Error) -> Error {
    match reaped_by_kernel() {
        Some(disposition) if source.raw_os_error() == Some(libc::ECHILD) => {
            Error::SigchldIgnored { disposition }
        }
        _ => Error::io(node, "waitid", source),
    }
}
