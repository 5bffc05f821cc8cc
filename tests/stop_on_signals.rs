//! `RunningGraph::stop_on_signals`: SIGTERM sent to the application becomes
//! an orderly stop of the graph.
//!
//! This test has its own `main` (`harness = false`): the signal must be
//! blocked before any other thread exists, which libtest's threads rule out.
//! The test re-runs its own binary as the application and signals it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command as StdCommand, Stdio};

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Signal};

const CHILD_MODE: &str = "PROCESS_GRAPH_SIGNAL_TEST_CHILD";

fn main() {
    if std::env::var_os(CHILD_MODE).is_some() {
        application();
        return;
    }
    signal_stops_the_graph_in_order();
    println!("test signal_stops_the_graph_in_order ... ok");
    println!("1 passed, 0 failed");
}

/// The application: blocks SIGTERM and SIGINT first, runs a graph, reports.
fn application() {
    let mut graph = Graph::new();
    let db = graph.node("db", Command::new("sleep").arg("30"));
    graph.node_with(
        "app",
        Command::new("sleep").arg("30"),
        NodeOptions::new().after([db]),
    );
    let mut running = graph.spawn().unwrap();
    running
        .stop_on_signals(&[Signal::TERM, Signal::INT])
        .unwrap();
    println!("running");
    while let Some(event) = running.next_event(None).unwrap() {
        match event {
            Event::Signal(signal) => println!("got {signal}"),
            Event::Exited { node, .. } => println!("exited {}", running.name(node)),
            _ => {}
        }
    }
    let report = running.wait().unwrap();
    println!("outcome {:?}", report.outcome());
    print!("{report}");
}

fn signal_stops_the_graph_in_order() {
    let mut app = StdCommand::new(std::env::current_exe().unwrap())
        .env(CHILD_MODE, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(app.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "running\n");
    // SAFETY: kill has no memory-safety preconditions; the pid is our unreaped child.
    assert_eq!(unsafe { libc::kill(app.id() as i32, libc::SIGTERM) }, 0);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = app.wait().unwrap();
    assert!(
        status.success(),
        "the application exited normally: {status:?}\n{rest}"
    );
    assert!(rest.contains("got SIGTERM"), "{rest}");
    assert!(rest.contains("outcome Signal(SIGTERM)"), "{rest}");
    assert!(rest.contains("db: killed by SIGTERM"), "{rest}");
    assert!(rest.contains("app: killed by SIGTERM"), "{rest}");
    // In order: the dependent `app` exits before its dependency `db`.
    let exits: Vec<&str> = rest
        .lines()
        .filter_map(|l| l.strip_prefix("exited "))
        .collect();
    assert_eq!(exits, ["app", "db"], "exit order:\n{rest}");
}
