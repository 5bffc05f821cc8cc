use process_graph::prelude::*;

#[process_graph]
struct Clash {
    #[process(terminal)]
    shell: Cmd,
    #[process(stdout = "null", terminal)]
    quiet: Cmd,
    #[process(terminal, stderr = "inherit")]
    loud: Cmd,
    #[process(terminal = "yes")]
    valued: Cmd,
    #[pipe(shell.stdout -> parent)]
    screen: Pipe,
}

fn main() {}
