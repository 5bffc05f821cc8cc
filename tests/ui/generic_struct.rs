use process_graph::prelude::*;

#[process_graph]
struct Generic<T> {
    #[process]
    server: Cmd,
    extra: T,
}

fn main() {}
