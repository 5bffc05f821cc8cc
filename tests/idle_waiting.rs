//! Review: waiting must not spin. A node that waits for a dependency to
//! become ready keeps `not_before` at an instant in the past, which
//! `next_timer` keeps reporting, so the event loop calls poll(2) with a zero
//! timeout in a loop until the dependency is ready.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, NodeOptions, Readiness};

/// CPU time (user + system) the calling thread has used so far.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill in.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

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
        let (cpu0, wall0) = (thread_cpu_time(), Instant::now());
        let mut running = graph.spawn().expect("spawn");
        let used = (thread_cpu_time() - cpu0, wall0.elapsed());
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
