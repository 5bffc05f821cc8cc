use process_graph::prelude::*;

#[process_graph]
struct Sandbox {
    #[scope(user, nett, cgroup)]
    sandbox: Scope,
    #[process(scope = sandbox)]
    server: Cmd,
}

fn main() {}
