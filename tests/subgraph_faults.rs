//! Faults injected into subgraphs (`Graph::subgraph`), and what is left
//! after each: processes, zombies, fds.
//!
//! - The application running a two-level subgraph whose nodes leave
//!   `setsid` daemons is SIGKILLed, 20 times with cgroups and 20 times
//!   without them but with each subgraph's nodes in a pid scope; without
//!   either, the daemons survive (the counting is shown to see them).
//! - A subgraph node crashes hundreds of times: the application's fds,
//!   zombies and processes stay flat, `SubgraphFailed` trips exactly when
//!   the subgraph's intensity says, and the escalation to the top ends in
//!   `Error::RestartIntensity` naming `db.primary`, with nothing left.
//! - A port keeps carrying data, in and out, while the node behind it
//!   restarts 100 times, with no pipe fd gained.
//! - A graph holding a subgraph is added and removed 100 times while
//!   events flow: each added subgraph keeps an intensity of its own.
//! - `one_for_all` at the top brings a failing subgraph's siblings down and
//!   up as many times as the top's intensity allows.
//!
//! The tests of this file take turns ([`serial`]): they count the fds and
//! the children of the whole process. Each runs as root and again as uid
//! 65534, except the SIGKILL trials with cgroups, which need root.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

use common::{
    children_of_this_process, fds_besides_pidfds, live_marked_processes, marked, open_fds, serial,
    unique_marker,
};
use process_graph_runtime::{
    Command, Containment, EdgeId, Endpoint, Error, Event, Graph, Namespace, NodeId, NodeOptions,
    Readiness, Restart, RunningGraph, ScopeSpec, Strategy, SubgraphFailure,
};

/// Writes past libtest's capture, so that the figures show.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// A long period: every restart of a test counts against its intensity.
const PERIOD: Duration = Duration::from_secs(60);

fn always(backoff: Duration) -> NodeOptions {
    NodeOptions::new()
        .restart(Restart::Always)
        .backoff(backoff, backoff)
}

fn sleeper(marker: &str) -> Command {
    marked(Command::new("sleep").arg("600"), marker)
}

fn pidfds() -> usize {
    open_fds().values().filter(|t| t.contains("pidfd")).count()
}

fn zombies() -> usize {
    children_of_this_process()
        .iter()
        .filter(|p| !p.is_live())
        .count()
}

/// Fails unless nothing of a finished graph, `running`, is left once it
/// is dropped: the fds of this process are `before`'s, no process carries
/// `marker`, no child is left.
fn assert_nothing_left(running: RunningGraph, before: &BTreeMap<i32, String>, marker: &str) {
    drop(running);
    assert_eq!(&open_fds(), before, "fds leaked");
    let left = live_marked_processes(marker);
    assert!(left.is_empty(), "processes left: {left:?}");
    let children = children_of_this_process();
    assert!(
        children.is_empty(),
        "children or zombies left: {children:?}"
    );
}

/// The `SubgraphFailed` events among `events`, as (subgraph, node).
fn subgraph_failures(events: &[Event]) -> Vec<(String, NodeId)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SubgraphFailed { subgraph, node, .. } => Some((subgraph.clone(), *node)),
            _ => None,
        })
        .collect()
}

fn starts(events: &[Event], node: NodeId) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Started { node: n, .. } if *n == node))
        .count()
}

// ---------------------------------------------------------------------
// 1. SIGKILL of the application.

/// The containment mode of the application of the SIGKILL trials, and
/// the marker of its processes (a unique sleep duration), space-separated.
const APPLICATION: &str = "PROCESS_GRAPH_TEST_SUBGRAPH_APPLICATION";

/// The nodes that leave a daemon behind (each a daemon and its own
/// `sleep`), and the one plain node.
const DAEMONIZERS: usize = 3;

/// A node that starts a daemon the classic way — a new session, the middle
/// process gone — then becomes a `sleep` itself; all sleep `marker`
/// seconds, which shows in their command lines.
fn daemonizer(marker: &str) -> Command {
    let script =
        format!("setsid sh -c 'sleep {marker} &' </dev/null >/dev/null 2>&1; exec sleep {marker}");
    Command::new("sh").args(["-c", &script])
}

