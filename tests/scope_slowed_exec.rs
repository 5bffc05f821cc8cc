//! A node slows the start of a node added into its scope without stopping
//! anything: root in a user + pid scope, with a mount namespace of its own,
//! it bind-mounts a copy of `/usr/bin/sleep` it owns over the real one and
//! takes a write lease on it. The carried program's clone of the added node
//! then blocks in `execve`'s open, breaking the lease, for the kernel's
//! `lease-break-time` (45 s by default): asleep, not stopped, so the
//! stopped-helper checks do not see it.
//!
//! The guarantee (README, "Limits to know"): such a start is cut at the
//! helpers' limit, fails, and leaves nothing running. The program gives up
//! on the clone before the application gives up on the program, so it is
//! the program — the only one that knows the clone's pid — that kills it,
//! and the application reaps it. Before, the application gave up first:
//! the clone, the application's child, went on into `execve` once the
//! lease expired, a node that had been reported failed and that no graph
//! tracked.
//!
//! Takes about 25 s (the program's limit). Root and unprivileged alike: a
//! user namespace is all the node needs.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Event, Graph, Namespace, NodeOptions, ScopeSpec};

const LEASE: &str = r#"
import fcntl, os, shutil, signal, sys, tempfile, time, ctypes
signal.signal(signal.SIGIO, signal.SIG_IGN)
libc = ctypes.CDLL(None, use_errno=True)
mine = os.path.join(tempfile.mkdtemp(), "sleep")
shutil.copy("/usr/bin/sleep", mine)
if libc.mount(mine.encode(), b"/usr/bin/sleep", None, 4096, None) != 0:  # MS_BIND
    sys.exit("mount failed: errno %d" % ctypes.get_errno())
fd = os.open("/usr/bin/sleep", os.O_RDONLY)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
open(sys.argv[1], "w").write("leased")
time.sleep(600)
"#;

#[test]
fn a_start_held_in_execve_fails_and_leaves_nothing_running() {
    if !common::user_namespaces_available() {
        return;
    }
    let dir = common::TempDir::writable_by_scopes("slowed-exec");
    let leased = dir.path().join("leased");
    let mut graph = Graph::new();
    let scope = graph.scope(
        "box",
        ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Mount]),
    );
    graph.node_with(
        "leaser",
        Command::new("/usr/bin/python3").args(["-c", LEASE, leased.to_str().unwrap()]),
        NodeOptions::new().scope(scope),
    );
    let mut running = graph.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !leased.exists() {
        assert!(Instant::now() < deadline, "the node took no lease");
        let _ = running.next_event(Some(Duration::from_millis(20)));
    }
    let children = common::children_of_this_process().len();
    let mut more = Graph::new();
    let inside = more.running_scope(scope);
    let late = more.node_with(
        "late",
        Command::new("sleep").arg("600"),
        NodeOptions::new().scope(inside),
    );
    let late = running.add(more).unwrap().node(late);
    let mut failed = None;
    while let Some(event) = running
        .next_event(Some(Duration::from_millis(200)))
        .unwrap()
    {
        if let Event::StartFailed { node, error } = event
            && node == late
        {
            failed = Some(error);
        }
    }
    assert!(failed.is_some(), "the held-up start did not fail");
    assert_eq!(running.pid(late), None);
    // Nothing of it is left: no clone asleep in `execve`, no zombie.
    let left = common::children_of_this_process();
    assert_eq!(left.len(), children, "left: {left:?} ({failed:?})");
    running.shutdown(Duration::from_secs(1)).unwrap();
}
