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
//! cgroup, so not even its first instruction runs outside it. From Linux
//! 6.11, `CLONE_FILES` starts it on the parent's fd table, which it unshares
//! first thing keeping only the prefix it uses ([`crate::sys::held_high`]
//! says why).
//!
//! A node in a scope is started the same way, except that the child
//! executes the carried scope program ([`carried`]) instead of the node's
//! program: the program, in an address space of its own, enters the scope
//! and runs the node, and says how it went over a report pipe.

mod carried;
child_side_module!(
    mod child;
);
mod edges;
mod exec_spec;
mod extras;
mod launcher;
mod report;
mod sinks;

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::Pid;

pub(crate) use carried::{
    Entry, LISTEN_PID_PLACEHOLDER, MAX_GROUPS, NAMESPACES, NodeClone, ProgramFds, REPORT_LEN,
    REQUEST_CLEAR, REQUEST_TCP_SOCKET_V4, REQUEST_TCP_SOCKET_V6, SETUP_HOSTNAME, SETUP_LOCK_MOUNTS,
    SETUP_LOOPBACK_UP, SETUP_MOUNT_PROC, SETUP_ROOT_PRIVATE, create_arguments, decode_words,
    describe, program_fd, step_namespace_flag, watch_arguments,
};
pub(crate) use child::FdMove;
pub(crate) use edges::{HeldEdge, ParentEnd};
pub(crate) use exec_spec::{ExecSpec, InheritedEnv, Target};
pub(crate) use launcher::{LaunchKit, Launched, Launcher, listen_env};

use crate::error::Step;
use crate::process::Process;
use crate::sys::{self, ChildStack, clone3_then_call};
use child::{ChildContext, child_main};
pub(crate) use report::PendingStart;

// clone3 flags as u64: libc's CLONE_CLEAR_SIGHAND is a c_int that overflows.
const CLONE_VM: u64 = libc::CLONE_VM as u64;
const CLONE_VFORK: u64 = libc::CLONE_VFORK as u64;
const CLONE_PIDFD: u64 = libc::CLONE_PIDFD as u64;
const CLONE_FILES: u64 = libc::CLONE_FILES as u64;
pub(crate) const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// A process started: running, or still reporting through the carried
/// program how its start goes.
#[derive(Debug)]
pub(crate) enum Started {
    Running(Process),
    Reporting(PendingStart),
}

