use process_graph::prelude::*;

#[process_graph]
struct Nested {
    #[scope(user, parent = b)]
    a: Scope,
    #[scope(pid, parent = a)]
    b: Scope,
    #[process(scope = a)]
    server: Cmd,
}

fn main() {}
