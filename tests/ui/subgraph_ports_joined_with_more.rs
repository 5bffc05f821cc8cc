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
    #[subgraph]
    cache: Db,
    #[subgraph]
    log: Db,
    // Two ports joined: the edge has nothing else.
    #[pipe(db.results, client.stdout -> cache.queries)]
    with_a_process: Pipe,
    // Two ports' edges cannot end in one reader.
    #[pipe(cache.results, log.results -> client.stdin)]
    two_on_one_side: Pipe,
}

fn main() {}
