//! Socket activation against a hostile node: one that never accepts while
//! clients fill its backlog, one that closes, `dup2`s over, sets
//! `O_NONBLOCK` on or shuts down its passed listener before it restarts,
//! and one that tries to take another node's listener or read its
//! `LISTEN_FDS`. As root and as uid 65534. After each attack the test
//! counts what is left: the application's fds, the nodes' processes,
//! zombies, and what the graph's other nodes saw.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Event, Graph, Listener, Namespace, NodeOptions, Probe, Restart, ScopeSpec, Stdio,
};

const PYTHON: &str = "/usr/bin/python3";

/// A listener bound now on a port the kernel chose, and that port.
fn bound_on_a_free_port() -> (Listener, u16) {
    let listener = Listener::bind("tcp:127.0.0.1:0").unwrap();
    let port = listener.address_text().rsplit(':').next().unwrap();
    let port = port.parse().unwrap();
    (listener, port)
}

/// One request: the server's first line, or the error.
fn request(port: u16) -> std::io::Result<String> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line)
}

/// A connect to `port` that does not wait: the socket, its handshake
/// under way or done (it sits in the listener's backlog, or its SYN was
/// dropped because the backlog is full and the kernel retries it).
fn connect_without_waiting(port: u16) -> OwnedFd {
    // SAFETY: plain socket calls on a socket this function owns.
    unsafe {
        let fd = libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let address = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
            },
            sin_zero: [0; 8],
        };
        let rc = libc::connect(
            fd,
            (&address as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        );
        let error = std::io::Error::last_os_error();
        assert!(
            rc == 0 || error.raw_os_error() == Some(libc::EINPROGRESS),
            "connect: {error}"
        );
        OwnedFd::from_raw_fd(fd)
    }
}

/// Never accepts; ignores SIGTERM, so that every stop of it takes its stop
/// timeout and ends with SIGKILL.
const NEVER_ACCEPTS: &str = "import signal, time\n\
                             signal.signal(signal.SIGTERM, signal.SIG_IGN)\n\
                             time.sleep(600)\n";

/// A node that never accepts while 300 clients fill its listener's backlog
/// (the kernel then drops further SYNs): the application never blocks on
/// that socket. Its event loop answers within its timeouts, a sibling that
/// exits and restarts every 10 ms goes on restarting, the node's TCP live
/// probe, whose connect can only hang, costs the probe its timeout (the
/// node is killed as unhealthy and restarted on the same socket), and the
/// graph shuts down at once. Nothing is left. As root and as uid 65534.
#[test]
fn a_node_that_never_accepts_under_a_full_backlog_holds_up_nothing() {
    // Counts this process's fds and children: one test at a time, probes
    // of `as_root_and_unprivileged` included.
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_node_that_never_accepts_under_a_full_backlog_holds_up_nothing",
        || {
            let marker = common::unique_marker("full-backlog");
            let before = common::open_fds();
            let (listener, port) = bound_on_a_free_port();
            let mut graph = Graph::new();
            let sink = graph.node_with(
                "sink",
                common::marked(
                    Command::new(PYTHON)
                        .args(["-c", NEVER_ACCEPTS])
                        .listen(listener),
                    &marker,
                ),
                NodeOptions::new()
                    .restart(Restart::Always)
                    .backoff(Duration::from_millis(1), Duration::from_millis(1))
                    .stop_timeout(Duration::from_millis(100))
                    .live_probe(
                        Probe::tcp(format!("127.0.0.1:{port}"))
                            .period(Duration::from_millis(100))
                            .timeout(Duration::from_millis(200)),
                    ),
            );
            let ticker = graph.node_with(
                "ticker",
                common::marked(
                    Command::new("sh").args(["-c", "sleep 0.01; exit 1"]),
                    &marker,
                ),
                NodeOptions::new()
                    .restart(Restart::Always)
                    .backoff(Duration::from_millis(1), Duration::from_millis(1)),
            );
            graph.intensity(u32::MAX, Duration::from_secs(1));
            let mut running = graph.spawn().unwrap();
            let clients: Vec<OwnedFd> = (0..300).map(|_| connect_without_waiting(port)).collect();
            let (mut ticks, mut probe_kills, mut sink_starts) = (0, 0, 0);
            let mut slowest = Duration::ZERO;
            let until = Instant::now() + Duration::from_millis(1200);
            while Instant::now() < until {
                let asked = Instant::now();
                let event = running.next_event(Some(Duration::from_millis(10))).unwrap();
                slowest = slowest.max(asked.elapsed());
                match event {
                    Some(Event::Started { node, .. }) if node == ticker => ticks += 1,
                    Some(Event::Started { node, .. }) if node == sink => sink_starts += 1,
                    Some(Event::ProbeKilled { node, .. }) if node == sink => probe_kills += 1,
                    _ => {}
                }
            }
            // A full backlog of this very socket, seen from outside: one
            // more connect cannot complete.
            let extra = request_within(port, Duration::from_millis(300));
            let stopped = Instant::now();
            let report = running.shutdown(Duration::from_millis(100)).unwrap();
            let shutdown = stopped.elapsed();
            drop(running);
            drop(clients);
            assert!(
                slowest < Duration::from_millis(500),
                "a call of next_event(10 ms) took {slowest:?}"
            );
            assert!(
                ticks >= 10,
                "the sibling restarted only {ticks} times in 1.2 s"
            );
            assert!(
                probe_kills >= 1 && sink_starts >= 2,
                "the live probe's hung connect never failed it: {probe_kills} kills, {sink_starts} starts"
            );
            assert!(extra.is_err(), "the backlog was not full: {extra:?}");
            assert!(
                shutdown < Duration::from_secs(3),
                "the shutdown took {shutdown:?}: {report:?}"
            );
            assert!(
                request(port).is_err(),
                "the socket is closed with the graph"
            );
            common::assert_nothing_left(&before, &marker, "after the backlog flood");
        },
    );
}

