//! Supervision: readiness-gated start order, restart policies, strategies,
//! intensity, critical nodes and ordered shutdown.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Decision, Error, Event, Graph, NodeId, NodeOptions, NodeState, Outcome, Readiness,
    Restart, Strategy,
};

fn sh(script: &str) -> Command {
    Command::new("sh").arg("-c").arg(script)
}

/// Nanoseconds since the epoch, as written by `date +%s%N`.
fn stamp(dir: &Path, name: &str) -> u128 {
    let text = std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{name} was not written: {e}"));
    text.trim().parse().unwrap()
}

#[test]
fn notification_fd_gates_the_dependent_start() {
    let dir = common::TempDir::new("notify-fd");
    let mut graph = Graph::new();
    let db = graph.node_with(
        "db",
        sh("sleep 0.3; date +%s%N > ready; echo >&3; exec sleep 30").current_dir(dir.path()),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    let app = graph.node_with(
        "app",
        sh("date +%s%N > started").current_dir(dir.path()),
        NodeOptions::new().after([db]),
    );
    let mut running = graph.spawn().unwrap();
    // spawn() returns once every node has started, so app has started by now.
    assert_ne!(running.state(app), NodeState::Waiting);
    let mut order = Vec::new();
    while let Some(event) = running.next_event(Some(Duration::from_secs(10))).unwrap() {
        match event {
            Event::Started { node, .. } => order.push(("started", node)),
            Event::Ready { node } => order.push(("ready", node)),
            Event::Exited { node, .. } if node == app => break,
            _ => {}
        }
    }
    assert_eq!(
        order,
        [("started", db), ("ready", db), ("started", app)],
        "the dependent starts only after its dependency said it is ready"
    );
    assert!(stamp(dir.path(), "started") >= stamp(dir.path(), "ready"));
    running.shutdown(Duration::from_secs(1)).unwrap();
}

#[test]
fn not_ready_in_time_is_a_failure_of_the_node() {
    let mut graph = Graph::new();
    let slow = graph.node_with(
        "slow",
        sh("exec sleep 30"),
        NodeOptions::new()
            .ready(Readiness::Fd(3))
            .ready_timeout(Duration::from_millis(200)),
    );
    let mut running = graph.spawn().unwrap();
    let mut saw_timeout = false;
    let mut exited = false;
    while let Some(event) = running.next_event(Some(Duration::from_secs(10))).unwrap() {
        match event {
            Event::ReadyTimeout { node } => saw_timeout = node == slow,
            Event::Exited {
                node,
                status,
                decision,
            } => {
                assert_eq!(node, slow);
                assert!(!status.success());
                assert_eq!(decision, Decision::Leave);
                exited = true;
                break;
            }
            _ => {}
        }
    }
    assert!(saw_timeout);
    assert!(
        exited,
        "the node that was not ready in time was stopped (an Exited event)"
    );
}

#[test]
fn a_dependency_that_dies_unready_fails_the_graph() {
    let mut graph = Graph::new();
    let db = graph.node_with(
        "db",
        sh("exit 3"),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    graph.node_with("app", Command::new("true"), NodeOptions::new().after([db]));
    // It fails while the graph starts, so `spawn` returns the failure.
    match graph.spawn().err() {
        Some(Error::DependencyFailed {
            node,
            dependency,
            report,
        }) => {
            assert_eq!((node.as_str(), dependency.as_str()), ("app", "db"));
            assert_eq!(
                report.by_name("app").unwrap().status,
                None,
                "app never started"
            );
        }
        other => panic!("expected DependencyFailed, got {other:?}"),
    }
}

#[test]
fn crash_loop_backs_off_then_exceeds_the_intensity() {
    let mut graph = Graph::new();
    let crasher = graph.node_with(
        "crasher",
        sh("exit 1"),
        NodeOptions::new()
            .restart(Restart::OnFailure)
            .backoff(Duration::from_millis(20), Duration::from_millis(160)),
    );
    graph.intensity(5, Duration::from_secs(60));
    let mut running = graph.spawn().unwrap();
    let mut delays = Vec::new();
    while let Some(event) = running.next_event(Some(Duration::from_secs(20))).unwrap() {
        if let Event::Exited { node, decision, .. } = event {
            assert_eq!(node, crasher);
            match decision {
                Decision::Restart { delay } => delays.push(delay),
                Decision::StopGraph => break,
                Decision::Leave => panic!("on-failure must not leave a failed node"),
                _ => unreachable!(),
            }
        }
    }
    let ms = |m| Duration::from_millis(m);
    assert_eq!(delays, [ms(20), ms(40), ms(80), ms(160), ms(160)]);
    match running.wait() {
        Err(Error::RestartIntensity {
            node, max_restarts, ..
        }) => {
            assert_eq!(node, "crasher");
            assert_eq!(max_restarts, 5);
        }
        other => panic!("expected RestartIntensity, got {other:?}"),
    }
}

#[test]
fn exits_reaped_together_each_count_against_the_intensity() {
    let mut graph = Graph::new();
    let opts = || {
        NodeOptions::new()
            .restart(Restart::Always)
            .backoff(Duration::ZERO, Duration::ZERO)
    };
    let a = graph.node_with("a", Command::new("sleep").arg("30"), opts());
    let b = graph.node_with("b", Command::new("sleep").arg("30"), opts());
    graph.intensity(1, Duration::from_secs(60));
    let mut running = graph.spawn().unwrap();
    running.kill(a).unwrap();
    running.kill(b).unwrap();
    // Both are dead before the loop looks, so one poll reports both exits
    // and both are decided before either decision is carried out.
    std::thread::sleep(Duration::from_millis(200));
    match running.wait() {
        Err(Error::RestartIntensity { max_restarts, .. }) => assert_eq!(max_restarts, 1),
        other => panic!("expected RestartIntensity, got {other:?}"),
    }
    let snapshot = running.snapshot();
    let restarts: u32 = snapshot.nodes.iter().map(|n| n.restarts).sum();
    assert!(restarts <= 1, "{restarts} restarts with an intensity of 1");
}

/// Runs a graph of three sleepers `a <- b <- c` (b after a, c after b) plus
/// an independent `x`, crashes `crash`, and returns which nodes were
/// started again, in order.
fn restarted_after_crash(strategy: Strategy, crash: &str) -> Vec<String> {
    let mut graph = Graph::new();
    let opts = || {
        NodeOptions::new()
            .restart(Restart::Always)
            .backoff(Duration::ZERO, Duration::ZERO)
    };
    let a = graph.node_with("a", Command::new("sleep").arg("30"), opts());
    let b = graph.node_with("b", Command::new("sleep").arg("30"), opts().after([a]));
    graph.node_with("c", Command::new("sleep").arg("30"), opts().after([b]));
    graph.node_with("x", Command::new("sleep").arg("30"), opts());
    graph.strategy(strategy);
    let mut running = graph.spawn().unwrap();
    let victim = (0..4)
        .map(NodeId::from_index)
        .find(|&n| running.name(n) == crash)
        .unwrap();
    // Drain the start-up events first.
    while running
        .next_event(Some(Duration::from_millis(50)))
        .unwrap()
        .is_some()
    {}
    running.kill(victim).unwrap();
    let mut started = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match running
            .next_event(Some(Duration::from_millis(1000)))
            .unwrap()
        {
            Some(Event::Started { node, .. }) => started.push(running.name(node).to_owned()),
            Some(_) => {}
            None => break,
        }
    }
    running.shutdown(Duration::from_secs(1)).unwrap();
    started
}

#[test]
fn one_for_one_restarts_only_the_failed_node() {
    assert_eq!(restarted_after_crash(Strategy::OneForOne, "b"), ["b"]);
}

#[test]
fn one_for_all_restarts_every_node_in_start_order() {
    assert_eq!(
        restarted_after_crash(Strategy::OneForAll, "b"),
        ["a", "b", "c", "x"]
    );
}

#[test]
fn rest_for_one_restarts_the_failed_node_and_its_dependents() {
    assert_eq!(restarted_after_crash(Strategy::RestForOne, "b"), ["b", "c"]);
    assert_eq!(
        restarted_after_crash(Strategy::RestForOne, "a"),
        ["a", "b", "c"]
    );
    assert_eq!(restarted_after_crash(Strategy::RestForOne, "x"), ["x"]);
}

#[test]
fn rest_for_one_follows_pipes_too() {
    let mut graph = Graph::new();
    let opts = || {
        NodeOptions::new()
            .restart(Restart::Always)
            .backoff(Duration::ZERO, Duration::ZERO)
    };
    let producer = graph.node_with("producer", Command::new("sleep").arg("30"), opts());
    let consumer = graph.node_with("consumer", Command::new("cat"), opts());
    let other = graph.node_with("other", Command::new("sleep").arg("30"), opts());
    graph.pipe(producer.stdout(), consumer.stdin());
    graph.strategy(Strategy::RestForOne);
    let mut running = graph.spawn().unwrap();
    while running
        .next_event(Some(Duration::from_millis(50)))
        .unwrap()
        .is_some()
    {}
    running.kill(producer).unwrap();
    let mut started = Vec::new();
    while let Some(event) = running
        .next_event(Some(Duration::from_millis(1000)))
        .unwrap()
    {
        if let Event::Started { node, .. } = event {
            started.push(node);
        }
    }
    assert_eq!(started, [producer, consumer]);
    assert_ne!(running.state(other), NodeState::Stopped);
    running.shutdown(Duration::from_secs(1)).unwrap();
}

#[test]
fn a_critical_node_ends_the_graph() {
    let mut graph = Graph::new();
    let main = graph.node_with(
        "main",
        sh("sleep 0.2; exit 0"),
        NodeOptions::new().critical(true),
    );
    let helper = graph.node("helper", Command::new("sleep").arg("30"));
    let mut running = graph.spawn().unwrap();
    let report = running.wait().unwrap();
    assert_eq!(report.outcome(), Outcome::Critical { node: main });
    assert!(report[main].success());
    assert_eq!(
        report[helper].status.and_then(|s| s.signal()),
        Some(process_graph_runtime::Signal::TERM),
        "the helper was stopped with its stop signal"
    );
}

#[test]
fn shutdown_stops_dependents_first() {
    let dir = common::TempDir::new("stop-order");
    let mut graph = Graph::new();
    let mut previous: Option<NodeId> = None;
    let mut nodes = Vec::new();
    for name in ["first", "second", "third"] {
        // Each records when it starts, says it is ready only then (so the
        // next one starts after the stamp), and records when SIGTERM reaches
        // it. It waits in `wait`, which a trapped signal interrupts, so the
        // stamp is taken at once (a foreground `sleep` would delay the trap
        // until it ends). It then takes 0.2 s to exit: a dependency
        // signalled only once its dependent has exited stamps at least that
        // much later than the dependent.
        let script = format!(
            "trap 'date +%s%N > {name}.stop; sleep 0.2; exit 0' TERM; \
             date +%s%N > {name}.start; echo >&3; while :; do sleep 0.05 & wait $!; done"
        );
        let opts = NodeOptions::new().after(previous).ready(Readiness::Fd(3));
        let node = graph.node_with(name, sh(&script).current_dir(dir.path()), opts);
        previous = Some(node);
        nodes.push(name);
    }
    let mut running = graph.spawn().unwrap();
    // The last node installs its trap before it says it is ready.
    while running.state(previous.unwrap()) != NodeState::Running {
        let event = running.next_event(Some(Duration::from_secs(5))).unwrap();
        assert!(event.is_some(), "the last node was not running within 5 s");
    }
    let report = running.shutdown(Duration::from_secs(5)).unwrap();
    assert!(report.success(), "{report}");
    let starts: Vec<u128> = nodes
        .iter()
        .map(|n| stamp(dir.path(), &format!("{n}.start")))
        .collect();
    let stops: Vec<u128> = nodes
        .iter()
        .map(|n| stamp(dir.path(), &format!("{n}.stop")))
        .collect();
    assert!(
        starts.is_sorted(),
        "started in declaration order: {starts:?}"
    );
    // The trap's `sleep 0.2` less scheduling slack: the runtime signalled
    // each dependency only after its dependent had exited, not all at once.
    const STOP_LAG: u128 = Duration::from_millis(150).as_nanos();
    for (i, pair) in stops.windows(2).enumerate() {
        let (dependency, dependent) = (pair[0], pair[1]);
        assert!(
            dependency >= dependent + STOP_LAG,
            "{} was stopped {} ms after its dependent {}, not once the dependent \
             had exited (>= 150 ms): {stops:?}",
            nodes[i],
            (dependency as i128 - dependent as i128) / 1_000_000,
            nodes[i + 1]
        );
    }
}

#[test]
fn the_application_overrides_a_restart_decision() {
    let mut graph = Graph::new();
    let worker = graph.node_with(
        "worker",
        sh("exit 1"),
        NodeOptions::new().restart(Restart::OnFailure),
    );
    let mut running = graph.spawn().unwrap();
    loop {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::Exited { node, decision, .. }) => {
                assert_eq!(node, worker);
                assert!(matches!(decision, Decision::Restart { .. }));
                assert!(running.decide(Decision::Leave));
                break;
            }
            Some(_) => {}
            None => panic!("no exit"),
        }
    }
    let report = running.wait().unwrap();
    assert_eq!(report[worker].restarts, 0);
    assert_eq!(running.state(worker), NodeState::Stopped);
}
