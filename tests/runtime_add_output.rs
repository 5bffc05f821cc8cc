//! Forwarded output of nodes added at run time: the graph's one output
//! thread — started by the first add that forwards a stream, if the graph
//! had none — takes their streams, no thread per node; their lines reach
//! every kind of sink with their name, a file the graph already writes to
//! through the one fd it has open on it; a removed node's lines, its partial
//! last line included, are delivered before its pipes are closed; 100
//! such nodes coming and going while another writes leave no fd, thread or
//! process behind; and 200 nodes with a log file of their own each, added
//! and removed, leave the output thread none of their files' fds nor their
//! callbacks. Run as root and as uid 65534.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    Seen, collecting, fds_besides_pidfds, live_marked_processes, marked, new_threads, run_until,
    thread_ids, unique_marker,
};
use process_graph_runtime::{
    Command, Containment, Graph, LineEnd, RotatingFile, RunningGraph, Sink, Stdio, Timestamps,
};

const ROUNDS: usize = 100;

/// Nodes with sinks of their own added and removed.
const SINK_ROUNDS: usize = 200;

/// Set in the copy of this binary that runs [`prefixed_helper`].
const HELPER_VAR: &str = "PROCESS_GRAPH_TEST_ADD_PREFIXED_HELPER";

/// Waits up to 10 s for `seen` to hold a line `(node, text, end)`.
fn wait_for_line(running: &mut RunningGraph, seen: &Seen, node: &str, text: &str, end: LineEnd) {
    let found = |seen: &Seen| seen.lock().unwrap().iter().any(|l| l.is(node, text, end));
    run_until(running, "the line", |_| found(seen));
}

/// The fds among `fds` (a process's, by number) open on the file `path`.
fn fds_on(fds: &BTreeMap<i32, String>, path: &Path) -> Vec<i32> {
    let path = std::fs::canonicalize(path).expect("the file exists");
    let path = path.to_string_lossy();
    fds.iter()
        .filter(|(_, target)| **target == path)
        .map(|(fd, _)| *fd)
        .collect()
}

/// One test, so that no other test of this file opens fds or threads
/// meanwhile.
#[test]
fn added_nodes_forward_their_output() {
    common::as_root_and_unprivileged("added_nodes_forward_their_output", || {
        prefixed_lines_of_added_nodes_reach_the_application_with_their_name();
        added_nodes_share_the_sinks_of_the_graph();
        hundred_forwarding_nodes_come_and_go_and_leave_nothing();
        removed_nodes_leave_the_output_thread_none_of_their_sinks();
        a_removed_nodes_daemon_does_not_keep_its_pipe_open();
    });
}

/// Runs a graph without forwarded output, then adds a prefixed node (which
/// starts the output thread) and another (which uses it).
#[test]
#[ignore = "run in a copy of this binary by added_nodes_forward_their_output"]
fn prefixed_helper() {
    if std::env::var_os(HELPER_VAR).is_none() {
        return;
    }
    let mut graph = Graph::new();
    graph.node("quiet", Command::new("sleep").arg("600"));
    let mut running = graph.spawn().unwrap();
    for (name, script) in [
        ("late", "printf 'hello\\nunfinished'; printf 'oops\\n' >&2"),
        ("later", "echo again"),
    ] {
        let mut more = Graph::new();
        let node = more.node(
            name,
            Command::new("sh")
                .args(["-c", script])
                .stdout(Stdio::Prefixed)
                .stderr(Stdio::Prefixed),
        );
        let added = running.add(more).unwrap();
        let id = added.node(node);
        run_until(&mut running, "the node ended", |r| r.state(id).is_final());
    }
    running.shutdown(Duration::from_secs(5)).unwrap();
}

fn prefixed_lines_of_added_nodes_reach_the_application_with_their_name() {
    let (stdout, stderr) = common::run_ignored_test("prefixed_helper", &[(HELPER_VAR, "1")]);
    let lines: Vec<&str> = stdout.lines().collect();
    for expected in ["[late] hello", "[late] unfinished", "[later] again"] {
        assert!(
            lines.iter().any(|l| l.ends_with(expected)),
            "{expected:?} missing:\n{stdout}"
        );
    }
    assert!(stderr.lines().any(|l| l == "[late] oops"), "{stderr}");
}

