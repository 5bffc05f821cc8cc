//! The core on a fake clock: a base instant plus offsets, and a fake driver
//! that spawns every node it is asked to and records each action.

use std::time::{Duration, Instant};

use super::{Action, Core, Input, NodeState};
use crate::Command;
use crate::error::{SpawnError, Step};
use crate::exit::{ExitStatus, Outcome};
use crate::graph::{Endpoint, Graph, NodeId};
use crate::policy::{NodeOptions, Readiness, Restart, Strategy};
use crate::signal::Signal;
use crate::supervise::{Decision, Event};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const FAILED: ExitStatus = ExitStatus::Exited(1);

/// A core over `graph`, and the fake clock's origin.
struct Harness {
    core: Core,
    t0: Instant,
}

impl Harness {
    fn new(graph: &Graph) -> Harness {
        Harness {
            core: Core::new(graph.clone()),
            t0: Instant::now(),
        }
    }

    fn at(&self, offset: u64) -> Instant {
        self.t0 + ms(offset)
    }

    /// One driver round at `offset` ms: every spawn succeeds (pid = 100 +
    /// index). Returns the actions, `ReleaseEdgesOf` left out.
    fn round(&mut self, offset: u64) -> Vec<Action> {
        let now = self.at(offset);
        let mut actions = Vec::new();
        self.core.advance(now);
        while let Some(action) = self.core.next_action() {
            if let Action::Spawn(node) = action {
                let ready_at_exec = self.core.options[node].ready_at_exec();
                let pid = 100 + node as u32;
                let input = Input::Spawned {
                    node,
                    pid,
                    ready_at_exec,
                };
                self.core.handle(input, now);
            }
            if !matches!(action, Action::ReleaseEdgesOf(_)) {
                actions.push(action);
            }
        }
        actions
    }

    /// `wait`'s round: decisions carried out (those handed out with an
    /// event too), events dropped.
    fn automatic(&mut self, offset: u64) -> Vec<Action> {
        self.core.apply_pending(self.at(offset));
        self.core.apply_undecided(self.at(offset));
        let actions = self.round(offset);
        self.core.clear_events();
        actions
    }

    fn exit(&mut self, node: usize, status: ExitStatus, offset: u64) {
        let now = self.at(offset);
        self.core.handle(Input::Exited { node, status }, now);
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.core.pop_event()).collect()
    }

    fn deadline(&self) -> Option<u64> {
        let next = self.core.next_deadline()?;
        Some(next.duration_since(self.t0).as_millis() as u64)
    }
}

fn graph_of(options: &[NodeOptions], strategy: Strategy) -> Graph {
    let mut graph = Graph::new();
    graph.strategy(strategy);
    for (i, o) in options.iter().enumerate() {
        graph.node_with(format!("n{i}"), Command::new("true"), o.clone());
    }
    graph
}

fn always() -> NodeOptions {
    NodeOptions::new()
        .restart(Restart::Always)
        .backoff(ms(100), ms(1_000))
}

