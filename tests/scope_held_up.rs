//! A node SIGSTOPs the program that starts its siblings in its scope.
//!
//! Once the carried program that starts a node has joined the scope's user
//! namespace, root in the scope may signal it. The guarantee (README, the
//! threat model): a node cannot freeze the application that way. A stopped
//! program is killed, that start fails, and the application goes on
//! serving events. (A user+net scope: the program execs the node itself,
//! with no clone of its own in between.)
//!
//! The attacker watches the kernel's last pid and stops every new process
//! it may signal the moment it appears, letting go of all but the
//! runtime's helpers (`process-graph-scope` in their command line).

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Event, Graph, Namespace, NodeOptions, Restart, RunningGraph, ScopeSpec,
};

const ATTACK: &str = "PROCESS_GRAPH_TEST_STOP_HELPERS";

/// How long a test attacks.
const ATTACK_FOR: Duration = Duration::from_secs(5);

/// Longer than any wait a stopped helper may cost (a few checks 20 ms
/// apart), far shorter than the 30 s limit on one that answers slowly.
const NO_FREEZE: Duration = Duration::from_secs(3);

/// The attacker, given the application's pid: it stops only the
/// application's helpers, none of another process's on the machine.
fn attacker() -> Command {
    Command::new(std::env::current_exe().unwrap())
        .args(common::ignored_test_args("stopping_node"))
        .arg("-q")
        .env(ATTACK, std::process::id().to_string())
}

/// After the graph's shutdown: no child of this process is left, stopped
/// helpers and zombies included.
fn assert_nothing_left() {
    let left = common::children_of_this_process();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Waits for events for `ATTACK_FOR`, each wait answered within
/// [`NO_FREEZE`]; returns how many starts of `node` it saw.
fn serve(running: &mut RunningGraph, node: process_graph_runtime::NodeId) -> usize {
    let (begin, mut starts) = (Instant::now(), 0);
    while begin.elapsed() < ATTACK_FOR {
        let asked = Instant::now();
        let event = running
            .next_event(Some(Duration::from_millis(500)))
            .unwrap();
        let took = asked.elapsed();
        assert!(took < NO_FREEZE, "the application was frozen for {took:?}");
        if matches!(event, Some(Event::Started { node: n, .. }) if n == node) {
            starts += 1;
        }
    }
    starts
}

#[test]
fn a_node_cannot_freeze_the_application_by_stopping_the_program_that_starts_its_siblings() {
    common::as_root_and_unprivileged(
        "a_node_cannot_freeze_the_application_by_stopping_the_program_that_starts_its_siblings",
        || {
            if !common::user_namespaces_available() {
                return common::skip("user namespaces are not available here");
            }
            common::within(Duration::from_secs(60), "stopped programs", || {
                let mut graph = Graph::new();
                graph.intensity(u32::MAX, Duration::from_secs(1));
                let scope = graph.scope("s", ScopeSpec::new([Namespace::User, Namespace::Net]));
                let attacker =
                    graph.node_with("attacker", attacker(), NodeOptions::new().scope(scope));
                let sibling = graph.node_with(
                    "sibling",
                    Command::new("true"),
                    NodeOptions::new()
                        .scope(scope)
                        .after([attacker])
                        .restart(Restart::Always)
                        .backoff(Duration::ZERO, Duration::ZERO),
                );
                let mut running = graph.spawn().unwrap();
                let starts = serve(&mut running, sibling);
                running.shutdown(Duration::from_secs(5)).unwrap();
                eprintln!("{starts} starts of the sibling under attack");
                assert!(starts > 0, "the sibling still starts");
                assert_nothing_left();
            });
        },
    );
}

/// The attacker, run as a node in the tests above: stops every new process
/// it may signal as it appears, lets go of all but the runtime's helpers,
/// and looks through all of `/proc` for helpers now and then.
#[test]
#[ignore = "the hostile node of the tests above"]
fn stopping_node() {
    let Some(app) = std::env::var(ATTACK)
        .ok()
        .and_then(|pid| pid.parse::<i32>().ok())
    else {
        return; // Only meaningful as a node.
    };
    let me = std::process::id() as i32;
    let helper = |pid: i32| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|command| command.starts_with(b"process-graph-scope"))
            && common::proc_stat(pid).is_some_and(|stat| stat.ppid == app)
    };
    let stop = |pid: i32, signal| {
        let pid = rustix::process::Pid::from_raw(pid).unwrap();
        rustix::process::kill_process(pid, signal).is_ok()
    };
    for round in 0u64.. {
        if round % 64 == 0 {
            let pids = std::fs::read_dir("/proc").into_iter().flatten().flatten();
            for pid in pids.filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok()) {
                if pid != me && helper(pid) {
                    stop(pid, rustix::process::Signal::STOP);
                }
            }
        }
        let Some(last) = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
        else {
            continue;
        };
        for pid in (last..=last + 2).filter(|&pid| pid > 1 && pid != me) {
            if stop(pid, rustix::process::Signal::STOP) && !helper(pid) {
                stop(pid, rustix::process::Signal::CONT);
            }
        }
    }
}
