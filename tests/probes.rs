//! Readiness and liveness probes against real programs: python3's
//! `http.server` for TCP and HTTP, a shell that prints a line once it is
//! ready, a node that hangs (SIGSTOP), exec probes inside a scope, and a
//! TCP probe inside a net scope that must reach the node's port there, not
//! the host's port of the same number.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Endpoint, Event, ExitStatus, Graph, Namespace, NodeId, NodeOptions,
    Probe, ProbeKind, ProbeResult, Restart, RunningGraph, ScopeSpec, Signal,
};

const PYTHON: &str = "/usr/bin/python3";

/// python3's `http.server` on `127.0.0.1:port`, serving `dir`, started once
/// the shell has slept `delay`.
fn http_server(port: u16, dir: &std::path::Path, delay: &str) -> Command {
    let script = format!(
        "sleep {delay}; exec {PYTHON} -m http.server {port} --bind 127.0.0.1 --directory '{}'",
        dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stderr(process_graph_runtime::Stdio::Null)
}

/// Events until `until` says stop (or `limit` passes: the test fails).
fn events_until(
    running: &mut RunningGraph,
    limit: Duration,
    mut until: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match running.next_event(Some(left)).expect("next_event") {
            Some(event) => {
                let done = until(&event);
                seen.push(event);
                if done {
                    return seen;
                }
            }
            None => panic!("no awaited event within {limit:?}; saw {seen:#?}"),
        }
    }
}

/// Runs `running` until a node exits (within 20 s), and then to its end;
/// fails unless `node` was killed by its liveness probe after one attempt
/// that timed out.
fn ends_killed_by_a_timed_out_probe(running: &mut RunningGraph, node: NodeId) {
    let events = events_until(running, Duration::from_secs(20), |e| {
        matches!(e, Event::Exited { .. })
    });
    let killed = Event::ProbeKilled {
        node,
        result: ProbeResult::TimedOut,
        failures: 1,
    };
    assert!(events.contains(&killed), "{events:#?}");
    running.wait().unwrap();
}

#[test]
fn a_tcp_readiness_probe_holds_dependents_until_the_port_opens() {
    if !common::installed(PYTHON, "python3") {
        return;
    }
    common::within(
        Duration::from_secs(60),
        "a tcp readiness probe holds dependents until the port opens",
        move || {
            let dir = common::TempDir::new("tcp-ready");
            let port = common::free_port();
            let mut graph = Graph::new();
            let server = graph.node_with(
                "server",
                http_server(port, dir.path(), "0.5"),
                NodeOptions::new().ready_probe(
                    Probe::tcp(format!("127.0.0.1:{port}")).period(Duration::from_millis(50)),
                ),
            );
            // Connects once: fails if the port is not open yet.
            let connect = format!("import socket; socket.create_connection(('127.0.0.1', {port}))");
            let client = graph.node_with(
                "client",
                Command::new(PYTHON).args(["-c", &connect]),
                NodeOptions::new().after([server]),
            );
            let started = Instant::now();
            let mut running = graph.spawn().unwrap();
            let events = events_until(
                &mut running,
                Duration::from_secs(20),
                |e| matches!(e, Event::Exited { node, .. } if *node == client),
            );
            let Some(Event::Exited { status, .. }) = events.last() else {
                unreachable!()
            };
            assert!(status.success(), "the client could not connect: {status}");
            assert!(started.elapsed() >= Duration::from_millis(500));
            let ready_at = events
                .iter()
                .position(|e| *e == Event::Ready { node: server })
                .expect("the server was made ready by its probe");
            let client_started = events
                .iter()
                .position(|e| matches!(e, Event::Started { node, .. } if *node == client))
                .expect("the client started");
            assert!(ready_at < client_started, "{events:#?}");
            running.shutdown(Duration::from_secs(2)).unwrap();
        },
    );
}

