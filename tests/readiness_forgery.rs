//! Attacks on `Readiness::Notify`, from inside a node: forged pids in
//! `SCM_CREDENTIALS`, messages to another node's socket, truncated and
//! flooding datagrams, socket names bound first by a stranger. The rules
//! these tests pin are written on `Readiness::Notify`.
//!
//! Tests that need namespaces run as the user running the suite and, when
//! that is root, again as uid 65534 (`common::as_root_and_unprivileged`).

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Endpoint, Event, Graph, Namespace, NodeId, NodeOptions, NodeState, NotifyAccess,
    Readiness, Restart, RunningGraph, ScopeSpec,
};

const PYTHON: &str = "/usr/bin/python3";

/// Python that sends `READY=1` to `address` as `pid` (`None`: whatever the
/// kernel attaches, i.e. the sender's own pid), without blocking; returns
/// `sent` or the errno's name.
const SEND: &str = r#"
import errno, os, socket, struct
def send(address, pid, message=b"READY=1"):
    to = "\0" + address[1:] if address.startswith("@") else address
    creds = [] if pid is None else [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
                                     struct.pack("iII", pid, os.getuid(), os.getgid()))]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendmsg([message], creds, socket.MSG_DONTWAIT, to)
        return "sent"
    except OSError as e:
        return errno.errorcode[e.errno]
    finally:
        s.close()
"#;

/// The attacker: a node's main process whose grandchild forges. `argv`: the
/// victim's `NOTIFY_SOCKET` and pid (as the application sees it). The
/// grandchild claims the victim's pid, its own (none given), and each pid
/// from 1 to 7 (every pid of a small pid namespace) towards the victim; then
/// its own node's main pid towards its own node. It prints `label=outcome`
/// pairs on one line; the main process sleeps.
const ATTACK: &str = r#"
import os, sys, time
victim, victim_pid = sys.argv[1], int(sys.argv[2])
main = os.getpid()
r, w = os.pipe()
if os.fork() == 0:
    if os.fork() == 0:
        report = ["victim-as-victim=" + send(victim, victim_pid),
                  "victim-as-self=" + send(victim, None)]
        report += ["victim-as-%d=%s" % (pid, send(victim, pid)) for pid in range(1, 8)]
        report.append("own-as-main=" + send(os.environ["NOTIFY_SOCKET"], main))
        os.write(w, (" ".join(report) + "\n").encode())
    os._exit(0)
os.close(w)
sys.stdout.write(os.read(r, 4096).decode())
sys.stdout.flush()
time.sleep(60)
"#;

/// Turns `running`'s loop until nothing is pending; returns the nodes that
/// became ready meanwhile.
fn drain_events(running: &mut RunningGraph) -> Vec<NodeId> {
    let mut ready = Vec::new();
    // Each turn reads a bounded number of datagrams per socket: turn until
    // one finds nothing.
    while let Some(event) = running.next_event(Some(Duration::ZERO)).unwrap() {
        if let Event::Ready { node } = event {
            ready.push(node);
        }
    }
    // A turn that handed out no event may still have read datagrams that
    // were all rejected; a few more make sure the queue is empty.
    for _ in 0..4 {
        if let Some(Event::Ready { node }) = running.next_event(Some(Duration::ZERO)).unwrap() {
            ready.push(node);
        }
    }
    ready
}

/// A node that never says it is ready, and its `NOTIFY_SOCKET` as read
/// from its environment.
fn spawn_victim() -> (RunningGraph, NodeId, String) {
    let mut graph = Graph::new();
    let victim = graph.node_with(
        "victim",
        Command::new("sleep").arg("60"),
        NodeOptions::new()
            .ready(Readiness::Notify)
            .ready_timeout(Duration::from_secs(60)),
    );
    let running = graph.spawn().unwrap();
    let pid = running.pid(victim).unwrap();
    let address = common::notify_socket_of(pid);
    (running, victim, address)
}

/// Parses `a=b c=d` into pairs.
fn outcomes(report: &str) -> Vec<(String, String)> {
    report
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(label, outcome)| (label.to_owned(), outcome.to_owned()))
        .collect()
}

