//! Three promises of the README's "Guarantees" that no other test checked:
//! every fd the runtime opens is close-on-exec, the runtime never reaps a
//! child it did not start (no `waitpid(-1)`), and an idle graph does not
//! wake its waiting thread.
//!
//! The tests look at this process's whole fd table and its children, so
//! they take turns instead of running alongside each other.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Event, Graph, NodeOptions, Readiness, Stdio};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The `flags:` line of `/proc/self/fdinfo/FD`, in octal.
fn fd_flags(fd: i32) -> Option<u32> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).ok()?;
    let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
    u32::from_str_radix(flags.trim(), 8).ok()
}

#[test]
fn every_fd_the_runtime_opens_is_close_on_exec() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let before = common::open_fds();
    let mut graph = Graph::new();
    // Every kind of fd the runtime makes: edges to the parent, /dev/null, a
    // prefixed stream and its thread's pipes, a readiness pipe, a
    // NOTIFY_SOCKET, pidfds, and the waker's eventfd.
    let talker = graph.node(
        "talker",
        Command::new("sleep")
            .arg("30")
            .stdin(Stdio::Null)
            .stderr(Stdio::Prefixed),
    );
    let ready = graph.node_with(
        "ready",
        Command::new("sh").args(["-c", "echo >&3; exec sleep 30"]),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    graph.node_with(
        "notified",
        Command::new("sleep").arg("30"),
        NodeOptions::new().ready(Readiness::Notify),
    );
    graph.pipe(talker.stdout(), Endpoint::Parent);
    graph.pipe(Endpoint::Parent, ready.stdin());
    graph.socketpair(talker.fd(4), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let _waker = running.waker().unwrap();
    let opened: Vec<i32> = common::open_fds()
        .into_keys()
        .filter(|fd| !before.contains_key(fd))
        .collect();
    assert!(
        opened.len() >= 8,
        "expected the graph's fds to be open, found only {opened:?}"
    );
    let inherited: Vec<String> = opened
        .iter()
        .filter_map(|&fd| Some((fd, fd_flags(fd)?)))
        .filter(|(_, flags)| flags & libc::O_CLOEXEC as u32 == 0)
        .map(|(fd, flags)| format!("fd {fd}: flags {flags:o}"))
        .collect();
    running.shutdown(Duration::from_secs(1)).unwrap();
    assert!(inherited.is_empty(), "fds without O_CLOEXEC: {inherited:?}");
}

#[test]
fn a_child_the_runtime_did_not_start_is_left_to_its_owner() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut other = std::process::Command::new("sleep")
        .arg("0.2")
        .spawn()
        .unwrap();
    let mut graph = Graph::new();
    graph.node("nap", Command::new("sleep").arg("0.6"));
    let mut running = graph.spawn().unwrap();
    // The other child exits while the graph waits; a runtime that reaped
    // with waitpid(-1) would take its status.
    assert!(running.wait().unwrap().success());
    let status = other.wait().expect("the other child is still ours to reap");
    assert!(status.success(), "{status}");
}

/// `voluntary_ctxt_switches` of the calling thread: how often it has
/// blocked and been woken.
fn voluntary_switches() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
fn an_idle_graph_does_not_wake_the_waiting_thread() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut graph = Graph::new();
    graph.node("idle", Command::new("sleep").arg("30"));
    let mut running = graph.spawn().unwrap();
    while let Some(event) = running.next_event(Some(Duration::ZERO)).unwrap() {
        assert!(matches!(event, Event::Started { .. }), "{event:?}");
    }
    let before = voluntary_switches();
    let event = running.next_event(Some(Duration::from_secs(1))).unwrap();
    let woken = voluntary_switches() - before;
    running.shutdown(Duration::from_secs(1)).unwrap();
    assert_eq!(event, None, "nothing happens in an idle second");
    // One sleep until the timeout; a loop polling every 10 ms would show
    // about a hundred.
    assert!(
        woken <= 3,
        "the thread was woken {woken} times in one idle second"
    );
}
