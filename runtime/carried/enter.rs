//! What both modes do first: check the application is still there, and
//! enter the scope named by the arguments, if any.

use crate::args::Args;
use crate::protocol::{common, step};
use crate::sys;

/// The arguments both modes share.
pub(crate) struct Common {
    pub(crate) app_pid: isize,
    pub(crate) report: i32,
    scope_fds: i32,
    pub(crate) join_flags: u32,
}

const ESRCH: i32 = 3;
const EINVAL: i32 = 22;

/// Reads the shared arguments; exits if even the report fd is missing.
pub(crate) fn common(args: &Args) -> Common {
    let Some(report) = args.number(common::REPORT_FD) else {
        sys::exit_group(2)
    };
    let report = report as i32;
    match (
        args.number(common::APP_PID),
        args.number(common::SCOPE_FDS),
        args.number(common::JOIN_FLAGS),
    ) {
        (Some(app_pid), Some(scope_fds), Some(join_flags)) => Common {
            app_pid: app_pid as isize,
            report,
            scope_fds: scope_fds as i32,
            join_flags: join_flags as u32,
        },
        _ => fail(report, (step::ARGUMENTS, EINVAL)),
    }
}

/// Reports `failure` to the application and exits.
pub(crate) fn fail(report: i32, (step, errno): (i32, i32)) -> ! {
    sys::report(report, step, errno, 0);
    sys::exit_group(127)
}

/// Fails with `EINVAL` at `ARGUMENTS` when an argument is malformed.
pub(crate) fn bad_arguments() -> (i32, i32) {
    (step::ARGUMENTS, EINVAL)
}

/// Whether the application is still this process's parent. The
/// application armed PDEATHSIG before exec'ing us; this catches a death
/// before that.
pub(crate) fn parent_alive(c: &Common) -> Result<(), (i32, i32)> {
    if sys::getppid() == c.app_pid {
        Ok(())
    } else {
        Err((step::PARENT_DIED, ESRCH))
    }
}

/// Joins the scope given in the arguments, if any.
///
/// First the address space is made non-dumpable. It was created by our
/// `execve` in the application's user namespace, so from then on only a
/// process with CAP_SYS_PTRACE there can ptrace this process, read its
/// memory or take its fds — none inside the scope, whatever they are in the
/// scope's namespaces. The clones we make share or copy this flag.
pub(crate) fn enter(c: &Common) -> Result<(), (i32, i32)> {
    parent_alive(c)?;
    if c.scope_fds < 0 {
        return Ok(());
    }
    check(sys::not_dumpable(), step::NOT_DUMPABLE)?;
    for (fd, flag) in (c.scope_fds..).zip(joined(c.join_flags)) {
        check(sys::setns(fd, flag), step::SETNS)?;
    }
    // Joining a user namespace changes our credentials, which clears the
    // parent-death signal: arm it again, then look again.
    check(sys::die_with_parent(), step::DEATH_SIGNAL)?;
    parent_alive(c)
}

/// The kinds among `flags`, in the order they are joined and their fds sent.
pub(crate) fn joined(flags: u32) -> impl Iterator<Item = u32> {
    crate::protocol::NAMESPACES
        .into_iter()
        .map(|(flag, _)| flag)
        .filter(move |flag| flags & flag != 0)
}

/// Marks the scope's namespace fds close-on-exec.
pub(crate) fn scope_fds_cloexec(c: &Common) -> Result<(), (i32, i32)> {
    if c.scope_fds >= 0 {
        for (fd, _) in (c.scope_fds..).zip(joined(c.join_flags)) {
            check(sys::set_cloexec(fd), step::ARGUMENTS)?;
        }
    }
    Ok(())
}

/// `Err((step, errno))` for a `-errno` result.
pub(crate) fn check(ret: isize, step: i32) -> Result<(), (i32, i32)> {
    if ret < 0 {
        Err((step, sys::errno_of(ret)))
    } else {
        Ok(())
    }
}
