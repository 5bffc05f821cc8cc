//! Raw system calls that rustix does not offer as public, allocation-free
//! wrappers: `clone3` with a caller-supplied stack, `close_range`, `dup3`,
//! `execveat`, `rt_sigprocmask`, `rt_sigaction` and `exit_group`. Besides them,
//! for the parent only, `ppoll` over a list of raw fds and two questions to a
//! pidfd of a process that is not our child (through libc: the parent's
//! errno is its own).
//!
//! They are issued with inline assembly rather than through `libc::syscall`
//! because the vfork-style child shares the parent's memory *and* its
//! thread-local storage: `libc::syscall` writes `errno` on failure, which would
//! silently overwrite the suspended parent thread's `errno`. These wrappers
//! return the raw result and touch nothing else.

// The raw `syscall` and `clone3` assembly, shared with the carried scope
// program (which builds it without libc).
child_side_module!(
    #[path = "../../carried/arch.rs"]
    mod arch;
);
// Ending a graph's cgroups, shared with the carried program's watcher.
#[path = "../../carried/cgroup.rs"]
mod cgroup;
child_side_module!(
    mod fds;
);
child_side_module!(
    mod raw;
);
mod high_fd;
mod pidfd;
mod poll;
child_side_module!(
    mod signals;
);
mod stack;

pub(crate) use arch::execve_each;
pub(crate) use cgroup::{MAX_DEPTH as CGROUP_MAX_DEPTH, populated_in, remove_tree};
pub(crate) use fds::{close_fds_except, errno_of, failed_at, fds_to_keep, unshare_fds_below};
pub(crate) use high_fd::{copies_prefix, held_high, low_copy};

pub(crate) use pidfd::{pidfd_exit_status, pidfd_is_reaped, pidfd_is_unreaped};
pub(crate) use poll::{epoll_add_listed, ppoll, readable};
pub(crate) use raw::{ChildEntry, clone3_then_call, dup3, execve_fd, exit_group, set_signal_mask};
pub(crate) use signals::reset_ignored_signals;
pub(crate) use stack::ChildStack;
