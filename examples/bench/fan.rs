//! `bench fan`: N independent nodes, spawned all and then reaped all,
//! through process-graph and through a raw loop: `clone3(CLONE_VM |
//! CLONE_VFORK | CLONE_PIDFD)` for each, then one epoll over every pidfd
//! and `waitid(P_PIDFD)` as each turns readable; the same loop with the
//! system calls process-graph's child makes before `execve` (the signal
//! dispositions reset, a process group, the parent-death signal: its
//! guarantees), which shows how much of our time over the floor is the
//! child's own; and where the bench may create cgroups, the raw loop with a
//! cgroup per child, as process-graph runs by default there.
//!
//! With `--scopes shared,own`, also every node in one user + pid scope, and
//! each node in a user + pid scope of its own, beside the raw loop whose
//! `clone3` creates a user and a pid namespace for each child (nothing set
//! up in them): how scoped nodes scale, not what a scope costs (`bench
//! scopes` measures that). With `--scopes ids`, every node outside scopes
//! changes its uid (to the bench's own), which starts it through the
//! carried program too, at most 16 starts under way at once.

use std::error::Error;
use std::io;
use std::os::fd::AsFd;
use std::path::PathBuf;

use process_graph_runtime::{Command, Containment, Graph, Namespace, NodeOptions, ScopeSpec};
use rustix::event::epoll;
use rustix::fs::{Mode, OFlags};
use rustix::process::WaitIdOptions;

use crate::cgroups::ScratchCgroup;
use crate::child_elf::Behaviour;
use crate::exec_args::ExecArgs;
use crate::floor::{self, ChildSetup};
use crate::measure::{self, Subject, exited_zero, spawn_and_wait};
use crate::setup::{self, Subcommand};

const FAN: Subcommand = Subcommand {
    operation: "fan of N independent nodes, spawn all then reap all",
    child: Behaviour::Exit0,
    rounds: 5,
    iterations: 10,
    budget: Some(std::time::Duration::from_secs(10)),
};

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["nodes", "scopes"], FAN)?;
    let sizes: Vec<usize> = setup.flags.list("nodes", &[1000])?;
    let layouts = setup
        .flags
        .list::<String>("scopes", &[])?
        .iter()
        .map(|name| Scopes::named(name))
        .collect::<Result<Vec<_>, _>>()?;
    let path = setup.child.path();
    let cgroups = crate::cgroups::own_cgroup_dir()
        .ok()
        .and_then(|dir| ScratchCgroup::create(&dir, "fan").ok());
    if cgroups.is_none() {
        eprintln!("no cgroups here: the raw loop with a cgroup per child is left out");
    }
    measure::by_size(
        &setup.plan,
        &sizes,
        |n| {
            Ok([
                Box::new(GraphFan {
                    child: path.to_owned(),
                    nodes: n,
                    containment: Containment::Auto,
                    scopes: Scopes::None,
                }) as Box<dyn Subject>,
                Box::new(GraphFan {
                    child: path.to_owned(),
                    nodes: n,
                    containment: Containment::Off,
                    scopes: Scopes::None,
                }),
                Box::new(Clone3Fan {
                    exec: ExecArgs::new(path)?,
                    nodes: n,
                    like_runtime: false,
                    cgroups: None,
                    namespaces: false,
                }),
                Box::new(Clone3Fan {
                    exec: ExecArgs::new(path)?,
                    nodes: n,
                    like_runtime: true,
                    cgroups: None,
                    namespaces: false,
                }),
            ]
            .into_iter()
            .chain(cgroups.as_ref().map(|graph| {
                Box::new(Clone3Fan {
                    exec: ExecArgs::new(path).expect("checked by the floor"),
                    nodes: n,
                    like_runtime: false,
                    cgroups: Some(graph.path.clone()),
                    namespaces: false,
                }) as Box<dyn Subject>
            }))
            .chain(layouts.iter().map(|&scopes| {
                Box::new(GraphFan {
                    child: path.to_owned(),
                    nodes: n,
                    containment: Containment::Auto,
                    scopes,
                }) as Box<dyn Subject>
            }))
            .chain((!layouts.is_empty()).then(|| {
                Box::new(Clone3Fan {
                    exec: ExecArgs::new(path).expect("checked by the floor"),
                    nodes: n,
                    like_runtime: false,
                    cgroups: None,
                    namespaces: true,
                }) as Box<dyn Subject>
            }))
            .collect())
        },
        |n| format!("{n} nodes"),
    )?;
    Ok(())
}

/// Where the nodes of a process-graph fan run.
#[derive(Clone, Copy)]
enum Scopes {
    /// In the application's namespaces.
    None,
    /// All in one user + pid scope.
    Shared,
    /// Each in a user + pid scope of its own.
    Own,
    /// In the application's namespaces, each changing its uid to the
    /// bench's own: started through the carried program.
    Ids,
}

