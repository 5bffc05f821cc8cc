use process_graph::prelude::*;

#[process_graph(stratgy = "one_for_all")]
struct Keys {
    #[process]
    server: Cmd,
}

fn main() {}
