use process_graph::prelude::*;

#[process_graph]
struct Web {
    #[process(listen = [http = "tcp:localhost:8080", admin = "unix:run/web.sock"])]
    server: Cmd,
}

fn main() {}
