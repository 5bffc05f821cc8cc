use process_graph::prelude::*;

#[process_graph]
enum Choice {
    Left,
    Right,
}

fn main() {}
