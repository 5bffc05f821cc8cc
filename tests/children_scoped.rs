//! Typed children with scopes and forwarded output: each child added to a
//! `#[children]` field gets the scopes its own struct declares, made when it
//! is added, and its lines reach the sink it declares, named by the child's
//! path; a removed child's scopes end with it. Added into a scope of the
//! pool (`#[children(scope = ...)]`), a child's own scopes nest in that
//! scope. Run as root and as uid 65534; where the kernel refuses user
//! namespaces the test says so and skips.

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

/// The scope inits among this process's children (the running test's,
/// one test at a time: [`common::serial`]): the carried program's `create`, not its cgroup
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
    let _turn = common::serial();
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
                while !running.running_graph().state(work.id()).is_final() {
                    assert!(Instant::now() < deadline, "the removed child still runs");
                    running.next_event(Some(Duration::from_millis(5))).unwrap();
                }
                assert_eq!(scope_inits(), 1, "the removed child's scope ended with it");
                let kept = HostNode::Boxes(second.node(SandboxedNode::Work));
                reported_pid(&mut running, kept.id());
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
    let _turn = common::serial();
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
                while !running.running_graph().state(work.id()).is_final() {
                    assert!(Instant::now() < deadline, "the removed child still runs");
                    running.next_event(Some(Duration::from_millis(5))).unwrap();
                }
                assert_eq!(
                    scope_inits(),
                    1,
                    "the pool's scope outlives a removed child"
                );
                let kept = PoolNode::Jobs(second.node(JobNode::Work));
                reported_pid(&mut running, kept.id());
                running.shutdown(Duration::from_secs(5)).unwrap();
                let left = live_marked_processes(&marker);
                assert!(left.is_empty(), "left after shutdown: {left:?}");
            })
        },
    );
}

/// A job with a network of its own, declared by its struct.
#[process_graph]
pub struct Networked {
    #[scope(net)]
    net: Scope,
    #[process(scope = net, stdout = callback(record_pool))]
    work: Cmd,
}

/// A job with a pid namespace of its own, declared by its struct. Not a
/// user namespace too: one nested in a scope that has one is refused (see
/// the README's limits).
#[process_graph]
pub struct Boxed {
    #[scope(pid)]
    inner: Scope,
    #[process(scope = inner, stdout = callback(record_pool))]
    work: Cmd,
}

/// Children whose own scopes nest in a scope of the pool.
#[process_graph]
pub struct Nesting {
    #[scope(user, pid)]
    sandbox: Scope,
    #[process(scope = sandbox, stdout = callback(record_pool))]
    anchor: Cmd,
    #[children(scope = sandbox)]
    networked: Children<Networked>,
    #[children(scope = sandbox)]
    boxed: Children<Boxed>,
}

/// The pid of process `pid` in each pid namespace it is in, from the
/// application's down to its own: the `NSpid` line of its status.
fn ns_pids(pid: u32) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find_map(|l| l.strip_prefix("NSpid:"));
    let line = line.unwrap_or_else(|| panic!("no NSpid line for {pid}"));
    line.split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

/// A namespace's identity: the device and inode of its file.
fn namespace_id(file: &std::fs::File) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let metadata = file.metadata().unwrap();
    (metadata.dev(), metadata.ino())
}

/// The identity of process `pid`'s `kind` namespace (`pid`, `user`, ...).
fn namespace_of(pid: u32, kind: &str) -> (u64, u64) {
    namespace_id(&std::fs::File::open(format!("/proc/{pid}/ns/{kind}")).unwrap())
}

