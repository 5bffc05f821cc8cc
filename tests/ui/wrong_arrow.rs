use process_graph::prelude::*;

#[process_graph]
struct Arrows {
    #[process]
    a: Cmd,
    #[pipe(a.stdout <-> parent)]
    two_way_pipe: Pipe,
    #[socketpair(a.fd(3) -> parent)]
    one_way_socket: SocketPair,
}

fn main() {}
