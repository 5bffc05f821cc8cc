//! Two nodes, or one node's two streams, write one rotating file, as the
//! README shows. A line longer than `Line::MAX_LINE` is cut; another
//! stream's line comes after its first piece and before its end. Each
//! writer waits for the other's bytes in the file, so the order is certain.
//!
//! The guarantee (README, "Output"): no two lines are merged, and rotation
//! never splits a line across files. Found by a red-team pass (stop 34):
//! before, the other line was appended to the long line's first piece (one
//! line of 65,548 bytes ending `…AAAAhello-from-B`), and the long line's
//! rest could go to a new file, the rotation rule being kept per file, not
//! per stream.

mod common;

use std::path::Path;

use process_graph_runtime::{Command, Graph, Line, RotatingFile, Sink, Stdio};

/// Waits until the file `$1` holds at least one piece of a cut line (10 s
/// at most: a test that fails must not hang).
const UNTIL_A_PIECE: &str = "i=0; until [ \"$(stat -c %s \"$1\")\" -ge 65536 ] || [ $i -ge 1000 ]; \
                             do sleep 0.01; i=$((i+1)); done";

/// `long` bytes of `A`, then, once `other` is a line of the file `$1` (or
/// after 10 s), `rest` and a newline: one line of one stream.
fn long_line(long: usize, other: &str, rest: &str) -> String {
    format!(
        "head -c {long} /dev/zero | tr '\\0' A; \
         i=0; until grep -qx '{other}' \"$1\" || [ $i -ge 1000 ]; \
         do sleep 0.01; i=$((i+1)); done; \
         printf '%s\\n' '{rest}'"
    )
}

/// `script`, given the log's path as `$1`.
fn shell(script: &str, log: &Path) -> Command {
    Command::new("sh").args(["-c", script, "sh", log.to_str().unwrap()])
}

fn sink(file: &RotatingFile) -> Stdio {
    Stdio::Sink(Sink::file(file.clone()))
}

/// The lines of `text`, the last (empty) one after the final newline
/// included.
fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn a_times(n: usize, then: &str) -> Vec<u8> {
    let mut line = vec![b'A'; n];
    line.extend_from_slice(then.as_bytes());
    line
}

#[test]
fn another_nodes_line_is_never_merged_into_a_cut_line() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "another_nodes_line_is_never_merged_into_a_cut_line",
        another_nodes_line_is_never_merged_into_a_cut_line_as_this_user,
    );
}

fn another_nodes_line_is_never_merged_into_a_cut_line_as_this_user() {
    let dir = common::TempDir::new("shared-file-merge");
    let log = dir.path().join("shared.log");
    let file = RotatingFile::new(&log).max_bytes(1 << 20).keep(2);
    let mut graph = Graph::new();
    let a = long_line(Line::MAX_LINE + 100, "hello-from-B", "its-end");
    graph.node("a", shell(&a, &log).stdout(sink(&file)));
    let b = format!("{UNTIL_A_PIECE}; echo hello-from-B");
    graph.node("b", shell(&b, &log).stdout(sink(&file)));
    graph.spawn().unwrap().wait().unwrap();
    // A's first piece, ended where B's line came; B's line; A's rest.
    let expected = [
        a_times(Line::MAX_LINE, ""),
        b"hello-from-B".to_vec(),
        a_times(100, "its-end"),
        Vec::new(),
    ];
    assert_eq!(lines(&std::fs::read(&log).unwrap()), expected);
}

#[test]
fn a_nodes_stderr_line_is_never_merged_into_its_cut_stdout_line() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_nodes_stderr_line_is_never_merged_into_its_cut_stdout_line",
        a_nodes_stderr_line_is_never_merged_into_its_cut_stdout_line_as_this_user,
    );
}

fn a_nodes_stderr_line_is_never_merged_into_its_cut_stdout_line_as_this_user() {
    let dir = common::TempDir::new("shared-file-streams");
    let log = dir.path().join("shared.log");
    let file = RotatingFile::new(&log).max_bytes(1 << 20).keep(2);
    let mut graph = Graph::new();
    let script = format!(
        "( {UNTIL_A_PIECE}; echo from-stderr >&2 ) & {}",
        long_line(Line::MAX_LINE + 100, "from-stderr", "its-end")
    );
    graph.node(
        "a",
        shell(&script, &log).stdout(sink(&file)).stderr(sink(&file)),
    );
    graph.spawn().unwrap().wait().unwrap();
    let expected = [
        a_times(Line::MAX_LINE, ""),
        b"from-stderr".to_vec(),
        a_times(100, "its-end"),
        Vec::new(),
    ];
    assert_eq!(lines(&std::fs::read(&log).unwrap()), expected);
}

#[test]
fn a_cut_line_is_never_split_across_files_by_another_nodes_line() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_cut_line_is_never_split_across_files_by_another_nodes_line",
        a_cut_line_is_never_split_across_files_by_another_nodes_line_as_this_user,
    );
}

fn a_cut_line_is_never_split_across_files_by_another_nodes_line_as_this_user() {
    let dir = common::TempDir::new("shared-file-split");
    let log = dir.path().join("shared.log");
    // Room for A's first piece and B's line, not for A's rest.
    let file = RotatingFile::new(&log)
        .max_bytes(Line::MAX_LINE as u64 + 1000)
        .keep(3);
    let mut graph = Graph::new();
    let rest = "a".repeat(2000);
    let a = long_line(Line::MAX_LINE + 10, "B", &rest);
    graph.node("a", shell(&a, &log).stdout(sink(&file)));
    let b = format!("{UNTIL_A_PIECE}; echo B");
    graph.node("b", shell(&b, &log).stdout(sink(&file)));
    graph.spawn().unwrap().wait().unwrap();
    let files: Vec<(&str, Vec<u8>)> = ["shared.log", "shared.log.1", "shared.log.2"]
        .into_iter()
        .filter_map(|name| Some((name, std::fs::read(dir.path().join(name)).ok()?)))
        .collect();
    let count = |byte: u8| -> usize {
        let in_files = files
            .iter()
            .map(|(_, text)| text.iter().filter(|&&b| b == byte).count());
        in_files.sum()
    };
    assert_eq!(
        (count(b'A'), count(b'a')),
        (Line::MAX_LINE + 10, 2000),
        "every byte of A's line"
    );
    let holding_a: Vec<&str> = (files.iter())
        .filter(|(_, text)| text.iter().any(|&b| b == b'A' || b == b'a'))
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(holding_a.len(), 1, "A's line is in {holding_a:?}");
}
