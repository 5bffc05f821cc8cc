//! Small files the kernel writes as they are read (`/proc`, cgroupfs), read
//! whole in as few system calls as they allow. They report a size of 0, so
//! `std::fs::read` first asks for the size (`statx`, `lseek`), then reads
//! 32 bytes and doubles: about ten calls for a 1.5 kB
//! `/proc/self/mountinfo`, at every graph's spawn. Here: the reads, one
//! page or more at a time, and the final empty one.

use std::ffi::CStr;
use std::io;
use std::os::fd::OwnedFd;

use rustix::fs::{Mode, OFlags};

/// What a read asks for at least.
const CHUNK: usize = 4096;

/// Reads `file` whole.
pub(crate) fn read(file: OwnedFd) -> io::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(CHUNK);
    loop {
        // Grown only when full: the final, empty read fits in what is left.
        if text.len() == text.capacity() {
            text.reserve(CHUNK);
        }
        if rustix::io::read(&file, rustix::buffer::spare_capacity(&mut text))? == 0 {
            return Ok(text);
        }
    }
}

/// Opens `path` and reads it whole.
pub(crate) fn read_path(path: &CStr) -> io::Result<Vec<u8>> {
    read(rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Every process the application's `/proc` lists, by pid.
pub(crate) fn every_process() -> Vec<rustix::process::Pid> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(rustix::process::Pid::from_raw)
        .collect()
}

/// The value of line `key` (`"NSpid"`, `"ShdPnd"`) of `/proc/PID/status`,
/// trimmed; `None` once the process is reaped, or without such a line.
pub(crate) fn proc_status_line(pid: i32, key: &str) -> Option<String> {
    let path = std::ffi::CString::new(format!("/proc/{pid}/status")).ok()?;
    let text = read_path(&path).ok()?;
    let text = String::from_utf8(text).ok()?;
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))?;
    Some(value.trim().to_owned())
}

/// `/proc/PID/stat`, read once, for the fields after the command name.
pub(crate) struct ProcStat {
    text: Vec<u8>,
    /// Where the fields start: just past the last `)`, found once.
    fields: usize,
}

impl ProcStat {
    /// The `stat` of `pid`; `None` once it is reaped.
    pub(crate) fn of(pid: i32) -> Option<ProcStat> {
        let path = std::ffi::CString::new(format!("/proc/{pid}/stat")).ok()?;
        ProcStat::parse(read_path(&path).ok()?)
    }

    /// The command name is in parentheses and may hold anything, `)` and
    /// spaces included, so the fields start after the last `)`. `None`
    /// without one.
    fn parse(text: Vec<u8>) -> Option<ProcStat> {
        let fields = memchr::memrchr(b')', &text)? + 1;
        Some(ProcStat { text, fields })
    }

    /// Field `n` after the command name (0: the state, 1: the parent, 2:
    /// the process group, 19: the start time, 49: the exit code).
    pub(crate) fn field<T: std::str::FromStr>(&self, n: usize) -> Option<T> {
        let field = self
            .text
            .get(self.fields..)?
            .split(u8::is_ascii_whitespace)
            .filter(|f| !f.is_empty())
            .nth(n)?;
        std::str::from_utf8(field).ok()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_proc_file_longer_than_a_chunk_whole() {
        // Every mapping of this test binary, with its counters: far more
        // than one chunk.
        let maps = read_path(c"/proc/self/smaps").unwrap();
        assert!(maps.len() > CHUNK, "{} bytes", maps.len());
        assert!(maps.ends_with(b"\n"));
        let by_std = std::fs::read("/proc/self/smaps_rollup").unwrap();
        assert_eq!(
            read_path(c"/proc/self/smaps_rollup").unwrap().len(),
            by_std.len()
        );
    }

    #[test]
    fn stat_fields_come_after_the_command_name() {
        let me = ProcStat::of(std::process::id() as i32).unwrap();
        // The state of the main thread, which may wait for this test's.
        assert!(matches!(me.field::<char>(0), Some('R' | 'S')));
        let parent = rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get());
        assert_eq!(me.field::<i32>(1), Some(parent));
        assert!(me.field::<u64>(19).is_some_and(|t| t > 0), "a start time");
        // A name with `)` and spaces in it, as a process may set it.
        let named = ProcStat::parse(b"7 (a ) b) S 1 7".to_vec()).unwrap();
        assert_eq!(named.field::<char>(0), Some('S'));
        assert_eq!(named.field::<i32>(1), Some(1));
        assert_eq!(named.field::<i32>(2), Some(7));
        assert_eq!(named.field::<i32>(3), None, "no fourth field");
        let odd = ProcStat::parse(b"8 () ) )) R 2".to_vec()).unwrap();
        assert_eq!(odd.field::<char>(0), Some('R'));
        assert_eq!(odd.field::<i32>(1), Some(2));
        assert!(ProcStat::parse(b"9 (cut".to_vec()).is_none(), "no `)`");
    }

    #[test]
    fn a_command_name_with_parentheses_and_spaces_hides_no_field() {
        // A thread's name is its `comm`, set here to look like fields.
        let parent = rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get());
        let named = std::thread::Builder::new()
            .name("x) Z 1 ) 2 (".to_owned())
            .spawn(|| {
                let me = ProcStat::of(rustix::thread::gettid().as_raw_nonzero().get()).unwrap();
                (me.field::<char>(0), me.field::<i32>(1))
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(named, (Some('R'), Some(parent)));
    }
}
