use process_graph::prelude::*;

#[process_graph]
pub struct Worker {
    #[process]
    work: Cmd,
}

#[process_graph]
pub struct Pool {
    #[process(after = [workers])]
    dispatcher: Cmd,
    #[children]
    workers: Children<Worker>,
    #[children]
    helpers: Vec<Worker>,
    #[children(on_failure = "retry")]
    spares: Children<Worker>,
    #[pipe(dispatcher.stdout -> workers.stdin)]
    jobs: Pipe,
    #[process]
    add_workers: Cmd,
}

fn main() {}
