use process_graph::prelude::*;

#[process_graph(period = "0s")]
struct Durations {
    #[process(stop_timeout = "3 seconds", ready_timeout = "1.5s")]
    server: Cmd,
    #[process(backoff = "100ms", restart = "always")]
    worker: Cmd,
    #[process(backoff = "1m..10s")]
    helper: Cmd,
}

fn main() {}
