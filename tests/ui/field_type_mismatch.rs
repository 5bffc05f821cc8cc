use process_graph::prelude::*;

#[process_graph]
struct Mixed {
    #[process]
    source: Pipe,
    #[pipe(source.stdout -> parent)]
    lines: Cmd,
    #[socketpair(source.fd(3) <-> parent)]
    control: Pipe,
    #[scope(user)]
    sandbox: SocketPair,
}

fn main() {}
