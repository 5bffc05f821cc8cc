//! Ending a graph's cgroups without allocating: is a cgroup populated, and
//! removing one with every cgroup below it, deepest first (`rmdir` refuses a
//! cgroup that has children).
//!
//! Shared, by `#[path]`, between the application (`src/cgroup/`) and the
//! carried program's watcher (`watch.rs` beside this file), which has no
//! libc: so this file names nothing but `core` and the raw system calls of
//! `super::arch`.

use super::arch::syscall6;

#[cfg(target_arch = "x86_64")]
mod nr {
    pub(super) const CLOSE: usize = 3;
    pub(super) const FCHMODAT: usize = 268;
    pub(super) const GETDENTS64: usize = 217;
    pub(super) const OPENAT: usize = 257;
    pub(super) const UNLINKAT: usize = 263;
}

#[cfg(target_arch = "aarch64")]
mod nr {
    pub(super) const CLOSE: usize = 57;
    pub(super) const FCHMODAT: usize = 53;
    pub(super) const GETDENTS64: usize = 61;
    pub(super) const OPENAT: usize = 56;
    pub(super) const UNLINKAT: usize = 35;
}

/// How deep nested cgroups are looked for, below the one removed. The
/// application sets every graph cgroup's `cgroup.max.depth` to it, so the
/// kernel refuses a node that would nest deeper (`EAGAIN`).
pub(crate) const MAX_DEPTH: u32 = 16;

const EACCES: isize = -13;
const EBUSY: isize = -16;
const ENOTEMPTY: isize = -39;
const AT_REMOVEDIR: usize = 0x200;
const O_DIRECTORY_CLOEXEC: usize = 0o200_000 | 0o2_000_000;
const DT_DIR: u8 = 4;

/// Whether the text of a `cgroup.events` says the cgroup still holds a
/// process (or cannot be read as saying it does not).
pub(crate) fn populated_in(events: &[u8]) -> bool {
    events
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"populated "))
        .is_none_or(|value| value != b"0")
}

/// Removes the cgroup `name` (NUL-terminated) in the directory `parent` and
/// every cgroup below it; each must be empty of processes. Returns 0 or the
/// last `rmdir`'s `-errno`.
pub(crate) fn remove_tree(parent: i32, name: &[u8]) -> isize {
    remove_below(parent, name, MAX_DEPTH)
}

fn call(nr: usize, a: [usize; 6]) -> isize {
    // SAFETY: every call below passes pointers to live, NUL-terminated names
    // and buffers with their lengths.
    unsafe { syscall6(nr, a) }
}

fn rmdir(parent: i32, name: &[u8]) -> isize {
    call(
        nr::UNLINKAT,
        [
            parent as usize,
            name.as_ptr() as usize,
            AT_REMOVEDIR,
            0,
            0,
            0,
        ],
    )
}

fn remove_below(parent: i32, name: &[u8], depth: u32) -> isize {
    // Most cgroups have no children: one `rmdir`, no directory listing.
    match rmdir(parent, name) {
        EBUSY | ENOTEMPTY => {}
        done => return done,
    }
    if let Some(depth) = depth.checked_sub(1) {
        let open = || {
            let flags = O_DIRECTORY_CLOEXEC;
            call(
                nr::OPENAT,
                [parent as usize, name.as_ptr() as usize, flags, 0, 0, 0],
            )
        };
        let dir = match open() {
            // A node that owns its cgroup's files (a scope that is the
            // application's uid outside) may have made a cgroup it nested
            // unreadable; as their owner we may make it readable again.
            EACCES => {
                let mode = 0o755;
                call(
                    nr::FCHMODAT,
                    [parent as usize, name.as_ptr() as usize, mode, 0, 0, 0],
                );
                open()
            }
            dir => dir,
        };
        if dir >= 0 {
            remove_children(dir as i32, depth);
            call(nr::CLOSE, [dir as usize, 0, 0, 0, 0, 0]);
        }
    }
    rmdir(parent, name)
}

/// Removes every directory in `dir`. A failure shows as the parent's own
/// `EBUSY` afterwards.
fn remove_children(dir: i32, depth: u32) {
    for_each_directory(dir, |name| {
        let _ = remove_below(dir, name, depth);
    });
}

/// Calls `each` with the NUL-terminated name of every directory in `dir`
/// but `.` and `..`, as `getdents64` lists them (`linux_dirent64` records:
/// inode, offset, record length, type, then the NUL-terminated name).
/// `each` may remove the directory it is given. Returns 0 once every
/// entry was listed, or the `-errno` of the `getdents64` that failed.
pub(crate) fn for_each_directory(dir: i32, mut each: impl FnMut(&[u8])) -> isize {
    let mut buffer = [0u8; 1024];
    loop {
        let len = call(
            nr::GETDENTS64,
            [
                dir as usize,
                buffer.as_mut_ptr() as usize,
                buffer.len(),
                0,
                0,
                0,
            ],
        );
        if len <= 0 {
            return len;
        }
        let mut at = 0;
        while let Some(record) = buffer.get(at..len as usize) {
            let (Some(&[lo, hi]), Some(&kind)) = (record.get(16..18), record.get(18)) else {
                break;
            };
            let record_len = usize::from(u16::from_ne_bytes([lo, hi]));
            let name = record.get(19..record_len).unwrap_or(&[]);
            let name = match name.iter().position(|&b| b == 0) {
                Some(end) => name.get(..=end).unwrap_or(&[]),
                None => &[],
            };
            if kind == DT_DIR && name != b".\0" && name != b"..\0" && !name.is_empty() {
                each(name);
            }
            if record_len == 0 {
                break;
            }
            at += record_len;
        }
    }
}
