//! Who descends from whom, as `/proc` says right now: whether a process that
//! sent a `NOTIFY_SOCKET` message is one of a node's own (its main process or
//! a descendant, for `NotifyAccess::All`), and whether a pid named in
//! `MAINPID=` is (see `main_pid`): a descendant, or in the node's process
//! group; and how such a main process, not our child, ended.
//!
//! The answers hold for the moment `/proc` was read. A pid names one process
//! until that process is reaped, so an answer about a live process (or a
//! zombie) stays true; a process that has gone and been reaped has no entry
//! and is refused — it cannot be told apart from whatever takes its pid next.
//! The walk is bounded, and its caller counts the `/proc` reads it took, so a
//! node that builds a deep chain of processes and sends from its far end
//! cannot hold the supervisor in it.

use std::fs;

use rustix::process::Pid;

use crate::kernel_file::ProcStat;

/// The longest chain of parents walked, one `/proc` read each: far more
/// generations than a service's processes have below its main process (a
/// shell running `make` running a compiler is four), and few enough that a
/// walk costs at most a fraction of a millisecond.
pub(crate) const MAX_DEPTH: usize = 64;

/// Whether `pid` is `ancestor` or one of its descendants (its child, a
/// child of that, …) fewer than [`MAX_DEPTH`] generations below it, by the
/// chain of parents in `/proc`: for `NotifyAccess::All` senders and for
/// the pids `MAINPID=` names.
pub(crate) fn descends_from(pid: Pid, ancestor: Pid) -> bool {
    descends_from_counting(pid, ancestor, &mut 0)
}

/// [`descends_from`], adding the `/proc` reads it made to `reads`.
pub(crate) fn descends_from_counting(pid: Pid, ancestor: Pid, reads: &mut usize) -> bool {
    let mut current = pid.as_raw_nonzero().get();
    let ancestor = ancestor.as_raw_nonzero().get();
    for _ in 0..MAX_DEPTH {
        if current == ancestor {
            return true;
        }
        *reads += 1;
        match parent_of(current) {
            Some(parent) if parent > 0 => current = parent,
            _ => return false,
        }
    }
    false
}

/// The process group of `pid`, as a pid of this process's namespace;
/// `None` once the process is reaped.
pub(crate) fn process_group_of(pid: Pid) -> Option<i32> {
    ProcStat::of(pid.as_raw_nonzero().get())?.field(2)
}

/// The exit status of `pid` while it is a zombie, as `wait(2)` would give
/// it (`exit_code`, field 52 of `/proc/PID/stat`, Linux 3.5); `None` while
/// it runs or once it is reaped. The kernel shows the real value only to a
/// process that may ptrace-read the target (`PTRACE_MODE_READ_FSCREDS`),
/// and `0` to others: it is believed only where the link
/// `/proc/PID/ns/pid` — behind the same check, and readable for a zombie,
/// unlike the files a zombie's `/proc` gives to root — can be read.
///
/// The state and the code come from one read of `stat`: read twice, they
/// could describe two moments (or, once the pid is reaped and reused
/// between the reads, two processes).
pub(crate) fn zombie_exit_code(pid: Pid) -> Option<i32> {
    let pid = pid.as_raw_nonzero().get();
    let stat = ProcStat::of(pid)?;
    if stat.field::<char>(0)? != 'Z' {
        return None;
    }
    let code = stat.field(49)?;
    fs::read_link(format!("/proc/{pid}/ns/pid")).ok()?;
    Some(code)
}

/// The parent in `/proc/PID/stat`, as a pid of this process's namespace;
/// `None` once the process is reaped.
pub(crate) fn parent_of(pid: i32) -> Option<i32> {
    ProcStat::of(pid)?.field(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(raw: u32) -> Pid {
        Pid::from_raw(raw as i32).unwrap()
    }

    /// A shell with a `sleep` child of its own, and the sleep's pid.
    fn shell_with_child() -> (std::process::Child, Pid) {
        let mut shell = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(shell.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        (shell, pid(line.trim().parse().unwrap()))
    }

    #[test]
    fn a_grandchild_descends_from_its_grandparent_and_nobody_else() {
        let (mut shell, sleep) = shell_with_child();
        let shell_pid = pid(shell.id());
        let me = rustix::process::getpid();
        assert!(descends_from(sleep, shell_pid));
        assert!(descends_from(sleep, me));
        assert!(descends_from(shell_pid, shell_pid));
        assert!(!descends_from(shell_pid, sleep), "not upwards");
        assert!(
            !descends_from(me, shell_pid),
            "the application is not the node's"
        );
        assert!(!descends_from(pid(1), shell_pid));
        let group = process_group_of(shell_pid).unwrap();
        assert_eq!(process_group_of(sleep), Some(group), "a shell's job");
        assert_eq!(
            process_group_of(me),
            Some(rustix::process::getpgrp().as_raw_nonzero().get())
        );
        shell.kill().unwrap();
        shell.wait().unwrap();
        let _ = rustix::process::kill_process(sleep, rustix::process::Signal::KILL);
    }

    #[test]
    fn a_reaped_process_descends_from_nothing() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = pid(child.id());
        child.wait().unwrap();
        assert!(!descends_from(gone, rustix::process::getpid()));
    }
}
