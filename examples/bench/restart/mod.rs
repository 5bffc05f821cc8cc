//! `bench restart`: restart latency — from the SIGKILL of a running child to
//! its replacement running — through process-graph's supervisor and through
//! a raw pidfd + `clone3` loop, interleaved; then a few restarts after 1 s
//! idle each, where the CPU has gone to sleep (perf-floors: ~1 ms).
//!
//! `--siblings N` keeps N more children running beside the restarted one in
//! both loops (in our graph as nodes that never restart): what a restart
//! costs in a large graph.

mod loops;

use std::error::Error;
use std::time::Duration;

use crate::child_elf::Behaviour;
use crate::measure::{self, format_duration, format_ratio, percentile};
use crate::setup::{self, Subcommand};
use loops::{Latency, Ours, Raw, RestartLoop};

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
    let mut loops: [Box<dyn RestartLoop>; 2] = [
        Box::new(Ours::start(path, siblings)?),
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
    let mut busy: [Vec<Latency>; 2] = Default::default();
    for round in 0..setup.plan.rounds {
        for turn in 0..loops.len() {
            let index = (round + turn) % loops.len();
            for _ in 0..setup.plan.iterations {
                busy[index].push(loops[index].restart_once()?);
            }
        }
    }
    let mut idle: [Vec<Latency>; 2] = Default::default();
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

/// One row per milestone, medians and p99 of each loop, and our ratio to
/// the raw loop.
fn print_table(title: &str, labels: &[String; 2], samples: &[Vec<Latency>; 2]) {
    let columns = vec![
        format!("{}: median / p99", labels[0]),
        format!("{}: median / p99", labels[1]),
        "ratio: median / p99".to_owned(),
    ];
    let rows = [Milestone::Started, Milestone::Running].map(|milestone| {
        let [ours, raw] = samples.each_ref().map(|s| {
            let mut picked: Vec<Duration> = s.iter().map(|l| milestone.of(l)).collect();
            picked.sort();
            (percentile(&picked, 0.5), percentile(&picked, 0.99))
        });
        let cells = vec![
            format!("{} / {}", format_duration(ours.0), format_duration(ours.1)),
            format!("{} / {}", format_duration(raw.0), format_duration(raw.1)),
            format!(
                "{} / {}",
                format_ratio(ours.0, raw.0),
                format_ratio(ours.1, raw.1)
            ),
        ];
        (milestone.label().to_owned(), cells)
    });
    measure::print_markdown(title, &columns, rows.into_iter());
}