/// A connection to `port` whose answer must come within `limit`.
fn request_within(port: u16, limit: Duration) -> std::io::Result<String> {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stream = TcpStream::connect_timeout(&address, limit)?;
    stream.set_read_timeout(Some(limit))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line)
}

/// The node of the test below. At each start it counts itself in the file
/// argv[1], writes to argv[2] what its fd 3 is (`start acceptconn
/// nonblock`), serves one connection (answering its start's number) where
/// it still listens, and then does to its fd 3 the attack of its start,
/// and exits 1 to be restarted.
const TAMPERER: &str = r#"
import fcntl, os, socket, sys
count, report = sys.argv[1], sys.argv[2]
start = int(open(count).read()) if os.path.exists(count) else 0
open(count, "w").write(str(start + 1))
assert os.environ["LISTEN_PID"] == str(os.getpid())
probe = socket.socket(fileno=os.dup(3))
listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
nonblock = int(bool(fcntl.fcntl(3, fcntl.F_GETFL) & os.O_NONBLOCK))
probe.detach()
with open(report, "a") as f:
    f.write(f"{start} {listening} {nonblock}\n")
if not listening:
    sys.exit(0)
# Blocking or not, wait for the test's connection without changing the flags.
import select
select.select([3], [], [], 10)
conn, _ = socket.socket(fileno=os.dup(3)).accept()
conn.sendall(f"{start}\n".encode())
conn.close()
attack = ["close", "dup2", "nonblock", "shutdown"][start] if start < 4 else "none"
if attack == "close":
    os.close(3)
elif attack == "dup2":
    os.dup2(0, 3)
elif attack == "nonblock":
    fcntl.fcntl(3, fcntl.F_SETFL, fcntl.fcntl(3, fcntl.F_GETFL) | os.O_NONBLOCK)
elif attack == "shutdown":
    socket.socket(fileno=os.dup(3)).shutdown(socket.SHUT_RD)
sys.exit(1)
"#;

