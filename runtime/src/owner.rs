//! The process that spawned a graph: its handles act there and nowhere else.
//!
//! After `fork()` the child holds a copy of everything a graph holds — the
//! nodes' and scope inits' pidfds, their process group ids, the notify
//! sockets' directories, the eventfd that stops the stdio thread — and
//! pidfds, `kill(-pgid)` and paths work from any process. A copy that
//! signalled, killed, reaped or cleaned up would tear down the parent's
//! graph (a forked child merely dropping its copy once killed every node and
//! scope). So each of those actions first checks that it runs in the process
//! that made the handle, against the pid recorded then, and elsewhere does
//! nothing.
//!
//! The check costs no system call: the process's pid is kept in a page the
//! kernel wipes in every forked copy (`MADV_WIPEONFORK`, Linux 4.14), where
//! it reads 0 until that copy asks `getpid()` for its own. A restart made
//! seven such checks, seven `getpid()` calls (1 µs of a 90 µs restart).
//! Where the page cannot be had, each check asks `getpid()`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use rustix::mm::{Advice, MapFlags, ProtFlags, madvise, mmap_anonymous, munmap};
use rustix::process::{Pid, getpid};

/// The process a handle belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner(Pid);

impl Owner {
    /// The calling process.
    pub(crate) fn current() -> Owner {
        let Some(slot) = pid_slot() else {
            return Owner(getpid());
        };
        match Pid::from_raw(slot.load(Ordering::Relaxed)) {
            Some(pid) => Owner(pid),
            // First use in this process, or a forked copy's wiped page.
            None => {
                let pid = getpid();
                slot.store(pid.as_raw_nonzero().get(), Ordering::Relaxed);
                Owner(pid)
            }
        }
    }

    /// Whether the calling process is this one (false in a forked copy).
    pub(crate) fn is_current(self) -> bool {
        self == Owner::current()
    }

    /// Its pid.
    pub(crate) fn pid(self) -> u32 {
        self.0.as_raw_nonzero().get().unsigned_abs()
    }
}

/// The process's pid, in a page wiped (zeroed) in forked copies; `None`
/// where mapping or marking the page failed (a kernel before 4.14).
fn pid_slot() -> Option<&'static AtomicI32> {
    static SLOT: OnceLock<Option<usize>> = OnceLock::new();
    let address = SLOT.get_or_init(|| {
        // The kernel rounds the length up to a whole page of any size.
        let size = std::mem::size_of::<AtomicI32>();
        // SAFETY: a fresh anonymous mapping aliases nothing.
        let page = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                size,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }
        .ok()?;
        // SAFETY: the page just mapped, ours alone.
        if unsafe { madvise(page, size, Advice::LinuxWipeOnFork) }.is_err() {
            // SAFETY: as above; nothing refers to it.
            let _ = unsafe { munmap(page, size) };
            return None;
        }
        Some(page as usize)
    });
    // SAFETY: the page stays mapped for the life of the process (never
    // unmapped once marked), zero-filled, page-aligned: a valid AtomicI32.
    address.map(|a| unsafe { &*(a as *const AtomicI32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached pid is this process's, and a forked copy sees a pid of
    /// its own, not the cached one.
    #[test]
    fn a_forked_copy_is_not_the_owner() {
        let owner = Owner::current();
        assert_eq!(owner, Owner(getpid()));
        assert!(owner.is_current());
        let (mut reader, mut writer) = std::io::pipe().unwrap();
        // SAFETY: the child only runs async-signal-safe code before `_exit`:
        // atomics, getpid, write.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
        if child == 0 {
            let answer = [
                u8::from(owner.is_current()),
                u8::from(Owner::current() == Owner(getpid())),
            ];
            use std::io::Write;
            let _ = writer.write_all(&answer);
            // SAFETY: ends the forked copy without running anything else.
            unsafe { libc::_exit(0) };
        }
        drop(writer);
        let mut answer = [0u8; 2];
        use std::io::Read;
        reader.read_exact(&mut answer).unwrap();
        let mut status = 0;
        // SAFETY: our child, reaped once.
        unsafe { libc::waitpid(child, &mut status, 0) };
        assert_eq!(
            answer,
            [0, 1],
            "[the parent's owner is current, the copy's own pid is current]"
        );
        assert!(owner.is_current());
    }
}
