//! A plain node with a cgroup of its own clones with `CLONE_PARENT`: its
//! clones are the application's children, not the node's. They are in the
//! node's cgroup, so the cgroup's kill at the node's end kills them, but a
//! killed process stays its parent's zombie until someone reaps it, and
//! only the application can: the runtime must, when the node ends (before
//! the end is reported and before the node starts again), and must never
//! reap a child the application made itself. A node that crash-loops, each
//! run leaving five clones in sessions of their own (so the node's process
//! group kill misses them), would otherwise pile up zombies until the
//! application ends, and fill the pid table long before. As root, and as
//! uid 65534 in a cgroup delegated to it.
//!
//! The runtime finds them two ways, and each case runs both: where some
//! clones outlive the node's main process, they are pinned by pidfds before
//! its cgroup is killed, and reaped once it is empty; the clones that ended
//! before, and all of them where the cgroup is empty at once, a `waitid`
//! peek shows one by one — unless the application's own zombie comes
//! first, which makes the runtime list the application's children.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::delegated::as_root_and_delegated;
use common::stray_cases::{self, BACKOFF, CLONES, CRASHES, End, SETTLE, assert_own_zombie};
use common::{ProcStat, children_of_this_process, proc_stat, unique_marker};
use process_graph_runtime::{
    Decision, Endpoint, Event, ExitStatus, Graph, NodeId, NodeOptions, Restart, RunningGraph,
};

/// In the node's environment: it is the hostile node,
/// [`crash_looping_cloner`], and how many of its clones sleep.
const CLONER: &str = "PG_TEST_CGROUP_STRAYS";

/// Every case in one test: they count this process's children, which a test
/// running beside them would add to.
#[test]
fn clone_parent_strays_of_a_node_with_a_cgroup_are_reaped_at_each_of_its_ends() {
    as_root_and_delegated(
        "clone_parent_strays_of_a_node_with_a_cgroup_are_reaped_at_each_of_its_ends",
        || {
            stray_cases::run_the_cases(Duration::from_secs(180), crash_loop);
        },
    );
}

/// Runs [`crash_looping_cloner`] as a node restarted on failure until it
/// crashed [`CRASHES`] times, `sleeping` of its clones alive at each crash,
/// then ends the graph as `end` says. At each
/// run it checks that the clones were made and are the application's
/// children; at each of the node's ends, that no zombie child is left but
/// `own` (the application's own zombie, if it made one), and `own` still
/// is; at the graph's end, that no child at all is left but `own`.
fn crash_loop(binary: &Path, own: Option<i32>, sleeping: usize, end: End) {
    let marker = unique_marker("cgroup-strays");
    let mut graph = Graph::new();
    let node = graph.node_with(
        "cloner",
        stray_cases::cloner(binary, CLONER, sleeping, &marker),
        NodeOptions::new()
            .restart(Restart::OnFailure)
            .backoff(BACKOFF, BACKOFF),
    );
    graph.intensity(u32::MAX, Duration::from_secs(1));
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let go = graph.pipe(Endpoint::Parent, node.stdin());
    let mut running = graph.spawn().unwrap();
    let lines = lines_of(&mut running, out);
    let mut go = running.take_writer(go).unwrap();
    let case =
        format!("{sleeping} clones sleeping, {end:?}, the application's own zombie: {own:?}");

    for run in 1.. {
        let pid = next_start(&mut running, node, run);
        let clones = clones_of_run(&lines, run);
        assert_clones_are_the_applications(pid, &clones, CLONES - sleeping, run);
        if run > CRASHES {
            // End::Shutdown: this run's clones are made, two of them alive.
            running.shutdown(Duration::from_secs(1)).unwrap();
            break;
        }
        go.write_all(b"\n").unwrap();
        let (status, decision) = next_end(&mut running, node, run);
        assert_eq!(status, ExitStatus::Exited(1), "run {run} crashed");
        assert!(
            matches!(decision, Decision::Restart { .. }),
            "run {run}: {decision:?}"
        );
        no_zombie_but(
            own,
            &format!("{case}: at the end of run {run}, clones {clones:?}"),
        );
        if run == CRASHES && matches!(end, End::Leave) {
            assert!(running.decide(Decision::Leave));
            running.wait().unwrap();
            break;
        }
    }
    stray_cases::nothing_left_after(running, own, &marker, &case);
}

/// The lines the node writes to `out`, read on a thread of their own.
fn lines_of(
    running: &mut RunningGraph,
    out: process_graph_runtime::EdgeId,
) -> mpsc::Receiver<String> {
    let reader = BufReader::new(running.take_reader(out).unwrap());
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    received
}

