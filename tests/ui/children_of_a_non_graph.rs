use process_graph::prelude::*;

#[process_graph]
pub struct Pool {
    #[process]
    dispatcher: Cmd,
    #[children]
    workers: Children<Cmd>,
}

fn main() {}
