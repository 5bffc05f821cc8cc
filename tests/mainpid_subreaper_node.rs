//! A node that makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`),
//! daemonizes a server (fork, `setsid`, fork, the middle one exits) so that
//! the server is reparented to the node itself, not to the application or
//! pid 1, and names it in `MAINPID=` — after first trying its luck with a
//! sibling node's process it moved into its own cgroup and with the
//! application. Run as root and as uid 65534 in a cgroup delegated to it,
//! where the node (of the application's uid) may write the `cgroup.procs`
//! of the graph's cgroups: the sibling and the application are refused,
//! the reparented server is accepted and followed — the stop signal goes
//! to it, the node ends with its status, the sibling is untouched, and
//! nothing is left.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Event, ExitStatus, Graph, MainPidRefusal, NodeOptions, NodeState,
    Readiness, Signal,
};

/// The node: a subreaper that daemonizes `sleep 300` (reparented to it),
/// waits for the file named by its argument, then names the pid of each
/// line; `move:PID` first writes the pid into its own `cgroup.procs`
/// (ignoring refusals), the word `server` names the daemonized server.
/// (Not the application moved: the node's end drains its cgroup, and such
/// a node may kill the application anyway — root, or its uid.)
const SUBREAPER_NODE: &str = r#"
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    server = os.fork()
    if server == 0:
        os.execvp("sleep", ["sleep", "300"])
    os.write(w, str(server).encode())
    os._exit(0)
os.wait()
server = int(os.read(r, 32))
# The middle process is reaped: the server is an orphan, reparented to us.
deadline = time.time() + 10
while int(open("/proc/%d/stat" % server).read().rsplit(")", 1)[1].split()[1]) != os.getpid():
    assert time.time() < deadline, "not reparented to the subreaper"
    time.sleep(0.005)
sock.sendto(b"READY=1", address)
mount = next(l.split()[4] for l in open("/proc/self/mountinfo") if " - cgroup2 " in l)
own = mount + next(l[3:].strip() for l in open("/proc/self/cgroup") if l.startswith("0::"))
path = sys.argv[1]
while not os.path.exists(path):
    time.sleep(0.01)
for line in open(path).read().split():
    if line == "server":
        line = str(server)
    elif line.startswith("move:"):
        line = line[5:]
        try:
            open(own + "/cgroup.procs", "w").write(line)
        except OSError:
            pass
    sock.sendto(("MAINPID=" + line).encode(), address)
while True:
    time.sleep(1)
"#;

#[test]
fn a_subreaper_node_may_name_its_reparented_server_and_nothing_else() {
    let _turn = common::serial();
    common::delegated::as_root_and_delegated(
        "a_subreaper_node_may_name_its_reparented_server_and_nothing_else",
        || {
            common::within(
                Duration::from_secs(60),
                "the subreaper node",
                subreaper_node,
            )
        },
    );
}

fn subreaper_node() {
    let marker = common::unique_marker("subreaper-node");
    let fds = common::open_fds();
    let dir = common::TempDir::new("mainpid_subreaper_node");
    let claims = dir.path().join("claims");
    let mut graph = Graph::new();
    graph.containment(Containment::Required);
    let sibling = graph.node(
        "sibling",
        common::marked(Command::new("sleep"), &marker).arg("300"),
    );
    let node = graph.node_with(
        "subreaper",
        common::marked(Command::new("/usr/bin/python3"), &marker)
            .args(["-c", SUBREAPER_NODE])
            .arg(&claims),
        NodeOptions::new().ready(Readiness::Notify),
    );
    let mut running = graph.spawn().unwrap();
    let started = running.pid(node).unwrap();
    let sibling_pid = running.pid(sibling).unwrap();
    let application = std::process::id();
    let sibling_cgroup = common::cgroup_of(sibling_pid).unwrap();
    let text = format!("move:{sibling_pid}\n{application}\nserver\n");
    std::fs::write(claims.with_extension("tmp"), text).unwrap();
    std::fs::rename(claims.with_extension("tmp"), &claims).unwrap();

    let mut refused = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let server = loop {
        assert!(
            Instant::now() < deadline,
            "no verdict on the server; refused {refused:?}"
        );
        match running.next_event(Some(Duration::from_millis(50))).unwrap() {
            Some(Event::MainPidRefused {
                node: n,
                claimed,
                reason,
            }) if n == node => refused.push((claimed, reason)),
            Some(Event::MainPid { node: n, pid }) if n == node => break pid,
            Some(Event::Exited { node: n, .. }) => panic!("{n:?} ended"),
            _ => {}
        }
    };
    let not_its = MainPidRefusal::NotTheNodes;
    assert_eq!(
        refused,
        [(Some(sibling_pid), not_its), (Some(application), not_its)],
        "the sibling and the application, each refused before the server"
    );
    let stat = common::proc_stat(server as i32).unwrap();
    assert_eq!(stat.comm, "sleep");
    assert_eq!(
        stat.ppid, started as i32,
        "reparented to the subreaper node"
    );
    assert_eq!(running.pid(node), Some(server));
    // The sibling back where it was: a node that may move it may kill it
    // anyway (the README's limit), and its cgroup is drained with it.
    let moved = common::cgroup_of(sibling_pid).unwrap();
    let may_move = moved != sibling_cgroup;
    std::fs::write(sibling_cgroup.join("cgroup.procs"), sibling_pid.to_string()).unwrap();
    assert!(
        may_move,
        "the node could not move the sibling: the refusal above was not tested"
    );

    // Its stop goes to the server; the node ends with the server's status.
    running.stop(node);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        assert!(Instant::now() < deadline, "the node did not end");
        if let Some(Event::Exited {
            node: n, status, ..
        }) = running.next_event(Some(Duration::from_millis(50))).unwrap()
        {
            assert_eq!(n, node, "only the subreaper node ends");
            break status;
        }
    };
    assert_eq!(status, ExitStatus::Signaled(Signal::TERM));
    assert!(
        common::proc_stat(sibling_pid as i32).is_some_and(|p| p.is_live()),
        "the sibling was signalled"
    );
    assert_eq!(running.state(sibling), NodeState::Running);
    assert_eq!(running.pid(sibling), Some(sibling_pid));
    running.shutdown(Duration::from_secs(5)).unwrap();
    drop(running);
    common::assert_all_exit(&common::live_marked_processes(&marker), "left");
    let zombies: Vec<_> = common::children_of_this_process()
        .into_iter()
        .filter(|p| !p.is_live())
        .collect();
    assert!(zombies.is_empty(), "zombie children left: {zombies:?}");
    assert_eq!(common::open_fds(), fds, "fds left open");
}
