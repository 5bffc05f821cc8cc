//! Starting processes: `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD)`.
//!
//! `CLONE_VM` shares the parent's page tables instead of copying them, so a
//! spawn costs the same whether the parent has 1 MiB or 4 GiB mapped (a
//! `fork` copies the page tables and gets slower with every gigabyte).
//! `CLONE_VFORK` suspends the calling thread until the child has exec'd or
//! exited, which is what makes sharing memory safe. `CLONE_PIDFD` returns a
//! pidfd atomically with the child. `CLONE_CLEAR_SIGHAND` resets every signal
//! handler in the child, so no handler of the parent's can run on the shared
//! memory before `execve`. `CLONE_INTO_CGROUP` starts it in its node's
//! cgroup, so not even its first instruction runs outside it.

child_side_module!(
    mod child;
);
mod edges;
mod exec_spec;
child_side_module!(
    mod join;
);
mod launcher;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::process::Pid;

pub(crate) use child::{FdMove, ParentCheck, parent_died};
pub(crate) use edges::{HeldEdge, ParentEnd};
pub(crate) use exec_spec::ExecSpec;
pub(crate) use launcher::{LaunchKit, Launched, Launcher};

use crate::error::Step;
use crate::process::Process;
use crate::sys::{self, ChildStack, clone3_then_call};
use child::{ChildContext, child_main};
use join::{JoinContext, join_main};

// clone3 flags as u64: libc's CLONE_CLEAR_SIGHAND is a c_int that overflows.
pub(crate) const CLONE_VM: u64 = libc::CLONE_VM as u64;
const CLONE_VFORK: u64 = libc::CLONE_VFORK as u64;
const CLONE_PIDFD: u64 = libc::CLONE_PIDFD as u64;
const CLONE_FILES: u64 = libc::CLONE_FILES as u64;
const CLONE_PARENT: u64 = libc::CLONE_PARENT as u64;
pub(crate) const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// The scope a process is started in: the pidfd of the scope's init and
/// the namespaces to join through it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScopeJoin {
    pub(crate) init_pidfd: i32,
    pub(crate) namespaces: u32,
}

