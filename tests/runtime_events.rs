//! `next_event`: each node's start and exit are reported exactly once; a
//! waker wakes it; a timeout with nothing happening returns `None`, and so
//! does a finished graph.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use process_graph_runtime::{Command, Decision, Endpoint, Event, ExitStatus, Graph, NodeId};

const SHORT: Duration = Duration::from_millis(50);

#[test]
fn each_start_and_exit_is_reported_exactly_once() {
    let mut graph = Graph::new();
    let zero = graph.node("zero", Command::new("true"));
    let one = graph.node("one", Command::new("false"));
    let three = graph.node("three", Command::new("sh").args(["-c", "exit 3"]));
    let mut running = graph.spawn().unwrap();
    let pids: BTreeMap<NodeId, u32> = [zero, one, three]
        .into_iter()
        .filter_map(|n| Some((n, running.pid(n)?)))
        .collect();

    let mut starts: BTreeMap<NodeId, Vec<u32>> = BTreeMap::new();
    let mut exits: BTreeMap<NodeId, Vec<ExitStatus>> = BTreeMap::new();
    while let Some(event) = running.next_event(Some(common::DEATH_TIMEOUT)).unwrap() {
        match event {
            Event::Started { node, pid } => starts.entry(node).or_default().push(pid),
            Event::Exited {
                node,
                status,
                decision,
            } => {
                assert_eq!(decision, Decision::Leave, "nodes are never restarted");
                exits.entry(node).or_default().push(status);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        running.is_finished(),
        "next_event returned None before the end"
    );
    assert_eq!(starts.len(), 3, "{starts:?}");
    // Every node, including those whose pid had gone when `pids` was taken.
    for node in [zero, one, three] {
        assert_eq!(starts[&node].len(), 1, "one start of {node:?}: {starts:?}");
    }
    for (node, pid) in pids {
        assert_eq!(starts[&node], [pid], "the start of {node:?}");
    }
    assert_eq!(
        exits,
        BTreeMap::from([
            (zero, vec![ExitStatus::Exited(0)]),
            (one, vec![ExitStatus::Exited(1)]),
            (three, vec![ExitStatus::Exited(3)]),
        ])
    );
    // Finished: None at once, even with no timeout.
    assert_eq!(running.next_event(None).unwrap(), None);
    assert!(!running.wait().unwrap().success());
}

#[test]
fn waker_timeout_and_exit_each_end_a_wait() {
    let mut graph = Graph::new();
    // cat cannot exit before the parent closes its stdin.
    let cat = graph.node("cat", Command::new("cat"));
    let input = graph.pipe(Endpoint::Parent, cat.stdin());
    let mut running = graph.spawn().unwrap();
    let input = running.take_writer(input).unwrap();

    assert_eq!(
        common::next_event_past_starts(&mut running, Some(SHORT)),
        None,
        "timeout"
    );

    let waker = running.waker().unwrap();
    let from_another_thread = std::thread::spawn(move || waker.wake());
    assert_eq!(
        running.next_event(Some(common::DEATH_TIMEOUT)).unwrap(),
        Some(Event::Woken)
    );
    from_another_thread.join().unwrap();
    // The wake-up was consumed: nothing is pending now.
    assert_eq!(running.next_event(Some(SHORT)).unwrap(), None);

    drop(input);
    assert_eq!(
        running.next_event(Some(common::DEATH_TIMEOUT)).unwrap(),
        Some(Event::Exited {
            node: cat,
            status: ExitStatus::Exited(0),
            decision: Decision::Leave,
        })
    );
    assert_eq!(running.next_event(Some(SHORT)).unwrap(), None);
    assert!(running.is_finished());
}
