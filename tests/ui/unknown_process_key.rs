use process_graph::prelude::*;

#[process_graph]
struct Keys {
    #[process(restrat = "always", stop_timout = "1s")]
    server: Cmd,
}

fn main() {}
