use process_graph::prelude::*;

#[process_graph]
struct Sandbox {
    #[scope(user, net, hostname = "box")]
    sandbox: Scope,
    #[process(scope = sandbox)]
    server: Cmd,
}

fn main() {}
