//! Nodes added at run time in scopes (`Graph::running_scope`, and scopes
//! the added graph makes): an added node is in the namespaces of the
//! running graph's scope — the same pid namespace as a node started at
//! spawn — in a cgroup of its own where the graph has cgroups, and it dies
//! with the graph, what it left behind in the scope included. Run as root
//! and as uid 65534; where the kernel refuses user namespaces the tests say
//! so and skip.

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::{live_marked_processes, marked, unique_marker};
use process_graph_runtime::{
    Command, Endpoint, Error, Graph, Namespace, NodeId, NodeOptions, NodeState, Readiness,
    RunningGraph, ScopeSpec,
};

/// Prints its pid and network namespaces and its pid as it sees them, leaves a
/// background `sleep` in the scope (a daemon that outlived its node), and
/// sleeps.
fn viewer(marker: &str) -> Command {
    marked(
        Command::new("sh").args([
            "-c",
            "sleep 600 & echo $(readlink /proc/self/ns/pid /proc/self/ns/net) $$; exec sleep 600",
        ]),
        marker,
    )
}

/// What a [`viewer`] sees.
struct View {
    pid_ns: String,
    net_ns: String,
    pid: u32,
}

/// The line a [`viewer`] wrote into `out`.
fn view(running: &mut RunningGraph, out: process_graph_runtime::EdgeId) -> View {
    let reader = running.take_reader(out).expect("the parent reads it");
    let mut line = String::new();
    BufReader::new(reader).read_line(&mut line).unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let [pid_ns, net_ns, pid] = words[..] else {
        panic!("not a view: {line:?}");
    };
    View {
        pid_ns: pid_ns.to_owned(),
        net_ns: net_ns.to_owned(),
        pid: pid.parse().unwrap(),
    }
}

/// The cgroup v2 path of process `pid`.
fn cgroup_of(pid: u32) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .unwrap_or("")
        .to_owned()
}

/// The scope inits among this process's children whose hostname is `host`
/// (the carried scope program has it on its command line).
fn inits(host: &str) -> usize {
    common::children_of_this_process()
        .into_iter()
        .filter(|child| {
            std::fs::read(format!("/proc/{}/cmdline", child.pid)).is_ok_and(|cmdline| {
                cmdline.starts_with(b"process-graph-scope")
                    && cmdline.split(|&b| b == 0).any(|arg| arg == host.as_bytes())
            })
        })
        .count()
}

/// The zombies among this process's children that were the init of a pid
/// namespace (pid 1 in the innermost one, as a scope's init is), each as
/// its pid and start time. A zombie's command line is empty, so unlike
/// [`inits`] this cannot tell whose scope it was.
fn zombie_inits() -> Vec<(i32, u64)> {
    common::children_of_this_process()
        .into_iter()
        .filter(|child| child.state == 'Z')
        .filter_map(|child| {
            let status = std::fs::read_to_string(format!("/proc/{}/status", child.pid)).ok()?;
            let nspid = status.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
            let levels: Vec<&str> = nspid.split_whitespace().collect();
            (levels.len() > 1 && levels.last() == Some(&"1")).then_some(())?;
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.pid)).ok()?;
            // Field 22, the 20th after the parenthesised comm.
            let start = stat[stat.rfind(')')? + 1..]
                .split_whitespace()
                .nth(19)?
                .parse()
                .ok()?;
            Some((child.pid, start))
        })
        .collect()
}

/// The zombie inits ([`zombie_inits`]) that came after `before` and are
/// still unreaped 2 s on, while no event loop turns: a graph of another
/// test, ending, may leave its init a zombie for the moment until it reaps
/// it, but an init nobody will reap stays one.
fn unreaped_inits_since(before: &[(i32, u64)]) -> Vec<(i32, u64)> {
    let new = |zombies: Vec<(i32, u64)>| -> Vec<(i32, u64)> {
        zombies
            .into_iter()
            .filter(|z| !before.contains(z))
            .collect()
    };
    let mut left = new(zombie_inits());
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        let now = zombie_inits();
        left.retain(|z| now.contains(z));
    }
    left
}

