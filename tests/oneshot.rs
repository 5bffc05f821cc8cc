//! One-shot jobs (systemd's `Type=oneshot`, s6-rc's oneshots): done when they
//! exit 0, failed otherwise; nodes started `after` one wait for its success.

mod common;

use std::time::Duration;

use process_graph::prelude::*;
use process_graph_runtime::{
    Command, Error, Event, Graph, NodeOptions, NodeState, Outcome, Restart,
};

fn sh(script: &str) -> Command {
    Command::new("sh").arg("-c").arg(script)
}

/// The job writes `done` after a while; the server exits 0 only if it finds
/// it. Without `oneshot` the server would start at the job's exec and fail.
#[test]
fn a_dependent_starts_only_once_the_job_has_exited_0() {
    let dir = common::TempDir::new("oneshot-order");
    let mut graph = Graph::new();
    let migrate = graph.node_with(
        "migrate",
        sh("sleep 0.3; touch done").current_dir(dir.path()),
        NodeOptions::new().oneshot(true),
    );
    graph.node_with(
        "server",
        sh("test -e done").current_dir(dir.path()),
        NodeOptions::new().after([migrate]),
    );
    let mut running = graph.spawn().unwrap();
    assert_eq!(
        running.state(migrate),
        NodeState::Stopped,
        "spawn returns once every node started, so the job is done"
    );
    let report = running.wait().unwrap();
    assert_eq!(report.outcome(), Outcome::Completed);
    assert_eq!(
        report.by_name("server").unwrap().status,
        Some(ExitStatus::Exited(0))
    );
}

/// While it runs, a job is starting, not running: it is not ready before
/// it is done.
#[test]
fn a_running_job_is_starting_until_it_exits() {
    let mut graph = Graph::new();
    let job = graph.node_with("job", sh("sleep 0.3"), NodeOptions::new().oneshot(true));
    let mut running = graph.spawn().unwrap();
    assert_eq!(running.state(job), NodeState::Starting);
    let mut events = Vec::new();
    while let Some(event) = running.next_event(Some(Duration::from_secs(10))).unwrap() {
        events.push(event);
    }
    assert!(
        !events.iter().any(|e| matches!(e, Event::Ready { .. })),
        "a job has no readiness event of its own: {events:?}"
    );
    assert_eq!(running.state(job), NodeState::Stopped);
    assert!(running.wait().unwrap().success());
}

#[test]
fn a_failed_job_fails_its_dependents_naming_both() {
    let mut graph = Graph::new();
    let migrate = graph.node_with("migrate", sh("exit 3"), NodeOptions::new().oneshot(true));
    graph.node_with(
        "server",
        sh("exec sleep 30"),
        NodeOptions::new().after([migrate]),
    );
    let error = match graph.spawn() {
        Err(error) => error,
        Ok(mut running) => running.wait().unwrap_err(),
    };
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
        report.by_name("migrate").unwrap().status,
        Some(ExitStatus::Exited(3))
    );
    assert_eq!(
        report.by_name("server").unwrap().status,
        None,
        "the server never started"
    );
}

/// `restart = on-failure` retries the job; the dependent waits through every
/// failed attempt and starts after the one that succeeds.
#[test]
fn a_job_restarted_on_failure_is_retried_until_it_succeeds() {
    let dir = common::TempDir::new("oneshot-retry");
    let mut graph = Graph::new();
    graph.intensity(5, Duration::from_secs(10));
    let migrate = graph.node_with(
        "migrate",
        // Fails twice, then succeeds.
        sh("echo x >> tries; test $(wc -l < tries) -ge 3").current_dir(dir.path()),
        NodeOptions::new()
            .oneshot(true)
            .restart(Restart::OnFailure)
            .backoff(Duration::from_millis(10), Duration::from_millis(50)),
    );
    graph.node_with(
        "server",
        sh("test $(wc -l < tries) -eq 3").current_dir(dir.path()),
        NodeOptions::new().after([migrate]),
    );
    let mut running = graph.spawn().unwrap();
    let report = running.wait().unwrap();
    assert_eq!(report.by_name("migrate").unwrap().restarts, 2);
    assert_eq!(
        report.by_name("server").unwrap().status,
        Some(ExitStatus::Exited(0))
    );
}

/// `ready_timeout` bounds how long a job may run: past it, the job is killed
/// and counts as failed.
#[test]
fn a_job_past_its_ready_timeout_is_killed_and_failed() {
    let mut graph = Graph::new();
    let migrate = graph.node_with(
        "migrate",
        sh("exec sleep 30"),
        NodeOptions::new()
            .oneshot(true)
            .ready_timeout(Duration::from_millis(200)),
    );
    graph.node_with(
        "server",
        sh("exec sleep 30"),
        NodeOptions::new().after([migrate]),
    );
    let error = match graph.spawn() {
        Err(error) => error,
        Ok(mut running) => running.wait().unwrap_err(),
    };
    let Error::DependencyFailed { report, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(
        report.by_name("migrate").unwrap().status,
        Some(ExitStatus::Signaled(Signal::KILL))
    );
}

#[process_graph]
struct Migrated {
    #[process(oneshot, ready_timeout = "10s")]
    migrate: Cmd,
    #[process(after = [migrate], critical)]
    server: Cmd,
}

#[test]
fn the_attribute_declares_a_job() {
    assert!(Migrated::TOPOLOGY.nodes[0].oneshot);
    let dir = common::TempDir::new("oneshot-macro");
    let graph = Migrated {
        migrate: sh("sleep 0.2; touch done").current_dir(dir.path()),
        server: sh("test -e done").current_dir(dir.path()),
    };
    let report = graph.spawn().unwrap().wait().unwrap();
    assert_eq!(report.server.status, Some(ExitStatus::Exited(0)));
}

/// The dynamic API refuses what the attribute refuses at compile time, in the
/// same words.
#[test]
fn the_dynamic_graph_refuses_a_job_restarted_always_or_with_readiness() {
    let mut graph = Graph::new();
    graph.node_with(
        "always",
        sh("true"),
        NodeOptions::new().oneshot(true).restart(Restart::Always),
    );
    graph.node_with(
        "notify",
        sh("true"),
        NodeOptions::new()
            .oneshot(true)
            .ready(process_graph_runtime::Readiness::Notify),
    );
    let broken = graph.validate().unwrap_err();
    let messages: Vec<String> = broken.violations().iter().map(|v| v.to_string()).collect();
    assert_eq!(
        messages,
        [
            "node \"always\": a one-shot job is done when it exits 0, so `restart = \"always\"` \
             would run it again forever; write `restart = \"on-failure\"` to retry it until it succeeds",
            "node \"notify\": a one-shot job is ready when it exits 0 and has no readiness protocol; \
             remove `ready`, or `oneshot` for a service that says when it is ready",
        ]
    );
    assert!(matches!(graph.spawn(), Err(Error::Invalid(_))));
}
