//! Attacks on the start through the carried program, which the event loop
//! does not wait for (a node in a scope is `Starting`, with no pid, until
//! the program's report is read). A scope-mate holds such a start in
//! `execve` with a lease (`common::LEASE`) while the application stops,
//! removes or restarts the node; and a graph of hundreds of scoped nodes
//! starts under a tight fd limit. Each test failed before its fix (stop 33,
//! found by a red-team pass over that change). Those that need no cgroup
//! run as root and again as uid 65534; those that do (the clone is reached
//! through the node's cgroup) run as whoever runs the tests.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Event, Graph, Namespace, NodeId, NodeOptions, NodeState, Restart,
    RunningGraph, ScopeId, ScopeSpec,
};

/// A graph with the leasing node in a scope of `namespaces`, running once
/// the lease is taken.
fn leased(
    namespaces: &[Namespace],
    containment: Containment,
) -> (RunningGraph, ScopeId, NodeId, common::TempDir) {
    let mut graph = Graph::new();
    graph.containment(containment);
    let scope = graph.scope("box", ScopeSpec::new(namespaces.iter().copied()));
    let (running, leaser, dir) =
        common::spawn_leased(graph, scope, NodeOptions::new(), common::LEASE, &[]);
    (running, scope, leaser, dir)
}

/// Runs `running`'s loop until `done` or `limit`; how long it took.
fn run_for(
    running: &mut RunningGraph,
    limit: Duration,
    done: impl Fn(&RunningGraph) -> bool,
) -> Duration {
    let begin = Instant::now();
    while !done(running) && begin.elapsed() < limit {
        let _ = running.next_event(Some(Duration::from_millis(20))).unwrap();
    }
    begin.elapsed()
}

/// A node whose start is held in `execve` (the program is the node: no pid
/// namespace) is removed the moment it is added, with a stop timeout of
/// zero: it ends at once. Its stop timeout runs out before the program's
/// "about to execve" report has been read; the kill then asked for is
/// carried out when that report comes (before: skipped, and the node stayed
/// `Starting` until the application's 30 s limit on the program).
#[test]
fn a_stop_timeout_that_runs_out_before_the_executing_report_still_cuts_the_start() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_stop_timeout_that_runs_out_before_the_executing_report_still_cuts_the_start",
        a_stop_timeout_that_runs_out_before_the_executing_report_still_cuts_the_start_as_this_user,
    );
}

fn a_stop_timeout_that_runs_out_before_the_executing_report_still_cuts_the_start_as_this_user() {
    let (mut running, scope, _leaser, _dir) =
        leased(&[Namespace::User, Namespace::Mount], Containment::Off);
    let mut more = Graph::new();
    let inside = more.running_scope(scope);
    let late = more.node_with(
        "late",
        Command::new("/usr/bin/sleep").arg("600"),
        NodeOptions::new()
            .scope(inside)
            .stop_timeout(Duration::ZERO),
    );
    let late = running.add(more).unwrap().node(late);
    assert_eq!(running.state(late), NodeState::Starting);
    running.remove([late]);
    let begin = Instant::now();
    let events = events_until(&mut running, Duration::from_secs(40), |r| {
        r.state(late).is_final()
    });
    let took = begin.elapsed();
    eprintln!("the removed node ended after {took:?}: {events:?}");
    assert!(
        took < Duration::from_secs(5),
        "the removal with a zero stop timeout took {took:?}: state {}",
        running.state(late)
    );
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// 300 nodes in one scope start under a soft `RLIMIT_NOFILE` of 400:
/// running, they hold 312 fds. A start under way holds its pidfd and its
/// report pipe; with every start of the pass under way at once the spawn
/// failed with `EMFILE` about the 190th node. At most 16 starts of a scope
/// are under way at once now.
#[test]
fn many_scoped_nodes_start_within_the_fds_they_need_to_run() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "many_scoped_nodes_start_within_the_fds_they_need_to_run",
        many_scoped_nodes_start_within_the_fds_they_need_to_run_as_this_user,
    );
}

fn many_scoped_nodes_start_within_the_fds_they_need_to_run_as_this_user() {
    let mut graph = Graph::new();
    let scope = graph.scope("s", ScopeSpec::new([Namespace::User]));
    for i in 0..300 {
        graph.node_with(
            format!("n{i}"),
            Command::new("sleep").arg("600"),
            NodeOptions::new().scope(scope),
        );
    }
    spawn_300_under_a_limit_of_400(graph, "scoped nodes");
}

/// The same for nodes outside scopes that change their ids, also started
/// through the carried program: they had no limit on their starts under
/// way. The uid is this process's own, so that the test runs unprivileged
/// too: a change to the same id still goes through the program.
#[test]
fn many_nodes_that_change_their_ids_start_within_the_fds_they_need_to_run() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "many_nodes_that_change_their_ids_start_within_the_fds_they_need_to_run",
        many_nodes_that_change_their_ids_start_within_the_fds_they_need_to_run_as_this_user,
    );
}

