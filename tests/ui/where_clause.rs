use process_graph::prelude::*;

#[process_graph]
struct Bounded
where
    Cmd: Sized,
{
    #[process]
    server: Cmd,
}

fn main() {}
