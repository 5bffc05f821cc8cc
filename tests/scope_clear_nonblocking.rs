//! While the only node of a pid scope (no cgroup) ends, the loop waits for
//! the scope's init to kill what the node left ("the clear"); that wait
//! must not hold the loop's thread, nor a tokio executor's: the README
//! promises that the rest of the graph, and the rest of the application,
//! go on meanwhile. A loop that blocked on the clear would serve nothing
//! else until the init answered, or until it gave up on an init found
//! stopped (~100 ms), reporting the end unanswered and holding the restart.
//!
//! Both tests stop the init before the node ends and continue it only from
//! something the loop must serve during the clear (another node's exit,
//! another task of the executor): a blocking loop never gets there in
//! time, whatever the machine's load. As root (cgroups turned off) and as
//! uid 65534 (no cgroups to be had).

mod common;

use std::cell::Cell;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Event, Graph, Namespace, NodeId, NodeOptions, Restart, RunningGraph,
    ScopeSpec,
};
use rustix::process::{Signal, pidfd_send_signal};

/// How long any one step may take before the test fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(10);

/// A graph without cgroups: `jailed` (`sleep 300`, restarted by `restart`,
/// at once) alone in scope `jail` (user + pid), and `outsider`
/// (`sleep 300`) in no scope. Returned once both have exec'd `sleep`:
/// the running graph, `jailed`, `outsider` and the marker of its processes.
fn jailed_and_outsider(restart: Restart) -> (RunningGraph, NodeId, NodeId, String) {
    let marker = common::unique_marker("scope-clear-nonblocking");
    let sleep = || common::marked(Command::new("sleep").arg("300"), &marker);
    let mut graph = Graph::new();
    graph.containment(Containment::Off);
    let jail = graph.scope("jail", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    let options = NodeOptions::new()
        .scope(jail)
        .restart(restart)
        .backoff(Duration::ZERO, Duration::ZERO);
    let jailed = graph.node_with("jailed", sleep(), options);
    let outsider = graph.node("outsider", sleep());
    let running = graph.spawn().unwrap();
    for node in [jailed, outsider] {
        let pid = running.pid(node).unwrap() as i32;
        let deadline = Instant::now() + DEADLINE;
        while common::proc_stat(pid).is_none_or(|p| p.comm != "sleep") {
            assert!(Instant::now() < deadline, "{node:?} did not exec sleep");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    (running, jailed, outsider, marker)
}

/// The scope's init (a child of this process, cloned with `CLONE_PARENT`,
/// that is pid 1 of its pid namespace), stopped while this is held: it
/// stops it, waits until the kernel has it stopped, and continues it when
/// dropped, on every path of the test.
struct StoppedInit(OwnedFd);

impl StoppedInit {
    fn stop_the_scopes_init() -> StoppedInit {
        let init = common::children_of_this_process()
            .into_iter()
            .find(|p| {
                common::pidfd_info(p.pid, "NSpid")
                    .is_some_and(|pids| pids.split_whitespace().last() == Some("1"))
            })
            .expect("the scope's init");
        let pidfd = common::open_pidfd(init.pid).unwrap();
        pidfd_send_signal(&pidfd, Signal::STOP).unwrap();
        let stopped = StoppedInit(pidfd);
        let deadline = Instant::now() + DEADLINE;
        while common::proc_stat(init.pid).is_none_or(|p| p.state != 'T') {
            assert!(Instant::now() < deadline, "the init did not stop");
            std::thread::sleep(Duration::from_millis(1));
        }
        stopped
    }

    fn go_on(&self) {
        pidfd_send_signal(&self.0, Signal::CONT).unwrap();
    }
}

impl Drop for StoppedInit {
    fn drop(&mut self) {
        let _ = pidfd_send_signal(&self.0, Signal::CONT);
    }
}

/// SIGKILLs node `node`'s main process and waits until it has exited (not
/// reaped: that is the loop's): a pidfd of it, opened before the kill.
fn kill_and_see_exit(running: &RunningGraph, node: NodeId) -> OwnedFd {
    let pidfd = common::open_pidfd(running.pid(node).unwrap() as i32).unwrap();
    pidfd_send_signal(&pidfd, Signal::KILL).unwrap();
    assert!(common::exits_within(&pidfd, DEADLINE), "{node:?} lives on");
    pidfd
}

/// Whether the process behind `pidfd` has been reaped: its pidfd's
/// `fdinfo` then says `Pid: -1` (exited and unreaped, it shows its pid).
fn reaped(pidfd: &OwnedFd) -> bool {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd()));
    info.unwrap()
        .lines()
        .any(|l| l.strip_prefix("Pid:").map(str::trim) == Some("-1"))
}

/// The next event, failing the test past `deadline`.
fn next_before(running: &mut RunningGraph, deadline: Instant) -> Event {
    loop {
        assert!(Instant::now() < deadline, "no event came in time");
        if let Some(event) = running.next_event(Some(Duration::from_millis(50))).unwrap() {
            return event;
        }
    }
}

/// The jailed node and the outsider end together, the init stopped; the
/// test continues the init only once it has the outsider's exit. So the
/// jailed node's end is answered, not given up on, only if the loop served
/// the outsider's exit while the clear waited: its exit then follows the
/// continue, and its restart goes without being held.
#[test]
fn another_nodes_exit_is_served_while_a_clear_waits() {
    let _serial = common::serial();
    common::as_root_and_unprivileged("another_nodes_exit_is_served_while_a_clear_waits", || {
        let (mut running, jailed, outsider, marker) = jailed_and_outsider(Restart::Always);
        let deadline = Instant::now() + DEADLINE;
        let mut starts = Vec::new();
        while starts.len() < 2 {
            if let Event::Started { node, .. } = next_before(&mut running, deadline) {
                starts.push(node);
            }
        }
        let init = StoppedInit::stop_the_scopes_init();
        // Both exited before the loop looks again: one turn finds both.
        kill_and_see_exit(&running, outsider);
        kill_and_see_exit(&running, jailed);
        let mut continued = false;
        let mut jailed_ended = false;
        let deadline = Instant::now() + DEADLINE;
        loop {
            match next_before(&mut running, deadline) {
                Event::Exited { node, .. } if node == outsider => {
                    init.go_on();
                    continued = true;
                }
                Event::Exited { node, .. } if node == jailed => {
                    assert!(
                        continued,
                        "the jailed node's end came before the outsider's: \
                             the loop gave up on the stopped init meanwhile"
                    );
                    jailed_ended = true;
                }
                Event::StartHeld { node } if node == jailed => panic!(
                    "the jailed node's restart was held: its end was given up on, \
                         the outsider's exit not served while the clear waited"
                ),
                Event::Started { node, .. } if node == jailed => {
                    assert!(jailed_ended, "started again before its end");
                    break;
                }
                _ => {}
            }
        }
        drop(init);
        common::shut_down_leaving_nothing(running, &marker);
    });
}

/// The jailed node ends, the init stopped, on a current-thread tokio
/// runtime: one future awaits the node's exit with `next_event_async`,
/// another, on the same thread, continues the init once the node has been
/// reaped and its exit not yet handed out. It gets that chance only if the
/// clear's wait leaves the thread to it; the exit then follows the
/// continue.
#[test]
fn the_executors_thread_is_free_while_a_clear_waits() {
    let _serial = common::serial();
    common::as_root_and_unprivileged("the_executors_thread_is_free_while_a_clear_waits", || {
        let (mut running, jailed, _, marker) = jailed_and_outsider(Restart::Never);
        let init = StoppedInit::stop_the_scopes_init();
        let main = kill_and_see_exit(&running, jailed);
        let continued = Cell::new(false);
        let ended = Cell::new(false);
        let serve = async {
            loop {
                match running.next_event_async().await.unwrap() {
                    Some(Event::Exited { node, .. }) if node == jailed => {
                        ended.set(true);
                        return continued.get();
                    }
                    Some(_) => {}
                    None => panic!("the graph finished"),
                }
            }
        };
        let watch = async {
            while !ended.get() {
                if !continued.get() && reaped(&main) {
                    init.go_on();
                    continued.set(true);
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let both = async { tokio::join!(serve, watch).0 };
        let continued_first = tokio
            .block_on(async { tokio::time::timeout(DEADLINE, both).await })
            .expect("the jailed node's exit did not come");
        assert!(
            continued_first,
            "the jailed node's exit came before the other future ran: \
                 the clear held the executor's thread"
        );
        drop(init);
        common::shut_down_leaving_nothing(running, &marker);
    });
}
