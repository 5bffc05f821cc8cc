use process_graph::prelude::*;

#[process_graph]
struct Clash {
    #[process(listen = [http = "tcp:127.0.0.1:8080"])]
    server: Cmd,
    #[socketpair(server.fd(3) <-> parent)]
    admin: SocketPair,
}

fn main() {}
