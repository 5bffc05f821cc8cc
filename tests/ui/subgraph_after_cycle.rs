use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
}

#[process_graph]
pub struct Site {
    #[process(after = [db])]
    client: Cmd,
    #[subgraph(after = [client])]
    db: Db,
    #[subgraph(after = [cache])]
    cache: Db,
}

fn main() {}
