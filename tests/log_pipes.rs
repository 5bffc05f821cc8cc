//! A pipe into a logger node never loses a line (s6's guarantee): the graph
//! holds both ends of a pipe for as long as a node on it may start again,
//! so a restarted logger reads on where the last one stopped, and the
//! writer never sees EPIPE.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Restart};

/// Writes `1`, `2`, … a line per `write`, 50 lines per 10 ms, until
/// SIGTERM; then writes how many lines it wrote to the file argv[1] and
/// exits 0. A write that fails (EPIPE) would end it with an error.
const WRITER: &str = "
import os, signal, sys, time
stop = False
def term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
i = 0
while not stop:
    i += 1
    os.write(1, f'{i}\\n'.encode())
    if i % 50 == 0:
        time.sleep(0.01)
with open(sys.argv[1], 'w') as f:
    f.write(str(i))
";

/// Copies stdin to the file argv[1] a line at a time, reading a byte at a
/// time so that it never holds more than the line it is on. On SIGTERM it
/// finishes that line, then exits (as s6-log does).
const LOGGER: &str = "
import os, signal, sys
stop = False
def term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
out = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
line = b''
while True:
    byte = os.read(0, 1)
    if not byte:
        sys.exit(0)
    line += byte
    if byte == b'\\n':
        os.write(out, line)
        line = b''
        if stop:
            sys.exit(1)
";

#[test]
fn a_logger_restarted_100_times_loses_and_repeats_no_line() {
    if !common::installed("python3", "python3") {
        return;
    }
    let dir = common::TempDir::new("log_pipes");
    let (log, count) = (dir.path().join("log"), dir.path().join("count"));
    let mut graph = Graph::new();
    let writer = graph.node(
        "writer",
        Command::new("python3").args(["-c", WRITER]).arg(&count),
    );
    let logger = graph.node_with(
        "logger",
        Command::new("python3").args(["-c", LOGGER]).arg(&log),
        NodeOptions::new().restart(Restart::OnFailure),
    );
    graph.pipe(writer.stdout(), logger.stdin());
    // The restarts asked for here are not failures to give up on.
    graph.intensity(1_000, Duration::from_secs(1));
    let mut running = graph.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut restarts = 0;
    while restarts < 100 {
        match running.next_event(Some(Duration::from_secs(30))).unwrap() {
            Some(Event::Started { node, .. }) if node == logger => {
                // Let this logger read a little, then stop it mid-stream.
                std::thread::sleep(Duration::from_millis(20));
                running.restart(logger);
                restarts += 1;
            }
            Some(Event::Exited { node, status, .. }) if node == writer => {
                panic!("the writer ended after {restarts} restarts: {status}")
            }
            Some(_) => {}
            None => panic!("no event for 30 s after {restarts} restarts"),
        }
        assert!(Instant::now() < deadline, "stuck after {restarts} restarts");
    }
    running.stop(writer);
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
    let written: u32 = std::fs::read_to_string(&count).unwrap().parse().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let expected: String = (1..=written).map(|n| format!("{n}\n")).collect();
    if text != expected {
        let got: Vec<&str> = text.lines().collect();
        let first_bad = got
            .iter()
            .zip(1..)
            .find(|(line, n)| **line != n.to_string())
            .map(|(line, n)| format!("line {n} is {line:?}"));
        panic!(
            "{} lines instead of {written}; {}",
            got.len(),
            first_bad.unwrap_or_default()
        );
    }
    assert!(
        written > 1_000,
        "the writer wrote all along: {written} lines"
    );
}
