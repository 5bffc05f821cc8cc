use process_graph::prelude::*;

#[process_graph]
struct Database {
    // A one-shot job is ready when it exits 0: it has no protocol to say so.
    #[process(oneshot, ready = "notify")]
    migrate: Cmd,
    #[process(after = [migrate])]
    server: Cmd,
}

fn main() {}
