use process_graph::prelude::*;

#[process_graph]
struct Clash {
    #[process]
    server: Cmd,
    #[socketpair(server.fd(3) <-> parent)]
    control: SocketPair,
    #[pipe(server.fd(3) -> parent)]
    log: Pipe,
}

fn main() {}
