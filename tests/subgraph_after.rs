//! `after` across subgraph borders: a node of the enclosing graph `after` a
//! subgraph starts once every node of it is ready (a one-shot job: done),
//! and `#[subgraph(after = [..])]` holds every node of the subgraph until
//! its dependencies are ready — in the macro and in the dynamic API, both
//! lowered to per-node `after` when the graph is built. Ordering is
//! asserted by what each process saw when it started (files its
//! dependencies create just before they become ready), never by timing:
//! the dependencies wait a little first only so that a wrong order shows.
//! A dependency that fails while `spawn` starts the graph fails `spawn`
//! with `Error::DependencyFailed`, as for any `after`. Under
//! `rest_for_one`, a subgraph restarted whole restarts the nodes after it.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use process_graph::prelude::*;
use process_graph::{Error, Running, SubgraphFailure};
use process_graph_runtime::{Command, Graph, NodeOptions, Readiness};

fn sh(script: &str) -> Cmd {
    Cmd::new("sh").args(["-c", script])
}

/// A process that writes `after` to `saw` when every file of `needs` exists
/// as it starts, `before` otherwise, then stays up.
fn records_whether(needs: &[&Path], saw: &Path) -> Cmd {
    let tests: Vec<String> = needs
        .iter()
        .map(|p| format!("[ -e '{}' ]", p.display()))
        .collect();
    sh(&format!(
        "if {}; then echo after > '{saw}'; else echo before > '{saw}'; fi; exec sleep 30",
        tests.join(" && "),
        saw = saw.display()
    ))
}

/// Becomes ready by `ready = fd(3)` a little after it starts, having
/// created `file` first.
fn ready_late(file: &Path) -> Cmd {
    sh(&format!(
        "sleep 0.2; touch '{}'; echo >&3; exec sleep 30",
        file.display()
    ))
}

/// A one-shot job that creates `file` a little after it starts, then exits 0.
fn done_late(file: &Path) -> Cmd {
    sh(&format!("sleep 0.2; touch '{}'", file.display()))
}

