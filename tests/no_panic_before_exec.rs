//! Review: paths on which the vfork-style child (between `clone3` and
//! `execve`, sharing the parent's memory and thread-local storage) can panic.
//!
//! A panic there runs the panic machinery on the parent's memory: it bumps
//! the *spawning thread's* thread-local panic count, takes the stderr lock
//! (or the test harness's capture mutex) and can die holding it, and aborts
//! the child before it has written a failure, so the parent believes the
//! exec succeeded. Because the parent can be left deadlocked, each scenario
//! runs in a fresh copy of this test binary, which the test bounds in time.

use std::io::Read;
use std::process::{Command as StdCommand, Stdio as StdStdio};
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Endpoint, Error, Event, Graph, Signal};

const SCENARIO: &str = "PROCESS_GRAPH_REVIEW_SCENARIO";

/// Writes a line to stdout without taking any lock a dead child may hold.
fn report(line: &str) {
    let _ = rustix::io::write(rustix::stdio::stdout(), format!("{line}\n").as_bytes());
}

/// Runs test `name` of this binary as the scenario; returns its stdout, or
/// fails if it does not finish within `limit` (it is then killed).
fn run_scenario(name: &str, limit: Duration) -> String {
    let mut child = StdCommand::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SCENARIO, "1")
        .stdout(StdStdio::piped())
        .stderr(StdStdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let mut out = String::new();
            let _ = child.stdout.take().unwrap().read_to_string(&mut out);
            panic!("scenario {name} hung for {limit:?} (deadlocked parent?); it said:\n{out}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn in_scenario() -> bool {
    std::env::var_os(SCENARIO).is_some()
}

/// An fd number of `i32::MAX` passes validation (only negative fds are
/// refused); in the child, `max_target + 1` in `place_fds` then overflows,
/// which panics in builds with overflow checks (every debug build).
#[test]
fn an_fd_at_i32_max_is_refused_without_a_panic_in_the_child() {
    let out = run_scenario("scenario_fd_at_i32_max", Duration::from_secs(10));
    assert!(
        out.contains("refused") && out.contains("panicking=false"),
        "expected a clean refusal; the scenario said:\n{out}"
    );
}

#[test]
#[ignore = "a scenario, run in a copy of this binary by the test above"]
fn scenario_fd_at_i32_max() {
    if !in_scenario() {
        return;
    }
    let mut graph = Graph::new();
    let node = graph.node("n", Command::new("true"));
    graph.pipe(node.fd(i32::MAX), Endpoint::Parent);
    match graph.spawn() {
        Ok(mut running) => {
            report("spawned (the child's failure went unreported)");
            report(&format!("panicking={}", std::thread::panicking()));
            report(&format!(
                "wait: {:?}",
                running.wait().map(|r| r.to_string())
            ));
        }
        Err(e @ (Error::Invalid(_) | Error::Spawn(_))) => {
            report(&format!("refused: {e}"));
            report(&format!("panicking={}", std::thread::panicking()));
        }
        Err(other) => report(&format!("other error: {other}")),
    }
}

/// `restart(node)` of a node with the default policy (`Restart::Never`):
/// the runtime released the node's edge fds right after its first start
/// (it "may not start again"), so the relaunch hands the child a source fd
/// of -1, and `BorrowedFd::borrow_raw(-1)` in `place_fds` asserts — in the
/// child, between clone and exec, in release builds too.
#[test]
fn restarting_a_default_node_with_an_edge_does_not_panic_in_the_child() {
    let out = run_scenario("scenario_restart_default_node", Duration::from_secs(10));
    assert!(
        out.contains("done") && !out.contains("SIGABRT") && out.contains("panicking=false"),
        "the relaunched child panicked before exec; the scenario said:\n{out}"
    );
    // Without a relaunch there is no child to panic: the test would pass
    // without checking anything.
    assert!(
        out.contains("relaunch attempted"),
        "restart(cat) neither started cat nor reported a failed start; the \
         scenario said:\n{out}"
    );
}

#[test]
#[ignore = "a scenario, run in a copy of this binary by the test above"]
fn scenario_restart_default_node() {
    if !in_scenario() {
        return;
    }
    let mut graph = Graph::new();
    let cat = graph.node("cat", Command::new("cat"));
    let input = graph.pipe(Endpoint::Parent, cat.stdin());
    let mut running = graph.spawn().expect("spawn");
    let _keep_cat_waiting = running.take_writer(input);
    while running
        .next_event(Some(Duration::ZERO))
        .expect("next_event")
        .is_some()
    {}
    running.restart(cat);
    // The restart stops cat and starts it again; the new process either runs
    // or is refused with a clear error. Report what happens.
    while let Some(event) = running
        .next_event(Some(Duration::from_millis(500)))
        .expect("next_event")
    {
        match event {
            Event::Exited { status, .. } if status.signal() == Some(abort_signal()) => {
                report("exited by SIGABRT")
            }
            // The restart really tried to launch cat again.
            Event::Started { node, .. } | Event::StartFailed { node, .. } if node == cat => {
                report(&format!("{event:?}"));
                report("relaunch attempted");
            }
            other => report(&format!("{other:?}")),
        }
    }
    report(&format!("panicking={}", std::thread::panicking()));
    let _ = running.shutdown(Duration::from_secs(1));
    report("done");
}

fn abort_signal() -> Signal {
    Signal::from_raw(libc::SIGABRT).unwrap()
}