#[test]
fn an_http_readiness_probe_waits_for_a_2xx_or_3xx_status() {
    if !common::installed(PYTHON, "python3") {
        return;
    }
    common::within(
        Duration::from_secs(60),
        "an http readiness probe waits for a 2xx or 3xx status",
        move || {
            let dir = common::TempDir::new("http-ready");
            let port = common::free_port();
            let mut graph = Graph::new();
            let server = graph.node_with(
                "server",
                http_server(port, dir.path(), "0"),
                NodeOptions::new().ready_probe(
                    Probe::http(format!("http://127.0.0.1:{port}/ready"))
                        .period(Duration::from_millis(50)),
                ),
            );
            let mut running = graph.spawn().unwrap();
            // 404 while there is no file `ready`: each failure is an event.
            let events = events_until(&mut running, Duration::from_secs(20), |e| {
                matches!(e, Event::ProbeFailed { result: ProbeResult::Failed(why), .. }
                if why.contains("status 404"))
            });
            assert!(
                !events.contains(&Event::Ready { node: server }),
                "{events:#?}"
            );
            let snapshot = running.snapshot();
            let probe = &snapshot.nodes[server.index()].probes[0];
            assert_eq!(probe.kind, ProbeKind::Ready);
            assert!(probe.consecutive_failures >= 1, "{snapshot:?}");
            std::fs::write(dir.path().join("ready"), "yes").unwrap();
            events_until(&mut running, Duration::from_secs(20), |e| {
                *e == Event::Ready { node: server }
            });
            let snapshot = running.snapshot();
            let probe = &snapshot.nodes[server.index()].probes[0];
            assert_eq!(probe.last, Some(ProbeResult::Passed));
            assert_eq!(probe.consecutive_failures, 0);
            running.shutdown(Duration::from_secs(2)).unwrap();
        },
    );
}

#[test]
fn a_stopped_node_is_killed_by_its_liveness_probe_and_restarted() {
    if !common::installed(PYTHON, "python3") {
        return;
    }
    common::as_root_and_unprivileged(
        "a_stopped_node_is_killed_by_its_liveness_probe_and_restarted",
        || {
            common::within(
                Duration::from_secs(60),
                "a stopped node is killed by its liveness probe and restarted",
                move || {
                    let dir = common::TempDir::new("live");
                    let port = common::free_port();
                    let address = format!("127.0.0.1:{port}");
                    let mut graph = Graph::new();
                    let server = graph.node_with(
                        "server",
                        http_server(port, dir.path(), "0"),
                        NodeOptions::new()
                            .restart(Restart::Always)
                            .stop_timeout(Duration::from_millis(300))
                            .ready_probe(Probe::tcp(&address).period(Duration::from_millis(50)))
                            .live_probe(
                                Probe::http(format!("{address}/"))
                                    .period(Duration::from_millis(100))
                                    .timeout(Duration::from_millis(500))
                                    .failure_threshold(2),
                            ),
                    );
                    let mut running = graph.spawn().unwrap();
                    events_until(&mut running, Duration::from_secs(20), |e| {
                        *e == Event::Ready { node: server }
                    });
                    let first = running.pid(server).unwrap();
                    // Alive but hung: it accepts connections (the kernel does) but never
                    // answers, so each attempt runs into its timeout.
                    running.signal(server, Signal::STOP).unwrap();
                    let events = events_until(
                        &mut running,
                        Duration::from_secs(20),
                        |e| matches!(e, Event::Exited { node, .. } if *node == server),
                    );
                    let killed = events
                        .iter()
                        .find_map(|e| match e {
                            Event::ProbeKilled { node, result, .. } if *node == server => {
                                Some(result)
                            }
                            _ => None,
                        })
                        .unwrap_or_else(|| panic!("no ProbeKilled event: {events:#?}"));
                    assert_eq!(*killed, ProbeResult::TimedOut);
                    // Its stop signal, followed by SIGCONT, ended it: not the SIGKILL
                    // at its stop timeout (a stopped process keeps SIGTERM pending).
                    let Some(Event::Exited { status, .. }) = events.last() else {
                        unreachable!()
                    };
                    assert_eq!(*status, ExitStatus::Signaled(Signal::TERM));
                    // Its restart policy applies: it starts again and is ready again.
                    events_until(&mut running, Duration::from_secs(20), |e| {
                        *e == Event::Ready { node: server }
                    });
                    assert_ne!(running.pid(server), Some(first));
                    let report = running.shutdown(Duration::from_secs(2)).unwrap();
                    assert!(report[server].restarts >= 1);
                },
            );
        },
    );
}

