use process_graph::prelude::*;

#[process_graph]
struct Tuple(#[process] Cmd, #[process] Cmd);

fn main() {}
