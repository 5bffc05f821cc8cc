//! Putting ignored signals back to their default action. Shared by the node
//! child and the scope init, both of which run between clone and
//! exec-or-exit, so this allocates nothing and cannot panic.
//!
//! Neither `CLONE_CLEAR_SIGHAND` nor `execve` touches an ignored signal: both
//! reset handlers only, and `SIG_IGN` is inherited by every descendant. An
//! application started under `nohup` or as a background job (SIGHUP, SIGINT,
//! SIGQUIT ignored), or by a Rust program (SIGPIPE), would otherwise start
//! nodes that ignore their stop signal.

use super::raw::{set_signal_default, signal_handler};

/// Resets every signal the calling process ignores to `SIG_DFL`: asks
/// `rt_sigaction` about each of the 64 signals but SIGKILL and SIGSTOP, as
/// glibc's `posix_spawn` does, and resets those that are ignored (usually
/// SIGPIPE alone).
///
/// The child asks about its own dispositions, after the clone, so one that
/// another thread of the application changes meanwhile cannot slip through.
/// That is 62 cheap system calls per spawn (BENCHMARKS.md, `bench
/// spawn-overhead`); reading the `SigIgn` line of `/proc/self/status` instead
/// is no cheaper in a process just created, whose `/proc` entry is built on
/// first use, and needs a mounted `/proc`.
///
/// Returns the signal whose query or reset failed, with the errno.
pub(crate) fn reset_ignored_signals() -> Result<(), (i32, i32)> {
    for signal in 1..=64 {
        // Neither can be ignored (nor caught).
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue;
        }
        if signal_handler(signal).map_err(|errno| (signal, errno))? == libc::SIG_IGN {
            let ret = set_signal_default(signal);
            if ret < 0 {
                return Err((signal, super::errno_of(ret)));
            }
        }
    }
    Ok(())
}
