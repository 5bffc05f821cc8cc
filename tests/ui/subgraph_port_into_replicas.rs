use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
    #[pipe(primary.stdout -> parent)]
    results: Pipe,
}

#[process_graph]
pub struct Site {
    #[process(replicas = 2)]
    worker: Cmd,
    #[subgraph]
    db: Db,
    // What comes through a port comes from the subgraph's processes, not
    // from the application: replicas cannot share it.
    #[pipe(db.results -> worker.stdin)]
    answers: Pipe,
}

fn main() {}
