//! Nothing outlives a graph: no zombie, no stray process, no open fd — after
//! `wait`, after `shutdown`, after `Drop`, and after a spawn that failed
//! halfway or before it began.
//!
//! With cgroups and without (the node's process group is then all the
//! runtime kills), as root and as uid 65534.
//!
//! One test on purpose: it counts every child and every fd of this process,
//! which is only exact while no other test of the same binary runs alongside.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, PipeReader};
use std::time::Duration;

use process_graph_runtime::{
    Command, Containment, Endpoint, Error, ExitStatus, Graph, Signal, SpawnErrorKind, Stdio, Step,
};

/// Starts a `sleep` in the background (in the node's process group, with
/// fd 3 closed) and writes its pid to fd 3.
const BACKGROUND_SLEEP: &str = "sleep 30 >/dev/null 3>&- & echo $! >&3";

fn sh(script: &str) -> Command {
    Command::new("sh").args(["-c", script])
}

/// Reads the pid a node wrote with [`BACKGROUND_SLEEP`] and opens a
/// pidfd for it, to see later that it died.
fn background_pidfd(reader: PipeReader) -> std::os::fd::OwnedFd {
    let mut line = String::new();
    BufReader::new(reader).read_line(&mut line).unwrap();
    let pid = line.trim().parse().expect("a pid");
    common::open_pidfd(pid).expect("the background sleep is alive")
}

/// Fails if this process has any child (zombie or not), if a process tagged
/// with `marker` is still alive, or if the open fds differ from `fds_before`.
fn assert_nothing_left(stage: &str, marker: &str, fds_before: &BTreeMap<i32, String>) {
    let children = common::children_of_this_process();
    assert!(children.is_empty(), "{stage}: children left: {children:?}");
    common::assert_all_exit(&common::live_marked_processes(marker), stage);
    assert_eq!(&common::open_fds(), fds_before, "{stage}: open fds changed");
}

fn assert_died(stage: &str, pidfd: &std::os::fd::OwnedFd) {
    assert!(
        common::exits_within(pidfd, common::DEATH_TIMEOUT),
        "{stage}: the node's background process survived"
    );
}

/// A three-stage pipeline with a side channel, /dev/null, a prefixed
/// stream and a socketpair; the first node leaves a background process
/// behind when it exits, which the runtime kills with its process group.
fn after_wait(marker: &str, containment: Containment) {
    let mut graph = Graph::new();
    graph.containment(containment);
    let gen_node = graph.node(
        "gen",
        common::marked(sh(&format!("{BACKGROUND_SLEEP}; seq 1 1000")), marker),
    );
    let filter = graph.node(
        "filter",
        common::marked(Command::new("grep").arg("1"), marker).stderr(Stdio::Prefixed),
    );
    let count = graph.node(
        "count",
        common::marked(Command::new("wc").arg("-l"), marker).stderr(Stdio::Null),
    );
    let pids = graph.pipe(gen_node.fd(3), Endpoint::Parent);
    graph.pipe(gen_node.stdout(), filter.stdin());
    graph.pipe(filter.stdout(), count.stdin());
    let out = graph.pipe(count.stdout(), Endpoint::Parent);
    graph.socketpair(count.fd(4), Endpoint::Parent);

    let mut running = graph.spawn().expect("the pipeline starts");
    let background = background_pidfd(running.take_reader(pids).unwrap());
    let text = common::read_to_end(&mut running, out);
    assert_eq!(text.trim(), "272");
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
    assert_died("after wait", &background);
}

/// Running nodes, one with a background process, stopped by `shutdown`.
fn after_shutdown(marker: &str, containment: Containment) {
    let mut graph = Graph::new();
    graph.containment(containment);
    let server = graph.node(
        "server",
        common::marked(sh(&format!("{BACKGROUND_SLEEP}; wait")), marker),
    );
    let idle = graph.node(
        "idle",
        common::marked(Command::new("sleep").arg("30"), marker),
    );
    let pids = graph.pipe(server.fd(3), Endpoint::Parent);

    let mut running = graph.spawn().expect("the graph starts");
    let background = background_pidfd(running.take_reader(pids).unwrap());
    let report = running.shutdown(common::DEATH_TIMEOUT).unwrap();
    for node in [server, idle] {
        assert_eq!(
            report[node].status,
            Some(ExitStatus::Signaled(Signal::TERM))
        );
        assert!(!report[node].killed_after_timeout);
    }
    assert_died("after shutdown", &background);
}

