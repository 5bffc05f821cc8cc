//! Feature `tracing`: supervision and forwarded output as tracing events,
//! each with the node's name. (The facade's tests build the runtime with
//! the feature, so plain `cargo test` runs these.)

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use process_graph_runtime::{Command, Graph, NodeOptions, Restart, Sink, Stdio};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One event as a subscriber sees it.
#[derive(Debug, Clone, Default)]
struct Seen {
    target: String,
    level: String,
    node: Option<String>,
    message: String,
}

/// Collects every event into one list, for the whole test process: the
/// output thread emits on a thread of its own, so this is the global
/// default subscriber.
struct Collect(Arc<Mutex<Vec<Seen>>>);

impl Visit for Seen {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "node" => self.node = Some(format!("{value:?}")),
            _ => {}
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "node" => self.node = Some(value.to_owned()),
            _ => self.record_debug(field, &value),
        }
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut seen = Seen {
            target: event.metadata().target().to_owned(),
            level: event.metadata().level().to_string(),
            ..Seen::default()
        };
        event.record(&mut seen);
        self.0.lock().unwrap().push(seen);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn events() -> &'static Arc<Mutex<Vec<Seen>>> {
    static EVENTS: OnceLock<Arc<Mutex<Vec<Seen>>>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let events = Arc::default();
        tracing::subscriber::set_global_default(Collect(Arc::clone(&events)))
            .expect("no other subscriber in this test binary");
        events
    })
}

/// The events about `node`, as `level message`.
fn about(node: &str, target: &str) -> Vec<String> {
    events()
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.node.as_deref() == Some(node) && e.target == target)
        .map(|e| format!("{} {}", e.level, e.message))
        .collect()
}

#[test]
fn every_start_exit_restart_and_intensity_trip_is_a_tracing_event_with_the_node_name() {
    events();
    let mut graph = Graph::new();
    graph.node_with(
        "traced-flaky",
        Command::new("false"),
        NodeOptions::new()
            .restart(Restart::OnFailure)
            .backoff(Duration::from_millis(5), Duration::from_millis(5)),
    );
    graph.intensity(1, Duration::from_secs(60));
    let ended = graph.spawn().unwrap().wait();
    assert!(ended.is_err(), "the intensity limit ends the graph");
    let seen = about("traced-flaky", "process_graph::supervise");
    let shapes: Vec<&str> = seen
        .iter()
        .map(|line| match line {
            l if l.starts_with("INFO traced-flaky started (pid ") => "start",
            l if l == "WARN traced-flaky exited with code 1; it restarts in 5ms" => "exit, restart",
            l if l == "WARN traced-flaky exited with code 1; the graph stops" => "exit, stop",
            l if l == "ERROR traced-flaky: restart intensity reached; the graph stops" => "trip",
            other => panic!("unexpected event {other:?} in {seen:#?}"),
        })
        .collect();
    assert_eq!(
        shapes,
        ["start", "exit, restart", "start", "exit, stop", "trip"],
        "{seen:#?}"
    );
}

#[test]
fn a_stop_is_traced_with_its_signal() {
    events();
    let mut graph = Graph::new();
    graph.node("traced-sleeper", Command::new("sleep").arg("1000"));
    let mut running = graph.spawn().unwrap();
    running.shutdown(Duration::from_secs(5)).unwrap();
    let seen = about("traced-sleeper", "process_graph::supervise");
    assert!(
        seen.iter()
            .any(|l| l.starts_with("INFO traced-sleeper is sent SIGTERM; SIGKILL in 5s")),
        "{seen:#?}"
    );
}

#[test]
fn forwarded_lines_become_tracing_events() {
    events();
    let mut graph = Graph::new();
    graph.node(
        "traced-talker",
        Command::new("sh")
            .args(["-c", "echo one; printf two >&2"])
            .stdout(Stdio::Sink(Sink::Tracing))
            .stderr(Stdio::Sink(Sink::Tracing)),
    );
    assert!(graph.spawn().unwrap().wait().unwrap().success());
    let mut seen = about("traced-talker", "process_graph::output");
    seen.sort();
    assert_eq!(seen, ["INFO one", "INFO two"]);
}