/// The graph of the SIGKILL trials: `front` at the top, subgraph `site`
/// with `web`, and in it subgraph `db` with `primary` and `standby`. In
/// mode `scope` each subgraph's nodes share a pid scope and there are no
/// cgroups; in mode `cgroups` the graph requires cgroups; in mode `none`
/// it has neither.
fn two_level_graph(marker: &str, mode: &str) -> Graph {
    let scoped = |graph: &mut Graph| match mode {
        "scope" => NodeOptions::new()
            .scope(graph.scope("jail", ScopeSpec::new([Namespace::User, Namespace::Pid]))),
        _ => NodeOptions::new(),
    };
    let mut db = Graph::new();
    let options = scoped(&mut db);
    db.node_with("primary", daemonizer(marker), options.clone());
    db.node_with("standby", daemonizer(marker), options);
    let mut site = Graph::new();
    let options = scoped(&mut site);
    site.node_with("web", daemonizer(marker), options);
    site.subgraph("db", db, SubgraphFailure::Restart);
    let mut top = Graph::new();
    // Ready once it runs: the others are started by then.
    let front = format!("echo >&3; exec sleep {marker}");
    top.node_with(
        "front",
        Command::new("sh").args(["-c", &front]),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    top.subgraph("site", site, SubgraphFailure::Restart);
    top.containment(match mode {
        "cgroups" => Containment::Required,
        _ => Containment::Off,
    });
    top
}

#[test]
#[ignore = "the application of the SIGKILL tests below, run in a copy of this binary"]
fn subgraph_application_helper() {
    let Ok(given) = std::env::var(APPLICATION) else {
        return; // Only meaningful when started by the tests below.
    };
    let (mode, marker) = given.split_once(' ').expect("the mode, then the marker");
    common::serve_until_killed(two_level_graph(marker, mode).spawn().unwrap())
}

/// Processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<i32> {
    common::all_processes()
        .into_iter()
        .filter(|p| p.is_live())
        .filter(|p| {
            std::fs::read(format!("/proc/{}/cmdline", p.pid)).is_ok_and(|cmdline| {
                cmdline
                    .split(|&b| b == 0)
                    .any(|arg| arg == marker.as_bytes())
            })
        })
        .map(|p| p.pid)
        .collect()
}

