use process_graph::prelude::*;

#[process_graph]
struct Clash {
    #[process]
    source: Cmd,
    #[process(stdin = "null")]
    sink: Cmd,
    #[pipe(source.stdout -> sink.stdin)]
    lines: Pipe,
}

fn main() {}
