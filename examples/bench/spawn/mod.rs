//! The spawn benchmarks: `bench spawn` compares process-graph with every
//! other way of starting a process; `bench spawn-overhead` takes apart
//! process-graph's time over the floor.

mod compare;
mod exec_args;
mod floor;
mod methods;
mod overhead;
mod setup;

pub use compare::run as compare;
pub use overhead::run as overhead;
