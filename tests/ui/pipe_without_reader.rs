use process_graph::prelude::*;

#[process_graph]
struct NoReader {
    #[process]
    source: Cmd,
    #[pipe(source.stdout ->)]
    output: Pipe,
}

fn main() {}
