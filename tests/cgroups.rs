//! Containment by cgroups: every node runs in a cgroup of its own, so what it
//! starts — setsid'd and double-forked daemons included — ends with it.
//!
//! Every test runs twice: as the user running the suite, and — when that is
//! root — again as uid 65534 in a delegated cgroup (root creates a cgroup,
//! chowns it and its `cgroup.procs`, `cgroup.subtree_control` and
//! `cgroup.threads` to 65534, and starts a copy of this binary in it under
//! `setpriv`). Where the application may not create cgroups the test says
//! so and skips; it never passes silently.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use common::delegated::{as_root_and_delegated, remove_when_empty, run_as_nobody};
use common::{live_marked_processes, marked, unique_marker};
use process_graph_runtime::{
    Command, Containment, Endpoint, Error, Event, ExitStatus, Graph, Namespace, NodeOptions,
    Readiness, ScopeSpec, Signal,
};

const APPLICATION: &str = "PROCESS_GRAPH_TEST_CGROUP_APPLICATION";
const KILLED_CGROUP: &str = "PROCESS_GRAPH_TEST_KILLED_CGROUP";
const ONE_WATCHER: &str = "PROCESS_GRAPH_TEST_ONE_WATCHER";
const NO_LEVELS: &str = "PROCESS_GRAPH_TEST_NO_LEVELS";

/// A node that starts a daemon the classic way — a new session, a fork, the
/// middle process gone — prints the daemon's pid and its own cgroup, and
/// exits.
const DAEMONIZE: &str = "setsid -w sh -c 'sleep 600 </dev/null >/dev/null 2>&1 & echo $!'; \
                         grep ^0:: /proc/self/cgroup";

use common::cgroup_dir;

/// Fails unless the node cgroup given by its `0::` line, and the graph's
/// cgroup around it, have been removed.
fn assert_removed(node_line: &str) {
    let node = cgroup_dir(node_line);
    assert!(
        node.parent()
            .unwrap()
            .starts_with(common::app_cgroup::own_cgroup()),
        "the node's cgroup {} is below the application's",
        node.display()
    );
    for dir in [&node, node.parent().unwrap()] {
        assert!(!dir.exists(), "{} was not removed", dir.display());
    }
}

/// Starts `count` nodes that each leave a daemon behind, waits for the
/// graph, and checks that no daemon and no cgroup is left.
fn daemons_are_gone_when_their_nodes_end(count: usize, scope: Option<ScopeSpec>) {
    let marker = unique_marker("daemon-node-ends");
    let mut graph = Graph::new();
    let options = match scope {
        Some(spec) => NodeOptions::new().scope(graph.scope("box", spec)),
        None => NodeOptions::new(),
    };
    let outs: Vec<_> = (0..count)
        .map(|k| {
            let node = graph.node_with(
                format!("daemonizer-{k}"),
                marked(Command::new("sh").args(["-c", DAEMONIZE]), &marker),
                options.clone(),
            );
            graph.pipe(node.stdout(), Endpoint::Parent)
        })
        .collect();
    let mut running = graph.spawn().unwrap();
    let texts: Vec<String> = outs
        .into_iter()
        .map(|out| common::read_to_end(&mut running, out))
        .collect();
    let report = running.wait().unwrap();
    assert!(report.success(), "{report:?}");
    // Gone when `wait` returns, not eventually.
    let left = live_marked_processes(&marker);
    assert!(left.is_empty(), "daemons outlived their nodes: {left:?}");
    for text in texts {
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "the daemon's pid and the cgroup: {text}");
        assert_removed(lines[1]);
    }
}

#[test]
fn a_daemon_is_gone_when_its_node_ends() {
    as_root_and_delegated("a_daemon_is_gone_when_its_node_ends", || {
        daemons_are_gone_when_their_nodes_end(1, None);
    });
}

/// A scope without a pid namespace does not contain a daemon; the node's
/// cgroup does (the program that joins the scope starts in it).
#[test]
fn a_daemon_of_a_node_in_a_scope_is_gone_when_its_node_ends() {
    as_root_and_delegated(
        "a_daemon_of_a_node_in_a_scope_is_gone_when_its_node_ends",
        || {
            let scope = ScopeSpec::new([Namespace::User, Namespace::Net]);
            daemons_are_gone_when_their_nodes_end(2, Some(scope));
        },
    );
}

