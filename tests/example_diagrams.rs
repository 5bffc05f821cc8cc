//! The examples' diagrams: the DOT export is accepted by the real Graphviz,
//! and the rustdoc the macro generates carries the SVG with every process,
//! scope and edge label. `.ci/run` installs Debian's graphviz.

mod common;

#[allow(dead_code)]
#[path = "../examples/custom_policy.rs"]
mod custom_policy;
#[allow(dead_code)]
#[path = "../examples/fan_in.rs"]
mod fan_in;
#[allow(dead_code)]
#[path = "../examples/parent_reads.rs"]
mod parent_reads;
#[allow(dead_code)]
#[path = "../examples/pipeline.rs"]
mod pipeline;
#[allow(dead_code)]
#[path = "../examples/sandbox.rs"]
mod sandbox;
#[allow(dead_code)]
#[path = "../examples/socketpairs.rs"]
mod socketpairs;
#[allow(dead_code)]
#[path = "../examples/supervision_tree.rs"]
mod supervision_tree;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use process_graph::Topology;

const EXAMPLES: [(&str, Topology); 7] = [
    ("custom_policy", custom_policy::Jobs::TOPOLOGY),
    ("fan_in", fan_in::FanIn::TOPOLOGY),
    ("parent_reads", parent_reads::Primes::TOPOLOGY),
    ("pipeline", pipeline::Pipeline::TOPOLOGY),
    ("sandbox", sandbox::Sandbox::TOPOLOGY),
    ("socketpairs", socketpairs::Sockets::TOPOLOGY),
    ("supervision_tree", supervision_tree::Site::TOPOLOGY),
];

#[test]
fn graphviz_accepts_every_example_graph() {
    if !common::installed("dot", "graphviz") {
        return;
    }
    for (example, topology) in EXAMPLES {
        let mut dot = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("graphviz's `dot` is installed (apt-get install graphviz)");
        dot.stdin
            .take()
            .unwrap()
            .write_all(topology.to_dot().as_bytes())
            .unwrap();
        let out = dot.wait_with_output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{example}: dot said {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Builds the sandbox example's docs and looks for the diagram. The build
/// shares this test's target dir, whose lock `cargo test` has released once
/// the tests run, so it reuses what is built (a dir of its own rebuilt syn
/// and every dependency: half a minute of CI). Another cargo on that dir
/// (an editor's, say) makes it wait, and says so on stderr.
#[test]
fn the_struct_docs_show_the_diagram() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    // `<target>/tmp`, whatever the target triple or the build dir's layout.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let status = Command::new(env!("CARGO"))
        .args([
            "doc",
            "--offline",
            "--no-deps",
            "--example",
            "sandbox",
            "--target-dir",
        ])
        .arg(target)
        .current_dir(manifest)
        .status()
        .unwrap();
    assert!(status.success(), "cargo doc --example sandbox failed");
    let page = std::fs::read_to_string(target.join("doc/sandbox/struct.Sandbox.html")).unwrap();
    let svg = &page[page
        .find("<svg")
        .expect("an inline <svg> in the struct's docs")..];
    let svg = &svg[..svg.find("</svg>").expect("the svg is closed")];
    for label in [
        "server",
        "client",
        "parent",
        "sandbox: user, pid, net, uts",
        "result",
        "stdout → parent",
    ] {
        assert!(svg.contains(label), "the diagram lacks {label:?}");
    }
    assert!(
        page.contains("<table"),
        "the tables of processes, edges and scopes"
    );
}
