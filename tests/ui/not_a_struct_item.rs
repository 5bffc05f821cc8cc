use process_graph::prelude::*;

#[process_graph]
fn pipeline() {}

fn main() {}
