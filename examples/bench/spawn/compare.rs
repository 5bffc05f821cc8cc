//! `bench spawn`: spawn + reap through process-graph and through every other
//! way Linux offers, with the parent holding 0, 1 and 4 GiB of touched memory.

use std::error::Error;
use std::time::Instant;

use super::methods;
use crate::measure;
use crate::memory::TouchedMemory;
use crate::setup;

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["memory"], super::SPAWN)?;
    let memory_gib: Vec<usize> = setup.flags.list("memory", &[0, 1, 4])?;
    let mut subjects = methods::all(setup.child.path())?;
    let mut columns = Vec::new();
    let mut results: Vec<Vec<measure::Summary>> = subjects.iter().map(|_| Vec::new()).collect();
    for &gib in &memory_gib {
        let started = Instant::now();
        let memory = TouchedMemory::new(gib).map_err(|e| format!("touch {gib} GiB: {e}"))?;
        let summaries = measure::interleaved(&setup.plan, &mut subjects)?;
        drop(memory);
        eprintln!(
            "measured with {gib} GiB touched in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        for (cells, summary) in results.iter_mut().zip(summaries) {
            cells.push(summary);
        }
        columns.push(format!("{gib} GiB touched"));
    }
    measure::print_ratio_table(&columns, &measure::rows_of(&subjects, results));
    Ok(())
}
