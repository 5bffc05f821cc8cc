use process_graph::prelude::*;

#[process_graph(intensity)]
struct Keys {
    #[process]
    server: Cmd,
}

fn main() {}
