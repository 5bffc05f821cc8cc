use process_graph::prelude::*;

#[process_graph]
pub struct Db {
    #[process]
    primary: Cmd,
    #[pipe(parent -> primary.stdin)]
    queries: Pipe,
    #[pipe(primary.stdout -> parent)]
    results: Pipe,
    #[socketpair(primary.fd(3) <-> parent)]
    control: SocketPair,
}

#[process_graph]
pub struct Site {
    #[subgraph]
    db: Db,
    #[subgraph]
    cache: Db,
    #[subgraph]
    log: Db,
    #[subgraph]
    queue: Db,
    #[subgraph]
    mirror: Db,
    #[subgraph]
    backup: Db,
    // Fits: an output into an input, a socketpair end to a socketpair end.
    #[pipe(db.results -> cache.queries)]
    fits: Pipe,
    #[socketpair(db.control <-> cache.control)]
    talk: SocketPair,
    // `queries` goes into `log`: it cannot feed another port.
    #[pipe(log.queries -> queue.queries)]
    from_an_input: Pipe,
    // `results` comes out of `queue`: nothing can be written into it.
    #[pipe(log.results -> queue.results)]
    into_an_output: Pipe,
    // A socketpair end joins a socketpair end, not a pipe.
    #[socketpair(mirror.control <-> backup.results)]
    socket_to_pipe: SocketPair,
    #[pipe(backup.control -> mirror.queries)]
    pipe_from_socket: Pipe,
}

fn main() {}
