//! A subgraph in a separate program (`examples/nested_program.rs`): a node
//! that supervises a graph of its own with this library. The outer graph's
//! shutdown reaches the inner graph's children in order, and after that
//! shutdown, or after a SIGKILL of the outer application, nothing of either
//! graph is left: no process, no zombie, no cgroup.
//!
//! This test has its own `main` (`harness = false`): the inner program's
//! `stop_on_signals` must block its signals before any other thread exists,
//! and libtest's threads rule that out. The test binary plays every part:
//! the test, the outer application (for the SIGKILL), and the inner program.
//! It makes itself a child subreaper, so whatever any program of the graphs
//! leaves unreaped becomes its child and is counted.
//!
//! As root it runs again as uid 65534 (no cgroups there).

mod common;
#[allow(dead_code)]
#[path = "../examples/nested_program.rs"]
mod nested_program;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{children_of_this_process, live_marked_processes, marked, unique_marker};
use nested_program::{OuterNode, outer, store_main};
use process_graph::prelude::*;

/// Which part this process plays: unset for the test itself.
const PART: &str = "PROCESS_GRAPH_NESTED_PART";

/// How many times the outer application is SIGKILLed.
const TRIALS: usize = 20;

fn main() {
    match std::env::var(PART).as_deref() {
        Ok("store") => return store_main().expect("the inner program runs"),
        Ok("outer") => outer_application(),
        _ => {}
    }
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .expect("PR_SET_CHILD_SUBREAPER");
    outer_shutdown_stops_the_inner_graph_in_order();
    println!("test outer_shutdown_stops_the_inner_graph_in_order ... ok");
    sigkill_of_the_outer_application_leaves_nothing();
    println!("test sigkill_of_the_outer_application_leaves_nothing ... ok");
    if common::needs_an_unprivileged_run() {
        again_as_uid_65534();
        println!("test again_as_uid_65534 ... ok");
    }
}

/// The `store` node: this binary as the inner program, tagged with `marker`.
fn store(marker: &str) -> Cmd {
    let exe = std::env::current_exe().expect("the test binary's path");
    marked(Cmd::new(exe).env(PART, "store"), marker)
}

fn outer_shutdown_stops_the_inner_graph_in_order() {
    let marker = unique_marker("nested-shutdown");
    let mut running = outer(store(&marker))
        .spawn()
        .expect("spawn the outer graph");
    wait_until_the_store_is_ready(&mut running);
    // The inner program and its three nodes.
    let before = live_marked_processes(&marker);
    assert!(before.len() >= 4, "the inner graph runs: {before:?}");
    let graph_cgroup = graph_cgroup(&cgroup_of(&running));
    if let Some(dir) = &graph_cgroup {
        assert!(
            dir.is_dir(),
            "{} is the outer graph's cgroup",
            dir.display()
        );
    }

    let report = running
        .shutdown(Duration::from_secs(5))
        .expect("shutdown of the outer graph");
    let mut said = String::new();
    running
        .reports
        .take()
        .expect("the parent reads `reports`")
        .read_to_string(&mut said)
        .unwrap();
    let stopped: Vec<&str> = said
        .lines()
        .filter_map(|l| l.strip_prefix("stopped "))
        .collect();
    assert_eq!(stopped, ["api", "cache", "db"], "inner stop order:\n{said}");
    assert!(
        said.contains("store done: Signal(SIGTERM)"),
        "the inner program's own shutdown, from the outer stop signal:\n{said}"
    );
    assert_eq!(
        report.store.status.and_then(ExitStatus::code),
        Some(0),
        "the inner program exits on its own, not by SIGKILL:\n{report}"
    );
    // Nothing left, and nothing unreaped: an orphan of either program
    // would have become this subreaper's child.
    let left = live_marked_processes(&marker);
    assert!(left.is_empty(), "live processes left: {left:?}");
    let children = children_of_this_process();
    assert!(
        children.is_empty(),
        "children or zombies left: {children:?}"
    );
    if let Some(dir) = graph_cgroup {
        assert!(!dir.exists(), "{} is left", dir.display());
    }
}

fn wait_until_the_store_is_ready(running: &mut nested_program::RunningOuter) {
    loop {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(GraphEvent::Ready {
                node: OuterNode::Store,
            }) => return,
            Some(GraphEvent::Exited { node, status, .. }) => {
                panic!("{node} exited before the store was ready: {status}")
            }
            Some(_) => {}
            None => panic!("the store was not ready within 10 s"),
        }
    }
}

