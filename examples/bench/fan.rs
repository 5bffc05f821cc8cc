//! `bench fan`: N independent nodes, spawned all and then reaped all,
//! through process-graph and through a raw loop: `clone3(CLONE_VM |
//! CLONE_VFORK | CLONE_PIDFD)` for each, then one epoll over every pidfd
//! and `waitid(P_PIDFD)` as each turns readable.

use std::error::Error;
use std::io;
use std::os::fd::AsFd;
use std::path::PathBuf;

use process_graph_runtime::{Command, Containment, Graph};
use rustix::event::epoll;
use rustix::process::WaitIdOptions;

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
    let setup = setup::prepare(args, &["nodes"], FAN)?;
    let sizes: Vec<usize> = setup.flags.list("nodes", &[1000])?;
    let path = setup.child.path();
    measure::by_size(
        &setup.plan,
        &sizes,
        |n| {
            Ok(vec![
                Box::new(GraphFan {
                    child: path.to_owned(),
                    nodes: n,
                    containment: Containment::Auto,
                }) as Box<dyn Subject>,
                Box::new(GraphFan {
                    child: path.to_owned(),
                    nodes: n,
                    containment: Containment::Off,
                }),
                Box::new(Clone3Fan {
                    exec: ExecArgs::new(path)?,
                    nodes: n,
                }),
            ])
        },
        |n| format!("{n} nodes"),
    )?;
    Ok(())
}

/// process-graph: N nodes, no edges, spawned and waited; each node in a
/// cgroup of its own (the default where the application may create them),
/// or with containment off.
struct GraphFan {
    child: PathBuf,
    nodes: usize,
    containment: Containment,
}

impl Subject for GraphFan {
    fn label(&self) -> &str {
        measure::graph_label(self.containment)
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let mut graph = Graph::new();
        graph.containment(self.containment);
        for i in 0..self.nodes {
            graph.node(format!("node{i}"), Command::new(&self.child));
        }
        spawn_and_wait(graph)
    }
}

/// The floor: clone3 each, then an epoll over every pidfd, reaping each as
/// it turns readable.
struct Clone3Fan {
    exec: ExecArgs,
    nodes: usize,
}

impl Subject for Clone3Fan {
    fn label(&self) -> &str {
        "raw clone3 (VM, VFORK, PIDFD) + epoll + waitid"
    }

    fn is_floor(&self) -> bool {
        true
    }

    fn run_once(&mut self) -> io::Result<()> {
        let children = (0..self.nodes)
            .map(|_| floor::spawn(&self.exec, 0, ChildSetup::None))
            .collect::<io::Result<Vec<_>>>()?;
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
        Ok(())
    }
}
