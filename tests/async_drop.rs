//! Dropping a running graph within a tokio runtime never blocks the
//! executor: the stop goes to a thread of its own (the runtime's `tokio`
//! feature, which the tests always enable).

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use process_graph::{Command, Endpoint, Graph};

/// Whether `pid` names a process (this test's node: it is not reaped by
/// anyone else, and its pid is not reused while it is a zombie).
fn exists(pid: u32) -> bool {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::test_kill_process(pid).is_ok()
}

/// A graph whose one node ignores SIGTERM, so its stop waits out the stop
/// timeout; returned once the node has said it ignores it, with its pid.
fn stubborn_graph(stop_timeout: Duration) -> (process_graph::RunningGraph, u32) {
    let mut graph = Graph::new();
    let node = graph.node(
        "stubborn",
        Command::new("sh")
            .arg("-c")
            .arg("trap '' TERM; echo up; while :; do sleep 0.05; done"),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    graph.stop_timeout(stop_timeout);
    let mut running = graph.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(running.take_reader(out).unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "up\n");
    let pid = running.pid(node).unwrap();
    (running, pid)
}

#[tokio::test(flavor = "current_thread")]
async fn a_drop_on_tokio_hands_the_stop_to_a_thread_and_it_completes() {
    let (running, pid) = stubborn_graph(Duration::from_secs(3));
    drop(running);
    // A blocking drop would have waited out the stop timeout, SIGKILLed and
    // reaped the node before returning.
    assert!(exists(pid), "the drop blocked until the node was gone");
    // The executor runs meanwhile.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(exists(pid));
    let deadline = Instant::now() + Duration::from_secs(30);
    while exists(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !exists(pid),
        "the stop thread never killed and reaped the node"
    );
}

#[test]
fn a_drop_outside_a_runtime_returns_once_the_node_is_reaped() {
    let (running, pid) = stubborn_graph(Duration::from_millis(200));
    drop(running);
    assert!(!exists(pid), "the node outlived the drop");
}

#[test]
fn a_running_graph_can_move_to_another_thread() {
    fn is_send<T: Send>() {}
    is_send::<process_graph::RunningGraph>();
}
