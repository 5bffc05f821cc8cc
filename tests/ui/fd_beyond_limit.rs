use process_graph::prelude::*;

// The runtime's limit (MAX_FD, 2^20), checked at compile time too.
#[process_graph]
struct Huge {
    #[process(ready = fd(2000000))]
    a: Cmd,
    #[process]
    b: Cmd,
    #[pipe(a.fd(1048576) -> b.stdin)]
    wide: Pipe,
    #[pipe(a.stdout -> b.fd(1048575))]
    widest: Pipe,
}

fn main() {}
