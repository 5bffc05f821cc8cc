//! `bench spawn-overhead`: where process-graph's time over the floor goes.
//!
//! The floor (bare `clone3` + `waitid`) is re-run with each thing a one-node
//! `Graph::spawn` + `wait` does beyond it added alone, then with all of them
//! together — a replica that should cost what the real thing costs, run
//! beside it. Where the bench may create cgroups (root, or a delegated
//! cgroup), as the runtime then does by default, the floor and the replica
//! are run again giving each child a graph cgroup and a node cgroup of its
//! own, as a one-node graph gets: `mkdir` of both, the child cloned into
//! the node's (`CLONE_INTO_CGROUP`), `rmdir` of both once it is reaped.

use std::error::Error;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::event::{PollFd, PollFlags, epoll, poll};
use rustix::fs::{AtFlags, Mode, OFlags, mkdirat, openat, unlinkat};
use rustix::process::{Pid, Signal, WaitIdOptions, kill_process_group};

use super::methods::OneNodeGraph;
use crate::exec_args::ExecArgs;
use crate::floor::{self, Child, ChildSetup};
use crate::measure::{self, Subject, exited_zero};
use crate::setup;

/// What the runtime does on top of the floor, one switch each.
#[derive(Clone, Copy)]
struct Extras {
    /// `CLONE_CLEAR_SIGHAND` in the clone flags.
    clear_sighand: bool,
    /// The child's system calls before `execve` ([`ChildSetup::LikeRuntime`]).
    child_setup: bool,
    /// Reaping as `Process::reap` does: peek with `WNOWAIT`, SIGKILL the
    /// process group, then `waitid`.
    group_kill: bool,
    /// How a `RunningGraph` waits: the exit seen by one `poll` on the
    /// pidfd (the wake-up eventfd is made only when the application asks for
    /// a `Waker`).
    poll: bool,
    /// How it waited before: an epoll instance created before the spawn, the
    /// pidfd added, the exit seen by `epoll_wait`, the pidfd removed. Kept
    /// as the reason for `poll`.
    epoll: bool,
    /// The exec arguments and environment rebuilt for every spawn, as
    /// `ExecSpec::new` does from `std::env::vars_os` (see `ExecArgs`).
    environment: bool,
    /// A graph cgroup and a node cgroup made for the child and removed
    /// after it (only where the bench may create cgroups).
    cgroups: bool,
}

const FLOOR: Extras = Extras {
    clear_sighand: false,
    child_setup: false,
    group_kill: false,
    epoll: false,
    poll: false,
    environment: false,
    cgroups: false,
};

const ALL: Extras = Extras {
    clear_sighand: true,
    child_setup: true,
    group_kill: true,
    epoll: false,
    poll: true,
    environment: true,
    cgroups: false,
};

const REPLICAS: [(&str, Extras); 8] = [
    ("raw clone3 + waitid (floor)", FLOOR),
    (
        "+ CLONE_CLEAR_SIGHAND",
        Extras {
            clear_sighand: true,
            ..FLOOR
        },
    ),
    (
        "+ child set-up (setsid, PDEATHSIG, getppid, 62 sigactions, sigmask, close_range)",
        Extras {
            child_setup: true,
            ..FLOOR
        },
    ),
    (
        "+ reap with WNOWAIT peek, kill(-pgid), waitid",
        Extras {
            group_kill: true,
            ..FLOOR
        },
    ),
    (
        "+ exit seen by poll on the pidfd",
        Extras {
            poll: true,
            ..FLOOR
        },
    ),
    (
        "+ exit seen by epoll_wait (an epoll per graph, as before)",
        Extras {
            epoll: true,
            ..FLOOR
        },
    ),
    (
        "+ exec arguments and environment rebuilt per spawn",
        Extras {
            environment: true,
            ..FLOOR
        },
    ),
    ("all of the above but epoll (a replica of the runtime)", ALL),
];

/// Run where the bench may create cgroups: the floor and the replica with a
/// graph's cgroups, as the runtime makes them there by default.
const WITH_CGROUPS: [(&str, Extras); 2] = [
    (
        "floor + mkdir graph and node cgroups, CLONE_INTO_CGROUP, rmdir both",
        Extras {
            cgroups: true,
            ..FLOOR
        },
    ),
    (
        "the replica + the same cgroups",
        Extras {
            cgroups: true,
            ..ALL
        },
    ),
];

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &[], super::SPAWN)?;
    let mut subjects: Vec<Box<dyn Subject>> =
        vec![Box::new(OneNodeGraph(setup.child.path().to_owned()))];
    let cgroup_parent = writable_cgroup();
    let with_cgroups = match &cgroup_parent {
        Ok(_) => &WITH_CGROUPS[..],
        Err(reason) => {
            println!("(no rows with cgroups: {reason})\n");
            &[]
        }
    };
    for &(label, extras) in REPLICAS.iter().chain(with_cgroups) {
        subjects.push(Box::new(Replica {
            label,
            extras,
            exec: ExecArgs::new(setup.child.path())?,
            cgroup_parent: cgroup_parent
                .as_ref()
                .ok()
                .map(|fd| fd.try_clone())
                .transpose()?,
        }));
    }
    measure::run_one_column(&setup.plan, &mut subjects, "no extra parent memory")?;
    Ok(())
}

