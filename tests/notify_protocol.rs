//! systemd's notify protocol beyond `READY=1`, against the real
//! `systemd-notify` (Debian's `systemd`, which .ci/run installs) and against
//! hostile senders.

mod common;

use std::os::linux::net::SocketAddrExt;
use std::time::Duration;

use process_graph_runtime::{
    Command, Decision, Event, ExitStatus, Graph, Namespace, NodeOptions, NotifyAccess, Readiness,
    Restart, RunningGraph, ScopeSpec, Signal,
};

fn sh(script: &str) -> Command {
    Command::new("sh").arg("-c").arg(script)
}

/// Runs the graph's events until `node`'s `Ready` or `ReadyTimeout`;
/// returns whether it became ready.
fn becomes_ready(running: &mut RunningGraph, node: process_graph_runtime::NodeId) -> bool {
    while let Some(event) = running.next_event(Some(Duration::from_secs(10))).unwrap() {
        match event {
            Event::Ready { node: n } if n == node => return true,
            Event::ReadyTimeout { node: n } if n == node => return false,
            _ => {}
        }
    }
    panic!("the graph ended before the node was ready or timed out")
}

/// A shell script's `systemd-notify --ready` is the script's child, not its
/// main process: believed with `NotifyAccess::All`. With `Main` it is
/// believed only where the kernel lets `systemd-notify` claim its parent's
/// pid (CAP_SYS_ADMIN: as root, which could control the node anyway).
/// Anyone else who reaches the socket — here `systemd-notify` run by the
/// application, not by the node — is not believed under `All` either.
#[test]
fn systemd_notify_from_a_script_counts_with_notify_access_all() {
    if !common::installed("systemd-notify", "systemd") {
        return;
    }
    common::as_root_and_unprivileged(
        "systemd_notify_from_a_script_counts_with_notify_access_all",
        || {
            let root = rustix::process::geteuid().is_root();
            for (access, believed) in [(NotifyAccess::All, true), (NotifyAccess::Main, root)] {
                let mut graph = Graph::new();
                let script = graph.node_with(
                    "script",
                    sh("sleep 0.1; systemd-notify --ready --status=serving; exec sleep 30"),
                    NodeOptions::new()
                        .ready(Readiness::Notify)
                        .notify_access(access)
                        .ready_timeout(Duration::from_secs(2)),
                );
                let mut running = graph.spawn().unwrap();
                assert_eq!(becomes_ready(&mut running, script), believed, "{access}");
                if believed {
                    let snapshot = running.snapshot();
                    let status = snapshot.nodes[script.index()].status_text.as_deref();
                    assert_eq!(status, Some("serving"));
                }
                running.shutdown(Duration::from_secs(1)).unwrap();
            }

            // The application's own systemd-notify, aimed at the node.
            let mut graph = Graph::new();
            let victim = graph.node_with(
                "victim",
                sh("exec sleep 30"),
                NodeOptions::new()
                    .ready(Readiness::Notify)
                    .notify_access(NotifyAccess::All)
                    .ready_timeout(Duration::from_millis(1500)),
            );
            let mut running = graph.spawn().unwrap();
            let address = common::notify_socket_of(running.pid(victim).unwrap());
            // It waits until its message has been read (BARRIER=1).
            let mut stranger = std::process::Command::new("systemd-notify")
                .arg("--ready")
                .env("NOTIFY_SOCKET", address)
                .spawn()
                .unwrap();
            assert!(
                !becomes_ready(&mut running, victim),
                "a stranger's READY=1 counted"
            );
            assert!(
                stranger.wait().unwrap().success(),
                "its message was sent and read"
            );
            running.shutdown(Duration::from_secs(1)).unwrap();
        },
    );
}

/// A node that speaks systemd's `Type=notify-reload`: on SIGHUP it says
/// `RELOADING=1`, takes a while, then `STATUS=…` and `READY=1`.
const RELOADER: &str = r#"
import os, signal, socket, time
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def notify(message):
    sock.sendto(message.encode(), address)