/// The identity of the namespace that `request` (ioctl_ns(2):
/// `NS_GET_PARENT`, `NS_GET_USERNS`) finds from process `pid`'s `kind`
/// namespace.
fn namespace_above(pid: u32, kind: &str, request: libc::Ioctl) -> (u64, u64) {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let file = std::fs::File::open(format!("/proc/{pid}/ns/{kind}")).unwrap();
    // SAFETY: both requests take no argument and return a new fd or -1.
    let fd = unsafe { libc::ioctl(file.as_raw_fd(), request) };
    assert!(
        fd >= 0,
        "ioctl {request:#x} on the {kind} namespace of {pid}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the ioctl returned a new fd, which nothing else owns.
    let above = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    namespace_id(&above)
}

/// Where the pool's sandbox is: its node's pid (in the application's pid
/// namespace), `readlink` of its pid namespace, and the identities of its
/// pid and user namespaces.
struct Sandbox {
    pid: u32,
    pid_ns_link: String,
    pid_ns: (u64, u64),
    user_ns: (u64, u64),
}

fn sandbox_of(running: &mut RunningNesting) -> Sandbox {
    let anchor = line_of(running, &POOL_LINES, "anchor");
    let (link, _) = anchor.split_once(' ').unwrap();
    let own = std::fs::read_link("/proc/self/ns/pid").unwrap();
    assert_ne!(
        std::path::Path::new(link),
        own,
        "the anchor is in the sandbox"
    );
    let pid = running
        .running_graph()
        .pid(NestingNode::Anchor.id())
        .unwrap();
    Sandbox {
        pid,
        pid_ns_link: link.to_owned(),
        pid_ns: namespace_of(pid, "pid"),
        user_ns: namespace_of(pid, "user"),
    }
}

/// What node `name` wrote: `readlink` of its pid namespace, and its pid
/// there.
fn where_it_runs(running: &mut RunningNesting, name: &str) -> (String, u32) {
    let line = line_of(running, &POOL_LINES, name);
    let (link, pid) = line.split_once(' ').unwrap();
    (link.to_owned(), pid.parse().unwrap())
}

/// The pid of `node`, an added node in a scope: it has one once the
/// carried program has reported, which the loop may not have read yet when
/// the node's first line came.
fn reported_pid<N: process_graph::GraphNode>(
    running: &mut Running<N>,
    node: process_graph_runtime::NodeId,
) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(pid) = running.running_graph().pid(node) {
            return pid;
        }
        assert!(Instant::now() < deadline, "no pid in 10 s");
        running.next_event(Some(Duration::from_millis(5))).unwrap();
    }
}

