use process_graph::prelude::*;

#[process_graph]
struct Service {
    #[process(live_probe(tcp = "127.0.0.1:80", period = "0s", timeout = "1x"))]
    zero_period: Cmd,
    #[process(live_probe(exec = [], failure_threshold = 0))]
    empty_command: Cmd,
    #[process(live_probe(log = "listening"))]
    log_liveness: Cmd,
    #[process(ready_probe(log = ""))]
    empty_text: Cmd,
    #[process(ready_probe(tcp = "127.0.0.1:80", failure_threshold = 2))]
    threshold_on_readiness: Cmd,
    #[process(ready_probe(tcp = "127.0.0.1:80", http = "127.0.0.1:80/"))]
    two_checks: Cmd,
    #[process(ready_probe(period = "1s"))]
    no_check: Cmd,
    #[process(ready_probe(tcpp = "127.0.0.1:80"))]
    unknown_key: Cmd,
    #[process(live_probe = "tcp")]
    not_a_list: Cmd,
    // Nothing left to read the line from.
    #[process(ready_probe(log = "ready"), stderr = "null")]
    unwatched: Cmd,
    #[pipe(unwatched.stdout -> parent)]
    out: Pipe,
}

fn main() {}
