//! The application's `/proc`, read from inside a scope.
//!
//! It is opened before the program enters the scope's mount namespace,
//! whose `/proc` (if it mounts one) numbers processes in the scope's pid
//! namespace, while the pids this program gets and reports are numbered in
//! the application's, where it stays itself.

use crate::sys;

/// How often a process of ours that a scope may stop (a clone before its
/// `execve`, a helper, a nested init before its first message) is looked
/// at: as often as the application looks at this program (`held_up.rs`).
pub(crate) const CHECK_EVERY_NANOS: u32 = 20_000_000;

/// The `/proc` directory this process sees — the application's, until it
/// enters a scope's mount namespace — or -1 where there is none to open.
pub(crate) fn open() -> i32 {
    // A failed open is `-errno`: -1 says "none" to every caller.
    (sys::open_read_at(sys::AT_FDCWD as i32, b"/proc\0", true) as i32).max(-1)
}

/// Opens `PID/stat` in `proc` (the application's, or a scope's own).
pub(crate) fn open_stat(proc: i32, pid: isize) -> isize {
    sys::open_read_at(proc, &path(b"", pid.unsigned_abs(), b"/stat\0"), false)
}

/// Whether the process whose `stat` file is open at `stat` is stopped by a
/// signal (`T`). Not a tracer's stop (`t`): nothing in a scope may trace
/// the processes we look at, whose memory is this program's, so a tracer is
/// one the application's user runs (`strace -f`), whose stops are short.
pub(crate) fn stopped(stat: i32) -> bool {
    state(stat) == Some(b'T')
}

/// The state letter of the process whose `stat` file is open at `stat`
/// (`R`, `S`, `T`, `Z`, …). It follows the last `)`: the command's name
/// (at most 15 bytes) may hold one, no field after it does.
pub(crate) fn state(stat: i32) -> Option<u8> {
    let mut text = [0u8; 128];
    let len = sys::read_from_start(stat, &mut text);
    let text = text.get(..len.max(0) as usize)?;
    let end = text.iter().rposition(|&b| b == b')')?;
    text.get(end + 2).copied()
}

/// The pid, in the application's pid namespace (ours), of the process
/// that our pidfd `pidfd` refers to: the kernel's answer to
/// `PIDFD_GET_INFO` (Linux 6.13), else the `Pid:` line of its `fdinfo` in
/// `proc`.
pub(crate) fn pid_of_pidfd(proc: i32, pidfd: i32) -> Option<i32> {
    sys::pidfd_pid(pidfd).or_else(|| fdinfo_pid(proc, pidfd))
}

/// The `Pid:` line of the `fdinfo` of our pidfd `pidfd`, in `proc`.
fn fdinfo_pid(proc: i32, pidfd: i32) -> Option<i32> {
    let info = sys::open_read_at(proc, &path(b"self/fdinfo/", pidfd as usize, b"\0"), false);
    if info < 0 {
        return None;
    }
    let mut text = [0u8; 512];
    let len = sys::read_from_start(info as i32, &mut text);
    sys::close(info as i32);
    let text = text.get(..len.max(0) as usize)?;
    let line = text
        .split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"Pid:"))?;
    let digits = line.trim_ascii();
    let pid = crate::args::decimal(digits)?;
    i32::try_from(pid).ok().filter(|&pid| pid > 0)
}

/// `prefix`, `number` in decimal, then `suffix` (which ends with the NUL).
fn path(prefix: &[u8], number: usize, suffix: &[u8]) -> [u8; 64] {
    let mut digits = [0u8; 20];
    let number = crate::protocol::decimal(number as u64, &mut digits);
    let mut path = [0u8; 64];
    let parts = prefix.iter().chain(number).chain(suffix);
    for (to, from) in path.iter_mut().zip(parts) {
        *to = *from;
    }
    path
}
