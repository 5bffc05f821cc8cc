use process_graph::prelude::*;

#[process_graph]
struct Pool {
    #[process(replicas = 0)]
    worker: Cmd,
}

fn main() {}