/// Running nodes, one ignoring SIGTERM, stopped by dropping the handle.
fn after_drop(marker: &str, containment: Containment) {
    let mut graph = Graph::new();
    graph.containment(containment);
    let stubborn = graph.node(
        "stubborn",
        // The background sleep inherits the ignored SIGTERM.
        common::marked(
            sh(&format!("trap '' TERM; {BACKGROUND_SLEEP}; wait")),
            marker,
        ),
    );
    graph.node(
        "idle",
        common::marked(Command::new("sleep").arg("30"), marker),
    );
    let pids = graph.pipe(stubborn.fd(3), Endpoint::Parent);
    graph.stop_timeout(Duration::from_millis(200));

    let mut running = graph.spawn().expect("the graph starts");
    // The pid comes after the trap: once it is read, SIGTERM is ignored.
    let background = background_pidfd(running.take_reader(pids).unwrap());
    drop(running);
    assert_died("after drop", &background);
}

/// Two nodes start, the third's program does not exist.
fn after_failed_spawn(marker: &str, containment: Containment) {
    let mut graph = Graph::new();
    graph.containment(containment);
    let first = graph.node(
        "first",
        common::marked(sh(&format!("{BACKGROUND_SLEEP}; wait")), marker),
    );
    let second = graph.node(
        "second",
        common::marked(Command::new("sleep").arg("30"), marker),
    );
    graph.node(
        "third",
        common::marked(Command::new("/nonexistent/program"), marker),
    );
    graph.pipe(first.stdout(), second.stdin());
    graph.pipe(first.fd(3), Endpoint::Parent);

    match graph.spawn() {
        Err(Error::Spawn(e)) => {
            assert_eq!(e.node(), "third");
            assert_eq!(e.step(), Step::Execve);
            assert_eq!(e.kind(), SpawnErrorKind::NotFound);
        }
        other => panic!("expected the third node to fail, got {other:?}"),
    }
}

/// The last node's argument holds a NUL: nothing may start.
fn after_invalid_command(marker: &str, containment: Containment) {
    let mut graph = Graph::new();
    graph.containment(containment);
    let first = graph.node(
        "first",
        common::marked(Command::new("sleep").arg("30"), marker),
    );
    let last = graph.node(
        "last",
        common::marked(Command::new("cat").arg("bad\0arg"), marker),
    );
    graph.pipe(first.stdout(), last.stdin());
    match graph.spawn() {
        Err(Error::Command { node, .. }) => assert_eq!(node, "last"),
        other => panic!("expected a command error, got {other:?}"),
    }
}

/// One way for a graph to end; it tags its processes with the given marker.
type Stage = fn(&str, Containment);

/// With cgroups where the application may make them, and without: then the
/// node's process group is all that is killed, which must do for what the
/// nodes here leave (in their process groups).
#[test]
fn nothing_leaks_after_wait_shutdown_drop_or_failed_spawn() {
    common::as_root_and_unprivileged(
        "nothing_leaks_after_wait_shutdown_drop_or_failed_spawn",
        || {
            for containment in [Containment::Auto, Containment::Off] {
                nothing_leaks(containment);
            }
        },
    );
}

fn nothing_leaks(containment: Containment) {
    common::within(Duration::from_secs(60), "the leak checks", move || {
        let fds_before = common::open_fds();
        let nobody = common::unique_marker("nobody");
        assert_nothing_left("before anything", &nobody, &fds_before);
        let stages: [(&str, Stage); 5] = [
            ("after wait", after_wait),
            ("after shutdown", after_shutdown),
            ("after drop", after_drop),
            ("after a failed spawn", after_failed_spawn),
            ("after an invalid command", after_invalid_command),
        ];
        for (stage, run) in stages {
            let marker = common::unique_marker("no-leaks");
            run(&marker, containment);
            let stage = format!("{stage} ({containment:?})");
            assert_nothing_left(&stage, &marker, &fds_before);
        }
    });
}