fn added_nodes_share_the_sinks_of_the_graph() {
    common::within(Duration::from_secs(30), "added sinks", || {
        let dir = common::TempDir::new("add-output");
        let log = dir.path().join("shared.log");
        let file = || Sink::file(RotatingFile::new(&log).max_bytes(1 << 20).keep(2));
        let mut graph = Graph::new();
        graph.node(
            "first",
            Command::new("sh")
                .args(["-c", "echo from-first; exec sleep 600"])
                .stdout(Stdio::Sink(file())),
        );
        let mut running = graph.spawn().unwrap();
        // Its line is in the file before anything is added.
        run_until(&mut running, "the first line in the file", |_| {
            std::fs::read_to_string(&log).is_ok_and(|text| text == "from-first\n")
        });

        let (callback, seen) = collecting();
        let mut more = Graph::new();
        let filed = more.node(
            "filed",
            Command::new("echo")
                .arg("from-added")
                .stdout(Stdio::Sink(file())),
        );
        more.node(
            "called",
            Command::new("echo")
                .arg("to-callback")
                .stdout(Stdio::Sink(callback))
                .stderr(Stdio::Sink(Sink::prefixed(Some(Timestamps::SinceStart)))),
        );
        let filed = running.add(more).unwrap().node(filed);
        // One writer of the file: the application's fd the output thread
        // writes through, opened by the spawn and shared by the add (which
        // opens the sinks it has not got yet, before it returns). The nodes
        // write into pipes and hold none.
        let first = process_graph_runtime::NodeId::from_index(0);
        let writers = |running: &RunningGraph, what: &str| {
            let mine = fds_on(&common::open_fds(), &log);
            assert_eq!(
                mine.len(),
                1,
                "{what}: this process's fds on the log: {mine:?}"
            );
            let pid = running.pid(first).expect("the first node runs");
            let its = fds_on(&common::fds_of(pid), &log);
            assert!(its.is_empty(), "{what}: the first node holds {its:?}");
        };
        writers(&running, "after the add");
        wait_for_line(
            &mut running,
            &seen,
            "called",
            "to-callback",
            LineEnd::Newline,
        );
        // Ended, not cut short by the stop before it wrote.
        run_until(&mut running, "the node ended", |r| {
            r.state(filed).is_final()
        });
        writers(&running, "once the added node has written");
        running.shutdown(Duration::from_secs(5)).unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort_unstable();
        assert_eq!(lines, ["from-added", "from-first"], "one file, one writer");
    });
}

fn hundred_forwarding_nodes_come_and_go_and_leave_nothing() {
    common::within(Duration::from_secs(120), "100 forwarding nodes", || {
        let marker = unique_marker("add-output");
        let (sink, seen) = collecting();
        let mut graph = Graph::new();
        graph.node(
            "writer",
            marked(
                Command::new("sh").args(["-c", "while :; do echo tick; sleep 0.001; done"]),
                &marker,
            )
            .stdout(Stdio::Sink(sink.clone())),
        );
        let mut running = graph.spawn().unwrap();
        wait_for_line(&mut running, &seen, "writer", "tick", LineEnd::Newline);
        let (fds, tasks) = (fds_besides_pidfds(), thread_ids());
        for round in 0..ROUNDS {
            let name = format!("job{round}");
            let mut more = Graph::new();
            let job = more.node(
                &name,
                marked(
                    Command::new("sh").args(["-c", "printf 'up\\npartial'; exec sleep 600"]),
                    &marker,
                )
                .stdout(Stdio::Sink(sink.clone())),
            );
            let id = running.add(more).unwrap().node(job);
            wait_for_line(&mut running, &seen, &name, "up", LineEnd::Newline);
            assert_eq!(
                new_threads(&tasks),
                [],
                "no thread per node (round {round})"
            );
            running.remove([id]);
            run_until(&mut running, "the node ended", |r| r.state(id).is_final());
            // Delivered when the node has ended, before its pipe is closed.
            wait_for_line(&mut running, &seen, &name, "partial", LineEnd::Eof);
        }
        // The output thread closes a removed node's pipe right after its
        // last line: give it the moment it takes.
        let deadline = Instant::now() + Duration::from_secs(5);
        while fds_besides_pidfds() != fds && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(fds_besides_pidfds(), fds, "fds leaked");
        assert_eq!(new_threads(&tasks), [], "threads leaked");
        let writer = running.pid(process_graph_runtime::NodeId::from_index(0));
        let left = live_marked_processes(&marker);
        assert!(
            left.iter().all(|p| Some(p.pgrp as u32) == writer),
            "only the writer (and its sleep) is left: {left:?}"
        );
        let ticks = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.node == "writer")
            .count();
        assert!(ticks > ROUNDS, "the writer wrote throughout: {ticks} lines");
        running.shutdown(Duration::from_secs(5)).unwrap();
        assert!(live_marked_processes(&marker).is_empty());
    });
}

