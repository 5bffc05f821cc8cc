//! The generated API of `#[process_graph]`, exercised on real processes.

use std::io::{Read, Write};

use process_graph::prelude::*;

/// Count the lines of a log that mention an error.
#[process_graph]
struct ErrorCount {
    #[process]
    source: Cmd,
    #[process(after = [source])]
    filter: Cmd,
    #[process]
    count: Cmd,

    #[pipe(source.stdout -> filter.stdin)]
    lines: Pipe,
    #[pipe(filter.stdout -> count.stdin)]
    errors: Pipe,
    #[pipe(count.stdout -> parent)]
    total: Pipe,
}

#[test]
fn pipeline_output_reaches_the_parent() {
    let graph = ErrorCount::new(
        Cmd::new("printf").arg("ok\nerror: disk\nok\nerror: net\n"),
        Cmd::new("grep").arg("error"),
        Cmd::new("wc").arg("-l"),
    );
    let mut running = graph.spawn().unwrap();
    let mut total = String::new();
    running
        .total
        .take()
        .unwrap()
        .read_to_string(&mut total)
        .unwrap();
    assert_eq!(total.trim(), "2");
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
    assert_eq!(report.get(ErrorCountNode::Count).name, "count");
}

/// The parent writes into `cat` and reads it back.
#[process_graph]
struct Echo {
    #[process]
    cat: Cmd,
    #[pipe(parent -> cat.stdin)]
    input: Pipe,
    #[pipe(cat.stdout -> parent)]
    output: Pipe,
}

#[test]
fn wait_closes_the_parents_writers() {
    let mut running = Echo::new(Cmd::new("cat")).spawn().unwrap();
    running
        .input
        .as_mut()
        .unwrap()
        .write_all(b"hello\n")
        .unwrap();
    let mut output = running.output.take().unwrap();
    // `wait` drops `input`, so cat sees EOF and exits.
    let report = running.wait().unwrap();
    assert!(report.cat.success());
    let mut echoed = String::new();
    output.read_to_string(&mut echoed).unwrap();
    assert_eq!(echoed, "hello\n");
}
