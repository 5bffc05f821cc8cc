use process_graph::prelude::*;

#[process_graph]
struct Typo {
    #[process]
    filter: Cmd,
    #[pipe(fliter.stdout -> parent)]
    out: Pipe,
}

fn main() {}
