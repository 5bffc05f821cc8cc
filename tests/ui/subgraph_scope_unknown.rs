use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
}

#[process_graph]
pub struct Site {
    #[scope(user, pid)]
    sandbox: Scope,
    #[subgraph(scope = sandbx)]
    db: Db,
    #[subgraph(scope = sandbox)]
    other: Db,
    #[children(scope = sandbox)]
    workers: Children<Db>,
    #[children(scope = sandbx)]
    others: Children<Db>,
}

fn main() {}
