//! What a node removed from a running graph (`RunningGraph::remove`) held
//! in the event loop's wait set goes with it: the eventfd of its log-line
//! probe leaves the set before it is closed — left in, `ppoll` reports it
//! invalid on every wait and the loop spins — and its `NOTIFY_SOCKET` is
//! closed, not kept until the graph ends.
//!
//! One test, so that no other test of this binary opens fds or uses CPU
//! meanwhile.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::open_fds;
use process_graph_runtime::{Command, Graph, NodeId, NodeOptions, NodeState, Probe, Readiness};

#[test]
fn removed_nodes_leave_nothing_in_the_wait_set() {
    common::as_root_and_unprivileged("removed_nodes_leave_nothing_in_the_wait_set", || {
        // Three fds in the wait set: it is polled with `ppoll`.
        removed_log_line_node_leaves_the_loop_idle(1);
        // More than 8: it has moved into an epoll instance.
        removed_log_line_node_leaves_the_loop_idle(12);
        removed_notify_nodes_leave_no_sockets();
    });
}

/// How many of this process's fds point to `what` (`"anon_inode:[eventfd]"`).
fn count(fds: &BTreeMap<i32, String>, what: &str) -> usize {
    fds.values().filter(|t| *t == what).count()
}

/// A node whose readiness probe watches its output for a line is removed
/// once it is ready, beside `sleepers` other nodes: its eventfd is closed,
/// and the loop then sleeps through a timed wait (a tenth of the wait's CPU
/// at most; spinning, it takes most of it).
fn removed_log_line_node_leaves_the_loop_idle(sleepers: usize) {
    common::within(
        Duration::from_secs(60),
        "a removed log-line node",
        move || {
            let mut graph = Graph::new();
            let printer = graph.node_with(
                "printer",
                Command::new("sh").args(["-c", "echo 'listening on 1'; exec sleep 600"]),
                NodeOptions::new().ready_probe(Probe::log_line("listening on")),
            );
            for i in 0..sleepers {
                graph.node(format!("sleeper{i}"), Command::new("sleep").arg("600"));
            }
            let mut running = graph.spawn().unwrap();
            // Its probe saw the line.
            common::run_until(&mut running, "printer ready", |r| {
                r.state(printer) == NodeState::Running
            });
            let fds = open_fds();
            let epoll = count(&fds, "anon_inode:[eventpoll]") > 0;
            assert_eq!(
                epoll,
                sleepers > 8,
                "{} fds in the wait set, which is {}: {fds:?}",
                sleepers + 2,
                if epoll { "epoll" } else { "ppoll" }
            );
            let eventfds = count(&fds, "anon_inode:[eventfd]");
            assert!(eventfds >= 1, "no eventfd for the log-line probe: {fds:?}");
            running.remove([printer]);
            common::run_until(&mut running, "printer ended", |r| {
                r.state(printer).is_final()
            });
            // The output thread lets go of its copy once it has forwarded what
            // the node wrote: then the eventfd is closed.
            common::run_until(&mut running, "the probe's eventfd closed", |_| {
                count(&open_fds(), "anon_inode:[eventfd]") < eventfds
            });
            let (cpu0, wall0) = (common::thread_cpu_time(), Instant::now());
            let idle = running
                .next_event(Some(Duration::from_secs(1)))
                .expect("next_event");
            let (cpu, wall) = (common::thread_cpu_time() - cpu0, wall0.elapsed());
            assert_eq!(idle, None, "nothing happens after the removal");
            assert!(
                cpu < wall / 10,
                "with {sleepers} other nodes, the loop used {cpu:?} of CPU in a wait of {wall:?} \
             after a node with a log-line probe was removed: it spins"
            );
            let others = (1..=sleepers).map(NodeId::from_index);
            assert!(
                others
                    .clone()
                    .all(|n| running.state(n) == NodeState::Running)
            );
            running.shutdown(Duration::from_secs(5)).unwrap();
        },
    );
}

const ROUNDS: usize = 30;

/// Nodes with `Readiness::Notify` are added and removed, started ones and
/// ones that never started: afterwards this process holds the fds it held
/// before, none of their sockets.
fn removed_notify_nodes_leave_no_sockets() {
    common::within(Duration::from_secs(120), "notify nodes", || {
        let mut graph = Graph::new();
        let base = graph.node("base", Command::new("sleep").arg("600"));
        let mut running = graph.spawn().unwrap();
        common::run_until(&mut running, "base started", |r| {
            r.state(base) == NodeState::Running
        });
        let before = fds_besides_pidfds();
        let notify = || {
            NodeOptions::new()
                .ready(Readiness::Notify)
                .ready_timeout(Duration::from_secs(600))
        };
        for round in 0..ROUNDS {
            let mut more = Graph::new();
            // Never says it is ready...
            let gate = more.node_with(
                format!("gate{round}"),
                Command::new("sleep").arg("600"),
                notify(),
            );
            // ...so this one never starts.
            let waiter = more.node_with(
                format!("waiter{round}"),
                Command::new("sleep").arg("600"),
                notify().after([gate]),
            );
            let added = running.add(more).unwrap();
            let (gate, waiter) = (added.node(gate), added.node(waiter));
            common::run_until(&mut running, "gate started", |r| r.pid(gate).is_some());
            assert_eq!(running.state(waiter), NodeState::Waiting);
            // Each has its socket now.
            assert!(
                count_sockets(&open_fds()) >= count_sockets(&before) + 2,
                "round {round}: no notify sockets? {:?}",
                open_fds()
            );
            running.remove([gate, waiter]);
            common::run_until(&mut running, "removed nodes ended", |r| {
                r.state(gate).is_final() && r.state(waiter).is_final()
            });
        }
        assert_eq!(
            fds_besides_pidfds(),
            before,
            "fds left by {ROUNDS} rounds of removed Notify nodes"
        );
        running.shutdown(Duration::from_secs(5)).unwrap();
    });
}

fn count_sockets(fds: &BTreeMap<i32, String>) -> usize {
    fds.values().filter(|t| t.starts_with("socket:")).count()
}

/// This process's fds but its pidfds (the base node's, while it runs).
fn fds_besides_pidfds() -> BTreeMap<i32, String> {
    let mut fds = open_fds();
    fds.retain(|_, target| !target.contains("pidfd"));
    fds
}