reloads = 0
def reload(*_):
    global reloads
    notify("RELOADING=1")
    time.sleep(0.3)
    reloads += 1
    notify("STATUS=reloaded %d\nREADY=1" % reloads)
signal.signal(signal.SIGHUP, reload)
signal.signal(signal.SIGUSR2, lambda *_: os._exit(7))
notify("READY=1")
while True:
    time.sleep(1)
"#;

#[test]
fn reload_waits_until_the_node_is_ready_again() {
    let mut graph = Graph::new();
    let server = graph.node_with(
        "server",
        Command::new("/usr/bin/python3").args(["-c", RELOADER]),
        NodeOptions::new().ready(Readiness::Notify),
    );
    let mut running = graph.spawn().unwrap();
    assert!(becomes_ready(&mut running, server));
    for n in 1..=2 {
        running.reload(server).unwrap();
        let snapshot = running.snapshot();
        let node = &snapshot.nodes[server.index()];
        assert_eq!(node.state, process_graph_runtime::NodeState::Running);
        assert_eq!(
            node.status_text.as_deref(),
            Some(format!("reloaded {n}").as_str()),
            "reload returned once READY=1 followed the reload"
        );
    }
    running.shutdown(Duration::from_secs(1)).unwrap();
}

#[test]
fn a_reload_that_ends_the_node_fails_naming_it() {
    let mut graph = Graph::new();
    let server = graph.node_with(
        "server",
        Command::new("/usr/bin/python3").args(["-c", RELOADER]),
        NodeOptions::new()
            .ready(Readiness::Notify)
            .reload_signal(process_graph_runtime::Signal::USR2),
    );
    let mut running = graph.spawn().unwrap();
    assert!(becomes_ready(&mut running, server));
    let error = running.reload(server).unwrap_err();
    assert_eq!(
        error.to_string(),
        "node \"server\": reload failed: it ended (exited with code 7)"
    );
    assert!(
        matches!(
            running.next_event(Some(Duration::from_secs(5))).unwrap(),
            Some(Event::Exited { node, .. }) if node == server
        ),
        "the exit is still reported to next_event"
    );
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// Pings `WATCHDOG=1` at half its `WATCHDOG_USEC` three times, then hangs;
/// with an argument, it ignores SIGABRT too.
const PINGER: &str = r#"
import os, signal, socket, sys, time
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
usec = int(os.environ["WATCHDOG_USEC"])
if len(sys.argv) > 1:
    signal.signal(signal.SIGABRT, signal.SIG_IGN)
sock.sendto(("READY=1\nSTATUS=WATCHDOG_USEC=%d" % usec).encode(), address)
for _ in range(3):
    time.sleep(usec / 2e6)
    sock.sendto(b"WATCHDOG=1", address)
while True:
    time.sleep(1)
"#;

/// A hostile sibling: once the file named by its first argument holds the
/// victim's pid and `NOTIFY_SOCKET`, it pings `WATCHDOG=1` there every 20
/// ms, with credentials forged to the victim's pid where the kernel lets it,
/// else its own; it counts the pings sent in the file named by its second
/// argument, and the forged ones apart.
const WATCHDOG_FORGER: &str = r#"
import os, socket, struct, sys, time
while True:
    try:
        victim, address = open(sys.argv[1]).read().split()
        victim = int(victim)
        break
    except (OSError, ValueError):
        time.sleep(0.01)
address = "\0" + address[1:] if address.startswith("@") else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
forged = struct.pack("3i", victim, os.getuid(), os.getgid())
sent, forged_sent = 0, 0
while True:
    try:
        sock.sendmsg([b"WATCHDOG=1"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, forged)], 0, address)
        forged_sent += 1
    except PermissionError:
        sock.sendto(b"WATCHDOG=1", address)
    sent += 1
    open(sys.argv[2] + ".new", "w").write("%d %d" % (sent, forged_sent))
    os.rename(sys.argv[2] + ".new", sys.argv[2])
    time.sleep(0.02)
"#;

