//! The two pieces of inline assembly every raw system call rests on, for
//! x86_64 and aarch64 Linux: a six-argument `syscall`, and `clone3` with the
//! child calling a function on its new stack.
//!
//! Shared, by `#[path]`, between the runtime (`src/sys/raw.rs`) and the
//! carried scope program (`main.rs` beside this file), which has no libc:
//! so this file names nothing but `core`.

use core::ffi::c_void;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("process-graph-runtime supports x86_64 and aarch64 Linux");

/// The child's entry point: it runs on the new stack and must never return.
pub(crate) type ChildEntry = unsafe extern "C" fn(arg: *mut c_void) -> !;

/// `syscall(nr, a0..a5)`: the kernel's result unchanged, a non-negative
/// value or `-errno`. Unlike `libc::syscall` it never writes `errno`.
///
/// # Safety
///
/// The caller upholds the contract of system call `nr` for these arguments.
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the caller upholds the syscall's contract; `syscall` clobbers
    // only rax, rcx and r11 on x86_64.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
            in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// `syscall(nr, a0..a5)`; see the x86_64 version.
///
/// # Safety
///
/// The caller upholds the contract of system call `nr` for these arguments.
#[cfg(target_arch = "aarch64")]
pub(crate) unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the caller upholds the syscall's contract; `svc 0` clobbers only x0.
    unsafe {
        core::arch::asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a[0] => ret,
            in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
            options(nostack),
        );
    }
    ret
}

/// `clone3(args, size)`, after which the child calls `entry(arg)`.
///
/// The child starts on the stack named in `args` (16-byte aligned for the
/// call). Returns the child's pid in the parent, or `-errno`. The child never
/// returns from this function: `entry` must end in `execve` or `exit_group`.
///
/// # Safety
///
/// `args` points to a valid `struct clone_args` of `size` bytes whose stack
/// stays mapped and unused until the child has exec'd or exited (with
/// `CLONE_VFORK` the parent is suspended until then); `arg` stays valid for
/// the child; `entry` allocates nothing, takes no lock and cannot unwind.
pub(crate) unsafe fn clone3_then_call(
    nr: usize,
    args: *mut c_void,
    size: usize,
    entry: ChildEntry,
    arg: *mut c_void,
) -> isize {
    let ret: isize;
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
            inlateout("rax") nr as isize => ret,
            in("rdi") args,
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
            in("x8") nr,
            inlateout("x0") args => ret,
            in("x1") size,
            in("x9") entry,
            in("x10") arg,
        );
    }
    ret
}

/// `execve`'s number, for the path search both sides share.
#[cfg(target_arch = "x86_64")]
const SYS_EXECVE: usize = 59;
#[cfg(target_arch = "aarch64")]
const SYS_EXECVE: usize = 221;

/// `execve` each candidate path in turn, as `execvp` does: a missing file or
/// directory moves on to the next; permission denied is remembered; any
/// other error stops the search. Unlike glibc's `execvp`, a file without a
/// known format (`ENOEXEC`) is not retried through `/bin/sh`. Returns only
/// on failure, with the errno to report.
///
/// # Safety
///
/// Every candidate is a NUL-terminated path; `argv` and `envp` are
/// null-terminated arrays of NUL-terminated strings, valid for the call.
pub(crate) unsafe fn execve_each(
    candidates: impl Iterator<Item = *const u8>,
    argv: *const *const u8,
    envp: *const *const u8,
) -> i32 {
    const ENOENT: i32 = 2;
    const EACCES: i32 = 13;
    const ENODEV: i32 = 19;
    const ENOTDIR: i32 = 20;
    const ETIMEDOUT: i32 = 110;
    const ESTALE: i32 = 116;
    let mut denied = false;
    for path in candidates {
        let args = [path as usize, argv as usize, envp as usize, 0, 0, 0];
        // SAFETY: guaranteed by the caller; execve returns only on failure.
        let errno = (unsafe { syscall6(SYS_EXECVE, args) } as i32).wrapping_neg();
        match errno {
            EACCES => denied = true,
            ENOENT | ENOTDIR | ESTALE | ENODEV | ETIMEDOUT => {}
            _ => return errno,
        }
    }
    if denied { EACCES } else { ENOENT }
}