/// [`start_process`], waiting for the carried program's report.
pub(crate) fn spawn_process(
    exec: &ExecSpec,
    fds: Vec<FdMove>,
    parent: Pid,
    scope: &[OwnedFd],
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Process, (Step, i32)> {
    match start_process(exec, fds, parent, scope, cgroup)? {
        Started::Running(process) => Ok(process),
        Started::Reporting(start) => start.wait(),
    }
}

/// Starts one process running `exec` with the fd table `fds`, in the cgroup
/// whose directory is `cgroup` if given. Returns the failed step and errno
/// if it did not reach a successful `execve`; the failed child has been
/// reaped by then.
///
/// When `exec` is the carried program, `scope` holds the namespace fds of
/// the scope it joins first (placed from the fd its arguments name on), and
/// the start is [`Started::Reporting`]: the program's report is still to
/// come, and [`PendingStart::conclude`] turns it into the process the
/// program became or reported — the node (or, for `create`, the scope's
/// init), never the program itself. A node the program clones starts in
/// the program's cgroup, so `cgroup` holds for it too — unless the exec
/// names a cgroup for it (`ProgramFds::node_cgroup`), which the caller
/// places among `fds`.
pub(crate) fn start_process(
    exec: &ExecSpec,
    mut fds: Vec<FdMove>,
    parent: Pid,
    scope: &[OwnedFd],
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Started, (Step, i32)> {
    let mut program_memfd = -1;
    let report = match &exec.target {
        Target::Path { .. } => None,
        Target::Program(program) => {
            let no_program =
                |e: std::io::Error| (Step::ScopeProgram, e.raw_os_error().unwrap_or(libc::EIO));
            program_memfd = program_fd().map_err(no_program)?.as_raw_fd();
            // Non-blocking both ends: the report is read as it comes
            // (`PendingStart`), and the program's writes of 16 bytes never
            // fill a pipe.
            let (read, write) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)
                .map_err(|e| (Step::ScopeProgram, e.raw_os_error()))?;
            fds.push(FdMove {
                src: write.as_raw_fd(),
                target: program.report,
            });
            if let Some(first) = program.scope {
                for (fd, target) in scope.iter().zip(first..) {
                    fds.push(FdMove {
                        src: fd.as_raw_fd(),
                        target,
                    });
                }
            }
            fds.sort_unstable_by_key(|m| m.target);
            Some((read, write))
        }
    };
    // Placed from low copies: what the runtime holds high (a scope's
    // namespace fds) would make the child copy the whole table below it.
    let low_copies: Vec<OwnedFd> = fds
        .iter_mut()
        .filter_map(|m| {
            let copy = sys::low_copy(m.src)?;
            m.src = copy.as_raw_fd();
            Some(copy)
        })
        .collect();
    let max_target = fds.iter().map(|m| m.target).max().unwrap_or(0).max(2);
    // CLONE_FILES where the child may copy just the prefix of the fd table
    // it uses, not the pidfds held above it (`sys::copies_prefix`).
    let keep = sys::copies_prefix().then(|| {
        let highest_used = fds.iter().map(|m| m.src).fold(program_memfd, i32::max);
        sys::fds_to_keep(highest_used)
    });
    let mut ctx = ChildContext {
        parent,
        fds: &mut fds,
        max_target,
        keep,
        target: exec.child_target(),
        setup: &exec.setup,
        listen_pid: exec.listen_pid.as_ref().map(|slot| slot.get()),
        outlives_parent: exec.outlives_parent,
        program: program_memfd,
        argv: exec.argv(),
        envp: exec.envp(),
        failure: None,
        executing: false,
    };
    let ctx_ptr = std::ptr::from_mut(&mut ctx).cast();
    let files = if keep.is_some() { CLONE_FILES } else { 0 };
    let flags = CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND | files;
    let mut process = ChildStack::with(|stack, size| {
        // SAFETY: the stack stays mapped and unused by anyone else until the
        // child has exec'd or exited (CLONE_VFORK holds this thread until
        // then); `ctx` outlives the call; `child_main` keeps its rules.
        unsafe { clone_process(flags, child_main, ctx_ptr, (stack, size), cgroup) }
    })
    .map_err(|e| (Step::Clone, e.raw_os_error().unwrap_or(libc::ENOMEM)))??;
    // The child has its own table now.
    drop(low_copies);
    // With CLONE_VFORK the child has exec'd or is gone by now; if it set
    // neither mark, a signal killed it on the way.
    let failure = match (ctx.failure, ctx.executing) {
        (None, false) => Some((Step::Killed, libc::EINTR)),
        (failure, _) => failure,
    };
    if let Some(failure) = failure {
        // The child has already called exit_group or is dying; reap it so no
        // zombie stays.
        let _ = process.reap(true);
        return Err(failure);
    }
    match report {
        None => Ok(Started::Running(process)),
        Some((read, write)) => {
            drop(write);
            Ok(Started::Reporting(PendingStart::new(process, read)))
        }
    }
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
/// `entry(arg)` on `stack` (base, size); with `cgroup` (a cgroup
/// directory), in that cgroup: `CLONE_INTO_CGROUP`, atomically with the clone.
///
/// # Safety
///
/// As for [`clone3_then_call`], for `entry`, `arg` and the stack, which must
/// stay mapped and unused until the process no longer runs on it.
pub(crate) unsafe fn clone_process(
    flags: u64,
    entry: crate::sys::ChildEntry,
    arg: *mut core::ffi::c_void,
    stack: (*mut u8, usize),
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
    // SAFETY: guaranteed by the caller.
    let ret = unsafe { clone3_then_call(&mut args, entry, arg) };
    if ret < 0 {
        return Err((Step::Clone, sys::errno_of(ret)));
    }
    // SAFETY: clone3 succeeded, so the kernel stored a new pidfd we own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    // SAFETY: a successful clone3 returns the process's pid, which is positive.
    let pid = unsafe { Pid::from_raw_unchecked(ret as i32) };
    Ok(Process::new(pid, pidfd))
}
