//! Typed children with scopes and forwarded output: each child added to a
//! `#[children]` field gets the scopes its own struct declares, made when it
//! is added, and its lines reach the sink it declares, named by the child's
//! path; a removed child's scopes end with it. Run as root and as uid
//! 65534; where the kernel refuses user namespaces the test says so and
//! skips.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{live_marked_processes, marked, unique_marker};
use process_graph::Running;
use process_graph::prelude::*;

/// What [`record`] saw: (node, line).
static RECORDED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn record(line: &process_graph::Line<'_>) {
    RECORDED
        .lock()
        .unwrap()
        .push((line.node().to_owned(), line.text_lossy().into_owned()));
}

/// A worker in a user and pid namespace of its own, its stdout to a
/// callback.
#[process_graph]
pub struct Sandboxed {
    #[scope(user, pid)]
    sandbox: Scope,
    #[process(scope = sandbox, stdout = callback(record))]
    work: Cmd,
}

#[process_graph]
pub struct Host {
    #[process]
    idle: Cmd,
    #[children]
    boxes: Children<Sandboxed>,
}

/// The line node `node` wrote into `lines`, once it has, running the
/// event loop.
fn line_of<N: process_graph::GraphNode>(
    running: &mut Running<N>,
    lines: &Mutex<Vec<(String, String)>>,
    node: &str,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = lines
            .lock()
            .unwrap()
            .iter()
            .find(|(n, _)| n == node)
            .map(|(_, line)| line.clone());
        if let Some(line) = found {
            return line;
        }
        assert!(Instant::now() < deadline, "no line of {node} in 10 s");
        running.next_event(Some(Duration::from_millis(5))).unwrap();
    }
}

/// One test at a time: [`scope_inits`] counts every scope init of this
/// process.
static TURN: Mutex<()> = Mutex::new(());

/// The scope inits among this process's children (the running test's,
/// with [`TURN`] held): the carried program's `create`, not its cgroup
/// `watch`.
fn scope_inits() -> usize {
    common::children_of_this_process()
        .into_iter()
        .filter(|child| {
            std::fs::read(format!("/proc/{}/cmdline", child.pid))
                .is_ok_and(|cmdline| cmdline.starts_with(b"process-graph-scope\0create\0"))
        })
        .count()
}

#[test]
fn children_get_their_own_scopes_and_forward_their_output() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    common::as_root_and_unprivileged(
        "children_get_their_own_scopes_and_forward_their_output",
        || {
            common::within(Duration::from_secs(60), "scoped children", || {
                RECORDED.lock().unwrap().clear();
                let marker = unique_marker("scoped-children");
                let worker = || {
                    Sandboxed::new(marked(
                        Cmd::new("sh").args([
                            "-c",
                            "echo $(readlink /proc/self/ns/pid) $$; exec sleep 600",
                        ]),
                        &marker,
                    ))
                };
                let mut running = Host::new(marked(Cmd::new("sleep").arg("600"), &marker))
                    .spawn()
                    .unwrap();
                let first = running.add_boxes(worker()).unwrap();
                let second = running.add_boxes(worker()).unwrap();
                let a = line_of(&mut running, &RECORDED, "boxes.0.work");
                let b = line_of(&mut running, &RECORDED, "boxes.1.work");
                let (a_ns, a_pid) = a.split_once(' ').unwrap();
                let (b_ns, _) = b.split_once(' ').unwrap();
                let own = std::fs::read_link("/proc/self/ns/pid").unwrap();
                assert_ne!(std::path::Path::new(a_ns), own, "not the application's");
                assert_ne!(a_ns, b_ns, "each child has a pid namespace of its own");
                let a_pid: u32 = a_pid.parse().unwrap();
                assert!(
                    a_pid < 10,
                    "pid {a_pid} is numbered inside the child's scope"
                );

                assert_eq!(scope_inits(), 2, "one scope per child");
                let work = HostNode::Boxes(first.node(SandboxedNode::Work));
                running.remove_child(first);
                let deadline = Instant::now() + Duration::from_secs(10);
                while running.running_graph().pid(work.id()).is_some() {
                    assert!(Instant::now() < deadline, "the removed child still runs");
                    running.next_event(Some(Duration::from_millis(5))).unwrap();
                }
                assert_eq!(scope_inits(), 1, "the removed child's scope ended with it");
                let kept = HostNode::Boxes(second.node(SandboxedNode::Work));
                assert!(running.running_graph().pid(kept.id()).is_some());
                running.shutdown(Duration::from_secs(5)).unwrap();
                let left = live_marked_processes(&marker);
                assert!(left.is_empty(), "left after shutdown: {left:?}");
            })
        },
    );
}