/// Removes `node` and runs the event loop until it has ended.
fn remove(running: &mut RunningGraph, node: NodeId) {
    running.remove([node]);
    common::run_until(running, "the node ended", |r| r.state(node).is_final());
}

/// The pid of `node` once it runs: an added node in a scope has one once
/// the carried program has reported, as the event loop runs.
fn pid_of(running: &mut RunningGraph, node: NodeId) -> u32 {
    common::run_until(running, "the node started", |r| r.pid(node).is_some());
    running.pid(node).expect("the node runs")
}

#[test]
fn an_added_node_joins_a_running_scope_and_dies_with_the_graph() {
    common::as_root_and_unprivileged(
        "an_added_node_joins_a_running_scope_and_dies_with_the_graph",
        || {
            common::within(Duration::from_secs(60), "an added node in a scope", || {
                let marker = unique_marker("add-scope");
                let mut graph = Graph::new();
                let sandbox =
                    graph.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Pid]));
                let first =
                    graph.node_with("first", viewer(&marker), NodeOptions::new().scope(sandbox));
                let first_out = graph.pipe(first.stdout(), Endpoint::Parent);
                let mut running = graph.spawn().unwrap();
                let first_ns = view(&mut running, first_out).pid_ns;

                let mut more = Graph::new();
                let inside = more.running_scope(sandbox);
                let late =
                    more.node_with("late", viewer(&marker), NodeOptions::new().scope(inside));
                let late_out = more.pipe(late.stdout(), Endpoint::Parent);
                let added = running.add(more).unwrap();
                let View {
                    pid_ns: late_ns,
                    pid: late_pid,
                    ..
                } = view(&mut running, added.edge(late_out));

                let own_ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
                assert_eq!(
                    late_ns, first_ns,
                    "the added node is in the scope's pid namespace"
                );
                assert_ne!(
                    std::path::Path::new(&late_ns),
                    own_ns,
                    "not the application's"
                );
                assert!(late_pid < 10, "pid {late_pid} is numbered inside the scope");
                // Where the graph has cgroups, the added node has its own,
                // beside the first node's.
                let first_cgroup = cgroup_of(pid_of(&mut running, first));
                let late_cgroup = cgroup_of(pid_of(&mut running, added.node(late)));
                let own_cgroup = cgroup_of(std::process::id());
                if first_cgroup != own_cgroup {
                    assert!(late_cgroup.ends_with(".late"), "{late_cgroup}");
                    let parent = |path: &str| path.rsplit_once('/').map(|(p, _)| p.to_owned());
                    assert_eq!(parent(&late_cgroup), parent(&first_cgroup));
                }
                // Each shell wrote its view before its daemon, or itself,
                // had exec'd `sleep`: a process in the middle of `execve`
                // shows no environment, so it may not be counted yet.
                let deadline = Instant::now() + Duration::from_secs(10);
                while live_marked_processes(&marker).len() < 4 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                assert_eq!(
                    live_marked_processes(&marker).len(),
                    4,
                    "two nodes, two daemons"
                );
                running.shutdown(Duration::from_secs(5)).unwrap();
                let left = live_marked_processes(&marker);
                assert!(left.is_empty(), "left after shutdown: {left:?}");
            })
        },
    );
}

