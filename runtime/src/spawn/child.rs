//! The code that runs in the child between `clone3` and `execve`.
//!
//! The child shares the parent's memory (`CLONE_VM`) while the parent thread
//! is suspended (`CLONE_VFORK`), and the parent may have other threads that
//! hold locks — the allocator's among them. So, in this module only:
//!
//! - **no allocation**: every string, pointer array and fd table was built by
//!   the parent beforehand;
//! - **no locks**: no `std::env`, no stdio, no `println!`;
//! - **no panics**: no indexing, no `unwrap`; every failure is returned as a
//!   `(Step, errno)` pair;
//! - **raw system calls only**: rustix's linux_raw backend or [`crate::sys`],
//!   which never write the (shared) thread-local `errno`;
//! - **leave with `exit_group`**, never by returning or unwinding.
//!
//! A failure is written into [`ChildContext::failure`], which the parent reads
//! after `clone3` returns: with `CLONE_VFORK` that happens only once the child
//! has exec'd (success) or exited (failure), so the slot needs no other
//! synchronisation. glibc's `posix_spawn` reports errors the same way.


use core::ffi::{c_char, c_void};
use std::os::fd::{BorrowedFd, IntoRawFd};

use rustix::process::{self, Pid, Signal};

use super::carried::{LISTEN_PID_PLACEHOLDER, write_listen_pid};
use super::exec_spec::{ChildSetup, ChildTarget};
use crate::credentials::ProcessGroup;
use crate::error::Step;
use crate::sys::{self, failed_at};

/// One fd to place: `src` (open in the parent, CLOEXEC) becomes `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FdMove {
    pub(crate) src: i32,
    pub(crate) target: i32,
}


/// Everything the child needs, prepared by the parent.
pub(crate) struct ChildContext<'a> {
    /// The spawner: `getppid()` no longer names it once it has died.
    pub(crate) parent: Pid,
    /// The fd table, sorted by target; the child rewrites `src` when it
    /// moves an fd out of the way.
    pub(crate) fds: &'a mut [FdMove],
    /// The highest target fd, at least 2.
    pub(crate) max_target: i32,
    /// Where the child was cloned onto the parent's fd table
    /// (`CLONE_FILES`): one above every fd it uses from it (at least 3),
    /// the prefix it keeps when it unshares the table.
    pub(crate) keep: Option<i32>,
    /// What to execute: the node's program, or the carried scope program.
    pub(crate) target: ChildTarget<'a>,
    /// Process group, resource limits and umask.
    pub(crate) setup: &'a ChildSetup,
    /// The `LISTEN_PID=` entry `envp` points to, to fill in with our pid.
    pub(crate) listen_pid: Option<*mut [u8; LISTEN_PID_PLACEHOLDER.len() + 1]>,
    /// No parent-death signal: the child is meant to outlive the parent.
    pub(crate) outlives_parent: bool,
    /// The memfd of the carried scope program, for `Target::Program`; the
    /// child moves it above the fd table like any source.
    pub(crate) program: i32,
    pub(crate) argv: *const *const c_char,
    pub(crate) envp: *const *const c_char,
    /// Written by the child when a step fails (with `CLONE_VM` it writes the
    /// parent's memory); read by the parent once the child has exited.
    pub(crate) failure: Option<(Step, i32)>,
    /// Set by the child just before `execve`. A child gone with neither
    /// this nor a failure was killed before it got there.
    pub(crate) executing: bool,
}

