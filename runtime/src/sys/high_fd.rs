//! Where the parent keeps the fds it holds for a node's whole life (every
//! pidfd, as `Process::new` takes it, and that of a main process a node
//! names; a node's forwarded output's read ends; its notify socket, made
//! here or by its scope's init; the runtime's copy of its terminal): high
//! in the fd table, above the fds a spawn hands on.
//!
//! A spawn's child starts on the parent's fd table (`CLONE_FILES`) and
//! unshares it keeping only the fds below the highest one it places
//! (`close_range(keep, ~0, CLOSE_RANGE_UNSHARE)` copies just that prefix).
//! Every fd it copies costs a reference at the copy and a close at `execve`
//! (tens of nanoseconds each, perf-floors fact 3), so a thousand running
//! nodes' pidfds at the bottom of the table would make every later spawn
//! copy and close all of them. Moved up here they are never copied: a
//! spawn's cost stays that of the fds it places, whatever the graph holds.
//!
//! Only from Linux 6.11 ([`copies_prefix`]): before it, a prefix copy of a
//! shared table could carry garbage into the child's map of full 64-fd
//! blocks (CVE-2024-45025) — with the pidfds filling a block up here, the
//! node would then never get the fds of that block. Older kernels copy the
//! whole table, as without `CLONE_FILES`, and nothing is moved.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use rustix::io::fcntl_dupfd_cloexec;
use rustix::process::{Resource, getrlimit};

/// The first release whose `CLOSE_RANGE_UNSHARE` copies a prefix of a
/// shared table without corrupting it (mainline fix of CVE-2024-45025;
/// stable kernels that took the fix are treated as older, to be safe).
const PREFIX_COPY_SINCE: (u32, u32) = (6, 11);

/// Whether a spawn's child starts on the parent's table and copies only a
/// prefix of it: on Linux 6.11 and later, read once from `uname`.
pub(crate) fn copies_prefix() -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        release_at_least(
            rustix::system::uname().release().to_bytes(),
            PREFIX_COPY_SINCE,
        )
    })
}

