//! `bench restart`: restart latency — from the SIGKILL of a running child to
//! its replacement running — through process-graph's supervisor (blocking,
//! and awaited on a current-thread tokio runtime) and through a raw pidfd +
//! `clone3` loop, interleaved; then a few restarts after 1 s idle each, where
//! the CPU has gone to sleep (perf-floors: ~1 ms).
//!
//! Each is run with a cgroup per node (where this process may create
//! cgroups: the raw loop then starts each child in its own with
//! `CLONE_INTO_CGROUP` and reads its `cgroup.events` after each reap) and
//! without, each compared with the raw loop of its kind; `--containment
//! on|off` runs one kind only. Each loop runs in a process of its own
//! ([`worker`]), so no loop's children copy another loop's fds.
//!
//! `--siblings N` keeps N more children running beside the restarted one in
//! every loop (in our graph as nodes that never restart): what a restart
//! costs in a large graph. `--scope shared` puts our graph's nodes, the
//! restarted one and its siblings, in one user + pid scope (the raw loops stay
//! outside): how a scoped restart grows with its scope-mates.

mod loops;
mod node_cgroups;
mod worker;

use std::error::Error;
use std::io;
use std::time::Duration;

use crate::child_elf::Behaviour;
use crate::measure::{self, format_duration, format_ratio, percentile};
use crate::setup::{self, Subcommand};
use loops::{Latency, Ours, OursOnTokio, Raw, RestartLoop};
use node_cgroups::NodeCgroups;
use worker::{Description, Start, Worker};

const RESTART: Subcommand = Subcommand {
    operation: "restart (SIGKILL → replacement running)",
    child: Behaviour::MarkThenPause,
    rounds: 10,
    iterations: 1000,
    budget: None,
};

/// Restarts of each loop before the rounds, not counted.
const WARM_UP: usize = 20;

const IDLE: Duration = Duration::from_secs(1);

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["idle", "siblings", "containment", "scope"], RESTART)?;
    let idle_samples: usize = setup.flags.value("idle", 10)?;
    let siblings: usize = setup.flags.value("siblings", 0)?;
    let scoped = match setup.flags.value("scope", "none".to_owned())?.as_str() {
        "none" => false,
        "shared" => true,
        other => return Err(format!("--scope: none or shared, not {other:?}").into()),
    };
    let kinds: &[bool] = match setup
        .flags
        .value("containment", "both".to_owned())?
        .as_str()
    {
        "both" => &[true, false],
        "on" => &[true],
        "off" => &[false],
        other => return Err(format!("--containment: on, off or both, not {other:?}").into()),
    };
    let path = setup.child.path();
    let mut workers: Vec<Worker> = Vec::new();
    for &in_cgroups in kinds {
        if in_cgroups && let Err(e) = NodeCgroups::create_named("restart-check") {
            eprintln!("no cgroups here ({e}): the loops with a cgroup per node are left out");
            continue;
        }
        // The raw loop, its children in cgroups of the loop named `name`
        // where this kind has them.
        let raw = |name: &'static str, like_runtime: bool| {
            move || -> io::Result<Box<dyn RestartLoop>> {
                let cgroups = match in_cgroups {
                    true => Some(NodeCgroups::create_named(name)?),
                    false => None,
                };
                Ok(Box::new(Raw::start(path, siblings, cgroups, like_runtime)?))
            }
        };
        let starts: [Start<'_>; 4] = [
            Box::new(|| Ok(Box::new(Ours::start(path, siblings, in_cgroups, scoped)?))),
            Box::new(|| {
                let ours = OursOnTokio::start(path, siblings, in_cgroups, scoped)?;
                Ok(Box::new(ours))
            }),
            // Beside the floor, the floor with our child's set-up, with as
            // many siblings: what is ours beyond it is the supervisor's.
            Box::new(raw("restart-setup", true)),
            Box::new(raw("restart", false)),
        ];
        for start in starts {
            workers.push(Worker::fork(start, WARM_UP)?);
        }
    }
    if siblings > 0 {
        println!("each loop keeps {siblings} more children running beside the restarted one");
    }
    let mut busy: Vec<Vec<Latency>> = vec![Vec::new(); workers.len()];
    for round in 0..setup.plan.rounds {
        for turn in 0..workers.len() {
            let index = (round + turn) % workers.len();
            busy[index].extend(workers[index].restarts(setup.plan.iterations)?);
        }
    }
    let mut idle: Vec<Vec<Latency>> = vec![Vec::new(); workers.len()];
    for _ in 0..idle_samples {
        for (worker, samples) in workers.iter_mut().zip(&mut idle) {
            std::thread::sleep(IDLE);
            samples.extend(worker.restarts(1)?);
        }
    }
    let loops: Vec<&Description> = workers.iter().map(|w| &w.description).collect();
    let title = format!(
        "back to back, {} rounds × {}",
        setup.plan.rounds, setup.plan.iterations
    );
    print_table(&title, &loops, &busy);
    if idle_samples > 0 {
        println!();
        let title = format!("after {IDLE:?} idle, {idle_samples} each");
        print_table(&title, &loops, &idle);
    }
    Ok(())
}

/// The two moments a restart is timed to.
#[derive(Clone, Copy)]
enum Milestone {
    Started,
    Running,
}

impl Milestone {
    fn label(self) -> &'static str {
        match self {
            Milestone::Started => {
                "SIGKILL → replacement spawned (Event::Started / clone3 returned)"
            }
            Milestone::Running => "SIGKILL → replacement running (its byte on fd 3 read)",
        }
    }

    fn of(self, latency: &Latency) -> Duration {
        match self {
            Milestone::Started => latency.started,
            Milestone::Running => latency.running,
        }
    }
}

/// One row per milestone: medians and p99 of each loop, then each of ours
/// as a ratio to the raw loop of its kind (with cgroups or without).
fn print_table(title: &str, loops: &[&Description], samples: &[Vec<Latency>]) {
    let floor_of = |l: &Description| {
        loops
            .iter()
            .position(|f| f.is_floor && f.in_cgroups == l.in_cgroups)
    };
    let compared: Vec<(usize, usize)> = loops
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_floor)
        .filter_map(|(i, l)| Some((i, floor_of(l)?)))
        .collect();
    let columns: Vec<String> = loops
        .iter()
        .map(|l| format!("{}: median / p99", l.label))
        .chain(
            compared
                .iter()
                .map(|&(i, f)| format!("{} / {}", loops[i].label, loops[f].label)),
        )
        .collect();
    let rows = [Milestone::Started, Milestone::Running].map(|milestone| {
        let stats: Vec<(Duration, Duration)> = samples
            .iter()
            .map(|s| {
                let mut picked: Vec<Duration> = s.iter().map(|l| milestone.of(l)).collect();
                picked.sort();
                (percentile(&picked, 0.5), percentile(&picked, 0.99))
            })
            .collect();
        let cells = stats
            .iter()
            .map(|(median, p99)| {
                format!("{} / {}", format_duration(*median), format_duration(*p99))
            })
            .chain(compared.iter().map(|&(i, f)| {
                format!(
                    "{} / {}",
                    format_ratio(stats[i].0, stats[f].0),
                    format_ratio(stats[i].1, stats[f].1)
                )
            }))
            .collect();
        (milestone.label().to_owned(), cells)
    });
    measure::print_markdown(title, &columns, rows.into_iter());
}
