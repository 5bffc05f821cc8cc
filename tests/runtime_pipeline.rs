//! A plain pipeline built with the dynamic API gives the same answer as the
//! shell, and the parent's read end sees EOF once the last writer is gone.

mod common;

use std::io::Read;
use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph};

#[test]
fn pipeline_prints_what_the_shell_prints() {
    // A parent that kept a copy of a write end would never see EOF: the
    // watchdog turns that hang into a failure.
    let ours = common::within(Duration::from_secs(30), "the pipeline", || {
        let mut graph = Graph::new();
        let seq = graph.node("seq", Command::new("seq").args(["1", "100000"]));
        let grep = graph.node("grep", Command::new("grep").arg("7"));
        let wc = graph.node("wc", Command::new("wc").arg("-l"));
        graph.pipe(seq.stdout(), grep.stdin());
        graph.pipe(grep.stdout(), wc.stdin());
        let count = graph.pipe(wc.stdout(), Endpoint::Parent);

        let mut running = graph.spawn().expect("the pipeline starts");
        let mut out = String::new();
        running
            .take_reader(count)
            .expect("the parent holds the read end of wc's stdout")
            .read_to_string(&mut out)
            .expect("read wc's output to EOF");
        let report = running.wait().expect("wait for the pipeline");
        assert!(report.success(), "every node exits with 0:\n{report}");
        out
    });

    let shell = std::process::Command::new("sh")
        .args(["-c", "seq 1 100000 | grep 7 | wc -l"])
        .output()
        .expect("run the same pipeline in sh");
    assert!(shell.status.success());
    assert_eq!(ours, String::from_utf8(shell.stdout).unwrap());
    // 100000 numbers, of which 9^5 (0..=99999 without a 7) have no 7.
    assert_eq!(ours.trim(), "40951");
}
