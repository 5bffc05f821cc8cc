use process_graph::prelude::*;

#[process_graph]
struct Twice {
    #[process(restart = "always", restart = "never")]
    server: Cmd,
}

fn main() {}
