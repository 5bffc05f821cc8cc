use process_graph::prelude::*;

#[process_graph]
struct Pool {
    #[process(replicas = 5000)]
    worker: Cmd,
    #[process(replicas = -1)]
    helper: Cmd,
}

fn main() {}