/// The pids of its clones that run `run` of the node reports (libtest's
/// own lines are passed over).
fn clones_of_run(lines: &mpsc::Receiver<String>, run: usize) -> Vec<i32> {
    let deadline = Instant::now() + SETTLE;
    let mut passed = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => match line.strip_prefix("clones ") {
                Some(pids) => {
                    return pids
                        .split_whitespace()
                        .map(|pid| pid.parse().unwrap())
                        .collect();
                }
                None => passed.push(line),
            },
            Err(e) => panic!("run {run} of the node reported no clones ({e}); it wrote {passed:?}"),
        }
    }
}

/// Fails unless each of `clones` is a child of this process in a session of
/// its own, the first `exiting` of them zombies and the others alive in
/// the cgroup of the node's main process `node`, which is not this
/// process's: the strays the runtime must reap really are there. (Once the
/// exiting ones are zombies they have left the cgroup, so where none
/// sleeps, the node's main process is alone in it when it exits.)
fn assert_clones_are_the_applications(node: u32, clones: &[i32], exiting: usize, run: usize) {
    assert_eq!(clones.len(), CLONES, "run {run}: the clones made");
    let me = std::process::id() as i32;
    let cgroup = common::cgroup_of(node).expect("the node's cgroup");
    assert_ne!(
        Some(&cgroup),
        common::cgroup_of(me as u32).as_ref(),
        "run {run}: the node has no cgroup of its own"
    );
    let describe = || {
        clones
            .iter()
            .map(|&pid| (pid, proc_stat(pid)))
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + SETTLE;
    loop {
        let stats: Vec<Option<ProcStat>> = clones.iter().map(|&pid| proc_stat(pid)).collect();
        for (i, stat) in stats.iter().enumerate() {
            let stat = stat.as_ref().unwrap_or_else(|| {
                panic!(
                    "run {run}: clone {} is gone before its node ended: {:?}",
                    clones[i],
                    describe()
                )
            });
            assert_eq!(
                stat.ppid,
                me,
                "run {run}: clone {} is not the application's child: {:?}",
                clones[i],
                describe()
            );
            assert_eq!(
                stat.pgrp, stat.pid,
                "run {run}: clone {} did not leave the node's process group",
                clones[i]
            );
        }
        let (ending, sleeping) = stats.split_at(exiting);
        let exited = ending.iter().flatten().all(|stat| stat.state == 'Z');
        assert!(
            sleeping.iter().flatten().all(ProcStat::is_live),
            "run {run}: a sleeping clone ended: {:?}",
            describe()
        );
        if exited {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "run {run}: the exiting clones are no zombies within {SETTLE:?}: {:?}",
            describe()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    for &pid in &clones[exiting..] {
        assert_eq!(
            common::cgroup_of(pid as u32).as_ref(),
            Some(&cgroup),
            "run {run}: clone {pid} is not in its node's cgroup"
        );
    }
}

/// The pid of `node`'s next start, its run number `run`.
fn next_start(running: &mut RunningGraph, node: NodeId, run: usize) -> u32 {
    loop {
        match next(running, run) {
            Event::Started { node: n, pid } if n == node => return pid,
            Event::Exited {
                node: n, status, ..
            } if n == node => {
                panic!("run {run} ended before it started: {status:?}")
            }
            _ => {}
        }
    }
}

/// How `node`'s run `run` ended, and what the runtime decided.
fn next_end(running: &mut RunningGraph, node: NodeId, run: usize) -> (ExitStatus, Decision) {
    loop {
        if let Event::Exited {
            node: n,
            status,
            decision,
        } = next(running, run)
            && n == node
        {
            return (status, decision);
        }
    }
}

/// The graph's next event, within [`SETTLE`]; a failed start fails the test.
fn next(running: &mut RunningGraph, run: usize) -> Event {
    match running.next_event(Some(SETTLE)).unwrap() {
        Some(Event::StartFailed { error, .. }) => panic!("run {run} failed to start: {error}"),
        Some(event) => event,
        None => panic!("run {run}: no event within {SETTLE:?}, or the graph ended"),
    }
}

/// Fails if this process has a zombie child other than `own`, or if `own`
/// is no longer its zombie.
fn no_zombie_but(own: Option<i32>, when: &str) {
    let children = children_of_this_process();
    let zombies = stray_cases::described_but(own, &children, |child| child.state == 'Z');
    assert!(
        zombies.is_empty(),
        "{when}: zombie children left: {zombies:?}"
    );
    assert_own_zombie(own, &children, when);
}

/// The hostile node ([`stray_cases::crash_looping_cloner`]).
#[test]
#[ignore = "the hostile node of the test above"]
fn crash_looping_cloner() {
    let clones = stray_cases::Clones {
        nested: false,
        held: 0,
        hide_proc: false,
        starve_init: false,
    };
    stray_cases::crash_looping_cloner(CLONER, clones);
}
