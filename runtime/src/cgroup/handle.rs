//! One cgroup this graph created: the fd of its directory (what
//! `CLONE_INTO_CGROUP` takes and the files inside are opened through). Its
//! `cgroup.events` says in its `populated` line whether any process is left
//! in it or below it; a change of that file is signalled as `POLLPRI`, so an
//! empty cgroup is waited for with `poll`, never by reading a file in a
//! loop.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::{Mode, OFlags, mkdirat, openat};

use super::remove::remove_tree;

#[derive(Debug)]
pub(crate) struct Cgroup {
    /// Its name in its parent's directory.
    name: CString,
    dir: OwnedFd,
}

impl Cgroup {
    /// `mkdir` of `name` in the cgroup directory `parent`, then opens it.
    /// If opening fails, the new directory is removed again.
    pub(crate) fn create(parent: BorrowedFd<'_>, name: CString) -> io::Result<Cgroup> {
        mkdirat(parent, name.as_c_str(), Mode::from_raw_mode(0o755))?;
        let dir = openat(
            parent,
            name.as_c_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        );
        match dir {
            Ok(dir) => Ok(Cgroup { name, dir }),
            Err(e) => {
                let _ =
                    rustix::fs::unlinkat(parent, name.as_c_str(), rustix::fs::AtFlags::REMOVEDIR);
                Err(e.into())
            }
        }
    }

    /// The directory, for `CLONE_INTO_CGROUP` and the files inside.
    pub(crate) fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// Writes `1` to `cgroup.kill`: SIGKILL to every process in the cgroup
    /// and below it, forks racing with it included (Linux 5.14).
    pub(crate) fn kill(&self) -> io::Result<()> {
        let kill = open_file(self.dir(), c"cgroup.kill", OFlags::WRONLY)?;
        rustix::io::write(&kill, b"1")?;
        Ok(())
    }

    /// Writes one of the cgroup's files.
    pub(crate) fn write(&self, file: &str, value: &str) -> io::Result<()> {
        write_file(
            open_file(self.dir(), &CString::new(file)?, OFlags::WRONLY)?,
            value,
        )
    }

    /// Waits until no process is left in it or below it, up to `limit`;
    /// false if some still are.
    pub(crate) fn wait_empty(&self, limit: Duration) -> io::Result<bool> {
        let events = open_file(self.dir(), c"cgroup.events", OFlags::RDONLY)?;
        let deadline = Instant::now() + limit;
        // Reading also re-arms `POLLPRI` for the next change.
        while populated_of(&events)? {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            let timeout = Timespec::try_from(left).unwrap_or(Timespec {
                tv_sec: i64::MAX,
                tv_nsec: 0,
            });
            let mut fds = [PollFd::new(&events, PollFlags::PRI)];
            match poll(&mut fds, Some(&timeout)) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// Removes the cgroup (and any its processes made below it) from
    /// `parent`, which must be the directory it was created in.
    pub(crate) fn remove(&self, parent: BorrowedFd<'_>) -> rustix::io::Result<()> {
        remove_tree(parent, &self.name)
    }
}

/// Opens a file of a cgroup directory (or a path below it).
pub(super) fn open_file(
    dir: BorrowedFd<'_>,
    file: &CStr,
    mode: OFlags,
) -> rustix::io::Result<OwnedFd> {
    openat(dir, file, mode | OFlags::CLOEXEC, Mode::empty())
}

/// Reads a cgroup file, opened.
pub(super) fn read_file(fd: OwnedFd) -> io::Result<String> {
    String::from_utf8(crate::kernel_file::read(fd)?).map_err(io::Error::other)
}

/// Writes `value` into a cgroup file, opened.
pub(super) fn write_file(fd: OwnedFd, value: &str) -> io::Result<()> {
    rustix::io::write(&fd, value.as_bytes())?;
    Ok(())
}

/// Whether the `cgroup.events` open at `events` says a process is left.
/// Reading also re-arms `POLLPRI` for the next change.
pub(super) fn populated_of(events: &OwnedFd) -> io::Result<bool> {
    let mut text = [0u8; 128];
    let len = rustix::io::pread(events, &mut text, 0)?;
    Ok(populated_in(&text[..len]))
}

pub(crate) use crate::sys::populated_in;

/// The value of the `oom_kill` line of `memory.events`.
pub(super) fn oom_kills_in(events: &str) -> Option<u64> {
    events
        .lines()
        .find_map(|line| line.strip_prefix("oom_kill "))?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::{oom_kills_in, populated_in};

    #[test]
    fn reads_the_oom_kill_line() {
        let events = "low 0\nhigh 0\nmax 4\noom 2\noom_kill 3\noom_group_kill 0\n";
        assert_eq!(oom_kills_in(events), Some(3));
        assert_eq!(oom_kills_in("low 0\n"), None);
    }

    #[test]
    fn reads_the_populated_line() {
        assert!(!populated_in(b"populated 0\nfrozen 0\n"));
        assert!(populated_in(b"populated 1\nfrozen 0\n"));
        assert!(populated_in(b"garbage"), "unknown counts as populated");
    }
}
