use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
}

// The running handle holds each subgraph's port ends in a field named after
// it, beside its own running graph.
#[process_graph]
struct Reserved {
    #[subgraph]
    running: Db,
}

fn main() {}