/// The child's entry point, called on the child stack by
/// [`sys::clone3_then_call`].
///
/// # Safety
///
/// `arg` must point to a live `ChildContext` that nothing else touches until
/// the child has exec'd or exited (guaranteed by `CLONE_VFORK`).
pub(crate) unsafe extern "C" fn child_main(arg: *mut c_void) -> ! {
    // SAFETY: see the function's contract.
    let ctx = unsafe { &mut *arg.cast::<ChildContext<'_>>() };
    let Err(failure) = setup_and_exec(ctx);
    ctx.failure = Some(failure);
    sys::exit_group(127)
}

type StepResult = Result<(), (Step, i32)>;

fn check(ret: isize, step: Step) -> StepResult {
    if ret < 0 {
        Err((step, sys::errno_of(ret)))
    } else {
        Ok(())
    }
}

/// Sets the child up and execs; returns only the step that failed.
fn setup_and_exec(ctx: &mut ChildContext<'_>) -> Result<core::convert::Infallible, (Step, i32)> {
    // Cloned onto the parent's fd table (`CLONE_FILES`): first a table of
    // our own with only the prefix we use, before any fd changes.
    if let Some(keep) = ctx.keep {
        check(sys::unshare_fds_below(keep), Step::CloseRange)?;
    }
    // A session of its own, and so a process group of its own (same id),
    // so the whole node can be signalled at once; or the application's,
    // left as it is. Not its process group alone: in the application's
    // session a node could open `/dev/tty`, the application's terminal,
    // make itself its foreground (Ctrl-C, and a SIGTTOU that stops the
    // application), type into it (`TIOCSTI`), and send SIGCONT to any
    // process of the session, whatever its uid.
    let own = ctx.setup.group == ProcessGroup::Own;
    if ctx.setup.controlling_terminal.is_some() || (own && !ctx.setup.group_only) {
        process::setsid().map_err(failed_at(Step::Session))?;
    } else if own {
        // The runtime's own programs (see `ChildSetup::group_only`).
        process::setpgid(None, None).map_err(failed_at(Step::ProcessGroup))?;
    }
    if !ctx.outlives_parent {
        process::set_parent_process_death_signal(Some(Signal::KILL))
            .map_err(failed_at(Step::ParentDeathSignal))?;
        // If the parent died before the prctl, the death signal will never come.
        if parent_died(ctx.parent) {
            return Err((Step::ParentDied, libc::ESRCH));
        }
    }
    // Every signal at its default and none blocked, whatever the
    // application ignored or blocked (handlers were reset by
    // CLONE_CLEAR_SIGHAND; an ignored signal survives it and execve).
    sys::reset_ignored_signals().map_err(|(signal, errno)| (Step::ResetSignal { signal }, errno))?;
    check(sys::set_signal_mask(0), Step::ResetSignalMask)?;
    place_fds(ctx)?;
    if let Some(fd) = ctx.setup.controlling_terminal {
        // SAFETY: `fd` is a target of the fd table just placed.
        let terminal = unsafe { BorrowedFd::borrow_raw(fd) };
        process::ioctl_tiocsctty(terminal).map_err(failed_at(Step::ControllingTerminal))?;
    }
    limit(ctx.setup)?;
    if let Some(entry) = ctx.listen_pid {
        let pid = process::getpid().as_raw_nonzero().get().unsigned_abs();
        // SAFETY: the slot belongs to the node's `ExecSpec`, which the
        // parent does not touch until we have exec'd or exited; nothing
        // else refers to its bytes meanwhile.
        write_listen_pid(unsafe { &mut *entry }, pid);
    }
    Err(exec(ctx))
}

/// Applies the command's resource limits and umask; the carried program,
/// if it runs next, keeps them for the node.
fn limit(setup: &ChildSetup) -> StepResult {
    for &(resource, limit) in &setup.rlimits {
        process::setrlimit(resource.resource(), limit)
            .map_err(failed_at(Step::SetRlimit { resource }))?;
    }
    if let Some(mask) = setup.umask {
        process::umask(mask);
    }
    Ok(())
}

/// Whether the spawner has exited (the child has been reparented).
pub(crate) fn parent_died(parent: Pid) -> bool {
    process::getppid() != Some(parent)
}

/// Builds the fd table: move every source above the highest target, `dup2`
/// each onto its target (which clears CLOEXEC there), then mark everything
/// else from 3 up close-on-exec — including fds other threads opened without
/// `O_CLOEXEC` — for `execve` to close.
fn place_fds(ctx: &mut ChildContext<'_>) -> StepResult {
    // Validation bounds every fd by MAX_FD, far below i32::MAX.
    let above = ctx.max_target.saturating_add(1);
    if (0..=ctx.max_target).contains(&ctx.program) {
        // SAFETY: the parent holds the memfd open for the life of the process.
        let program = unsafe { BorrowedFd::borrow_raw(ctx.program) };
        let moved = rustix::io::fcntl_dupfd_cloexec(program, above)
            .map_err(failed_at(Step::MoveFd { fd: ctx.program }))?;
        ctx.program = moved.into_raw_fd();
    }
    for m in ctx.fds.iter_mut() {
        if m.src <= ctx.max_target {
            // SAFETY: `src` is open: the parent holds it until spawn returns.
            let src = unsafe { BorrowedFd::borrow_raw(m.src) };
            let moved = rustix::io::fcntl_dupfd_cloexec(src, above)
                .map_err(failed_at(Step::MoveFd { fd: m.src }))?;
            m.src = moved.into_raw_fd();
        }
    }
    for m in ctx.fds.iter() {
        check(sys::dup3(m.src, m.target), Step::Dup2 { fd: m.target })?;
    }
    let targets = ctx.fds.iter().map(|m| m.target);
    check(sys::close_fds_except(targets), Step::CloseRange)
}

/// Executes the target; returns only the failure.
fn exec(ctx: &mut ChildContext<'_>) -> (Step, i32) {
    // Volatile: the store must be in memory before the execve, which the
    // compiler cannot see reads it.
    // SAFETY: a plain field of the context the child may write.
    unsafe { core::ptr::write_volatile(&raw mut ctx.executing, true) };
    match ctx.target {
        ChildTarget::Path { candidates, cwd } => {
            if let Some(cwd) = cwd
                && let Err(e) = process::chdir(cwd)
            {
                return (Step::Chdir, e.raw_os_error());
            }
            let paths = candidates.iter().map(|c| c.cast::<u8>());
            // SAFETY: argv, envp and the paths are NUL-terminated strings,
            // and the arrays null-terminated, owned by the parent's
            // `ExecSpec`, alive until the child has exec'd.
            let errno = unsafe { sys::execve_each(paths, ctx.argv.cast(), ctx.envp.cast()) };
            (Step::Execve, errno)
        }
        ChildTarget::Program => {
            // SAFETY: as above for argv and envp; `program` is the sealed
            // memfd (or our copy of it), open until the exec.
            let ret = unsafe { sys::execve_fd(ctx.program, ctx.argv, ctx.envp) };
            (Step::ScopeProgram, sys::errno_of(ret))
        }
    }
}
