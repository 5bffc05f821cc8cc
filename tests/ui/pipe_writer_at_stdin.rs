use process_graph::prelude::*;

#[process_graph]
struct Backwards {
    #[process]
    a: Cmd,
    #[process]
    b: Cmd,
    #[pipe(a.stdin -> b.stdin)]
    wrong: Pipe,
}

fn main() {}
