//! `bench pipeline`: a chain of N `cat`s (`cat < /dev/null | cat | … | cat >
//! /dev/null`), from the first spawn until every stage is reaped, through
//! process-graph, a raw `posix_spawn` chain, and bash; where this process
//! may create cgroups, also a raw chain with a cgroup per stage, the floor
//! of what process-graph does by default there.
//!
//! The raw chain holds at most two pipe fds while it spawns (the read end
//! feeding the next stage and the pipe being made), which is what keeps it
//! linear; a parent holding every pipe makes each spawn copy and close all
//! of them (perf-floors.md, scale floors).

use std::error::Error;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use process_graph_runtime::{Command, Containment, Graph, NodeId, Stdio};
use rustix::pipe::{PipeFlags, pipe_with};

use crate::cgroups::ScratchCgroup;
use crate::child_elf::Behaviour;
use crate::exec_args::ExecArgs;
use crate::floor::{self, ChildSetup};
use crate::measure::{self, Subject, exited_zero, spawn_and_wait};
use crate::setup::{self, Subcommand};

const PIPELINE: Subcommand = Subcommand {
    operation: "pipeline of N cats, spawn to all reaped",
    child: Behaviour::Cat,
    rounds: 5,
    iterations: 10,
    budget: Some(std::time::Duration::from_secs(10)),
};

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["stages"], PIPELINE)?;
    let stages: Vec<usize> = setup.flags.list("stages", &[10, 100, 1000, 2000])?;
    if stages.contains(&0) {
        return Err("--stages: a pipeline has at least one stage".into());
    }
    let path = setup.child.path();
    // The raw chain with a cgroup per stage, where cgroups can be made.
    let cgroups = crate::cgroups::own_cgroup_dir()
        .ok()
        .and_then(|dir| ScratchCgroup::create(&dir, "pipeline").ok());
    if cgroups.is_none() {
        eprintln!("no cgroups here: the raw chain with a cgroup per stage is left out");
    }
    measure::by_size(
        &setup.plan,
        &stages,
        |n| {
            Ok(vec![
                Box::new(GraphChain {
                    child: path.to_owned(),
                    stages: n,
                    containment: Containment::Auto,
                }) as Box<dyn Subject>,
                Box::new(GraphChain {
                    child: path.to_owned(),
                    stages: n,
                    containment: Containment::Off,
                }),
                Box::new(PosixSpawnChain {
                    exec: ExecArgs::new(path)?,
                    stages: n,
                    dev_null: dev_null()?,
                }),
                Box::new(BashChain::new(path, n)),
            ]
            .into_iter()
            .chain(cgroups.as_ref().map(|graph| {
                Box::new(CgroupChain {
                    exec: ExecArgs::new(path).expect("checked by the posix_spawn chain"),
                    stages: n,
                    dev_null: dev_null().expect("opened for the posix_spawn chain"),
                    graph: graph.path.clone(),
                }) as Box<dyn Subject>
            }))
            .collect())
        },
        |n| format!("{n} stages"),
    )?;
    Ok(())
}

fn dev_null() -> io::Result<OwnedFd> {
    Ok(std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?
        .into())
}

/// process-graph: one node per stage, a pipe between each two; each node
/// in a cgroup of its own (the default where the application may create
/// them), or with containment off.
struct GraphChain {
    child: PathBuf,
    stages: usize,
    containment: Containment,
}

impl Subject for GraphChain {
    fn label(&self) -> &str {
        measure::graph_label(self.containment)
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut graph = Graph::new();
        graph.containment(self.containment);
        let mut previous: Option<NodeId> = None;
        for stage in 0..self.stages {
            let mut command = Command::new(&self.child);
            if stage == 0 {
                command = command.stdin(Stdio::Null);
            }
            if stage + 1 == self.stages {
                command = command.stdout(Stdio::Null);
            }
            let node = graph.node(format!("cat{stage}"), command);
            if let Some(previous) = previous {
                graph.pipe(previous.stdout(), node.stdin());
            }
            previous = Some(node);
        }
        spawn_and_wait(graph)
    }
}

/// The raw chain: `posix_spawn` with two `dup2` file actions per stage,
/// CLOEXEC pipes made one at a time, then `waitpid` of every stage.
struct PosixSpawnChain {
    exec: ExecArgs,
    stages: usize,
    dev_null: OwnedFd,
}

impl PosixSpawnChain {
    fn spawn_stage(&self, stdin: i32, stdout: i32) -> io::Result<libc::pid_t> {
        // SAFETY: a zeroed posix_spawn_file_actions_t is initialised by
        // posix_spawn_file_actions_init before any other use, and destroyed
        // once below.
        let mut actions = unsafe { std::mem::zeroed::<libc::posix_spawn_file_actions_t>() };
        // SAFETY: `actions` is valid for writes.
        unsafe { libc::posix_spawn_file_actions_init(&mut actions) };
        // SAFETY: `actions` was initialised; the fds are open in the parent
        // (dup2 onto 0 and 1 clears their CLOEXEC in the child).
        unsafe {
            libc::posix_spawn_file_actions_adddup2(&mut actions, stdin, 0);
            libc::posix_spawn_file_actions_adddup2(&mut actions, stdout, 1);
        }
        let mut pid = 0;
        // SAFETY: path, argv and envp are valid and null-terminated;
        // `actions` is initialised; null attributes mean none.
        let error = unsafe {
            libc::posix_spawn(
                &mut pid,
                self.exec.path(),
                &actions,
                std::ptr::null(),
                self.exec.argv().cast(),
                self.exec.envp().cast(),
            )
        };
        // SAFETY: initialised above, destroyed once.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut actions) };
        match error {
            0 => Ok(pid),
            e => Err(io::Error::from_raw_os_error(e)),
        }
    }
}

