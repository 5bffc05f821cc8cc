//! A node floods its `NOTIFY_SOCKET` with `MAINPID=` claims while the
//! application runs the loop without taking events: inside `spawn`, which
//! waits for the node's readiness before it starts a dependent, and inside
//! `reload`, which waits for the node to be ready again. Every refused
//! claim is an `Event::MainPidRefused`.
//!
//! The guarantee (README, "Guarantees, and where they stop"): the events
//! queued stay bounded by the graph, not by the flood. Found by a red-team
//! pass (stop 34): before, a 45 s flood during `reload` queued 1,076,800
//! events, 50.6 MiB; now at most 16 of a node's claim events are queued,
//! later ones replacing its last.

mod common;

use std::time::Duration;

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Readiness, RunningGraph};

/// Floods `MAINPID=x` for `argv[1]` seconds, then says `READY=1`: at once
/// (`start`), or after `READY=1` and a SIGHUP (`reload`), with
/// `RELOADING=1` first.
const FLOODER: &str = r#"
import os, signal, socket, sys, time
address = os.environ["NOTIFY_SOCKET"]
to = "\0" + address[1:] if address.startswith("@") else address
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
seconds = float(sys.argv[1])
def flood():
    end = time.time() + seconds
    while time.time() < end:
        for _ in range(100):
            try:
                s.sendto(b"MAINPID=x", to)
            except BlockingIOError:
                pass
    s.sendto(b"READY=1", to)
if sys.argv[2] == "start":
    flood()
else:
    signal.signal(signal.SIGHUP, lambda *_: (s.sendto(b"RELOADING=1", to), flood()))
    s.sendto(b"READY=1", to)
while True:
    time.sleep(1000)
"#;

/// How long each flood lasts: the runtime judges tens of thousands of
/// claims a second, so this queued ~100,000 events before.
const FLOOD_SECONDS: &str = "4";

/// The `MainPidRefused` events queued, taken now.
fn refusals_queued(running: &mut RunningGraph) -> usize {
    let mut refused = 0;
    while let Some(event) = running.next_event(Some(Duration::ZERO)).unwrap() {
        refused += usize::from(matches!(event, Event::MainPidRefused { .. }));
    }
    refused
}

fn flooder(mode: &str) -> Command {
    Command::new("/usr/bin/python3").args(["-c", FLOODER, FLOOD_SECONDS, mode])
}

#[test]
fn claims_flooded_during_spawn_do_not_pile_up() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "claims_flooded_during_spawn_do_not_pile_up",
        claims_flooded_during_spawn_do_not_pile_up_as_this_user,
    );
}

fn claims_flooded_during_spawn_do_not_pile_up_as_this_user() {
    let mut graph = Graph::new();
    let hostile = graph.node_with(
        "hostile",
        flooder("start"),
        NodeOptions::new().ready(Readiness::Notify),
    );
    graph.node_with(
        "dependent",
        Command::new("sleep").arg("600"),
        NodeOptions::new().after([hostile]),
    );
    let mut running = graph.spawn().unwrap();
    let queued = refusals_queued(&mut running);
    running.shutdown(Duration::from_secs(1)).unwrap();
    // Some, so the flood was judged; no more than the cap.
    assert!(
        (1..=16).contains(&queued),
        "{queued} refusals queued during spawn"
    );
}

#[test]
fn claims_flooded_during_reload_do_not_pile_up() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "claims_flooded_during_reload_do_not_pile_up",
        claims_flooded_during_reload_do_not_pile_up_as_this_user,
    );
}

fn claims_flooded_during_reload_do_not_pile_up_as_this_user() {
    let mut graph = Graph::new();
    let hostile = graph.node_with(
        "hostile",
        flooder("reload"),
        NodeOptions::new().ready(Readiness::Notify),
    );
    let mut running = graph.spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !matches!(
        running
            .next_event(Some(Duration::from_millis(100)))
            .unwrap(),
        Some(Event::Ready { .. })
    ) {
        assert!(std::time::Instant::now() < deadline, "never ready");
    }
    running.reload(hostile).unwrap();
    let queued = refusals_queued(&mut running);
    running.shutdown(Duration::from_secs(1)).unwrap();
    assert!(
        (1..=16).contains(&queued),
        "{queued} refusals queued during reload"
    );
}
