use process_graph::prelude::*;

#[process_graph]
struct Service {
    // Ready at exec: the timeout could never apply.
    #[process(ready_timeout = "5s")]
    server: Cmd,
}

fn main() {}
