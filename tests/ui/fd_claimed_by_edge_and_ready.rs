use process_graph::prelude::*;

#[process_graph]
struct Clash {
    #[process(ready = fd(3))]
    db: Cmd,
    #[socketpair(db.fd(3) <-> parent)]
    admin: SocketPair,
}

fn main() {}
