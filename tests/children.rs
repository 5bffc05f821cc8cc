//! Typed children: a `#[children]` field of type `Children<G>` takes graphs
//! of type `G` at run time (OTP's `simple_one_for_one`). Each child is a
//! subgraph `field.N` with its own strategy and intensity, named by the
//! enclosing node enum (`PoolNode::Workers(child)`), in events, handles and
//! the report; `remove_child` stops it for good. 100 come and go while
//! events flow, and nothing of them is left.

mod common;

use std::time::{Duration, Instant};

use common::{
    children_of_this_process, fds_besides_pidfds, live_marked_processes, marked, unique_marker,
};
use process_graph::prelude::*;
use process_graph::{Error, Running, SubgraphFailure};

/// One worker; past two restarts in 30 s it fails as a unit.
#[process_graph(intensity = 2, period = "30s")]
pub struct Worker {
    #[process(restart = "always", backoff = "10ms..10ms")]
    work: Cmd,
}

/// A dispatcher and its workers, added at run time; a worker that fails
/// as a unit is restarted whole, at most three times in all.
#[process_graph(intensity = 3, period = "30s")]
pub struct Pool {
    #[process(restart = "always", backoff = "1ms..1ms")]
    dispatcher: Cmd,
    #[children]
    workers: Children<Worker>,
}

/// A pool whose ticker restarts every 10 ms, without limit.
#[process_graph(intensity = 1000000, period = "1s")]
pub struct BusyPool {
    #[process(restart = "always", backoff = "1ms..1ms")]
    ticker: Cmd,
    #[children]
    workers: Children<Worker>,
}

const ROUNDS: usize = 100;

/// The same, but a worker that fails as a unit stops the pool.
#[process_graph(intensity = 10, period = "30s")]
pub struct StrictPool {
    #[process]
    dispatcher: Cmd,
    #[children(on_failure = "escalate")]
    workers: Children<Worker>,
}

fn sleeper() -> Cmd {
    Cmd::new("sleep").arg("30")
}

/// Fails 50 ms after it starts.
fn crasher() -> Cmd {
    Cmd::new("sh").args(["-c", "sleep 0.05; exit 3"])
}

/// The next event, skipping none, within 10 s.
fn next<N: GraphNode>(running: &mut Running<N>) -> GraphEvent<N> {
    running
        .next_event(Some(Duration::from_secs(10)))
        .expect("events")
        .expect("an event within 10 s")
}

fn children_are_named_by_the_enclosing_node_enum() {
    let mut running = Pool::new(sleeper()).spawn().expect("spawn the pool");
    let first = running.add_workers(Worker::new(sleeper())).unwrap();
    let second = running.add_workers(Worker::new(sleeper())).unwrap();
    assert_eq!((first.number(), second.number()), (0, 1));

    let work = PoolNode::Workers(second.node(WorkerNode::Work));
    assert_eq!(work.to_string(), "workers.1.work");
    assert_eq!(work.name(), "workers");
    assert_eq!(running.running_graph().name(work.id()), "workers.1.work");
    let pid = running.process(work).pid().expect("the second worker runs");

    // Its events name it by the enum, and its exit is its own.
    running.signal(work, Signal::KILL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no exit of {work}");
        if let GraphEvent::Exited { node, status, .. } = next(&mut running) {
            assert_eq!(node, work);
            assert_eq!(status, ExitStatus::Signaled(Signal::KILL));
            break;
        }
    }
    // Restarted by the worker's own policy, under a new pid.
    loop {
        assert!(Instant::now() < deadline, "{work} was not restarted");
        if let GraphEvent::Started { node, pid: new } = next(&mut running) {
            assert_eq!(node, work);
            assert_ne!(new, pid);
            break;
        }
    }

    let report = running.shutdown(Duration::from_secs(5)).unwrap();
    let listed: Vec<String> = report.workers.iter().map(|c| c.node.to_string()).collect();
    assert_eq!(listed, ["0.work", "1.work"]);
    assert_eq!(report.get(work).restarts, 1);
    assert!(report.to_string().contains("workers.0.work"), "{report}");
}

fn a_child_past_its_intensity_is_restarted_whole_and_counts_against_the_pool() {
    let mut running = Pool::new(sleeper()).spawn().expect("spawn the pool");
    let child = running.add_workers(Worker::new(crasher())).unwrap();
    let work = PoolNode::Workers(child.node(WorkerNode::Work));
    let (mut failures, mut starts) = (0, 0);
    while let Some(event) = running.next_event(Some(Duration::from_secs(20))).unwrap() {
        match event {
            GraphEvent::SubgraphFailed { subgraph, .. } => {
                assert_eq!(subgraph, "workers.0");
                failures += 1;
            }
            GraphEvent::Started { node, .. } if node == work => starts += 1,
            _ => {}
        }
    }
    // Each failure as a unit takes 3 starts (the first and 2 restarts); the
    // pool restarts the child whole 3 times, and the 4th failure is past
    // the pool's own intensity.
    assert_eq!(failures, 4);
    assert_eq!(starts, 12);
    match running.wait() {
        Err(Error::RestartIntensity { node, .. }) => assert_eq!(&*node, "workers.0.work"),
        other => panic!("expected the pool's intensity, got {other:?}"),
    }
}