#[test]
fn a_failing_liveness_probe_kills_after_its_threshold_with_the_stop_signal() {
    common::within(
        Duration::from_secs(60),
        "a failing liveness probe kills after its threshold with the stop signal",
        move || {
            let dir = common::TempDir::new("exec-live");
            let flag = dir.path().join("healthy");
            std::fs::write(&flag, "").unwrap();
            let mut graph = Graph::new();
            let node = graph.node_with(
                "sleeper",
                Command::new("sleep").arg("60"),
                NodeOptions::new().live_probe(
                    Probe::exec(["test", "-e", flag.to_str().unwrap()])
                        .period(Duration::from_millis(50))
                        .failure_threshold(3),
                ),
            );
            let mut running = graph.spawn().unwrap();
            std::thread::sleep(Duration::from_millis(300));
            assert_eq!(
                running.snapshot().nodes[0].probes[0].consecutive_failures,
                0
            );
            std::fs::remove_file(&flag).unwrap();
            let events = events_until(&mut running, Duration::from_secs(20), |e| {
                matches!(e, Event::Exited { .. })
            });
            let failures: Vec<u32> = events
                .iter()
                .filter_map(|e| match e {
                    Event::ProbeFailed {
                        probe: ProbeKind::Live,
                        failures,
                        ..
                    } => Some(*failures),
                    _ => None,
                })
                .collect();
            // The third failure is the kill.
            assert_eq!(failures, [1, 2], "{events:#?}");
            assert!(
                events.iter().any(|e| matches!(e,
                Event::ProbeKilled { node: n, failures: 3, .. } if *n == node)),
                "{events:#?}"
            );
            let Some(Event::Exited { status, .. }) = events.last() else {
                unreachable!()
            };
            // The stop signal (SIGTERM) ended it; restart "never" leaves it down.
            assert_eq!(*status, ExitStatus::Signaled(Signal::TERM));
            let report = running.wait().unwrap();
            assert!(report[node].killed_by_probe);
        },
    );
}

#[test]
fn an_exec_probe_past_its_timeout_is_killed_and_reaped() {
    common::within(
        Duration::from_secs(60),
        "an exec probe past its timeout is killed and reaped",
        move || {
            let dir = common::TempDir::new("exec-timeout");
            let pids = dir.path().join("pids");
            let mut graph = Graph::new();
            let node = graph.node_with(
                "sleeper",
                Command::new("sleep").arg("60"),
                NodeOptions::new().live_probe(
                    Probe::exec([
                        "sh",
                        "-c",
                        &format!("echo $$ >> '{}'; exec sleep 30", pids.display()),
                    ])
                    .period(Duration::from_millis(50))
                    .timeout(Duration::from_millis(200)),
                ),
            );
            let mut running = graph.spawn().unwrap();
            ends_killed_by_a_timed_out_probe(&mut running, node);
            // Each probe command is gone and reaped: not even a zombie is left.
            let pids = std::fs::read_to_string(&pids).unwrap();
            assert!(!pids.is_empty());
            for pid in pids.lines() {
                let stat = common::proc_stat(pid.parse().unwrap());
                assert!(stat.is_none(), "probe command {pid} is left: {stat:?}");
            }
        },
    );
}

#[test]
fn an_exec_probe_runs_in_the_nodes_scope() {
    common::as_root_and_unprivileged("an_exec_probe_runs_in_the_nodes_scope", || {
        common::within(
            Duration::from_secs(60),
            "an exec probe runs in the nodes scope",
            move || {
                let mut graph = Graph::new();
                let scope = graph.scope(
                    "box",
                    ScopeSpec::new([Namespace::User, Namespace::Uts]).hostname("probe-box"),
                );
                let node = graph.node_with(
                    "sleeper",
                    Command::new("sleep").arg("60"),
                    NodeOptions::new().scope(scope).ready_probe(
                        Probe::exec(["sh", "-c", "[ \"$(hostname)\" = probe-box ]"])
                            .period(Duration::from_millis(50)),
                    ),
                );
                let mut running = graph.spawn().unwrap();
                events_until(&mut running, Duration::from_secs(20), |e| {
                    *e == Event::Ready { node }
                });
                running.shutdown(Duration::from_secs(2)).unwrap();
            },
        );
    });
}

/// Set when this binary runs [`log_line_graph`] for
/// `a_log_line_probe_makes_a_node_ready_and_the_lines_still_arrive`.
const LOG_LINE_GRAPH: &str = "PROCESS_GRAPH_TEST_LOG_LINE_GRAPH";

/// Not a test on its own: the graph whose output the log-line test reads,
/// run in a child process so that its stdout and stderr are a pipe.
#[test]
#[ignore = "run in a copy of this binary by a_log_line_probe_makes_a_node_ready_and_the_lines_still_arrive"]
fn log_line_graph() {
    if std::env::var_os(LOG_LINE_GRAPH).is_none() {
        return;
    }
    let mut graph = Graph::new();
    let printer = graph.node_with(
        "printer",
        Command::new("sh")
            .args([
                "-c",
                "echo starting; echo warming >&2; sleep 0.3; echo 'listening on 8080'; sleep 60",
            ])
            .stderr(process_graph_runtime::Stdio::Prefixed),
        NodeOptions::new().ready_probe(Probe::log_line("listening on")),
    );
    graph.node_with(
        "client",
        Command::new("echo").arg("client started"),
        NodeOptions::new().after([printer]),
    );
    let mut running = graph.spawn().unwrap();
    events_until(
        &mut running,
        Duration::from_secs(20),
        |e| matches!(e, Event::Exited { node, .. } if *node != printer),
    );
    running.shutdown(Duration::from_secs(2)).unwrap();
}

