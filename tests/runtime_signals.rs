//! Signals: a node that ignores SIGTERM is SIGKILLed with its whole process
//! group after the grace period; `signal` reaches a running node; a handle
//! to a reaped node never signals anything.

mod common;

use std::os::fd::OwnedFd;
use std::time::Duration;

use process_graph_runtime::{
    Command, Decision, EdgeId, Endpoint, Error, Event, ExitStatus, Graph, NodeId, RunningGraph,
    Signal,
};

const GRACE: Duration = Duration::from_millis(200);

/// A shell that ignores SIGTERM and waits on a background `sleep`, which
/// inherits the ignored disposition; the shell writes the sleep's pid once
/// both ignore SIGTERM.
fn stubborn_graph() -> (Graph, NodeId, EdgeId) {
    let mut graph = Graph::new();
    let node = graph.node(
        "stubborn",
        Command::new("sh").args(["-c", "trap '' TERM; sleep 30 & echo $!; wait"]),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    (graph, node, out)
}

/// A started stubborn node: its pidfd, its background sleep's pidfd, and
/// its process group id.
struct Stubborn {
    shell: OwnedFd,
    sleep: OwnedFd,
    group: i32,
}

fn watch_stubborn(running: &mut RunningGraph, node: NodeId, out: EdgeId) -> Stubborn {
    let line = common::first_line(running, out);
    let sleep_pid: i32 = line.trim().parse().expect("the sleep's pid");
    let shell_pid = running.pid(node).expect("the shell runs") as i32;
    // Make sure the test means something: the sleep really ignores SIGTERM.
    let status = std::fs::read_to_string(format!("/proc/{sleep_pid}/status")).unwrap();
    let ignored = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .map(|mask| u64::from_str_radix(mask.trim(), 16).unwrap())
        .unwrap();
    assert_ne!(
        ignored & (1 << (libc::SIGTERM - 1)),
        0,
        "sleep ignores SIGTERM"
    );
    assert_eq!(common::proc_stat(sleep_pid).unwrap().pgrp, shell_pid);
    Stubborn {
        shell: common::open_pidfd(shell_pid).unwrap(),
        sleep: common::open_pidfd(sleep_pid).unwrap(),
        group: shell_pid,
    }
}

fn assert_group_is_gone(stubborn: &Stubborn) {
    for (what, pidfd) in [
        ("shell", &stubborn.shell),
        ("background sleep", &stubborn.sleep),
    ] {
        assert!(
            common::exits_within(pidfd, common::DEATH_TIMEOUT),
            "the {what} survived"
        );
    }
    common::assert_all_exit(
        &common::live_group_members(stubborn.group),
        "the node's process group",
    );
}

#[test]
fn shutdown_kills_a_sigterm_ignoring_node_and_its_group_after_the_grace_period() {
    let (graph, node, out) = stubborn_graph();
    let mut running = graph.spawn().unwrap();
    let stubborn = watch_stubborn(&mut running, node, out);

    let report = running.shutdown(GRACE).unwrap();
    assert_eq!(
        report[node].status,
        Some(ExitStatus::Signaled(Signal::KILL))
    );
    assert!(report[node].killed_after_timeout, "{report}");
    assert_group_is_gone(&stubborn);
}

#[test]
fn drop_kills_a_sigterm_ignoring_node_and_its_group_after_the_stop_timeout() {
    let (mut graph, node, out) = stubborn_graph();
    graph.stop_timeout(GRACE);
    let mut running = graph.spawn().unwrap();
    let stubborn = watch_stubborn(&mut running, node, out);

    drop(running);
    assert_group_is_gone(&stubborn);
}

#[test]
fn signal_reaches_a_running_node() {
    let mut graph = Graph::new();
    let node = graph.node(
        "listener",
        Command::new("sh").args([
            "-c",
            "trap 'exit 7' USR1; echo ready; sleep 30 >/dev/null & wait",
        ]),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let line = common::first_line(&mut running, out);
    assert_eq!(line, "ready\n");

    running.signal(node, Signal::USR1).unwrap();
    let event = common::next_event_past_starts(&mut running, Some(common::DEATH_TIMEOUT));
    assert_eq!(
        event,
        Some(Event::Exited {
            node,
            status: ExitStatus::Exited(7),
            decision: Decision::Leave,
        })
    );
}

#[test]
fn a_reaped_node_is_not_running_and_cannot_be_signalled() {
    let mut graph = Graph::new();
    let node = graph.node("brief", Command::new("true"));
    let mut running = graph.spawn().unwrap();
    assert!(running.pid(node).is_some());
    let event = common::next_event_past_starts(&mut running, Some(common::DEATH_TIMEOUT));
    assert_eq!(
        event,
        Some(Event::Exited {
            node,
            status: ExitStatus::Exited(0),
            decision: Decision::Leave,
        })
    );

    assert_eq!(running.pid(node), None);
    assert_eq!(running.status(node), Some(ExitStatus::Exited(0)));
    for result in [running.signal(node, Signal::TERM), running.kill(node)] {
        match result {
            Err(e @ Error::NotRunning { .. }) => {
                assert_eq!(e.to_string(), "node \"brief\": not running");
            }
            other => panic!("expected NotRunning, got {other:?}"),
        }
    }
}

/// A stopped node (it stops itself with SIGSTOP, as the application's
/// `signal(STOP)` would; job-control stops do not reach a node, which leads
/// an orphaned process group) gets its stop signal and SIGCONT, so it ends
/// as its stop signal says — exit 0 from its trap — not SIGKILLed at the
/// end of its stop timeout.
#[test]
fn a_stopped_node_gets_its_stop_signal_not_the_timeouts_kill() {
    let mut graph = Graph::new();
    let node = graph.node(
        "stopped",
        Command::new("sh").args([
            "-c",
            "trap 'exit 0' TERM; kill -STOP $$; while :; do sleep 0.1; done",
        ]),
    );
    let mut running = graph.spawn().unwrap();
    let pid = running.pid(node).unwrap() as i32;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while common::proc_stat(pid).map(|s| s.state) != Some('T') {
        assert!(std::time::Instant::now() < deadline, "it never stopped");
        std::thread::sleep(Duration::from_millis(10));
    }
    let report = running.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(report[node].status, Some(ExitStatus::Exited(0)));
    assert!(!report[node].killed_after_timeout);
}
