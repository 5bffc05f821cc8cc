use process_graph::prelude::*;

#[process_graph]
struct Sandbox {
    #[scope()]
    empty: Scope,
    #[process(scope = empty)]
    server: Cmd,
}

fn main() {}
