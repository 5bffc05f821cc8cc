use process_graph::prelude::*;

#[process_graph]
struct Double {
    #[process]
    #[process(restart = "always")]
    server: Cmd,
    #[pipe(server.stdout -> parent)]
    #[socketpair(server.fd(3) <-> parent)]
    both: Pipe,
}

fn main() {}
