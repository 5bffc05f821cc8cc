//! A node SIGSTOPs the program that starts its siblings: in its scope, or,
//! dropped to another uid, the program that starts its siblings dropped to
//! the same uid.
//!
//! Once the carried program that starts a node has joined the scope's user
//! namespace, root in the scope may signal it; once it has taken a node's
//! uid (`Command::uid`), so may every process of that uid. The guarantee
//! (README, the threat model and "Limits to know"): a node cannot freeze
//! the application that way. A stopped program is killed, that start fails
//! (README: `Step::ScopeProgram`, `ETIMEDOUT`), and
//! the application goes on serving events. (A user+net scope, or a drop to another uid: the
//! program execs the node itself, with no clone of its own in between.)
//!
//! The attacker watches the kernel's last pid and stops every new child of
//! the application it may signal the moment it appears, letting go of all
//! but the runtime's helpers (`process-graph-scope` in their command line).
//! The loop around the attacks is `common::held_up_attack`'s.

mod common;

use std::io::BufRead;
use std::time::{Duration, Instant};

use common::held_up_attack::{self, ATTACK_FOR, Attacked};
use process_graph_runtime::{
    Command, Event, Graph, Namespace, NodeId, NodeOptions, Probe, ProbeResult, RunningGraph,
    ScopeSpec,
};

const ATTACK: &str = "PROCESS_GRAPH_TEST_STOP_HELPERS";

/// The attacker, given the application's pid: it stops only the
/// application's helpers, and signals no other process on the machine than
/// the application's children.
fn attacker(binary: &std::path::Path) -> Command {
    hostile(binary, "stopping_node")
}

/// The hostile node that runs the ignored test `name` of `binary` (this
/// test binary, or a copy of it), given the application's pid.
fn hostile(binary: &std::path::Path, name: &str) -> Command {
    Command::new(binary)
        .args(common::ignored_test_args(name))
        .arg("-q")
        .env(ATTACK, std::process::id().to_string())
}

/// After the graph's shutdown: no child of this process is left, stopped
/// helpers and zombies included.
fn assert_nothing_left() {
    let left = common::children_of_this_process();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A node in a user+net scope stops the program that starts its
/// scope-mate, once that program has joined the scope's user namespace.
#[test]
fn a_node_cannot_freeze_the_application_by_stopping_the_program_that_starts_its_siblings() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_node_cannot_freeze_the_application_by_stopping_the_program_that_starts_its_siblings",
        || {
            if !common::user_namespaces_available() {
                return common::skip("user namespaces are not available here");
            }
            common::within(Duration::from_secs(120), "stopped programs", || {
                let binary = std::env::current_exe().unwrap();
                held_up_attack::until_it_lands("programs", || {
                    Attacked::new(
                        attacker(&binary),
                        Command::new("true"),
                        Some(&[Namespace::User, Namespace::Net]),
                    )
                });
            });
        },
    );
}

/// A node dropped to uid 65534, in no scope, stops the program that starts
/// its sibling dropped to the same uid, once that program has taken the
/// uid (README: "The same 30 s limit holds for every start through that
/// program — a node in a scope or with `Cmd::uid`/`gid`"). Root only: a
/// drop to another uid needs it.
#[test]
fn a_dropped_node_cannot_freeze_the_application_by_stopping_the_program_that_starts_its_same_uid_siblings()
 {
    let _serial = common::serial();
    if !common::real_root() {
        return common::skip("only root may drop a node to another uid");
    }
    common::within(Duration::from_secs(120), "stopped programs", || {
        // As uid 65534, which may not reach this binary where it is built.
        let binary = common::unprivileged_copy_of_this_binary();
        held_up_attack::until_it_lands("programs", || {
            Attacked::new(
                common::dropped_to_65534(attacker(&binary)),
                common::dropped_to_65534(Command::new("true")),
                None,
            )
        });
    });
}

/// The attacker stops the program that starts its own exec probe (one that
/// always fails, so that it is tried for as long as the test runs), before
/// it becomes the probe's command. The attempt times out, and the stopped
/// program must not hold the probe for good: it is given up on (killed and
/// reaped) at the fifth look, one per attempt, and the probe is tried
/// again. Before, every later attempt failed at once, as "not ended", for
/// as long as the graph ran.
#[test]
fn a_probe_whose_starting_program_is_stopped_is_tried_again() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_probe_whose_starting_program_is_stopped_is_tried_again",
        || {
            if !common::user_namespaces_available() {
                return common::skip("user namespaces are not available here");
            }
            common::within(Duration::from_secs(60), "a stopped probe start", || {
                let mut graph = Graph::new();
                let scope = graph.scope("s", ScopeSpec::new([Namespace::User, Namespace::Net]));
                let probe = Probe::exec(["false"])
                    .period(Duration::from_millis(50))
                    .timeout(Duration::from_millis(100));
                let attacker = graph.node_with(
                    "attacker",
                    hostile(&std::env::current_exe().unwrap(), "spinning_stopper"),
                    NodeOptions::new().scope(scope).ready_probe(probe),
                );
                let mut running = graph.spawn().unwrap();
                let results = probe_failures(&mut running, attacker);
                running.shutdown(Duration::from_secs(5)).unwrap();
                let longest_hold = results
                    .split(|r| !held(r))
                    .map(<[ProbeResult]>::len)
                    .max()
                    .unwrap_or(0);
                eprintln!(
                    "{} failed attempts, at most {longest_hold} in a row found the last start held",
                    results.len()
                );
                assert!(
                    results.iter().any(held),
                    "the attack did not take place: no probe start was held"
                );
                // Looked at once per attempt, a start found stopped five
                // looks in a row (`held_up::STOPPED_LOOKS`) is given up on
                // at the fifth: four attempts fail as held before it.
                assert!(
                    longest_hold <= 4,
                    "a stopped start held the probe for {longest_hold} attempts in a row"
                );
                assert_nothing_left();
            });
        },
    );
}