/// SIGKILLs the application of `trials` trials in `mode`, this process a
/// subreaper meanwhile so that whatever the application leaves unreaped
/// is counted here. Returns the processes left alive after each trial (and
/// killed), and the orphans reaped here.
fn sigkill_trials(mode: &str, trials: usize) -> (usize, usize) {
    let me = rustix::process::getpid();
    rustix::process::set_child_subreaper(Some(me)).expect("PR_SET_CHILD_SUBREAPER");
    let (mut survivors, mut orphans) = (0, 0);
    for trial in 0..trials {
        let marker = format!("999.{}{:03}", std::process::id(), trial);
        let (mut app, _) = common::start_application(
            "subgraph_application_helper",
            APPLICATION,
            &format!("{mode} {marker}"),
        );
        // Every node runs, and every daemon has been forked.
        let expected = 1 + 2 * DAEMONIZERS;
        let started = Instant::now();
        while processes_with(&marker).len() < expected {
            assert!(
                started.elapsed() < common::DEATH_TIMEOUT,
                "mode {mode}: only {:?} of {expected} processes appeared",
                processes_with(&marker)
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        app.kill().unwrap();
        app.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        while !processes_with(&marker).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let left = processes_with(&marker);
        survivors += left.len();
        for pid in left {
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(pid).unwrap(),
                rustix::process::Signal::KILL,
            );
        }
        orphans += reap_orphans();
    }
    rustix::process::set_child_subreaper(None).expect("PR_SET_CHILD_SUBREAPER off");
    (survivors, orphans)
}

/// Reaps every child of this process (orphans of a killed application,
/// handed to this subreaper) as it exits; returns how many. Zombies go
/// first: a pid namespace's init, exiting, waits until every process of
/// its namespace is reaped, nodes that joined it from outside (children of
/// this subreaper by now) included. Reaping one may hand on its own
/// children, so this scans until none is left.
fn reap_orphans() -> usize {
    let deadline = Instant::now() + common::DEATH_TIMEOUT;
    let mut reaped = 0;
    loop {
        let children = children_of_this_process();
        if children.is_empty() {
            return reaped;
        }
        for child in children.iter().filter(|c| !c.is_live()) {
            let pid = rustix::process::Pid::from_raw(child.pid).unwrap();
            rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()).unwrap();
            reaped += 1;
        }
        if let Some(child) = children.iter().find(|c| c.is_live())
            && Instant::now() > deadline
        {
            panic!(
                "an orphan of the application lives on: {child:?}\n{}",
                std::fs::read_to_string(format!("/proc/{}/status", child.pid)).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

const TRIALS: usize = 20;

/// As root, and as uid 65534 in a delegated cgroup.
#[test]
fn sigkill_of_the_application_leaves_nothing_of_two_levels_in_cgroups() {
    let _serial = serial();
    common::delegated::as_root_and_delegated(
        "sigkill_of_the_application_leaves_nothing_of_two_levels_in_cgroups",
        || {
            let (survivors, orphans) = sigkill_trials("cgroups", TRIALS);
            say(&format!(
                "SIGKILL of the application, two-level subgraph in cgroups, {TRIALS} trials: \
                 {survivors} surviving processes, {orphans} orphans (all dead, reaped here)"
            ));
            assert_eq!(survivors, 0, "processes outlived the SIGKILLed application");
        },
    );
}

#[test]
fn sigkill_of_the_application_leaves_nothing_of_two_levels_in_pid_scopes() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "sigkill_of_the_application_leaves_nothing_of_two_levels_in_pid_scopes",
        || {
            let (survivors, orphans) = sigkill_trials("scope", TRIALS);
            say(&format!(
                "SIGKILL of the application, two-level subgraph in pid scopes, no cgroups, \
                 {TRIALS} trials: {survivors} surviving processes, {orphans} orphans \
                 (all dead, reaped here)"
            ));
            assert_eq!(survivors, 0, "processes outlived the SIGKILLed application");
            // Without cgroups and scopes the daemons survive, as the README
            // says: the count above would see them.
            let (uncontained, _) = sigkill_trials("none", 2);
            assert_eq!(uncontained, 2 * DAEMONIZERS, "the uncontained daemons");
        },
    );
}

// ---------------------------------------------------------------------
// 2. A node of a subgraph crashing in a loop.

/// The restarts `db` allows within its period.
const DB_RESTARTS: usize = 150;

/// Runs `running` to its end, handing every event to `each` as it comes.
fn run_to_the_end(running: &mut RunningGraph, mut each: impl FnMut(&Event)) -> Vec<Event> {
    let mut events = Vec::new();
    while let Some(event) = running.next_event(Some(Duration::from_secs(20))).unwrap() {
        each(&event);
        events.push(event);
    }
    events
}

fn a_crash_loop_in_a_subgraph_leaks_nothing_and_fails_as_its_intensity_says() {
    common::within(Duration::from_secs(60), "the crash loop", || {
        let marker = unique_marker("crash-loop");
        let before = open_fds();
        let mut db = Graph::new();
        db.intensity(DB_RESTARTS as u32, PERIOD);
        let primary = db.node_with(
            "primary",
            marked(Command::new("false"), &marker),
            always(Duration::ZERO),
        );
        let standby = db.node_with("standby", sleeper(&marker), always(Duration::ZERO));
        let mut top = Graph::new();
        top.intensity(1, PERIOD);
        let web = top.node("web", sleeper(&marker));
        let nested = top.subgraph("db", db, SubgraphFailure::Restart);
        let (primary, standby) = (nested.node(primary), nested.node(standby));
        let mut running = top.spawn().unwrap();

        // Sampled at every 25th exit of the primary, once all run.
        let (mut baseline, mut exits) = (None, 0);
        let (mut max_pidfds, mut max_zombies, mut max_processes) = (0, 0, 0);
        let mut failed_at = Vec::new();
        let events = run_to_the_end(&mut running, |event| match event {
            Event::Exited { node, .. } if *node == primary => {
                exits += 1;
                if exits % 25 == 0 {
                    let fds = fds_besides_pidfds();
                    let baseline = baseline.get_or_insert_with(|| fds.clone());
                    assert_eq!(&fds, baseline, "fds after {exits} exits");
                    max_pidfds = max_pidfds.max(pidfds());
                    max_zombies = max_zombies.max(zombies());
                    max_processes = max_processes.max(live_marked_processes(&marker).len());
                }
            }
            // After the exit that made db give up.
            Event::SubgraphFailed { .. } => failed_at.push(exits),
            _ => {}
        });
        let report = match running.wait() {
            Err(Error::RestartIntensity {
                node,
                report,
                max_restarts,
                ..
            }) => {
                assert_eq!(node, "db.primary");
                assert_eq!(max_restarts, 1, "the top's intensity was exceeded");
                report
            }
            other => panic!("{other:?}"),
        };
        say(&format!(
            "crash loop of db.primary, {exits} exits: at most {max_pidfds} pidfds, \
             {max_zombies} zombies, {max_processes} processes of the graph at once; \
             other fds unchanged"
        ));
        // db allows DB_RESTARTS, then fails as a unit at the next exit; the
        // top restarts it whole once (its intensity), db starts over with a
        // clean slate, and its next failure is one too many for the top.
        let n = DB_RESTARTS + 1;
        assert_eq!(failed_at, [n, 2 * n], "SubgraphFailed at these exits");
        assert_eq!(
            subgraph_failures(&events),
            [("db".to_owned(), primary), ("db".to_owned(), primary)]
        );
        assert_eq!(exits, 2 * n);
        assert_eq!(starts(&events, primary), 2 * n);
        assert_eq!(starts(&events, standby), 2, "brought down with db once");
        assert_eq!(starts(&events, web), 1, "one_for_one at the top");
        assert_eq!(
            report.by_name("db.primary").unwrap().restarts as usize,
            2 * n - 1
        );
        assert!(max_pidfds <= 3, "{max_pidfds} pidfds");
        assert!(max_zombies <= 1, "{max_zombies} zombies");
        assert!(max_processes <= 3, "{max_processes} processes");
        assert_nothing_left(running, &before, &marker);
    });
}

#[test]
fn a_crash_loop_in_a_subgraph() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "a_crash_loop_in_a_subgraph",
        a_crash_loop_in_a_subgraph_leaks_nothing_and_fails_as_its_intensity_says,
    );
}

