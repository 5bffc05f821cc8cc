//! A graph that fails while `spawn` starts it fails `spawn`: a dependency
//! that fails for good, restarts beyond the intensity, dependencies not ready
//! within the start timeout. The error is typed and names the node and why,
//! and nothing of the graph is left: no process, no zombie, no fd.
//!
//! One test, its stages in turn: it counts this process's children and fds,
//! which another test running beside it would change.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use process_graph::prelude::*;
use process_graph_runtime::{Command, Error, Graph, NodeOptions, Readiness, Restart};

fn sh(script: &str) -> Command {
    Command::new("sh").arg("-c").arg(script)
}

/// The error of a `spawn` that must fail (without printing the running
/// graph, were it to succeed).
fn failed_spawn<T>(spawned: Result<T, Error>, why: &str) -> Error {
    match spawned {
        Err(error) => error,
        Ok(_) => panic!("spawn returned Ok, but {why}"),
    }
}

fn assert_nothing_left(stage: &str, marker: &str, fds_before: &BTreeMap<i32, String>) {
    let children = common::children_of_this_process();
    assert!(children.is_empty(), "{stage}: children left: {children:?}");
    common::assert_all_exit(&common::live_marked_processes(marker), stage);
    assert_eq!(&common::open_fds(), fds_before, "{stage}: open fds changed");
}

/// `db` is up (ready at exec) and has forked a helper; the one-shot
/// `migrate` after it fails; `server` after `migrate` can never start.
fn dependency_fails(marker: &str) -> Error {
    let mut graph = Graph::new();
    let db = graph.node("db", common::marked(sh("sleep 30 & exec sleep 30"), marker));
    let migrate = graph.node_with(
        "migrate",
        common::marked(sh("sleep 0.1; exit 3"), marker),
        NodeOptions::new().oneshot(true).after([db]),
    );
    graph.node_with(
        "server",
        common::marked(sh("exec sleep 30"), marker),
        NodeOptions::new().after([migrate]),
    );
    let error = failed_spawn(graph.spawn(), "the graph failed while starting");
    let Error::DependencyFailed {
        node,
        dependency,
        report,
    } = &error
    else {
        panic!("{error}")
    };
    assert_eq!((node.as_str(), dependency.as_str()), ("server", "migrate"));
    assert_eq!(
        error.to_string(),
        "node \"server\": cannot start, its dependency \"migrate\" ended without becoming ready (exited with code 3)"
    );
    assert_eq!(
        report[db].status,
        Some(ExitStatus::Signaled(Signal::TERM)),
        "db was stopped with its stop signal"
    );
    error
}

/// `db` never says it is ready, ignores SIGTERM, and has forked a helper that
/// ignores it too; `app` waits for it. The start timeout ends `spawn`, and
/// the stop timeout's SIGKILL ends `db` and its helper.
fn dependency_never_ready(marker: &str) -> Error {
    let mut graph = Graph::new();
    graph.start_timeout(Duration::from_millis(300));
    let db = graph.node_with(
        "db",
        common::marked(sh("trap '' TERM; sleep 30 & exec sleep 30"), marker),
        NodeOptions::new()
            .ready(Readiness::Fd(3))
            .stop_timeout(Duration::from_millis(100)),
    );
    graph.node_with(
        "app",
        common::marked(sh("exec sleep 30"), marker),
        NodeOptions::new().after([db]),
    );
    let started = Instant::now();
    let error = failed_spawn(graph.spawn(), "the dependency was never ready");
    let Error::StartTimeout {
        node,
        dependency,
        timeout,
        report,
    } = &error
    else {
        panic!("{error}")
    };
    assert!(started.elapsed() >= *timeout);
    assert_eq!((node.as_str(), dependency.as_str()), ("app", "db"));
    assert_eq!(
        error.to_string(),
        "node \"app\": not started within the start timeout of 300ms: its dependency \"db\" was not ready; the graph was stopped"
    );
    assert!(report[db].killed_after_timeout, "{report}");
    error
}

/// `db` is never ready within its ready timeout and is restarted each time,
/// beyond the graph's intensity, before `app` can start.
fn restarts_exceed_the_intensity(marker: &str) -> Error {
    let mut graph = Graph::new();
    graph.intensity(2, Duration::from_secs(10));
    let db = graph.node_with(
        "db",
        common::marked(sh("exec sleep 30"), marker),
        NodeOptions::new()
            .ready(Readiness::Fd(3))
            .ready_timeout(Duration::from_millis(50))
            .restart(Restart::Always)
            .backoff(Duration::from_millis(10), Duration::from_millis(10)),
    );
    graph.node_with(
        "app",
        common::marked(sh("exec sleep 30"), marker),
        NodeOptions::new().after([db]),
    );
    let error = failed_spawn(graph.spawn(), "restarts beyond the intensity");
    assert!(
        matches!(&error, Error::RestartIntensity { node, .. } if node == "db"),
        "{error}"
    );
    error
}

#[process_graph(start_timeout = "200ms")]
struct Stuck {
    #[process(ready = "notify")]
    db: Cmd,
    #[process(after = [db])]
    app: Cmd,
}

/// The macro's `start_timeout` bounds its `spawn` as well.
fn declared_start_timeout(marker: &str) -> Error {
    let graph = Stuck {
        db: common::marked(sh("exec sleep 30"), marker),
        app: common::marked(sh("exec sleep 30"), marker),
    };
    let error = failed_spawn(graph.spawn(), "db never sends READY=1");
    assert!(
        matches!(&error, Error::StartTimeout { timeout, .. } if *timeout == Duration::from_millis(200)),
        "{error}"
    );
    error
}

/// Builds a graph that fails while starting, spawns it, checks the error.
type Stage = fn(&str) -> Error;

#[test]
fn a_failure_while_starting_comes_back_from_spawn_with_nothing_left() {
    common::within(Duration::from_secs(60), "the failed starts", || {
        let fds_before = common::open_fds();
        let stages: [(&str, Stage); 4] = [
            ("a failed dependency", dependency_fails),
            ("a dependency never ready", dependency_never_ready),
            (
                "restarts beyond the intensity",
                restarts_exceed_the_intensity,
            ),
            ("a declared start timeout", declared_start_timeout),
        ];
        for (stage, run) in stages {
            let marker = common::unique_marker("spawn-failure");
            let error = run(&marker);
            eprintln!("{stage}: {error}");
            assert_nothing_left(stage, &marker, &fds_before);
        }
    });
}
