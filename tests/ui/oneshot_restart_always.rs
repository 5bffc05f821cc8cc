use process_graph::prelude::*;

#[process_graph]
struct Database {
    // Done when it exits 0: restarting it always would run it forever.
    #[process(oneshot, restart = "always")]
    migrate: Cmd,
    #[process(after = [migrate])]
    server: Cmd,
}

fn main() {}
