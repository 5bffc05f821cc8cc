use process_graph::prelude::*;

#[process_graph]
struct Conditional {
    #[process]
    always: Cmd,
    #[cfg(any())]
    #[process]
    never: Cmd,
}

fn main() {}
