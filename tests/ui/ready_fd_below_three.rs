use process_graph::prelude::*;

#[process_graph]
struct Ready {
    #[process(ready = fd(1))]
    server: Cmd,
    #[process(ready = socket(3))]
    worker: Cmd,
}

fn main() {}
