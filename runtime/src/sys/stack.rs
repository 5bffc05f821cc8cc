//! The stack a vfork-style child runs on.
//!
//! With `CLONE_VM` the child shares the parent's address space, so it cannot
//! keep using the parent thread's stack (it would scribble over the frames the
//! parent returns to). Each spawning thread maps one stack with a guard page
//! the first time it spawns and reuses it: `CLONE_VFORK` suspends that thread
//! until the child has exec'd or exited, so the stack is never used twice at
//! once, and a spawn costs no `mmap`.

use std::cell::Cell;
use std::ptr::NonNull;

/// Usable size of a child stack. The child's code is a few shallow frames;
/// this leaves a wide margin for unoptimised builds.
const STACK_SIZE: usize = 256 * 1024;
const GUARD_SIZE: usize = 4096;

/// A mapped child stack with a `PROT_NONE` guard page below it.
#[derive(Debug)]
pub(crate) struct ChildStack {
    base: NonNull<u8>,
}

// SAFETY: a ChildStack is an exclusively owned mapping; moving it between
// threads moves nothing shared.
unsafe impl Send for ChildStack {}
// SAFETY: shared references give no access to the mapping's contents.
unsafe impl Sync for ChildStack {}

impl ChildStack {
    /// Maps a stack of its own (for a long-lived child, such as a scope's
    /// init, which keeps running on it after the spawning call returns).
    pub(crate) fn map() -> std::io::Result<Self> {
        // SAFETY: a fresh anonymous mapping aliases nothing.
        let base = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                GUARD_SIZE + STACK_SIZE,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::PRIVATE | rustix::mm::MapFlags::STACK,
            )?
        };
        let base = NonNull::new(base.cast::<u8>()).expect("mmap never returns null");
        // Owned before anything else can fail, so an error unmaps it.
        let stack = ChildStack { base };
        // SAFETY: the guard page is the first page of the mapping just made.
        unsafe {
            rustix::mm::mprotect(
                base.as_ptr().cast(),
                GUARD_SIZE,
                rustix::mm::MprotectFlags::empty(),
            )?
        };
        Ok(stack)
    }

    /// The usable part: `(lowest address, size)`.
    pub(crate) fn usable(&self) -> (*mut u8, usize) {
        // SAFETY: GUARD_SIZE is within the mapping.
        (unsafe { self.base.as_ptr().add(GUARD_SIZE) }, STACK_SIZE)
    }

    /// Runs `f` with this thread's child stack as `(lowest usable address, size)`.
    pub(crate) fn with<R>(f: impl FnOnce(*mut u8, usize) -> R) -> std::io::Result<R> {
        thread_local! {
            static STACK: Cell<Option<ChildStack>> = const { Cell::new(None) };
        }
        STACK.with(|slot| {
            let stack = match slot.take() {
                Some(stack) => stack,
                None => ChildStack::map()?,
            };
            let (usable, size) = stack.usable();
            let result = f(usable, size);
            slot.set(Some(stack));
            Ok(result)
        })
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `map` with this size and no child
        // runs on it any more: spawns on this thread have all returned, and a
        // scope init's stack is dropped only after the init was reaped.
        let _ = unsafe { rustix::mm::munmap(self.base.as_ptr().cast(), GUARD_SIZE + STACK_SIZE) };
    }
}
