//! The fds a node holds for its whole life in the parent sit high in the fd
//! table, above the prefix a spawn's child copies (`CLOSE_RANGE_UNSHARE`):
//! otherwise every later spawn copies, and its `execve` closes, the pidfds
//! of every node already running, and a graph's spawns cost time quadratic
//! in its size (BENCHMARKS.md, "Fds held above what a spawn copies"). And
//! the node gets a table with every fd it has not been given free, however
//! many pidfds sit above its prefix in the parent (before Linux 6.11 a prefix
//! copy could mark a full block of them taken, CVE-2024-45025).
//!
//! The tests take turns: each looks at every pidfd of this process, or fills
//! a block of them, which the other running beside it would disturb.

mod common;

use std::cell::Cell;
use std::time::Duration;

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Restart};

/// Where the runtime puts them: from half the soft `RLIMIT_NOFILE`, at most
/// 1,024 (`runtime/src/sys/high_fd.rs`), on Linux 6.11 and later; `None`,
/// with the reason printed, where it moves nothing.
fn region_start() -> Option<i32> {
    let release = rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned();
    let mut numbers = release.split(|c: char| !c.is_ascii_digit());
    let version = (numbers.next(), numbers.next());
    let since_6_11 = match version {
        (Some(major), Some(minor)) => {
            (
                major.parse::<u32>().unwrap_or(0),
                minor.parse::<u32>().unwrap_or(0),
            ) >= (6, 11)
        }
        _ => false,
    };
    if !since_6_11 {
        println!("skipped: Linux {release} is before 6.11, spawns copy the whole fd table");
        return None;
    }
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    if soft < 128 {
        println!("skipped: the soft RLIMIT_NOFILE is below 128, fds stay where they are");
        return None;
    }
    Some((soft / 2).min(1024) as i32)
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
    common::as_root_and_unprivileged("running_nodes_pidfds_sit_above_what_a_spawn_copies", || {
        let _turn = common::serial();
        pidfds_sit_high();
    });
}

fn pidfds_sit_high() {
    const NODES: usize = 12;
    let Some(start) = region_start() else {
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
    let started_again = Cell::new(false);
    common::run_until_seeing(
        &mut running,
        |event| {
            if matches!(event, Event::Started { node, .. } if node == restarted) {
                started_again.set(true);
            }
        },
        |_| started_again.get(),
    );
    let held = pidfds();
    assert_eq!(held.len(), NODES, "one pidfd per running node: {held:?}");
    assert!(
        held.iter().all(|&fd| fd >= start),
        "pidfds below {start} after a restart: {held:?}"
    );
    running.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(pidfds(), Vec::<i32>::new(), "pidfds left after shutdown");
}

/// 64 running nodes fill the first 64-fd block of the high region with
/// their pidfds (and whatever else sits there); a node started after them opens fds until it passes that
/// block, and each must be the lowest free number, the next after the last.
#[test]
fn a_node_gets_every_free_fd_however_many_pidfds_the_parent_holds() {
    common::as_root_and_unprivileged(
        "a_node_gets_every_free_fd_however_many_pidfds_the_parent_holds",
        || {
            let _turn = common::serial();
            node_gets_every_free_fd();
        },
    );
}

fn node_gets_every_free_fd() {
    let Some(start) = region_start() else {
        return;
    };
    let mut graph = Graph::new();
    let sleepers: Vec<_> = (0..64)
        .map(|k| graph.node(format!("sleeper-{k}"), Command::new("sleep").arg("30")))
        .collect();
    let opener = graph.node_with(
        "opener",
        Command::new(std::env::current_exe().unwrap())
            .args(common::ignored_test_args("fd_opener"))
            .env(OPEN_PAST, (start + 64).to_string()),
        NodeOptions::new().after(sleepers),
    );
    let mut running = graph.spawn().unwrap();
    // Their pidfds, with whatever else the process holds high (the scope id
    // claims' lock file, once a scope drew an id).
    let held = common::open_fds();
    assert!(
        (start..start + 64).all(|fd| held.contains_key(&fd)),
        "the pidfds do not fill {start}..{}: {:?}",
        start + 64,
        held.range(start..start + 64).collect::<Vec<_>>()
    );
    let opened = Cell::new(None);
    common::run_until_seeing(
        &mut running,
        |event| {
            if let Event::Exited { node, status, .. } = event
                && node == opener
            {
                opened.set(Some(status));
            }
        },
        |_| opened.get().is_some(),
    );
    assert_eq!(
        opened.get(),
        Some(process_graph_runtime::ExitStatus::Exited(0)),
        "the node did not get every free fd up to {} (its report is on stderr)",
        start + 64
    );
    running.shutdown(Duration::from_secs(5)).unwrap();
}

/// Set for the node: the fd it opens until it has passed.
const OPEN_PAST: &str = "PROCESS_GRAPH_OPEN_PAST";

/// The node of the test above: opens `/dev/null` until it holds an fd past
/// `OPEN_PAST` (or its soft limit), each the lowest free number.
#[test]
#[ignore = "the node of a_node_gets_every_free_fd…, run as a node"]
fn fd_opener() {
    let Some(past) = std::env::var(OPEN_PAST)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
    else {
        return;
    };
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let last = past.min(soft.saturating_sub(1) as i32);
    let mut taken: std::collections::BTreeSet<i32> = common::open_fds().into_keys().collect();
    let mut opened = Vec::new();
    loop {
        let lowest_free = (0..).find(|n| !taken.contains(n)).unwrap();
        let file = std::fs::File::open("/dev/null").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        assert_eq!(fd, lowest_free, "got fd {fd} while {lowest_free} was free");
        taken.insert(fd);
        opened.push(file);
        if fd >= last {
            break;
        }
    }
}
