use process_graph::prelude::*;

#[process_graph]
struct EdgeAsNode {
    #[process]
    source: Cmd,
    #[pipe(source.stdout -> parent)]
    lines: Pipe,
    #[pipe(lines.stdout -> parent)]
    again: Pipe,
}

fn main() {}
