//! A node in a pid scope clones with `CLONE_PARENT`: its clones are the
//! application's children, in the scope's pid namespace, which the graph
//! never started. When the scope ends they die with it, and its init exits
//! only once they are reaped: the graph must reap them, so that neither
//! the graph's end nor the `remove` that ends an added scope waits on them,
//! and no zombie or init is left. As root and as uid 65534.

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::{children_of_this_process, marked, unique_marker};
use process_graph_runtime::{
    Command, Endpoint, Graph, Namespace, NodeOptions, RunningGraph, ScopeSpec,
};

/// In the node's environment: how many clones it makes.
const CLONES: &str = "PG_TEST_CLONE_PARENT";

/// How long a scope's end may take: far below the helpers' 30 s limit.
const END_LIMIT: Duration = Duration::from_secs(5);

/// Both cases in one test: they count this process's children, which a
/// test running beside them would add to.
#[test]
fn clones_of_a_node_in_a_pid_scope_hold_up_neither_the_graphs_end_nor_a_remove() {
    common::as_root_and_unprivileged(
        "clones_of_a_node_in_a_pid_scope_hold_up_neither_the_graphs_end_nor_a_remove",
        || {
            common::within(Duration::from_secs(60), "the graph's end", || {
                let binary = common::unprivileged_copy_of_this_binary();
                the_graphs_end(&binary);
                assert_nothing_left();
                a_remove(&binary);
                assert_nothing_left();
            })
        },
    );
}

/// A scope made at spawn: the shutdown ends it.
fn the_graphs_end(binary: &std::path::Path) {
    let mut graph = Graph::new();
    let (_, out) = declare_cloner(&mut graph, binary, "scope-strays");
    let mut running = graph.spawn().unwrap();
    wait_for_clones(&mut running, out);
    let started = Instant::now();
    running.shutdown(Duration::from_secs(1)).unwrap();
    let took = started.elapsed();
    drop(running);
    assert!(took < END_LIMIT, "the shutdown took {took:?}");
}

/// A scope made by an add: removing its node ends it, in one turn of the
/// event loop, which must stay short.
fn a_remove(binary: &std::path::Path) {
    let marker = unique_marker("scope-strays-added");
    let mut graph = Graph::new();
    graph.node("beside", marked(Command::new("sleep").arg("600"), &marker));
    let mut running = graph.spawn().unwrap();
    let mut more = Graph::new();
    let (node, out) = declare_cloner(&mut more, binary, "scope-strays-added");
    let added = running.add(more).unwrap();
    wait_for_clones(&mut running, added.edge(out));
    let node = added.node(node);
    let started = Instant::now();
    running.remove([node]);
    let mut longest = Duration::ZERO;
    while !running.state(node).is_final() && started.elapsed() < END_LIMIT {
        let turn = Instant::now();
        running.next_event(Some(Duration::from_millis(5))).unwrap();
        longest = longest.max(turn.elapsed());
    }
    assert!(
        running.state(node).is_final(),
        "not removed in {END_LIMIT:?}"
    );
    assert!(
        longest < Duration::from_secs(1),
        "one turn took {longest:?}"
    );
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// Declares the hostile node in a user + pid scope of its own, and a pipe
/// from its stdout to the application: this test binary's
/// [`clone_parent_node`], making three clones that exit at once, three
/// that live until the scope ends, and one that lives in a pid namespace of
/// its own.
fn declare_cloner(
    graph: &mut Graph,
    binary: &std::path::Path,
    test: &str,
) -> (process_graph_runtime::NodeId, process_graph_runtime::EdgeId) {
    let scope = graph.scope("box", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    let command = Command::new(binary)
        .args(common::ignored_test_args("clone_parent_node"))
        .env(CLONES, "3");
    let node = graph.node_with(
        "cloner",
        marked(command, &unique_marker(test)),
        NodeOptions::new().scope(scope),
    );
    (node, graph.pipe(node.stdout(), Endpoint::Parent))
}

/// Reads the node's output (libtest's lines first) up to its line saying
/// its clones are made; the rest goes unread.
fn wait_for_clones(running: &mut RunningGraph, out: process_graph_runtime::EdgeId) {
    let made = BufReader::new(running.take_reader(out).unwrap())
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("made"));
    assert_eq!(made.as_deref(), Some("made 7"), "the node's clones");
}

/// No child of this process is left, live or zombie: no clone, no init.
fn assert_nothing_left() {
    let left = children_of_this_process();
    assert!(
        left.is_empty(),
        "children left: {:?}",
        left.iter()
            .map(|c| format!("{} {} {}", c.pid, c.comm, c.state))
            .collect::<Vec<_>>()
    );
}

/// The hostile node: clones itself with `CLONE_PARENT` (the clones are its
/// parent's children: the application's), some exiting at once, some
/// sleeping, one sleeping in a pid namespace nested in the scope's, each
/// non-dumpable; says how many it made, then sleeps.
#[test]
#[ignore = "the hostile node of the tests above"]
fn clone_parent_node() {
    let Some(n) = std::env::var(CLONES)
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return; // Only meaningful as a node.
    };
    // The last clone lives in pid (and user) namespaces of its own, nested
    // in the scope's.
    let nested = libc::CLONE_NEWUSER | libc::CLONE_NEWPID;
    let clones = (0..n)
        .map(|_| (false, 0))
        .chain((0..n).map(|_| (true, 0)))
        .chain([(true, nested)]);
    let mut made = 0;
    for (live, namespaces) in clones {
        let flags = libc::CLONE_PARENT | libc::SIGCHLD | namespaces;
        // SAFETY: a fork-like clone (no CLONE_VM); the clone only sleeps or
        // exits, with raw system calls.
        let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0, 0, 0, 0) };
        if pid == 0 {
            // Non-dumpable: once ended, its `/proc/PID/ns/pid` is closed
            // to an application without CAP_SYS_PTRACE in the machine's
            // first user namespace, though the clone is its own uid's.
            // SAFETY: a flag of this clone's own.
            unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0) };
            loop {
                if !live {
                    // SAFETY: ends this clone alone.
                    unsafe { libc::_exit(0) };
                }
                // SAFETY: waits for a signal, nothing else.
                unsafe { libc::pause() };
            }
        }
        made += usize::from(pid > 0);
    }
    // On a line of its own: libtest's "test clone_parent_node ... " has none.
    println!("\nmade {made}");
    std::thread::sleep(Duration::from_secs(600));
}
