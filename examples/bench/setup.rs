//! What every subcommand does first: read the shared options, pin to a CPU
//! if asked, write the child program, and print the header that says how to
//! read the results.

use std::error::Error;
use std::time::Duration;

use crate::child_elf::{Behaviour, ChildProgram};
use crate::cli::Flags;
use crate::measure::{self, Plan};
use crate::system;

/// What a subcommand measures, and how much of it by default.
pub struct Subcommand {
    /// The operation, as the header names it: "spawn + reap".
    pub operation: &'static str,
    /// The child program it runs.
    pub child: Behaviour,
    pub rounds: usize,
    pub iterations: usize,
    /// The most time one method may take over all rounds, if the subcommand
    /// runs through [`measure::interleaved`]: `fork` with 4 GiB costs ~80 ms
    /// a spawn, so it gets fewer iterations per round than asked.
    pub budget: Option<Duration>,
}

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
    subcommand: Subcommand,
) -> Result<Setup, Box<dyn Error>> {
    let mut takes_value = vec!["iterations", "rounds"];
    takes_value.extend_from_slice(value_flags);
    let flags = Flags::parse(args, &takes_value, &["pin"])?;
    let plan = Plan {
        rounds: flags.value("rounds", subcommand.rounds)?,
        iterations: flags.value("iterations", subcommand.iterations)?,
        budget: subcommand.budget.unwrap_or(Duration::MAX),
    };
    if plan.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    // Before anything else runs: children inherit the affinity.
    if let Some(cpu) = flags.switch("pin", 1)? {
        system::pin_to_cpu(cpu).map_err(|e| format!("pin to cpu {cpu}: {e}"))?;
    }
    let child = ChildProgram::create(subcommand.child)
        .map_err(|e| format!("create the child program: {e}"))?;
    println!("{} of {}", subcommand.operation, child.describe());
    println!("{}", system::describe()?);
    print!(
        "plan: {} rounds × {} operations per method, methods interleaved",
        plan.rounds, plan.iterations
    );
    match subcommand.budget {
        Some(budget) => println!(
            "; a method slower than {} s in all gets fewer operations per round (at least {})\n",
            budget.as_secs(),
            measure::MIN_ITERATIONS
        ),
        None => println!("\n"),
    }
    Ok(Setup { flags, plan, child })
}