fn an_escalating_child_stops_the_pool_at_its_first_failure() {
    let mut running = StrictPool::new(sleeper()).spawn().expect("spawn");
    running.add_workers(Worker::new(crasher())).unwrap();
    let mut failures = 0;
    while let Some(event) = running.next_event(Some(Duration::from_secs(20))).unwrap() {
        if let GraphEvent::SubgraphFailed { on_failure, .. } = event {
            assert_eq!(on_failure, SubgraphFailure::Escalate);
            failures += 1;
        }
    }
    assert_eq!(failures, 1);
    assert!(
        running.dispatcher().pid().is_none(),
        "the dispatcher was stopped too"
    );
    let outcome = running.wait();
    assert!(
        matches!(outcome, Err(Error::RestartIntensity { .. })),
        "{outcome:?}"
    );
}

fn a_node_added_untyped_is_passed_over_by_typed_events() {
    let mut running = StrictPool::new(Cmd::new("true")).spawn().expect("spawn");
    let mut more = process_graph::Graph::new();
    let extra = more.node("extra", Cmd::new("true"));
    let added = running.running_graph_mut().add(more).unwrap();
    let mut seen = Vec::new();
    while let Some(event) = running.next_event(Some(Duration::from_secs(10))).unwrap() {
        seen.push(event.to_string());
    }
    assert!(seen.iter().any(|e| e.contains("dispatcher")), "{seen:?}");
    assert!(!seen.iter().any(|e| e.contains("extra")), "{seen:?}");
    // The runtime still ran and reaped it.
    let status = running.running_graph().status(added.node(extra));
    assert_eq!(status, Some(ExitStatus::Exited(0)));
}

fn a_hundred_children_come_and_go_while_events_flow_and_leave_nothing() {
    common::within(Duration::from_secs(120), "100 children", || {
        let marker = unique_marker("children");
        // The ticker restarts every 10 ms: events keep flowing.
        let ticker = Cmd::new("sh").args(["-c", "sleep 0.01; exit 1"]);
        let mut running = BusyPool::new(ticker).spawn().unwrap();
        let mut typed_child_events = 0;
        run_until(&mut running, &mut typed_child_events, |r| {
            r.process(BusyPoolNode::Ticker).pid().is_some()
        });
        let before = fds_besides_pidfds();
        for round in 0..ROUNDS {
            let worker = Worker::new(marked(Cmd::new("sleep").arg("600"), &marker));
            let child = running.add_workers(worker).unwrap();
            assert_eq!(child.number(), round as u32);
            let work = BusyPoolNode::Workers(child.node(WorkerNode::Work));
            run_until(&mut running, &mut typed_child_events, |r| {
                r.process(work).pid().is_some()
            });
            running.remove_child(child);
            run_until(&mut running, &mut typed_child_events, |r| {
                r.process(work).state().is_final()
            });
        }
        assert_eq!(typed_child_events, ROUNDS, "every child's start, typed");
        assert_eq!(fds_besides_pidfds(), before, "fds leaked");
        let left = live_marked_processes(&marker);
        assert!(left.is_empty(), "removed children left processes: {left:?}");
        assert_eq!(
            running.snapshot().nodes.len(),
            1,
            "removed children are not listed"
        );
        running.stop(BusyPoolNode::Ticker);
        run_until(&mut running, &mut typed_child_events, |r| {
            r.process(BusyPoolNode::Ticker).state().is_final()
        });
        let zombies: Vec<_> = children_of_this_process()
            .into_iter()
            .filter(|p| !p.is_live())
            .collect();
        assert!(zombies.is_empty(), "zombies: {zombies:?}");
        let report = running.wait().unwrap();
        assert_eq!(
            report.workers.len(),
            ROUNDS,
            "every removed child is in the report"
        );
    });
}

/// Runs the event loop until `done` holds, counting the starts of
/// children's nodes, each named by the enum.
fn run_until(
    running: &mut Running<BusyPoolNode>,
    child_starts: &mut usize,
    done: impl Fn(&Running<BusyPoolNode>) -> bool,
) {
    let count = |event| {
        if let GraphEvent::Started {
            node: BusyPoolNode::Workers(_),
            ..
        } = event
        {
            *child_starts += 1;
        }
    };
    common::run_until_seeing(running, count, done);
}

/// One test, so that no other test of this file opens fds meanwhile, run
/// as root and again as uid 65534.
#[test]
fn children() {
    common::as_root_and_unprivileged("children", || {
        children_are_named_by_the_enclosing_node_enum();
        a_child_past_its_intensity_is_restarted_whole_and_counts_against_the_pool();
        an_escalating_child_stops_the_pool_at_its_first_failure();
        a_node_added_untyped_is_passed_over_by_typed_events();
        a_hundred_children_come_and_go_while_events_flow_and_leave_nothing();
    });
}
