//! `MAINPID=`: a node that forks its real server names it, and from then on
//! the runtime follows that process as the node's main process (systemd's
//! `Type=notify` with `MAINPID=`).
//!
//! Which pid a node may name — one of its own, never anyone else's:
//!
//! - with a cgroup of its own, a process in that cgroup (its
//!   `cgroup.procs`), as systemd checks;
//! - otherwise a live descendant of the process the runtime started or of
//!   the current main process, or a process in the node's own process
//!   group (a server forked by a script or a `fork()` stays there, and is
//!   no longer a descendant once its parent exited): the group whose id is
//!   the started process's pid. That process is unreaped — the driver keeps
//!   it so while another main process stands in for it — so a group with
//!   its number can only be one it made itself (by default the runtime
//!   makes it lead one, [`ProcessGroup::Own`](crate::ProcessGroup)). A
//!   process joins a group only by its own or its parent's choice, so no
//!   node can draw another's process into its group.
//!
//! The application, pid 1, another node's processes: none of them is any of
//! these. The pid in the message is in the sender's pid namespace; when
//! that is not the application's (a node in a pid scope), it is looked up
//! in the `NSpid` line of the candidates (the node's cgroup, or every
//! process), at the sender's depth.
//!
//! The race with pid reuse: the pidfd of the named pid is opened first, the
//! checks read `/proc` after that, and the pidfd must still name an
//! unreaped process at the end — then the pid named that very process all
//! along, since a pid names one process until it is reaped.
//!
//! The sender must be believed first (the node's notify access, see
//! `notify_socket`): a claim is only ever made by the node itself.

use std::fmt;
use std::fs;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::process::{Pid, PidfdFlags, pidfd_open, pidfd_send_signal};

use super::lineage;
use crate::cgroup::NodeRef;
use crate::exit::ExitStatus;
use crate::owner::Owner;
use crate::signal::Signal;
use crate::sys::{pidfd_exit_status, pidfd_is_unreaped};

/// A `MAINPID=` line from a believed sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    /// Who sent it (a pid of the application's namespace).
    pub(crate) sender: Pid,
    /// The pid it names, in the sender's pid namespace; `None` when the
    /// value is no pid at all.
    pub(crate) claimed: Option<Pid>,
}

impl Claim {
    /// Parses the value of `MAINPID=` (a positive decimal number).
    pub(crate) fn parse(sender: Pid, value: &[u8]) -> Claim {
        let claimed = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|&pid| pid > 0)
            .and_then(Pid::from_raw);
        Claim { sender, claimed }
    }
}

/// Why a `MAINPID=` was refused. Nothing changed: the node's main process
/// is the one it was.
///
/// ```
/// use process_graph_runtime::MainPidRefusal;
///
/// assert_eq!(MainPidRefusal::NotTheNodes.to_string(), "not one of the node's processes");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MainPidRefusal {
    /// The value is not a pid (`MAINPID=abc`, `MAINPID=0`, `MAINPID=-1`).
    Malformed,
    /// No live process has that pid (in the sender's pid namespace).
    NoSuchProcess,
    /// The process exists but is not the node's: not in its cgroup, or —
    /// without one — neither a descendant of its main process nor in its
    /// process group.
    NotTheNodes,
    /// The node has no running main process to hand over from (the message
    /// came as it ended).
    NotRunning,
}

impl fmt::Display for MainPidRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MainPidRefusal::Malformed => "not a pid",
            MainPidRefusal::NoSuchProcess => "no such process",
            MainPidRefusal::NotTheNodes => "not one of the node's processes",
            MainPidRefusal::NotRunning => "the node is not running",
        })
    }
}

/// What the checks need to know of a node.
#[derive(Debug)]
pub(crate) struct Members<'a> {
    /// The process the runtime started, unreaped.
    pub(crate) started: Pid,
    /// The main process named before, if any.
    pub(crate) current: Option<Pid>,
    /// The node's own cgroup, if it has one.
    pub(crate) cgroup: Option<NodeRef<'a>>,
}

