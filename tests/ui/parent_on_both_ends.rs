use process_graph::prelude::*;

#[process_graph]
struct Loopback {
    #[process]
    idle: Cmd,
    #[pipe(parent -> parent)]
    to_self: Pipe,
    #[socketpair(parent <-> parent)]
    chat: SocketPair,
}

fn main() {}
