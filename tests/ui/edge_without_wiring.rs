use process_graph::prelude::*;

// Each incomplete edge is reported at the edge, not at #[process_graph].
#[process_graph]
struct Unwired {
    #[process]
    a: Cmd,
    #[pipe()]
    empty: Pipe,
    #[pipe(a.stdout)]
    no_arrow: Pipe,
    #[socketpair(a.fd(3))]
    one_end: SocketPair,
}

fn main() {}
