//! An edge's fds exist in the parent only from just before the first node
//! that uses it starts until just after the last one has: while a node of a
//! long pipeline starts, the parent holds the pipes next to it, not all of
//! them. (Otherwise every spawn copies and closes every pipe of the graph,
//! and a pipeline costs time quadratic in its length.)
//!
//! One test per file: it counts this process's pipes, which other tests
//! running as threads of the same process would disturb.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::time::Duration;

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Readiness, Restart, Stdio};

const STAGES: usize = 16;

/// The pipes the parent held (fd targets `pipe:[inode]`, the same for both
/// ends of a pipe) as one stage saw them.
fn pipes_listed(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter_map(|line| line.split(" -> ").nth(1))
        .filter(|target| target.starts_with("pipe:"))
        .map(str::to_owned)
        .collect()
}

/// Builds a pipeline of `STAGES` shells, each started after the previous
/// one is ready; each lists the parent's fds into `dir` before saying it is
/// ready, then becomes `cat` (or, if it may be restarted, `sleep`: a `cat`
/// at EOF would be restarted until the restart intensity is exceeded). Returns the most pipes the parent held, beyond
/// those it held before the spawn, at any stage's start.
fn most_pipes_held_while_spawning(restart: Restart) -> usize {
    let dir = common::TempDir::new("fd_lifetimes");
    let before: BTreeSet<String> = common::open_fds()
        .into_values()
        .filter(|target| target.starts_with("pipe:"))
        .collect();
    let mut graph = Graph::new();
    let mut previous = None;
    for stage in 0..STAGES {
        let then = match restart {
            Restart::Never => "cat",
            _ => "sleep 30",
        };
        let script = format!(
            "ls -l /proc/$PPID/fd/ > {}/{stage}; echo >&3; exec {then}",
            dir.path().display()
        );
        let mut command = Command::new("sh").arg("-c").arg(script);
        if stage == 0 {
            command = command.stdin(Stdio::Null);
        }
        if stage == STAGES - 1 {
            command = command.stdout(Stdio::Null);
        }
        let mut options = NodeOptions::new().ready(Readiness::Fd(3)).restart(restart);
        if let Some(previous) = previous {
            options = options.after([previous]);
        }
        let node = graph.node_with(format!("stage{stage}"), command, options);
        if let Some(previous) = previous {
            graph.pipe(previous.stdout(), node.stdin());
        }
        previous = Some(node);
    }
    let last = previous.expect("at least one stage");
    let mut running = graph.spawn().expect("spawn");
    // The last stage has listed the parent's fds once it is ready.
    loop {
        match running.next_event(Some(Duration::from_secs(20))) {
            Ok(Some(Event::Ready { node })) if node == last => break,
            Ok(Some(_)) => continue,
            other => panic!("the last stage never became ready: {other:?}"),
        }
    }
    let most = (0..STAGES)
        .map(|stage| {
            let listing = fs::read_to_string(dir.path().join(stage.to_string()))
                .unwrap_or_else(|e| panic!("stage {stage} left no listing: {e}"));
            pipes_listed(&listing).difference(&before).count()
        })
        .max()
        .unwrap_or(0);
    if restart == Restart::Never {
        assert!(running.wait().expect("wait").success());
    } else {
        running.shutdown(Duration::from_secs(5)).expect("shutdown");
    }
    most
}

#[test]
fn an_edge_is_open_in_the_parent_only_while_its_nodes_start() {
    common::within(Duration::from_secs(60), "fd lifetimes", || {
        // While stage k starts: the pipe into it (until it has started),
        // the pipe out of it (created for it), and its readiness pipe.
        let most = most_pipes_held_while_spawning(Restart::Never);
        assert!(
            most <= 3,
            "the parent held {most} pipes while a stage started, more than \
             the pipes next to that stage ({STAGES} stages)"
        );
        // A node that may be restarted keeps its edges open for its next
        // start, so here the parent holds them all by the last stage.
        let most = most_pipes_held_while_spawning(Restart::Always);
        assert!(
            most > STAGES - 1,
            "restartable stages must keep their edges, but the parent held \
             only {most} pipes"
        );
    });
}
