//! A node dropped to a uid holds up the starts of its siblings dropped to
//! the same uid: they hold up no other uid's starts, nor the nodes started
//! directly.
//!
//! A node outside scopes that changes its ids (`Command::uid`) is started
//! through the carried program, which a node running as that uid can hold
//! up: signal it once it has taken the uid, or, as here, slow its `execve`.
//! The guarantee (README, "Limits to know"): at most 16 such starts to one
//! uid are under way at once, "so 16 of theirs held up hold up the rest of
//! that uid's, and no other uid's"; and nodes started directly never wait
//! for them.
//!
//! The attacker holds them up without stopping anything, which would hold
//! each start for a fraction of a second only (a stopped program is killed,
//! `tests/scope_held_up.rs`): it owns the program they run, a copy of
//! `sleep`, and holds a write lease on it, so that their `execve` waits for
//! the kernel's `lease-break-time` (45 s), well past the test. Root only: a
//! drop to another uid needs it.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, NodeId, NodeOptions, NodeState, RunningGraph};

/// The attacker's program: copies `/usr/bin/sleep` into a directory of its
/// own made in the directory named by its second argument, takes a write
/// lease on the copy, and writes the copy's path to the file named by its
/// first argument. Any `execve` (or `open`) of the copy then blocks,
/// breaking the lease, for `lease-break-time`: asleep, not stopped.
const LEASE_A_COPY_OF_SLEEP: &str = r#"
import fcntl, os, shutil, signal, sys, tempfile, time
signal.signal(signal.SIGIO, signal.SIG_IGN)
said, room = sys.argv[1], sys.argv[2]
mine = os.path.join(tempfile.mkdtemp(dir=room), "sleep")
shutil.copy("/usr/bin/sleep", mine)
fd = os.open(mine, os.O_RDONLY)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
open(said + ".part", "w").write(mine)
os.rename(said + ".part", said)
time.sleep(600)
"#;

/// More than may be under way at once to one uid.
const HELD: usize = 17;

/// Seventeen starts of nodes dropped to uid 65534, held in `execve` by a
/// node of that uid, one more than may be under way at once to one uid:
/// a node dropped to uid 65533 and a node started directly, added next,
/// start all the same, each within a second.
#[test]
fn starts_held_up_by_a_node_of_one_uid_hold_up_no_other_uid_nor_the_nodes_started_directly() {
    // It counts every child of this process.
    let _serial = common::serial();
    if !common::real_root() {
        return common::skip("only root may drop nodes to other uids");
    }
    common::within(Duration::from_secs(60), "held starts of one uid", || {
        let dir = common::TempDir::writable_by_scopes("dropped_held_up");
        let said = dir.path().join("leased");
        let mut graph = Graph::new();
        let lease = Command::new("/usr/bin/python3")
            .args(["-c", LEASE_A_COPY_OF_SLEEP])
            .arg(&said)
            .arg(dir.path());
        graph.node("attacker", common::dropped_to_65534(lease));
        let mut running = graph.spawn().unwrap();
        common::run_until_file_exists(&mut running, &said);
        let leased = std::fs::read_to_string(&said).unwrap();

        let mut held = Graph::new();
        let nodes: Vec<NodeId> = (0..HELD)
            .map(|i| {
                held.node_with(
                    format!("held{i}"),
                    common::dropped_to_65534(Command::new(&leased).arg("600")),
                    NodeOptions::new().stop_timeout(Duration::from_millis(200)),
                )
            })
            .collect();
        let added = running.add(held).unwrap();
        let nodes: Vec<NodeId> = nodes.into_iter().map(|n| added.node(n)).collect();
        // Into `execve` by now, and held there.
        run_for(&mut running, Duration::from_millis(500), |_| false);
        let count = |state| nodes.iter().filter(|&&n| running.state(n) == state).count();
        let (starting, waiting) = (count(NodeState::Starting), count(NodeState::Waiting));

        let mut more = Graph::new();
        let sleeper = || Command::new("sleep").arg("600");
        let other_uid = more.node("other-uid", common::dropped_to(sleeper(), 65533));
        let direct = more.node("direct", sleeper());
        let asked = Instant::now();
        let added = running.add(more).unwrap();
        let (other_uid, direct) = (added.node(other_uid), added.node(direct));
        run_for(&mut running, Duration::from_secs(5), |r| {
            r.pid(other_uid).is_some() && r.pid(direct).is_some()
        });
        let took = asked.elapsed();
        let (other_uid_pid, direct_pid) = (running.pid(other_uid), running.pid(direct));
        running.shutdown(Duration::from_secs(1)).unwrap();
        let left = common::children_of_this_process();
        eprintln!(
            "{starting} held starts under way, {waiting} waiting; the other uid's node and the \
             direct one started after {took:?}"
        );

        // Sixteen under way, held by the lease; the last waits its turn.
        assert_eq!(
            (starting, waiting),
            (HELD - 1, 1),
            "(starting, waiting): 16 starts to uid 65534 held under way, the 17th waiting its turn"
        );
        assert!(
            other_uid_pid.is_some() && direct_pid.is_some() && took < Duration::from_secs(1),
            "held up by another uid's starts: after {took:?}, the node of uid 65533 has pid \
             {other_uid_pid:?}, the node started directly {direct_pid:?}"
        );
        assert!(left.is_empty(), "left behind: {left:?}");
    });
}

/// Runs `running`'s loop until `done` or `limit`.
fn run_for(running: &mut RunningGraph, limit: Duration, done: impl Fn(&RunningGraph) -> bool) {
    let begin = Instant::now();
    while !done(running) && begin.elapsed() < limit {
        let _ = running.next_event(Some(Duration::from_millis(20))).unwrap();
    }
}
