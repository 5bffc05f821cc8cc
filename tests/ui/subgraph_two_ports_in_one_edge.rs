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
    #[subgraph]
    db: Db,
    #[subgraph]
    cache: Db,
    #[pipe(db.results -> cache.queries)]
    feed: Pipe,
}

fn main() {}
