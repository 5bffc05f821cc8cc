use process_graph::prelude::*;

#[process_graph]
struct Fds {
    #[process]
    server: Cmd,
    #[pipe(server.fd(-1) -> parent)]
    negative: Pipe,
    #[pipe(server.fd(x) -> parent)]
    not_a_number: Pipe,
    #[pipe(server.fd(1) -> parent)]
    stdout_by_number: Pipe,
    #[pipe(server.fd(3u8) -> parent)]
    suffixed: Pipe,
    #[pipe(server.fd(99999999999) -> parent)]
    too_large: Pipe,
    #[pipe(server.stdot -> parent)]
    unknown_stream: Pipe,
}

fn main() {}
