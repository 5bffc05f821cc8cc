//! The raw syscall entry points (x86_64 and aarch64).
//!
//! Every function returns the kernel's result unchanged: a non-negative value,
//! or `-errno`. Nothing here allocates, takes a lock, or can panic, so all of
//! it may run in the child between `clone3` and `execve`.


use core::ffi::{c_char, c_void};

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("process-graph-runtime supports x86_64 and aarch64 Linux");

/// The child's entry point: it runs on the new stack and must never return.
pub(crate) type ChildEntry = unsafe extern "C" fn(arg: *mut c_void) -> !;

#[cfg(target_arch = "x86_64")]
unsafe fn syscall4(nr: i64, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret: isize;
    // SAFETY: the caller upholds the syscall's contract; `syscall` clobbers
    // only rax, rcx and r11 on x86_64.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3,
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

#[cfg(target_arch = "aarch64")]
unsafe fn syscall4(nr: i64, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret: isize;
    // SAFETY: the caller upholds the syscall's contract; `svc 0` clobbers only x0.
    unsafe {
        core::arch::asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a0 => ret,
            in("x1") a1, in("x2") a2, in("x3") a3,
            options(nostack),
        );
    }
    ret
}

/// `clone3(args, size)`, after which the child calls `entry(arg)`.
///
/// The child starts on the stack named in `args` (every caller passes one:
/// all children share the caller's memory), 16-byte aligned for the call.
/// Returns the child's pid in the parent, or `-errno`. The child never
/// returns from this function: `entry` must end in `execve` or `exit_group`.
///
/// # Safety
///
/// A stack in `args` must stay mapped and unused until the child has exec'd
/// or exited (with `CLONE_VFORK` the parent is suspended until then); `arg`
/// must stay valid for the child; `entry` must obey the rules of
/// [`crate::spawn::child`].
pub(crate) unsafe fn clone3_then_call(
    args: &mut libc::clone_args,
    entry: ChildEntry,
    arg: *mut c_void,
) -> isize {
    let ret: isize;
    let args_ptr = args as *mut libc::clone_args;
    let size = core::mem::size_of::<libc::clone_args>();
    #[cfg(target_arch = "x86_64")]
    // SAFETY: in the parent this is an ordinary syscall. In the child the
    // kernel has switched rsp to the top of the new (16-byte aligned) stack;
    // r12 and r13 survive `syscall`, so the child calls `entry(arg)` with a
    // correctly aligned stack and never comes back (`ud2` traps if it did).
    unsafe {
        core::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r13",
            "call r12",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 as isize => ret,
            in("rdi") args_ptr,
            in("rsi") size,
            in("r12") entry,
            in("r13") arg,
            lateout("rcx") _, lateout("r11") _,
        );
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: as above; on aarch64 only x0 changes across `svc`, so x9 and x10
    // still hold `entry` and `arg` in the child.
    unsafe {
        core::arch::asm!(
            "svc 0",
            "cbnz x0, 2f",
            "mov x29, xzr",
            "mov x30, xzr",
            "mov x0, x10",
            "blr x9",
            "brk #0",
            "2:",
            in("x8") libc::SYS_clone3,
            inlateout("x0") args_ptr => ret,
            in("x1") size,
            in("x9") entry,
            in("x10") arg,
        );
    }
    ret
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

/// `execve(path, argv, envp)`; returns only on failure, with `-errno`.
///
/// # Safety
///
/// `argv` and `envp` must be null-terminated arrays of pointers to
/// NUL-terminated strings that stay valid for the call.
pub(crate) unsafe fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> isize {
    // SAFETY: guaranteed by the caller.
    unsafe {
        syscall4(
            libc::SYS_execve,
            path as usize,
            argv as usize,
            envp as usize,
            0,
        )
    }
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

/// `signalfd4(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK)`: a new signalfd.
pub(crate) fn signalfd(mask: u64) -> isize {
    let flags = (libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) as usize;
    // SAFETY: `mask` is a valid kernel sigset of 8 bytes for the call.
    unsafe {
        syscall4(
            libc::SYS_signalfd4,
            usize::MAX, // -1: create a new fd
            &mask as *const u64 as usize,
            8,
            flags,
        )
    }
}

/// `ioctl(fd, request, arg)`.
///
/// # Safety
///
/// `arg` must point to memory of the layout `request` expects.
pub(crate) unsafe fn ioctl(fd: i32, request: u64, arg: *mut u8) -> isize {
    // SAFETY: guaranteed by the caller.
    unsafe {
        syscall4(
            libc::SYS_ioctl,
            fd as usize,
            request as usize,
            arg as usize,
            0,
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
