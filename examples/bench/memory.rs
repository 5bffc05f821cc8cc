//! Parent memory for the spawn benchmarks: an anonymous mapping with one byte
//! written per page, so every page is backed and has a page-table entry —
//! what `fork` has to copy and `CLONE_VM` does not.

use std::io;
use std::ptr::NonNull;

pub const GIB: usize = 1 << 30;

/// `gib` GiB of touched memory, unmapped on drop.
pub struct TouchedMemory {
    mapping: Option<(NonNull<u8>, usize)>,
}

impl TouchedMemory {
    pub fn new(gib: usize) -> io::Result<TouchedMemory> {
        if gib == 0 {
            return Ok(TouchedMemory { mapping: None });
        }
        let len = gib * GIB;
        // SAFETY: a fresh private anonymous mapping aliases nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>()).expect("mmap never returns null");
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        for offset in (0..len).step_by(page) {
            // SAFETY: `offset < len`, inside the mapping made above.
            unsafe { base.as_ptr().add(offset).write_volatile(1) };
        }
        Ok(TouchedMemory {
            mapping: Some((base, len)),
        })
    }
}

impl Drop for TouchedMemory {
    fn drop(&mut self) {
        if let Some((base, len)) = self.mapping {
            // SAFETY: the mapping was made in `new` with this length and
            // nothing borrows it.
            unsafe { libc::munmap(base.as_ptr().cast(), len) };
        }
    }
}
