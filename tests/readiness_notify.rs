//! systemd's readiness protocol with a real daemon: `redis-server
//! --supervised systemd` sends `READY=1` to `$NOTIFY_SOCKET` once it accepts
//! connections, and a client started `after` it must never see a connection
//! error. `.ci/run` installs Debian's redis-server and redis-tools; elsewhere the
//! test skips, saying so, when they are missing.

mod common;

use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph, NodeOptions, Readiness, Stdio};

#[test]
fn redis_cli_after_a_notify_ready_redis_always_gets_pong() {
    if !(common::installed("redis-server", "redis-server")
        && common::installed("redis-cli", "redis-tools"))
    {
        return;
    }
    for round in 0..20 {
        let dir = std::env::temp_dir().join(format!("pg-redis-{}-{round}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("redis.sock");
        let mut graph = Graph::new();
        let redis = graph.node_with(
            "redis",
            Command::new("redis-server")
                .args(["--port", "0", "--unixsocket"])
                .arg(&socket)
                .args([
                    "--supervised",
                    "systemd",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .arg("--dir")
                .arg(&dir)
                .stdout(Stdio::Null),
            NodeOptions::new()
                .ready(Readiness::Notify)
                .ready_timeout(Duration::from_secs(10)),
        );
        let cli = graph.node_with(
            "cli",
            Command::new("redis-cli").arg("-s").arg(&socket).arg("PING"),
            NodeOptions::new().after([redis]),
        );
        let reply = graph.pipe(cli.stdout(), Endpoint::Parent);
        let mut running = graph.spawn().expect("redis and redis-cli start");
        let out = common::read_to_end(&mut running, reply);
        assert_eq!(out.trim(), "PONG", "round {round}");
        let status = running.snapshot().nodes[redis.index()].status_text.clone();
        assert!(
            status.is_some_and(|s| s.contains("Ready")),
            "redis sent a STATUS= line"
        );
        let report = running.shutdown(Duration::from_secs(5)).unwrap();
        assert!(report[cli].success(), "{report}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Sends `READY=1` to `$NOTIFY_SOCKET`, then sleeps for `$1` seconds.
const NOTIFY: &str = r#"
import os, socket, sys, time
addr = os.environ["NOTIFY_SOCKET"]
addr = "\0" + addr[1:] if addr.startswith("@") else addr
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\nSTATUS=up", addr)
time.sleep(float(sys.argv[1]))
"#;

#[test]
fn only_the_main_process_can_make_its_node_ready() {
    use process_graph_runtime::Event;

    let mut graph = Graph::new();
    let options = || {
        NodeOptions::new()
            .ready(Readiness::Notify)
            .ready_timeout(Duration::from_secs(2))
    };
    // The main process (after exec) sends READY=1 itself.
    let honest = graph.node_with(
        "honest",
        Command::new("python3").args(["-c", NOTIFY, "30"]),
        options(),
    );
    // A child of the main process sends it; the main process never does.
    let forged = graph.node_with(
        "forged",
        Command::new("sh")
            .arg("-c")
            .arg(r#"python3 -c "$0" 0; exec sleep 30"#)
            .arg(NOTIFY),
        options(),
    );
    let mut running = graph.spawn().unwrap();
    let (mut ready, mut timed_out) = (Vec::new(), Vec::new());
    while let Some(event) = running.next_event(Some(Duration::from_secs(5))).unwrap() {
        match event {
            Event::Ready { node } => ready.push(node),
            Event::ReadyTimeout { node } => timed_out.push(node),
            Event::Exited { node, .. } if node == forged => break,
            _ => {}
        }
    }
    assert_eq!(ready, [honest]);
    assert_eq!(timed_out, [forged]);
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// Says `READY=1` and exits at once.
const ONE_SHOT: &str = r#"
import os, socket
address = os.environ["NOTIFY_SOCKET"]
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", "\0" + address[1:])
"#;

#[test]
fn a_one_shot_job_that_says_ready_then_exits_was_ready() {
    use process_graph_runtime::Event;
    let mut graph = Graph::new();
    let job = graph.node_with(
        "job",
        Command::new("python3").args(["-c", ONE_SHOT]),
        NodeOptions::new()
            .ready(Readiness::Notify)
            .ready_timeout(Duration::from_secs(10)),
    );
    let mut running = graph.spawn().unwrap();
    // Nobody turns the loop while the job says `READY=1` and exits: its
    // message and its exit are found by the same poll, and the message must
    // not be dropped because the process it came from is reaped first.
    let started = std::time::Instant::now();
    while running.pid(job).is_some_and(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| !stat.contains(") Z "))
    }) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the job never exited"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut events = Vec::new();
    while let Some(event) =
        common::next_event_past_starts(&mut running, Some(Duration::from_secs(5)))
    {
        events.push(event);
    }
    assert!(
        matches!(
            events.as_slice(),
            [Event::Ready { node: a }, Event::Exited { node: b, .. }] if *a == job && *b == job
        ),
        "{events:?}"
    );
}

#[test]
fn the_notify_socket_is_gone_once_wait_returns() {
    let mut graph = Graph::new();
    let job = graph.node_with(
        "job",
        Command::new("python3").args(["-c", NOTIFY, "0.3"]),
        NodeOptions::new().ready(Readiness::Notify),
    );
    let mut running = graph.spawn().unwrap();
    let address = common::notify_socket_of(running.pid(job).unwrap());
    let name = address.strip_prefix('@').expect("an abstract address");
    let listed = |name: &str| {
        std::fs::read_to_string("/proc/net/unix")
            .unwrap()
            .lines()
            .any(|line| line.ends_with(&format!(" @{name}")))
    };
    assert!(listed(name), "bound while the graph runs");
    running.wait().unwrap();
    assert!(!listed(name), "released when wait returns");
    running.restart(job);
    assert!(
        running.next_event(Some(Duration::ZERO)).unwrap().is_none(),
        "nothing starts again"
    );
}
