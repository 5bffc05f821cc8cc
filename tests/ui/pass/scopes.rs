//! Scopes, nested in either declaration order.

use process_graph::prelude::*;

#[process_graph]
struct Sandboxes {
    #[scope(pid, mount, parent = outer)]
    inner: Scope,
    #[scope(user, net, uts, ipc, hostname = "sandbox")]
    outer: Scope,
    #[process(scope = inner)]
    server: Cmd,
    #[process(scope = outer)]
    client: Cmd,
    #[process]
    host: Cmd,
}

fn main() {
    let graph = Sandboxes {
        inner: Scope::new(),
        outer: Scope::new().uid(1000),
        server: Cmd::new("true"),
        client: Cmd::new("true"),
        host: Cmd::new("true"),
    };
    assert_eq!(Sandboxes::TOPOLOGY.scopes[0].parent, Some(1));
    let _ = graph.graph();
}
