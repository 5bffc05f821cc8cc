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
mod sinks;

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::{Pid, PidfdFlags, WaitId, WaitIdOptions};

pub(crate) use carried::{
    Entry, LISTEN_PID_PLACEHOLDER, MAX_GROUPS, NAMESPACES, ProgramFds, REPORT_LEN,
    REQUEST_TCP_SOCKET_V4, REQUEST_TCP_SOCKET_V6, SETUP_HOSTNAME, SETUP_LOCK_MOUNTS,
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
use carried::Report;
use child::{ChildContext, child_main};

// clone3 flags as u64: libc's CLONE_CLEAR_SIGHAND is a c_int that overflows.
const CLONE_VM: u64 = libc::CLONE_VM as u64;
const CLONE_VFORK: u64 = libc::CLONE_VFORK as u64;
const CLONE_PIDFD: u64 = libc::CLONE_PIDFD as u64;
const CLONE_FILES: u64 = libc::CLONE_FILES as u64;
pub(crate) const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Starts one process running `exec` with the fd table `fds`, in the cgroup
/// whose directory is `cgroup` if given. Returns the failed step and errno
/// if it did not reach a successful `execve`; the failed child has been
/// reaped by then.
///
/// When `exec` is the carried program, `scope` holds the namespace fds of
/// the scope it joins first (placed from the fd its arguments name on), and
/// the process returned is the one the program became or reported: the node
/// (or, for `create`, the scope's init), never the program itself. A node
/// the program clones starts in the program's cgroup, so `cgroup` holds for
/// it too — unless the exec names a cgroup for it
/// (`ProgramFds::node_cgroup`), which the caller places among `fds`.
pub(crate) fn spawn_process(
    exec: &ExecSpec,
    mut fds: Vec<FdMove>,
    parent: Pid,
    scope: &[OwnedFd],
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Process, (Step, i32)> {
    let mut program_memfd = -1;
    let report = match &exec.target {
        Target::Path { .. } => None,
        Target::Program(program) => {
            let no_program =
                |e: std::io::Error| (Step::ScopeProgram, e.raw_os_error().unwrap_or(libc::EIO));
            program_memfd = program_fd().map_err(no_program)?.as_raw_fd();
            let (read, write) = pipe_with(PipeFlags::CLOEXEC)
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
        None => Ok(process),
        Some((read, write)) => {
            drop(write);
            take_over(process, read)
        }
    }
}

/// Reads the carried program's report and returns the process it stands
/// for: itself once it exec'd the node or became a scope's init or the
/// watcher, or the process it cloned.
///
/// A node of the scope may stop the program once it is in the scope's user
/// namespace: a program held up (see [`crate::held_up`]) is killed and
/// the start fails with `ETIMEDOUT`.
fn take_over(program: Process, report: OwnedFd) -> Result<Process, (Step, i32)> {
    let mut pipe = std::fs::File::from(report);
    let (report, helper) = match read_report(&mut pipe, &program) {
        // EOF now: it exec'd; another report: the execve failed.
        (Report::Executing, _) => match read_report(&mut pipe, &program) {
            (Report::Died, _) => return Ok(program),
            (Report::Executing, helper) => (Report::protocol_error(), helper),
            other => other,
        },
        other => other,
    };
    // A helper the program cloned as our child: it has exited or is about
    // to (or, stopped by a process of the scope, is killed).
    if let Some(helper) = helper.and_then(|pid| adopt(pid).ok()) {
        wait_exited(helper);
    }
    match report {
        Report::Itself => Ok(program),
        Report::Cloned(pid) => {
            // It exits right after this report, and runs in no cgroup the
            // node may freeze (`Launcher::clone_cgroups`); killed all the
            // same, so that nothing could hold this wait for the whole
            // limit (a frozen process is not "stopped", and a SIGKILL
            // reaches it).
            let _ = program.signal(crate::Signal::KILL);
            wait_exited(program);
            adopt(pid).map_err(|errno| (Step::ScopeProgram, errno))
        }
        Report::Died | Report::Executing => {
            wait_exited(program);
            Err((Step::Killed, libc::EINTR))
        }
        Report::HeldUp => {
            let _ = program.signal(crate::Signal::KILL);
            wait_exited(program);
            Err((Step::ScopeProgram, libc::ETIMEDOUT))
        }
        Report::Failed { step, errno, pid } => {
            wait_exited(program);
            // A clone that failed after its clone: dead or dying, killed
            // all the same, so that nothing holds this wait.
            if let Ok(mut orphan) = adopt(pid) {
                let _ = orphan.signal(crate::Signal::KILL);
                let _ = orphan.reap(true);
            }
            Err((carried::node_step(step), errno))
        }
    }
}

/// Reads up to one report, or EOF: a clone of the program (a scope's init)
/// may hold the pipe open long after its report. With it, the pid of the
/// helper the report names, if any (see `carried/protocol.rs`).
fn read_report(pipe: &mut std::fs::File, program: &Process) -> (Report, Option<i32>) {
    let mut bytes = [0u8; REPORT_LEN];
    let mut filled = 0;
    while filled < REPORT_LEN {
        if crate::held_up::wait_for_answer(pipe.as_fd(), program).is_err() {
            return (Report::HeldUp, None);
        }
        match pipe.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let failed = Report::Failed {
                    step: -1,
                    errno: e.raw_os_error().unwrap_or(libc::EIO),
                    pid: 0,
                };
                return (failed, None);
            }
        }
    }
    let helper = match decode_words(&bytes) {
        [.., helper] if filled == REPORT_LEN && helper > 0 => Some(helper),
        _ => None,
    };
    (Report::decode(&bytes[..filled]), helper)
}

/// Our child `pid`, which the program cloned with `CLONE_PARENT`, as a
/// process we hold by pidfd. Its pid cannot have been reused: we have not
/// reaped it, and nobody else can.
fn adopt(pid: i32) -> Result<Process, i32> {
    let pid = Pid::from_raw(pid).ok_or(libc::ESRCH)?;
    let pidfd =
        rustix::process::pidfd_open(pid, PidfdFlags::empty()).map_err(|e| e.raw_os_error())?;
    // It must be ours: waitid on a pidfd of someone else's child is ECHILD.
    let ours = rustix::process::waitid(
        WaitId::PidFd(pidfd.as_fd()),
        WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
    );
    match ours {
        Err(e) => Err(e.raw_os_error()),
        Ok(_) => Ok(Process::new(pid, pidfd)),
    }
}

/// Waits for the program to exit, killing it if it is held up, and reaps
/// it, without touching its process group: it may hold the init the program
/// just cloned, which has yet to leave it.
fn wait_exited(process: Process) {
    if crate::held_up::wait_for_exit(&process, || {}).is_err() {
        let _ = process.signal(crate::Signal::KILL);
    }
    if let Some(pidfd) = process.pidfd() {
        while let Err(rustix::io::Errno::INTR) =
            rustix::process::waitid(WaitId::PidFd(pidfd), WaitIdOptions::EXITED)
        {}
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