/// Enough nodes for the wait set to move into epoll.
#[test]
fn the_daemons_of_many_nodes_are_gone_when_they_end() {
    as_root_and_delegated("the_daemons_of_many_nodes_are_gone_when_they_end", || {
        daemons_are_gone_when_their_nodes_end(12, None);
    });
}

/// Starts a node that leaves a daemon behind and exits, so its cgroup is
/// killed, and checks that the node's next start runs: the kernel SIGKILLs
/// a child cloned into a cgroup that was ever killed (see
/// `runtime/src/cgroup/tree.rs`), so the restart must get a fresh one.
fn restarts_after_a_cgroup_kill_run(scope: Option<ScopeSpec>) {
    use process_graph_runtime::Restart;
    let marker = unique_marker("restart-after-kill");
    let mut graph = Graph::new();
    let options = match scope {
        Some(spec) => NodeOptions::new().scope(graph.scope("box", spec)),
        None => NodeOptions::new(),
    };
    let script = "sleep 600 </dev/null >/dev/null 2>&1 & exit 3";
    let node = graph.node_with(
        "leaver",
        marked(Command::new("sh").args(["-c", script]), &marker),
        options.restart(Restart::Always),
    );
    let mut running = graph.spawn().unwrap();
    let mut exits = Vec::new();
    while exits.len() < 3 {
        match running.next_event(Some(common::DEATH_TIMEOUT)).unwrap() {
            Some(Event::Exited {
                node: n, status, ..
            }) if n == node => exits.push(status),
            Some(Event::StartFailed { error, .. }) => panic!("a restart failed: {error}"),
            Some(_) => {}
            None => panic!("the node was not restarted; exits so far: {exits:?}"),
        }
    }
    assert_eq!(
        exits,
        [ExitStatus::Exited(3); 3],
        "every start ran the node's program"
    );
    running.shutdown(Duration::from_secs(5)).unwrap();
    let left = live_marked_processes(&marker);
    assert!(left.is_empty(), "daemons outlived their nodes: {left:?}");
}

#[test]
fn a_node_restarted_after_its_cgroup_was_killed_runs() {
    as_root_and_delegated("a_node_restarted_after_its_cgroup_was_killed_runs", || {
        restarts_after_a_cgroup_kill_run(None);
    });
}

/// The hang of an earlier attempt at cgroups for scoped nodes: the restart's
/// child was SIGKILLed in the killed cgroup before it could exec.
#[test]
fn a_scoped_node_restarted_after_its_cgroup_was_killed_runs() {
    as_root_and_delegated(
        "a_scoped_node_restarted_after_its_cgroup_was_killed_runs",
        || {
            let scope = ScopeSpec::new([Namespace::User, Namespace::Pid]);
            restarts_after_a_cgroup_kill_run(Some(scope));
        },
    );
}

/// The application of the test below, started in a cgroup that was killed
/// once: from there, the kernel SIGKILLs every child cloned into a fresh
/// cgroup before its first instruction. Prints how each spawn failed.
#[test]
#[ignore = "the application of the test below, run in a copy of this binary"]
fn killed_cgroup_application_helper() {
    if std::env::var_os(KILLED_CGROUP).is_none() {
        return; // Only meaningful when started by the test below.
    }
    for scoped in [false, true] {
        let mut graph = Graph::new();
        graph.containment(Containment::Required);
        let options = match scoped {
            true => NodeOptions::new().scope(graph.scope("box", ScopeSpec::new([Namespace::User]))),
            false => NodeOptions::new(),
        };
        graph.node_with(format!("victim-{scoped}"), Command::new("true"), options);
        match graph.spawn() {
            Err(Error::Spawn(e)) => println!("\nspawn-error {} {:?}: {e}", e.node(), e.step()),
            Err(e) => println!("\nother-error {e}"),
            Ok(mut running) => println!("\nspawned {:?}", running.wait()),
        }
    }
}

