use process_graph::prelude::*;

#[process_graph]
struct NoWriter {
    #[process]
    sink: Cmd,
    #[pipe(-> sink.stdin)]
    input: Pipe,
}

fn main() {}