/// Each node writes to a file of its own and to a callback: once it is
/// removed, the output thread delivers its partial last lines, then closes
/// the file and drops its writer of the callback. The next node is added
/// right after the removal, so the thread may take both at once: its file
/// may have the slot the removed node's had, and each line must still go
/// to its own node's file.
fn removed_nodes_leave_the_output_thread_none_of_their_sinks() {
    common::within(Duration::from_secs(120), "200 nodes with sinks", || {
        let dir = common::TempDir::new("add-sinks");
        let marker = unique_marker("add-sinks");
        let mut graph = Graph::new();
        let base = RotatingFile::new(dir.path().join("base.log"));
        graph.node(
            "base",
            marked(Command::new("sleep").arg("600"), &marker).stdout(Stdio::Sink(Sink::file(base))),
        );
        let mut running = graph.spawn().unwrap();
        let (fds, tasks) = (fds_besides_pidfds(), thread_ids());
        // Held here, and by the output thread for each node not removed.
        let (callback, seen) = common::collecting_callback();
        let log = |round: usize| dir.path().join(format!("job{round}.log"));
        for round in 0..SINK_ROUNDS {
            let mut more = Graph::new();
            let job = more.node(
                format!("job{round}"),
                marked(
                    Command::new("sh").args([
                        "-c",
                        "printf 'up\\npartial'; printf oops >&2; exec sleep 600",
                    ]),
                    &marker,
                )
                .stdout(Stdio::Sink(Sink::file(RotatingFile::new(log(round)))))
                .stderr(Stdio::Sink(Sink::Callback(Arc::clone(&callback)))),
            );
            let id = running.add(more).unwrap().node(job);
            // Its shell has written everything once it has become `sleep`.
            run_until(&mut running, "the shell became sleep", |r| {
                r.pid(id).is_some_and(|pid| {
                    std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|comm| comm == "sleep\n")
                })
            });
            running.remove([id]);
            run_until(&mut running, "the node ended", |r| r.state(id).is_final());
        }
        // The thread drops a removed node's sinks right after its last
        // lines: give it the moment it takes.
        let deadline = Instant::now() + Duration::from_secs(5);
        while (fds_besides_pidfds() != fds || Arc::strong_count(&callback) > 1)
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut left = fds_besides_pidfds();
        left.retain(|fd, target| fds.get(fd) != Some(target));
        assert!(
            left.is_empty(),
            "{} fds of removed nodes stay open, such as {:?}",
            left.len(),
            left.values().next()
        );
        assert_eq!(fds_besides_pidfds(), fds, "the graph's own fds changed");
        assert_eq!(new_threads(&tasks), [], "threads leaked");
        assert_eq!(
            Arc::strong_count(&callback) - 1,
            0,
            "writers of removed nodes' callback kept"
        );
        let seen = seen.lock().unwrap();
        for round in 0..SINK_ROUNDS {
            let (node, text) = (
                format!("job{round}"),
                std::fs::read_to_string(log(round)).unwrap(),
            );
            assert_eq!(text, "up\npartial\n", "{node}'s file holds its lines only");
            assert!(
                seen.iter().any(|l| l.is(&node, "oops", LineEnd::Eof)),
                "{node}'s oops never reached the callback"
            );
        }
        drop(seen);
        running.shutdown(Duration::from_secs(5)).unwrap();
        assert!(live_marked_processes(&marker).is_empty());
    });
}

/// A node added without a cgroup to contain it leaves a `setsid` daemon
/// writing into its forwarded stdout as fast as it can, and is removed:
/// once the node has ended its pipe is closed all the same, so the daemon's
/// next write fails (it dies of SIGPIPE), and the application holds what it
/// held before the add.
fn a_removed_nodes_daemon_does_not_keep_its_pipe_open() {
    common::within(Duration::from_secs(30), "a removed node's daemon", || {
        let marker = unique_marker("add-daemon");
        let (sink, seen) = collecting();
        let mut graph = Graph::new();
        graph.containment(Containment::Off);
        graph.node(
            "quiet",
            Command::new("sh")
                .args(["-c", "echo up; exec sleep 600"])
                .stdout(Stdio::Sink(sink.clone())),
        );
        let mut running = graph.spawn().unwrap();
        wait_for_line(&mut running, &seen, "quiet", "up", LineEnd::Newline);
        let (fds, tasks) = (fds_besides_pidfds(), thread_ids());
        let mut more = Graph::new();
        let flood = "setsid sh -c 'while :; do echo flood; done' & exec sleep 600";
        let job = more.node(
            "job",
            marked(Command::new("sh").args(["-c", flood]), &marker)
                .stdout(Stdio::Sink(sink.clone())),
        );
        let id = running.add(more).unwrap().node(job);
        wait_for_line(&mut running, &seen, "job", "flood", LineEnd::Newline);
        running.remove([id]);
        run_until(&mut running, "the node ended", |r| r.state(id).is_final());
        let deadline = Instant::now() + Duration::from_secs(5);
        while (fds_besides_pidfds() != fds || !live_marked_processes(&marker).is_empty())
            && Instant::now() < deadline
        {
            let _ = running.next_event(Some(Duration::from_millis(10))).unwrap();
        }
        let (left, fds_now, threads_made) = (
            live_marked_processes(&marker),
            fds_besides_pidfds(),
            new_threads(&tasks),
        );
        running.shutdown(Duration::from_secs(5)).unwrap();
        assert!(left.is_empty(), "the daemon still writes: {left:?}");
        assert_eq!(fds_now, fds, "fds leaked");
        assert_eq!(threads_made, [], "threads leaked");
    });
}
