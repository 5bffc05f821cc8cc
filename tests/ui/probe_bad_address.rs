use process_graph::prelude::*;

#[process_graph]
struct Service {
    // A name would need a (blocking) lookup.
    #[process(ready_probe(tcp = "db.internal:5432"))]
    db: Cmd,
    #[process(ready_probe(tcp = "127.0.0.1"))]
    no_port: Cmd,
    #[process(ready_probe(tcp = "127.0.0.1:70000"))]
    big_port: Cmd,
    #[process(live_probe(http = "https://127.0.0.1:8443/health"))]
    tls: Cmd,
    // A space would end the request line early.
    #[process(live_probe(http = "127.0.0.1:8080/a b"))]
    space: Cmd,
}

fn main() {}
