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
    #[process]
    client: Cmd,
    #[subgraph]
    db: Db,
    // The port's end is the application's when it is left unwired.
    #[pipe(db.results, parent -> client.stdin)]
    answers: Pipe,
}

fn main() {}
