use process_graph::prelude::*;

#[process_graph]
struct Forgotten {
    #[scope(user, net)]
    sandbox: Scope,
    // Used: a scope is nested in it.
    #[scope(user, pid)]
    outer: Scope,
    #[scope(net, parent = outer)]
    inner: Scope,
    #[process(scope = inner)]
    server: Cmd,
    #[process]
    client: Cmd,
}

fn main() {}
