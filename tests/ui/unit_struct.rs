use process_graph::prelude::*;

#[process_graph]
struct Nothing;

fn main() {}
