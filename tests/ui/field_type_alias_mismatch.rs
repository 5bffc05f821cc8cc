use process_graph::prelude::*;

// An alias the macro cannot see through: the compiler reports the
// mismatch at the field's type.
type Program = String;

#[process_graph]
struct Aliased {
    #[process]
    source: Program,
}

fn main() {}
