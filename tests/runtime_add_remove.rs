//! Nodes added to and removed from a running graph (`RunningGraph::add`,
//! `RunningGraph::remove`): 100 of them come and go, each with an edge to
//! the parent, while another node restarts all the time; afterwards the
//! application holds the fds it held before, and nothing of the removed
//! nodes is left — no process, no zombie, no cgroup.

mod common;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use common::{
    children_of_this_process, fds_besides_pidfds, live_marked_processes, marked, open_fds,
    run_until_seeing, unique_marker,
};
use process_graph_runtime::{Command, Endpoint, Error, Graph, NodeOptions, RunningGraph};

const ROUNDS: usize = 100;

fn added_and_removed_nodes_leave_nothing_behind() {
    common::within(Duration::from_secs(120), "100 adds and removes", || {
        let marker = unique_marker("add-remove");
        let mut running = common::ticking();
        let mut events = 0;
        let before = fds_besides_pidfds();
        let graph_cgroup = graph_cgroup_of(&running);
        for round in 0..ROUNDS {
            let mut more = Graph::new();
            let worker = more.node(
                "worker",
                marked(
                    Command::new("sh").args(["-c", "echo up; exec sleep 600"]),
                    &marker,
                ),
            );
            let out = more.pipe(worker.stdout(), Endpoint::Parent);
            // Every third round also a socketpair the application never takes.
            if round % 3 == 0 {
                more.socketpair(worker.fd(3), Endpoint::Parent);
            }
            let added = running.add(more).unwrap();
            let id = added.node(worker);
            // Every tenth round the application never takes the pipe either:
            // `remove` closes it.
            if round % 10 != 0 {
                let reader = running.take_reader(added.edge(out)).unwrap();
                let mut line = String::new();
                BufReader::new(reader).read_line(&mut line).unwrap();
                assert_eq!(line, "up\n", "round {round}");
            }
            running.remove([id]);
            run_until_seeing(&mut running, |_| events += 1, |r| r.state(id).is_final());
        }
        // The ticker is still supervised: it kept restarting throughout.
        assert!(
            events > ROUNDS,
            "only {events} events while nodes came and went"
        );
        assert_eq!(fds_besides_pidfds(), before, "fds leaked");
        let pidfds = open_fds().values().filter(|t| t.contains("pidfd")).count();
        // The ticker's, and the one of its last run while it restarts.
        assert!(pidfds <= 2, "{pidfds} pidfds open: {:?}", open_fds());
        let left = live_marked_processes(&marker);
        assert!(left.is_empty(), "removed nodes left processes: {left:?}");
        if let Some(dir) = &graph_cgroup {
            assert!(dir.is_dir(), "{} is the graph's cgroup", dir.display());
            let workers: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().contains("worker"))
                .map(|e| e.file_name())
                .collect();
            assert!(
                workers.is_empty(),
                "cgroups of removed nodes left: {workers:?}"
            );
        }
        assert_eq!(
            running.snapshot().nodes.len(),
            1,
            "removed nodes are not listed"
        );
        // The ticker exits every 10 ms and is reaped on the next turn: stop
        // it first, so that an unreaped child here is a leak.
        let ticker = process_graph_runtime::NodeId::from_index(0);
        running.stop(ticker);
        run_until_seeing(
            &mut running,
            |_| events += 1,
            |r| r.state(ticker).is_final(),
        );
        let zombies: Vec<_> = children_of_this_process()
            .into_iter()
            .filter(|p| !p.is_live())
            .collect();
        assert!(zombies.is_empty(), "zombies: {zombies:?}");
        running.wait().unwrap();
    });
}

/// The graph's cgroup, when it has cgroups: the parent of the ticker's.
fn graph_cgroup_of(running: &RunningGraph) -> Option<std::path::PathBuf> {
    let pid = (0..100).find_map(|_| {
        let pid = running.pid(process_graph_runtime::NodeId::from_index(0));
        if pid.is_none() {
            std::thread::sleep(Duration::from_millis(2));
        }
        pid
    })?;
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let line = text.lines().find(|l| l.starts_with("0::"))?;
    let node = common::cgroup_dir(line);
    let graph = node.parent()?;
    graph
        .file_name()?
        .to_string_lossy()
        .starts_with("process-graph")
        .then(|| graph.to_owned())
}

/// One test, so that no other test of this file opens fds meanwhile.
#[test]
fn nodes_come_and_go_while_events_flow() {
    common::as_root_and_unprivileged("nodes_come_and_go_while_events_flow", || {
        what_cannot_be_added_is_refused_and_nothing_is_added();
        added_and_removed_nodes_leave_nothing_behind();
    });
}

fn what_cannot_be_added_is_refused_and_nothing_is_added() {
    common::within(Duration::from_secs(20), "refused adds", || {
        let mut running = common::ticking();
        let count = running.snapshot().nodes.len();
        let mut clash = Graph::new();
        clash.node("ticker", Command::new("true"));
        assert!(matches!(running.add(clash), Err(Error::CannotAdd { .. })));
        let mut invalid = Graph::new();
        let a = invalid.node("a", Command::new("true"));
        invalid.pipe(a.stdin(), Endpoint::Parent);
        assert!(matches!(running.add(invalid), Err(Error::Invalid(_))));
        let mut probed = Graph::new();
        probed.node_with(
            "p",
            Command::new("true"),
            NodeOptions::new().ready_probe(process_graph_runtime::Probe::exec(["true"])),
        );
        let refused = running.add(probed).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "node \"p\": cannot be added to a running graph: its probes are set up at spawn"
        );
        assert_eq!(running.snapshot().nodes.len(), count);
        running.shutdown(Duration::from_secs(5)).unwrap();
    });
}
