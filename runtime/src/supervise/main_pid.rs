//! `MAINPID=`: a node that forks its real server names it, and from then on
//! the runtime follows that process as the node's main process (systemd's
//! `Type=notify` with `MAINPID=`).
//!
//! Which pid a node may name — one of its own, never anyone else's:
//!
//! - with a cgroup of its own, a process in the cgroup its processes run in
//!   or in a cgroup below it (`/proc/PID/cgroup`), as systemd checks — a
//!   server the node moved into a child cgroup of its own included;
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
//! The application, pid 1, another node's processes, a process of another
//! graph or of nobody's: none of them is any of these — unless moved into
//! the node's cgroup, which a node that may write `cgroup.procs` (root, or
//! in a delegated subtree) can do with any process it could signal anyway.
//! So whatever the checks say, never the application, pid 1, a child of the
//! application but the node's started process (another node's started
//! process, in this graph or another, the runtime's helpers) or one of the
//! node's probe commands (which run in its cgroup and scope).
//!
//! The pid in the message is in the sender's pid namespace. When that is
//! not the application's (a node in a pid scope), it is looked up in the
//! `NSpid` line of every process, at the sender's depth: every pid
//! namespace at that depth has a process of that number (each scope has its
//! pid 1, its init, which holds the scope and is never the node's), and
//! only the node's own can pass the checks above.
//!
//! The race with pid reuse: the pidfd of the named pid is opened first, the
//! checks read `/proc` after that, and at the end the pidfd must still hold
//! an unreaped process, the main process named before too (its descendants
//! were looked up by its pid) — then each pid named the same process all
//! along, since a pid names one process until it is reaped. The started
//! process is the driver's child, not reaped while a claim is judged. What
//! is left: the walk up from the named process reads its ancestors by pid,
//! and an ancestor that is not the node's could die, be reaped and have its
//! pid taken by a process of the node's within that walk — a window of
//! microseconds that the node cannot open at will, since it controls
//! neither that ancestor's death nor who gets which pid.
//!
//! The sender must be believed first (the node's notify access, see
//! `notify_socket`): a claim is only ever made by the node itself.

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use rustix::process::{Pid, PidfdFlags, pidfd_open, pidfd_send_signal};

use super::lineage;
use crate::exit::ExitStatus;
use crate::owner::Owner;
use crate::signal::Signal;
use crate::sys::{pidfd_exit_status, pidfd_is_unreaped};

/// A `MAINPID=` line from a believed sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    /// The pid it names, in the sender's pid namespace; `None` when the
    /// value is no pid at all.
    pub(crate) claimed: Option<Pid>,
    /// The sender's pid namespace, read as the message is received (`None`
    /// if the sender was gone already): judged later, after the rest of
    /// the read turn, the sender may have exited by then — `systemd-notify`
    /// does as soon as the next datagram (its barrier) is read.
    sender: Option<Namespace>,
}

impl Claim {
    /// Parses the value of `MAINPID=` (a positive decimal number) sent by
    /// `sender` (a pid of the application's namespace), which must still
    /// be unreaped.
    pub(crate) fn parse(sender: Pid, value: &[u8]) -> Claim {
        let claimed = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|&pid| pid > 0)
            .and_then(Pid::from_raw);
        Claim {
            claimed,
            sender: Namespace::of(sender),
        }
    }

    /// Whether judging it reads every process's `NSpid`: a pid of a deeper
    /// pid namespace than the application's (see [`Namespace::meanings`]).
    pub(crate) fn reads_every_process(&self) -> bool {
        self.claimed.is_some() && matches!(self.sender, Some(Namespace::Deeper(_)))
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
    /// No live process has that pid (in the sender's pid namespace), or the
    /// one that had it ended while the claim was judged.
    NoSuchProcess,
    /// The process exists but is not the node's: not in its cgroup (or
    /// below it), or — without one — neither a descendant of its main
    /// process nor in its process group; or it is the runtime's (the
    /// application, another node's started process, a probe command).
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
pub(crate) struct Members<'a> {
    /// The process the runtime started: the driver's child, which it does
    /// not reap while a claim is judged, so its pid (and process-group id)
    /// names it throughout.
    pub(crate) started: Pid,
    /// The main process named before, if any.
    pub(crate) current: Option<&'a MainPid>,
    /// The node's probe commands in flight: the runtime's processes,
    /// which run in the node's cgroup and scope.
    pub(crate) probes: Vec<Pid>,
    /// Whether a pid is another node's started or named main process.
    pub(crate) others: &'a dyn Fn(Pid) -> bool,
    /// The path of the cgroup the node's processes run in, if it has one
    /// (as `/proc/PID/cgroup` names it).
    pub(crate) cgroup: Option<PathBuf>,
}

