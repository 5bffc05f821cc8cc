//! Review: waiting must not spin. A node that waits for a dependency to
//! become ready keeps `not_before` at an instant in the past, which
//! `next_timer` keeps reporting, so the event loop calls poll(2) with a zero
//! timeout in a loop until the dependency is ready.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, NodeOptions, Readiness};

/// `spawn()` waits for `db` to say it is ready (after about a second) before
/// it starts `app`. Blocked in one poll(2) over the graph's fds (the
/// runtime's `poller`), the waiting thread uses next to no CPU; spinning, it
/// uses a good share of the wall time even on a loaded machine. The bound is
/// a tenth of the wall time.
#[test]
fn waiting_for_a_dependency_does_not_spin() {
    let (cpu, wall) = common::within(Duration::from_secs(30), "spawn", || {
        let mut graph = Graph::new();
        let db = graph.node_with(
            "db",
            Command::new("sh")
                .arg("-c")
                .arg("sleep 1; echo >&3; exec sleep 30"),
            NodeOptions::new().ready(Readiness::Fd(3)),
        );
        graph.node_with(
            "app",
            Command::new("sleep").arg("30"),
            NodeOptions::new().after([db]),
        );
        let (cpu0, wall0) = (common::thread_cpu_time(), Instant::now());
        let mut running = graph.spawn().expect("spawn");
        let used = (common::thread_cpu_time() - cpu0, wall0.elapsed());
        running.shutdown(Duration::from_secs(1)).expect("shutdown");
        used
    });
    // db says it is ready only after its `sleep 1`, which started after
    // the clock did: a spawn() that returned sooner did not wait for db, and
    // the CPU bound below would measure nothing.
    assert!(
        wall >= Duration::from_secs(1),
        "spawn() returned after {wall:?}, before db was ready: it did not wait"
    );
    assert!(
        cpu < wall / 10,
        "the thread waiting for db's readiness used {cpu:?} of CPU in {wall:?}: it spins"
    );
}

/// Voluntary context switches of the calling thread so far: each is a
/// wait that blocked, so each wake-up adds one.
fn thread_wakeups() -> i64 {
    // SAFETY: an all-zero rusage is a valid value for the call to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid for writes.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage(RUSAGE_THREAD)");
    usage.ru_nvcsw
}

/// An idle graph large enough that its wait set is an epoll instance, after
/// some of its nodes have ended (their pidfds left the set), sleeps through
/// a timed wait in one blocking call: no wake-ups, no spinning.
#[test]
fn an_idle_large_graph_makes_no_wake_ups() {
    const SLEEPERS: usize = 200;
    let (wakeups, cpu) = common::within(Duration::from_secs(60), "idle graph", || {
        let mut graph = Graph::new();
        for i in 0..SLEEPERS {
            graph.node(format!("sleeper{i}"), Command::new("sleep").arg("30"));
        }
        for i in 0..10 {
            graph.node(format!("job{i}"), Command::new("true"));
        }
        let mut running = graph.spawn().expect("spawn");
        let mut exited = 0;
        while exited < 10 {
            match common::next_event_past_starts(&mut running, Some(Duration::from_secs(20))) {
                Some(process_graph_runtime::Event::Exited { .. }) => exited += 1,
                other => panic!("expected the jobs' exits, got {other:?}"),
            }
        }
        let (wakeups0, cpu0) = (thread_wakeups(), common::thread_cpu_time());
        let idle = running
            .next_event(Some(Duration::from_secs(1)))
            .expect("next_event");
        let used = (
            thread_wakeups() - wakeups0,
            common::thread_cpu_time() - cpu0,
        );
        assert_eq!(idle, None, "nothing happens in an idle graph");
        running.shutdown(Duration::from_secs(5)).expect("shutdown");
        used
    });
    assert!(
        wakeups <= 2,
        "an idle graph of {SLEEPERS} nodes woke its thread {wakeups} times in 1 s"
    );
    assert!(
        cpu < Duration::from_millis(50),
        "an idle graph of {SLEEPERS} nodes used {cpu:?} of CPU in 1 s"
    );
}
