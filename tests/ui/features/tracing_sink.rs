use process_graph::prelude::*;

#[process_graph]
struct Traced {
    #[process(stdout = "tracing")]
    server: Cmd,
}

fn main() {}
