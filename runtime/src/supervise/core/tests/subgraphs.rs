//! Subgraphs as supervision levels: restarts counted per level, a subgraph
//! that exceeds its intensity failing as a unit to its parent, escalation;
//! `after` across a subgraph's border under `rest_for_one`.

use super::*;
use crate::graph::SubgraphFailure;

/// `db` (nodes `a`, `b`; one restart per second) nested in a graph with
/// node `web` (root intensity `root_max` per second, `strategy`).
fn site(on_failure: SubgraphFailure, root_max: u32, strategy: Strategy) -> Graph {
    let mut db = graph_of(&[always(), always()], Strategy::OneForOne);
    db.intensity(1, ms(1_000));
    let mut site = Graph::new();
    site.strategy(strategy);
    site.intensity(root_max, ms(1_000));
    site.node_with("web", Command::new("true"), always());
    site.subgraph("db", db, on_failure);
    site
}

/// Node indices in `site`: web 0, db.n0 1, db.n1 2.
const WEB: usize = 0;
const A: usize = 1;
const B: usize = 2;

fn subgraph_failures(events: &[Event]) -> Vec<(String, SubgraphFailure)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SubgraphFailed {
                subgraph,
                on_failure,
                ..
            } => Some((subgraph.clone(), *on_failure)),
            _ => None,
        })
        .collect()
}

#[test]
fn nodes_of_a_subgraph_are_named_by_path() {
    let graph = site(SubgraphFailure::Restart, 3, Strategy::OneForOne);
    let h = Harness::new(&graph);
    assert_eq!(h.core.names, ["web", "db.n0", "db.n1"]);
}

