use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
    #[pipe(parent -> primary.stdin)]
    queries: Pipe,
}

#[process_graph]
pub struct Site {
    #[process]
    client: Cmd,
    #[subgraph]
    db: Cmd,
    #[pipe(client.stdout -> db.queries)]
    feed: Pipe,
    #[children]
    workers: Children<Pipe>,
    #[subgraph]
    pool: Children<Db>,
}

fn main() {}
