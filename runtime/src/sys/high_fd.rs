//! Where the parent keeps the fds it holds for a node's whole life (its
//! pidfd, its forwarded output's read ends, its notify socket): high in the
//! fd table, above the fds a spawn hands on.
//!
//! A spawn's child starts on the parent's fd table (`CLONE_FILES`) and
//! unshares it keeping only the fds below the highest one it places
//! (`close_range(keep, ~0, CLOSE_RANGE_UNSHARE)` copies just that prefix).
//! Every fd it copies costs a reference at the copy and a close at `execve`
//! (tens of nanoseconds each, perf-floors fact 3), so a thousand running
//! nodes' pidfds at the bottom of the table would make every later spawn
//! copy and close all of them. Moved up here they are never copied: a
//! spawn's cost stays that of the fds it places, whatever the graph holds.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::OnceLock;

use rustix::io::fcntl_dupfd_cloexec;
use rustix::process::{Resource, getrlimit};

/// The most the start of the high region is: a table twice this size
/// (2,048 entries, 16 KiB) holds a thousand pidfds.
const HIGHEST_START: u64 = 1024;

/// Below this soft limit the table has no room to split: fds stay put.
const LOWEST_LIMIT: u64 = 128;

/// The lowest fd the high region starts at: half the soft `RLIMIT_NOFILE`
/// as the process first spawned, at most [`HIGHEST_START`]; `None` where
/// the limit is too low to split.
fn region_start() -> Option<u64> {
    static START: OnceLock<Option<u64>> = OnceLock::new();
    *START.get_or_init(|| {
        let soft = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
        (soft >= LOWEST_LIMIT).then(|| (soft / 2).min(HIGHEST_START))
    })
}

/// `fd`, moved to the lowest free fd of the high region (close-on-exec, as
/// every fd the runtime holds). Where the region is full, or the soft limit
/// has been lowered below it since, `fd` stays where it is: that costs
/// later spawns a copy of it, nothing else.
pub(crate) fn held_high(fd: OwnedFd) -> OwnedFd {
    let Some(start) = region_start() else {
        return fd;
    };
    if fd.as_raw_fd() as u64 >= start {
        return fd;
    }
    match fcntl_dupfd_cloexec(&fd, start as i32) {
        // `fd` is dropped, closing the low copy.
        Ok(high) => high,
        Err(_) => fd,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// The fd comes back in the high region, still the same pipe, and the
    /// low copy is closed (or its number already reused for another file by
    /// a test running beside this one).
    #[test]
    fn a_held_fd_moves_high_and_stays_the_same_file() {
        let Some(start) = region_start() else {
            eprintln!("skipped: the soft RLIMIT_NOFILE is below {LOWEST_LIMIT}");
            return;
        };
        let (mut reader, writer) = std::io::pipe().unwrap();
        let writer = OwnedFd::from(writer);
        let low = writer.as_raw_fd();
        let inode = rustix::fs::fstat(&writer).unwrap().st_ino;
        let high = held_high(writer);
        assert!(
            high.as_raw_fd() as u64 >= start,
            "{} < {start}",
            high.as_raw_fd()
        );
        // SAFETY: only asked about, never closed through this borrow.
        let old = unsafe { std::os::fd::BorrowedFd::borrow_raw(low) };
        if let Ok(stat) = rustix::fs::fstat(old) {
            assert_ne!(stat.st_ino, inode, "the low copy of the pipe is still open");
        }
        std::fs::File::from(high).write_all(b"x").unwrap();
        let mut byte = [0u8; 1];
        reader.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x");
    }
}