fn many_nodes_that_change_their_ids_start_within_the_fds_they_need_to_run_as_this_user() {
    let uid = rustix::process::geteuid().as_raw();
    let mut graph = Graph::new();
    for i in 0..300 {
        graph.node(format!("n{i}"), Command::new("sleep").arg("600").uid(uid));
    }
    spawn_300_under_a_limit_of_400(graph, "nodes that change their ids");
}

/// Spawns `graph` (300 nodes of `what`) under a soft `RLIMIT_NOFILE` of
/// 400, then stops it.
fn spawn_300_under_a_limit_of_400(graph: Graph, what: &str) {
    let nofile = rustix::process::Resource::Nofile;
    let old = rustix::process::getrlimit(nofile);
    let lowered = rustix::process::Rlimit {
        current: Some(400),
        maximum: old.maximum,
    };
    rustix::process::setrlimit(nofile, lowered).unwrap();
    let spawned = graph.spawn();
    let fds = common::open_fds().len();
    let result = spawned.map(|mut running| running.shutdown(Duration::from_secs(5)));
    rustix::process::setrlimit(nofile, old).unwrap();
    match result {
        Ok(stopped) => {
            stopped.unwrap();
        }
        Err(e) => panic!(
            "300 {what} under a limit of 400 fds: {} ({fds} fds open)",
            common::report(&e)
        ),
    }
}

/// A node added into a user + pid + mount scope (with cgroups), whose start
/// the leaser holds in `execve`: the running graph, the node, the leaser,
/// the children of this process before the add.
struct HeldPid {
    running: RunningGraph,
    late: NodeId,
    leaser: NodeId,
    children: Vec<common::ProcStat>,
    _dir: common::TempDir,
}

fn held_in_pid_scope(late_options: NodeOptions) -> Option<HeldPid> {
    // Each says why not.
    if !common::user_namespaces_available() || !common::cgroups_available() {
        return None;
    }
    let (mut running, scope, leaser, dir) = leased(
        &[Namespace::User, Namespace::Pid, Namespace::Mount],
        Containment::Auto,
    );
    let children = common::children_of_this_process();
    let mut more = Graph::new();
    let inside = more.running_scope(scope);
    let late = more.node_with(
        "late",
        Command::new("/usr/bin/sleep").arg("600"),
        late_options.scope(inside),
    );
    let late = running.add(more).unwrap().node(late);
    // Into `execve` by now, and held there.
    run_for(&mut running, Duration::from_millis(500), |_| false);
    assert_eq!(running.state(late), NodeState::Starting);
    Some(HeldPid {
        running,
        late,
        leaser,
        children,
        _dir: dir,
    })
}

/// Runs the loop until `done` (at most `limit`); the events seen.
fn events_until(
    running: &mut RunningGraph,
    limit: Duration,
    done: impl Fn(&RunningGraph) -> bool,
) -> Vec<Event> {
    let mut events = Vec::new();
    let begin = Instant::now();
    while !done(running) && begin.elapsed() < limit {
        if let Some(event) = running.next_event(Some(Duration::from_millis(20))).unwrap() {
            events.push(event);
        }
    }
    events
}

/// The node is removed while its start is held, and its stop timeout runs
/// out: nothing of it is left, not even a zombie. Before, the kill of its
/// cgroup killed the carried program too, before it could say which clone
/// it made; the clone, the application's child, died and nobody reaped it,
/// a zombie as long as the scope lived. The program is spared now, and
/// reports the clone it made.
#[test]
fn a_node_removed_while_its_start_is_held_leaves_no_zombie() {
    let _serial = common::serial();
    let Some(HeldPid {
        mut running,
        late,
        children,
        ..
    }) = held_in_pid_scope(NodeOptions::new().stop_timeout(Duration::from_millis(200)))
    else {
        return;
    };
    running.remove([late]);
    let events = events_until(&mut running, Duration::from_secs(10), |r| {
        r.state(late).is_final()
    });
    assert!(running.state(late).is_final(), "{events:?}");
    // What the removal may still have to reap.
    run_for(&mut running, Duration::from_millis(500), |_| false);
    let left = common::children_of_this_process();
    running.shutdown(Duration::from_secs(1)).unwrap();
    assert_eq!(
        left.len(),
        children.len(),
        "before the add: {children:?}; after the removal: {left:?} ({events:?})"
    );
}

/// A critical node is removed while its start is held: it ends stopped, as
/// a removal means. Before, the kill at its stop timeout made the start
/// fail, reported as `StartFailed`, and the failed start of a critical node
/// stopped the whole graph.
#[test]
fn removing_a_critical_node_while_its_start_is_held_does_not_stop_the_graph() {
    let _serial = common::serial();
    let options = NodeOptions::new()
        .critical(true)
        .stop_timeout(Duration::from_millis(200));
    let Some(HeldPid {
        mut running,
        late,
        leaser,
        ..
    }) = held_in_pid_scope(options)
    else {
        return;
    };
    running.remove([late]);
    let events = events_until(&mut running, Duration::from_secs(10), |r| {
        r.state(late).is_final()
    });
    run_for(&mut running, Duration::from_millis(300), |_| false);
    let (late_state, leaser_state) = (running.state(late), running.state(leaser));
    running.shutdown(Duration::from_secs(1)).unwrap();
    assert_eq!(
        late_state,
        NodeState::Stopped,
        "the removal did not end as a stop: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::StartFailed { .. })),
        "the removed node's start is reported failed: {events:?}"
    );
    assert_eq!(
        leaser_state,
        NodeState::Running,
        "the graph was stopped by the removal: {events:?}"
    );
}