/// A node that stops pinging is aborted (SIGABRT; SIGKILL after its stop
/// timeout if it ignores that), and its restart policy decides. Pings from
/// anyone else do not keep it alive: the application's own `WATCHDOG=1` to
/// its socket, nor those of a sibling in a user scope — root there, but not
/// over the victim — that reaches the socket and tries to forge the
/// victim's pid in its credentials. (A sibling that may forge them — root
/// in the application's pid namespace — may signal and ptrace the victim
/// anyway: the README says so.)
#[test]
fn a_node_that_misses_its_watchdog_is_aborted_then_restarted() {
    common::as_root_and_unprivileged(
        "a_node_that_misses_its_watchdog_is_aborted_then_restarted",
        a_node_that_misses_its_watchdog_is_aborted_then_restarted_as_this_user,
    );
}

fn a_node_that_misses_its_watchdog_is_aborted_then_restarted_as_this_user() {
    for (ignores_abort, ended_by) in [(false, Signal::ABRT), (true, Signal::KILL)] {
        let dir = common::TempDir::writable_by_scopes("watchdog-forger");
        let (victim, sent) = (dir.path().join("victim"), dir.path().join("sent"));
        let mut graph = Graph::new();
        let scope = graph.scope("box", ScopeSpec::new([Namespace::User]));
        let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
        graph.node_with(
            "forger",
            Command::new("/usr/bin/python3").args([
                "-c",
                WATCHDOG_FORGER,
                &path(&victim),
                &path(&sent),
            ]),
            NodeOptions::new().scope(scope),
        );
        let mut args = vec!["-c", PINGER];
        if ignores_abort {
            args.push("ignore");
        }
        let pinger = graph.node_with(
            "pinger",
            Command::new("/usr/bin/python3").args(args),
            NodeOptions::new()
                .ready(Readiness::Notify)
                .watchdog(Duration::from_millis(300))
                .stop_timeout(Duration::from_millis(200))
                .restart(Restart::OnFailure),
        );
        let mut running = graph.spawn().unwrap();
        assert!(becomes_ready(&mut running, pinger));
        let status = running.snapshot().nodes[pinger.index()].status_text.clone();
        assert_eq!(status.as_deref(), Some("WATCHDOG_USEC=300000"));
        let pid = running.pid(pinger).unwrap();
        let address = common::notify_socket_of(pid);
        std::fs::write(&victim, format!("{pid} {address}")).unwrap();
        // A stranger's pings are not the node's.
        let address = common::notify_socket_of(running.pid(pinger).unwrap());
        let stranger = std::os::unix::net::UnixDatagram::unbound().unwrap();
        let name = address.strip_prefix('@').unwrap().as_bytes();
        let to = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let (mut events, mut sent_by_timeout) = (Vec::new(), String::new());
        loop {
            assert!(std::time::Instant::now() < deadline, "{events:?}");
            let _ = stranger.send_to_addr(b"WATCHDOG=1", &to);
            if let Some(event) = running.next_event(Some(Duration::from_millis(50))).unwrap() {
                if event == (Event::WatchdogTimeout { node: pinger }) {
                    sent_by_timeout = std::fs::read_to_string(&sent).unwrap_or_default();
                }
                let restarted = matches!(event, Event::Started { .. });
                events.push(event);
                if restarted {
                    break;
                }
            }
        }
        let timeout = events
            .iter()
            .position(|e| *e == Event::WatchdogTimeout { node: pinger });
        let exit = events.iter().position(|e| {
            matches!(e, Event::Exited { node, status: ExitStatus::Signaled(s), decision: Decision::Restart { .. } }
                if *node == pinger && *s == ended_by)
        });
        assert!(
            timeout.is_some() && exit > timeout,
            "ignores SIGABRT: {ignores_abort}; {events:?}"
        );
        running.shutdown(Duration::from_secs(1)).unwrap();
        // The forger pinged before the timeout, which came all the same.
        let pings = sent_by_timeout.split(' ').next();
        assert!(
            pings
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n > 0),
            "the forger had sent no ping by the timeout: {sent_by_timeout:?}"
        );
        eprintln!("the forger's pings by the timeout, sent and forged: {sent_by_timeout}");
    }
}