#[test]
fn a_log_line_probe_makes_a_node_ready_and_the_lines_still_arrive() {
    let (stdout, stderr) = common::run_ignored_test("log_line_graph", &[(LOG_LINE_GRAPH, "1")]);
    let lines: Vec<&str> = stdout.lines().collect();
    let at = |text: &str| {
        lines
            .iter()
            // libtest's own "test ... " may share the first line.
            .position(|l| l.ends_with(text))
            .unwrap_or_else(|| panic!("no line {text:?} in\n{stdout}"))
    };
    // Unchanged (no prefix), in order, and the client only once the line
    // that made the printer ready is out.
    assert!(at("starting") < at("listening on 8080"));
    assert!(at("listening on 8080") < at("client started"), "{stdout}");
    // A prefixed stream stays prefixed.
    assert!(stderr.lines().any(|l| l == "[printer] warming"), "{stderr}");
}

#[test]
fn a_probe_in_a_net_scope_reaches_the_nodes_port_not_the_hosts() {
    common::as_root_and_unprivileged(
        "a_probe_in_a_net_scope_reaches_the_nodes_port_not_the_hosts",
        || {
            if !common::installed(PYTHON, "python3") {
                return;
            }
            common::within(
                Duration::from_secs(60),
                "a probe in a net scope reaches the nodes port not the hosts",
                move || {
                    // The same port is open on the host all along.
                    let host = TcpListener::bind(("127.0.0.1", 0)).unwrap();
                    let port = host.local_addr().unwrap().port();
                    let mut graph = Graph::new();
                    let scope =
                        graph.scope("box", ScopeSpec::new([Namespace::User, Namespace::Net]));
                    // Listens (inside) once it reads a line on stdin.
                    let script = format!(
                        "read go; exec {PYTHON} -m http.server {port} --bind 127.0.0.1 --directory /"
                    );
                    let node = graph.node_with(
                        "server",
                        Command::new("sh")
                            .args(["-c", &script])
                            .stderr(process_graph_runtime::Stdio::Null),
                        NodeOptions::new().scope(scope).ready_probe(
                            Probe::tcp(format!("127.0.0.1:{port}"))
                                .period(Duration::from_millis(50)),
                        ),
                    );
                    let go = graph.pipe(Endpoint::Parent, node.stdin());
                    let mut running = graph.spawn().unwrap();
                    // Refused inside, though the host's port is open.
                    let events = events_until(&mut running, Duration::from_secs(20), |e| {
                        matches!(e, Event::ProbeFailed { failures: 3, .. })
                    });
                    assert!(!events.contains(&Event::Ready { node }), "{events:#?}");
                    assert!(
                        events.iter().any(|e| matches!(e,
                        Event::ProbeFailed { result: ProbeResult::Failed(why), .. }
                            if why.contains("refused"))),
                        "{events:#?}"
                    );
                    running.take_writer(go).unwrap().write_all(b"go\n").unwrap();
                    events_until(&mut running, Duration::from_secs(20), |e| {
                        *e == Event::Ready { node }
                    });
                    running.shutdown(Duration::from_secs(2)).unwrap();
                    drop(host);
                },
            );
        },
    );
}

#[test]
fn an_idle_probe_reports_nothing_between_periods() {
    common::within(
        Duration::from_secs(60),
        "an idle probe reports nothing between periods",
        move || {
            let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
            let address = listener.local_addr().unwrap().to_string();
            let mut graph = Graph::new();
            let node = graph.node_with(
                "sleeper",
                Command::new("sleep").arg("60"),
                NodeOptions::new()
                    .live_probe(Probe::tcp(&address).period(Duration::from_millis(200))),
            );
            let mut running = graph.spawn().unwrap();
            // A passing probe raises no event: waiting sees none.
            let event =
                common::next_event_past_starts(&mut running, Some(Duration::from_millis(700)));
            assert_eq!(event, None);
            let probe = &running.snapshot().nodes[node.index()].probes[0];
            assert_eq!(
                (probe.kind, &probe.last),
                (ProbeKind::Live, &Some(ProbeResult::Passed))
            );
            running.shutdown(Duration::from_secs(2)).unwrap();
        },
    );
}