/// A node asked to restart while its start is held starts again. Before,
/// the kill at its stop timeout failed the start, and the node ended
/// `Failed`, never restarted.
#[test]
fn a_node_restarted_while_its_start_is_held_starts_again() {
    let _serial = common::serial();
    let Some(HeldPid {
        mut running,
        late,
        children,
        ..
    }) = held_in_pid_scope(
        NodeOptions::new()
            .stop_timeout(Duration::from_millis(200))
            .restart(Restart::Always),
    )
    else {
        return;
    };
    // The first start's processes: the carried program and its clone,
    // held in `execve`.
    let pids = |list: &[common::ProcStat]| list.iter().map(|p| p.pid).collect::<Vec<_>>();
    let before = pids(&children);
    let first: Vec<i32> = pids(&common::children_of_this_process())
        .into_iter()
        .filter(|pid| !before.contains(pid))
        .collect();
    assert!(!first.is_empty(), "the held start has no process");
    running.restart(late);
    // Cut at its stop timeout (200 ms), it starts again, and the lease
    // holds that start too: it counts as a restart only once it runs, so
    // what shows it is a node starting, not one that ended.
    let events = events_until(&mut running, Duration::from_secs(3), |r| {
        r.state(late).is_final()
    });
    let state = running.state(late);
    let now = pids(&common::children_of_this_process());
    running.shutdown(Duration::from_secs(1)).unwrap();
    assert_eq!(
        state,
        NodeState::Starting,
        "asked to restart, the node is {state}: {events:?}"
    );
    // The first start's clone was killed and reaped, and a second start is
    // under way in processes of its own.
    let left: Vec<_> = first.iter().filter(|pid| now.contains(pid)).collect();
    assert!(
        left.is_empty(),
        "the first start's {left:?} are left: {now:?}"
    );
    assert!(
        now.iter().any(|pid| !before.contains(pid)),
        "no second start is under way: {now:?}"
    );
}

/// Seventeen starts held in `execve` in one scope, one more than may be
/// under way there at once: a node of another scope and a node outside
/// scopes, added next, start all the same, each within a second.
#[test]
fn starts_held_in_one_scope_hold_up_no_other_scope_nor_the_nodes_outside() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "starts_held_in_one_scope_hold_up_no_other_scope_nor_the_nodes_outside",
        || {
            if !common::user_namespaces_available() {
                return;
            }
            let (mut running, scope, _, _dir) = leased(
                &[Namespace::User, Namespace::Pid, Namespace::Mount],
                Containment::Auto,
            );
            let mut held = Graph::new();
            let inside = held.running_scope(scope);
            let late: Vec<NodeId> = (0..17)
                .map(|i| {
                    held.node_with(
                        format!("late{i}"),
                        Command::new("/usr/bin/sleep").arg("600"),
                        NodeOptions::new()
                            .scope(inside)
                            .stop_timeout(Duration::from_millis(200)),
                    )
                })
                .collect();
            let added = running.add(held).unwrap();
            let late: Vec<NodeId> = late.into_iter().map(|n| added.node(n)).collect();
            run_for(&mut running, Duration::from_millis(500), |_| false);
            let count = |state| late.iter().filter(|&&n| running.state(n) == state).count();
            // Sixteen under way, held by the lease; the last waits its turn.
            assert_eq!(
                (count(NodeState::Starting), count(NodeState::Waiting)),
                (16, 1),
                "the lease holds the starts of its scope"
            );
            let mut more = Graph::new();
            let other = more.scope("other", ScopeSpec::new([Namespace::User, Namespace::Pid]));
            let sleeper = || Command::new("sleep").arg("600");
            let scoped = more.node_with("other-scope", sleeper(), NodeOptions::new().scope(other));
            let plain = more.node("plain", sleeper());
            let added = running.add(more).unwrap();
            let (scoped, plain) = (added.node(scoped), added.node(plain));
            let took = run_for(&mut running, Duration::from_secs(5), |r| {
                r.pid(scoped).is_some() && r.pid(plain).is_some()
            });
            let (scoped_pid, plain_pid) = (running.pid(scoped), running.pid(plain));
            running.shutdown(Duration::from_secs(1)).unwrap();
            assert!(
                scoped_pid.is_some() && plain_pid.is_some() && took < Duration::from_secs(1),
                "held up by another scope's starts: {took:?} ({scoped_pid:?}, {plain_pid:?})"
            );
        },
    );
}