/// The application of the test below, in a fresh process: five graphs one
/// after another, two side by side, then its watcher SIGKILLed and one
/// graph more; prints the watchers it had after each step.
#[test]
#[ignore = "the application of the test below, run in a copy of this binary"]
fn one_watcher_application_helper() {
    if std::env::var_os(ONE_WATCHER).is_none() {
        return; // Only meaningful when started by the test below.
    }
    let pids = || -> Vec<i32> { common::cgroup_watchers().iter().map(|p| p.pid).collect() };
    let graph = |program: &str| {
        let mut graph = Graph::new();
        graph.containment(Containment::Required);
        graph.node("node", Command::new(program).arg("600"));
        graph
    };
    for _ in 0..5 {
        graph("true").spawn().unwrap().wait().unwrap();
    }
    let one_after_another = pids();
    let side_by_side: Vec<_> = (0..2).map(|_| graph("sleep").spawn().unwrap()).collect();
    let beside = pids();
    for mut running in side_by_side {
        running.shutdown(Duration::from_secs(5)).unwrap();
    }
    let first = one_after_another[0];
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(first).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while common::proc_stat(first).is_some_and(|s| s.is_live()) {
        assert!(Instant::now() < deadline, "the watcher outlived SIGKILL");
        std::thread::sleep(Duration::from_millis(5));
    }
    graph("true").spawn().unwrap().wait().unwrap();
    let replaced = pids();
    let zombie = common::proc_stat(first).is_some();
    println!("\nafter five: {one_after_another:?}");
    println!("beside two: {beside:?}");
    println!("after the kill: {replaced:?}");
    println!("the killed one left: {zombie}");
}

/// One cgroup watcher per application, however many graphs it runs, one
/// after another or side by side; a watcher killed is replaced (and reaped)
/// by the next graph. A graph's spawn no longer starts and reaps a process
/// of its own for its cgroups (`bench spawn`, BENCHMARKS.md).
#[test]
fn one_watcher_serves_every_graph_of_an_application() {
    as_root_and_delegated("one_watcher_serves_every_graph_of_an_application", || {
        let (text, errors) =
            common::run_ignored_test("one_watcher_application_helper", &[(ONE_WATCHER, "1")]);
        let step = |label: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(label))
                .unwrap_or_else(|| panic!("no {label:?} in the report:\n{text}\n{errors}"))
                .to_owned()
        };
        let first = step("after five: ");
        assert!(
            !first.contains(',') && first != "[]",
            "one watcher after five graphs: {first}"
        );
        assert_eq!(
            step("beside two: "),
            first,
            "the same watcher beside two graphs"
        );
        let replaced = step("after the kill: ");
        assert!(
            !replaced.contains(',') && replaced != "[]" && replaced != first,
            "one new watcher after the kill: {replaced} (was {first})"
        );
        assert_eq!(
            step("the killed one left: "),
            "false",
            "the killed watcher is reaped"
        );
    });
}

