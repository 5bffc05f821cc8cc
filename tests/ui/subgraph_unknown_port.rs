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
    #[pipe(client.stdout -> db.querys)]
    feed: Pipe,
}

fn main() {}
