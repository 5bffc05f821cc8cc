use process_graph::prelude::*;

#[process_graph]
struct Twice {
    #[process]
    source: Cmd,
    #[process]
    sink: Cmd,
    #[pipe(source.stdout, source.stdout -> sink.stdin)]
    lines: Pipe,
}

fn main() {}
