use process_graph::prelude::*;

#[process_graph]
struct Signals {
    #[process(stop_signal = "SIGTREM")]
    server: Cmd,
    #[process(stop_signal = "nonsense")]
    worker: Cmd,
    // Not "SIGFPE": names are compared without their common `SIG`.
    #[process(stop_signal = "SIGFOO")]
    helper: Cmd,
}

fn main() {}
