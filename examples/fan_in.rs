//! Fan-in: two writers share one pipe into a single reader.
//!
//! `ticks` and `tocks` both write into the pipe `lines`, whose one reader,
//! `merge`, numbers the lines it receives (`cat -n`); the parent reads the
//! merged stream through the typed read end of `merged`. Lines shorter than
//! `PIPE_BUF` (4 KiB) are written atomically, so lines from the two writers
//! interleave but are never torn.
//!
//! Run with `cargo run --example fan_in`.

use std::io::{BufRead, BufReader};

use process_graph::prelude::*;

#[process_graph]
pub struct FanIn {
    #[process]
    ticks: Cmd,
    #[process]
    tocks: Cmd,
    #[process]
    merge: Cmd,

    /// Both writers share the write end; `merge` holds the read end.
    #[pipe(ticks.stdout, tocks.stdout -> merge.stdin)]
    lines: Pipe,
    #[pipe(merge.stdout -> parent)]
    merged: Pipe,
}

fn writer(word: &str) -> Cmd {
    Cmd::new("sh").arg("-c").arg(format!(
        "for i in 1 2 3; do echo \"{word} $i\"; sleep 0.01; done"
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", explain());
    let graph = FanIn::new(writer("tick"), writer("tock"), Cmd::new("cat").arg("-n"));
    let mut running = graph.spawn()?;
    println!(
        "started: ticks pid {:?}, tocks pid {:?}, merge pid {:?}",
        running.ticks().pid(),
        running.tocks().pid(),
        running.merge().pid()
    );

    // `merge` sees EOF only when *both* writers have exited: the runtime
    // closed the parent's copies of the pipe right after spawning.
    let merged = BufReader::new(running.merged.take().expect("the parent reads `merged`"));
    let mut count = 0;
    for line in merged.lines() {
        println!("parent read: {}", line?);
        count += 1;
    }
    let report = running.wait()?;
    println!("\n{count} lines, 3 from each writer, merged in arrival order.");
    print!("how each process ended:\n{report}");
    assert_eq!(count, 6);
    assert!(report.success());
    Ok(())
}

fn explain() -> String {
    let topology = FanIn::TOPOLOGY;
    let lines = &topology.edges[0];
    format!(
        "graph `{}`: pipe `{}` has {} writers and {} reader\n",
        topology.name,
        lines.name.as_deref().unwrap_or("(unnamed)"),
        lines.from.len(),
        lines.to.len()
    )
}
