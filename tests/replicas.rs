//! Replicas: `#[process(replicas = N)]` runs N copies of a process, each
//! supervised on its own. Pipes out of the replicas are shared (fan-in);
//! edges into them come from the parent, one per replica (fan-out). The
//! topology shows one node marked ×N, the started graph N nodes.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use process_graph::prelude::*;

/// Three workers, each fed by the parent through a pipe of its own, all
/// writing into one pipe to a sink that sorts what they say.
#[process_graph(intensity = 10, period = "10s")]
struct Pool {
    #[process(replicas = 3, restart = "on-failure", backoff = "10ms..10ms")]
    worker: Cmd,
    #[process]
    sink: Cmd,
    /// One pipe per replica.
    #[pipe(parent -> worker.stdin)]
    jobs: Pipe,
    /// One pipe, written by every replica.
    #[pipe(worker.stdout -> sink.stdin)]
    results: Pipe,
    #[pipe(sink.stdout -> parent)]
    sorted: Pipe,
}

fn pool(worker: &str) -> Pool {
    Pool::new(Cmd::new("sh").args(["-c", worker]), Cmd::new("sort"))
}

#[test]
fn the_parent_feeds_each_replica_and_their_output_fans_in() {
    common::within(Duration::from_secs(20), "fan-out and fan-in", || {
        let mut running = pool(r#"read -r job; echo "$PROCESS_GRAPH_REPLICA: $job""#)
            .spawn()
            .unwrap();
        assert_eq!(running.jobs.len(), 3, "one pipe per replica");
        for (i, mut jobs) in std::mem::take(&mut running.jobs).into_iter().enumerate() {
            writeln!(jobs, "job {i}").unwrap();
        }
        // The workers restart on failure, so the parent keeps `results`
        // open until they have ended for good, which `wait` learns: read
        // on another thread meanwhile.
        let mut sorted = running.sorted.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            sorted.read_to_string(&mut text).unwrap();
            text
        });
        let report = running.wait().unwrap();
        assert_eq!(reader.join().unwrap(), "0: job 0\n1: job 1\n2: job 2\n");
        assert!(report.success(), "{report}");
        assert_eq!(report.worker.len(), 3);
        assert!(
            report.to_string().contains("worker[2]: exited with code 0"),
            "{report}"
        );
    });
}

#[test]
fn replicas_restart_independently() {
    common::within(Duration::from_secs(20), "independent restarts", || {
        let mut running = pool("exec sleep 600").spawn().unwrap();
        let pids = |running: &RunningPool| -> Vec<Option<u32>> {
            (0..3).map(|i| running.worker(i).pid()).collect()
        };
        let before = pids(&running);
        assert!(before.iter().all(Option::is_some), "{before:?}");
        running.worker(1).kill().unwrap();
        let mut exited = Vec::new();
        loop {
            match running.next_event(Some(Duration::from_secs(10))).unwrap() {
                Some(GraphEvent::Exited { node, .. }) => exited.push(node),
                // The first starts are reported too.
                Some(GraphEvent::Started { pid, .. }) if before.contains(&Some(pid)) => {}
                Some(GraphEvent::Started {
                    node: PoolNode::Sink,
                    ..
                }) => {}
                Some(GraphEvent::Started { node, .. }) => {
                    assert_eq!(
                        node,
                        PoolNode::Worker(1),
                        "only the killed replica restarts"
                    );
                    break;
                }
                Some(_) => {}
                None => panic!("replica 1 did not restart"),
            }
        }
        assert_eq!(exited, [PoolNode::Worker(1)]);
        let after = pids(&running);
        assert_eq!(
            (after[0], after[2]),
            (before[0], before[2]),
            "the others kept running"
        );
        assert_ne!(after[1], before[1], "replica 1 has a new process");
        assert_eq!(running.snapshot().nodes.len(), 4);
        running.shutdown(Duration::from_secs(5)).unwrap();
    });
}

#[test]
fn the_topology_draws_one_stacked_node_and_the_plan_starts_each_replica() {
    let topology = Pool::TOPOLOGY;
    assert_eq!(topology.nodes[0].replicas, 3);
    assert!(topology.to_svg().contains("worker ×3"));
    assert!(topology.to_mermaid().contains("worker ×3"));
    // The dynamic graph the macro builds agrees with the declaration.
    let graph = pool("true").graph();
    let mut built = graph.topology();
    built
        .nodes
        .to_mut()
        .iter_mut()
        .for_each(|n| n.command = None);
    built.name = topology.name.clone();
    let mut declared = topology.clone();
    declared
        .edges
        .to_mut()
        .iter_mut()
        .for_each(|e| e.doc = None);
    assert_eq!(built, declared);
    let plan = graph.plan().unwrap().to_string();
    for replica in ["worker[0]", "worker[1]", "worker[2]"] {
        assert!(plan.contains(replica), "{plan}");
    }
    // Replica ids: 0 keeps the declared id, the others follow the nodes.
    let ids: Vec<usize> = PoolNode::ALL.iter().map(|n| n.id().index()).collect();
    assert_eq!(ids, [0, 2, 3, 1]);
    for node in PoolNode::ALL {
        assert_eq!(PoolNode::from_id(node.id()), Some(*node));
    }
    assert_eq!(PoolNode::Worker(2).to_string(), "worker[2]");
}

/// A replica cannot read or write another's pipe: its only pipes are fds
/// 0, 1 and 2, its stdin a pipe of its own, its stdout the shared one.
#[test]
fn each_replica_holds_only_its_own_pipe() {
    common::within(Duration::from_secs(20), "replica fd tables", || {
        let mut running = pool("exec sleep 600").spawn().unwrap();
        let tables: Vec<_> = (0..3)
            .map(|i| common::fds_of(running.worker(i).pid().unwrap()))
            .collect();
        for table in &tables {
            // `sleep` opens locale files of its own as it starts; what the
            // graph could leak is a pipe or a socket. Fd 2 is the test's own
            // stderr, a pipe or a file depending on how the test is run.
            let channels: Vec<i32> = table
                .iter()
                .filter(|&(&fd, _)| fd != 2)
                .filter(|(_, target)| target.starts_with("pipe:") || target.starts_with("socket:"))
                .map(|(&fd, _)| fd)
                .collect();
            assert_eq!(channels, [0, 1], "{table:?}");
        }
        let stdins: std::collections::BTreeSet<_> = tables.iter().map(|t| &t[&0]).collect();
        let stdouts: std::collections::BTreeSet<_> = tables.iter().map(|t| &t[&1]).collect();
        assert_eq!(stdins.len(), 3, "one pipe per replica: {stdins:?}");
        assert_eq!(stdouts.len(), 1, "one shared pipe: {stdouts:?}");
        running.shutdown(Duration::from_secs(5)).unwrap();
    });
}