/// A child killed before its `execve` is a spawn error that names the node
/// and the step, never a start: the report pipe's EOF and the vfork return
/// are told apart from an `execve` without a race.
#[test]
fn a_node_killed_before_its_exec_is_a_spawn_error() {
    as_root_and_delegated("a_node_killed_before_its_exec_is_a_spawn_error", || {
        let dir =
            common::app_cgroup::own_cgroup().join(format!("pg-test-{}", unique_marker("killed")));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("cgroup.kill"), "1").unwrap();
        let output = StdCommand::new("sh")
            .arg("-c")
            .arg(r#"echo $$ > "$0/cgroup.procs" && exec "$@""#)
            .arg(&dir)
            .arg(std::env::current_exe().unwrap())
            .args(common::ignored_test_args(
                "killed_cgroup_application_helper",
            ))
            .env(KILLED_CGROUP, "1")
            .output()
            .unwrap();
        // The failed spawns removed the graphs' cgroups: nothing is left in
        // the killed cgroup.
        let removed = remove_when_empty(&dir);
        let text = String::from_utf8_lossy(&output.stdout);
        for node in ["victim-false", "victim-true"] {
            assert!(
                text.contains(&format!(
                    "spawn-error {node} Killed: node {node:?}: reach execve"
                )),
                "{node} was not a Killed spawn error:\n{text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        removed.unwrap();
    });
}

/// The application of the test below, started in a cgroup with
/// `cgroup.max.depth` 0: prints how a graph with automatic containment ran
/// (and the cgroup its node was in), and how one that requires cgroups
/// failed.
#[test]
#[ignore = "the application of the test below, run in a copy of this binary"]
fn no_levels_application_helper() {
    if std::env::var_os(NO_LEVELS).is_none() {
        return; // Only meaningful when started by the test below.
    }
    let mut graph = Graph::new();
    let node = graph.node(
        "node",
        Command::new("grep").arg("^0::").arg("/proc/self/cgroup"),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let line = common::first_line(&mut running, out);
    let mine = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    println!(
        "\nauto {:?} same-cgroup {}",
        running.wait().map(|r| r.success()),
        mine.contains(line.trim())
    );
    let mut graph = Graph::new();
    graph.containment(Containment::Required);
    graph.node("node", Command::new("true"));
    match graph.spawn() {
        Err(Error::CgroupUnavailable { reason, .. }) => {
            println!("\nrequired unavailable: {reason}")
        }
        Err(e) => println!("\nrequired other error: {e}"),
        Ok(_) => println!("\nrequired spawned"),
    }
}

/// A program of this library nested in another's node runs in a cgroup
/// with fewer levels left below it at each nesting (two per program); where
/// none is left (`cgroup.max.depth` reached), a graph runs without cgroups
/// under automatic containment, and one that requires them fails with
/// `Error::CgroupUnavailable` naming the limit.
#[test]
fn a_cgroup_with_no_levels_left_runs_graphs_without_cgroups() {
    as_root_and_delegated(
        "a_cgroup_with_no_levels_left_runs_graphs_without_cgroups",
        || {
            let dir = common::app_cgroup::own_cgroup()
                .join(format!("pg-test-{}", unique_marker("no-levels")));
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("cgroup.max.depth"), "0").unwrap();
            let output = StdCommand::new("sh")
                .arg("-c")
                .arg(r#"echo $$ > "$0/cgroup.procs" && exec "$@""#)
                .arg(&dir)
                .arg(std::env::current_exe().unwrap())
                .args(common::ignored_test_args("no_levels_application_helper"))
                .env(NO_LEVELS, "1")
                .output()
                .unwrap();
            let removed = remove_when_empty(&dir);
            let text = String::from_utf8_lossy(&output.stdout);
            let explain = || format!("{text}\n{}", String::from_utf8_lossy(&output.stderr));
            assert!(
                text.contains("auto Ok(true) same-cgroup true"),
                "{}",
                explain()
            );
            assert!(
                text.contains("required unavailable: the application's cgroup")
                    && text.contains("cgroup.max.depth"),
                "{}",
                explain()
            );
            removed.unwrap();
        },
    );
}

/// Starts a node that leaves a daemon behind and ignores SIGTERM, shuts the
/// graph down, and checks that no daemon and no cgroup is left.
fn daemon_is_gone_when_shutdown_returns(scope: Option<ScopeSpec>) {
    let marker = unique_marker("daemon-shutdown");
    // The main process ignores SIGTERM: it is SIGKILLed after its stop
    // timeout, and the daemon with it.
    let script = format!("trap '' TERM; {DAEMONIZE}; exec sleep 600");
    let mut graph = Graph::new();
    let options = match scope {
        Some(spec) => NodeOptions::new().scope(graph.scope("box", spec)),
        None => NodeOptions::new(),
    };
    let node = graph.node_with(
        "daemonizer",
        marked(Command::new("sh").args(["-c", &script]), &marker),
        options.stop_timeout(Duration::from_millis(100)),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let mut out = BufReader::new(running.take_reader(out).unwrap());
    let (mut pid, mut cgroup) = (String::new(), String::new());
    out.read_line(&mut pid).unwrap();
    out.read_line(&mut cgroup).unwrap();
    let report = running.shutdown(Duration::from_secs(5)).unwrap();
    assert!(
        report.by_name("daemonizer").unwrap().killed_after_timeout,
        "{report:?}"
    );
    let left = live_marked_processes(&marker);
    assert!(
        left.is_empty(),
        "the daemon outlived the shutdown: {left:?}"
    );
    assert_removed(&cgroup);
}

#[test]
fn a_daemon_is_gone_when_shutdown_returns() {
    as_root_and_delegated("a_daemon_is_gone_when_shutdown_returns", || {
        daemon_is_gone_when_shutdown_returns(None);
    });
}

/// In a scope with no pid namespace (nothing there kills the daemon), as
/// root in it.
#[test]
fn a_daemon_of_a_node_in_a_scope_is_gone_when_shutdown_returns() {
    as_root_and_delegated(
        "a_daemon_of_a_node_in_a_scope_is_gone_when_shutdown_returns",
        || {
            let scope = ScopeSpec::new([Namespace::User, Namespace::Net]);
            daemon_is_gone_when_shutdown_returns(Some(scope));
        },
    );
}

/// The application holds no fd of a running node's cgroup: every fd it
/// holds is copied into each child it spawns, so two per node made each
/// spawn of a large graph cost more with every node.
#[test]
fn running_nodes_hold_no_fd_of_their_cgroups() {
    as_root_and_delegated("running_nodes_hold_no_fd_of_their_cgroups", || {
        const NODES: usize = 20;
        let mut graph = Graph::new();
        let outs: Vec<_> = (0..NODES)
            .map(|k| {
                let node = graph.node_with(
                    format!("sleeper-{k}"),
                    Command::new("sh").args(["-c", "grep ^0:: /proc/self/cgroup; exec sleep 600"]),
                    NodeOptions::new().stop_timeout(Duration::from_millis(100)),
                );
                graph.pipe(node.stdout(), Endpoint::Parent)
            })
            .collect();
        let mut running = graph.spawn().unwrap();
        let mut lines = Vec::new();
        for out in outs {
            let line = common::first_line(&mut running, out);
            lines.push(line);
        }
        // Every node is running: each has printed its cgroup.
        let graph_dir = cgroup_dir(&lines[0]).parent().unwrap().to_owned();
        let held: Vec<PathBuf> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            // The graph's own cgroup and its cgroup.events are held.
            .filter(|target| target.starts_with(&graph_dir) && target != &graph_dir)
            .filter(|target| target != &graph_dir.join("cgroup.events"))
            .collect();
        assert!(
            held.is_empty(),
            "the application holds fds of its nodes' cgroups: {held:?}"
        );
        running.shutdown(Duration::from_secs(5)).unwrap();
    });
}

#[test]
fn a_failed_spawn_leaves_no_cgroup_behind() {
    as_root_and_delegated("a_failed_spawn_leaves_no_cgroup_behind", || {
        let marker = unique_marker("failed-spawn");
        let dir = common::TempDir::new("failed-spawn");
        let seen = dir.path().join("cgroup");
        let script = format!(
            "grep ^0:: /proc/self/cgroup > {}; sleep 600 </dev/null >/dev/null 2>&1 & echo >&3; exec sleep 600",
            seen.display()
        );
        let mut graph = Graph::new();
        let first = graph.node_with(
            "first",
            marked(Command::new("sh").args(["-c", &script]), &marker),
            NodeOptions::new().ready(Readiness::Fd(3)),
        );
        graph.node_with(
            "broken",
            Command::new("/nonexistent/program"),
            NodeOptions::new().after([first]),
        );
        match graph.spawn() {
            Err(Error::Spawn(e)) => assert_eq!(e.node(), "broken"),
            other => panic!("expected the spawn of \"broken\" to fail, got {other:?}"),
        }
        let left = live_marked_processes(&marker);
        assert!(
            left.is_empty(),
            "processes outlived the failed spawn: {left:?}"
        );
        assert_removed(&std::fs::read_to_string(&seen).unwrap());
    });
}

#[test]
fn snapshot_counts_the_processes_in_each_node() {
    as_root_and_delegated("snapshot_counts_the_processes_in_each_node", || {
        let mut graph = Graph::new();
        let node = graph.node_with(
            "three",
            Command::new("sh").args([
                "-c",
                "setsid sleep 600 </dev/null >/dev/null 2>&1 & sleep 600 & echo >&3; wait",
            ]),
            NodeOptions::new().ready(Readiness::Fd(3)),
        );
        let mut running = graph.spawn().unwrap();
        while common::next_event_past_starts(&mut running, Some(common::DEATH_TIMEOUT))
            != Some(Event::Ready { node })
        {}
        // setsid(1) may still be on its way to exec: count until it settles.
        let deadline = Instant::now() + common::DEATH_TIMEOUT;
        while running.snapshot().nodes[0].processes != Some(3) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let snapshot = running.snapshot();
        assert_eq!(snapshot.nodes[0].processes, Some(3), "{snapshot}");
        assert!(snapshot.to_string().contains("PROCS"), "{snapshot}");
        running.shutdown(Duration::from_secs(5)).unwrap();
    });
}

#[test]
fn a_missing_controller_is_a_typed_error() {
    as_root_and_delegated("a_missing_controller_is_a_typed_error", || {
        let enabled = std::fs::read_to_string(
            common::app_cgroup::own_cgroup().join("cgroup.subtree_control"),
        )
        .unwrap_or_default();
        if enabled.split_whitespace().any(|c| c == "memory") {
            common::skip("memory is enabled for this cgroup's children: the error cannot occur");
            return;
        }
        let marker = unique_marker("controller");
        let mut graph = Graph::new();
        graph.node("free", marked(Command::new("sleep").arg("600"), &marker));
        graph.node_with(
            "limited",
            marked(Command::new("sleep").arg("600"), &marker),
            NodeOptions::new().memory_max(64 << 20),
        );
        let error = graph
            .spawn()
            .expect_err("memory is not enabled in cgroup v2");
        assert!(
            matches!(&error, Error::ControllerUnavailable { node, controller: "memory" } if node == "limited"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "node \"limited\": the memory controller is not available in the cgroup v2 hierarchy"
        );
        assert!(
            live_marked_processes(&marker).is_empty(),
            "nothing was started"
        );
    });
}

/// A declared graph: its keys reach the runtime.
#[process_graph::process_graph(cgroup = "required")]
struct Declared {
    #[process(memory_max = "64M")]
    limited: process_graph::Cmd,
}

#[test]
fn declared_limits_and_containment_reach_the_runtime() {
    as_root_and_delegated("declared_limits_and_containment_reach_the_runtime", || {
        let enabled = std::fs::read_to_string(
            common::app_cgroup::own_cgroup().join("cgroup.subtree_control"),
        )
        .unwrap_or_default();
        if enabled.split_whitespace().any(|c| c == "memory") {
            common::skip("memory is enabled for this cgroup's children: the error cannot occur");
            return;
        }
        let graph = Declared::new(process_graph::Cmd::new("true"));
        match graph.spawn() {
            Err(Error::ControllerUnavailable { node, controller }) => {
                assert_eq!((node.as_str(), controller), ("limited", "memory"));
            }
            other => panic!("expected the memory controller to be missing, got {other:?}"),
        }
    });
}

#[test]
fn resource_limits_are_written_where_the_controllers_are_enabled() {
    let enabled =
        std::fs::read_to_string(common::app_cgroup::own_cgroup().join("cgroup.subtree_control"))
            .unwrap_or_default();
    let missing: Vec<&str> = ["memory", "pids", "cpu"]
        .into_iter()
        .filter(|c| !enabled.split_whitespace().any(|e| e == *c))
        .collect();
    if !missing.is_empty() {
        common::skip(&format!(
            "the {} controller(s) are not enabled in cgroup v2 for this cgroup's children \
             (on a hybrid layout they are bound to v1): limits cannot be checked here",
            missing.join(", ")
        ));
        return;
    }
    let mut graph = Graph::new();
    let node = graph.node_with(
        "limited",
        Command::new("sh").args(["-c", "grep ^0:: /proc/self/cgroup"]),
        NodeOptions::new()
            .memory_max(64 << 20)
            .pids_max(16)
            .cpu_weight(50),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let line = common::read_to_end(&mut running, out);
    let dir = cgroup_dir(&line);
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    assert_eq!(read("memory.max").trim(), (64u64 << 20).to_string());
    assert_eq!(read("pids.max").trim(), "16");
    assert_eq!(read("cpu.weight").trim(), "50");
    running.wait().unwrap();
}

#[test]
fn an_oom_kill_is_reported_as_such() {
    let enabled =
        std::fs::read_to_string(common::app_cgroup::own_cgroup().join("cgroup.subtree_control"))
            .unwrap_or_default();
    if !enabled.split_whitespace().any(|c| c == "memory") {
        common::skip(
            "the memory controller is not enabled in cgroup v2 for this cgroup's children \
             (on a hybrid layout it is bound to v1): OOM kills cannot be provoked here",
        );
        return;
    }
    let mut graph = Graph::new();
    graph.node_with(
        "glutton",
        Command::new("python3").args(["-c", "x = bytearray(256 << 20)"]),
        NodeOptions::new().memory_max(32 << 20),
    );
    graph.node_with(
        "killed",
        Command::new("sh").args(["-c", "kill -KILL $$"]),
        NodeOptions::new().memory_max(32 << 20),
    );
    let report = graph.spawn().unwrap().wait().unwrap();
    let glutton = report.by_name("glutton").unwrap();
    assert_eq!(
        glutton.status,
        Some(ExitStatus::Signaled(Signal::KILL)),
        "{report}"
    );
    assert!(glutton.oom_killed, "{report}");
    let killed = report.by_name("killed").unwrap();
    assert_eq!(
        killed.status,
        Some(ExitStatus::Signaled(Signal::KILL)),
        "{report}"
    );
    assert!(
        !killed.oom_killed,
        "a plain SIGKILL is not an OOM kill: {report}"
    );
}

#[test]
fn required_containment_fails_where_cgroups_are_not_available() {
    if rustix::process::geteuid().as_raw() == 0 {
        // Root may create cgroups; uid 65534 in root's cgroup may not.
        let output = run_as_nobody(
            "required_containment_fails_where_cgroups_are_not_available",
            None,
        );
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && text.contains("1 passed"),
            "as uid 65534:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let marker = unique_marker("required");
    let mut graph = Graph::new();
    graph.node(
        "contained",
        marked(Command::new("sleep").arg("600"), &marker),
    );
    graph.containment(Containment::Required);
    match graph.spawn() {
        Err(Error::CgroupUnavailable { node: None, reason }) => {
            assert!(reason.contains("may not create cgroups"), "{reason}");
        }
        Ok(_) => common::skip("this user may create cgroups here"),
        Err(e) => panic!("expected CgroupUnavailable, got {e:?}"),
    }
    assert!(
        live_marked_processes(&marker).is_empty(),
        "nothing was started"
    );
    // Without the requirement the same graph runs, uncontained.
    let mut graph = Graph::new();
    graph.node("uncontained", Command::new("true"));
    assert!(graph.spawn().unwrap().wait().unwrap().success());
}

#[test]
#[ignore = "the application of the SIGKILL test below, run in a copy of this binary"]
fn cgroup_application_helper() {
    let Some(marker) = std::env::var_os(APPLICATION) else {
        return; // Only meaningful when started by the test below.
    };
    // A daemon that keeps forking: each round starts another sleeper.
    let script = "setsid sh -c 'while :; do sleep 600 & sleep 0.002; done' \
                  </dev/null >/dev/null 2>&1 & sleep 0.02; grep ^0:: /proc/self/cgroup; \
                  echo >&3; exec sleep 600";
    let mut graph = Graph::new();
    graph.node_with(
        "reforker",
        marked(
            Command::new("sh").args(["-c", script]),
            marker.to_str().unwrap(),
        ),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    common::serve_until_killed(graph.spawn().unwrap())
}

#[test]
fn sigkill_of_the_application_leaves_no_process_and_no_cgroup() {
    as_root_and_delegated(
        "sigkill_of_the_application_leaves_no_process_and_no_cgroup",
        || {
            const TRIALS: usize = 100;
            let (mut survivors, mut trials_with_survivors, mut cgroups_left) = (0, 0, 0);
            for _ in 0..TRIALS {
                let marker = unique_marker("sigkill");
                let (mut app, printed) =
                    common::start_application("cgroup_application_helper", APPLICATION, &marker);
                let cgroup = printed
                    .find("0::/")
                    .map(|at| printed[at..].lines().next().unwrap_or(""));
                let cgroup = cgroup_dir(cgroup.expect("the node printed its cgroup"));
                // The daemon has forked at least once: the node's main
                // process, the daemon and a sleeper.
                let started = Instant::now();
                while live_marked_processes(&marker).len() < 3 {
                    assert!(
                        started.elapsed() < common::DEATH_TIMEOUT,
                        "no daemon appeared"
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
                app.kill().unwrap();
                app.wait().unwrap();
                let graph = cgroup.parent().unwrap();
                let deadline = Instant::now() + Duration::from_secs(2);
                while (graph.exists() || !live_marked_processes(&marker).is_empty())
                    && Instant::now() < deadline
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
                let left = live_marked_processes(&marker);
                if !left.is_empty() {
                    survivors += left.len();
                    trials_with_survivors += 1;
                    for p in &left {
                        let _ = rustix::process::kill_process(
                            rustix::process::Pid::from_raw(p.pid).unwrap(),
                            rustix::process::Signal::KILL,
                        );
                    }
                }
                if graph.exists() {
                    cgroups_left += 1;
                }
            }
            // Written past libtest's capture, so the figure shows.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SIGKILL of the application, {TRIALS} trials with a re-forking daemon: \
                 {survivors} surviving processes in {trials_with_survivors} trials, \
                 the graph's cgroup left in {cgroups_left}"
            );
            assert_eq!(
                (survivors, cgroups_left),
                (0, 0),
                "processes or cgroups outlived the application"
            );
        },
    );
}

/// Cgroups beside the application's graphs that it did not make — one
/// named with its pid but another token, one with its token but another
/// pid, one named like nothing of ours — are left alone when its watcher
/// ends its graphs after a SIGKILL of the application.
#[test]
fn the_watcher_ends_only_its_own_applications_graphs() {
    as_root_and_delegated("the_watcher_ends_only_its_own_applications_graphs", || {
        let marker = unique_marker("decoys");
        let (mut app, printed) =
            common::start_application("cgroup_application_helper", APPLICATION, &marker);
        let line = printed
            .find("0::/")
            .map(|at| printed[at..].lines().next().unwrap_or(""));
        let graph = cgroup_dir(line.expect("the node printed its cgroup"))
            .parent()
            .unwrap()
            .to_owned();
        // `process-graph-PID-TOKEN-…`
        let name = graph.file_name().unwrap().to_str().unwrap().to_owned();
        let parts: Vec<&str> = name.splitn(5, '-').collect();
        let (pid, token) = (parts[2], parts[3]);
        let other_pid = pid.parse::<u32>().unwrap() + 1;
        let decoys: Vec<_> = [
            format!("process-graph-{pid}-0000000000000000-1"),
            format!("process-graph-{other_pid}-{token}-1"),
            "not-a-graph".to_owned(),
        ]
        .iter()
        .map(|decoy| graph.parent().unwrap().join(decoy))
        .collect();
        for decoy in &decoys {
            std::fs::create_dir(decoy).unwrap();
        }
        app.kill().unwrap();
        app.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while graph.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let kept: Vec<bool> = decoys.iter().map(|d| d.exists()).collect();
        for decoy in &decoys {
            let _ = std::fs::remove_dir(decoy);
        }
        assert!(!graph.exists(), "the watcher did not end the graph");
        assert!(live_marked_processes(&marker).is_empty());
        assert_eq!(
            kept, [true; 3],
            "a cgroup it did not make was removed: {decoys:?}"
        );
    });
}
