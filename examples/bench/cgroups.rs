//! `bench cgroups`: what containment in cgroups costs.
//!
//! - (a) one node, spawned and reaped, in a cgroup that exists: the node of
//!   a live graph that exits at once and is restarted at once (restart =
//!   always, no backoff), next to the raw floor with the same flag —
//!   `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_INTO_CGROUP)` +
//!   `execve` + `waitid` —, that floor with the system calls the runtime's
//!   child makes before `execve`, and both without cgroups;
//! - (b) a graph's cgroups: a graph of N nodes (`--nodes`, default 1 and
//!   100) spawned and waited with cgroups (`Containment::Auto`) and without
//!   (`Containment::Off`): the difference is creating the graph's and every
//!   node's cgroup, the watcher, and removing them all; beside it, the raw
//!   `mkdir` + `rmdir` of as many cgroups.
//!
//! Needs a cgroup v2 hierarchy where this process may create cgroups (root,
//! or a delegated cgroup).

use std::error::Error;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use process_graph_runtime::{Command, Containment, Graph};
use rustix::fs::{Mode, OFlags};
use rustix::process::WaitIdOptions;

use crate::child_elf::Behaviour;
use crate::exec_args::ExecArgs;
use crate::floor::{self, ChildSetup};
use crate::measure::{self, Subject, exited_zero, spawn_and_wait};
use crate::setup::{self, Subcommand};

const CGROUPS: Subcommand = Subcommand {
    operation: "spawn + reap, in cgroups,",
    child: Behaviour::Exit0,
    rounds: 7,
    iterations: 300,
    budget: Some(Duration::from_secs(4)),
};

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["nodes"], CGROUPS)?;
    let sizes: Vec<usize> = setup.flags.list("nodes", &[1, 100])?;
    let parent = own_cgroup_dir()?;
    let child = setup.child.path();
    println!("cgroups created in {}\n", parent.display());

    let floor_cgroup = ScratchCgroup::create(&parent, "floor")?;
    let mut one_node: Vec<Box<dyn Subject>> = vec![
        Box::new(RawClone {
            label: "raw clone3 + exec + waitid".into(),
            exec: ExecArgs::new(child)?,
            setup: ChildSetup::None,
            cgroup: None,
        }),
        Box::new(RawClone {
            label: "raw clone3 + CLONE_INTO_CGROUP + exec + waitid".into(),
            exec: ExecArgs::new(child)?,
            setup: ChildSetup::None,
            cgroup: Some(floor_cgroup.dir.try_clone()?),
        }),
        Box::new(RawClone {
            label: "the same + the runtime's child set-up".into(),
            exec: ExecArgs::new(child)?,
            setup: ChildSetup::LikeRuntime,
            cgroup: Some(floor_cgroup.dir.try_clone()?),
        }),
        Box::new(restarted(child, Containment::Off)),
        Box::new(restarted(child, Containment::Required)),
    ];
    println!("(a) one node in a cgroup that exists\n");
    measure::run_one_column(&setup.plan, &mut one_node, "spawn + reap")?;

    for nodes in sizes {
        let mut graphs: Vec<Box<dyn Subject>> = vec![
            Box::new(WholeGraph {
                label: format!("{nodes}-node graph, Containment::Off: spawn + wait"),
                child: child.to_owned(),
                nodes,
                containment: Containment::Off,
            }),
            Box::new(WholeGraph {
                label: format!("{nodes}-node graph, Containment::Required: spawn + wait"),
                child: child.to_owned(),
                nodes,
                containment: Containment::Required,
            }),
            Box::new(RawMkdirs {
                label: format!("raw mkdir + rmdir of {} cgroups", nodes + 1),
                parent: parent.clone(),
                count: nodes + 1,
            }),
        ];
        println!("\n(b) the cgroups of a {nodes}-node graph (× and ± the graph without cgroups)\n");
        measure::run_one_column(&setup.plan, &mut graphs, "per graph")?;
    }
    Ok(())
}