/// What a process wrote with [`records_whether`], once it has.
fn seen(saw: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(saw).unwrap_or_default();
        if text.ends_with('\n') || Instant::now() > deadline {
            return text.trim().to_owned();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A database that is ready once its primary says so and its seed job is done.
#[process_graph]
pub struct Db {
    #[process(ready = fd(3))]
    primary: Cmd,
    #[process(oneshot)]
    seed: Cmd,
}

/// `app` waits for the whole of `db`.
#[process_graph]
pub struct Site {
    #[process(after = [db])]
    app: Cmd,
    #[subgraph]
    db: Db,
}

/// Two workers that need what `migrate` creates.
#[process_graph]
pub struct Workers {
    #[process]
    a: Cmd,
    #[process]
    b: Cmd,
}

/// Every node of `workers` waits for the one-shot `migrate`.
#[process_graph]
pub struct Service {
    #[process(oneshot)]
    migrate: Cmd,
    #[subgraph(after = [migrate])]
    workers: Workers,
}

#[test]
fn a_node_after_a_subgraph_starts_once_every_node_of_it_is_ready() {
    common::as_root_and_unprivileged(
        "a_node_after_a_subgraph_starts_once_every_node_of_it_is_ready",
        || {
            let dir = common::TempDir::new("node-after-subgraph");
            let (primary, seeded, saw) = (
                dir.path().join("primary"),
                dir.path().join("seeded"),
                dir.path().join("saw"),
            );
            assert_eq!(Site::TOPOLOGY.nodes[0].after_subgraphs[..], [0]);
            let db = Db::new(ready_late(&primary), done_late(&seeded));
            let site = Site::new(records_whether(&[&primary, &seeded], &saw), db);
            let mut running = site.spawn().expect("spawn the site");
            assert_eq!(seen(&saw), "after", "app started before db was ready");
            running.shutdown(Duration::from_secs(5)).expect("stops");
        },
    );
}

#[test]
fn a_subgraph_after_a_one_shot_starts_once_it_is_done() {
    common::as_root_and_unprivileged("a_subgraph_after_a_one_shot_starts_once_it_is_done", || {
        let dir = common::TempDir::new("subgraph-after-oneshot");
        let migrated = dir.path().join("migrated");
        let (saw_a, saw_b) = (dir.path().join("saw_a"), dir.path().join("saw_b"));
        assert_eq!(Service::TOPOLOGY.subgraphs[0].after[..], [0]);
        let workers = Workers::new(
            records_whether(&[&migrated], &saw_a),
            records_whether(&[&migrated], &saw_b),
        );
        let mut running = Service::new(done_late(&migrated), workers)
            .spawn()
            .expect("spawn the service");
        assert_eq!(seen(&saw_a), "after", "workers.a started before migrate");
        assert_eq!(seen(&saw_b), "after", "workers.b started before migrate");
        running.shutdown(Duration::from_secs(5)).expect("stops");
    });
}

#[test]
fn a_dependency_failing_across_a_subgraph_border_fails_spawn_typed() {
    common::as_root_and_unprivileged(
        "a_dependency_failing_across_a_subgraph_border_fails_spawn_typed",
        || {
            // The subgraph's dependency fails: its first node cannot start.
            let workers = Workers::new(sh("exec sleep 30"), sh("exec sleep 30"));
            let spawned = Service::new(sh("exit 3"), workers).spawn();
            let Err(error @ Error::DependencyFailed { .. }) = spawned else {
                panic!("spawn did not fail with DependencyFailed")
            };
            assert_eq!(
                error.to_string(),
                "node \"workers.a\": cannot start, its dependency \"migrate\" ended \
                 without becoming ready (exited with code 3)"
            );
            // A node of the subgraph fails: the node after the subgraph
            // cannot start.
            let db = Db::new(sh("echo >&3; exec sleep 30"), sh("exit 4"));
            let spawned = Site::new(sh("exec sleep 30"), db).spawn();
            let Err(Error::DependencyFailed {
                node, dependency, ..
            }) = spawned
            else {
                panic!("spawn did not fail with DependencyFailed")
            };
            assert_eq!((node.as_str(), dependency.as_str()), ("app", "db.seed"));
        },
    );
}

#[test]
fn the_dynamic_api_orders_nodes_and_subgraphs_alike() {
    common::as_root_and_unprivileged("the_dynamic_api_orders_nodes_and_subgraphs_alike", || {
        let dir = common::TempDir::new("dynamic-subgraph-after");
        let path = |name: &str| dir.path().join(name);
        let (migrated, primary) = (path("migrated"), path("primary"));
        let (saw_primary, saw_app) = (path("saw_primary"), path("saw_app"));
        // db.primary records whether migrate was done, then becomes ready.
        let mut db = Graph::new();
        let records_then_ready = format!(
            "if [ -e '{m}' ]; then echo after > '{s}'; else echo before > '{s}'; fi; \
             sleep 0.2; touch '{p}'; echo >&3; exec sleep 30",
            m = migrated.display(),
            s = saw_primary.display(),
            p = primary.display()
        );
        db.node_with(
            "primary",
            Command::new("sh").args(["-c", &records_then_ready]),
            NodeOptions::new().ready(Readiness::Fd(3)),
        );
        let mut graph = Graph::new();
        let migrate = graph.node_with(
            "migrate",
            done_late(&migrated),
            NodeOptions::new().oneshot(true),
        );
        let db = graph.subgraph("db", db, SubgraphFailure::Restart);
        graph.start_after(db.nodes(), [migrate]);
        graph.node_with(
            "app",
            records_whether(&[&primary], &saw_app),
            NodeOptions::new().after(db.nodes()),
        );
        let mut running = graph.spawn().expect("spawn the graph");
        assert_eq!(seen(&saw_primary), "after", "db started before migrate");
        assert_eq!(seen(&saw_app), "after", "app started before db was ready");
        running.shutdown(Duration::from_secs(5)).expect("stops");
    });
}

/// A database whose primary fails once (its intensity allows no restart,
/// so the subgraph fails as a unit), then stays up.
#[process_graph(intensity = 0, period = "30s")]
pub struct Flaky {
    #[process(restart = "always", backoff = "10ms..10ms")]
    primary: Cmd,
}

/// `app` after `flaky`, `other` after nothing: `rest_for_one` restarts
/// `flaky` whole and, with it, what starts after it.
#[process_graph(strategy = "rest_for_one", intensity = 1, period = "30s")]
pub struct Dependent {
    #[process(after = [flaky], restart = "always")]
    app: Cmd,
    #[process(restart = "always")]
    other: Cmd,
    #[subgraph]
    flaky: Flaky,
}

/// The same under `one_for_one`: `after` orders starts, nothing more.
#[process_graph(intensity = 1, period = "30s")]
pub struct Independent {
    #[process(after = [flaky], restart = "always")]
    app: Cmd,
    #[process(restart = "always")]
    other: Cmd,
    #[subgraph]
    flaky: Flaky,
}

/// Fails the first time it runs (it leaves `marker` behind), then stays up.
fn fails_once(marker: &Path) -> Cmd {
    sh(&format!(
        "if [ -e '{m}' ]; then exec sleep 30; fi; touch '{m}'; exit 3",
        m = marker.display()
    ))
}

/// The nodes started, in order, until `enough` says so of them.
fn starts_until<N: GraphNode>(running: &mut Running<N>, enough: impl Fn(&[N]) -> bool) -> Vec<N> {
    let mut started = Vec::new();
    while !enough(&started) {
        match running
            .next_event(Some(Duration::from_secs(20)))
            .expect("events")
        {
            Some(GraphEvent::Started { node, .. }) => started.push(node),
            Some(_) => {}
            None => panic!("the graph ended: {started:?}"),
        }
    }
    started
}

/// How often `node` is in `started`.
fn count<N: PartialEq>(started: &[N], node: N) -> usize {
    started.iter().filter(|&n| *n == node).count()
}

#[test]
fn a_subgraph_restarted_whole_restarts_its_dependents_under_rest_for_one() {
    common::as_root_and_unprivileged(
        "a_subgraph_restarted_whole_restarts_its_dependents_under_rest_for_one",
        || {
            let dir = common::TempDir::new("subgraph-after-restart");
            let sleeper = || sh("exec sleep 30");

            let marker = dir.path().join("dependent");
            let flaky = Flaky::new(fails_once(&marker));
            let mut running = Dependent::new(sleeper(), sleeper(), flaky)
                .spawn()
                .expect("spawn");
            let primary = DependentNode::Flaky(FlakyNode::Primary);
            let app = DependentNode::App;
            let started = starts_until(&mut running, |s| {
                count(s, primary) == 2 && count(s, app) == 2
            });
            assert_eq!(count(&started, DependentNode::Other), 1, "{started:?}");
            running.shutdown(Duration::from_secs(5)).expect("stops");

            let marker = dir.path().join("independent");
            let flaky = Flaky::new(fails_once(&marker));
            let mut running = Independent::new(sleeper(), sleeper(), flaky)
                .spawn()
                .expect("spawn");
            let primary = IndependentNode::Flaky(FlakyNode::Primary);
            starts_until(&mut running, |s| count(s, primary) == 2);
            let report = running.shutdown(Duration::from_secs(5)).expect("stops");
            assert_eq!(report.get(IndependentNode::App).restarts, 0, "{report}");
        },
    );
}

/// Replicas `after` a subgraph, and a subgraph `after` replicas.
#[process_graph]
pub struct Farm {
    #[process(replicas = 2, after = [db])]
    worker: Cmd,
    #[subgraph]
    db: Db,
    #[subgraph(after = [worker])]
    tail: Workers,
}

#[test]
fn replicas_on_either_side_of_a_subgraph_border_are_ordered_each() {
    let sleeper = || sh("exec sleep 30");
    let graph = Farm::new(
        sleeper(),
        Db::new(sleeper(), sleeper()),
        Workers::new(sleeper(), sleeper()),
    )
    .graph();
    let plan = graph.plan().expect("a valid graph");
    let waves: Vec<Vec<String>> = plan
        .waves
        .iter()
        .map(|wave| {
            wave.iter()
                .map(|&n| plan.nodes[n.index()].name.clone())
                .collect()
        })
        .collect();
    assert_eq!(
        waves,
        [
            vec!["db.primary", "db.seed"],
            vec!["worker[0]", "worker[1]", "tail.a", "tail.b"],
        ],
        "{plan}"
    );
}