/// The outer application of the SIGKILL trials: spawns the outer graph,
/// prints the store's cgroup and `application-up` once the store is ready,
/// and waits to be killed.
fn outer_application() -> ! {
    let marker = std::env::var(common::MARKER_VAR).expect("the test tags the application");
    let mut running = outer(store(&marker))
        .spawn()
        .expect("spawn the outer graph");
    wait_until_the_store_is_ready(&mut running);
    println!("{}", cgroup_of(&running));
    println!("application-up");
    std::thread::sleep(Duration::from_secs(60));
    panic!("the application was not killed within 60 s");
}

fn sigkill_of_the_outer_application_leaves_nothing() {
    let (mut survivors, mut orphans, mut cgroups_left) = (0, 0, 0);
    for _ in 0..TRIALS {
        let marker = unique_marker("nested-sigkill");
        let mut app = StdCommand::new(std::env::current_exe().unwrap())
            .env(PART, "outer")
            .env(common::MARKER_VAR, &marker)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(app.stdout.take().unwrap());
        let mut printed = String::new();
        while !printed.ends_with("application-up\n") {
            assert_ne!(
                out.read_line(&mut printed).unwrap(),
                0,
                "the application died early"
            );
        }
        // The application, the inner program and its three nodes.
        assert!(live_marked_processes(&marker).len() >= 5, "{printed}");
        let graph_cgroup = graph_cgroup(&printed);
        if let Some(dir) = &graph_cgroup {
            assert!(
                dir.is_dir(),
                "{} is the outer graph's cgroup",
                dir.display()
            );
        }

        app.kill().unwrap();
        app.wait().unwrap();
        let deadline = Instant::now() + common::DEATH_TIMEOUT;
        while !live_marked_processes(&marker).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        survivors += live_marked_processes(&marker).len();
        // The programs that died with the application were orphaned to this
        // subreaper: zombies here, reaped now. Each must end (the outer
        // graph's cgroup watcher ends once it has removed the cgroups).
        // Reaping one can orphan its own children to this process (a process's
        // children are handed on as it exits), so scan until none is left:
        // once every child is reaped, nothing more can be handed on.
        loop {
            let children = children_of_this_process();
            if children.is_empty() {
                break;
            }
            for child in children {
                orphans += 1;
                let pid = rustix::process::Pid::from_raw(child.pid).unwrap();
                let ends = common::open_pidfd(child.pid)
                    .is_none_or(|pidfd| common::exits_within(&pidfd, common::DEATH_TIMEOUT));
                if !ends {
                    survivors += 1;
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
                rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()).unwrap();
            }
        }
        if let Some(dir) = graph_cgroup {
            let deadline = Instant::now() + Duration::from_secs(2);
            while dir.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            cgroups_left += usize::from(dir.exists());
        }
    }
    println!(
        "SIGKILL of the outer application, {TRIALS} trials: {survivors} surviving processes, \
         {orphans} orphans (all dead or dying, reaped by this subreaper), \
         the outer graph's cgroup left in {cgroups_left}"
    );
    assert_eq!((survivors, cgroups_left), (0, 0));
}

/// The store's `/proc/PID/cgroup`.
fn cgroup_of(running: &nested_program::RunningOuter) -> String {
    let pid = running.store().pid().expect("the store runs");
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    cgroup.trim_end().to_owned()
}

/// The outer graph's cgroup (the parent of the store's), when the outer
/// graph has cgroups: the application printed the store's `0::` line.
fn graph_cgroup(printed: &str) -> Option<PathBuf> {
    let line = printed.lines().find(|l| l.starts_with("0::"))?;
    let store = common::cgroup_dir(line);
    let graph = store.parent()?.to_owned();
    graph
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with("process-graph"))
        .then_some(graph)
}

/// Runs this binary again as uid 65534, where no cgroups are created.
fn again_as_uid_65534() {
    let copy = common::unprivileged_copy_of_this_binary();
    let output = common::as_uid_65534()
        .arg(&copy)
        .env(common::UNPRIVILEGED, "1")
        .current_dir("/")
        .output()
        .expect("setpriv (util-linux) runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && text.contains("leaves_nothing ... ok"),
        "as uid 65534:\n{text}\n{errors}"
    );
}
