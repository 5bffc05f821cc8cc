use process_graph::prelude::*;

#[process_graph(strategy = "one_for_everyone")]
struct Policies {
    #[process(restart = "on_failure", stdout = "quiet")]
    server: Cmd,
    #[process(ready = "systemd")]
    worker: Cmd,
}

fn main() {}