impl Members<'_> {
    /// Whether `pid` (of the application's namespace) is one of the node's.
    fn contain(&self, pid: Pid) -> bool {
        if let Some(cgroup) = &self.cgroup {
            return cgroup.pids().unwrap_or_default().contains(&pid);
        }
        let started = self.started.as_raw_nonzero().get();
        lineage::descends_from(pid, self.started)
            || self
                .current
                .is_some_and(|c| lineage::descends_from(pid, c))
            || lineage::process_group_of(pid) == Some(started)
    }

    /// The processes a pid of another namespace may name: the cgroup's, or
    /// every process the application can see.
    fn candidates(&self) -> Vec<Pid> {
        match &self.cgroup {
            Some(cgroup) => cgroup.pids().unwrap_or_default(),
            None => fs::read_dir("/proc")
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter_map(Pid::from_raw)
                .collect(),
        }
    }
}

/// The `NSpid` line of `/proc/PID/status`: the pid in each namespace from
/// the application's down to the process's own. Empty once it is reaped.
fn namespace_pids(pid: Pid) -> Vec<i32> {
    let status = fs::read_to_string(format!("/proc/{}/status", pid.as_raw_nonzero()));
    status
        .ok()
        .and_then(|s| {
            let line = s.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
            Some(line.split_whitespace().filter_map(|p| p.parse().ok()).collect())
        })
        .unwrap_or_default()
}

/// The pid of the application's namespace that `claimed`, a pid of
/// `sender`'s namespace, names among `members`' candidates.
fn resolve(claimed: Pid, sender: Pid, members: &Members<'_>) -> Option<Pid> {
    let depth = namespace_pids(sender).len();
    if depth == 0 {
        return None;
    }
    if depth == namespace_pids(rustix::process::getpid()).len() {
        return Some(claimed);
    }
    let claimed = claimed.as_raw_nonzero().get();
    members
        .candidates()
        .into_iter()
        .find(|&c| namespace_pids(c).get(depth - 1) == Some(&claimed))
}

/// Checks `claim` against the node described by `members`; on success, the
/// named process, held by its pidfd.
pub(crate) fn adopt(claim: Claim, members: &Members<'_>) -> Result<MainPid, MainPidRefusal> {
    let claimed = claim.claimed.ok_or(MainPidRefusal::Malformed)?;
    let pid = resolve(claimed, claim.sender, members).ok_or(MainPidRefusal::NoSuchProcess)?;
    let pidfd =
        pidfd_open(pid, PidfdFlags::empty()).map_err(|_| MainPidRefusal::NoSuchProcess)?;
    if !members.contain(pid) {
        return Err(MainPidRefusal::NotTheNodes);
    }
    // The checks above read `/proc` of the process this pidfd holds only if
    // it is still unreaped now.
    if !pidfd_is_unreaped(pidfd.as_fd()) {
        return Err(MainPidRefusal::NoSuchProcess);
    }
    Ok(MainPid {
        pid,
        pidfd,
        owner: Owner::current(),
    })
}

/// A node's main process that the runtime did not start (named with
/// `MAINPID=`), held by a pidfd: signalled through it, and its end seen
/// when it turns readable. It is not the application's child, so it cannot
/// be reaped or waited for here; its status is read once its parent has
/// reaped it ([`exit_status`](Self::exit_status)).
#[derive(Debug)]
pub(crate) struct MainPid {
    pid: Pid,
    pidfd: OwnedFd,
    /// The process that opened the pidfd, the only one that acts on it.
    owner: Owner,
}

impl MainPid {
    pub(crate) fn pid(&self) -> Pid {
        self.pid
    }