// ---------------------------------------------------------------------
// 5. one_for_all at the top, over a failing subgraph.

fn one_for_all_brings_the_siblings_of_a_failing_subgraph_down_and_up() {
    common::within(Duration::from_secs(60), "one_for_all", || {
        let marker = unique_marker("one-for-all");
        let before = open_fds();
        let mut db = Graph::new();
        db.intensity(1, PERIOD);
        let crasher = Command::new("sh").args(["-c", "sleep 0.02; exit 3"]);
        let primary = db.node_with(
            "primary",
            marked(crasher, &marker),
            always(Duration::from_millis(5)),
        );
        let standby = db.node_with(
            "standby",
            sleeper(&marker),
            always(Duration::from_millis(5)),
        );
        let mut top = Graph::new();
        top.strategy(Strategy::OneForAll);
        top.intensity(2, PERIOD);
        let web1 = top.node_with("web1", sleeper(&marker), always(Duration::ZERO));
        let web2 = top.node_with("web2", sleeper(&marker), always(Duration::ZERO));
        let nested = top.subgraph("db", db, SubgraphFailure::Restart);
        let (primary, standby) = (nested.node(primary), nested.node(standby));
        let mut running = top.spawn().unwrap();
        let events = run_to_the_end(&mut running, |_| {});
        let lines: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
        match running.wait() {
            Err(Error::RestartIntensity { node, .. }) => assert_eq!(node, "db.primary"),
            other => panic!("{other:?}"),
        }
        // db restarts its primary once, then fails as a unit: the top
        // restarts everything, twice (its intensity); the third failure of
        // db stops the graph.
        assert_eq!(subgraph_failures(&events).len(), 3, "{lines:#?}");
        assert_eq!(starts(&events, primary), 6, "{lines:#?}");
        for sibling in [web1, web2, standby] {
            assert_eq!(starts(&events, sibling), 3, "{sibling:?}: {lines:#?}");
        }
        assert_nothing_left(running, &before, &marker);
    });
}