impl Scopes {
    /// `--scopes shared,own,ids`.
    fn named(name: &str) -> Result<Scopes, String> {
        match name {
            "shared" => Ok(Scopes::Shared),
            "own" => Ok(Scopes::Own),
            "ids" => Ok(Scopes::Ids),
            _ => Err(format!("--scopes: {name:?} is none of shared, own, ids")),
        }
    }

    fn spec() -> ScopeSpec {
        ScopeSpec::new([Namespace::User, Namespace::Pid])
    }
}

/// process-graph: N nodes, no edges, spawned and waited; each node in a
/// cgroup of its own (the default where the application may create them),
/// or with containment off; in the application's namespaces or in user +
/// pid scopes.
struct GraphFan {
    child: PathBuf,
    nodes: usize,
    containment: Containment,
    scopes: Scopes,
}

impl Subject for GraphFan {
    fn label(&self) -> &str {
        match self.scopes {
            Scopes::None => measure::graph_label(self.containment),
            Scopes::Shared => "process-graph, all in one user + pid scope",
            Scopes::Own => "process-graph, a user + pid scope each",
            Scopes::Ids => "process-graph, each under other ids (its own uid)",
        }
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut graph = Graph::new();
        graph.containment(self.containment);
        let shared =
            matches!(self.scopes, Scopes::Shared).then(|| graph.scope("all", Scopes::spec()));
        for i in 0..self.nodes {
            let scope = match self.scopes {
                Scopes::None | Scopes::Ids => None,
                Scopes::Shared => shared,
                Scopes::Own => Some(graph.scope(format!("own{i}"), Scopes::spec())),
            };
            let options = match scope {
                Some(scope) => NodeOptions::new().scope(scope),
                None => NodeOptions::new(),
            };
            let mut command = Command::new(&self.child);
            if let Scopes::Ids = self.scopes {
                command = command.uid(rustix::process::geteuid().as_raw());
            }
            graph.node_with(format!("node{i}"), command, options);
        }
        spawn_and_wait(graph)
    }
}

/// The floor: clone3 each, then an epoll over every pidfd, reaping each as
/// it turns readable. With `cgroups`, each child first gets a cgroup of its
/// own in that directory (`mkdir`, an `open` of it for `CLONE_INTO_CGROUP`,
/// closed once the child is cloned), all removed once every child is
/// reaped. With `like_runtime` (not a floor), each child makes the system
/// calls process-graph's child makes before `execve`, cloned with
/// `CLONE_CLEAR_SIGHAND` as the runtime does. With `namespaces`, each
/// child's `clone3` creates a user and a pid namespace.
struct Clone3Fan {
    exec: ExecArgs,
    nodes: usize,
    like_runtime: bool,
    cgroups: Option<PathBuf>,
    namespaces: bool,
}

impl Subject for Clone3Fan {
    fn label(&self) -> &str {
        match (&self.cgroups, self.like_runtime) {
            _ if self.namespaces => "the same, CLONE_NEWUSER + CLONE_NEWPID each",
            (None, false) => "raw clone3 (VM, VFORK, PIDFD) + epoll + waitid",
            (None, true) => "the same + our child set-up",
            (Some(_), _) => "the same, a cgroup per child",
        }
    }

    fn is_floor(&self) -> bool {
        self.cgroups.is_none() && !self.like_runtime && !self.namespaces
    }

    fn run_once(&mut self) -> io::Result<()> {
        let dirs: Vec<PathBuf> = match &self.cgroups {
            Some(parent) => (0..self.nodes)
                .map(|k| parent.join(format!("child-{k}")))
                .collect(),
            None => Vec::new(),
        };
        let mut children = Vec::with_capacity(self.nodes);
        for k in 0..self.nodes {
            let cgroup = match dirs.get(k) {
                Some(dir) => {
                    std::fs::create_dir(dir)?;
                    Some(rustix::fs::open(
                        dir,
                        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                        Mode::empty(),
                    )?)
                }
                None => None,
            };
            let cgroup = cgroup.as_ref().map(AsFd::as_fd);
            let (mut flags, setup) = match self.like_runtime {
                true => (floor::CLONE_CLEAR_SIGHAND, ChildSetup::LikeRuntime),
                false => (0, ChildSetup::None),
            };
            if self.namespaces {
                flags |= Namespace::User.clone_flag() | Namespace::Pid.clone_flag();
            }
            children.push(floor::spawn_in(&self.exec, flags, setup, cgroup)?);
        }
        let instance = floor::epoll_of(&children)?;
        let mut left = children.len();
        let mut events = Vec::with_capacity(64);
        while left > 0 {
            events.clear();
            epoll::wait(&instance, rustix::buffer::spare_capacity(&mut events), None)?;
            for event in &events {
                let child = &children[event.data.u64() as usize];
                epoll::delete(&instance, child.pidfd.as_fd())?;
                let status = floor::wait(child, WaitIdOptions::empty())?;
                exited_zero(status.exit_status() == Some(0), format_args!("{status:?}"))?;
                left -= 1;
            }
        }
        dirs.iter().try_for_each(std::fs::remove_dir)
    }
}
