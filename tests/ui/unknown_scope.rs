use process_graph::prelude::*;

#[process_graph]
struct Sandboxed {
    #[scope(user, net)]
    sandbox: Scope,
    #[process(scope = sandbx)]
    server: Cmd,
    #[scope(user, pid, parent = outer)]
    inner: Scope,
}

fn main() {}
