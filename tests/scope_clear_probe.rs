//! The only node of a pid scope with a network of its own ends, without
//! cgroups, while a TCP liveness attempt of its waits for its socket from
//! the scope's init: the loop waits for the init's kill of what the node
//! left, and the socket comes meanwhile, first. The node's end is what
//! counts: its probe is not tried against a node that has already exited,
//! and the node is not reported killed by it. As root (cgroups turned off)
//! and as uid 65534 (no cgroups to be had).

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Event, Graph, Namespace, NodeOptions, Probe, Restart, ScopeSpec,
};

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
fn a_probe_answer_during_the_clear_does_not_outrun_the_nodes_end() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_probe_answer_during_the_clear_does_not_outrun_the_nodes_end",
        || {
            let dir = common::TempDir::writable_by_scopes("scope_clear_probe");
            let marker = common::unique_marker("scope-clear-probe");
            let mut graph = Graph::new();
            graph.containment(Containment::Off);
            let scope = graph.scope(
                "jail",
                ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Net]),
            );
            // No route in the scope's network: every connect fails at once, and
            // the first failure kills.
            let probe = Probe::tcp("10.1.2.3:9")
                .period(Duration::from_millis(300))
                .timeout(Duration::from_secs(10))
                .failure_threshold(1);
            let waits = "while [ ! -e \"$1/go\" ]; do sleep 0.01; done";
            let command = Command::new("sh").args(["-c", waits, "sh"]).arg(dir.path());
            let alone = graph.node_with(
                "alone",
                common::marked(command, &marker),
                NodeOptions::new()
                    .scope(scope)
                    .restart(Restart::Never)
                    .live_probe(probe),
            );
            graph.node(
                "keeper",
                common::marked(Command::new("sleep").arg("300"), &marker),
            );
            let mut running = graph.spawn().unwrap();
            let init = scope_init();
            // Held up before the first attempt (one period after the start)
            // asks it for a socket: the attempt waits.
            rustix::process::kill_process(init, rustix::process::Signal::STOP).unwrap();
            let until = Instant::now() + Duration::from_millis(600);
            while Instant::now() < until {
                let event = running.next_event(Some(Duration::from_millis(20))).unwrap();
                assert!(
                    !matches!(
                        event,
                        Some(Event::ProbeKilled { .. } | Event::Exited { .. })
                    ),
                    "{event:?}"
                );
            }
            // Going on again once the node has exited, while the loop waits
            // for its kill: the socket's answer comes first.
            let pid = running.pid(alone).unwrap() as i32;
            let pidfd = common::open_pidfd(pid).unwrap();
            let resume = std::thread::spawn(move || {
                assert!(common::exits_within(&pidfd, Duration::from_secs(10)));
                std::thread::sleep(Duration::from_millis(30));
                rustix::process::kill_process(init, rustix::process::Signal::CONT).unwrap();
            });
            std::fs::write(dir.path().join("go"), "").unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                assert!(Instant::now() < deadline, "the node did not exit");
                match running.next_event(Some(Duration::from_millis(50))).unwrap() {
                    Some(Event::Exited { node, status, .. }) if node == alone => {
                        assert!(status.success(), "{status:?}");
                        break;
                    }
                    Some(event @ Event::ProbeKilled { .. }) => {
                        panic!("a probe tried after its node ended: {event:?}")
                    }
                    _ => {}
                }
            }
            resume.join().unwrap();
            let report = running.shutdown(Duration::from_secs(5)).unwrap();
            assert!(
                !report[alone].killed_by_probe,
                "a node that exited by itself reported killed by its probe"
            );
            drop(running);
            common::assert_all_exit(
                &common::live_marked_processes(&marker),
                "left after the graph",
            );
        },
    );
}
