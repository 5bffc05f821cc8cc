use process_graph::prelude::*;

#[process_graph]
struct Reserved {
    #[process]
    parent: Cmd,
    #[process]
    wait: Cmd,
    #[process]
    outcome: Cmd,
    #[pipe(wait.stdout -> parent)]
    running: Pipe,
}

fn main() {}