#[test]
fn one_for_all_over_a_failing_subgraph() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "one_for_all_over_a_failing_subgraph",
        one_for_all_brings_the_siblings_of_a_failing_subgraph_down_and_up,
    );
}

// ---------------------------------------------------------------------
// 3. Ports under restarts.

/// How many times the node behind the ports restarts.
const PORT_RESTARTS: usize = 100;

fn pipes() -> usize {
    open_fds()
        .values()
        .filter(|t| t.starts_with("pipe:"))
        .count()
}

fn ports_carry_data_across_restarts_of_the_node_behind_them() {
    common::within(Duration::from_secs(60), "ports under restarts", || {
        let marker = unique_marker("ports");
        let before = open_fds();
        // Each run of the primary passes one line from its input port to
        // its output port and fails: the next run must get the next line.
        let mut db = Graph::new();
        db.intensity(u32::MAX, PERIOD);
        let relay = Command::new("sh").args(["-c", "read -r line && echo \"$line\"; exit 1"]);
        let primary = db.node_with("primary", marked(relay, &marker), always(Duration::ZERO));
        let queries = db.pipe(Endpoint::Parent, primary.stdin());
        let answers = db.pipe(primary.stdout(), Endpoint::Parent);
        let mut top = Graph::new();
        let feeder = top.node(
            "feeder",
            marked(Command::new("seq").arg("1000000"), &marker),
        );
        let nested = top.subgraph("db", db, SubgraphFailure::Restart);
        top.connect(nested.edge(queries), feeder.stdout()).unwrap();
        let mut running = top.spawn().unwrap();
        let answers = running
            .take_reader(nested.edge(answers))
            .expect("the output port is a parent end");
        // Read on another thread while this one runs the event loop.
        let (sender, lines) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(answers).lines() {
                if sender.send(line.unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut pipes_seen = Vec::new();
        for expected in 1..=PORT_RESTARTS {
            let deadline = Instant::now() + Duration::from_secs(10);
            let line = loop {
                if let Ok(line) = lines.try_recv() {
                    break line;
                }
                assert!(
                    Instant::now() < deadline,
                    "run {expected}: no line came out"
                );
                running.next_event(Some(Duration::from_millis(5))).unwrap();
            };
            assert_eq!(line, expected.to_string(), "run {expected}");
            if expected % 10 == 0 {
                pipes_seen.push(pipes());
            }
        }
        let primary = nested.node(primary);
        let report = running.shutdown(Duration::from_secs(5)).unwrap();
        let restarts = report.by_name("db.primary").unwrap().restarts as usize;
        assert!(restarts >= PORT_RESTARTS - 1, "{restarts} restarts");
        say(&format!(
            "ports under {restarts} restarts of {}: pipe fds of the application {pipes_seen:?}",
            running.name(primary)
        ));
        assert!(
            pipes_seen.windows(2).all(|w| w[0] == w[1]),
            "pipe fds grew: {pipes_seen:?}"
        );
        drop(lines);
        reader.join().unwrap();
        assert_nothing_left(running, &before, &marker);
    });
}

#[test]
fn ports_under_restarts() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "ports_under_restarts",
        ports_carry_data_across_restarts_of_the_node_behind_them,
    );
}

// ---------------------------------------------------------------------
// 4. A graph holding a subgraph, added and removed at run time.

const ROUNDS: usize = 100;

/// A client feeding subgraph `db`, whose primary fails once and then says
/// `up` on an output port: each added `db` allows one restart, which each
/// round uses. `flag` is where the primary records its first run.
fn client_and_db(marker: &str, flag: &std::path::Path) -> (Graph, Vec<NodeId>, EdgeId) {
    let script = format!(
        "if [ -e {0} ]; then echo up; exec sleep 600; fi; : > {0}; exit 1",
        flag.display()
    );
    let mut db = Graph::new();
    db.intensity(1, PERIOD);
    let primary = db.node_with(
        "primary",
        marked(Command::new("sh").args(["-c", &script]), marker),
        always(Duration::from_millis(1)),
    );
    let standby = db.node("standby", sleeper(marker));
    let queries = db.pipe(Endpoint::Parent, primary.stdin());
    let out = db.pipe(primary.stdout(), Endpoint::Parent);
    let mut more = Graph::new();
    let client = more.node("client", sleeper(marker));
    let nested = more.subgraph("db", db, SubgraphFailure::Escalate);
    more.connect(nested.edge(queries), client.stdout()).unwrap();
    let nodes = vec![client, nested.node(primary), nested.node(standby)];
    (more, nodes, nested.edge(out))
}

