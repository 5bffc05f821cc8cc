use process_graph::prelude::*;

#[process_graph]
struct Signals {
    #[process(stop_signal = "SIGTREM")]
    server: Cmd,
    #[process(stop_signal = "nonsense")]
    worker: Cmd,
}

fn main() {}