#[test]
fn a_scope_the_running_graph_lacks_is_an_error_naming_the_node() {
    common::as_root_and_unprivileged(
        "a_scope_the_running_graph_lacks_is_an_error_naming_the_node",
        || {
            let mut graph = Graph::new();
            let sandbox = graph.scope("sandbox", ScopeSpec::new([Namespace::User]));
            graph.node_with(
                "first",
                Command::new("sleep").arg("600"),
                NodeOptions::new().scope(sandbox),
            );
            let mut running = graph.spawn().unwrap();
            // Scope 1: the second of another graph; the running graph has one.
            let mut other = Graph::new();
            other.scope("a", ScopeSpec::new([Namespace::User]));
            let second = other.scope("b", ScopeSpec::new([Namespace::User]));
            let mut more = Graph::new();
            let nowhere = more.running_scope(second);
            more.node_with(
                "lost",
                Command::new("true"),
                NodeOptions::new().scope(nowhere),
            );
            match running.add(more) {
                Err(Error::NoSuchScope { node, scope }) => {
                    assert_eq!((node.as_str(), scope.index()), ("lost", 1));
                }
                other => panic!("expected NoSuchScope, got {other:?}"),
            }
            assert_eq!(running.snapshot().nodes.len(), 1, "nothing was added");

            // Readiness by NOTIFY_SOCKET from a scope's own network: its
            // socket would be made by the scope's init as it is created.
            let mut notifying = Graph::new();
            let net = notifying.scope("net", ScopeSpec::new([Namespace::User, Namespace::Net]));
            notifying.node_with(
                "notifier",
                Command::new("true"),
                NodeOptions::new().scope(net).ready(Readiness::Notify),
            );
            assert!(matches!(
                running.add(notifying),
                Err(Error::CannotAdd { node, .. }) if node == "notifier"
            ));

            // A scope made by an add that then fails is gone with it.
            let hostname = unique_marker("fresh");
            let mut bad = Graph::new();
            let fresh = bad.scope(
                "fresh",
                ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Uts])
                    .hostname(&hostname),
            );
            bad.node_with(
                "bad",
                Command::new("nul\0byte"),
                NodeOptions::new().scope(fresh),
            );
            let zombies_before = zombie_inits();
            assert!(matches!(running.add(bad), Err(Error::Command { .. })));
            assert_eq!(inits(&hostname), 0, "the failed add's scope init is gone");
            assert_eq!(
                unreaped_inits_since(&zombies_before),
                [],
                "the failed add's scope init is reaped, not left a zombie"
            );
            assert_eq!(running.snapshot().nodes.len(), 1, "nothing was added");

            // Spawned on its own, a graph has no running scope to join.
            let mut alone = Graph::new();
            let nowhere = alone.running_scope(sandbox);
            alone.node_with(
                "alone",
                Command::new("true"),
                NodeOptions::new().scope(nowhere),
            );
            assert!(
                matches!(alone.spawn(), Err(Error::NoSuchScope { node, .. }) if node == "alone")
            );
            running.shutdown(Duration::from_secs(5)).unwrap();
        },
    );
}