/// The directory of this process's cgroup in the v2 hierarchy.
pub fn own_cgroup_dir() -> Result<PathBuf, Box<dyn Error>> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    let mount = mountinfo
        .lines()
        .find(|line| line.contains(" - cgroup2 "))
        .and_then(|line| line.split(' ').nth(4))
        .ok_or("no cgroup2 hierarchy is mounted")?;
    let own = std::fs::read_to_string("/proc/self/cgroup")?;
    let path = own
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .ok_or("this process is in no cgroup v2")?;
    Ok(Path::new(mount).join(path.trim_start_matches('/')))
}

/// A cgroup of the bench's own, removed on drop.
pub struct ScratchCgroup {
    pub path: PathBuf,
    pub dir: OwnedFd,
}

impl ScratchCgroup {
    pub fn create(parent: &Path, name: &str) -> io::Result<ScratchCgroup> {
        let path = parent.join(format!("bench-{name}-{}", std::process::id()));
        std::fs::create_dir(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("create {}: {e}", path.display())))?;
        let dir = rustix::fs::open(
            &path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(ScratchCgroup { path, dir })
    }
}

impl Drop for ScratchCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// The floor, with `CLONE_INTO_CGROUP` into `cgroup` if given.
struct RawClone {
    label: String,
    exec: ExecArgs,
    setup: ChildSetup<'static>,
    cgroup: Option<OwnedFd>,
}

impl Subject for RawClone {
    fn label(&self) -> &str {
        &self.label
    }

    fn is_floor(&self) -> bool {
        // The floor the runtime is held against uses the same flag.
        self.cgroup.is_some() && matches!(self.setup, ChildSetup::None)
    }

    fn run_once(&mut self) -> io::Result<()> {
        let cgroup = self.cgroup.as_ref().map(AsFd::as_fd);
        let child = floor::spawn_in(&self.exec, 0, self.setup, cgroup)?;
        let status = floor::wait(&child, WaitIdOptions::empty())?;
        exited_zero(status.exit_status() == Some(0), format_args!("{status:?}"))
    }
}

/// process-graph: one node of a live graph restarted (see
/// [`measure::Restarting`]); with cgroups each operation also looks at the
/// node's cgroup to learn that it is empty.
fn restarted(child: &Path, containment: Containment) -> measure::Restarting {
    let child = child.to_owned();
    measure::Restarting::new(
        format!("process-graph restart, Containment::{containment:?}"),
        move |options| {
            let mut graph = Graph::new();
            let node = graph.node_with("child", Command::new(&child), options);
            graph.containment(containment);
            (graph, node)
        },
    )
}

/// A graph of `nodes` trivial nodes, spawned and waited.
struct WholeGraph {
    label: String,
    child: PathBuf,
    nodes: usize,
    containment: Containment,
}

impl Subject for WholeGraph {
    fn label(&self) -> &str {
        &self.label
    }

    fn is_floor(&self) -> bool {
        self.containment == Containment::Off
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut graph = Graph::new();
        for k in 0..self.nodes {
            graph.node(format!("node-{k}"), Command::new(&self.child));
        }
        graph.containment(self.containment);
        spawn_and_wait(graph)
    }
}

/// `mkdir` then `rmdir` of `count` cgroups: the file-system work of a
/// graph's cgroups, without anything else.
struct RawMkdirs {
    label: String,
    parent: PathBuf,
    count: usize,
}

impl Subject for RawMkdirs {
    fn label(&self) -> &str {
        &self.label
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let paths: Vec<PathBuf> = (0..self.count)
            .map(|k| {
                self.parent
                    .join(format!("bench-mkdir-{}-{k}", std::process::id()))
            })
            .collect();
        for path in &paths {
            std::fs::create_dir(path)?;
        }
        for path in &paths {
            std::fs::remove_dir(path)?;
        }
        Ok(())
    }
}