/// Whether a kernel release string (`6.18.44-fc`) is `major.minor` or later;
/// false if it does not start with two numbers. A release candidate of
/// `major.minor` itself (`6.11.0-rc1`) counts as older: the fixes of a
/// release land during its candidates.
fn release_at_least(release: &[u8], (major, minor): (u32, u32)) -> bool {
    let text = String::from_utf8_lossy(release);
    let mut parts = text.splitn(3, '.');
    let (Some((have_major, _)), Some((have_minor, mut rest))) = (
        parts.next().and_then(leading_number),
        parts.next().and_then(leading_number),
    ) else {
        return false;
    };
    if rest.is_empty()
        && let Some(patch) = parts.next()
    {
        rest = patch.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let candidate = rest.starts_with("-rc");
    (have_major, have_minor, !candidate) >= (major, minor, true)
}

/// The number `text` starts with, and what follows it.
fn leading_number(text: &str) -> Option<(u32, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    Some((text[..end].parse().ok()?, &text[end..]))
}

/// The most the start of the high region is: a table twice this size
/// (2,048 entries, 16 KiB) holds a thousand pidfds.
const HIGHEST_START: u64 = 1024;

/// Below this soft limit the table has no room to split: fds stay put.
const LOWEST_LIMIT: u64 = 128;

/// The lowest fd the high region starts at: half the soft `RLIMIT_NOFILE`
/// as the process first spawned, at most [`HIGHEST_START`], rounded down to
/// a multiple of 64; `None` where the limit is too low to split.
fn region_start() -> Option<u64> {
    static START: OnceLock<Option<u64>> = OnceLock::new();
    *START.get_or_init(|| {
        let soft = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
        // On a word of 64 fds, where a child's copy of the table ends
        // (`sys::fds_to_keep`): a spawn that places fds below it copies
        // none of the region.
        (soft >= LOWEST_LIMIT).then(|| (soft / 2).min(HIGHEST_START) & !63)
    })
}

/// `fd`, moved to the lowest free fd of the high region (close-on-exec, as
/// every fd the runtime holds). Where the region is full, or the soft limit
/// has been lowered below it since, `fd` stays where it is: that costs
/// later spawns a copy of it, nothing else. Where spawns copy the whole
/// table anyway ([`copies_prefix`]), nothing is moved.
pub(crate) fn held_high(fd: OwnedFd) -> OwnedFd {
    let Some(start) = region_start().filter(|_| copies_prefix()) else {
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

/// For a spawn that places `fd`: where `fd` is held in the high region, a
/// close-on-exec copy of it low in the table, to place instead (and close
/// once the child is cloned). A child copies the table up to the highest fd
/// it places ([`super::fds_to_keep`]), so placing one from the high region
/// would copy every fd held there; a scope's namespace fds, held high, are
/// placed at every start of its nodes. `None` where `fd` is low, nothing is
/// held high, or no copy can be made: then `fd` is placed from where it is,
/// which costs that spawn the copy, nothing else.
pub(crate) fn low_copy(fd: RawFd) -> Option<OwnedFd> {
    let start = region_start().filter(|_| copies_prefix())?;
    if fd < 0 || (fd as u64) < start {
        return None;
    }
    // SAFETY: borrowed for the duplication only; the caller holds `fd` open
    // until the spawn is done.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    // From 3 up: a copy on a standard stream's number while it is closed
    // would be the child's stdin, out or err had it not been placed over.
    fcntl_dupfd_cloexec(fd, 3).ok()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn release_strings_compare_by_major_and_minor() {
        assert!(release_at_least(b"6.18.44-fc-v1252", (6, 11)));
        assert!(release_at_least(b"6.11.0", (6, 11)));
        assert!(release_at_least(b"7.0", (6, 11)));
        assert!(!release_at_least(b"6.10.14-generic", (6, 11)));
        assert!(!release_at_least(b"5.15.0-91-generic", (6, 11)));
        assert!(!release_at_least(b"4.4.0", (6, 11)));
        assert!(!release_at_least(b"garbage", (6, 11)));
        assert!(!release_at_least(b"6", (6, 11)));
    }

    /// A release candidate comes before its release: the CVE's fix landed
    /// during 6.11's candidates.
    #[test]
    fn release_candidates_count_as_older() {
        assert!(!release_at_least(b"6.11.0-rc1", (6, 11)));
        assert!(!release_at_least(b"6.11-rc2", (6, 11)));
        assert!(release_at_least(b"6.11.1", (6, 11)));
        assert!(release_at_least(b"6.11.0-1-generic", (6, 11)));
        assert!(release_at_least(b"6.12.0-rc1", (6, 11)));
        assert!(!release_at_least(b"6.1x.0", (6, 11)));
    }

    /// A spawn places a held fd from a low copy of it: the same pipe, below
    /// the region; a low fd needs none.
    #[test]
    fn a_held_fd_is_placed_from_a_low_copy() {
        if !copies_prefix() || region_start().is_none() {
            eprintln!(
                "skipped: nothing is held high here (Linux before 6.11, or a low RLIMIT_NOFILE)"
            );
            return;
        }
        let start = region_start().unwrap();
        let (mut reader, writer) = std::io::pipe().unwrap();
        let low = OwnedFd::from(writer);
        assert!(low_copy(low.as_raw_fd()).is_none(), "a low fd was copied");
        let high = held_high(low);
        let copy = low_copy(high.as_raw_fd()).expect("no low copy of a held fd");
        assert!(
            (copy.as_raw_fd() as u64) < start,
            "{} >= {start}",
            copy.as_raw_fd()
        );
        assert!(low_copy(-1).is_none());
        drop(high);
        std::fs::File::from(copy).write_all(b"y").unwrap();
        let mut byte = [0u8; 1];
        reader.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"y");
    }

    /// The fd comes back in the high region, still the same pipe, and the
    /// low copy is closed (or its number already reused for another file by
    /// a test running beside this one).
    #[test]
    fn a_held_fd_moves_high_and_stays_the_same_file() {
        if !copies_prefix() {
            eprintln!(
                "skipped: before Linux 6.11 spawns copy the whole fd table, nothing is moved"
            );
            return;
        }
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