impl Members<'_> {
    /// Whether `pid` (of the application's namespace) is one of the node's,
    /// as `/proc` and the cgroup say now.
    fn contain(&self, pid: Pid) -> bool {
        if let Some(cgroup) = &self.cgroup {
            return crate::cgroup::in_cgroup(pid, cgroup);
        }
        let started = self.started.as_raw_nonzero().get();
        lineage::descends_from(pid, self.started)
            || self
                .current
                .is_some_and(|c| lineage::descends_from(pid, c.pid()))
            || lineage::process_group_of(pid) == Some(started)
    }

    /// Whether `pid` is the runtime's, in the node's cgroup or not: one of
    /// the node's probe commands or what they forked, another node's main
    /// process, or a child of the application but the node's started
    /// process (another graph's nodes, the runtime's helpers, scope inits).
    /// A node that may write `cgroup.procs` could move any of them into its
    /// cgroup; none can stop being our child. Unless orphans come to us (the
    /// application is pid 1 or a child subreaper): then a node's daemonized
    /// server is our child too, and only the lists say.
    fn are_the_runtimes(&self, pid: Pid) -> bool {
        let application = rustix::process::getpid();
        let orphans_come_to_us =
            application.is_init() || rustix::process::child_subreaper().is_ok_and(|s| s.is_some());
        let ours = !orphans_come_to_us
            && lineage::parent_of(pid.as_raw_nonzero().get())
                == Some(application.as_raw_nonzero().get());
        (ours && pid != self.started)
            || (self.others)(pid)
            || self
                .probes
                .iter()
                .any(|&probe| lineage::descends_from(pid, probe))
    }

    /// Whether the answers of [`contain`](Self::contain) were about the
    /// node: the main process named before is still unreaped, so no
    /// stranger had its pid while its descendants were looked up.
    fn still_pinned(&self) -> bool {
        self.current.is_none_or(|c| c.is_unreaped())
    }
}