/// Starts one process running `exec` with the fd table `fds` (sorted by
/// target), inside `scope` if given, in the cgroup whose directory is
/// `cgroup` if given. Returns the failed step and errno if the
/// child did not reach a successful `execve`; the failed child has been
/// reaped by then.
pub(crate) fn spawn_process(
    exec: &ExecSpec,
    fds: &mut [FdMove],
    parent: ParentCheck,
    scope: Option<ScopeJoin>,
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Process, (Step, i32)> {
    let max_target = fds.iter().map(|m| m.target).max().unwrap_or(0).max(2);
    let mut ctx = ChildContext {
        parent,
        fds,
        max_target,
        cwd: exec.cwd.as_deref(),
        candidates: &exec.candidates,
        argv: exec.argv(),
        envp: exec.envp(),
        failure: None,
    };
    let ctx_ptr = std::ptr::from_mut(&mut ctx).cast();
    let flags = CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND;
    let mut process = ChildStack::with(|stack, size| {
        // The join helper, if any, runs on the upper half of the stack.
        let (size, helper) = match scope {
            None => (size, None),
            // SAFETY: `size / 2` is within the stack.
            Some(scope) => (
                size / 2,
                Some((scope, unsafe { stack.add(size / 2) }, size / 2)),
            ),
        };
        // SAFETY: the stack stays mapped and unused by anyone else until the
        // child has exec'd or exited (CLONE_VFORK holds this thread until
        // then; the helper is suspended while the child runs); `ctx` outlives
        // the call; `child_main` keeps its rules.
        unsafe { clone_into_cgroup(flags, child_main, ctx_ptr, (stack, size), helper, cgroup) }
    })
    .map_err(|e| (Step::Clone, e.raw_os_error().unwrap_or(libc::ENOMEM)))??;
    if let Some(failure) = ctx.failure {
        // The child has already called exit_group; reap it so no zombie stays.
        let _ = process.reap(true);
        return Err(failure);
    }
    Ok(process)
}

/// `clone_args` with these flags, `SIGCHLD` as exit signal, and the pidfd
/// stored in `pidfd`.
fn clone_args(flags: u64, pidfd: &mut i32) -> libc::clone_args {
    // SAFETY: clone_args is plain old data; all-zero is its documented default.
    let mut args: libc::clone_args = unsafe { std::mem::zeroed() };
    args.flags = flags;
    args.pidfd = std::ptr::from_mut(pidfd) as u64;
    args.exit_signal = libc::SIGCHLD as u64;
    args
}

/// Clones a process with `flags` (plus `CLONE_PIDFD`'s pidfd) that runs
/// `entry(arg)` on `stack` (base, size). With `join`, it is cloned inside a
/// scope: from a helper that has joined the scope's namespaces, running on
/// the given helper stack, with the new process still our child
/// (`CLONE_PARENT`).
///
/// # Safety
///
/// As for [`clone3_then_call`], for `entry`, `arg` and both stacks, which
/// must stay mapped and unused until the process (and the helper) no longer
/// run on them.
pub(crate) unsafe fn clone_process(
    flags: u64,
    entry: crate::sys::ChildEntry,
    arg: *mut core::ffi::c_void,
    stack: (*mut u8, usize),
    join: Option<(ScopeJoin, *mut u8, usize)>,
) -> Result<Process, (Step, i32)> {
    // SAFETY: guaranteed by the caller.
    unsafe { clone_into_cgroup(flags, entry, arg, stack, join, None) }
}

/// [`clone_process`], and with `cgroup` (a cgroup directory) the process
/// starts in that cgroup: `CLONE_INTO_CGROUP`, atomically with the clone.
///
/// # Safety
///
/// As for [`clone_process`].
pub(crate) unsafe fn clone_into_cgroup(
    flags: u64,
    entry: crate::sys::ChildEntry,
    arg: *mut core::ffi::c_void,
    stack: (*mut u8, usize),
    join: Option<(ScopeJoin, *mut u8, usize)>,
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Process, (Step, i32)> {
    let mut pidfd: i32 = -1;
    let mut args = clone_args(flags | CLONE_PIDFD, &mut pidfd);
    args.stack = stack.0 as u64;
    args.stack_size = stack.1 as u64;
    if let Some(cgroup) = cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = cgroup.as_raw_fd() as u64;
    }
    let ret = match join {
        // SAFETY: guaranteed by the caller.
        None => match unsafe { clone3_then_call(&mut args, entry, arg) } {
            ret if ret < 0 => Err((Step::Clone, sys::errno_of(ret))),
            ret => Ok(ret),
        },
        Some((scope, helper_stack, helper_size)) => {
            // The process's parent is ours, not the helper (CLONE_PARENT),
            // which requires exit_signal 0: it inherits ours.
            args.flags |= CLONE_PARENT;
            args.exit_signal = 0;
            // SAFETY: guaranteed by the caller.
            unsafe { join_and_clone(scope, &mut args, entry, arg, helper_stack, helper_size) }
        }
    }?;
    // SAFETY: clone3 succeeded, so the kernel stored a new pidfd we own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    // SAFETY: a successful clone3 returns the process's pid, which is positive.
    let pid = unsafe { Pid::from_raw_unchecked(ret as i32) };
    Ok(Process::new(pid, pidfd))
}

/// Runs `clone3(args)` calling `entry(arg)` from a helper that has joined
/// `scope`'s namespaces (see [`join`]); returns the inner clone's result.
///
/// # Safety
///
/// As for [`clone3_then_call`], for `args`, `entry` and `arg`; the helper
/// runs on `helper_stack` (`helper_size` bytes), which must stay mapped and
/// unused until it has exited.
unsafe fn join_and_clone(
    scope: ScopeJoin,
    args: &mut libc::clone_args,
    entry: crate::sys::ChildEntry,
    arg: *mut core::ffi::c_void,
    helper_stack: *mut u8,
    helper_size: usize,
) -> Result<isize, (Step, i32)> {
    let mut join = JoinContext {
        scope_init: scope.init_pidfd,
        namespaces: scope.namespaces,
        args,
        entry,
        arg,
        setns_failed: None,
        clone_result: -(libc::ECHILD as isize),
    };
    let mut helper_pidfd: i32 = -1;
    let mut helper_args = clone_args(
        CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD | CLONE_CLEAR_SIGHAND,
        &mut helper_pidfd,
    );
    helper_args.stack = helper_stack as u64;
    helper_args.stack_size = helper_size as u64;
    // With every signal blocked, the helper inherits that mask: no signal can
    // end it between its inner clone and reporting the new child's pid (the
    // child clears its mask before exec).
    let blocked = crate::sigmask::SignalMaskGuard::block(None)
        .map_err(|e| (Step::Clone, e.raw_os_error().unwrap_or(libc::EINVAL)))?;
    // SAFETY: guaranteed by the caller; `join` outlives the helper, which
    // CLONE_VFORK keeps this thread waiting for.
    let ret = unsafe {
        clone3_then_call(
            &mut helper_args,
            join_main,
            std::ptr::from_mut(&mut join).cast(),
        )
    };
    if ret < 0 {
        return Err((Step::Clone, sys::errno_of(ret)));
    }
    // SAFETY: clone3 succeeded, so the kernel stored a new pidfd we own.
    let helper_pidfd = unsafe { OwnedFd::from_raw_fd(helper_pidfd) };
    // The helper has exited (or is exiting) by now; reap it. One plain wait:
    // it has no process group of its own to clean up.
    let _ = rustix::process::waitid(
        rustix::process::WaitId::PidFd(helper_pidfd.as_fd()),
        rustix::process::WaitIdOptions::EXITED,
    );
    // Only now: with signals still blocked, no handler can interrupt the wait.
    drop(blocked);
    if let Some(errno) = join.setns_failed {
        return Err((Step::Setns, errno));
    }
    if join.clone_result < 0 {
        return Err((Step::Clone, sys::errno_of(join.clone_result)));
    }
    Ok(join.clone_result)
}
