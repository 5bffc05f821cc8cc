//! A forked copy of a running graph acts on nothing: after `fork()` the
//! child holds the nodes' and the scope init's pidfds and process group ids,
//! which work from any process, yet signalling, killing, waiting, shutting
//! down or dropping through that copy must leave the parent's graph intact.
//!
//! This test has its own `main` (`harness = false`) so that it can fork a
//! process whose only threads are its main thread and the runtime's stdio
//! thread: libtest's worker threads could hold any lock at the fork. The
//! forked child then only drops memory (glibc's `fork` leaves malloc usable
//! in the child) and never touches stdio, whose lock the stdio thread may
//! hold; it reports through its exit code and leaves with `_exit`.
//!
//! It runs as root and again as uid 65534.

mod common;

use std::time::Duration;

use common::as_root_and_unprivileged;
use process_graph_runtime::{
    Command, Error, ExitStatus, Graph, Namespace, NodeId, NodeOptions, Readiness, RunningGraph,
    ScopeSpec, Signal, Stdio,
};

const TEST: &str = "a_forked_copy_cannot_touch_the_parents_graph";

fn main() {
    as_root_and_unprivileged(TEST, a_forked_copy_cannot_touch_the_parents_graph);
    println!("test {TEST} ... ok");
    println!("1 passed; 0 failed");
}

/// What the forked child checks, one bit each in its exit code when the
/// call acted instead of returning `Error::ForeignProcess`.
const CALLS: [&str; 6] = [
    "signal",
    "kill",
    "stop_on_signals",
    "next_event",
    "shutdown",
    "wait",
];

/// Plain nodes besides the two others: enough for the graph's wait set to be
/// an epoll instance, which the forked child shares with the parent.
const MORE_NODES: usize = 8;

fn a_forked_copy_cannot_touch_the_parents_graph() {
    let mut graph = Graph::new();
    let sandbox = graph.scope(
        "sandbox",
        ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Net]),
    );
    // Notify readiness in a network scope: its socket was made by the
    // scope's init, which the forked copy's drop must leave alone.
    let scoped = graph.node_with(
        "scoped",
        Command::new("sleep").arg("1000"),
        NodeOptions::new().scope(sandbox).ready(Readiness::Notify),
    );
    // Prefixed output: the stdio thread, which a forked copy must neither
    // stop nor join.
    let plain = graph.node(
        "plain",
        Command::new("sleep").arg("1000").stdout(Stdio::Prefixed),
    );
    for i in 0..MORE_NODES {
        graph.node(format!("more-{i}"), Command::new("sleep").arg("1000"));
    }
    let mut running = graph.spawn().expect("spawn");
    // The nodes and the scope's init (and, not counted, the application's
    // cgroup watcher where the graph has cgroups).
    let children = common::children_of_this_process();
    let watchers = common::cgroup_watchers();
    assert!(watchers.len() <= 1, "one watcher at most: {watchers:?}");
    assert_eq!(
        children.len(),
        MORE_NODES + 3,
        "every node and the init: {children:?}"
    );
    let children: Vec<i32> = children.iter().map(|p| p.pid).collect();

    // SAFETY: see the module's comment; the child runs `forked_child` only.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        forked_child(running, scoped, plain);
    }
    let forked = common::open_pidfd(pid).expect("the forked child");
    if !common::exits_within(&forked, Duration::from_secs(10)) {
        // SAFETY: kill and waitpid of our own child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        panic!("the forked child's calls did not return within 10 s");
    }
    let mut status = 0;
    // SAFETY: waitpid of our own child, which has exited.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status),
        "the forked child died: {status:#x}"
    );
    let acted: Vec<&str> = CALLS
        .iter()
        .enumerate()
        .filter(|(bit, _)| libc::WEXITSTATUS(status) & 1 << bit != 0)
        .map(|(_, call)| *call)
        .collect();
    assert!(
        acted.is_empty(),
        "in the forked copy these acted: {acted:?}"
    );

    for pid in &children {
        let pidfd = common::open_pidfd(*pid)
            .unwrap_or_else(|| panic!("process {pid} of the graph is gone"));
        assert!(
            !common::exits_within(&pidfd, Duration::from_millis(300)),
            "process {pid} of the graph died after the forked child's calls"
        );
    }
    assert!(
        stdio_thread_runs(),
        "the stdio thread stopped after the forked copy's drop"
    );
    // The graph is still the parent's to stop: each node ends by its stop
    // signal now, not by anything the child sent, and each exit is seen (the
    // child took no fd out of the shared wait set), not killed at the stop
    // timeout.
    let report = running.shutdown(Duration::from_secs(5)).expect("shutdown");
    for node in report.iter() {
        assert_eq!(
            (node.status, node.killed_after_timeout),
            (Some(ExitStatus::Signaled(Signal::TERM)), false),
            "{}",
            node.name
        );
    }
}

/// In the forked child: try everything through the copy, drop it, exit.
fn forked_child(mut running: RunningGraph, scoped: NodeId, plain: NodeId) -> ! {
    let foreign = |result: Result<(), Error>| matches!(result, Err(Error::ForeignProcess { .. }));
    let results = [
        foreign(running.signal(scoped, Signal::KILL)),
        foreign(running.kill(plain)),
        foreign(running.stop_on_signals(&[Signal::USR2])),
        foreign(running.next_event(Some(Duration::ZERO)).map(drop)),
        foreign(running.shutdown(Duration::ZERO).map(drop)),
        foreign(running.wait().map(drop)),
    ];
    drop(running);
    let acted = results
        .iter()
        .enumerate()
        .filter(|(_, refused)| !**refused)
        .fold(0, |code, (bit, _)| code | 1 << bit);
    // SAFETY: leaves without running exit handlers or the harness.
    unsafe { libc::_exit(acted) }
}

/// Whether the runtime's stdio thread still runs in this process.
fn stdio_thread_runs() -> bool {
    std::fs::read_dir("/proc/self/task").unwrap().any(|task| {
        std::fs::read_to_string(task.unwrap().path().join("comm"))
            .is_ok_and(|comm| comm.trim_end() == "process-graph-s")
    })
}
