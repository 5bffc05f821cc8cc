//! A scope with a pid namespace nested in a scope that has one
//! (`ScopeSpec::parent`, or a subgraph's own scope with the subgraph run in
//! a scope): its pid namespace is a child of the enclosing one, its init is
//! pid 1 there, and ending the enclosing scope ends it.
//!
//! The kernel makes a new pid namespace only for a caller that is in the
//! one its children go to; the scope program joins the enclosing pid
//! namespace only for its children, so it clones the init through a helper
//! of its own in that namespace, which the application reaps. These tests
//! also look for that helper: nothing of it may be left.
//!
//! The cases in a user and pid scope run as root and again as uid 65534; those
//! whose enclosing scope has a pid namespace without a user namespace need
//! root. Where the kernel refuses user namespaces the tests say so and skip.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Graph, Namespace, NodeId, NodeOptions, RunningGraph, ScopeSpec, SubgraphFailure,
};

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

/// The scope inits among this process's children: the carried program's
/// `create` (its `watch` is not counted among children at all).
fn scope_inits() -> Vec<u32> {
    common::children_of_this_process()
        .into_iter()
        .filter(|child| {
            std::fs::read(format!("/proc/{}/cmdline", child.pid)).is_ok_and(|cmdline| {
                let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
                args.first() == Some(&&b"process-graph-scope"[..])
                    && args.get(1) == Some(&&b"create"[..])
            })
        })
        .map(|child| child.pid as u32)
        .collect()
}

/// The zombies among this process's children.
fn zombie_children() -> Vec<common::ProcStat> {
    common::children_of_this_process()
        .into_iter()
        .filter(|child| !child.is_live())
        .collect()
}

/// The scope init that is pid 1 of the pid namespace process `member` is
/// in: the one as deep as `member` (the inits here are at different
/// depths). Its namespace files are checked too where this process may
/// open them: it is non-dumpable, so only root (CAP_SYS_PTRACE) may.
fn init_of(member: u32) -> u32 {
    let depth = ns_pids(member).len();
    let inits: Vec<u32> = scope_inits()
        .into_iter()
        .filter(|&init| ns_pids(init).len() == depth)
        .collect();
    assert_eq!(inits.len(), 1, "one init as deep as {member}");
    assert_eq!(
        ns_pids(inits[0]).last(),
        Some(&1),
        "the scope's init is pid 1 of its pid namespace"
    );
    if common::real_root() {
        assert_eq!(namespace_of(inits[0], "pid"), namespace_of(member, "pid"));
    }
    inits[0]
}

/// A graph with scope `outer`, scope `inner` nested in it, and a node in
/// each, tagged with `marker`.
struct Nested {
    running: RunningGraph,
    outer_node: NodeId,
    inner_node: NodeId,
}

fn nested(outer: ScopeSpec, inner: &[Namespace], marker: &str) -> Nested {
    let mut graph = Graph::new();
    let outer = graph.scope("outer", outer);
    let inner = graph.scope("inner", ScopeSpec::new(inner.to_vec()).parent(outer));
    let sleeper = || common::marked(Command::new("sleep").arg("600"), marker);
    let outer_node = graph.node_with("in-outer", sleeper(), NodeOptions::new().scope(outer));
    let inner_node = graph.node_with("in-inner", sleeper(), NodeOptions::new().scope(inner));
    let running = graph.spawn().unwrap();
    Nested {
        running,
        outer_node,
        inner_node,
    }
}

/// Checks that the inner node's pid namespace is a child of the outer
/// node's, with an init of its own, and that no helper of its creation is
/// left; returns the inits, outer then inner.
fn check_nesting(graph: &Nested) -> (u32, u32) {
    let outer = graph.running.pid(graph.outer_node).unwrap();
    let inner = graph.running.pid(graph.inner_node).unwrap();
    let (outer_pids, inner_pids) = (ns_pids(outer), ns_pids(inner));
    assert_eq!(
        inner_pids.len(),
        outer_pids.len() + 1,
        "the inner node is one pid namespace deeper: {outer_pids:?} {inner_pids:?}"
    );
    assert!(outer_pids.len() >= 2, "the outer node is in a pid scope");
    assert_ne!(namespace_of(inner, "pid"), namespace_of(outer, "pid"));
    assert_eq!(
        namespace_above(inner, "pid", libc::NS_GET_PARENT),
        namespace_of(outer, "pid"),
        "the inner pid namespace is a child of the outer one"
    );
    let (outer_init, inner_init) = (init_of(outer), init_of(inner));
    assert_ne!(outer_init, inner_init);
    assert_eq!(scope_inits().len(), 2, "an init per scope, and no helper");
    let zombies = zombie_children();
    assert!(zombies.is_empty(), "zombies (the helper?): {zombies:?}");
    (outer_init, inner_init)
}

