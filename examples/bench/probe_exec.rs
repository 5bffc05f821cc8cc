//! `bench probe-exec`: what one attempt of an exec probe costs.
//!
//! A node that sleeps has a readiness probe that runs a static program
//! exiting 1, back to back (period 0): each operation is one attempt, from
//! its start to its `Event::ProbeFailed`. For a node outside scopes and for
//! one in a user + pid scope, beside the raw `clone3` + `execve` + `waitid`
//! of the same program.
//!
//! Under an unprivileged application in a delegated cgroup, the scope's
//! processes are the application's uid outside, and each attempt of the
//! scope node's probe gets a cgroup of its own (a `mkdir` before it, an
//! `rmdir` after); as root, every attempt runs in its node's cgroup.

use std::error::Error;
use std::io;
use std::path::Path;
use std::time::Duration;

use process_graph_runtime::{
    Command, Containment, Event, Graph, Namespace, NodeId, NodeOptions, Probe, ProbeResult,
    RunningGraph, ScopeSpec,
};
use rustix::process::WaitIdOptions;

use crate::child_elf::Behaviour;
use crate::exec_args::ExecArgs;
use crate::floor::{self, ChildSetup};
use crate::measure::{self, Subject};
use crate::setup::{self, Subcommand};

const PROBE_EXEC: Subcommand = Subcommand {
    operation: "one attempt of an exec probe whose command is",
    child: Behaviour::Exit1,
    rounds: 7,
    iterations: 200,
    budget: Some(Duration::from_secs(4)),
};

/// How long one attempt may take before the run counts as broken.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &[], PROBE_EXEC)?;
    let program = setup.child.path();
    println!(
        "the application: uid {}\n",
        rustix::process::geteuid().as_raw()
    );
    let mut subjects: Vec<Box<dyn Subject>> = vec![
        Box::new(RawExec {
            exec: ExecArgs::new(program)?,
        }),
        Box::new(Attempts::new(
            "exec probe attempt, node outside scopes",
            program,
            None,
        )),
        Box::new(Attempts::new(
            "exec probe attempt, node in a user + pid scope",
            program,
            Some(ScopeSpec::new([Namespace::User, Namespace::Pid])),
        )),
    ];
    measure::run_one_column(&setup.plan, &mut subjects, "per attempt")?;
    Ok(())
}

/// The floor: the probe's program run and reaped by a raw `clone3`.
struct RawExec {
    exec: ExecArgs,
}

impl Subject for RawExec {
    fn label(&self) -> &str {
        "raw clone3 + exec + waitid of the probe's program"
    }

    fn is_floor(&self) -> bool {
        true
    }

    fn run_once(&mut self) -> io::Result<()> {
        let child = floor::spawn(&self.exec, 0, ChildSetup::None)?;
        let status = floor::wait(&child, WaitIdOptions::empty())?;
        match status.exit_status() {
            Some(1) => Ok(()),
            _ => Err(io::Error::other(format!(
                "the probe's program ended {status:?}"
            ))),
        }
    }
}

/// A graph of one sleeping node, in cgroups, whose readiness probe runs the
/// program back to back; spawned at the first operation (the warm-up).
struct Attempts {
    label: &'static str,
    graph: Option<Graph>,
    node: NodeId,
    running: Option<RunningGraph>,
}

impl Attempts {
    fn new(label: &'static str, program: &Path, scope: Option<ScopeSpec>) -> Attempts {
        let mut graph = Graph::new();
        graph.containment(Containment::Required);
        let probe = Probe::exec([program.to_string_lossy()])
            .period(Duration::from_millis(1))
            .timeout(ATTEMPT_TIMEOUT);
        let mut options = NodeOptions::new().ready_probe(probe);
        if let Some(spec) = scope {
            options = options.scope(graph.scope("bench", spec));
        }
        let node = graph.node_with("sleeper", Command::new("sleep").arg("3600"), options);
        Attempts {
            label,
            graph: Some(graph),
            node,
            running: None,
        }
    }
}

impl Subject for Attempts {
    fn label(&self) -> &str {
        self.label
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        if let Some(graph) = self.graph.take() {
            self.running = Some(graph.spawn().map_err(io::Error::other)?);
        }
        let running = self.running.as_mut().expect("spawned above");
        loop {
            let event = running
                .next_event(Some(ATTEMPT_TIMEOUT))
                .map_err(io::Error::other)?;
            match event {
                Some(Event::ProbeFailed {
                    node: n,
                    result: ProbeResult::Failed(why),
                    ..
                }) if n == self.node => {
                    // Its command ran and exited 1, as it should.
                    return match why == "its command exited with code 1" {
                        true => Ok(()),
                        false => Err(io::Error::other(why)),
                    };
                }
                Some(Event::Started { .. }) => {}
                other => {
                    return Err(io::Error::other(format!(
                        "expected a failed attempt, got {other:?}"
                    )));
                }
            }
        }
    }
}
