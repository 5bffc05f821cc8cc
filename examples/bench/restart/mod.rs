//! `bench restart`: restart latency — from the SIGKILL of a running child to
//! its replacement running — through process-graph's supervisor (blocking,
//! and awaited on a current-thread tokio runtime) and through a raw pidfd +
//! `clone3` loop, interleaved; then a few restarts after 1 s idle each, where
//! the CPU has gone to sleep (perf-floors: ~1 ms).
//!
//! `--siblings N` keeps N more children running beside the restarted one in
//! every loop (in our graph as nodes that never restart): what a restart
//! costs in a large graph.

mod loops;

use std::error::Error;
use std::time::Duration;

use process_graph_runtime::Containment;

use crate::child_elf::Behaviour;
use crate::measure::{self, format_duration, format_ratio, percentile};
use crate::setup::{self, Subcommand};
use loops::{Latency, Ours, OursOnTokio, Raw, RestartLoop};

/// Ours blocking, ours on tokio, ours blocking with containment off, and
/// the raw loop.
const LOOPS: usize = 4;

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
    let setup = setup::prepare(args, &["idle", "siblings"], RESTART)?;
    let idle_samples: usize = setup.flags.value("idle", 10)?;
    let siblings: usize = setup.flags.value("siblings", 0)?;
    let path = setup.child.path();
    // The raw loop last: every other is compared with it.
    let mut loops: [Box<dyn RestartLoop>; LOOPS] = [
        Box::new(Ours::start(path, siblings, Containment::Auto)?),
        Box::new(OursOnTokio::start(path, siblings)?),
        Box::new(Ours::start(path, siblings, Containment::Off)?),
        Box::new(Raw::start(path, siblings)?),
    ];
    if siblings > 0 {
        println!("each loop keeps {siblings} more children running beside the restarted one");
    }
    for restart_loop in &mut loops {
        for _ in 0..WARM_UP {
            restart_loop.restart_once()?;
        }
    }
    let mut busy: [Vec<Latency>; LOOPS] = Default::default();
    for round in 0..setup.plan.rounds {
        for turn in 0..loops.len() {
            let index = (round + turn) % loops.len();
            for _ in 0..setup.plan.iterations {
                busy[index].push(loops[index].restart_once()?);
            }
        }
    }
    let mut idle: [Vec<Latency>; LOOPS] = Default::default();
    for _ in 0..idle_samples {
        for (restart_loop, samples) in loops.iter_mut().zip(&mut idle) {
            std::thread::sleep(IDLE);
            samples.push(restart_loop.restart_once()?);
        }
    }
    let labels = loops.each_ref().map(|l| l.label().to_owned());
    print_table(
        &format!(
            "back to back, {} rounds × {}",
            setup.plan.rounds, setup.plan.iterations
        ),
        &labels,
        &busy,
    );
    if idle_samples > 0 {
        println!();
        print_table(
            &format!("after {IDLE:?} idle, {idle_samples} each"),
            &labels,
            &idle,
        );
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
/// as a ratio to the raw loop (the last).
fn print_table(title: &str, labels: &[String; LOOPS], samples: &[Vec<Latency>; LOOPS]) {
    let (ours, raw) = labels.split_at(LOOPS - 1);
    let columns: Vec<String> = labels
        .iter()
        .map(|label| format!("{label}: median / p99"))
        .chain(ours.iter().map(|label| format!("{label} / {}", raw[0])))
        .collect();
    let rows = [Milestone::Started, Milestone::Running].map(|milestone| {
        let stats = samples.each_ref().map(|s| {
            let mut picked: Vec<Duration> = s.iter().map(|l| milestone.of(l)).collect();
            picked.sort();
            (percentile(&picked, 0.5), percentile(&picked, 0.99))
        });
        let raw = stats[LOOPS - 1];
        let cells = stats
            .iter()
            .map(|(median, p99)| {
                format!("{} / {}", format_duration(*median), format_duration(*p99))
            })
            .chain(stats[..LOOPS - 1].iter().map(|(median, p99)| {
                format!(
                    "{} / {}",
                    format_ratio(*median, raw.0),
                    format_ratio(*p99, raw.1)
                )
            }))
            .collect();
        (milestone.label().to_owned(), cells)
    });
    measure::print_markdown(title, &columns, rows.into_iter());
}
