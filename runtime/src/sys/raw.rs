//! The raw syscall entry points (x86_64 and aarch64).
//!
//! Every function returns the kernel's result unchanged: a non-negative value,
//! or `-errno`. Nothing here allocates, takes a lock, or can panic, so all of
//! it may run in the child between `clone3` and `execve`.


use core::ffi::{c_char, c_void};

pub(crate) use super::arch::ChildEntry;

unsafe fn syscall4(nr: i64, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    // SAFETY: the caller upholds the syscall's contract.
    unsafe { super::arch::syscall6(nr as usize, [a0, a1, a2, a3, 0, 0]) }
}

/// `clone3(args, size)`, after which the child calls `entry(arg)`; see
/// [`super::arch::clone3_then_call`].
///
/// # Safety
///
/// A stack in `args` must stay mapped and unused until the child has exec'd
/// or exited (with `CLONE_VFORK` the parent is suspended until then); `arg`
/// must stay valid for the child; `entry` must obey the rules of
/// the child side of a spawn (`spawn/child.rs`).
pub(crate) unsafe fn clone3_then_call(
    args: &mut libc::clone_args,
    entry: ChildEntry,
    arg: *mut c_void,
) -> isize {
    let size = core::mem::size_of::<libc::clone_args>();
    let args = std::ptr::from_mut(args).cast();
    // SAFETY: guaranteed by the caller.
    unsafe { super::arch::clone3_then_call(libc::SYS_clone3 as usize, args, size, entry, arg) }
}

/// `execveat(fd, "", argv, envp, AT_EMPTY_PATH)`: executes the file `fd`
/// refers to; returns only on failure, with `-errno`.
///
/// # Safety
///
/// `argv` and `envp` must be null-terminated arrays of pointers to
/// NUL-terminated strings that stay valid for the call.
pub(crate) unsafe fn execve_fd(
    fd: i32,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> isize {
    let args = [
        fd as usize,
        c"".as_ptr() as usize,
        argv as usize,
        envp as usize,
        libc::AT_EMPTY_PATH as usize,
        0,
    ];
    // SAFETY: guaranteed by the caller; the path is a static empty string.
    unsafe { super::arch::syscall6(libc::SYS_execveat as usize, args) }
}

/// `close_range(first, last, flags)`: close every fd in `first..=last`, or
/// with `CLOSE_RANGE_CLOEXEC` mark them close-on-exec.
pub(crate) fn close_range(first: u32, last: u32, flags: u32) -> isize {
    // SAFETY: closing fds is memory-safe; the caller owns the whole range.
    unsafe {
        syscall4(
            libc::SYS_close_range,
            first as usize,
            last as usize,
            flags as usize,
            0,
        )
    }
}

/// `dup3(src, target, 0)`: make `target` a copy of `src`, without CLOEXEC.
///
/// `dup3` rather than `dup2` because aarch64 has no `dup2`; the two differ only
/// when `src == target`, which the fd plan never asks for.
pub(crate) fn dup3(src: i32, target: i32) -> isize {
    // SAFETY: dup3 only changes the fd table.
    unsafe { syscall4(libc::SYS_dup3, src as usize, target as usize, 0, 0) }
}

/// `rt_sigprocmask(SIG_SETMASK, mask, NULL)`: bit `n - 1` blocks signal `n`.
pub(crate) fn set_signal_mask(mask: u64) -> isize {
    // SAFETY: `mask` is a valid kernel sigset of 8 bytes for the call.
    unsafe {
        syscall4(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK as usize,
            &mask as *const u64 as usize,
            0,
            8,
        )
    }
}

/// The kernel's `struct sigaction` on x86_64 and aarch64: handler, flags,
/// restorer, mask. All zero is `SIG_DFL` with no flags and an empty mask.
type KernelSigaction = [u64; 4];

/// `rt_sigaction(signal, NULL, &old)`: the signal's current handler
/// (`SIG_DFL` is 0, `SIG_IGN` 1, anything else a function), or the errno.
pub(crate) fn signal_handler(signal: i32) -> Result<usize, i32> {
    let mut old: KernelSigaction = [0; 4];
    // SAFETY: `old` matches the kernel layout and outlives the call.
    let ret = unsafe {
        syscall4(
            libc::SYS_rt_sigaction,
            signal as usize,
            0,
            old.as_mut_ptr() as usize,
            8,
        )
    };
    let [handler, ..] = old;
    if ret < 0 {
        Err(super::errno_of(ret))
    } else {
        Ok(handler as usize)
    }
}

/// `rt_sigaction(signal, SIG_DFL, NULL)`: the signal's default action, no
/// flags, an empty handler mask.
pub(crate) fn set_signal_default(signal: i32) -> isize {
    let default_action: KernelSigaction = [0; 4];
    // SAFETY: `default_action` matches the kernel layout and outlives the call.
    unsafe {
        syscall4(
            libc::SYS_rt_sigaction,
            signal as usize,
            default_action.as_ptr() as usize,
            0,
            8,
        )
    }
}

/// `exit_group(code)`: end the child without running any user-space exit code.
pub(crate) fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group never returns and touches no memory.
    unsafe {
        syscall4(libc::SYS_exit_group, code as usize, 0, 0, 0);
        core::hint::unreachable_unchecked()
    }
}
