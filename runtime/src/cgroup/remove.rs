//! Removing a cgroup this graph created, with any cgroups its nodes made
//! inside it, deepest first (`rmdir` refuses a cgroup that has children).
//!
//! Shared by the application and the watcher, which runs it in a forked
//! child of a possibly multi-threaded process: so it allocates nothing,
//! takes no lock and cannot panic (one fixed buffer per level).

use core::mem::MaybeUninit;
use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir, openat, unlinkat};

/// How deep nested cgroups are looked for. A node that nests deeper keeps
/// its cgroup from being removed (the `rmdir` fails with `EBUSY`).
const MAX_DEPTH: u32 = 16;

/// Removes the cgroup `name` in the directory `parent` and every cgroup
/// below it. Each must be empty of processes.
pub(crate) fn remove_tree(parent: BorrowedFd<'_>, name: &CStr) -> rustix::io::Result<()> {
    remove_below(parent, name, MAX_DEPTH)
}

fn remove_below(parent: BorrowedFd<'_>, name: &CStr, depth: u32) -> rustix::io::Result<()> {
    // Most cgroups have no children: one `rmdir`, no directory listing.
    match unlinkat(parent, name, AtFlags::REMOVEDIR) {
        Err(rustix::io::Errno::BUSY | rustix::io::Errno::NOTEMPTY) => {}
        done => return done,
    }
    if let Some(depth) = depth.checked_sub(1) {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        if let Ok(dir) = openat(parent, name, flags, Mode::empty()) {
            let mut buffer = [MaybeUninit::<u8>::uninit(); 1024];
            let mut entries = RawDir::new(dir.as_fd(), &mut buffer);
            while let Some(Ok(entry)) = entries.next() {
                let child = entry.file_name();
                if entry.file_type() == FileType::Directory && child != c"." && child != c".." {
                    // A failure shows as the parent's own EBUSY below.
                    let _ = remove_below(dir.as_fd(), child, depth);
                }
            }
        }
    }
    unlinkat(parent, name, AtFlags::REMOVEDIR)
}
