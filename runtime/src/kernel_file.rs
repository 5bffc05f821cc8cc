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
        text.reserve(CHUNK);
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
}