/// Kills the outer scope's init: the kernel kills everything in its pid
/// namespace, the inner scope included. Then shuts the graph down and
/// checks that nothing is left: no marked process, no child, no zombie.
fn end_through_the_outer_init(mut graph: Nested, inits: (u32, u32), marker: &str) {
    let outer_init = rustix::process::Pid::from_raw(inits.0 as i32).unwrap();
    rustix::process::kill_process(outer_init, rustix::process::Signal::KILL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while graph.running.status(graph.outer_node).is_none()
        || graph.running.status(graph.inner_node).is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the nodes outlived the outer scope's init by 10 s"
        );
        graph
            .running
            .next_event(Some(Duration::from_millis(20)))
            .unwrap();
    }
    graph.running.shutdown(Duration::from_secs(2)).unwrap();
    drop(graph);
    let left = common::live_marked_processes(marker);
    assert!(left.is_empty(), "left after shutdown: {left:?}");
    let children = common::children_of_this_process();
    assert!(children.is_empty(), "children left: {children:?}");
}

/// Runs the nesting checks, then ends the graph by a shutdown alone and
/// checks again that nothing is left.
fn shut_down(mut graph: Nested, marker: &str) {
    let inits = check_nesting(&graph);
    graph.running.shutdown(Duration::from_secs(2)).unwrap();
    drop(graph);
    let left = common::live_marked_processes(marker);
    assert!(left.is_empty(), "left after shutdown: {left:?}");
    let children = common::children_of_this_process();
    assert!(
        children.is_empty(),
        "children left (inits {inits:?}): {children:?}"
    );
}

#[test]
fn a_pid_scope_nests_in_a_user_and_pid_scope() {
    let _turn = common::serial();
    common::as_root_and_unprivileged("a_pid_scope_nests_in_a_user_and_pid_scope", || {
        common::within(Duration::from_secs(60), "pid in user+pid", || {
            let marker = common::unique_marker("pid-in-user-pid");
            let outer = || ScopeSpec::new([Namespace::User, Namespace::Pid]);
            let graph = nested(outer(), &[Namespace::Pid], &marker);
            let outer_node = graph.running.pid(graph.outer_node).unwrap();
            let inner_node = graph.running.pid(graph.inner_node).unwrap();
            assert_eq!(
                namespace_of(inner_node, "user"),
                namespace_of(outer_node, "user"),
                "the inner scope is in the outer user namespace"
            );
            let inits = check_nesting(&graph);
            end_through_the_outer_init(graph, inits, &marker);

            // With a mount namespace too, the inner init mounts a /proc of
            // its own pid namespace: the inner node sees itself and its
            // init there, nothing of the outer scope.
            let marker = common::unique_marker("pid-mnt-in-user-pid");
            let graph = nested(outer(), &[Namespace::Pid, Namespace::Mount], &marker);
            let inner_node = graph.running.pid(graph.inner_node).unwrap();
            let root = format!("/proc/{inner_node}/root/proc");
            let mut seen: Vec<u32> = std::fs::read_dir(&root)
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect();
            seen.sort_unstable();
            assert_eq!(
                seen,
                [1, *ns_pids(inner_node).last().unwrap()],
                "the inner /proc shows the init and the node"
            );
            shut_down(graph, &marker);
        })
    });
}

#[test]
fn a_pid_scope_nests_in_a_pid_scope() {
    let _turn = common::serial();
    if !common::real_root() {
        common::skip("a pid scope without a user namespace needs root");
        return;
    }
    common::within(Duration::from_secs(60), "pid in pid", || {
        let marker = common::unique_marker("pid-in-pid");
        let graph = nested(ScopeSpec::new([Namespace::Pid]), &[Namespace::Pid], &marker);
        let inits = check_nesting(&graph);
        end_through_the_outer_init(graph, inits, &marker);
    });
}