#[test]
fn an_added_graph_makes_its_own_scopes_which_later_adds_join() {
    common::as_root_and_unprivileged(
        "an_added_graph_makes_its_own_scopes_which_later_adds_join",
        || {
            common::within(Duration::from_secs(60), "scopes made by an add", || {
                let marker = unique_marker("add-new-scope");
                let mut graph = Graph::new();
                let outer = graph.scope("outer", ScopeSpec::new([Namespace::User, Namespace::Pid]));
                let first =
                    graph.node_with("first", viewer(&marker), NodeOptions::new().scope(outer));
                let first_out = graph.pipe(first.stdout(), Endpoint::Parent);
                let mut running = graph.spawn().unwrap();
                let outer_view = view(&mut running, first_out);

                // A scope of its own, and one nested in the running graph's;
                // their hostnames tell their inits apart.
                let (own_host, nested_host) = (unique_marker("own"), unique_marker("nested"));
                let mut more = Graph::new();
                let own_scope = more.scope(
                    "own",
                    ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Uts])
                        .hostname(&own_host),
                );
                let running_outer = more.running_scope(outer);
                let nested = more.scope(
                    "nested",
                    ScopeSpec::new([Namespace::Net, Namespace::Uts])
                        .hostname(&nested_host)
                        .parent(running_outer),
                );
                let a = more.node_with("a", viewer(&marker), NodeOptions::new().scope(own_scope));
                let b = more.node_with("b", viewer(&marker), NodeOptions::new().scope(nested));
                let a_out = more.pipe(a.stdout(), Endpoint::Parent);
                let b_out = more.pipe(b.stdout(), Endpoint::Parent);
                let added = running.add(more).unwrap();
                let own = view(&mut running, added.edge(a_out));
                let nested = view(&mut running, added.edge(b_out));
                assert_ne!(own.pid_ns, outer_view.pid_ns, "a new pid namespace");
                assert_eq!(
                    nested.pid_ns, outer_view.pid_ns,
                    "nested in the outer scope"
                );
                assert_ne!(
                    nested.net_ns, outer_view.net_ns,
                    "with a network of its own"
                );

                // A later add joins the scope the first add made.
                let mut later = Graph::new();
                let joined = later.running_scope(added.scope(own_scope));
                let c = later.node_with("c", viewer(&marker), NodeOptions::new().scope(joined));
                let c_out = later.pipe(c.stdout(), Endpoint::Parent);
                let added_later = running.add(later).unwrap();
                let c_view = view(&mut running, added_later.edge(c_out));
                assert_eq!(
                    c_view.pid_ns, own.pid_ns,
                    "the later node is in the added scope"
                );

                // A scope made by an add ends with its last node; the
                // running graph's own scope stays.
                assert_eq!((inits(&own_host), inits(&nested_host)), (1, 1));
                remove(&mut running, added.node(a));
                assert_eq!(inits(&own_host), 1, "c is still in it");
                remove(&mut running, added_later.node(c));
                assert_eq!(inits(&own_host), 0, "its last node removed, it ended");
                remove(&mut running, added.node(b));
                assert_eq!(inits(&nested_host), 0, "its last node removed, it ended");
                assert!(
                    running.pid(first).is_some(),
                    "the outer scope's node runs on"
                );
                let mut again = Graph::new();
                let ended = again.running_scope(added.scope(own_scope));
                again.node_with("d", Command::new("true"), NodeOptions::new().scope(ended));
                assert!(
                    matches!(running.add(again), Err(Error::NoSuchScope { node, .. }) if node == "d"),
                    "an ended scope cannot be joined"
                );

                running.shutdown(Duration::from_secs(5)).unwrap();
                let left = live_marked_processes(&marker);
                assert!(left.is_empty(), "left after shutdown: {left:?}");
            })
        },
    );
}

/// Says `READY=1` the moment it runs, then stays.
const READY_AT_ONCE: &str = r#"
import os, socket, time
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", address)
time.sleep(600)
"#;

/// An added node in a scope is started by the carried program, whose
/// report the loop reads on a later turn. A node that says `READY=1` at
/// once may have said it by then: the datagram must wait for the node's
/// pid to be known, not be read first from a sender nobody believes, and
/// lost (the node would never be ready).
#[test]
fn an_added_scoped_node_that_says_ready_before_its_start_is_read_becomes_ready() {
    if !common::user_namespaces_available() {
        return;
    }
    let mut graph = Graph::new();
    let scope = graph.scope("box", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    graph.node_with(
        "anchor",
        Command::new("sleep").arg("600"),
        NodeOptions::new().scope(scope),
    );
    let mut running = graph.spawn().unwrap();
    let mut more = Graph::new();
    let inside = more.running_scope(scope);
    let quick = more.node_with(
        "quick",
        Command::new("/usr/bin/python3").args(["-c", READY_AT_ONCE]),
        NodeOptions::new().scope(inside).ready(Readiness::Notify),
    );
    let quick = running.add(more).unwrap().node(quick);
    // The loop does not run while the node starts and says it is ready:
    // its report and its datagram both wait for the next turn.
    std::thread::sleep(Duration::from_millis(500));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while running.state(quick) != NodeState::Running {
        assert!(
            std::time::Instant::now() < deadline,
            "never ready: {}",
            running.state(quick)
        );
        running.next_event(Some(Duration::from_millis(50))).unwrap();
    }
    running.shutdown(Duration::from_secs(5)).unwrap();
}