/// The `NSpid` line of `/proc/PID/status`: the pid in each namespace from
/// the application's down to the process's own. Empty once it is reaped.
fn namespace_pids(pid: Pid) -> Vec<i32> {
    crate::kernel_file::proc_status_line(pid.as_raw_nonzero().get(), "NSpid")
        .map(|line| {
            line.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// How a pid of the sender's namespace reads in the application's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Namespace {
    /// The sender shares the application's pid namespace.
    Ours,
    /// The sender is this many levels deep (the application's is level 1):
    /// a pid means the process whose `NSpid` has it at that level.
    Deeper(usize),
}

impl Namespace {
    fn of(sender: Pid) -> Option<Namespace> {
        let depth = namespace_pids(sender).len();
        match depth {
            0 => None,
            _ if depth == namespace_pids(rustix::process::getpid()).len() => Some(Namespace::Ours),
            _ => Some(Namespace::Deeper(depth)),
        }
    }

    /// Whether `pid`, of the application's namespace, is `claimed` at the
    /// sender's level.
    fn reads(self, pid: Pid, claimed: Pid) -> bool {
        match self {
            Namespace::Ours => pid == claimed,
            Namespace::Deeper(depth) => {
                namespace_pids(pid).get(depth - 1) == Some(&claimed.as_raw_nonzero().get())
            }
        }
    }

    /// The pids of the application's namespace that `claimed` may mean:
    /// itself; or, from a deeper namespace, every process with that pid at
    /// the sender's level — one per pid namespace at that level (every
    /// scope has its own pid 2), of which only the node's can pass
    /// [`Members::contain`].
    fn meanings(self, claimed: Pid) -> Vec<Pid> {
        match self {
            Namespace::Ours => vec![claimed],
            Namespace::Deeper(_) => crate::kernel_file::every_process()
                .into_iter()
                .filter(|&c| self.reads(c, claimed))
                .collect(),
        }
    }
}

/// Checks `claim` against the node described by `members`; on success, the
/// named process, held by its pidfd.
pub(crate) fn adopt(claim: Claim, members: &Members<'_>) -> Result<MainPid, MainPidRefusal> {
    let claimed = claim.claimed.ok_or(MainPidRefusal::Malformed)?;
    let namespace = claim.sender.ok_or(MainPidRefusal::NoSuchProcess)?;
    let mut refusal = MainPidRefusal::NoSuchProcess;
    for pid in namespace.meanings(claimed) {
        match adopt_one(pid, claimed, namespace, members) {
            Ok(named) => return Ok(named),
            Err(MainPidRefusal::NotTheNodes) => refusal = MainPidRefusal::NotTheNodes,
            Err(_) => {}
        }
    }
    Err(refusal)
}

/// Checks `pid`, of the application's namespace, which the sender may mean
/// by `claimed`.
fn adopt_one(
    pid: Pid,
    claimed: Pid,
    namespace: Namespace,
    members: &Members<'_>,
) -> Result<MainPid, MainPidRefusal> {
    // Never the application or the init of its namespace, whatever the
    // checks below would say (a root node could move either into its
    // cgroup; neither can be a descendant or join a node's group).
    if pid == rustix::process::getpid() || pid.is_init() {
        return Err(MainPidRefusal::NotTheNodes);
    }
    // The pidfd first: every check below reads `/proc` by pid, and is about
    // the process this pidfd holds only if that one is still unreaped after
    // them — a pid names one process until it is reaped.
    let pidfd = pidfd_open(pid, PidfdFlags::empty()).map_err(|_| MainPidRefusal::NoSuchProcess)?;
    if members.are_the_runtimes(pid) || !members.contain(pid) {
        return Err(MainPidRefusal::NotTheNodes);
    }
    let still_named = namespace.reads(pid, claimed);
    if !(still_named && pidfd_is_unreaped(pidfd.as_fd()) && members.still_pinned()) {
        return Err(MainPidRefusal::NoSuchProcess);
    }
    Ok(MainPid {
        pid,
        // Held as long as the node names it: above the fds spawns copy.
        pidfd: crate::sys::held_high(pidfd),
        owner: Owner::current(),
        ended: None,
    })
}

/// A node's main process that the runtime did not start (named with
/// `MAINPID=`), held by a pidfd: signalled through it, and its end seen
/// when it turns readable. It is not the application's child, so it cannot
/// be reaped or waited for here; its status is read from the kernel
/// ([`exit_status`](Self::exit_status)).
#[derive(Debug)]
pub(crate) struct MainPid {
    pid: Pid,
    pidfd: OwnedFd,
    /// The process that opened the pidfd, the only one that acts on it.
    owner: Owner,
    /// How it ended, read as its end was seen ([`ended`](Self::ended)).
    ended: Option<ExitStatus>,
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

    /// Its end was seen (the pidfd turned readable): notes how it ended
    /// now, while it is most likely still a zombie whose status `/proc`
    /// shows — its parent (often pid 1) may take a while to reap it.
    pub(crate) fn ended(&mut self) {
        self.ended = Some(self.read_exit_status());
    }

    /// How it ended: as noted when its end was seen, or — if that was not
    /// known then — as the kernel tells now.
    pub(crate) fn exit_status(&self) -> ExitStatus {
        match self.ended {
            Some(status) if status != ExitStatus::Unknown => status,
            _ => self.read_exit_status(),
        }
    }

    /// Once it has ended: its wait status as the kernel recorded it when its
    /// parent reaped it (`PIDFD_GET_INFO`, Linux 6.15), or as `/proc` shows
    /// it while it is a zombie (see `lineage::zombie_exit_code`) — believed
    /// only if the pidfd still holds an unreaped process after the read, so
    /// the pid was its. [`ExitStatus::Unknown`] when neither can tell.
    fn read_exit_status(&self) -> ExitStatus {
        let recorded = || pidfd_exit_status(self.pidfd.as_fd());
        let raw = recorded().or_else(|| {
            let zombie = lineage::zombie_exit_code(self.pid).filter(|_| self.is_unreaped());
            // Reaped between the two reads: the kernel's record has it now.
            zombie.or_else(recorded)
        });
        raw.map_or(ExitStatus::Unknown, ExitStatus::from_wait_status)
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
            probes: Vec::new(),
            others: &|_| false,
            cgroup: None,
        };
        let me = rustix::process::getpid();
        let named = |p: Pid| adopt(naming(p), &members).map(|m| m.pid());
        assert_eq!(named(sleep), Ok(sleep));
        assert_eq!(
            named(me),
            Err(MainPidRefusal::NotTheNodes),
            "the application"
        );
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
        // Not our child (pid 1's now): its status comes from the kernel,
        // as a zombie or once reaped.
        let mut poll = [rustix::event::PollFd::new(
            &adopted.pidfd,
            rustix::event::PollFlags::IN,
        )];
        rustix::event::poll(&mut poll, None).unwrap();
        assert_eq!(adopted.exit_status(), ExitStatus::Signaled(Signal::KILL));
    }

    #[test]
    fn a_claim_is_judged_only_while_the_main_process_named_before_is_unreaped() {
        let (mut shell, sleep) = node_with_child(true);
        let (mut other, other_sleep) = node_with_child(true);
        let current = adopt(
            naming(sleep),
            &Members {
                started: pid(shell.id()),
                current: None,
                probes: Vec::new(),
                others: &|_| false,
                cgroup: None,
            },
        )
        .unwrap();
        current.signal(Signal::KILL).unwrap();
        // Reaped by the shell's `wait`: its pid may name anyone now.
        shell.wait().unwrap();
        let members = Members {
            started: pid(other.id()),
            current: Some(&current),
            probes: Vec::new(),
            others: &|_| false,
            cgroup: None,
        };
        assert!(!members.still_pinned());
        assert_eq!(
            adopt(naming(other_sleep), &members).map(|m| m.pid()),
            Err(MainPidRefusal::NoSuchProcess)
        );
        other.kill().unwrap();
        other.wait().unwrap();
        let _ = rustix::process::kill_process(other_sleep, rustix::process::Signal::KILL);
    }

    #[test]
    fn an_orphan_outside_the_nodes_group_is_not_its_own() {
        let (mut shell, sleep) = node_with_child(false);
        let members = Members {
            started: pid(shell.id()),
            current: None,
            probes: Vec::new(),
            others: &|_| false,
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
