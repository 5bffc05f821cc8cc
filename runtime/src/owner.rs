//! The process that spawned a graph: its handles act there and nowhere else.
//!
//! After `fork()` the child holds a copy of everything a graph holds — the
//! nodes' and scope inits' pidfds, their process group ids, the notify
//! sockets' directories, the eventfd that stops the stdio thread — and
//! pidfds, `kill(-pgid)` and paths work from any process. A copy that
//! signalled, killed, reaped or cleaned up would tear down the parent's
//! graph (a forked child merely dropping its copy once killed every node and
//! scope). So each of those actions first checks that it runs in the process
//! that made the handle (`getpid()`, one cheap system call, against the pid
//! recorded then), and elsewhere does nothing.

use rustix::process::{Pid, getpid};

/// The process a handle belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner(Pid);

impl Owner {
    /// The calling process.
    pub(crate) fn current() -> Owner {
        Owner(getpid())
    }

    /// Whether the calling process is this one (false in a forked copy).
    pub(crate) fn is_current(self) -> bool {
        self == Owner::current()
    }

    /// Its pid.
    pub(crate) fn pid(self) -> u32 {
        self.0.as_raw_nonzero().get().unsigned_abs()
    }
}