    pub(crate) fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }

    /// Not reaped yet: its pid names it and nobody else.
    pub(crate) fn is_unreaped(&self) -> bool {
        pidfd_is_unreaped(self.pidfd.as_fd())
    }

    /// Sends `signal` through the pidfd: `ESRCH` once it is reaped, `EPERM`
    /// from any process but the owner.
    pub(crate) fn signal(&self, signal: Signal) -> std::io::Result<()> {
        if !self.owner.is_current() {
            return Err(std::io::Error::from_raw_os_error(libc::EPERM));
        }
        Ok(pidfd_send_signal(&self.pidfd, signal.to_rustix())?)
    }

    /// How it ended, once its parent has reaped it (Linux 6.15); until
    /// then, and on older kernels, [`ExitStatus::Unknown`].
    pub(crate) fn exit_status(&self) -> ExitStatus {
        pidfd_exit_status(self.pidfd.as_fd())
            .map_or(ExitStatus::Unknown, ExitStatus::from_wait_status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(raw: u32) -> Pid {
        Pid::from_raw(raw as i32).unwrap()
    }

    fn claim(raw: &[u8]) -> Claim {
        Claim::parse(rustix::process::getpid(), raw)
    }

    fn naming(p: Pid) -> Claim {
        claim(p.as_raw_nonzero().to_string().as_bytes())
    }

    #[test]
    fn values_that_are_no_pid_are_malformed() {
        for value in [&b"abc"[..], b"0", b"-1", b"", b"12x", b"99999999999"] {
            assert_eq!(claim(value).claimed, None, "{value:?}");
        }
        assert_eq!(claim(b"42").claimed, Some(pid(42)));
    }

    /// A shell with a `sleep` child, as the runtime would start a node
    /// (leading a group of its own, or in the application's); and the
    /// sleep's pid.
    fn node_with_child(own_group: bool) -> (std::process::Child, Pid) {
        use std::os::unix::process::CommandExt;
        let mut shell = std::process::Command::new("sh");
        shell
            .args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(std::process::Stdio::piped());
        if own_group {
            shell.process_group(0);
        }
        let mut shell = shell.spawn().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(shell.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        (shell, pid(line.trim().parse().unwrap()))
    }

    #[test]
    fn only_the_nodes_own_processes_are_adopted() {
        let (mut shell, sleep) = node_with_child(true);
        let members = Members {
            started: pid(shell.id()),
            current: None,
            cgroup: None,
        };
        let me = rustix::process::getpid();
        let named = |p: Pid| adopt(naming(p), &members).map(|m| m.pid());
        assert_eq!(named(sleep), Ok(sleep));
        assert_eq!(named(me), Err(MainPidRefusal::NotTheNodes), "the application");
        assert_eq!(named(pid(1)), Err(MainPidRefusal::NotTheNodes), "pid 1");
        let mut stranger = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        assert_eq!(
            named(pid(stranger.id())),
            Err(MainPidRefusal::NotTheNodes),
            "a sibling"
        );
        stranger.kill().unwrap();
        stranger.wait().unwrap();
        assert_eq!(
            named(pid(stranger.id())),
            Err(MainPidRefusal::NoSuchProcess),
            "a reaped pid"
        );
        assert_eq!(
            adopt(claim(b"garbage"), &members).map(|m| m.pid()),
            Err(MainPidRefusal::Malformed)
        );

        // In the node's group, not its descendant any more: still its own.
        let adopted = adopt(naming(sleep), &members).unwrap();
        shell.kill().unwrap();
        shell.wait().unwrap();
        // The group's leader is reaped here (a test shortcut): its number
        // still names the group, which the sleep keeps alive.
        assert_eq!(named(sleep), Ok(sleep), "the group counts");
        assert_eq!(adopted.exit_status(), ExitStatus::Unknown, "still running");
        adopted.signal(Signal::KILL).unwrap();
    }

    #[test]
    fn an_orphan_outside_the_nodes_group_is_not_its_own() {
        let (mut shell, sleep) = node_with_child(false);
        let members = Members {
            started: pid(shell.id()),
            current: None,
            cgroup: None,
        };
        shell.kill().unwrap();
        shell.wait().unwrap();
        // Orphaned, and in the application's group: nothing ties it to the
        // node any more.
        assert_eq!(
            adopt(naming(sleep), &members).map(|m| m.pid()),
            Err(MainPidRefusal::NotTheNodes)
        );
        let _ = rustix::process::kill_process(sleep, rustix::process::Signal::KILL);
    }
}
