//! The scope program: a small static program, without libc, that the
//! runtime carries inside itself and executes from a sealed memfd. It does
//! everything that must happen inside a scope's namespaces:
//!
//! - `create`: clone a scope's init into new namespaces (joining the
//!   enclosing scope's first, for a nested scope) and run it;
//! - `join`: enter a scope's namespaces and become, or clone, a node;
//! - `watch`: outlive the application, and end its graph's cgroups when it
//!   dies.
//!
//! Why a program of its own: a process inside a scope's user namespace is
//! root there, so it passes the kernel's ptrace checks against every process
//! whose credentials are in that namespace. Had such a process been cloned
//! with `CLONE_VM`, it would share — and expose — the application's memory.
//! This program runs in a fresh address space of its own from its first
//! instruction (it is `execve`d), before it touches any namespace; and it
//! makes that address space non-dumpable while it still belongs to the
//! application's user namespace, which keeps every process of the scope from
//! ptracing it, reading its memory or taking its fds (see `init.rs`).
//!
//! Like any code between clone and exec: no allocation (there is none), no
//! locks, no panics (the handler exits), raw system calls only.

#![no_std]
#![no_main]
#![no_builtins]

mod app_proc;
#[path = "arch.rs"]
mod arch;
mod args;
#[path = "cgroup.rs"]
mod cgroup;
mod create;
mod enter;
mod ids;
mod init;
mod join;
mod mountinfo;
mod mounts;
// Shared with the runtime, which uses the parts this program does not.
#[allow(dead_code)]
#[path = "protocol.rs"]
mod protocol;
mod sys;
mod watch;

use args::Args;

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {start}",
    "ud2",
    start = sym start,
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "mov x0, sp",
    "bl {start}",
    "brk #0",
    start = sym start,
);

/// Entered from `_start` with the initial stack: `argc`, `argv[]`, NULL,
/// `envp[]`, NULL.
///
/// # Safety
///
/// `sp` is the stack pointer the kernel handed to `_start`.
unsafe extern "C" fn start(sp: *const usize) -> ! {
    // SAFETY: the kernel's initial stack layout, as described above.
    let args = unsafe { Args::from_stack(sp) };
    match args.bytes(1) {
        Some(protocol::MODE_CREATE) => create::run(&args),
        Some(protocol::MODE_JOIN) => join::run(&args),
        Some(protocol::MODE_WATCH) => watch::run(&args),
        _ => sys::exit_group(2),
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    sys::exit_group(126)
}

/// The sysroot's `core` is built for unwinding and names this symbol; with
/// `panic = "abort"` nothing ever calls it.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

// The compiler may call these for copies and fills; with no libc they are
// ours. `#![no_builtins]` keeps it from turning these loops into calls to
// themselves.

/// # Safety
///
/// `dest` is valid for `n` bytes of writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: guaranteed by the caller.
        unsafe { *dest.add(i) = c as u8 };
    }
    dest
}

/// # Safety
///
/// `dest` and `src` are valid for `n` bytes and do not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: guaranteed by the caller.
        unsafe { *dest.add(i) = *src.add(i) };
    }
    dest
}

/// # Safety
///
/// `dest` and `src` are valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) < (src as usize) {
        // SAFETY: forward copy of overlapping memory with dest below src.
        unsafe { memcpy(dest, src, n) }
    } else {
        for i in (0..n).rev() {
            // SAFETY: guaranteed by the caller.
            unsafe { *dest.add(i) = *src.add(i) };
        }
        dest
    }
}

/// # Safety
///
/// `a` and `b` are valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: guaranteed by the caller.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
///
/// `a` and `b` are valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: guaranteed by the caller.
    unsafe { memcmp(a, b, n) }
}
