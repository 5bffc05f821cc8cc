use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
}

#[process_graph]
pub struct Site {
    #[process(oneshot)]
    migrate: Cmd,
    #[process(after = [dv])]
    client: Cmd,
    #[subgraph(after = [migrat])]
    db: Db,
    #[subgraph(after = [db, db])]
    cache: Db,
}

fn main() {}