/// A graph whose one node exits and is restarted all the time: events
/// keep flowing while subgraphs come and go.
fn ticking() -> RunningGraph {
    let mut graph = Graph::new();
    graph.node_with(
        "ticker",
        Command::new("sh").args(["-c", "sleep 0.01; exit 1"]),
        always(Duration::from_millis(1)),
    );
    graph.intensity(u32::MAX, PERIOD);
    graph.spawn().unwrap()
}

fn subgraphs_come_and_go_while_events_flow() {
    common::within(Duration::from_secs(120), "100 adds and removes", || {
        let marker = unique_marker("add-subgraph");
        let dir = common::TempDir::new("add-subgraph");
        let mut running = ticking();
        let mut events = Vec::new();
        while running.snapshot().nodes[0].pid.is_none() {
            events.extend(running.next_event(Some(Duration::from_millis(5))).unwrap());
        }
        let before = fds_besides_pidfds();
        for round in 0..ROUNDS {
            let (more, nodes, out) = client_and_db(&marker, &dir.path().join(round.to_string()));
            let added = running.add(more).unwrap();
            // Every tenth round the application never takes the port:
            // `remove` closes it.
            if round % 10 != 0 {
                let reader = running.take_reader(added.edge(out)).unwrap();
                let (sender, up) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let mut line = String::new();
                    BufReader::new(reader).read_line(&mut line).unwrap();
                    let _ = sender.send(line);
                });
                let line = loop {
                    if let Ok(line) = up.try_recv() {
                        break line;
                    }
                    events.extend(running.next_event(Some(Duration::from_millis(5))).unwrap());
                };
                assert_eq!(line, "up\n", "round {round}");
            } else {
                // The primary's second run, which stays up.
                let restarted = |r: &RunningGraph| {
                    r.snapshot()
                        .nodes
                        .iter()
                        .any(|n| n.name == "db.primary" && n.restarts == 1 && n.pid.is_some())
                };
                while !restarted(&running) {
                    events.extend(running.next_event(Some(Duration::from_millis(5))).unwrap());
                }
            }
            let ids: Vec<NodeId> = nodes.iter().map(|&n| added.node(n)).collect();
            running.remove(ids.clone());
            let deadline = Instant::now() + Duration::from_secs(10);
            while !ids.iter().all(|&n| running.state(n).is_final()) {
                assert!(Instant::now() < deadline, "round {round}: not removed");
                events.extend(running.next_event(Some(Duration::from_millis(5))).unwrap());
            }
        }
        // Each added db used its one restart and none failed as a unit: each
        // has an intensity of its own, not one shared by all the adds.
        let failures = subgraph_failures(&events);
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(running.snapshot().nodes.len(), 1, "removed nodes are gone");
        assert_eq!(fds_besides_pidfds(), before, "fds leaked");
        let left = live_marked_processes(&marker);
        assert!(left.is_empty(), "removed nodes left processes: {left:?}");
        let ticker = NodeId::from_index(0);
        let ticks = starts(&events, ticker);
        say(&format!(
            "{ROUNDS} adds and removes of a graph with a subgraph, {} events, \
             the ticker started {ticks} times: fds unchanged, no process left",
            events.len()
        ));
        assert!(ticks > 10, "events kept flowing: {ticks} ticks");
        running.stop(ticker);
        while !running.state(ticker).is_final() {
            running.next_event(Some(Duration::from_millis(5))).unwrap();
        }
        let zombies = zombies();
        assert_eq!(zombies, 0, "zombies: {:?}", children_of_this_process());
        running.wait().unwrap();
    });
}

#[test]
fn subgraphs_added_and_removed() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "subgraphs_added_and_removed",
        subgraphs_come_and_go_while_events_flow,
    );
}
