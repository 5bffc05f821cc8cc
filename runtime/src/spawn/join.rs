//! Starting a process inside a scope's namespaces.
//!
//! The application has many threads, so it cannot `setns` into a user
//! namespace itself. Instead a short-lived helper is cloned, vfork-style and
//! sharing the parent's memory and fd table (`CLONE_VM | CLONE_VFORK |
//! CLONE_FILES`), which:
//!
//! 1. joins the scope's namespaces through its init's pidfd (`setns(pidfd,
//!    flags)`, one atomic call; joining a pid namespace affects only the
//!    helper's children), then
//! 2. clones the real process with `CLONE_PARENT`, so that the process is a
//!    direct child of the application (its pidfd and `waitid` work as for any
//!    node) while living in the scope's pid namespace, and exits.
//!
//! The same rules as [`super::child`] apply here: no allocation, no locks, no
//! panics, raw syscalls only.


use core::ffi::c_void;
use std::os::fd::BorrowedFd;

use rustix::thread::{ThreadNameSpaceType, move_into_thread_name_spaces};

use crate::sys::{self, ChildEntry};

/// What the helper needs; it writes its results back here.
pub(crate) struct JoinContext {
    /// The pidfd of the scope's init, whose namespaces are joined.
    pub(crate) scope_init: i32,
    /// `CLONE_NEW*` flags of the namespaces to join.
    pub(crate) namespaces: u32,
    /// The clone of the real process.
    pub(crate) args: *mut libc::clone_args,
    pub(crate) entry: ChildEntry,
    pub(crate) arg: *mut c_void,
    /// The errno of a failed `setns`.
    pub(crate) setns_failed: Option<i32>,
    /// What the inner `clone3` returned: a pid, or `-errno`.
    pub(crate) clone_result: isize,
}

/// The helper's entry point.
///
/// # Safety
///
/// `arg` must point to a live `JoinContext` whose `args`, `entry` and `arg`
/// satisfy [`sys::clone3_then_call`], and nothing else may touch it until the
/// helper has exited (guaranteed by `CLONE_VFORK`).
pub(crate) unsafe extern "C" fn join_main(arg: *mut c_void) -> ! {
    // SAFETY: see the function's contract.
    let ctx = unsafe { &mut *arg.cast::<JoinContext>() };
    // SAFETY: the parent keeps the init's pidfd open until the spawn returns.
    let init = unsafe { BorrowedFd::borrow_raw(ctx.scope_init) };
    if let Err(e) =
        move_into_thread_name_spaces(init, ThreadNameSpaceType::from_bits_retain(ctx.namespaces))
    {
        ctx.setns_failed = Some(e.raw_os_error());
        sys::exit_group(127);
    }
    // SAFETY: guaranteed by the function's contract.
    ctx.clone_result = unsafe { sys::clone3_then_call(&mut *ctx.args, ctx.entry, ctx.arg) };
    sys::exit_group(0)
}
