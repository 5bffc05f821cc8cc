use process_graph::prelude::*;

#[process_graph]
pub struct Worker {
    #[process]
    work: Cmd,
}

#[process_graph]
pub struct Pool {
    #[process(after = [workers])]
    dispatcher: Cmd,
    #[children(after = [dispatcher])]
    workers: Children<Worker>,
    #[subgraph(after = [workers])]
    spare: Worker,
}

fn main() {}
