use process_graph::prelude::*;

#[process_graph]
struct Reserved {
    #[process]
    parent: Cmd,
    #[process]
    wait: Cmd,
    #[process]
    outcome: Cmd,
    #[process]
    wait_async: Cmd,
    #[process]
    #[allow(non_snake_case)]
    COUNT: Cmd,
    #[pipe(wait.stdout -> parent)]
    running: Pipe,
}

fn main() {}
