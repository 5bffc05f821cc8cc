use process_graph::prelude::*;

#[process_graph]
struct Loop {
    #[process]
    a: Cmd,
    #[process]
    b: Cmd,
    // `a` would never see EOF on its stdin: it holds the write end itself.
    #[pipe(a.stdout -> a.stdin)]
    back: Pipe,
    #[pipe(a.fd(3), b.stdout -> b.fd(4))]
    merged: Pipe,
    // A socketpair between two fds of one process is fine.
    #[socketpair(a.fd(5) <-> a.fd(6))]
    pair: SocketPair,
}

fn main() {}