/// Whether an attempt found the last one's start still under way.
fn held(result: &ProbeResult) -> bool {
    matches!(result, ProbeResult::Failed(why) if why.contains("has not ended"))
}

/// The failed attempts of `node`'s probe, until one found a start held and
/// 40 more periods went by (the probe held for good would fail them all),
/// or for 10 s at most.
fn probe_failures(running: &mut RunningGraph, node: NodeId) -> Vec<ProbeResult> {
    let (begin, mut results, mut first_held) = (Instant::now(), Vec::new(), None);
    while begin.elapsed() < 2 * ATTACK_FOR && first_held.is_none_or(|at| results.len() < at + 40) {
        let event = running.next_event(Some(Duration::from_millis(500)));
        if let Some(Event::ProbeFailed {
            node: n, result, ..
        }) = event.unwrap()
            && n == node
        {
            if first_held.is_none() && held(&result) {
                first_held = Some(results.len());
            }
            results.push(result);
        }
    }
    results
}

/// The attacker, run as a node in the tests above: once told to go (on
/// stdin), stops each new child of the application it may signal as it
/// appears, and holds it if it is one of the runtime's helpers, else lets
/// it go. Now and then it looks through all of `/proc` for helpers to
/// stop, and lets go of those it holds that have become their node (the
/// stop came while their `execve` was under way), so that the node ends
/// and is started again.
#[test]
#[ignore = "the hostile node of the tests above"]
fn stopping_node() {
    use rustix::process::Signal;
    let Some(app) = application() else {
        return; // Only meaningful as a node.
    };
    // Not before the graph's spawn is done: a first start that fails fails
    // the spawn.
    std::io::stdin()
        .lock()
        .read_line(&mut String::new())
        .unwrap();
    // Not itself, nor any process but the application's children.
    let child = |pid: i32| !ours(pid) && common::proc_stat(pid).is_some_and(|s| s.ppid == app);
    let stop = |pid: i32, held: &mut Vec<i32>| {
        if child(pid) && signal(pid, Signal::STOP) {
            match is_helper(pid, app) {
                true => held.push(pid),
                false => _ = signal(pid, Signal::CONT),
            }
        }
    };
    let mut held = Vec::new();
    for round in 0u64.. {
        if round % 64 == 0 {
            held.retain(|&pid| {
                let helper = is_helper(pid, app);
                if !helper && child(pid) {
                    signal(pid, Signal::CONT);
                }
                helper
            });
            let pids = std::fs::read_dir("/proc").into_iter().flatten().flatten();
            pids.filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|&pid| is_helper(pid, app))
                .for_each(|pid| stop(pid, &mut held));
        }
        if let Some(last) = last_pid() {
            (last..=last + 2).for_each(|pid| stop(pid, &mut held));
        }
    }
}

/// Sends `signal` to `pid`; whether it was sent.
fn signal(pid: i32, signal: rustix::process::Signal) -> bool {
    let pid = rustix::process::Pid::from_raw(pid).unwrap();
    rustix::process::kill_process(pid, signal).is_ok()
}

/// The attacker of the probe test: each new child of the application's it
/// sees, it tries to stop again and again, letting go of all but the
/// runtime's helpers, until it holds a helper, the process is gone, or 20
/// ms went by. Only the application's children: a helper is one, and the
/// node, its uid the application's outside its user namespace, could stop
/// any process of that uid on the machine — another test's, a shell's.
/// Spinning on the one pid, it stops a program within microseconds of its
/// being one it may signal and a helper (the program's own `execve` done,
/// and for root of the scope its joining the scope's user namespace), well
/// before it says it is about to `execve` the probe's command.
#[test]
#[ignore = "the hostile node of the probe test"]
fn spinning_stopper() {
    let Some(app) = application() else {
        return; // Only meaningful as a node.
    };
    let helper = |pid| is_helper(pid, app);
    let mut seen = 0;
    loop {
        let Some(last) = last_pid() else {
            continue;
        };
        if last == seen || ours(last) {
            continue;
        }
        seen = last;
        // A clone's parent is set as it is made: no race with the check.
        if common::proc_stat(last).is_none_or(|stat| stat.ppid != app) {
            continue;
        }
        let pid = rustix::process::Pid::from_raw(last).unwrap();
        let until = Instant::now() + Duration::from_millis(20);
        while Instant::now() < until {
            match rustix::process::kill_process(pid, rustix::process::Signal::STOP) {
                Ok(()) if helper(last) => break,
                Ok(()) => {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::CONT);
                }
                Err(rustix::io::Errno::SRCH) => break,
                Err(_) => {}
            }
        }
    }
}

/// The application's pid, given to the attacker as a node.
fn application() -> Option<i32> {
    std::env::var(ATTACK).ok()?.parse().ok()
}

/// Whether `pid` is one of the runtime's helpers started by `app`.
fn is_helper(pid: i32, app: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|command| command.starts_with(b"process-graph-scope"))
        && common::proc_stat(pid).is_some_and(|stat| stat.ppid == app)
}

/// The pid the kernel gave last.
fn last_pid() -> Option<i32> {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Whether `pid` is one of this process's own threads: the test harness's
/// threads take pids too, and stopping one stops the whole attacker.
fn ours(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/self/task/{pid}")).exists()
}