/// Removes a child, waits until its node `work` has stopped, and checks
/// that its scope ended with it while the sandbox runs on.
fn remove_and_check(
    running: &mut RunningNesting,
    child: process_graph::ChildId<impl process_graph::GraphNode>,
    work: NestingNode,
    sandbox: &Sandbox,
) {
    let before = scope_inits();
    running.remove_child(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !running.running_graph().state(work.id()).is_final() {
        assert!(Instant::now() < deadline, "the removed child still runs");
        running.next_event(Some(Duration::from_millis(5))).unwrap();
    }
    assert_eq!(
        scope_inits(),
        before - 1,
        "the removed child's scope ended with it, the sandbox's stays"
    );
    assert_eq!(
        running.running_graph().pid(NestingNode::Anchor.id()),
        Some(sandbox.pid),
        "the sandbox's node runs on"
    );
}

/// The command each node runs: says where it is, then stays.
fn says_where(marker: &str) -> Cmd {
    marked(
        Cmd::new("sh").args([
            "-c",
            "echo $(readlink /proc/self/ns/pid) $$; exec sleep 600",
        ]),
        marker,
    )
}

#[test]
fn a_childs_own_network_nests_in_the_pools_scope() {
    let _turn = common::serial();
    common::as_root_and_unprivileged("a_childs_own_network_nests_in_the_pools_scope", || {
        common::within(Duration::from_secs(60), "nested child networks", || {
            POOL_LINES.lock().unwrap().clear();
            let marker = unique_marker("nested-child-net");
            let mut running = Nesting::new(says_where(&marker)).spawn().unwrap();
            let first = running
                .add_networked(Networked::new(says_where(&marker)))
                .unwrap();
            let second = running
                .add_networked(Networked::new(says_where(&marker)))
                .unwrap();
            let sandbox = sandbox_of(&mut running);
            let sandbox_net = namespace_of(sandbox.pid, "net");
            let mut nets = Vec::new();
            for (name, child) in [("networked.0.work", &first), ("networked.1.work", &second)] {
                let (link, pid) = where_it_runs(&mut running, name);
                assert_eq!(
                    link, sandbox.pid_ns_link,
                    "{name} is in the sandbox's pid namespace"
                );
                assert!(
                    pid < 10,
                    "{name}'s pid {pid} is numbered inside the sandbox"
                );
                let work = NestingNode::Networked(child.node(NetworkedNode::Work));
                // Its pid comes with the carried program's report, which
                // the loop may not have read when the line came.
                let work_pid = reported_pid(&mut running, work.id());
                assert_eq!(namespace_of(work_pid, "pid"), sandbox.pid_ns);
                assert_eq!(namespace_of(work_pid, "user"), sandbox.user_ns);
                let net = namespace_of(work_pid, "net");
                assert_ne!(net, sandbox_net, "{name} has a network of its own");
                assert_eq!(
                    namespace_above(work_pid, "net", libc::NS_GET_USERNS),
                    sandbox.user_ns,
                    "{name}'s network was made inside the sandbox's user namespace"
                );
                nets.push(net);
            }
            assert_ne!(nets[0], nets[1], "a scope per child");
            assert_eq!(scope_inits(), 3, "the sandbox, and a scope per child");

            let work = NestingNode::Networked(first.node(NetworkedNode::Work));
            remove_and_check(&mut running, first, work, &sandbox);
            let kept = NestingNode::Networked(second.node(NetworkedNode::Work));
            let kept_pid = reported_pid(&mut running, kept.id());
            assert_eq!(namespace_of(kept_pid, "net"), nets[1]);
            running.shutdown(Duration::from_secs(5)).unwrap();
            let left = live_marked_processes(&marker);
            assert!(left.is_empty(), "left after shutdown: {left:?}");
        })
    });
}

#[test]
fn a_childs_own_pid_namespace_nests_in_the_pools_scope() {
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_childs_own_pid_namespace_nests_in_the_pools_scope",
        || {
            common::within(
                Duration::from_secs(60),
                "nested child pid namespaces",
                || {
                    POOL_LINES.lock().unwrap().clear();
                    let marker = unique_marker("nested-child-pid");
                    let mut running = Nesting::new(says_where(&marker)).spawn().unwrap();
                    let first = running.add_boxed(Boxed::new(says_where(&marker))).unwrap();
                    let second = running.add_boxed(Boxed::new(says_where(&marker))).unwrap();
                    let sandbox = sandbox_of(&mut running);
                    let sandbox_levels = ns_pids(sandbox.pid).len();
                    let mut own = Vec::new();
                    for (name, child) in [("boxed.0.work", &first), ("boxed.1.work", &second)] {
                        let (link, pid) = where_it_runs(&mut running, name);
                        assert_ne!(
                            link, sandbox.pid_ns_link,
                            "{name} has a pid namespace of its own"
                        );
                        assert!(
                            pid < 10,
                            "{name}'s pid {pid} is numbered inside its own scope"
                        );
                        let work = NestingNode::Boxed(child.node(BoxedNode::Work));
                        let work_pid = reported_pid(&mut running, work.id());
                        let pids = ns_pids(work_pid);
                        assert_eq!(
                            pids.len(),
                            sandbox_levels + 1,
                            "{name} is one pid namespace deeper than the sandbox's nodes: {pids:?}"
                        );
                        assert_eq!(pids.last(), Some(&pid));
                        assert_eq!(
                            namespace_above(work_pid, "pid", libc::NS_GET_PARENT),
                            sandbox.pid_ns,
                            "{name}'s pid namespace is nested in the sandbox's"
                        );
                        assert_eq!(namespace_of(work_pid, "user"), sandbox.user_ns);
                        own.push(namespace_of(work_pid, "pid"));
                    }
                    assert_ne!(own[0], own[1], "a scope per child");
                    assert_eq!(scope_inits(), 3, "the sandbox, and a scope per child");

                    let work = NestingNode::Boxed(first.node(BoxedNode::Work));
                    remove_and_check(&mut running, first, work, &sandbox);
                    let kept = NestingNode::Boxed(second.node(BoxedNode::Work));
                    let kept_pid = reported_pid(&mut running, kept.id());
                    assert_eq!(
                        namespace_above(kept_pid, "pid", libc::NS_GET_PARENT),
                        sandbox.pid_ns
                    );
                    running.shutdown(Duration::from_secs(5)).unwrap();
                    let left = live_marked_processes(&marker);
                    assert!(left.is_empty(), "left after shutdown: {left:?}");
                },
            )
        },
    );
}