/// A node that, before it exits and restarts, closes its fd 3, `dup2`s
/// stdin over it, sets `O_NONBLOCK` on it, and shuts it down, one attack
/// per start. What it does to its own fd table does not reach its next
/// start: that start gets the listening socket at fd 3 and serves (held).
/// What it does to the socket itself does: the socket is one, held by the
/// application and shared by every start (and by replicas and any node
/// given the same `Listener`). `O_NONBLOCK` is a flag of the open file,
/// which the next start finds set; the runtime cannot clear it for one
/// start without clearing it under a sibling that chose it. A
/// `shutdown(SHUT_RD)` ends the socket's listening for good (a later
/// `listen` does not bring it back), so connections made after it are
/// refused — a node can break "none is refused" for itself and for those
/// it shares its socket with. The graph goes on and ends as usual, and
/// nothing is left. As root and as uid 65534.
#[test]
fn what_a_node_does_to_its_listener_reaches_its_next_start_only_through_the_socket() {
    // Counts this process's fds and children: one test at a time, probes
    // of `as_root_and_unprivileged` included.
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "what_a_node_does_to_its_listener_reaches_its_next_start_only_through_the_socket",
        || {
            let marker = common::unique_marker("tamperer");
            let dir = common::TempDir::new("tamperer");
            let (count, report) = (dir.path().join("count"), dir.path().join("report"));
            let before = common::open_fds();
            let (listener, port) = bound_on_a_free_port();
            let mut graph = Graph::new();
            graph.node_with(
                "tamperer",
                common::marked(
                    Command::new(PYTHON)
                        .args(["-c", TAMPERER])
                        .arg(&count)
                        .arg(&report)
                        .listen(listener),
                    &marker,
                ),
                NodeOptions::new()
                    .restart(Restart::OnFailure)
                    .backoff(Duration::from_millis(1), Duration::from_millis(1)),
            );
            graph.intensity(100, Duration::from_secs(60));
            let mut running = graph.spawn().unwrap();
            let client = std::thread::spawn(move || {
                let served: Vec<_> = (0..4).map(|_| request(port)).collect();
                (served, request(port))
            });
            let deadline = Instant::now() + Duration::from_secs(20);
            while !client.is_finished() || !running.is_finished() {
                assert!(Instant::now() < deadline, "stuck");
                running.next_event(Some(Duration::from_millis(10))).unwrap();
            }
            let (served, after_shutdown) = client.join().unwrap();
            let exit = running.wait().unwrap();
            drop(running);
            let starts = std::fs::read_to_string(&report).unwrap();
            let served: Vec<String> = served.into_iter().map(|r| r.unwrap()).collect();
            assert_eq!(served, ["0\n", "1\n", "2\n", "3\n"], "every start served");
            assert_eq!(
                starts,
                "0 1 0\n\
                 1 1 0\n\
                 2 1 0\n\
                 3 1 1\n\
                 4 0 1\n",
                "start acceptconn nonblock: close and dup2 leave the next start its \
                 listener; O_NONBLOCK and a shutdown are the socket's own"
            );
            assert!(
                after_shutdown.is_err(),
                "a shut-down listener still served: {after_shutdown:?}"
            );
            assert!(exit.success(), "{exit:?}");
            common::assert_nothing_left(&before, &marker, "after the tampering node");
        },
    );
}

/// Looks for the process whose command line holds argv[1] and
/// `-serving`, then tries to
/// take the fds of it and of the application (pid argv[2]) with
/// `pidfd_getfd`, to see what their fds are (`readlink` in
/// `/proc/PID/fd`) and to read their environment (`LISTEN_FDS`,
/// `LISTEN_PID`); prints how many attempts succeeded.
const THIEF: &str = r#"
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
token, app = (sys.argv[1] + "-serving").encode(), int(sys.argv[2])
victim = None
for _ in range(1000):
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != os.getpid():
            try:
                if token in open(f"/proc/{p}/cmdline", "rb").read():
                    victim = int(p)
            except OSError:
                pass
    if victim:
        break
    time.sleep(0.005)
print("found", 1 if victim else 0)
for name, pid, fds in (("app", app, 2048), ("victim", victim or 0, 64)):
    taken = environ = named = 0
    try:
        pidfd = os.pidfd_open(pid)
        for fd in range(fds):
            got = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd
            if got >= 0:
                taken += 1
                os.close(got)
        os.close(pidfd)
    except OSError:
        pass
    try:
        environ = int(b"=" in open(f"/proc/{pid}/environ", "rb").read())
    except OSError:
        pass
    for fd in range(fds):
        try:
            os.readlink(f"/proc/{pid}/fd/{fd}")
            named += 1
        except OSError:
            pass
    print(f"{name}_getfd {taken}")
    print(f"{name}_environ {environ}")
    print(f"{name}_fds_named {named}")
sys.stdout.flush()
"#;