/// Runs [`ATTACK`] from a node in a scope creating `namespaces`, against
/// `victim` outside it. Returns the grandchild's report and whether the
/// attacker's own node became ready.
fn attack_from_scope(namespaces: &[Namespace], address: &str, victim_pid: u32) -> (String, bool) {
    let mut graph = Graph::new();
    let scope = graph.scope("box", ScopeSpec::new(namespaces.iter().copied()));
    let attacker = graph.node_with(
        "attacker",
        Command::new(PYTHON).args([
            "-c",
            &format!("{SEND}{ATTACK}"),
            address,
            &victim_pid.to_string(),
        ]),
        NodeOptions::new()
            .scope(scope)
            .ready(Readiness::Notify)
            .ready_timeout(Duration::from_secs(60)),
    );
    let out = graph.pipe(attacker.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let report = common::first_line(&mut running, out);
    let ready = drain_events(&mut running).contains(&attacker);
    running.shutdown(Duration::from_secs(1)).unwrap();
    (report, ready)
}

#[test]
fn nothing_in_a_scope_can_mark_ready_a_node_outside_it() {
    common::as_root_and_unprivileged(
        "nothing_in_a_scope_can_mark_ready_a_node_outside_it",
        || {
            use Namespace::*;
            let (mut running, victim, address) = spawn_victim();
            let victim_pid = running.pid(victim).unwrap();
            let kinds: [&[Namespace]; 4] = [
                &[User, Pid],
                &[User],
                &[User, Net],
                &[User, Pid, Net, Mount, Uts, Ipc],
            ];
            for namespaces in kinds {
                let (report, own_ready) = attack_from_scope(namespaces, &address, victim_pid);
                let outcomes = outcomes(&report);
                let outcome = |label: &str| {
                    outcomes
                        .iter()
                        .find(|(l, _)| l == label)
                        .map(|(_, o)| o.as_str())
                        .unwrap_or_else(|| panic!("no {label} in the report: {report}"))
                };
                let context = format!("scope {namespaces:?}, as uid {}: {report}", uid());
                // The kernel lets nobody in the scope name the victim's pid: it is
                // not in the scope's pid namespace (ESRCH), or the scope has no
                // CAP_SYS_ADMIN over the application's (EPERM).
                assert_ne!(outcome("victim-as-victim"), "sent", "{context}");
                // Whatever did reach the victim's socket was not believed.
                assert!(
                    drain_events(&mut running).is_empty(),
                    "the victim became ready: {context}"
                );
                assert_eq!(running.state(victim), NodeState::Starting, "{context}");
                // The grandchild is root in the scope: with a pid namespace of
                // the scope's own it can name every process in it, its node's main
                // process included (all of them are root in one user namespace
                // and could ptrace each other anyway); without one it names none.
                if namespaces.contains(&Pid) {
                    assert_eq!(outcome("own-as-main"), "sent", "{context}");
                    assert!(own_ready, "its own node became ready: {context}");
                } else {
                    assert_eq!(outcome("own-as-main"), "EPERM", "{context}");
                    assert!(!own_ready, "{context}");
                }
            }
            running.shutdown(Duration::from_secs(1)).unwrap();
        },
    );
}

/// A sibling: finds the node whose environment holds `$1` and sends it
/// `READY=1` with its own pid, with no credentials, and — unless it is root,
/// which may name any pid — claiming the victim's pid.
const SIBLING: &str = r#"
import os, sys, time
marker = sys.argv[1].encode()
def find():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            env = open("/proc/%s/environ" % pid, "rb").read().split(b"\0")
        except OSError:
            continue
        if marker in env and int(pid) != os.getpid():
            sock = [e for e in env if e.startswith(b"NOTIFY_SOCKET=")][0]
            return int(pid), sock.split(b"=", 1)[1].decode()
deadline = time.time() + 10
while (found := find()) is None and time.time() < deadline:
    time.sleep(0.01)
pid, address = found
report = ["own-pid=" + send(address, os.getpid()), "no-creds=" + send(address, None)]
if os.geteuid() != 0:
    report.append("victim-pid=" + send(address, pid))
print(" ".join(report), flush=True)
time.sleep(60)
"#;

#[test]
fn a_sibling_cannot_mark_another_node_ready() {
    common::as_root_and_unprivileged("a_sibling_cannot_mark_another_node_ready", || {
        let marker = common::unique_marker("victim");
        let mut graph = Graph::new();
        let victim = graph.node_with(
            "victim",
            common::marked(Command::new("sleep").arg("60"), &marker),
            NodeOptions::new()
                .ready(Readiness::Notify)
                .ready_timeout(Duration::from_secs(60)),
        );
        let needle = format!("{}={marker}", common::MARKER_VAR);
        let sibling = graph.node(
            "sibling",
            Command::new(PYTHON).args(["-c", &format!("{SEND}{SIBLING}"), &needle]),
        );
        let out = graph.pipe(sibling.stdout(), Endpoint::Parent);
        let mut running = graph.spawn().unwrap();
        let report = common::first_line(&mut running, out);
        let outcomes = outcomes(&report);
        let context = format!("as uid {}: {report}", uid());
        assert!(
            outcomes.contains(&("own-pid".into(), "sent".into())),
            "{context}"
        );
        if uid() != 0 {
            assert!(
                outcomes.contains(&("victim-pid".into(), "EPERM".into())),
                "without CAP_SYS_ADMIN nobody names another's pid: {context}"
            );
        }
        assert!(drain_events(&mut running).is_empty(), "{context}");
        assert_eq!(running.state(victim), NodeState::Starting, "{context}");
        running.shutdown(Duration::from_secs(1)).unwrap();
    });
}

fn uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Its main process sends one datagram longer than the 4 KiB the runtime
/// reads: cut there, its last line would read `READY=1`.
const TRUNCATED: &str = r#"
import os, time
message = b"STATUS=" + b"x" * (4096 - len("STATUS=") - len("\nREADY=1")) + b"\nREADY=10"
print(send(os.environ["NOTIFY_SOCKET"], None, message), flush=True)
time.sleep(60)
"#;

#[test]
fn a_truncated_message_does_not_make_a_node_ready() {
    common::as_root_and_unprivileged("a_truncated_message_does_not_make_a_node_ready", || {
        let mut graph = Graph::new();
        let node = graph.node_with(
            "long",
            Command::new(PYTHON).args(["-c", &format!("{SEND}{TRUNCATED}")]),
            NodeOptions::new()
                .ready(Readiness::Notify)
                .ready_timeout(Duration::from_millis(500)),
        );
        let out = graph.pipe(node.stdout(), Endpoint::Parent);
        let mut running = graph.spawn().unwrap();
        let sent = common::first_line(&mut running, out);
        assert_eq!(sent.trim(), "sent");
        let mut events = Vec::new();
        while let Some(event) =
            common::next_event_past_starts(&mut running, Some(Duration::from_secs(10)))
        {
            let timed_out = matches!(event, Event::ReadyTimeout { .. });
            events.push(event);
            if timed_out {
                break;
            }
        }
        assert!(
            matches!(events.as_slice(), [Event::ReadyTimeout { node: n }] if *n == node),
            "{events:?}"
        );
        running.shutdown(Duration::from_secs(1)).unwrap();
    });
}

/// Sends `STATUS=` lines to its own socket as fast as the kernel takes them.
const FLOOD: &str = include_str!("programs/notify_flood.py");

#[test]
fn flooding_nodes_do_not_stall_the_loop() {
    common::as_root_and_unprivileged("flooding_nodes_do_not_stall_the_loop", || {
        common::within(Duration::from_secs(60), "the flooded loop", || {
            let mut graph = Graph::new();
            graph.intensity(1000, Duration::from_secs(1));
            for i in 0..4 {
                graph.node_with(
                    format!("flood{i}"),
                    Command::new(PYTHON).args(["-c", FLOOD]),
                    NodeOptions::new().ready(Readiness::Notify),
                );
            }
            let restarting = graph.node_with(
                "restarting",
                Command::new("true"),
                NodeOptions::new()
                    .restart(Restart::Always)
                    .backoff(Duration::from_millis(5), Duration::from_millis(5)),
            );
            let mut running = graph.spawn().unwrap();
            // The flooders are flooding once their status text changes.
            let started = Instant::now();
            while (0..4).any(|i| {
                running.snapshot().nodes[i].status_text.is_none()
                    && started.elapsed().as_secs() < 10
            }) {
                running.next_event(Some(Duration::from_millis(10))).unwrap();
            }
            assert!(
                (0..4).all(|i| running.snapshot().nodes[i].status_text.is_some()),
                "every flooder is flooding"
            );
            // Each exit and restart of the other node is reported, turn after
            // turn, while the four keep sending. The limit is generous: this is
            // not a timing test (`bench notify-flood` measures the stall).
            let mut exits = 0;
            let deadline = Instant::now() + Duration::from_secs(30);
            while exits < 20 && Instant::now() < deadline {
                if let Some(Event::Exited { node, .. }) =
                    running.next_event(Some(Duration::from_secs(1))).unwrap()
                    && node == restarting
                {
                    exits += 1;
                }
            }
            assert_eq!(exits, 20, "the restarting node's exits kept coming");
            running.shutdown(Duration::from_secs(2)).unwrap();
        });
    });
}

/// Under `NotifyAccess::All` a message is believed from 63 generations
/// below the node's main process and not from 64: the walk up `/proc`
/// stops there, so a node cannot make each of its messages cost the loop
/// thousands of reads (`bench notify-flood --depth` measures the stall).
/// Each flooder's main process says `STATUS=chained` once its chain is
/// built; from then on only the near chain's numbers may come through.
#[test]
fn a_message_from_below_the_walks_reach_is_not_believed() {
    common::as_root_and_unprivileged(
        "a_message_from_below_the_walks_reach_is_not_believed",
        || {
            common::within(Duration::from_secs(60), "the deep chains", || {
                let mut graph = Graph::new();
                let mut chain = |depth: usize| {
                    graph.node_with(
                        format!("chain{depth}"),
                        Command::new(PYTHON).args(["-c", FLOOD, &depth.to_string()]),
                        NodeOptions::new()
                            .ready(Readiness::Notify)
                            .notify_access(NotifyAccess::All),
                    )
                };
                let (near, far) = (chain(63), chain(64));
                let mut running = graph.spawn().unwrap();
                let status = |running: &RunningGraph, node: NodeId| {
                    running.snapshot().nodes[node.index()].status_text.clone()
                };
                let counting =
                    |status: Option<String>| status.is_some_and(|s| s.parse::<u64>().is_ok());
                let deadline = Instant::now() + Duration::from_secs(30);
                while !(counting(status(&running, near)) && status(&running, far).is_some()) {
                    assert!(Instant::now() < deadline, "the chains were not built");
                    running.next_event(Some(Duration::from_millis(10))).unwrap();
                }
                // The far chain floods as the near one does; a second of turns
                // would take in thousands of its messages if they were believed.
                let watch_until = Instant::now() + Duration::from_secs(1);
                while Instant::now() < watch_until {
                    running.next_event(Some(Duration::from_millis(10))).unwrap();
                    assert_eq!(status(&running, far).as_deref(), Some("chained"));
                }
                assert!(counting(status(&running, near)));
                running.shutdown(Duration::from_secs(2)).unwrap();
            });
        },
    );
}

/// Binds, as abstract names, every line it reads from stdin up to an empty
/// line; says how many it bound, then holds them until stdin closes.
const SQUAT: &str = r#"
import socket, sys
held = []
for line in sys.stdin:
    if line == "\n":
        break
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.bind("\0" + line.rstrip("\n"))
        held.append(s)
    except OSError:
        pass
print(len(held), flush=True)
sys.stdin.read()
"#;

#[test]
fn a_stranger_binding_names_first_cannot_make_spawn_fail() {
    use std::io::Write;
    use std::process::{Command as StdCommand, Stdio};
    // The stranger: another local user when we are root.
    let mut stranger = if uid() == 0 {
        let mut c = common::as_uid_65534();
        c.arg(PYTHON);
        c
    } else {
        StdCommand::new(PYTHON)
    };
    let mut stranger = stranger
        .args(["-c", SQUAT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .current_dir("/")
        .spawn()
        .unwrap();
    // The names an earlier scheme gave (this process's pid, a counter, the
    // node's name), and a thousand more in the runtime's own shape (the
    // prefix and 32 hex digits). The abstract namespace is machine-wide, so
    // those thousand start with this process's pid: a second run of this test
    // at the same time must not find them taken and fail the count below.
    let pid = std::process::id();
    let mut names: Vec<String> = (0..256)
        .flat_map(|serial| ["a", "b"].map(|node| format!("process-graph/{pid}/{serial}/{node}")))
        .collect();
    names.extend((0..1000).map(|i| format!("process-graph/{pid:08x}{i:024x}")));
    let mut input = stranger.stdin.take().unwrap();
    writeln!(input, "{}\n", names.join("\n")).unwrap();
    let mut bound = String::new();
    BufReader::new(stranger.stdout.take().unwrap())
        .read_line(&mut bound)
        .unwrap();
    assert_eq!(
        bound.trim(),
        names.len().to_string(),
        "the stranger holds every name"
    );

    let notify = r#"
import os, socket
address = os.environ["NOTIFY_SOCKET"]
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", "\0" + address[1:])
"#;
    let mut graph = Graph::new();
    let options = || {
        NodeOptions::new()
            .ready(Readiness::Notify)
            .ready_timeout(Duration::from_secs(10))
    };
    let a = graph.node_with("a", Command::new(PYTHON).args(["-c", notify]), options());
    let b = graph.node_with(
        "b",
        Command::new(PYTHON).args(["-c", notify]),
        options().after([a]),
    );
    let mut running = graph.spawn().expect("spawn works despite the stranger");
    let report = running.wait().unwrap();
    assert!(report[b].success(), "b started after a was ready: {report}");
    drop(input);
    stranger.wait().unwrap();
}
