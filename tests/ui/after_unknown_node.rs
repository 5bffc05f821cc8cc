use process_graph::prelude::*;

#[process_graph]
struct Order {
    #[process]
    database: Cmd,
    #[process(after = [databse, cache])]
    server: Cmd,
}

fn main() {}
