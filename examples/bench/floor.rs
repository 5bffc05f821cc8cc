//! The floor: `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD)` straight into
//! `execve`, in a few instructions of assembly, reaped with
//! `waitid(P_PIDFD)`.
//!
//! With `stack = 0` the child runs on the parent's stack, exactly like
//! `vfork`; that is safe only because the child's code below uses registers
//! alone — no calls, no pushes — and ends in `execve` or `exit_group`, while
//! `CLONE_VFORK` keeps the parent suspended until then.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::process::{WaitId, WaitIdOptions, WaitIdStatus, waitid};

use crate::exec_args::ExecArgs;

/// Zeroed bytes the child set-up reads: an all-default `struct sigaction`
/// (SIG_DFL, no flags, empty mask) and an empty signal set.
static ZEROES: [u64; 4] = [0; 4];

/// What the child does between `clone3` and `execve`.
#[derive(Clone, Copy)]
pub enum ChildSetup<'fd> {
    /// Nothing: the floor.
    None,
    /// The system calls process-graph's child makes for a node with
    /// inherited stdio (runtime/src/spawn/child.rs), results ignored:
    /// `setsid()`, `prctl(PR_SET_PDEATHSIG, SIGKILL)`, `getppid()`,
    /// `rt_sigaction` asked about each of the 64 signals but SIGKILL and
    /// SIGSTOP, and each ignored one (SIGPIPE, in a Rust parent) set to
    /// `SIG_DFL`, an empty signal mask, `close_range(3, ~0,
    /// CLOSE_RANGE_CLOEXEC)`.
    LikeRuntime,
    /// [`LikeRuntime`](Self::LikeRuntime), then `dup3(fd, 3, 0)` as
    /// [`Fd3`](Self::Fd3).
    LikeRuntimeFd3(BorrowedFd<'fd>),
    /// Only `dup3(fd, 3, 0)`: the child gets `fd` as its fd 3 (without
    /// CLOEXEC). `fd` must not be 3 itself, or dup3 fails and fd 3 stays
    /// close-on-exec.
    Fd3(BorrowedFd<'fd>),
}

/// `clone3`'s flag (Linux 5.5): reset every signal handler to the default
/// in the child (dispositions set to ignore stay), as the runtime clones.
pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;

/// `clone3`'s flag (Linux 5.7): start the child in the cgroup `args.cgroup`.
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// A started child: its pid and pidfd.
pub struct Child {
    pub pid: i32,
    pub pidfd: OwnedFd,
}

/// Starts a child that execs `exec` (and exits 127 if `execve` fails), with
/// `extra_flags` added to `CLONE_VM | CLONE_VFORK | CLONE_PIDFD`.
pub fn spawn(exec: &ExecArgs, extra_flags: u64, setup: ChildSetup) -> io::Result<Child> {
    spawn_in(exec, extra_flags, setup, None)
}

/// [`spawn`], and with `cgroup` (a cgroup directory) the child starts in it:
/// `CLONE_INTO_CGROUP`.
pub fn spawn_in(
    exec: &ExecArgs,
    extra_flags: u64,
    setup: ChildSetup,
    cgroup: Option<BorrowedFd<'_>>,
) -> io::Result<Child> {
    let mut pidfd: i32 = -1;
    // SAFETY: clone_args is plain old data; all-zero is its default.
    let mut args: libc::clone_args = unsafe { std::mem::zeroed() };
    args.flags = (libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD) as u64 | extra_flags;
    if let Some(cgroup) = cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = cgroup.as_raw_fd() as u64;
    }
    args.pidfd = std::ptr::from_mut(&mut pidfd) as u64;
    args.exit_signal = libc::SIGCHLD as u64;
    let zeroes = match setup {
        ChildSetup::None | ChildSetup::Fd3(_) => std::ptr::null(),
        ChildSetup::LikeRuntime | ChildSetup::LikeRuntimeFd3(_) => ZEROES.as_ptr(),
    };
    let fd3_source: isize = match setup {
        ChildSetup::Fd3(fd) | ChildSetup::LikeRuntimeFd3(fd) => fd.as_raw_fd() as isize,
        ChildSetup::None | ChildSetup::LikeRuntime => -1,
    };
    // Where the child's `rt_sigaction` queries store the old action.
    let mut scratch = [0u64; 4];
    let ret: isize;
    // SAFETY: in the parent this is one syscall that clobbers rcx and r11
    // (CLONE_VM | CLONE_VFORK with no stack, so the child borrows ours and the
    // parent resumes only after the child's execve or exit). The child
    // (rax == 0) touches only registers, the exec arguments, which `exec`
    // keeps alive, and `scratch`, which the parent does not read; r15 is null
    // unless it runs the set-up, r8 negative unless it moves an fd to 3.
    unsafe {
        core::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 3f",
            "test r15, r15",
            "jz 2f",
            "mov eax, {setsid}",
            "syscall",
            "mov eax, {prctl}",
            "mov edi, {pr_set_pdeathsig}",
            "mov esi, {sigkill}",
            "syscall",
            "mov eax, {getppid}",
            "syscall",
            // For each signal 1..=64: ask for its action; if it is
            // ignored, reset it.
            "mov edi, 1",
            "5:",
            "cmp edi, {sigkill}",
            "je 6f",
            "cmp edi, {sigstop}",
            "je 6f",
            "mov eax, {rt_sigaction}",
            "xor esi, esi",
            "mov rdx, r9",
            "mov r10d, 8",
            "syscall",
            "cmp qword ptr [r9], {sig_ign}",
            "jne 6f",
            "mov eax, {rt_sigaction}",
            "mov rsi, r15",
            "xor edx, edx",
            "syscall",
            "6:",
            "inc edi",
            "cmp edi, 64",
            "jbe 5b",
            "mov eax, {rt_sigprocmask}",
            "mov edi, {sig_setmask}",
            "mov rsi, r15",
            "xor edx, edx",
            "mov r10d, 8",
            "syscall",
            "mov eax, {close_range}",
            "mov edi, 3",
            "mov esi, -1",
            "mov edx, {close_range_cloexec}",
            "syscall",
            "2:",
            "test r8, r8",
            "js 4f",
            "mov eax, {dup3}",
            "mov rdi, r8",
            "mov esi, 3",
            "xor edx, edx",
            "syscall",
            "4:",
            "mov eax, {execve}",
            "mov rdi, r12",
            "mov rsi, r13",
            "mov rdx, r14",
            "syscall",
            "mov edi, 127",
            "mov eax, {exit_group}",
            "syscall",
            "ud2",
            "3:",
            setsid = const libc::SYS_setsid,
            prctl = const libc::SYS_prctl,
            pr_set_pdeathsig = const libc::PR_SET_PDEATHSIG,
            sigkill = const libc::SIGKILL,
            getppid = const libc::SYS_getppid,
            rt_sigaction = const libc::SYS_rt_sigaction,
            sig_ign = const 1,
            sigstop = const libc::SIGSTOP,
            rt_sigprocmask = const libc::SYS_rt_sigprocmask,
            sig_setmask = const libc::SIG_SETMASK,
            close_range = const libc::SYS_close_range,
            close_range_cloexec = const libc::CLOSE_RANGE_CLOEXEC,
            dup3 = const libc::SYS_dup3,
            execve = const libc::SYS_execve,
            exit_group = const libc::SYS_exit_group,
            inlateout("rax") libc::SYS_clone3 as isize => ret,
            in("rdi") std::ptr::from_mut(&mut args),
            in("rsi") size_of::<libc::clone_args>(),
            in("r12") exec.path(),
            in("r13") exec.argv(),
            in("r14") exec.envp(),
            in("r15") zeroes,
            in("r8") fd3_source,
            in("r9") scratch.as_mut_ptr(),
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    if ret < 0 {
        return Err(io::Error::from_raw_os_error(-ret as i32));
    }
    Ok(Child {
        pid: ret as i32,
        // SAFETY: clone3 succeeded, so the kernel stored a pidfd we now own.
        pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
    })
}

/// An epoll instance watching every child's pidfd, each reported with its
/// index in `children`.
pub fn epoll_of(children: &[Child]) -> io::Result<OwnedFd> {
    let instance = rustix::event::epoll::create(rustix::event::epoll::CreateFlags::CLOEXEC)?;
    for (i, child) in children.iter().enumerate() {
        rustix::event::epoll::add(
            &instance,
            child.pidfd.as_fd(),
            rustix::event::epoll::EventData::new_u64(i as u64),
            rustix::event::epoll::EventFlags::IN,
        )?;
    }
    Ok(instance)
}

/// `waitid(P_PIDFD, …)`: waits for `child` to end (or only peeks, with
/// `WaitIdOptions::NOWAIT`) and returns how it ended.
pub fn wait(child: &Child, options: WaitIdOptions) -> io::Result<WaitIdStatus> {
    loop {
        match waitid(
            WaitId::PidFd(child.pidfd.as_fd()),
            WaitIdOptions::EXITED | options,
        ) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
            Ok(status) => {
                return status.ok_or_else(|| io::Error::other("waitid returned no status"));
            }
        }
    }
}
