//! A node slows the creation of a scope nested in its own without
//! stopping anything: root in a user + pid + mount scope, it bind-mounts a
//! file it owns over `/dev/null` and takes a write lease on it
//! (`common::LEASE`). An `open` of `/dev/null` there then sleeps, breaking
//! the lease, for the kernel's `lease-break-time` (45 s).
//!
//! The guarantee (README, "Limits to know"): the nested scope's creation,
//! which an `add` waits for, opens nothing in the enclosing scope's mount
//! namespace, so the application does not wait on the node. Before, the
//! nested scope's init opened `/dev/null` there for its stdio: the `add`,
//! and with it the application's event loop, waited the helpers' 30 s
//! limit, and the scope failed.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};

#[test]
fn a_nested_scope_made_at_run_time_is_not_held_by_a_lease_on_dev_null() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_nested_scope_made_at_run_time_is_not_held_by_a_lease_on_dev_null",
        a_nested_scope_made_at_run_time_is_not_held_by_a_lease_on_dev_null_as_this_user,
    );
}

fn a_nested_scope_made_at_run_time_is_not_held_by_a_lease_on_dev_null_as_this_user() {
    nested_scope_beside(common::LEASE, &["/dev/null"]);
}

/// Runs `leaser` (a Python program, its first argument a file to create
/// once it is in place, then `args`) in a user + pid + mount scope, then
/// adds a pid scope nested in that scope, with a node: the add must not
/// wait for the leases, and the node must run.
fn nested_scope_beside(leaser: &str, args: &[&str]) {
    let mut graph = Graph::new();
    let outer = graph.scope(
        "outer",
        ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Mount]),
    );
    let (mut running, _, _dir) =
        common::spawn_leased(graph, outer, NodeOptions::new(), leaser, args);
    let mut more = Graph::new();
    let enclosing = more.running_scope(outer);
    let inner = more.scope("inner", ScopeSpec::new([Namespace::Pid]).parent(enclosing));
    let node = more.node_with(
        "inner-node",
        Command::new("sleep").arg("600"),
        NodeOptions::new().scope(inner),
    );
    let asked = Instant::now();
    let added = running.add(more);
    let took = asked.elapsed();
    eprintln!(
        "the add took {took:?}: {:?}",
        added.as_ref().map(|_| ()).map_err(|e| common::report(e))
    );
    assert!(took < Duration::from_secs(5), "the add took {took:?}");
    let node = added.unwrap().node(node);
    let deadline = Instant::now() + Duration::from_secs(10);
    while running.pid(node).is_none() && Instant::now() < deadline {
        let _ = running.next_event(Some(Duration::from_millis(50))).unwrap();
    }
    assert!(
        running.pid(node).is_some(),
        "the nested scope's node never ran"
    );
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// A node's program that mounts over its scope's `/proc` a directory of
/// its own in which `self/ns/*` are regular files it holds write leases
/// on, then says so in the file named by its argument: an `open` of
/// `/proc/self/ns/user` in that mount namespace sleeps for the kernel's
/// `lease-break-time`.
const PROC_LEASES: &str = r#"
import fcntl, os, signal, sys, tempfile, time, ctypes
signal.signal(signal.SIGIO, signal.SIG_IGN)
libc = ctypes.CDLL(None, use_errno=True)
top = tempfile.mkdtemp()
os.makedirs(os.path.join(top, "fake", "ns"))
os.symlink("fake", os.path.join(top, "self"))
os.symlink("fake", os.path.join(top, "thread-self"))
held = []
for name in ["user", "pid", "net", "mnt", "uts", "ipc"]:
    path = os.path.join(top, "fake", "ns", name)
    open(path, "w").close()
    held.append(path)
if libc.mount(top.encode(), b"/proc", None, 4096, None) != 0:  # MS_BIND
    sys.exit("mount failed: errno %d" % ctypes.get_errno())
fds = []
for name in ["user", "pid", "net", "mnt", "uts", "ipc"]:
    fd = os.open("/proc/self/ns/" + name, os.O_RDONLY)
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
    fds.append(fd)
open(sys.argv[1], "w").write("leased")
time.sleep(600)
"#;

#[test]
fn a_nested_scope_made_at_run_time_is_not_held_by_leases_over_proc() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_nested_scope_made_at_run_time_is_not_held_by_leases_over_proc",
        || nested_scope_beside(PROC_LEASES, &[]),
    );
}
