//! A scope made by an add can end while its init has a request of the
//! application's unanswered: its only node ended while the init was held
//! up (stopped), so the kill of what the node left was asked and never
//! answered, and then the node was removed, which ends the scope. The
//! scope's sync socket leaves the wait set before it is closed: the loop
//! then idles, and nothing of the scope is waited on again. As root
//! (cgroups turned off) and as uid 65534 (no cgroups to be had).

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Event, Graph, Namespace, NodeId, NodeOptions, RunningGraph, ScopeSpec,
};

/// The CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to.
    let ret = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(ret, 0);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Runs the loop until `node` has exited, failing on any other node's exit.
fn until_exited(running: &mut RunningGraph, node: NodeId) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "{node:?} did not exit");
        match running.next_event(Some(Duration::from_millis(50))).unwrap() {
            Some(Event::Exited { node: n, .. }) if n == node => return,
            Some(Event::Exited { node: n, .. }) => panic!("{n:?} exited"),
            _ => {}
        }
    }
}

/// The init of the test's one scope: a child of this process that is pid
/// 1 of its pid namespace.
fn scope_init() -> rustix::process::Pid {
    let init = common::children_of_this_process()
        .into_iter()
        .find(|p| {
            std::fs::read_to_string(format!("/proc/{}/status", p.pid))
                .ok()
                .and_then(|s| {
                    let line = s.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
                    line.split_whitespace().last().map(|pid| pid == "1")
                })
                .unwrap_or(false)
        })
        .expect("the scope's init");
    rustix::process::Pid::from_raw(init.pid).unwrap()
}

#[test]
fn a_scope_ending_with_a_request_unanswered_leaves_the_loop_idle() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_scope_ending_with_a_request_unanswered_leaves_the_loop_idle",
        || {
            let dir = common::TempDir::writable_by_scopes("scope_ends_asked");
            let marker = common::unique_marker("scope-ends-asked");
            let mut graph = Graph::new();
            graph.containment(Containment::Off);
            graph.node(
                "keeper",
                common::marked(Command::new("sleep").arg("300"), &marker),
            );
            let mut running = graph.spawn().unwrap();
            let mut more = Graph::new();
            let scope = more.scope("jail", ScopeSpec::new([Namespace::User, Namespace::Pid]));
            let waits = "touch \"$1/started\"; while [ ! -e \"$1/go\" ]; do sleep 0.01; done";
            let command = Command::new("sh").args(["-c", waits, "sh"]).arg(dir.path());
            let alone = more.node_with(
                "alone",
                common::marked(command, &marker),
                NodeOptions::new().scope(scope),
            );
            let alone = running.add(more).unwrap().node(alone);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !dir.path().join("started").exists() {
                assert!(Instant::now() < deadline, "the node did not start");
                running.next_event(Some(Duration::from_millis(10))).unwrap();
            }
            let init = scope_init();
            rustix::process::kill_process(init, rustix::process::Signal::STOP).unwrap();
            std::fs::write(dir.path().join("go"), "").unwrap();
            until_exited(&mut running, alone);
            // Gone at once (it has ended): the scope ends with it, its init
            // killed while its answer is still awaited.
            running.remove([alone]);
            let before = thread_cpu_time();
            let event = running
                .next_event(Some(Duration::from_millis(500)))
                .unwrap();
            let spent = thread_cpu_time() - before;
            assert_eq!(event, None);
            assert!(
                spent < Duration::from_millis(100),
                "the loop spun for {spent:?} of 500 ms over the ended scope"
            );
            running.shutdown(Duration::from_secs(5)).unwrap();
            drop(running);
            common::assert_all_exit(
                &common::live_marked_processes(&marker),
                "left after the graph",
            );
        },
    );
}
