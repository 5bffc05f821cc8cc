//! Stopping a graph: `shutdown` and `Drop` send SIGTERM, reap every node and
//! report how each ended.

mod common;

use std::io::Read;
use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, ExitStatus, Graph, Signal};

#[test]
fn shutdown_stops_cooperating_nodes_with_sigterm() {
    let mut graph = Graph::new();
    let first = graph.node("first", Command::new("sleep").arg("30"));
    let second = graph.node("second", Command::new("sleep").arg("30"));
    let mut running = graph.spawn().unwrap();

    let report = running.shutdown(common::DEATH_TIMEOUT).unwrap();
    for node in [first, second] {
        assert_eq!(
            report[node].status,
            Some(ExitStatus::Signaled(Signal::TERM))
        );
        assert!(!report[node].killed_after_timeout, "{report}");
        assert_eq!(running.pid(node), None);
    }
    assert!(running.is_finished());
    assert_eq!(report.by_name("second").unwrap().node, second);
}

#[test]
fn shutdown_reports_a_node_that_had_already_exited() {
    let mut graph = Graph::new();
    let done = graph.node("done", Command::new("sh").args(["-c", "exit 3"]));
    let idle = graph.node("idle", Command::new("sleep").arg("30"));
    let out = graph.pipe(done.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    // EOF: `done` is exiting, so its exit code is settled; it is not reaped yet.
    running
        .take_reader(out)
        .unwrap()
        .read_to_end(&mut Vec::new())
        .unwrap();

    let report = running.shutdown(common::DEATH_TIMEOUT).unwrap();
    assert_eq!(report[done].status, Some(ExitStatus::Exited(3)));
    assert_eq!(
        report[idle].status,
        Some(ExitStatus::Signaled(Signal::TERM))
    );
    assert!(!report.success());
}

#[test]
fn drop_stops_and_reaps_every_node() {
    let mut graph = Graph::new();
    let nodes = [
        graph.node("first", Command::new("sleep").arg("30")),
        graph.node("second", Command::new("sleep").arg("30")),
    ];
    graph.stop_timeout(Duration::from_secs(10));
    let running = graph.spawn().unwrap();
    let pids: Vec<i32> = nodes
        .iter()
        .map(|&n| running.pid(n).unwrap() as i32)
        .collect();
    let pidfds: Vec<_> = pids
        .iter()
        .map(|&pid| common::open_pidfd(pid).unwrap())
        .collect();

    drop(running);
    for (pidfd, pid) in pidfds.iter().zip(pids) {
        // Drop returns only after reaping: each has exited, and is no longer
        // a child of this process, not even a zombie.
        assert!(
            common::exits_within(pidfd, Duration::ZERO),
            "{pid} still runs"
        );
        assert!(
            common::proc_stat(pid).is_none_or(|p| p.ppid != std::process::id() as i32),
            "{pid} is still a child of this process"
        );
    }
}

/// Two nodes that read what the other writes: each depends on the other,
/// and they stop together. Before, each waited for the other to stop
/// first, and `shutdown` never returned.
#[test]
fn nodes_in_a_cycle_of_pipes_are_shut_down() {
    common::within(Duration::from_secs(30), "a cycle of pipes", || {
        let mut graph = Graph::new();
        let a = graph.node("a", Command::new("cat"));
        let b = graph.node("b", Command::new("cat"));
        graph.pipe(a.stdout(), b.stdin());
        graph.pipe(b.stdout(), a.stdin());
        let mut running = graph.spawn().unwrap();
        let report = running.shutdown(Duration::from_secs(5)).unwrap();
        // Both are sent SIGTERM in one turn; one that dies first closes
        // the other's stdin, and under load the other may read that EOF and
        // exit 0 before its own SIGTERM lands. Neither needed a SIGKILL.
        let statuses = [a, b].map(|node| report[node].status);
        for status in statuses {
            assert!(
                matches!(
                    status,
                    Some(ExitStatus::Signaled(Signal::TERM) | ExitStatus::Exited(0))
                ),
                "{statuses:?}"
            );
        }
        assert!(
            statuses.contains(&Some(ExitStatus::Signaled(Signal::TERM))),
            "{statuses:?}"
        );
    });
}
