//! A node SIGSTOPs its scope-mates' processes before their `execve`, in a
//! scope with a pid namespace.
//!
//! There the carried program clones each node into the scope's pid
//! namespace, and the clone is visible in the scope — and, once the program
//! has joined the scope's user namespace, signalable by root there — until
//! its `execve`. The guarantee (README, "Limits to know"): a node cannot
//! hold up the application that way. The program looks at a clone slow to
//! exec every 20 ms; one found stopped is killed, that start fails, the
//! application reaps the clone, and goes on serving events. Were the program
//! to wait for its clone with `CLONE_VFORK`, the stopped clone would hold it
//! (and the application) up to the helpers' 30 s limit, and stay behind.
//!
//! The attacker watches its pid namespace's last pid and stops every new
//! process it may signal the moment it appears, letting go of all but the
//! runtime's (`process-graph-scope` in their command line: a clone before
//! its `execve` is still the program's memory), so its sibling keeps
//! restarting and being attacked until a start fails. The loop around the
//! attacks is `common::held_up_attack`'s.

mod common;

use std::io::{BufRead, Read};
use std::time::Duration;

use common::held_up_attack::{self, Attacked};
use process_graph_runtime::{Command, Namespace};

const ATTACK: &str = "PROCESS_GRAPH_TEST_STOP_CLONES";

fn attacker() -> Command {
    Command::new(std::env::current_exe().unwrap())
        .args(common::ignored_test_args("stopping_node"))
        .arg("-q")
        .env(ATTACK, "1")
}

/// Attacks graphs whose scope has `namespaces` until one's sibling start
/// fails, and checks that it failed held up.
fn attack_in(namespaces: Vec<Namespace>) {
    if !common::user_namespaces_available() {
        return common::skip("user namespaces are not available here");
    }
    common::within(Duration::from_secs(120), "stopped clones", move || {
        held_up_attack::until_it_lands("clones before their execve", || {
            Attacked::new(attacker(), Command::new("true"), Some(&namespaces))
        });
    });
}

/// A node of a user+pid scope stops the clone the program makes of its
/// scope-mate, before the clone's `execve`.
#[test]
fn a_node_cannot_hold_up_the_application_by_stopping_its_siblings_before_their_exec() {
    // One test at a time, the run as uid 65534 included: each counts every
    // child of this process.
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_node_cannot_hold_up_the_application_by_stopping_its_siblings_before_their_exec",
        || attack_in(vec![Namespace::User, Namespace::Pid]),
    );
}

/// With a mount namespace too, the scope mounts a `/proc` of its own pid
/// namespace: the program must still find its clone, by the pid it has in
/// the application's.
#[test]
fn a_node_cannot_hold_up_the_application_by_stopping_its_siblings_before_their_exec_under_its_own_proc()
 {
    // One test at a time, the run as uid 65534 included: each counts every
    // child of this process.
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_node_cannot_hold_up_the_application_by_stopping_its_siblings_before_their_exec_under_its_own_proc",
        || attack_in(vec![Namespace::User, Namespace::Pid, Namespace::Mount]),
    );
}

/// The command line of `pid` (of our pid namespace), whatever pid namespace
/// `/proc` numbers processes in: the pid `/proc` knows it by is read from
/// the `fdinfo` of a pidfd of it.
fn command_line(pid: rustix::process::Pid) -> Option<Vec<u8>> {
    let seen = common::pidfd_info(pid.as_raw_nonzero().get(), "Pid")?;
    let mut command = Vec::new();
    std::fs::File::open(format!("/proc/{seen}/cmdline"))
        .ok()?
        .read_to_end(&mut command)
        .ok()?;
    Some(command)
}

/// The attacker, run as a node in the tests above: once told to go (on
/// stdin), stops every new process of its pid namespace it may signal as it
/// appears, lets go of all but the runtime's, and goes through all the
/// namespace's pids now and then.
#[test]
#[ignore = "the hostile node of the tests above"]
fn stopping_node() {
    if std::env::var_os(ATTACK).is_none() {
        return; // Only meaningful as a node.
    }
    use rustix::process::{Pid, Signal, kill_process};
    // Not itself: a SIGSTOP to any of its threads would stop it for good.
    let me = [
        std::process::id() as i32,
        rustix::thread::gettid().as_raw_nonzero().get(),
    ];
    let attack = |pid: i32| {
        if pid <= 1 || me.contains(&pid) {
            return;
        }
        let pid = Pid::from_raw(pid).unwrap();
        if kill_process(pid, Signal::STOP).is_ok()
            && !command_line(pid).is_some_and(|c| c.starts_with(b"process-graph-scope"))
        {
            let _ = kill_process(pid, Signal::CONT);
        }
    };
    // Not before the graph's spawn is done: a first start that fails fails
    // the spawn (a held-up start is no different from another failure).
    std::io::stdin()
        .lock()
        .read_line(&mut String::new())
        .unwrap();
    for round in 0u64.. {
        let Some(last) = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
        else {
            continue;
        };
        if round % 64 == 0 {
            (2..last).for_each(attack);
        }
        (last..=last + 2).for_each(attack);
    }
}