/// What [`record_pool`] saw: (node, line).
static POOL_LINES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn record_pool(line: &process_graph::Line<'_>) {
    POOL_LINES
        .lock()
        .unwrap()
        .push((line.node().to_owned(), line.text_lossy().into_owned()));
}

/// A job with no scope of its own: where it runs is the pool's choice.
#[process_graph]
pub struct Job {
    #[process(stdout = callback(record_pool))]
    work: Cmd,
}

/// Children added into a scope of the pool, beside a node started in it.
#[process_graph]
pub struct Pool {
    #[scope(user, pid)]
    sandbox: Scope,
    #[process(scope = sandbox, stdout = callback(record_pool))]
    anchor: Cmd,
    #[children(scope = sandbox)]
    jobs: Children<Job>,
}

#[test]
fn children_declared_in_a_scope_join_the_running_scope() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    common::as_root_and_unprivileged(
        "children_declared_in_a_scope_join_the_running_scope",
        || {
            common::within(Duration::from_secs(60), "children in a scope", || {
                POOL_LINES.lock().unwrap().clear();
                let marker = unique_marker("children-in-scope");
                let says_where = || {
                    marked(
                        Cmd::new("sh").args([
                            "-c",
                            "echo $(readlink /proc/self/ns/pid) $$; exec sleep 600",
                        ]),
                        &marker,
                    )
                };
                let mut running = Pool::new(says_where()).spawn().unwrap();
                let first = running.add_jobs(Job::new(says_where())).unwrap();
                let second = running.add_jobs(Job::new(says_where())).unwrap();
                let anchor = line_of(&mut running, &POOL_LINES, "anchor");
                let (anchor_ns, _) = anchor.split_once(' ').unwrap();
                let own = std::fs::read_link("/proc/self/ns/pid").unwrap();
                assert_ne!(std::path::Path::new(anchor_ns), own);
                for name in ["jobs.0.work", "jobs.1.work"] {
                    let line = line_of(&mut running, &POOL_LINES, name);
                    let (ns, pid) = line.split_once(' ').unwrap();
                    assert_eq!(ns, anchor_ns, "{name} runs in the pool's pid namespace");
                    let pid: u32 = pid.parse().unwrap();
                    assert!(pid < 10, "{name}'s pid {pid} is numbered inside the scope");
                }
                assert_eq!(scope_inits(), 1, "the children made no scope of their own");

                let work = PoolNode::Jobs(first.node(JobNode::Work));
                running.remove_child(first);
                let deadline = Instant::now() + Duration::from_secs(10);
                while running.running_graph().pid(work.id()).is_some() {
                    assert!(Instant::now() < deadline, "the removed child still runs");
                    running.next_event(Some(Duration::from_millis(5))).unwrap();
                }
                assert_eq!(
                    scope_inits(),
                    1,
                    "the pool's scope outlives a removed child"
                );
                let kept = PoolNode::Jobs(second.node(JobNode::Work));
                assert!(running.running_graph().pid(kept.id()).is_some());
                running.shutdown(Duration::from_secs(5)).unwrap();
                let left = live_marked_processes(&marker);
                assert!(left.is_empty(), "left after shutdown: {left:?}");
            })
        },
    );
}
