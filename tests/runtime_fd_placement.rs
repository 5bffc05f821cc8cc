//! The fds a node holds for its whole life in the parent sit high in the fd
//! table, above the prefix a spawn's child copies (`CLOSE_RANGE_UNSHARE`):
//! otherwise every later spawn copies, and its `execve` closes, the pidfds
//! of every node already running, and a graph's spawns cost time quadratic
//! in its size (BENCHMARKS.md, "Fds held above what a spawn copies").
//!
//! One test per file: it looks at every pidfd of this process, which other
//! tests running as threads of the same process would add to.

mod common;

use std::time::Duration;

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Restart};

const NODES: usize = 12;

/// Where the runtime puts them: from half the soft `RLIMIT_NOFILE`, at most
/// 1,024 (`runtime/src/sys/high_fd.rs`).
fn region_start() -> Option<i32> {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    (soft >= 128).then(|| (soft / 2).min(1024) as i32)
}

/// This process's pidfds, by number.
fn pidfds() -> Vec<i32> {
    common::open_fds()
        .into_iter()
        .filter(|(_, target)| target == "anon_inode:[pidfd]")
        .map(|(fd, _)| fd)
        .collect()
}

#[test]
fn running_nodes_pidfds_sit_above_what_a_spawn_copies() {
    let Some(start) = region_start() else {
        println!("skipped: the soft RLIMIT_NOFILE is below 128, fds stay where they are");
        return;
    };
    let mut graph = Graph::new();
    let restarted = graph.node_with(
        "restarted",
        Command::new("sleep").arg("30"),
        NodeOptions::new()
            .restart(Restart::Always)
            .backoff(Duration::ZERO, Duration::ZERO),
    );
    for k in 1..NODES {
        graph.node(format!("sleeper-{k}"), Command::new("sleep").arg("30"));
    }
    let mut running = graph.spawn().unwrap();
    let held = pidfds();
    assert_eq!(held.len(), NODES, "one pidfd per running node: {held:?}");
    assert!(
        held.iter().all(|&fd| fd >= start),
        "pidfds below {start}: {held:?}"
    );

    // A restart's new pidfd goes up too.
    running.kill(restarted).unwrap();
    loop {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::Started { node, .. }) if node == restarted => break,
            Some(_) => {}
            None => panic!("no restart within 10 s"),
        }
    }
    let held = pidfds();
    assert_eq!(held.len(), NODES, "one pidfd per running node: {held:?}");
    assert!(
        held.iter().all(|&fd| fd >= start),
        "pidfds below {start} after a restart: {held:?}"
    );
    running.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(pidfds(), Vec::<i32>::new(), "pidfds left after shutdown");
}
