use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
    #[pipe(parent -> primary.stdin)]
    queries: Pipe,
    #[pipe(primary.stdout -> parent)]
    results: Pipe,
}

#[process_graph]
pub struct Site {
    #[process]
    client: Cmd,
    #[subgraph]
    db: Db,
    // `results` comes out of `db`: it can only be read.
    #[pipe(client.stdout -> db.results)]
    feed: Pipe,
}

fn main() {}
