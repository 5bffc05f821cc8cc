//! `bench scopes`: what namespace scopes cost, for each set of namespaces
//! (none, each kind alone or with user, all six), next to a raw `clone3`
//! with the same `CLONE_NEW*` flags.
//!
//! Two costs, measured apart:
//! - (a) creating a scope: the runtime creates a scope's namespaces once, in
//!   a small init process, when the graph is spawned — so a one-node graph
//!   with a scope, spawned and waited, is scope creation + teardown + one
//!   node;
//! - (b) one more node into a scope that already exists: the carried scope
//!   program enters the scope (`setns`) and execs the node, or clones it
//!   into the scope's pid namespace with `CLONE_PARENT`, measured as the
//!   restart of a node that exits at once.
//!
//! `--memory N` runs everything with N GiB of touched parent memory, to show
//! that creating a scope does not grow with it: the application's child is a
//! vfork-style `CLONE_VM` clone that at once executes the carried program,
//! and the init is a copy of that small program's memory, never of the
//! application's.

mod sets;
mod subjects;

use std::error::Error;
use std::time::Duration;

use crate::child_elf::Behaviour;
use crate::measure::{
    self, Summary, format_difference, format_duration, format_ratio, format_spread,
};
use crate::memory::TouchedMemory;
use crate::setup::{self, Subcommand};

const SCOPES: Subcommand = Subcommand {
    operation: "spawn + reap, with namespaces,",
    child: Behaviour::Exit0,
    rounds: 7,
    iterations: 200,
    budget: Some(Duration::from_secs(4)),
};

const COLUMNS: [&str; 3] = [
    "raw clone3 + CLONE_NEW* + exec + reap",
    "(a) new scope + 1 node: spawn + wait",
    "(b) 1 more node into the live scope",
];

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["memory"], SCOPES)?;
    let memory_gib: usize = setup.flags.value("memory", 0)?;
    let _memory =
        TouchedMemory::new(memory_gib).map_err(|e| format!("touch {memory_gib} GiB: {e}"))?;
    println!("parent memory: {memory_gib} GiB touched\n");
    let privileged = rustix::process::geteuid().is_root();
    let sets = sets::all(privileged);
    if !privileged {
        println!("not root: pid, net, mount, uts and ipc are measured only with user\n");
    }
    let mut subjects = Vec::new();
    for set in &sets {
        subjects.extend(subjects::for_set(set, setup.child.path())?);
    }
    let mut summaries = measure::interleaved(&setup.plan, &mut subjects)?.into_iter();
    let rows: Vec<(String, [Summary; 3])> = sets
        .iter()
        .map(|set| {
            let mut next = || summaries.next().expect("three summaries per set");
            (set.label(), [next(), next(), next()])
        })
        .collect();
    print_report(&rows);
    Ok(())
}

/// Three tables, one row per set: medians with their ratio to the raw
/// clone3; the extra over the set without namespaces; the spread.
fn print_report(rows: &[(String, [Summary; 3])]) {
    let columns: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    let medians = rows.iter().map(|(label, [raw, new, more])| {
        let raw = raw.median();
        let cells = [
            format_duration(raw),
            ratio_cell(new.median(), raw),
            ratio_cell(more.median(), raw),
        ];
        (label.clone(), cells.to_vec())
    });
    measure::print_markdown("median (× the raw clone3)", &columns, medians);
    println!();
    let baseline = &rows[0].1;
    let extras = rows.iter().skip(1).map(|(label, cells)| {
        let cells = cells
            .iter()
            .zip(baseline)
            .map(|(cell, base)| format_difference(cell.median(), base.median()));
        (label.clone(), cells.collect())
    });
    measure::print_markdown("extra over no namespaces", &columns, extras);
    println!();
    let spreads = rows
        .iter()
        .map(|(label, cells)| (label.clone(), cells.iter().map(format_spread).collect()));
    measure::print_markdown(
        "fastest–slowest round (rounds × iterations)",
        &columns,
        spreads,
    );
}

fn ratio_cell(value: Duration, raw: Duration) -> String {
    format!("{} ({})", format_duration(value), format_ratio(value, raw))
}
