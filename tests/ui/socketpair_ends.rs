use process_graph::prelude::*;

#[process_graph]
struct Pairs {
    #[process]
    a: Cmd,
    #[process]
    b: Cmd,
    #[socketpair(a.fd(3), b.fd(3) <-> parent)]
    three: SocketPair,
    #[socketpair(<-> a.fd(4))]
    one: SocketPair,
}

fn main() {}
