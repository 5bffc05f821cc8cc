use process_graph::prelude::*;

#[process_graph]
struct Tee {
    #[process]
    source: Cmd,
    #[process]
    left: Cmd,
    #[process]
    right: Cmd,
    #[pipe(source.stdout -> left.stdin, right.stdin)]
    split: Pipe,
}

fn main() {}