/// Serves one connection on fd 3 ("victim"), then waits to be stopped.
const VICTIM: &str = "import os, socket, time\n\
                      assert os.environ['LISTEN_PID'] == str(os.getpid())\n\
                      c, _ = socket.socket(fileno=3).accept()\n\
                      c.sendall(b'victim\\n'); c.close()\n\
                      time.sleep(600)\n";

/// A node that may not ptrace the application — dropped to uid 65534
/// under a root application, or in a scope with a user namespace — tries
/// to take another node's listener and the application's copy of it
/// (`pidfd_getfd`), to see what their fds are and to read their
/// `LISTEN_FDS`: it gets none of it, and the other node serves as before.
/// (Under an unprivileged application a scoped node may list the fd
/// numbers in `/proc/PID/fd` of processes of the application's uid, a
/// directory of that uid: not what they are.) A control node with the
/// application's own credentials, outside scopes, does get them (it may,
/// per the threat model), so the attempts are real. As root and as uid
/// 65534.
#[test]
fn a_node_cannot_take_or_read_another_nodes_listener() {
    // Counts this process's fds and children: one test at a time, probes
    // of `as_root_and_unprivileged` included.
    let _serial = common::serial();
    common::as_root_and_unprivileged("a_node_cannot_take_or_read_another_nodes_listener", || {
        let marker = common::unique_marker("thief");
        let token = format!("pg-victim-{marker}");
        let app = std::process::id().to_string();
        let before = common::open_fds();
        let (listener, port) = bound_on_a_free_port();
        let (sink, seen) = common::collecting();
        let mut graph = Graph::new();
        graph.node(
            "victim",
            common::marked(
                Command::new(PYTHON)
                    .args(["-c", VICTIM, &format!("{token}-serving")])
                    .listen(listener),
                &marker,
            ),
        );
        let thief = |command: Command| {
            common::marked(
                command
                    .args(["-c", THIEF, &token, &app])
                    .current_dir("/")
                    .stdout(Stdio::Sink(sink.clone())),
                &marker,
            )
        };
        let scope = graph.scope("jail", ScopeSpec::new([Namespace::User]));
        graph.node_with(
            "scoped",
            thief(Command::new(PYTHON)),
            NodeOptions::new().scope(scope),
        );
        let root = common::real_root();
        if root {
            graph.node("dropped", thief(Command::new(PYTHON).uid(65534).gid(65534)));
        }
        graph.node("control", thief(Command::new(PYTHON)));
        let mut running = graph.spawn().unwrap();
        let thieves = if root { 3 } else { 2 };
        common::run_until(&mut running, "the thieves' reports", |_| {
            let lines = seen.lock().unwrap();
            lines
                .iter()
                .filter(|l| l.text.starts_with(b"victim_fds_named"))
                .count()
                == thieves
        });
        let answer = request(port);
        running.shutdown(Duration::from_secs(1)).unwrap();
        drop(running);
        let results = |node: &str| -> Vec<(String, i32)> {
            let lines = seen.lock().unwrap();
            let text: String = lines
                .iter()
                .filter(|l| l.node == node)
                .map(|l| format!("{}\n", l.text_lossy()))
                .collect();
            common::named_values(&text)
        };
        let control = results("control");
        assert!(
            control.contains(&("found".into(), 1))
                && control.iter().any(|(k, v)| k == "victim_getfd" && *v >= 4)
                && control.iter().any(|(k, v)| k == "app_getfd" && *v >= 4)
                && control.contains(&("victim_environ".into(), 1))
                && control
                    .iter()
                    .any(|(k, v)| k == "victim_fds_named" && *v >= 4),
            "the control node, with the application's credentials, took nothing: \
                 the attempts are not real: {control:?}"
        );
        let mut attackers = vec!["scoped"];
        if root {
            attackers.push("dropped");
        }
        for attacker in attackers {
            let got = results(attacker);
            assert!(got.contains(&("found".into(), 1)), "{attacker}: {got:?}");
            let succeeded: Vec<_> = got
                .iter()
                .filter(|(k, v)| k != "found" && *v != 0)
                .collect();
            assert!(
                succeeded.is_empty() && got.len() == 7,
                "{attacker} reached another node's or the application's fds or \
                     environment: {got:?}"
            );
        }
        assert_eq!(answer.unwrap(), "victim\n", "the victim served as before");
        common::assert_nothing_left(&before, &marker, "after the thieves");
    });
}
