//! The compile-time checks of `#[process_graph]` (one compile-fail case per
//! rule, each with the expected diagnostics in its `.stderr`), the pass
//! cases for every feature, and a generated 50-node graph.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test
//! macro_ui`, then review the diff: each error must point at the user's
//! token, not at the macro call.

use std::fmt::Write as _;
use std::path::PathBuf;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
    // `stdout = "tracing"` is checked against the facade's features.
    if cfg!(feature = "tracing") {
        cases.pass("tests/ui/features/tracing_*.rs");
    } else {
        cases.compile_fail("tests/ui/features/tracing_*.rs");
    }
    cases.pass(write_large_graph(50));
}

/// A chain of `nodes` processes, each piping into the next, with a
/// socketpair to the parent every tenth node; the last one's output goes to
/// the parent.
fn write_large_graph(nodes: usize) -> PathBuf {
    let mut src =
        String::from("use process_graph::prelude::*;\n\n#[process_graph]\nstruct Large {\n");
    for i in 0..nodes {
        let after = if i > 0 {
            format!("after = [n{}]", i - 1)
        } else {
            String::new()
        };
        writeln!(src, "    #[process({after})]\n    n{i}: Cmd,").unwrap();
    }
    for i in 1..nodes {
        writeln!(
            src,
            "    #[pipe(n{}.stdout -> n{i}.stdin)]\n    p{i}: Pipe,",
            i - 1
        )
        .unwrap();
    }
    for i in (0..nodes).step_by(10) {
        writeln!(
            src,
            "    #[socketpair(n{i}.fd(3) <-> parent)]\n    s{i}: SocketPair,"
        )
        .unwrap();
    }
    writeln!(
        src,
        "    #[pipe(n{}.stdout -> parent)]\n    out: Pipe,\n}}\n",
        nodes - 1
    )
    .unwrap();
    let commands = vec!["Cmd::new(\"true\")"; nodes].join(", ");
    writeln!(
        src,
        "fn main() {{\n    assert_eq!(LargeNode::ALL.len(), {nodes});\n    \
         assert_eq!(Large::TOPOLOGY.edges.len(), {});\n    \
         Large::new({commands}).graph().validate().unwrap();\n    \
         let _spawn: fn(Large) -> Result<RunningLarge, process_graph::Error> = Large::spawn;\n}}",
        nodes + nodes.div_ceil(10)
    )
    .unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("large_graph_{nodes}.rs"));
    std::fs::write(&path, src).unwrap();
    path
}
