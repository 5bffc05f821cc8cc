//! A graph without processes is valid, if useless.

use process_graph::prelude::*;

#[process_graph]
struct Empty {}

fn main() {
    assert!(EmptyNode::ALL.is_empty());
    let report = Empty::new().spawn().and_then(|mut running| running.wait());
    assert!(report.is_ok_and(|r| r.success()));
}