#[test]
fn a_user_and_pid_scope_nests_in_a_pid_scope() {
    let _turn = common::serial();
    if !common::real_root() {
        common::skip("a pid scope without a user namespace needs root");
        return;
    }
    if !common::user_namespaces_available() {
        return;
    }
    common::within(Duration::from_secs(60), "user+pid in pid", || {
        let marker = common::unique_marker("user-pid-in-pid");
        let graph = nested(
            ScopeSpec::new([Namespace::Pid]),
            &[Namespace::User, Namespace::Pid],
            &marker,
        );
        let inner = graph.running.pid(graph.inner_node).unwrap();
        let own_user = namespace_of(std::process::id(), "user");
        assert_ne!(namespace_of(inner, "user"), own_user);
        assert_eq!(
            namespace_above(inner, "user", libc::NS_GET_PARENT),
            own_user,
            "the inner user namespace is a child of the application's"
        );
        assert_eq!(
            namespace_above(inner, "pid", libc::NS_GET_USERNS),
            namespace_of(inner, "user"),
            "the inner pid namespace belongs to the inner user namespace"
        );
        shut_down(graph, &marker);
    });
}

#[test]
fn a_subgraphs_pid_scope_nests_in_the_scope_it_runs_in() {
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_subgraphs_pid_scope_nests_in_the_scope_it_runs_in",
        || {
            common::within(Duration::from_secs(60), "subgraph pid in user+pid", || {
                let marker = common::unique_marker("subgraph-pid-in-user-pid");
                let sleeper = || common::marked(Command::new("sleep").arg("600"), &marker);
                let mut boxed = Graph::new();
                let own = boxed.scope("own", ScopeSpec::new([Namespace::Pid]));
                let work = boxed.node_with("work", sleeper(), NodeOptions::new().scope(own));
                let mut graph = Graph::new();
                let sandbox =
                    graph.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Pid]));
                let outer_node =
                    graph.node_with("anchor", sleeper(), NodeOptions::new().scope(sandbox));
                let nested =
                    graph.subgraph_in_scope("boxed", boxed, SubgraphFailure::Restart, sandbox);
                let graph = Nested {
                    running: graph.spawn().unwrap(),
                    outer_node,
                    inner_node: nested.node(work),
                };
                shut_down(graph, &marker);
            })
        },
    );
}

/// The kernel nests pid namespaces 32 deep at most. A chain deeper than
/// that fails at the scope past the limit, with the kernel's `ENOSPC`
/// named, and nothing of the scopes made before it is left.
#[test]
fn a_pid_scope_too_deep_fails_and_leaves_nothing() {
    let _turn = common::serial();
    common::as_root_and_unprivileged("a_pid_scope_too_deep_fails_and_leaves_nothing", || {
        common::within(Duration::from_secs(60), "33 nested pid scopes", || {
            let marker = common::unique_marker("pid-too-deep");
            let mut graph = Graph::new();
            let mut scope =
                graph.scope("level-0", ScopeSpec::new([Namespace::User, Namespace::Pid]));
            graph.node_with(
                "top",
                common::marked(Command::new("sleep").arg("600"), &marker),
                NodeOptions::new().scope(scope),
            );
            for level in 1..=33 {
                let spec = ScopeSpec::new([Namespace::Pid]).parent(scope);
                scope = graph.scope(format!("level-{level}"), spec);
            }
            graph.node_with(
                "deepest",
                common::marked(Command::new("sleep").arg("600"), &marker),
                NodeOptions::new().scope(scope),
            );
            let error = graph.spawn().map(|_| ()).unwrap_err();
            eprintln!("{error}");
            match &error {
                process_graph_runtime::Error::Scope {
                    scope,
                    namespace,
                    source,
                    ..
                } => {
                    assert!(scope.starts_with("level-"), "{error}");
                    assert_eq!(*namespace, Some(Namespace::Pid), "{error}");
                    assert_eq!(source.raw_os_error(), Some(libc::ENOSPC), "{error}");
                }
                other => panic!("not a scope error: {other}"),
            }
            let left = common::live_marked_processes(&marker);
            assert!(left.is_empty(), "left after the failure: {left:?}");
            let children = common::children_of_this_process();
            assert!(children.is_empty(), "children left: {children:?}");
        })
    });
}