#[test]
fn a_subgraph_past_its_intensity_restarts_as_a_unit_and_counts_once_above() {
    let graph = site(SubgraphFailure::Restart, 3, Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.events();
    // The first failure of db.n0 is db's one restart: n0 alone.
    h.exit(A, FAILED, 10);
    assert!(subgraph_failures(&h.events()).is_empty());
    assert_eq!(h.automatic(10), []);
    assert_eq!(h.automatic(110), [Action::Spawn(A)]);
    // The second within db's period: db fails as a unit; the graph
    // restarts all of db (n1 is stopped first), web is left alone.
    h.exit(A, FAILED, 200);
    let events = h.events();
    assert_eq!(
        subgraph_failures(&events),
        [("db".to_owned(), SubgraphFailure::Restart)]
    );
    assert!(matches!(events.last(), Some(Event::SubgraphFailed { .. })));
    assert!(matches!(
        last_exit(&events),
        Some(Event::Exited {
            decision: Decision::Restart { .. },
            ..
        })
    ));
    assert_eq!(h.automatic(200), [Action::Signal(B, Signal::TERM)]);
    h.exit(B, ExitStatus::Signaled(Signal::TERM), 210);
    let at = h.deadline().unwrap();
    assert_eq!(h.automatic(at), [Action::Spawn(A), Action::Spawn(B)]);
    assert_eq!(h.core.nodes[WEB].state, NodeState::Running);
    // db starts over with a clean slate: its next failure is its own
    // restart again, not another failure of the unit.
    h.exit(A, FAILED, at + 10);
    assert!(subgraph_failures(&h.events()).is_empty());
    assert_eq!(h.core.outcome(), None);
}

#[test]
fn a_subgraph_failing_too_often_makes_the_enclosing_graph_give_up() {
    // The graph allows one restart per second: db's second failure as a
    // unit is one too many.
    let graph = site(SubgraphFailure::Restart, 1, Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    // db's own restart, then db fails as a unit: the graph's one restart.
    h.exit(A, FAILED, 10);
    h.automatic(10);
    assert_eq!(h.automatic(110), [Action::Spawn(A)]);
    h.exit(A, FAILED, 200);
    assert_eq!(h.automatic(200), [Action::Signal(B, Signal::TERM)]);
    h.exit(B, ExitStatus::Signaled(Signal::TERM), 210);
    let at = h.deadline().unwrap();
    assert_eq!(h.automatic(at), [Action::Spawn(A), Action::Spawn(B)]);
    // The same again within the graph's period: db's own restart is
    // allowed (its slate was cleaned), its failure as a unit is not.
    h.exit(A, FAILED, at + 10);
    h.automatic(at + 10);
    let again = h.deadline().unwrap();
    assert_eq!(h.automatic(again), [Action::Spawn(A)]);
    h.exit(A, FAILED, again + 10);
    let events = h.events();
    assert_eq!(
        subgraph_failures(&events),
        [("db".to_owned(), SubgraphFailure::Restart)]
    );
    assert!(matches!(events.last(), Some(Event::SubgraphFailed { .. })));
    assert!(matches!(
        last_exit(&events),
        Some(Event::Exited {
            decision: Decision::StopGraph,
            ..
        })
    ));
    h.core.apply_pending(h.at(again + 10));
    assert_eq!(
        h.core.outcome(),
        Some(Outcome::RestartIntensity {
            node: NodeId::from_index(A)
        })
    );
}

#[test]
fn an_escalating_subgraph_fails_the_graph_at_once() {
    let graph = site(SubgraphFailure::Escalate, 100, Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(A, FAILED, 10);
    h.automatic(10);
    h.automatic(110);
    h.exit(A, FAILED, 200);
    let events = h.events();
    assert_eq!(
        subgraph_failures(&events),
        [("db".to_owned(), SubgraphFailure::Escalate)]
    );
    assert!(matches!(events.last(), Some(Event::SubgraphFailed { .. })));
    assert!(matches!(
        last_exit(&events),
        Some(Event::Exited {
            decision: Decision::StopGraph,
            ..
        })
    ));
    h.core.apply_pending(h.at(200));
    assert_eq!(
        h.core.outcome(),
        Some(Outcome::RestartIntensity {
            node: NodeId::from_index(A)
        })
    );
    // The error names db's intensity, the one exceeded, not the graph's
    // (100 restarts, none used).
    assert_eq!(h.core.exceeded_intensity().max_restarts, 1);
}

#[test]
fn one_for_all_above_a_failed_subgraph_restarts_its_siblings_too() {
    let graph = site(SubgraphFailure::Restart, 3, Strategy::OneForAll);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(A, FAILED, 10);
    // db is one_for_one inside: its own restart leaves web alone.
    assert_eq!(h.automatic(10), []);
    assert_eq!(h.automatic(110), [Action::Spawn(A)]);
    h.exit(A, FAILED, 200);
    let mut stopped = h.automatic(200);
    stopped.sort_by_key(|a| format!("{a:?}"));
    assert_eq!(
        stopped,
        [
            Action::Signal(WEB, Signal::TERM),
            Action::Signal(B, Signal::TERM)
        ]
    );
}

#[test]
fn nested_subgraphs_fail_level_by_level() {
    // site > db > shard: the shard allows no restart, db one, the top ten.
    let mut shard = graph_of(&[always()], Strategy::OneForOne);
    shard.intensity(0, ms(1_000));
    let mut db = Graph::new();
    db.intensity(1, ms(1_000));
    db.node_with("primary", Command::new("true"), always());
    db.subgraph("shard", shard, SubgraphFailure::Restart);
    let mut graph = Graph::new();
    graph.intensity(10, ms(1_000));
    graph.subgraph("db", db, SubgraphFailure::Restart);
    let mut h = Harness::new(&graph);
    assert_eq!(h.core.names, ["db.primary", "db.shard.n0"]);
    h.round(0);
    h.events();
    // The shard gives up at once; db restarts it (its one restart).
    h.exit(1, FAILED, 10);
    assert_eq!(
        subgraph_failures(&h.events()),
        [("db.shard".to_owned(), SubgraphFailure::Restart)]
    );
    h.automatic(10);
    let at = h.deadline().unwrap();
    h.automatic(at);
    // Again: db has used its restart, so db fails too, and the top
    // restarts all of db.
    h.exit(1, FAILED, at + 10);
    assert_eq!(
        subgraph_failures(&h.events()),
        [
            ("db.shard".to_owned(), SubgraphFailure::Restart),
            ("db".to_owned(), SubgraphFailure::Restart)
        ]
    );
    assert_eq!(h.automatic(at + 10), [Action::Signal(0, Signal::TERM)]);
}

/// The last `Exited` event: the exit that made a level give up, told just
/// before the `SubgraphFailed` events it caused.
fn last_exit(events: &[Event]) -> Option<&Event> {
    events
        .iter()
        .rev()
        .find(|e| matches!(e, Event::Exited { .. }))
}

#[test]
fn members_of_a_subgraph_ending_together_fail_it_once() {
    // db has used its one restart; then both its nodes end in the same
    // round (a shared cause: one's exit makes the other's input end), each
    // decided before either is carried out. db fails once, as a unit, and
    // the graph counts one restart of it, not two.
    let graph = site(SubgraphFailure::Restart, 2, Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(A, FAILED, 10);
    h.automatic(10);
    assert_eq!(h.automatic(110), [Action::Spawn(A)]);
    h.events();
    h.exit(A, FAILED, 200);
    h.exit(B, FAILED, 200);
    // As `next_event` hands them out: each decision carried out before the
    // next event.
    let events: Vec<Event> = std::iter::from_fn(|| {
        h.core.apply_pending(h.at(200));
        h.core.pop_event()
    })
    .collect();
    assert_eq!(
        subgraph_failures(&events),
        [("db".to_owned(), SubgraphFailure::Restart)],
        "{events:?}"
    );
    h.automatic(200);
    let at = h.deadline().unwrap();
    assert_eq!(h.automatic(at), [Action::Spawn(A), Action::Spawn(B)]);
    // The graph allows two restarts: db failing once more as a unit is
    // still within it.
    h.exit(A, FAILED, at + 10);
    h.automatic(at + 10);
    let again = h.deadline().unwrap();
    h.automatic(again);
    h.exit(A, FAILED, again + 10);
    h.events();
    h.automatic(again + 10);
    assert_eq!(h.core.outcome(), None);
}

#[test]
fn a_removed_member_stays_down_when_its_subgraph_restarts() {
    let graph = site(SubgraphFailure::Restart, 3, Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(A, FAILED, 10);
    h.automatic(10);
    h.automatic(110);
    // db.n1 is being removed when db fails as a unit: the unit's restart
    // must not bring it back.
    h.core.remove(B);
    assert_eq!(h.automatic(150), [Action::Signal(B, Signal::TERM)]);
    h.exit(A, FAILED, 200);
    h.automatic(200);
    h.exit(B, ExitStatus::Signaled(Signal::TERM), 210);
    h.automatic(210);
    let at = h.deadline().unwrap();
    assert_eq!(h.automatic(at), [Action::Spawn(A)]);
    assert!(h.core.is_gone(B), "{:?}", h.core.nodes[B].state);
}

#[test]
fn subgraphs_added_at_run_time_are_levels_of_their_own() {
    let graph = site(SubgraphFailure::Restart, 10, Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    // Two graphs with a subgraph `db` each (one restart per second), added
    // while the graph runs: nodes 3, 4 and 5, 6.
    let added = |h: &mut Harness| {
        let mut db = graph_of(&[always(), always()], Strategy::OneForOne);
        db.intensity(1, ms(1_000));
        let mut more = Graph::new();
        more.subgraph("db", db, SubgraphFailure::Escalate);
        h.core.add(more, 0);
    };
    added(&mut h);
    added(&mut h);
    assert_eq!(h.core.names[3..], ["db.n0", "db.n1", "db.n0", "db.n1"]);
    h.round(10);
    // Every node has its (empty) probe state, as a snapshot reads it.
    assert!((0..7).all(|i| h.core.probe_snapshots(i).is_empty()));
    // Each added db uses its own one restart; neither fails as a unit.
    h.exit(3, FAILED, 20);
    h.automatic(20);
    h.exit(5, FAILED, 30);
    let events = h.events();
    assert!(subgraph_failures(&events).is_empty(), "{events:?}");
    h.automatic(30);
    assert_eq!(h.core.outcome(), None);
    // The first one's second failure escalates: the graph stops.
    h.automatic(200);
    h.exit(3, FAILED, 300);
    assert_eq!(
        subgraph_failures(&h.events()),
        [("db".to_owned(), SubgraphFailure::Escalate)]
    );
}

#[test]
fn two_subgraphs_restarting_at_once_each_wait_for_their_own_members() {
    // db1 and db2, one_for_all inside (three restarts each), side by side.
    let pair = || {
        let mut db = graph_of(&[always(), always()], Strategy::OneForAll);
        db.intensity(3, ms(1_000));
        db
    };
    let mut graph = Graph::new();
    graph.intensity(10, ms(1_000));
    graph.subgraph("db1", pair(), SubgraphFailure::Restart);
    graph.subgraph("db2", pair(), SubgraphFailure::Restart);
    let mut h = Harness::new(&graph);
    h.round(0);
    // db1.n0 fails: db1.n1 is stopped, and is slow to go.
    h.exit(0, FAILED, 10);
    assert_eq!(h.automatic(10), [Action::Signal(1, Signal::TERM)]);
    // Meanwhile db2.n0 fails: db2's own group restart begins.
    h.exit(2, FAILED, 20);
    assert_eq!(h.automatic(20), [Action::Signal(3, Signal::TERM)]);
    h.exit(3, ExitStatus::Signaled(Signal::TERM), 30);
    // Past both backoffs: db2 starts again, db1.n0 still waits for n1.
    assert_eq!(h.automatic(500), [Action::Spawn(2), Action::Spawn(3)]);
    h.exit(1, ExitStatus::Signaled(Signal::TERM), 600);
    assert_eq!(h.automatic(600), [Action::Spawn(0), Action::Spawn(1)]);
}

/// `db` (nodes `a`, `b`, no restart of its own allowed) after node `m`, and
/// node `web` after `db`, in a `rest_for_one` graph: `after` a subgraph is
/// `after` each of its nodes (`Graph::start_after`).
fn ordered_site() -> Graph {
    let mut db = graph_of(&[always(), always()], Strategy::OneForOne);
    db.intensity(0, ms(1_000));
    let mut site = Graph::new();
    site.strategy(Strategy::RestForOne);
    site.intensity(5, ms(1_000));
    let m = site.node_with("m", Command::new("true"), always());
    let nested = site.subgraph("db", db, SubgraphFailure::Restart);
    site.node_with("web", Command::new("true"), always().after(nested.nodes()));
    site.start_after(nested.nodes(), [m]);
    site
}

/// Node indices in `ordered_site`: m 0, db.n0 1, db.n1 2, web 3.
const M: usize = 0;
const WEB_AFTER_DB: usize = 3;

#[test]
fn rest_for_one_brings_down_the_nodes_after_a_subgraph_restarted_whole() {
    let mut h = Harness::new(&ordered_site());
    h.round(0);
    // db allows no restart: it fails as a unit; the graph restarts all of
    // db and, by `rest_for_one`, `web` after it; `m` stays up.
    h.exit(A, FAILED, 10);
    assert_eq!(
        subgraph_failures(&h.events()),
        [("db".to_owned(), SubgraphFailure::Restart)]
    );
    // Stopped as any group is, dependents first: `web`, then `b`.
    assert_eq!(
        h.automatic(10),
        [Action::Signal(WEB_AFTER_DB, Signal::TERM)]
    );
    h.exit(WEB_AFTER_DB, ExitStatus::Signaled(Signal::TERM), 20);
    assert_eq!(h.automatic(20), [Action::Signal(B, Signal::TERM)]);
    h.exit(B, ExitStatus::Signaled(Signal::TERM), 30);
    let at = h.deadline().unwrap();
    assert_eq!(
        h.automatic(at),
        [
            Action::Spawn(A),
            Action::Spawn(B),
            Action::Spawn(WEB_AFTER_DB)
        ]
    );
    assert_eq!(h.core.nodes[M].restarts, 0);
}

#[test]
fn rest_for_one_brings_down_a_subgraph_started_after_the_failed_node() {
    let mut h = Harness::new(&ordered_site());
    h.round(0);
    h.exit(M, FAILED, 10);
    // Dependents first: `web`, then db's nodes.
    assert_eq!(
        h.automatic(10),
        [Action::Signal(WEB_AFTER_DB, Signal::TERM)]
    );
    h.exit(WEB_AFTER_DB, ExitStatus::Signaled(Signal::TERM), 20);
    assert_eq!(
        h.automatic(20),
        [
            Action::Signal(A, Signal::TERM),
            Action::Signal(B, Signal::TERM)
        ]
    );
    for node in [A, B] {
        h.exit(node, ExitStatus::Signaled(Signal::TERM), 30);
    }
    // `m` first; db's nodes after it, `web` after them, in one round since
    // each is ready at exec.
    assert_eq!(
        h.automatic(110),
        [
            Action::Spawn(M),
            Action::Spawn(A),
            Action::Spawn(B),
            Action::Spawn(WEB_AFTER_DB)
        ]
    );
}
