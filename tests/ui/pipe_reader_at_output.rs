use process_graph::prelude::*;

#[process_graph]
struct Backwards {
    #[process]
    a: Cmd,
    #[process]
    b: Cmd,
    #[pipe(a.stdout -> b.stdout)]
    into_stdout: Pipe,
    #[pipe(a.stderr -> b.stderr)]
    into_stderr: Pipe,
}

fn main() {}
