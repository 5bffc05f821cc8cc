use process_graph::prelude::*;

#[process_graph]
struct Service {
    // Two sources of readiness: which one would count?
    #[process(ready = fd(3), ready_probe(tcp = "127.0.0.1:8080"))]
    server: Cmd,
    // A liveness probe goes with any readiness: no error here.
    #[process(ready = "notify", live_probe(tcp = "127.0.0.1:8081"))]
    cache: Cmd,
    // A one-shot job is ready when it exits 0.
    #[process(oneshot, ready_probe(exec = ["test", "-e", "/tmp/done"]))]
    setup: Cmd,
}

fn main() {}
