use process_graph::prelude::*;

#[process_graph]
struct Service {
    // WATCHDOG=1 arrives on $NOTIFY_SOCKET, which only `ready = "notify"` gives.
    #[process(ready = fd(3), watchdog = "10s", notify_access = "all")]
    server: Cmd,
    // Zero would mean aborting it at once.
    #[process(ready = "notify", watchdog = "0s")]
    worker: Cmd,
}

fn main() {}
