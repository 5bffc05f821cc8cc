use process_graph::prelude::*;

#[process_graph]
struct Prefixed {
    #[process(stdin = "prefixed", stdout = "prefixed")]
    server: Cmd,
}

fn main() {}
