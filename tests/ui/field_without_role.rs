use process_graph::prelude::*;

#[process_graph]
struct Forgotten {
    #[process]
    source: Cmd,
    sink: Cmd,
}

fn main() {}
