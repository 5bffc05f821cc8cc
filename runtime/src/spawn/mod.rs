//! Starting processes: `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD)`.
//!
//! `CLONE_VM` shares the parent's page tables instead of copying them, so a
//! spawn costs the same whether the parent has 1 MiB or 4 GiB mapped (a
//! `fork` copies the page tables and gets slower with every gigabyte).
//! `CLONE_VFORK` suspends the calling thread until the child has exec'd or
//! exited, which is what makes sharing memory safe. `CLONE_PIDFD` returns a
//! pidfd atomically with the child. `CLONE_CLEAR_SIGHAND` resets every signal
//! handler in the child, so no handler of the parent's can run on the shared
//! memory before `execve`.

mod child;
mod edges;
mod exec_spec;
mod launcher;

use std::os::fd::{FromRawFd, OwnedFd};

use rustix::process::Pid;

pub(crate) use child::FdMove;
pub(crate) use edges::{HeldEdge, ParentEnd};
pub(crate) use exec_spec::ExecSpec;
pub(crate) use launcher::{LaunchKit, Launcher};

use crate::error::Step;
use crate::process::Process;
use crate::sys::{ChildStack, clone3_with_stack};
use child::{ChildContext, child_main};

// Defined here as u64: libc's CLONE_CLEAR_SIGHAND is a c_int that overflows.
const CLONE_VM: u64 = libc::CLONE_VM as u64;
const CLONE_VFORK: u64 = libc::CLONE_VFORK as u64;
const CLONE_PIDFD: u64 = libc::CLONE_PIDFD as u64;
const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;

/// Starts one process running `exec` with the fd table `fds` (sorted by
/// target). Returns the failed step and errno if the child did not reach a
/// successful `execve`; the failed child has been reaped by then.
pub(crate) fn spawn_process(exec: &ExecSpec, fds: &mut [FdMove]) -> Result<Process, (Step, i32)> {
    let max_target = fds.iter().map(|m| m.target).max().unwrap_or(0).max(2);
    let mut ctx = ChildContext {
        parent_pid: rustix::process::getpid(),
        fds,
        max_target,
        cwd: exec.cwd.as_deref(),
        candidates: &exec.candidates,
        argv: exec.argv(),
        envp: exec.envp(),
        failure: Default::default(),
    };
    let mut pidfd: i32 = -1;
    // SAFETY: clone_args is plain old data; all-zero is its documented default.
    let mut args: libc::clone_args = unsafe { std::mem::zeroed() };
    args.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
    args.pidfd = std::ptr::from_mut(&mut pidfd) as u64;
    args.exit_signal = libc::SIGCHLD as u64;
    let ret = ChildStack::with(|stack, size| {
        args.stack = stack as u64;
        args.stack_size = size as u64;
        // SAFETY: the stack stays mapped and unused by anyone else until the
        // child has exec'd or exited (CLONE_VFORK holds this thread until
        // then); `ctx` outlives the call and `child_main` keeps its rules.
        unsafe { clone3_with_stack(&mut args, child_main, std::ptr::from_mut(&mut ctx).cast()) }
    })
    .map_err(|e| (Step::Clone, e.raw_os_error().unwrap_or(libc::ENOMEM)))?;
    if ret < 0 {
        return Err((Step::Clone, -(ret as i32)));
    }
    // SAFETY: clone3 succeeded, so the kernel stored a new pidfd we own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    // SAFETY: a successful clone3 returns the child's pid, which is positive.
    let pid = unsafe { Pid::from_raw_unchecked(ret as i32) };
    let mut process = Process::new(pid, pidfd);
    let failure = ctx.failure;
    if failure.errno != 0 {
        // The child has already called exit_group; reap it so no zombie stays.
        let _ = process.reap(true);
        return Err((Step::decode(failure.step, failure.fd), failure.errno));
    }
    Ok(process)
}