/// Accepts connections and trickles an endless status line, one byte every
/// 20 ms: an HTTP probe must neither wait for it nor read it forever.
const TRICKLE: &str = r#"
import socket, sys, threading, time
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(16)
def trickle(conn):
    try:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 2")
        while True:
            conn.sendall(b"0")
            time.sleep(0.02)
    except OSError:
        pass
while True:
    conn, _ = server.accept()
    threading.Thread(target=trickle, args=(conn,), daemon=True).start()
"#;

#[test]
fn a_hostile_http_answer_times_out_and_never_stalls_the_loop() {
    if !common::installed(PYTHON, "python3") {
        return;
    }
    common::as_root_and_unprivileged(
        "a_hostile_http_answer_times_out_and_never_stalls_the_loop",
        || {
            common::within(Duration::from_secs(60), "hostile http", move || {
                let port = common::free_port();
                let mut graph = Graph::new();
                let node = graph.node_with(
                    "trickler",
                    Command::new(PYTHON).args(["-c", TRICKLE, &port.to_string()]),
                    NodeOptions::new().live_probe(
                        Probe::http(format!("127.0.0.1:{port}/"))
                            .period(Duration::from_millis(100))
                            .timeout(Duration::from_millis(800)),
                    ),
                );
                let mut running = graph.spawn().unwrap();
                // While an attempt reads the trickle, the loop still answers at once.
                let waker = running.waker().unwrap();
                std::thread::sleep(Duration::from_millis(300));
                let woken_at = Instant::now();
                waker.wake();
                events_until(&mut running, Duration::from_secs(5), |e| *e == Event::Woken);
                assert!(
                    woken_at.elapsed() < Duration::from_millis(200),
                    "{:?}",
                    woken_at.elapsed()
                );
                ends_killed_by_a_timed_out_probe(&mut running, node);
            });
        },
    );
}

/// The live processes whose command line is `sleep SECONDS`.
fn sleeping(seconds: &str) -> Vec<common::ProcStat> {
    let wanted = format!("sleep\0{seconds}\0");
    common::all_processes()
        .into_iter()
        .filter(|p| p.is_live())
        .filter(|p| {
            std::fs::read(format!("/proc/{}/cmdline", p.pid)).is_ok_and(|c| c == wanted.as_bytes())
        })
        .collect()
}

/// An exec probe's command leaves a `sleep` in its process group and a
/// `setsid` daemon, then exits 0, every 100 ms. What it leaves goes as a
/// node's does: the sleep is killed with its process group when the
/// command ends; the daemon with the node's cgroup where there is one, else
/// it survives (the README says so), and is killed here.
#[test]
fn what_an_exec_probe_leaves_behind_goes_as_a_nodes_does() {
    common::as_root_and_unprivileged(
        "what_an_exec_probe_leaves_behind_goes_as_a_nodes_does",
        || {
            // As uid 65534 the test runs outside any delegated cgroup.
            let cgroups = rustix::process::geteuid().is_root() && common::cgroups_available();
            for containment in [Containment::Auto, Containment::Off] {
                // Numbers of this run alone, to find its sleeps by.
                let (grouped, daemon) = (
                    format!("300.{}", std::process::id()),
                    format!("301.{}", std::process::id()),
                );
                let script = format!("sleep {grouped} & setsid sleep {daemon} & exit 0");
                let mut graph = Graph::new();
                graph.containment(containment);
                graph.node_with(
                    "prober",
                    Command::new("sleep").arg("60"),
                    NodeOptions::new().live_probe(
                        Probe::exec(["sh", "-c", &script]).period(Duration::from_millis(100)),
                    ),
                );
                let mut running = graph.spawn().unwrap();
                common::run_until(&mut running, "a probe's daemon", |_| {
                    !sleeping(&daemon).is_empty()
                });
                running.shutdown(Duration::from_secs(1)).unwrap();
                // Killed with a SIGKILL: dead within moments, if at all.
                std::thread::sleep(Duration::from_millis(200));
                let (grouped, daemons) = (sleeping(&grouped), sleeping(&daemon));
                for p in &daemons {
                    let _ = rustix::process::kill_process(
                        rustix::process::Pid::from_raw(p.pid).unwrap(),
                        rustix::process::Signal::KILL,
                    );
                }
                assert!(
                    grouped.is_empty(),
                    "{containment:?}: left in the group: {grouped:?}"
                );
                let contained = cgroups && containment == Containment::Auto;
                assert_eq!(
                    daemons.is_empty(),
                    contained,
                    "{containment:?}, cgroups {cgroups}: daemons left: {daemons:?}"
                );
            }
        },
    );
}
