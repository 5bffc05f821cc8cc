use process_graph::prelude::*;

#[process_graph]
struct Pool {
    #[process]
    source: Cmd,
    #[process(replicas = 4)]
    worker: Cmd,
    #[process]
    peer: Cmd,
    // A pipe has one reader: the source cannot feed four.
    #[pipe(source.stdout -> worker.stdin)]
    jobs: Pipe,
    // A socketpair has one end per side.
    #[socketpair(peer.fd(3) <-> worker.fd(3))]
    control: SocketPair,
}

fn main() {}
