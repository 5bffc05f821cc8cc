//! The spawn + reap methods compared, one `Subject` each. Every method checks
//! that the child exited 0, so a broken method cannot look fast.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use process_graph_runtime::{Command, Graph};
use rustix::process::WaitIdOptions;

use crate::exec_args::ExecArgs;
use crate::floor::{self, ChildSetup};
use crate::measure::{self, Subject, exited_zero, spawn_and_wait};

/// Every method, ours first and the floors last.
pub fn all(child: &Path) -> io::Result<Vec<Box<dyn Subject>>> {
    Ok(vec![
        Box::new(OneNodeGraph(child.to_owned())),
        Box::new(StdCommand {
            child: child.to_owned(),
            with_pre_exec: false,
        }),
        Box::new(StdCommand {
            child: child.to_owned(),
            with_pre_exec: true,
        }),
        Box::new(PosixSpawn(ExecArgs::new(child)?)),
        Box::new(Clone3Vfork(ExecArgs::new(child)?)),
    ])
}

/// (a) process-graph: a one-node `Graph`, spawned and waited.
pub struct OneNodeGraph(pub PathBuf);

impl Subject for OneNodeGraph {
    fn label(&self) -> &str {
        "process-graph Graph::spawn + wait"
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut graph = Graph::new();
        graph.node("child", Command::new(&self.0));
        spawn_and_wait(graph)
    }
}

/// (b) `std::process::Command` (glibc `posix_spawn`), or (c) with a no-op
/// `pre_exec` hook, which forces `fork` + `exec`.
struct StdCommand {
    child: PathBuf,
    with_pre_exec: bool,
}

impl Subject for StdCommand {
    fn label(&self) -> &str {
        if self.with_pre_exec {
            "std Command + pre_exec (fork + exec)"
        } else {
            "std Command (posix_spawn)"
        }
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut command = std::process::Command::new(&self.child);
        if self.with_pre_exec {
            // SAFETY: the hook does nothing, so it is async-signal-safe.
            unsafe { command.pre_exec(|| Ok(())) };
        }
        let status = command.spawn()?.wait()?;
        exited_zero(status.success(), status)
    }
}

/// (d) raw glibc `posix_spawn` + `waitpid`.
struct PosixSpawn(ExecArgs);

impl Subject for PosixSpawn {
    fn label(&self) -> &str {
        "raw posix_spawn + waitpid"
    }

    fn is_floor(&self) -> bool {
        true
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut pid = 0;
        // SAFETY: path, argv and envp are valid and null-terminated; null
        // file actions and attributes mean none.
        let error = unsafe {
            libc::posix_spawn(
                &mut pid,
                self.0.path(),
                std::ptr::null(),
                std::ptr::null(),
                self.0.argv().cast(),
                self.0.envp().cast(),
            )
        };
        if error != 0 {
            return Err(io::Error::from_raw_os_error(error));
        }
        measure::waitpid_exited_zero(pid)
    }
}

/// (e) the floor: raw `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD)` +
/// `execve`, reaped with `waitid(P_PIDFD)`.
struct Clone3Vfork(ExecArgs);

impl Subject for Clone3Vfork {
    fn label(&self) -> &str {
        "raw clone3 (VM, VFORK, PIDFD) + waitid"
    }

    fn is_floor(&self) -> bool {
        true
    }

    fn run_once(&mut self) -> io::Result<()> {
        let child = floor::spawn(&self.0, 0, ChildSetup::None)?;
        let status = floor::wait(&child, WaitIdOptions::empty())?;
        exited_zero(status.exit_status() == Some(0), format_args!("{status:?}"))
    }
}
