//! What every spawn subcommand does first: read the shared options, pin to a
//! CPU if asked, write and check the child program, and print the header
//! that says how to read the results.

use std::error::Error;
use std::time::Duration;

use crate::child_elf::ChildProgram;
use crate::cli::Flags;
use crate::measure::{self, Plan};
use crate::system;

/// The most time one method may take at one memory size: `fork` with 4 GiB
/// costs ~80 ms a spawn, so it gets fewer iterations per round than asked.
const METHOD_BUDGET: Duration = Duration::from_secs(8);

pub struct Setup {
    pub flags: Flags,
    pub plan: Plan,
    pub child: ChildProgram,
}

/// Parses `--iterations`, `--rounds`, `--pin` and the subcommand's own
/// `value_flags`, then prepares the run.
pub fn prepare(
    args: impl Iterator<Item = String>,
    value_flags: &[&str],
) -> Result<Setup, Box<dyn Error>> {
    let mut takes_value = vec!["iterations", "rounds"];
    takes_value.extend_from_slice(value_flags);
    let flags = Flags::parse(args, &takes_value, &["pin"])?;
    let plan = Plan {
        rounds: flags.value("rounds", 7)?,
        iterations: flags.value("iterations", 500)?,
        budget: METHOD_BUDGET,
    };
    if plan.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    // Before anything else runs: children inherit the affinity.
    if let Some(cpu) = flags.switch("pin", 1)? {
        system::pin_to_cpu(cpu).map_err(|e| format!("pin to cpu {cpu}: {e}"))?;
    }
    let child = ChildProgram::create().map_err(|e| format!("create the child program: {e}"))?;
    println!(
        "spawn + reap of a {}-byte static child that calls exit_group(0)",
        child.size()
    );
    println!("{}", system::describe()?);
    println!(
        "plan: {} rounds × {} spawns per method, methods interleaved; a method slower \
         than {} s in all gets fewer spawns per round (at least {})",
        plan.rounds,
        plan.iterations,
        METHOD_BUDGET.as_secs(),
        measure::MIN_ITERATIONS
    );
    println!();
    Ok(Setup { flags, plan, child })
}