/// The bench's own cgroup directory, open, if it may create cgroups in it.
fn writable_cgroup() -> Result<OwnedFd, String> {
    let dir = crate::cgroups::own_cgroup_dir().map_err(|e| e.to_string())?;
    let dir = rustix::fs::open(
        &dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("open {}: {e}", dir.display()))?;
    let probe = format!("bench-probe-{}", std::process::id());
    mkdirat(&dir, probe.as_str(), Mode::from_raw_mode(0o755))
        .map_err(|e| format!("may not create cgroups: {e}"))?;
    let _ = unlinkat(&dir, probe.as_str(), AtFlags::REMOVEDIR);
    Ok(dir)
}

/// The floor with some of the runtime's extras.
struct Replica {
    label: &'static str,
    extras: Extras,
    exec: ExecArgs,
    /// Where the graph cgroups are made (`extras.cgroups`).
    cgroup_parent: Option<OwnedFd>,
}

/// A graph's cgroup and its one node's, made as the runtime makes them.
struct GraphCgroups<'a> {
    parent: &'a OwnedFd,
    graph: OwnedFd,
    node: OwnedFd,
}

impl<'a> GraphCgroups<'a> {
    const GRAPH: &'static str = "bench-overhead-graph";

    fn create(parent: &'a OwnedFd) -> io::Result<GraphCgroups<'a>> {
        let dir = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        mkdirat(parent, Self::GRAPH, Mode::from_raw_mode(0o755))?;
        let graph = openat(parent, Self::GRAPH, dir, Mode::empty())?;
        mkdirat(&graph, "0.child", Mode::from_raw_mode(0o755))?;
        let node = openat(&graph, "0.child", dir, Mode::empty())?;
        Ok(GraphCgroups {
            parent,
            graph,
            node,
        })
    }

    fn remove(self) -> io::Result<()> {
        drop(self.node);
        unlinkat(&self.graph, "0.child", AtFlags::REMOVEDIR)?;
        unlinkat(self.parent, Self::GRAPH, AtFlags::REMOVEDIR)?;
        Ok(())
    }
}

impl Subject for Replica {
    fn label(&self) -> &str {
        self.label
    }

    fn is_floor(&self) -> bool {
        !(self.extras.clear_sighand
            || self.extras.child_setup
            || self.extras.group_kill
            || self.extras.epoll
            || self.extras.poll
            || self.extras.environment
            || self.extras.cgroups)
    }

    fn run_once(&mut self) -> io::Result<()> {
        let extras = self.extras;
        let rebuilt;
        let exec = if extras.environment {
            rebuilt = ExecArgs::new(self.exec.program())?;
            &rebuilt
        } else {
            &self.exec
        };
        let poller = extras.epoll.then(Poller::new).transpose()?;
        let flags = if extras.clear_sighand {
            floor::CLONE_CLEAR_SIGHAND
        } else {
            0
        };
        let setup = if extras.child_setup {
            ChildSetup::LikeRuntime
        } else {
            ChildSetup::None
        };
        let cgroups = match (&self.cgroup_parent, extras.cgroups) {
            (Some(parent), true) => Some(GraphCgroups::create(parent)?),
            _ => None,
        };
        let child = floor::spawn_in(exec, flags, setup, cgroups.as_ref().map(|c| c.node.as_fd()))?;
        if let Some(poller) = poller {
            poller.wait_for_exit(&child)?;
        }
        if extras.poll {
            let mut fds = [PollFd::new(&child.pidfd, PollFlags::IN)];
            poll(&mut fds, None)?;
        }
        if extras.group_kill {
            floor::wait(&child, WaitIdOptions::NOWAIT)?;
            let pid = Pid::from_raw(child.pid).expect("a child's pid is positive");
            // ESRCH unless the child made its own group: the cost is the call.
            let _ = kill_process_group(pid, Signal::KILL);
        }
        let status = floor::wait(&child, WaitIdOptions::empty())?;
        if let Some(cgroups) = cgroups {
            cgroups.remove()?;
        }
        exited_zero(status.exit_status() == Some(0), format_args!("{status:?}"))
    }
}

/// What a `RunningGraph`'s poller costs: an epoll instance.
struct Poller {
    epoll: std::os::fd::OwnedFd,
}

impl Poller {
    fn new() -> io::Result<Poller> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        Ok(Poller { epoll })
    }

    /// Adds the child's pidfd, waits until epoll reports it readable, and
    /// takes the pidfd out again.
    fn wait_for_exit(&self, child: &Child) -> io::Result<()> {
        epoll::add(
            &self.epoll,
            &child.pidfd,
            epoll::EventData::new_u64(0),
            epoll::EventFlags::IN,
        )?;
        let mut events = Vec::with_capacity(16);
        epoll::wait(
            &self.epoll,
            rustix::buffer::spare_capacity(&mut events),
            None,
        )?;
        epoll::delete(&self.epoll, &child.pidfd)?;
        Ok(())
    }
}