impl Subject for PosixSpawnChain {
    fn label(&self) -> &str {
        "raw posix_spawn chain + waitpid"
    }

    fn is_floor(&self) -> bool {
        true
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut pids = Vec::with_capacity(self.stages);
        let mut feed: Option<OwnedFd> = None;
        for stage in 0..self.stages {
            let stdin = feed.as_ref().unwrap_or(&self.dev_null).as_raw_fd();
            let (next, stdout) = if stage + 1 == self.stages {
                (None, self.dev_null.as_raw_fd())
            } else {
                let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
                let raw = write.as_raw_fd();
                (Some((read, write)), raw)
            };
            pids.push(self.spawn_stage(stdin, stdout)?);
            // Drops this stage's input and the parent's write end.
            feed = next.map(|(read, _write)| read);
        }
        pids.into_iter().try_for_each(measure::waitpid_exited_zero)
    }
}

/// The raw chain in cgroups, as process-graph runs it by default where it
/// may: a cgroup per stage (`mkdir` and an `open` of its directory), each
/// stage started in its own with `clone3(CLONE_VM | CLONE_VFORK |
/// CLONE_PIDFD | CLONE_INTO_CGROUP)`, reaped, and every cgroup removed.
/// The stages get their stdio as the parent's fds 0 and 1 (two `dup2`s in
/// the parent per stage, as `posix_spawn`'s two file actions in the child).
struct CgroupChain {
    exec: ExecArgs,
    stages: usize,
    dev_null: OwnedFd,
    /// The bench's cgroup the stages' cgroups are made in.
    graph: PathBuf,
}

impl Subject for CgroupChain {
    fn label(&self) -> &str {
        "raw clone3 chain, a cgroup per stage"
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let saved = [0, 1].map(|fd| {
            // SAFETY: fds 0 and 1 are open for the bench's whole life.
            let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
            rustix::io::fcntl_dupfd_cloexec(fd, 3)
        });
        let [Ok(stdin), Ok(stdout)] = saved else {
            return Err(io::Error::other("cannot save the bench's stdio"));
        };
        let result = self.chain();
        let mut restored = rustix::stdio::dup2_stdin(&stdin);
        restored = restored.and(rustix::stdio::dup2_stdout(&stdout));
        result.and(restored.map_err(io::Error::from))
    }
}

impl CgroupChain {
    fn chain(&self) -> io::Result<()> {
        let dirs: Vec<PathBuf> = (0..self.stages)
            .map(|k| self.graph.join(format!("stage-{k}")))
            .collect();
        let mut children = Vec::with_capacity(self.stages);
        let mut feed: Option<OwnedFd> = None;
        for (stage, dir) in dirs.iter().enumerate() {
            std::fs::create_dir(dir)?;
            let cgroup = rustix::fs::open(
                dir,
                rustix::fs::OFlags::RDONLY
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )?;
            let next = if stage + 1 == self.stages {
                rustix::stdio::dup2_stdout(&self.dev_null)?;
                None
            } else {
                let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
                rustix::stdio::dup2_stdout(&write)?;
                Some(read)
            };
            rustix::stdio::dup2_stdin(feed.as_ref().unwrap_or(&self.dev_null))?;
            children.push(floor::spawn_in(
                &self.exec,
                0,
                ChildSetup::None,
                Some(cgroup.as_fd()),
            )?);
            feed = next;
        }
        // The parent's copies of the last pipe ends go, so the chain can end.
        rustix::stdio::dup2_stdin(&self.dev_null)?;
        rustix::stdio::dup2_stdout(&self.dev_null)?;
        for child in &children {
            let status = floor::wait(child, rustix::process::WaitIdOptions::empty())?;
            exited_zero(status.exit_status() == Some(0), format_args!("{status:?}"))?;
        }
        dirs.iter().try_for_each(std::fs::remove_dir)
    }
}

/// `bash -c 'cat < /dev/null | cat | … | cat > /dev/null'` with the static
/// cat; bash's own start (a glibc program) is part of its time.
struct BashChain {
    script: String,
}

impl BashChain {
    fn new(child: &Path, stages: usize) -> BashChain {
        let cat = child.display().to_string();
        let mut script = format!("{cat} < /dev/null");
        for _ in 1..stages {
            script.push_str(" | ");
            script.push_str(&cat);
        }
        script.push_str(" > /dev/null");
        BashChain { script }
    }
}

impl Subject for BashChain {
    fn label(&self) -> &str {
        "bash -c 'cat | … | cat'"
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(&self.script)
            .status()?;
        exited_zero(status.success(), status)
    }
}
