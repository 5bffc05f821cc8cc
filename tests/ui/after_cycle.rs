use process_graph::prelude::*;

#[process_graph]
struct Circular {
    #[process(after = [c])]
    a: Cmd,
    #[process(after = [a])]
    b: Cmd,
    #[process(after = [b])]
    c: Cmd,
    #[process(after = [lonely])]
    lonely: Cmd,
}

fn main() {}
