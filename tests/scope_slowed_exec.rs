//! A node slows the start of a node added into its scope without stopping
//! anything: root in a user + pid scope, with a mount namespace of its own,
//! it bind-mounts a copy of `/usr/bin/sleep` it owns over the real one and
//! takes a write lease on it. The carried program's clone of the added node
//! then blocks in `execve`'s open, breaking the lease, for the kernel's
//! `lease-break-time` (45 s by default): asleep, not stopped, so the
//! stopped-helper checks do not see it.
//!
//! The guarantees (README, "Limits to know"): such a start is cut at the
//! helpers' limit, fails, and leaves nothing running. The program gives up
//! on the clone before the application gives up on the program, so it is
//! the program that kills it, and the application reaps it. Before, the
//! application gave up first, and the clone, the application's child, went
//! on into `execve` once the lease expired: a node that had been reported
//! failed and that no graph tracked. And the start holds up that node
//! alone: the application's event loop does not wait for it, so an
//! unrelated node's crash is seen and restarted at once. A stop or a
//! `remove` of the node during the start kills the clone at its stop
//! timeout, with or without cgroups: the clone reports its own pid before
//! it does anything else, so the application holds it. Before, that
//! pid was the program's alone until the `execve`, and without cgroups the
//! stop waited out the program's limit (24 s).
//!
//! The first test takes about 25 s (the program's limit), its root and
//! uid 65534 runs at once. Every test runs as root and again as uid 65534
//! (a user namespace is all the node needs), the second without cgroups
//! here.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Event, Graph, Namespace, NodeId, NodeOptions, NodeState, Probe, Restart, RunningGraph,
    ScopeId, ScopeSpec,
};

/// The [`leased`] graph with a node added into the scope, whose start the
/// lease holds up: the running graph, the added node, the unrelated node,
/// the children of this process before the add, and how long the add took.
struct Held {
    running: RunningGraph,
    late: NodeId,
    other: NodeId,
    children: usize,
    add_took: Duration,
    _dir: common::TempDir,
}

/// A graph of the leasing node (with `leaser`'s options) in a user + pid +
/// mount scope and an unrelated node outside it that restarts whenever it
/// ends, running once the lease is taken: the running graph, the scope, the
/// unrelated node, and the directory the lease is told in.
fn leased(leaser: NodeOptions) -> (RunningGraph, ScopeId, NodeId, common::TempDir) {
    let mut graph = Graph::new();
    let scope = graph.scope(
        "box",
        ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Mount]),
    );
    let other = graph.node_with(
        "other",
        Command::new("sleep").arg("600"),
        NodeOptions::new().restart(Restart::Always),
    );
    let (running, _, dir) = common::spawn_leased(graph, scope, leaser, common::LEASE, &[]);
    (running, scope, other, dir)
}

/// SIGKILLs node `node`'s process; when.
fn crash(running: &RunningGraph, node: NodeId) -> Instant {
    let pid = running.pid(node).unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    Instant::now()
}

fn held_start() -> Held {
    let (mut running, scope, other, dir) = leased(NodeOptions::new());
    let children = common::children_of_this_process().len();
    let mut more = Graph::new();
    let inside = more.running_scope(scope);
    let late = more.node_with(
        "late",
        Command::new("sleep").arg("600"),
        NodeOptions::new()
            .scope(inside)
            .stop_timeout(Duration::from_secs(1)),
    );
    let asked = Instant::now();
    let late = running.add(more).unwrap().node(late);
    Held {
        add_took: asked.elapsed(),
        running,
        late,
        other,
        children,
        _dir: dir,
    }
}

#[test]
fn a_start_held_in_execve_holds_up_that_node_alone_then_fails_and_leaves_nothing() {
    let _serial = common::serial();
    // Each run waits out the program's limit: wait once.
    common::as_root_and_unprivileged_at_once(
        "a_start_held_in_execve_holds_up_that_node_alone_then_fails_and_leaves_nothing",
        a_start_held_in_execve_holds_up_that_node_alone_then_fails_and_leaves_nothing_as_this_user,
    );
}

