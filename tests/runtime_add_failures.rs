//! A failed `RunningGraph::add` leaves the running graph as it was: the
//! same nodes, the same fds, no thread more (the add forwards output, which
//! starts the graph's output thread), and the next add numbers its nodes on
//! from the running graph's and runs the nodes it was given. The failures
//! tried: a scope id the running graph does not have, and every step of an
//! add that runs out of fds — the add tried with no fd free, then one, two,
//! … until it succeeds, in a copy of this binary, as the limit is the whole
//! process's — among them the wait set moving into an epoll instance to
//! hold the added nodes' `NOTIFY_SOCKET`s. Run as root and as uid 65534.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use process_graph_runtime::{
    Command, Error, Graph, LineEnd, NodeId, NodeOptions, Readiness, RunningGraph, ScopeId, Sink,
    Stdio,
};
use rustix::process::{Resource, getrlimit, setrlimit};

/// Set in the copy of this binary that runs [`fd_limit_helper`].
const HELPER_VAR: &str = "PROCESS_GRAPH_TEST_ADD_FAILURE_HELPER";

/// Nodes notifying readiness in the graph added: their sockets take the
/// wait set past the 8 fds it polls before it moves into an epoll instance.
const NOTIFYING: usize = 9;

/// What a failed add must leave as it was.
#[derive(Debug, PartialEq)]
struct State {
    nodes: Vec<String>,
    fds: BTreeMap<i32, String>,
    threads: usize,
}

fn state(running: &RunningGraph) -> State {
    State {
        nodes: running
            .snapshot()
            .nodes
            .into_iter()
            .map(|n| n.name)
            .collect(),
        fds: common::open_fds(),
        threads: common::thread_ids().len(),
    }
}

/// A running graph of one node, with no output thread.
fn one_sleeper() -> RunningGraph {
    let mut graph = Graph::new();
    graph.node("sleeper", Command::new("sleep").arg("600"));
    graph.spawn().unwrap()
}

/// [`NOTIFYING`] nodes notifying readiness, their output going to `sink`.
fn notifying(sink: &Sink) -> Graph {
    let mut graph = Graph::new();
    for n in 0..NOTIFYING {
        graph.node_with(
            format!("notifying{n}"),
            Command::new("sleep")
                .arg("600")
                .stdout(Stdio::Sink(sink.clone())),
            NodeOptions::new().ready(Readiness::Notify),
        );
    }
    graph
}

/// Adds a node that prints a line: it must get id `index`, the next one,
/// and be the one that runs, its line arriving under its name.
fn the_next_add_runs_its_node(running: &mut RunningGraph, index: usize) {
    let (sink, seen) = common::collecting();
    let mut more = Graph::new();
    let check = more.node(
        "check",
        Command::new("echo")
            .arg("check-ran")
            .stdout(Stdio::Sink(sink)),
    );
    let id = running.add(more).unwrap().node(check);
    assert_eq!(id.index(), index, "the next add's first id");
    // The added node ran: its line arrived.
    common::run_until(running, "the added node's line", |_| {
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l.is("check", "check-ran", LineEnd::Newline))
    });
}

/// One test, so that no other test of this file opens fds or threads
/// meanwhile.
#[test]
fn a_failed_add_leaves_the_running_graph_as_it_was() {
    common::as_root_and_unprivileged("a_failed_add_leaves_the_running_graph_as_it_was", || {
        an_unknown_scope_fails_the_add_and_changes_nothing();
        every_step_of_an_add_that_runs_out_of_fds_changes_nothing();
    });
}

fn an_unknown_scope_fails_the_add_and_changes_nothing() {
    common::within(Duration::from_secs(30), "unknown scope", || {
        let mut running = one_sleeper();
        let before = state(&running);
        let (sink, _seen) = common::collecting();
        let mut more = notifying(&sink);
        let nowhere = more.running_scope(ScopeId::from_index(99));
        more.node_with(
            "lost",
            Command::new("true"),
            NodeOptions::new().scope(nowhere),
        );
        let error = running.add(more).unwrap_err();
        assert!(matches!(error, Error::NoSuchScope { .. }), "{error}");
        assert_eq!(state(&running), before);
        the_next_add_runs_its_node(&mut running, 1);
        running.shutdown(Duration::from_secs(5)).unwrap();
    });
}

fn every_step_of_an_add_that_runs_out_of_fds_changes_nothing() {
    common::run_ignored_test("fd_limit_helper", &[(HELPER_VAR, "1")]);
}

/// The soft fd limit that leaves this process `free` fds to open: the
/// number of its `free`th unused fd (fds are given lowest first).
fn limit_leaving_free(free: usize) -> u64 {
    let me = std::process::id();
    let mut open = common::fds_of(me);
    // The fd that read the list, closed again.
    open.retain(|_, target| *target != format!("/proc/{me}/fd"));
    let unused = (0..).filter(|fd| !open.contains_key(fd));
    unused.take(free + 1).last().unwrap() as u64
}

#[test]
#[ignore = "run in a copy of this binary by a_failed_add_leaves_the_running_graph_as_it_was"]
fn fd_limit_helper() {
    if std::env::var_os(HELPER_VAR).is_none() {
        return;
    }
    let mut running = one_sleeper();
    let before = state(&running);
    let (sink, _seen) = common::collecting();
    let limit = getrlimit(Resource::Nofile);
    // Each add that fails with `free` fds free is tried again with one
    // more: every step that opens an fd fails in turn.
    let mut failures = Vec::new();
    let added = loop {
        let free = failures.len();
        assert!(free < 100, "the add still fails with {free} fds free");
        let more = notifying(&sink);
        let mut lowered = limit;
        lowered.current = Some(limit_leaving_free(free));
        setrlimit(Resource::Nofile, lowered).unwrap();
        let result = running.add(more);
        setrlimit(Resource::Nofile, limit).unwrap();
        match result {
            Ok(added) => break added,
            Err(error) => {
                assert_eq!(state(&running), before, "with {free} fds free: {error}");
                failures.push(error.to_string());
            }
        }
    };
    assert!(
        failures.iter().any(|e| e.contains("watch NOTIFY_SOCKET")),
        "the wait set never failed to grow: {failures:#?}"
    );
    assert_eq!(added.node(NodeId::from_index(0)).index(), 1, "ids go on");
    the_next_add_runs_its_node(&mut running, 1 + NOTIFYING);
    running.shutdown(Duration::from_secs(5)).unwrap();
}
