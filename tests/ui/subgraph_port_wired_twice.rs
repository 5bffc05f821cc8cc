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
    #[process]
    audit: Cmd,
    #[subgraph]
    db: Db,
    #[pipe(db.results -> client.stdin)]
    answers: Pipe,
    // `results` is one pipe, already read by `client`.
    #[pipe(db.results -> audit.stdin)]
    copy: Pipe,
}

fn main() {}
