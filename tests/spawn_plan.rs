//! The spawn plan is what the runtime executes: the fds each child really
//! has match the plan's fd table, and nodes start in the plan's order.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Endpoint, Event, FdOrigin, Graph, NodeOptions, Readiness, Stdio,
};

/// A graph touching every kind of fd source: pipes (fan-in), a socketpair
/// between children and one to the parent, /dev/null, prefixed stderr, a
/// readiness pipe, and `after` dependencies declared out of index order.
fn sample() -> Graph {
    let sleeper = || Command::new("sleep").arg("30");
    let mut graph = Graph::new();
    let client = graph.node_with("client", sleeper(), NodeOptions::new());
    let db = graph.node_with(
        "db",
        sleeper().stdout(Stdio::Null),
        NodeOptions::new().ready(Readiness::Fd(5)),
    );
    let worker = graph.node_with(
        "worker",
        sleeper().stderr(Stdio::Prefixed),
        NodeOptions::new(),
    );
    let feed = graph.node("feed", sleeper());
    let lines = graph.pipe([feed.stdout(), worker.fd(4)], client.stdin());
    graph.name_edge(lines, "lines");
    let control = graph.socketpair(worker.fd(3), Endpoint::Parent);
    graph.name_edge(control, "control");
    graph.socketpair(db.fd(7), client.fd(9));
    graph.pipe(Endpoint::Parent, db.stdin());
    graph
}

#[test]
fn the_plan_names_every_fd_of_every_child() {
    let plan = sample().plan().unwrap();
    let worker = &plan.nodes[2];
    assert_eq!(
        worker.fds,
        [
            (0, FdOrigin::Inherited),
            (1, FdOrigin::Inherited),
            (2, FdOrigin::Forwarded),
            (
                3,
                FdOrigin::Socket {
                    edge: "control".into()
                }
            ),
            (
                4,
                FdOrigin::PipeWrite {
                    edge: "lines".into()
                }
            ),
        ]
    );
    let db = &plan.nodes[1];
    assert_eq!(
        db.fds[0],
        (
            0,
            FdOrigin::PipeRead {
                edge: "pipe #3".into()
            }
        )
    );
    assert_eq!(db.fds[1], (1, FdOrigin::DevNull));
    assert_eq!(db.fds[3], (5, FdOrigin::Readiness));
    assert_eq!(
        db.fds[4],
        (
            7,
            FdOrigin::Socket {
                edge: "socketpair #2".into()
            }
        )
    );
    let text = plan.to_string();
    assert!(text.contains("fd 4   lines (write end)"), "{text}");
}

/// The kind of fd a plan entry must be in the child, compared with the
/// child's `/proc/<pid>/fd` link target.
fn matches(
    origin: &FdOrigin,
    target: &str,
    parent_fds: &std::collections::BTreeMap<i32, String>,
    fd: i32,
) -> bool {
    match origin {
        FdOrigin::Inherited => parent_fds.get(&fd).is_some_and(|t| t == target),
        FdOrigin::DevNull => target == "/dev/null",
        FdOrigin::Socket { .. } => target.starts_with("socket:"),
        _ => target.starts_with("pipe:"),
    }
}

/// How long a `sleep` may take to get from its spawn to its sleep on a
/// loaded machine. Generous, like `common::DEATH_TIMEOUT`: it only bounds
/// the wait; a child that never gets there still fails.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits until the `sleep` with pid `pid` is blocked in its sleep. `spawn()`
/// returns while the child is still in execve (which closes the fds marked
/// close-on-exec only after it has released the parent), then the loader
/// and `sleep` itself open files (libc, locale data) and close them again;
/// from its sleep on, its fd table is the one the plan promises.
fn wait_until_asleep(pid: u32) {
    let path = format!("/proc/{pid}/syscall");
    let started = Instant::now();
    loop {
        // The number of the system call it is blocked in, or "running".
        let syscall =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let number = syscall
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<libc::c_long>().ok());
        if number.is_some_and(|n| n == libc::SYS_clock_nanosleep || n == libc::SYS_nanosleep) {
            return;
        }
        assert!(
            started.elapsed() < STARTUP_TIMEOUT,
            "{pid} is not asleep after {STARTUP_TIMEOUT:?}: {path} is {syscall:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn children_have_exactly_the_planned_fds() {
    let graph = sample();
    let plan = graph.plan().unwrap();
    let parent_fds = common::open_fds();
    let running = graph.spawn().unwrap();
    for planned in &plan.nodes {
        let pid = running.pid(planned.node).expect("sleeping");
        wait_until_asleep(pid);
        let actual = common::fds_of(pid);
        let numbers: Vec<i32> = actual.keys().copied().collect();
        let planned_numbers: Vec<i32> = planned.fds.iter().map(|(fd, _)| *fd).collect();
        assert_eq!(
            numbers, planned_numbers,
            "node {:?}: {actual:?}",
            planned.name
        );
        for (fd, origin) in &planned.fds {
            let target = &actual[fd];
            assert!(
                matches(origin, target, &parent_fds, *fd),
                "node {:?} fd {fd}: planned {origin}, found {target}",
                planned.name
            );
        }
    }
    // Both writers of `lines` share one pipe, which the client reads.
    let pipe_of = |node: usize, fd: i32| {
        common::fds_of(running.pid(plan.nodes[node].node).unwrap())[&fd].clone()
    };
    assert_eq!(pipe_of(3, 1), pipe_of(2, 4));
    assert_eq!(pipe_of(3, 1), pipe_of(0, 0));
}

#[test]
fn nodes_start_in_the_planned_order() {
    let sleeper = || Command::new("sleep").arg("30");
    let mut graph = Graph::new();
    // Declared out of order: a starts after c (index 2), b after a; d is
    // independent; c says it is ready on fd 3.
    let c_index = process_graph_runtime::NodeId::from_index(2);
    let a = graph.node_with("a", sleeper(), NodeOptions::new().after([c_index]));
    graph.node_with("b", sleeper(), NodeOptions::new().after([a]));
    let c = graph.node_with(
        "c",
        Command::new("sh").args(["-c", "echo >&3; exec sleep 30"]),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    graph.node("d", sleeper());
    assert_eq!(c, c_index);
    let plan = graph.plan().unwrap();
    let names = |wave: &Vec<process_graph_runtime::NodeId>| -> Vec<usize> {
        wave.iter().map(|n| n.index()).collect()
    };
    assert_eq!(
        plan.waves.iter().map(names).collect::<Vec<_>>(),
        [vec![2, 3], vec![0, 1]]
    );
    let mut running = graph.spawn().unwrap();
    let mut started = Vec::new();
    while started.len() < 4 {
        match running.next_event(Some(Duration::from_secs(5))).unwrap() {
            Some(Event::Started { node, .. }) => started.push(node),
            Some(_) => {}
            None => panic!("only {started:?} started"),
        }
    }
    assert_eq!(started, plan.waves.concat(), "plan:\n{plan}");
}
