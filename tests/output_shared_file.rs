//! Two nodes (or one node's two streams) write one rotating file, as the
//! README shows. A node writes a line longer than `Line::MAX_LINE` and
//! pauses before its end; the other node writes a line meanwhile.
//!
//! The guarantee (README, "Output"): no two lines are merged, and rotation
//! never splits a line across files. Found by a red-team pass (stop 34):
//! before, the other node's line was appended to the long line's first
//! piece (one line of 65,548 bytes ending `…AAAAhello-from-B`), and the
//! long line's rest went to a new file, the rotation rule being kept per
//! file, not per stream.

mod common;

use process_graph_runtime::{Command, Graph, Line, RotatingFile, Sink, Stdio};

/// `long` bytes of `A`, a pause, then `rest` and a newline: one line.
fn long_line(long: usize, rest: &str) -> String {
    format!("head -c {long} /dev/zero | tr '\\0' A; sleep 1; printf '%s\\n' '{rest}'")
}

fn into(file: &RotatingFile, script: &str) -> Command {
    Command::new("sh")
        .args(["-c", script])
        .stdout(Stdio::Sink(Sink::file(file.clone())))
}

#[test]
fn another_nodes_line_is_never_merged_into_a_cut_line() {
    let _serial = common::serial();
    let dir = common::TempDir::new("shared-file-merge");
    let log = dir.path().join("shared.log");
    let file = RotatingFile::new(&log).max_bytes(1 << 20).keep(2);
    let mut graph = Graph::new();
    graph.node(
        "a",
        into(&file, &long_line(Line::MAX_LINE + 100, "its-end")),
    );
    graph.node("b", into(&file, "sleep 0.5; echo hello-from-B"));
    graph.spawn().unwrap().wait().unwrap();
    let text = std::fs::read(&log).unwrap();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    assert!(
        lines.contains(&&b"hello-from-B"[..]),
        "B's line is not a line of its own: {:?}",
        lines.iter().map(|l| l.len()).collect::<Vec<_>>()
    );
    // A's line: its first piece, ended where B's line came, then its rest.
    let a: usize = text.iter().filter(|&&b| b == b'A').count();
    assert_eq!(a, Line::MAX_LINE + 100, "A's bytes");
    assert!(lines.iter().any(|l| l.ends_with(b"its-end")));
}

#[test]
fn a_cut_line_is_never_split_across_files_by_another_nodes_line() {
    let _serial = common::serial();
    let dir = common::TempDir::new("shared-file-split");
    let log = dir.path().join("shared.log");
    // Room for A's first piece and B's line, not for A's rest.
    let file = RotatingFile::new(&log)
        .max_bytes(Line::MAX_LINE as u64 + 1000)
        .keep(3);
    let mut graph = Graph::new();
    let rest = "a".repeat(2000);
    graph.node("a", into(&file, &long_line(Line::MAX_LINE + 10, &rest)));
    graph.node("b", into(&file, "sleep 0.5; echo B"));
    graph.spawn().unwrap().wait().unwrap();
    let holding_a: Vec<&str> = ["shared.log", "shared.log.1", "shared.log.2"]
        .into_iter()
        .filter(|name| {
            std::fs::read(dir.path().join(name))
                .is_ok_and(|text| text.iter().any(|&b| b == b'A' || b == b'a'))
        })
        .collect();
    assert_eq!(holding_a.len(), 1, "A's line is in {holding_a:?}");
}
