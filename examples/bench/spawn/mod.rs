//! The spawn benchmarks: `bench spawn` compares process-graph with every
//! other way of starting a process; `bench spawn-overhead` takes apart
//! process-graph's time over the floor.

mod compare;
mod methods;
mod overhead;

use std::time::Duration;

use crate::child_elf::Behaviour;
use crate::setup::Subcommand;

pub use compare::run as compare;
pub use overhead::run as overhead;

/// Both spawn subcommands measure the same operation the same way.
const SPAWN: Subcommand = Subcommand {
    operation: "spawn + reap",
    child: Behaviour::Exit0,
    rounds: 7,
    iterations: 500,
    budget: Some(Duration::from_secs(8)),
};
