//! Removing a cgroup this graph created, with any cgroups its nodes made
//! inside it, deepest first (`rmdir` refuses a cgroup that has children).
//!
//! The implementation is shared with the carried program's watcher, which
//! removes the graph's cgroups when the application has died
//! (`carried/cgroup.rs`); this is its typed face.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd};

use crate::sys;

/// Removes the cgroup `name` in the directory `parent` and every cgroup
/// below it. Each must be empty of processes.
pub(crate) fn remove_tree(parent: BorrowedFd<'_>, name: &CStr) -> rustix::io::Result<()> {
    match sys::remove_tree(parent.as_raw_fd(), name.to_bytes_with_nul()) {
        ret if ret < 0 => Err(rustix::io::Errno::from_raw_os_error(sys::errno_of(ret))),
        _ => Ok(()),
    }
}
