//! The spawn plans of the examples, checked in: a change to what the
//! examples' children get (fd tables, order, namespaces, environment,
//! policies) shows up in review. `UPDATE_SNAPSHOTS=1 cargo test --test
//! example_plans` rewrites them.

#[allow(dead_code)]
#[path = "../examples/pipeline.rs"]
mod pipeline;
#[allow(dead_code)]
#[path = "../examples/sandbox.rs"]
mod sandbox;

use std::path::Path;

/// Compares `actual` with the snapshot file, or rewrites it on request.
pub fn check_snapshot(path: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert_eq!(
        expected,
        actual,
        "{} is stale; review the change and rerun with UPDATE_SNAPSHOTS=1",
        path.display()
    );
}

#[test]
fn pipeline_plan() {
    let plan = pipeline::pipeline().graph().plan().unwrap();
    check_snapshot("tests/snapshots/plans/pipeline.txt", &plan.to_string());
}

#[test]
fn sandbox_plan() {
    let plan = sandbox::sandbox().graph().plan().unwrap();
    check_snapshot("tests/snapshots/plans/sandbox.txt", &plan.to_string());
}

/// The README shows the sandbox example's diagram, as the macro draws it
/// into the rustdoc; this keeps the committed picture current.
#[test]
fn readme_diagram_is_current() {
    check_snapshot("docs/sandbox.svg", &sandbox::Sandbox::TOPOLOGY.to_svg());
}
