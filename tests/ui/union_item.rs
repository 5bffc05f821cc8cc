use process_graph::prelude::*;

#[process_graph]
union Overlap {
    a: u32,
    b: f32,
}

fn main() {}