#[test]
fn one_for_one_restarts_the_failed_node_after_its_backoff() {
    let graph = graph_of(&[always(), always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    assert_eq!(h.round(0), [Action::Spawn(0), Action::Spawn(1)]);
    assert_eq!(h.deadline(), None, "nothing to time: an idle graph sleeps");
    h.events();
    h.exit(0, FAILED, 10);
    let delay = ms(100);
    assert!(matches!(
        h.events()[..],
        [Event::Exited { decision: Decision::Restart { delay: d }, .. }] if d == delay
    ));
    assert_eq!(h.automatic(10), []);
    assert_eq!(h.core.nodes[0].state, NodeState::BackingOff);
    assert_eq!(h.deadline(), Some(110));
    assert_eq!(h.automatic(109), [], "not before its backoff");
    assert_eq!(h.automatic(110), [Action::Spawn(0)]);
    assert_eq!(h.core.nodes[0].restarts, 1);
    assert_eq!(h.core.nodes[1].restarts, 0);
}

#[test]
fn backoff_doubles_up_to_its_cap_and_starts_over_after_a_long_run() {
    let graph = graph_of(&[always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    let mut t = 0;
    let mut delays = Vec::new();
    for _ in 0..5 {
        t += 1;
        h.exit(0, FAILED, t);
        let Some(Event::Exited {
            decision: Decision::Restart { delay },
            ..
        }) = h.events().pop()
        else {
            panic!("no restart decided")
        };
        delays.push(delay.as_millis());
        h.automatic(t);
        t = h.deadline().unwrap();
        assert_eq!(h.automatic(t), [Action::Spawn(0)]);
        // Each run is short, except that the intensity is kept out of the
        // way by spacing the exits beyond its period.
        t += 6_000;
    }
    // The runs were longer than the cap (1 s): each starts over at 100 ms.
    assert_eq!(delays, [100, 100, 100, 100, 100]);

    let graph = graph_of(&[always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.core.levels.get_mut(0).intensity.max_restarts = 100;
    h.round(0);
    let (mut t, mut delays) = (0, Vec::new());
    for _ in 0..5 {
        t += 1;
        h.exit(0, FAILED, t);
        h.automatic(t);
        let at = h.deadline().unwrap();
        delays.push(at - t);
        t = at;
        h.automatic(t);
    }
    assert_eq!(
        delays,
        [100, 200, 400, 800, 1_000],
        "doubling, capped at 1 s"
    );
}

#[test]
fn intensity_stops_the_graph_within_its_period_and_forgets_older_restarts() {
    let graph = graph_of(&[always(), always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.core.levels.get_mut(0).intensity.max_restarts = 2;
    h.core.levels.get_mut(0).intensity.period = ms(1_000);
    h.round(0);
    h.exit(0, FAILED, 10);
    h.automatic(10);
    h.automatic(110);
    h.exit(0, FAILED, 200);
    h.automatic(200);
    h.automatic(400);
    // Two restarts within the period: the third exit stops the graph.
    h.exit(0, FAILED, 500);
    assert!(matches!(
        h.events()[..],
        [Event::Exited {
            decision: Decision::StopGraph,
            ..
        }]
    ));
    h.core.apply_pending(h.at(500));
    assert_eq!(
        h.core.outcome(),
        Some(Outcome::RestartIntensity {
            node: NodeId::from_index(0)
        })
    );
    assert_eq!(h.round(500), [Action::Signal(1, Signal::TERM)]);

    // The same exits spread wider than the period never hit the limit.
    let mut h = Harness::new(&graph);
    h.core.levels.get_mut(0).intensity.max_restarts = 2;
    h.core.levels.get_mut(0).intensity.period = ms(1_000);
    h.round(0);
    for t in [10, 1_200, 2_400, 3_600] {
        h.exit(0, FAILED, t);
        h.automatic(t);
        let at = h.deadline().unwrap();
        assert_eq!(h.automatic(at), [Action::Spawn(0)]);
    }
    assert_eq!(h.core.outcome(), None);
}

#[test]
fn exits_reaped_together_each_count_against_the_intensity() {
    let graph = graph_of(&[always(), always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.core.levels.get_mut(0).intensity.max_restarts = 1;
    h.round(0);
    h.exit(0, FAILED, 10);
    h.exit(1, FAILED, 10);
    let decisions: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Exited { decision, .. } => Some(decision),
            _ => None,
        })
        .collect();
    assert_eq!(
        decisions,
        [Decision::Restart { delay: ms(100) }, Decision::StopGraph]
    );
}

#[test]
fn one_for_all_stops_every_other_node_then_starts_all_together() {
    let graph = graph_of(&[always(), always(), always()], Strategy::OneForAll);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(1, FAILED, 10);
    assert_eq!(
        h.automatic(10),
        [
            Action::Signal(0, Signal::TERM),
            Action::Signal(2, Signal::TERM)
        ]
    );
    assert_eq!(h.automatic(200), [], "held until every member is down");
    h.exit(0, ExitStatus::Signaled(Signal::TERM), 210);
    assert_eq!(h.automatic(210), []);
    h.exit(2, ExitStatus::Signaled(Signal::TERM), 220);
    assert_eq!(
        h.automatic(220),
        [Action::Spawn(0), Action::Spawn(1), Action::Spawn(2)]
    );
}

#[test]
fn a_group_holds_its_members_until_the_last_is_down_whatever_the_order() {
    let graph = graph_of(
        &[always(), always(), always(), always(), always()],
        Strategy::OneForAll,
    );
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(3, FAILED, 10);
    assert_eq!(h.automatic(10).len(), 4, "the other four are stopped");
    // The first member seen alive goes first, then one past it, then the
    // one before it, so that the look for one alive wraps around.
    for (member, at) in [(0, 200), (4, 210), (1, 220)] {
        h.exit(member, ExitStatus::Signaled(Signal::TERM), at);
        assert_eq!(h.automatic(at), [], "held: node 2 is still up");
        assert!(
            h.core.agenda.nodes().is_empty(),
            "held or signalled, no member is looked at until something happens to it"
        );
    }
    h.exit(2, ExitStatus::Signaled(Signal::TERM), 230);
    assert_eq!(
        h.automatic(230),
        (0..5).map(Action::Spawn).collect::<Vec<_>>()
    );
}

#[test]
fn rest_for_one_restarts_the_node_and_what_reads_from_it() {
    let mut graph = graph_of(&[always(), always(), always()], Strategy::RestForOne);
    graph.pipe(
        NodeId::from_index(0).stdout(),
        NodeId::from_index(1).stdin(),
    );
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(0, FAILED, 10);
    assert_eq!(h.automatic(10), [Action::Signal(1, Signal::TERM)]);
    h.exit(1, ExitStatus::Signaled(Signal::TERM), 20);
    assert_eq!(h.automatic(110), [Action::Spawn(0), Action::Spawn(1)]);
    assert_eq!(h.core.nodes[2].restarts, 0);
}

#[test]
fn a_chain_stops_from_its_end_with_only_the_next_stop_on_the_agenda() {
    let after = |i: usize| always().after([NodeId::from_index(i)]);
    let mut graph = graph_of(
        &[always(), after(0), after(1), always()],
        Strategy::RestForOne,
    );
    graph.pipe(
        NodeId::from_index(2).stdout(),
        NodeId::from_index(3).stdin(),
    );
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(0, FAILED, 10);
    assert_eq!(h.automatic(10), [Action::Signal(3, Signal::TERM)]);
    for (node, next, at) in [(3, 2, 200), (2, 1, 210)] {
        h.exit(node, ExitStatus::Signaled(Signal::TERM), at);
        assert_eq!(h.automatic(at), [Action::Signal(next, Signal::TERM)]);
        assert!(
            h.core.agenda.nodes().is_empty(),
            "the stops that wait, and the nodes held, are off the agenda"
        );
    }
    h.exit(1, ExitStatus::Signaled(Signal::TERM), 220);
    assert_eq!(
        h.automatic(220),
        (0..4).map(Action::Spawn).collect::<Vec<_>>()
    );
}

/// Two nodes with a pipe each way: each depends on the other, so neither
/// may stop first; they stop together.
#[test]
fn nodes_with_pipes_both_ways_stop_together() {
    let mut graph = graph_of(&[always(), always()], Strategy::OneForOne);
    let (a, b) = (NodeId::from_index(0), NodeId::from_index(1));
    graph.pipe(a.stdout(), b.stdin());
    graph.pipe(b.stdout(), a.stdin());
    let mut h = Harness::new(&graph);
    h.round(0);
    h.core.stop_graph(Outcome::Shutdown);
    assert_eq!(
        h.automatic(10),
        [
            Action::Signal(0, Signal::TERM),
            Action::Signal(1, Signal::TERM)
        ]
    );
}

#[test]
fn a_stop_goes_to_dependents_first_and_kills_after_the_stop_timeout() {
    let mut graph = graph_of(
        &[NodeOptions::new(), NodeOptions::new()],
        Strategy::OneForOne,
    );
    graph.pipe(
        NodeId::from_index(0).stdout(),
        NodeId::from_index(1).stdin(),
    );
    graph.stop_timeout(ms(500));
    let mut h = Harness::new(&graph);
    h.round(0);
    h.core.stop_graph(Outcome::Shutdown);
    assert_eq!(h.automatic(10), [Action::Signal(1, Signal::TERM)]);
    assert_eq!(h.deadline(), Some(510));
    assert_eq!(h.automatic(509), []);
    assert_eq!(h.automatic(510), [Action::Kill(1)]);
    assert!(h.core.nodes[1].killed_after_timeout);
    assert_eq!(h.deadline(), None, "SIGKILL needs no timer");
    h.exit(1, ExitStatus::Signaled(Signal::KILL), 520);
    assert_eq!(h.automatic(520), [Action::Signal(0, Signal::TERM)]);
    h.exit(0, ExitStatus::Signaled(Signal::TERM), 530);
    assert_eq!(h.automatic(530), []);
    assert_eq!(h.deadline(), None, "an exit disarms the stop timeout");
    assert!(h.core.is_finished());
    assert!(!h.core.nodes[0].killed_after_timeout);
}

/// Node 0 has a readiness protocol and a 300 ms ready timeout; node 1
/// starts after it.
fn waiting_for_readiness() -> Harness {
    let ready = NodeOptions::new()
        .ready(Readiness::Fd(3))
        .ready_timeout(ms(300));
    let after = NodeOptions::new().after([NodeId::from_index(0)]);
    Harness::new(&graph_of(&[ready, after], Strategy::OneForOne))
}

#[test]
fn a_node_not_ready_in_time_is_killed_and_its_dependents_wait() {
    let mut h = waiting_for_readiness();
    assert_eq!(h.round(0), [Action::Spawn(0)], "1 waits for 0's readiness");
    assert_eq!(h.deadline(), Some(300));
    assert_eq!(h.round(300), [Action::Kill(0)]);
    assert!(h.events().contains(&Event::ReadyTimeout {
        node: NodeId::from_index(0)
    }));
    h.exit(0, ExitStatus::Signaled(Signal::KILL), 310);
    h.automatic(310);
    assert_eq!(h.core.nodes[1].state, NodeState::Failed);
    assert_eq!(
        h.core.outcome(),
        Some(Outcome::DependencyFailed {
            node: NodeId::from_index(1),
            dependency: NodeId::from_index(0)
        })
    );
}

#[test]
fn readiness_in_time_disarms_the_timer_and_starts_the_dependents() {
    let mut h = waiting_for_readiness();
    h.round(0);
    h.core.handle(Input::Ready { node: 0 }, h.at(50));
    assert_eq!(h.deadline(), None);
    assert_eq!(h.round(50), [Action::Spawn(1)]);
}

#[test]
fn a_failed_spawn_of_a_critical_node_stops_the_graph() {
    let graph = graph_of(
        &[NodeOptions::new(), NodeOptions::new().critical(true)],
        Strategy::OneForOne,
    );
    let mut h = Harness::new(&graph);
    let now = h.at(0);
    h.core.advance(now);
    assert_eq!(h.core.next_action(), Some(Action::Spawn(0)));
    let spawned = Input::Spawned {
        node: 0,
        pid: 100,
        ready_at_exec: true,
    };
    h.core.handle(spawned, now);
    assert_eq!(h.core.next_action(), Some(Action::Spawn(1)));
    let error = SpawnError::new(
        NodeId::from_index(1),
        "n1".into(),
        Step::Execve,
        libc::ENOENT,
    );
    h.core.handle(Input::SpawnFailed { node: 1, error }, now);
    assert!(matches!(
        h.core.next_action(),
        Some(Action::ReleaseEdgesOf(_))
    ));
    assert_eq!(
        h.core.outcome(),
        Some(Outcome::Critical {
            node: NodeId::from_index(1)
        })
    );
    assert!(h.core.failed_start().is_some());
    assert_eq!(h.round(1), [Action::Signal(0, Signal::TERM)]);
}

#[test]
fn endpoints_of_the_parent_are_no_dependency() {
    let mut graph = graph_of(&[always()], Strategy::RestForOne);
    graph.pipe(NodeId::from_index(0).stdout(), Endpoint::Parent);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(0, FAILED, 1);
    assert_eq!(h.automatic(1), []);
}

/// A probe with period 100 ms and timeout 30 ms (threshold 2 for liveness).
fn probe() -> crate::Probe {
    crate::Probe::tcp("127.0.0.1:80")
        .period(ms(100))
        .timeout(ms(30))
        .failure_threshold(2)
}

fn refused() -> crate::ProbeResult {
    crate::ProbeResult::Failed("refused".into())
}

#[test]
fn a_readiness_probe_runs_every_period_until_it_passes_then_dependents_start() {
    use crate::probe::ProbeKind::Ready;
    let server = NodeOptions::new().ready_probe(probe());
    let mut graph = graph_of(&[server], Strategy::OneForOne);
    graph.node_with(
        "client",
        Command::new("true"),
        NodeOptions::new().after([NodeId::from_index(0)]),
    );
    let mut h = Harness::new(&graph);
    assert_eq!(h.round(0), [Action::Spawn(0), Action::StartProbe(0, Ready)]);
    assert_eq!(h.deadline(), Some(30), "the attempt's timeout");
    let result = |h: &mut Harness, result, at| {
        let input = Input::ProbeResult {
            node: 0,
            kind: Ready,
            result,
        };
        h.core.handle(input, h.at(at));
    };
    result(&mut h, refused(), 5);
    assert_eq!(
        h.deadline(),
        Some(100),
        "one period after the attempt started"
    );
    assert!(matches!(
        h.events()[..],
        [
            Event::Started { .. },
            Event::ProbeFailed {
                probe: Ready,
                failures: 1,
                ..
            }
        ]
    ));
    assert_eq!(h.round(50), []);
    assert_eq!(h.round(100), [Action::StartProbe(0, Ready)]);
    // Past its timeout: cancelled, and a failure.
    assert_eq!(h.round(130), [Action::CancelProbe(0, Ready)]);
    assert!(matches!(
        h.events()[..],
        [Event::ProbeFailed {
            result: crate::ProbeResult::TimedOut,
            failures: 2,
            ..
        }]
    ));
    assert_eq!(h.round(200), [Action::StartProbe(0, Ready)]);
    result(&mut h, crate::ProbeResult::Passed, 201);
    assert_eq!(h.round(201), [Action::Spawn(1)]);
    assert_eq!(
        h.events()[0],
        Event::Ready {
            node: NodeId::from_index(0)
        }
    );
    assert_eq!(
        h.deadline(),
        None,
        "a ready node without liveness probe is not probed"
    );
}

#[test]
fn a_failing_liveness_probe_stops_the_node_and_its_restart_policy_decides() {
    use crate::probe::ProbeKind::Live;
    let options = always().live_probe(probe()).stop_timeout(ms(500));
    let graph = graph_of(&[options], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    assert_eq!(h.round(0), [Action::Spawn(0)]);
    assert_eq!(
        h.deadline(),
        Some(100),
        "the first attempt, one period after ready"
    );
    for (at, failures) in [(100, 1), (200, 2)] {
        assert_eq!(h.round(at), [Action::StartProbe(0, Live)]);
        let input = Input::ProbeResult {
            node: 0,
            kind: Live,
            result: refused(),
        };
        h.core.handle(input, h.at(at + 1));
        let _ = failures;
    }
    // The second failure in a row: the stop signal, SIGKILL at the timeout.
    assert_eq!(h.round(201), [Action::Signal(0, Signal::TERM)]);
    assert!(matches!(
        h.events()[..],
        [
            ..,
            Event::ProbeFailed { failures: 1, .. },
            Event::ProbeKilled { failures: 2, .. }
        ]
    ));
    assert_eq!(h.deadline(), Some(701));
    assert_eq!(h.round(701), [Action::Kill(0)]);
    h.exit(0, ExitStatus::Signaled(Signal::KILL), 702);
    // Decided as a failure: restarted.
    assert!(matches!(
        h.events()[..],
        [Event::Exited {
            decision: Decision::Restart { .. },
            ..
        }]
    ));
    assert!(h.core.nodes[0].killed_by_probe);
}

#[test]
fn a_liveness_attempt_past_its_timeout_kills_at_once_and_a_stop_ends_probing() {
    use crate::probe::ProbeKind::Live;
    let options = NodeOptions::new().live_probe(probe());
    let graph = graph_of(&[options], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    assert_eq!(h.round(100), [Action::StartProbe(0, Live)]);
    assert_eq!(
        h.round(130),
        [
            Action::CancelProbe(0, Live),
            Action::Signal(0, Signal::TERM)
        ]
    );
    assert!(matches!(
        h.events()[..],
        [
            ..,
            Event::ProbeKilled {
                result: crate::ProbeResult::TimedOut,
                failures: 1,
                ..
            }
        ]
    ));
    // A node being stopped is probed no more.
    let graph = graph_of(
        &[NodeOptions::new().live_probe(probe())],
        Strategy::OneForOne,
    );
    let mut h = Harness::new(&graph);
    h.round(0);
    assert_eq!(h.round(100), [Action::StartProbe(0, Live)]);
    h.core.stop_graph(Outcome::Shutdown);
    assert_eq!(
        h.round(110),
        [
            Action::Signal(0, Signal::TERM),
            Action::CancelProbe(0, Live)
        ]
    );
    assert_eq!(
        h.deadline(),
        Some(110 + 5_000),
        "only the stop timeout is left"
    );
}

/// A node that pings a watchdog every 200 ms, is probed for liveness every
/// 100 ms, and has a stop timeout of 500 ms; started and ready at 0.
fn watched(restart: Restart) -> Harness {
    let options = NodeOptions::new()
        .restart(restart)
        .backoff(ms(100), ms(1_000))
        .watchdog(ms(200))
        .live_probe(probe())
        .stop_timeout(ms(500));
    let graph = graph_of(&[options], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    assert_eq!(h.round(0), [Action::Spawn(0)]);
    h.events();
    h
}

#[test]
fn a_node_that_says_stopping_is_spared_its_watchdog_and_probes_but_not_its_stop_timeout() {
    use crate::probe::ProbeKind::Live;
    let mut h = watched(Restart::Always);
    assert_eq!(h.round(100), [Action::StartProbe(0, Live)]);
    h.core.handle(Input::Stopping { node: 0 }, h.at(150));
    assert_eq!(h.core.nodes[0].state, NodeState::Stopping);
    assert!(matches!(h.events()[..], [Event::Stopping { .. }]));
    // The probe in flight is dropped; no signal: it stops on its own.
    assert_eq!(h.round(150), [Action::CancelProbe(0, Live)]);
    assert_eq!(
        h.deadline(),
        Some(650),
        "no watchdog at 200, no probe at 200: only the stop timeout"
    );
    // Said twice, or asked to stop meanwhile: no second signal, same timer.
    h.core.handle(Input::Stopping { node: 0 }, h.at(300));
    h.core.stop_graph(Outcome::Shutdown);
    assert_eq!(h.round(300), []);
    assert_eq!(h.deadline(), Some(650));
    assert_eq!(h.round(650), [Action::Kill(0)]);
    assert!(h.core.nodes[0].killed_after_timeout);
}

#[test]
fn after_stopping_the_exit_is_decided_by_the_restart_policy() {
    // Exit 0 after STOPPING=1: on-failure leaves it, always restarts it.
    for (restart, restarted) in [(Restart::OnFailure, false), (Restart::Always, true)] {
        let mut h = watched(restart);
        h.core.handle(Input::Stopping { node: 0 }, h.at(10));
        h.round(10);
        h.exit(0, ExitStatus::Exited(0), 20);
        let events = h.events();
        let Some(Event::Exited { decision, .. }) = events.last() else {
            panic!("{events:?}");
        };
        assert_eq!(
            matches!(decision, Decision::Restart { .. }),
            restarted,
            "{restart:?}"
        );
        h.automatic(20);
        assert_eq!(
            h.deadline(),
            restarted.then_some(120),
            "its backoff, no stop timer left"
        );
    }
}

#[test]
fn a_stop_asked_for_after_stopping_keeps_the_node_down_whatever_its_policy() {
    // As systemd: STOPPING=1 alone leaves the exit to Restart=, but a stop
    // job (here the application's) forbids the restart.
    let mut h = watched(Restart::Always);
    h.core.handle(Input::Stopping { node: 0 }, h.at(10));
    h.round(10);
    h.core.request_stop(0, super::AfterStop::Leave);
    assert_eq!(h.round(20), [], "no second signal");
    h.exit(0, ExitStatus::Exited(0), 30);
    let events = h.events();
    let Some(Event::Exited { decision, .. }) = events.last() else {
        panic!("{events:?}");
    };
    assert_eq!(*decision, Decision::Leave);
    h.automatic(30);
    assert_eq!(h.deadline(), None, "nothing scheduled");
}

#[test]
fn stopping_is_ignored_from_a_node_that_is_not_alive() {
    let mut h = watched(Restart::Always);
    h.exit(0, FAILED, 10);
    h.events();
    h.core.handle(Input::Stopping { node: 0 }, h.at(11));
    assert_eq!(h.core.nodes[0].state, NodeState::Exited);
    assert_eq!(h.events(), []);
}

#[test]
fn a_new_main_pid_keeps_the_node_running_and_its_end_is_decided_as_any_exit() {
    let mut h = watched(Restart::OnFailure);
    h.core
        .handle(Input::MainPid { node: 0, pid: 4242 }, h.at(10));
    assert_eq!(
        h.events(),
        [Event::MainPid {
            node: NodeId::from_index(0),
            pid: 4242
        }]
    );
    assert_eq!(h.core.nodes[0].state, NodeState::Running);
    assert_eq!(h.round(10), [], "nothing to do");
    // The named process ended; its status could not be read: a failure.
    h.exit(0, ExitStatus::Unknown, 50);
    assert!(matches!(
        h.events()[..],
        [Event::Exited {
            status: ExitStatus::Unknown,
            decision: Decision::Restart { .. },
            ..
        }]
    ));
}

#[test]
fn a_refused_main_pid_is_reported_and_changes_nothing() {
    let mut h = watched(Restart::Always);
    let deadline = h.deadline();
    let refused = Input::MainPidRefused {
        node: 0,
        claimed: Some(1),
        reason: crate::MainPidRefusal::NotTheNodes,
    };
    h.core.handle(refused, h.at(10));
    assert_eq!(
        h.events(),
        [Event::MainPidRefused {
            node: NodeId::from_index(0),
            claimed: Some(1),
            reason: crate::MainPidRefusal::NotTheNodes,
        }]
    );
    assert_eq!(h.core.nodes[0].state, NodeState::Running);
    assert_eq!(h.round(10), []);
    assert_eq!(h.deadline(), deadline);
}

/// The random runs of the model tests (`liveness`, `releases`): xorshift64,
/// the same runs on every machine, no crate for it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One of the application's requests, drawn by the model tests at their
/// steps 8 to 11 and 13: stop, restart or remove node `i` (a remove one
/// draw in `remove_odds`), stop the graph (one in 8), or decide the exit
/// that awaits a decision. Logged in `log`.
fn random_request(
    core: &mut Core,
    rng: &mut Rng,
    step: u64,
    (i, now): (usize, Instant),
    remove_odds: u64,
    log: &mut Vec<String>,
) {
    match step {
        8 => {
            log.push(format!("stop({i})"));
            core.request_stop(i, super::AfterStop::Leave);
        }
        9 => {
            log.push(format!("restart({i})"));
            core.request_restart(i, now);
        }
        10 if rng.below(remove_odds) == 0 => {
            log.push(format!("remove({i})"));
            core.remove(i);
        }
        11 if rng.below(8) == 0 => {
            log.push("stop_graph".into());
            core.stop_graph(Outcome::Shutdown);
        }
        13 => {
            let d = match rng.below(3) {
                0 => Decision::Leave,
                1 => Decision::Restart { delay: ms(5) },
                _ => Decision::StopGraph,
            };
            log.push(format!("decide {d:?}"));
            core.decide(d);
        }
        _ => {}
    }
}

mod launching;
mod liveness;
mod releases;
mod subgraphs;

/// A spawn the driver answers with `HoldStart` is not handed out again,
/// whatever rounds come, until `ReleaseStart`; the application hears of
/// it once; a graph stopped meanwhile does not wait for it.
#[test]
fn a_held_start_waits_for_its_release_and_not_the_graphs_stop() {
    let graph = graph_of(&[always(), always()], Strategy::OneForOne);
    for stop_while_held in [false, true] {
        let mut h = Harness::new(&graph);
        h.core.advance(h.at(0));
        assert_eq!(h.core.next_action(), Some(Action::Spawn(0)));
        h.core.handle(Input::HoldStart { node: 0 }, h.at(0));
        let held = Event::StartHeld {
            node: NodeId::from_index(0),
        };
        assert_eq!(h.events(), std::slice::from_ref(&held));
        let mut rest = Vec::new();
        while let Some(action) = h.core.next_action() {
            if let Action::Spawn(node) = action {
                let spawned = Input::Spawned {
                    node,
                    pid: 100 + node as u32,
                    ready_at_exec: true,
                };
                h.core.handle(spawned, h.at(0));
            }
            if !matches!(action, Action::ReleaseEdgesOf(_)) {
                rest.push(action);
            }
        }
        assert_eq!(rest, [Action::Spawn(1)], "the other node starts");
        assert_eq!(h.automatic(10), [], "held");
        assert_eq!(h.core.nodes[0].state, NodeState::Waiting);
        h.core.handle(Input::HoldStart { node: 0 }, h.at(10));
        assert!(!h.events().contains(&held), "told once");
        if stop_while_held {
            h.core.stop_graph(Outcome::Shutdown);
            h.automatic(20);
            h.exit(1, ExitStatus::Signaled(Signal::TERM), 30);
            h.automatic(30);
            assert!(h.core.is_finished(), "the held node holds nothing up");
            continue;
        }
        h.core.handle(Input::ReleaseStart { node: 0 }, h.at(40));
        assert_eq!(h.automatic(40), [Action::Spawn(0)]);
    }
}

/// A node whose end waits for its scope's init (`Input::Clearing`): the
/// init is looked at every `CHECK_EVERY` until the node's `Exited`, and
/// never after it, so a graph idle again makes no wake-ups.
#[test]
fn a_clearing_node_is_looked_at_until_its_end_and_not_after() {
    let graph = graph_of(&[always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    let every = crate::held_up::CHECK_EVERY.as_millis() as u64;
    h.core.handle(Input::Clearing { node: 0 }, h.at(5));
    assert_eq!(h.deadline(), Some(5 + every));
    assert_eq!(h.automatic(4 + every), [], "not before its time");
    for look in 1..=3 {
        assert_eq!(h.automatic(5 + look * every), [Action::CheckClear(0)]);
    }
    assert_eq!(h.core.nodes[0].state, NodeState::Running, "alive meanwhile");
    let end = 5 + 3 * every + 1;
    h.exit(0, FAILED, end);
    assert_eq!(h.automatic(end), []);
    assert_eq!(h.deadline(), Some(end + 100), "its backoff alone");
    assert_eq!(h.automatic(5 + 4 * every), []);
}