fn a_start_held_in_execve_holds_up_that_node_alone_then_fails_and_leaves_nothing_as_this_user() {
    let Held {
        mut running,
        late,
        other,
        children,
        add_took,
        _dir,
    } = held_start();
    assert!(
        add_took < Duration::from_secs(5),
        "the add waited {add_took:?}"
    );
    assert_eq!(running.state(late), NodeState::Starting);
    assert_eq!(running.pid(late), None);
    // While the start is held: an unrelated node that crashes is seen and
    // restarted at once.
    let killed = crash(&running, other);
    let mut failed = None;
    let mut restarted = None;
    let deadline = killed + Duration::from_secs(40);
    while failed.is_none() && Instant::now() < deadline {
        match running
            .next_event(Some(Duration::from_millis(200)))
            .unwrap()
        {
            Some(Event::Started { node, .. }) if node == other => {
                restarted.get_or_insert(killed.elapsed());
            }
            Some(Event::StartFailed { node, error }) if node == late => failed = Some(error),
            _ => {}
        }
    }
    let restarted = restarted.expect("the unrelated node was not restarted");
    assert!(
        restarted < Duration::from_secs(5),
        "the unrelated node's restart waited {restarted:?} for the held start"
    );
    assert!(failed.is_some(), "the held-up start did not fail");
    assert_eq!(running.pid(late), None);
    // Nothing of it is left: no clone asleep in `execve`, no zombie.
    let left = common::children_of_this_process();
    assert_eq!(left.len(), children, "left: {left:?} ({failed:?})");
    running.shutdown(Duration::from_secs(1)).unwrap();
}

#[test]
fn a_graph_stops_without_waiting_for_a_start_held_in_execve() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_graph_stops_without_waiting_for_a_start_held_in_execve",
        a_graph_stops_without_waiting_for_a_start_held_in_execve_as_this_user,
    );
}

fn a_graph_stops_without_waiting_for_a_start_held_in_execve_as_this_user() {
    let before = common::children_of_this_process().len();
    let Held {
        mut running,
        late,
        add_took,
        _dir,
        ..
    } = held_start();
    // Into `execve` by now, and held there.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(running.state(late), NodeState::Starting);
    let asked = Instant::now();
    running.shutdown(Duration::from_secs(1)).unwrap();
    let took = add_took + asked.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the add and the stop took {took:?}"
    );
    let left = common::children_of_this_process();
    assert_eq!(left.len(), before, "left: {left:?}");
}

#[test]
fn a_node_removed_during_a_start_held_in_execve_is_gone_at_its_stop_timeout() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_node_removed_during_a_start_held_in_execve_is_gone_at_its_stop_timeout",
        a_node_removed_during_a_start_held_in_execve_is_gone_at_its_stop_timeout_as_this_user,
    );
}

/// The scope lives on (the leaser is in it), so only the clone's own kill
/// ends the start: nothing else would end a clone asleep in `execve`.
fn a_node_removed_during_a_start_held_in_execve_is_gone_at_its_stop_timeout_as_this_user() {
    let Held {
        mut running,
        late,
        children,
        _dir,
        ..
    } = held_start();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(running.state(late), NodeState::Starting);
    let asked = Instant::now();
    running.remove([late]);
    while !running.state(late).is_final() && asked.elapsed() < Duration::from_secs(40) {
        let _ = running
            .next_event(Some(Duration::from_millis(100)))
            .unwrap();
    }
    let took = asked.elapsed();
    // Its stop timeout is 1 s.
    assert!(took < Duration::from_secs(5), "the removal took {took:?}");
    assert_eq!(running.pid(late), None);
    let left = common::children_of_this_process();
    assert_eq!(left.len(), children, "left: {left:?}");
    running.shutdown(Duration::from_secs(1)).unwrap();
}

#[test]
fn a_node_that_holds_its_own_exec_probe_does_not_hold_the_event_loop() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_node_that_holds_its_own_exec_probe_does_not_hold_the_event_loop",
        a_node_that_holds_its_own_exec_probe_does_not_hold_the_event_loop_as_this_user,
    );
}

fn a_node_that_holds_its_own_exec_probe_does_not_hold_the_event_loop_as_this_user() {
    let before = common::children_of_this_process().len();
    // Its liveness probe runs `/usr/bin/sleep` in the scope, which the node
    // has leased: every attempt blocks in `execve`.
    let probe = Probe::exec(["/usr/bin/sleep", "0"])
        .period(Duration::from_millis(100))
        .timeout(Duration::from_secs(20));
    let (mut running, _, other, _dir) = leased(NodeOptions::new().live_probe(probe));
    // An attempt is under way, held in `execve`.
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        let _ = running.next_event(Some(Duration::from_millis(50)));
    }
    let killed = crash(&running, other);
    let restarted = loop {
        let elapsed = killed.elapsed();
        assert!(
            elapsed < Duration::from_secs(5),
            "the unrelated node's restart waited {elapsed:?} for the held probe"
        );
        if let Some(Event::Started { node, .. }) = running
            .next_event(Some(Duration::from_millis(100)))
            .unwrap()
            && node == other
        {
            break killed.elapsed();
        }
    };
    assert!(restarted < Duration::from_secs(5), "{restarted:?}");
    running.shutdown(Duration::from_secs(1)).unwrap();
    let left = common::children_of_this_process();
    assert_eq!(left.len(), before, "left: {left:?}");
}
