//! Starts the carried program reports on later (`Input::Launching`): the
//! start pass goes on past them, the node counts as alive meanwhile, its
//! program is looked at on a timer, and a stop asked for meanwhile reaches
//! the process the start brings.

use super::*;
use crate::held_up::{CHECK_EVERY, FIRST_LOOK};

/// A round at `offset` ms in which node `launched` answers its spawn with
/// `Launching` and every other node is spawned.
fn round_launching(h: &mut Harness, offset: u64, launched: usize) -> Vec<Action> {
    let now = h.at(offset);
    let mut actions = Vec::new();
    h.core.advance(now);
    while let Some(action) = h.core.next_action() {
        if let Action::Spawn(node) = action {
            let input = match node == launched {
                true => Input::Launching { node },
                false => Input::Spawned {
                    node,
                    pid: 100 + node as u32,
                    ready_at_exec: true,
                },
            };
            h.core.handle(input, now);
        }
        if !matches!(action, Action::ReleaseEdgesOf(_)) {
            actions.push(action);
        }
    }
    actions
}

/// One round at `offset` ms in which every start looked at
/// (`Action::CheckStart`) is given up at once, as the driver's
/// `check_start` does for a start held up, and every spawn succeeds.
/// Returns the actions, `ReleaseEdgesOf` left out.
fn round_giving_up(h: &mut Harness, offset: u64) -> Vec<Action> {
    let now = h.at(offset);
    h.core.advance(now);
    let mut actions = Vec::new();
    while let Some(action) = h.core.next_action() {
        match action {
            Action::CheckStart(node) => {
                let name = format!("n{node}");
                let error =
                    SpawnError::new(NodeId::from_index(node), name, Step::Killed, libc::EINTR);
                h.core.handle(Input::SpawnFailed { node, error }, now);
            }
            Action::Spawn(node) => {
                let input = Input::Spawned {
                    node,
                    pid: 100 + node as u32,
                    ready_at_exec: true,
                };
                h.core.handle(input, now);
            }
            _ => {}
        }
        if !matches!(action, Action::ReleaseEdgesOf(_)) {
            actions.push(action);
        }
    }
    actions
}

fn spawned(h: &mut Harness, node: usize, offset: u64) {
    let input = Input::Spawned {
        node,
        pid: 100 + node as u32,
        ready_at_exec: true,
    };
    h.core.handle(input, h.at(offset));
}

fn check_every() -> u64 {
    CHECK_EVERY.as_millis() as u64
}

#[test]
fn a_start_under_way_lets_the_pass_go_on_and_is_looked_at_until_it_answers() {
    let graph = graph_of(&[always(), always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    assert_eq!(
        round_launching(&mut h, 0, 0),
        [Action::Spawn(0), Action::Spawn(1)],
        "the next node starts without waiting for the report"
    );
    assert_eq!(h.core.nodes[0].state, NodeState::Starting);
    assert!(h.core.nodes[0].started_at.is_none());
    assert!(!h.core.all_started(), "spawn waits for its report");
    let first = FIRST_LOOK.as_millis() as u64;
    assert_eq!(h.deadline(), Some(first));
    assert_eq!(h.round(first), [Action::CheckStart(0)]);
    assert_eq!(h.deadline(), Some(first + check_every()), "and again");
    h.events();
    spawned(&mut h, 0, first + 10);
    assert!(matches!(h.events()[..], [Event::Started { pid: 100, .. }]));
    assert_eq!(h.core.nodes[0].state, NodeState::Running);
    assert!(h.core.all_started());
    assert_eq!(h.deadline(), None, "no more looks");
    assert_eq!(h.core.nodes[0].restarts, 0);
}

#[test]
fn a_stop_asked_for_during_a_start_reaches_the_process_it_brings() {
    let graph = graph_of(&[NodeOptions::new()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    round_launching(&mut h, 0, 0);
    h.core.stop_graph(Outcome::Shutdown);
    // No process to take it yet: the driver finds none.
    assert_eq!(h.automatic(1), [Action::Signal(0, Signal::TERM)]);
    assert!(!h.core.is_finished(), "the program is alive");
    spawned(&mut h, 0, 5);
    assert_eq!(
        h.automatic(5),
        [Action::Signal(0, Signal::TERM)],
        "sent again, to the node"
    );
    h.exit(0, ExitStatus::Signaled(Signal::TERM), 6);
    h.automatic(6);
    assert!(h.core.is_finished());
}

#[test]
fn a_start_under_way_killed_at_its_stop_timeout_that_then_fails_ends_the_graph() {
    let graph = graph_of(&[NodeOptions::new()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.core.stop_timeout = ms(1_000);
    round_launching(&mut h, 0, 0);
    h.core.stop_graph(Outcome::Shutdown);
    h.automatic(1);
    let actions = h.automatic(1_001);
    assert!(actions.contains(&Action::Kill(0)), "{actions:?}");
    let error = SpawnError::new(NodeId::from_index(0), "n0".into(), Step::Killed, 4);
    h.core
        .handle(Input::SpawnFailed { node: 0, error }, h.at(1_002));
    assert_eq!(h.core.nodes[0].state, NodeState::Stopped);
    assert!(h.core.nodes[0].killed_after_timeout);
    h.automatic(1_002);
    assert!(h.core.is_finished(), "nothing alive is counted");
    assert_eq!(h.deadline(), None);
}

#[test]
fn a_restart_under_way_counts_as_a_restart_once_it_runs() {
    let graph = graph_of(&[always()], Strategy::OneForOne);
    let mut h = Harness::new(&graph);
    h.round(0);
    h.exit(0, FAILED, 10);
    h.automatic(10);
    let now = 110;
    assert_eq!(round_launching(&mut h, now, 0), [Action::Spawn(0)]);
    assert_eq!(h.core.nodes[0].restarts, 0);
    spawned(&mut h, 0, now + 1);
    assert_eq!(h.core.nodes[0].restarts, 1);
}

/// A round at `offset` ms in which every spawn but `outside`'s answers
/// `Launching`; the nodes asked to spawn.
fn round_all_launching(h: &mut Harness, offset: u64, outside: usize) -> Vec<usize> {
    let now = h.at(offset);
    h.core.advance(now);
    let mut spawned = Vec::new();
    while let Some(action) = h.core.next_action() {
        if let Action::Spawn(node) = action {
            let input = match node == outside {
                true => Input::Spawned {
                    node,
                    pid: 100,
                    ready_at_exec: true,
                },
                false => Input::Launching { node },
            };
            h.core.handle(input, now);
            spawned.push(node);
        }
    }
    spawned
}

#[test]
fn a_scope_has_at_most_sixteen_starts_under_way_and_the_others_wait_their_turn() {
    let mut graph = Graph::new();
    let scope = graph.scope("box", crate::ScopeSpec::default());
    let outside = graph.node("outside", Command::new("true")).index();
    for i in 0..20 {
        graph.node_with(
            format!("n{i}"),
            Command::new("true"),
            NodeOptions::new().scope(scope),
        );
    }
    let mut h = Harness::new(&graph);
    let first = round_all_launching(&mut h, 0, outside);
    assert_eq!(first, (0..17).collect::<Vec<_>>(), "16 of the scope's");
    assert_eq!(round_all_launching(&mut h, 1, outside), [], "the rest wait");
    spawned(&mut h, 1, 2);
    assert_eq!(
        round_all_launching(&mut h, 2, outside),
        [17],
        "one ended, one more starts"
    );
}

#[test]
fn an_added_nodes_starts_count_against_the_running_scope_it_is_in() {
    let mut graph = Graph::new();
    let scope = graph.scope("box", crate::ScopeSpec::default());
    for i in 0..16 {
        graph.node_with(
            format!("n{i}"),
            Command::new("true"),
            NodeOptions::new().scope(scope),
        );
    }
    let mut h = Harness::new(&graph);
    assert_eq!(round_all_launching(&mut h, 0, usize::MAX).len(), 16);
    // Its own scope 0 is the running graph's scope 1; the stand-in joins
    // the running graph's scope 0, which has all its starts under way.
    let mut more = Graph::new();
    let own = more.scope("own", crate::ScopeSpec::default());
    let joined = more.running_scope(scope);
    more.node_with("mine", Command::new("true"), NodeOptions::new().scope(own));
    more.node_with(
        "theirs",
        Command::new("true"),
        NodeOptions::new().scope(joined),
    );
    h.core.add(more, 1);
    assert_eq!(round_all_launching(&mut h, 1, usize::MAX), [16]);
    spawned(&mut h, 0, 2);
    assert_eq!(round_all_launching(&mut h, 2, usize::MAX), [17]);
}

#[test]
fn nodes_outside_scopes_that_change_their_ids_have_at_most_sixteen_starts_under_way() {
    let mut graph = Graph::new();
    let scope = graph.scope("box", crate::ScopeSpec::default());
    for i in 0..20 {
        graph.node(format!("dropped{i}"), Command::new("true").uid(65534));
    }
    let plain = graph.node("plain", Command::new("true")).index();
    let scoped = graph.node_with(
        "scoped",
        Command::new("true"),
        NodeOptions::new().scope(scope),
    );
    let mut h = Harness::new(&graph);
    let first = round_all_launching(&mut h, 0, plain);
    let mut expected: Vec<usize> = (0..16).collect();
    expected.extend([plain, scoped.index()]);
    assert_eq!(
        first, expected,
        "16 of those that change ids; neither the plain node nor a scope's waits for them"
    );
    assert_eq!(round_all_launching(&mut h, 1, plain), [], "the rest wait");
    spawned(&mut h, 3, 2);
    assert_eq!(
        round_all_launching(&mut h, 2, plain),
        [16],
        "one ended, one more starts"
    );
}

#[test]
fn nodes_dropping_to_another_uid_do_not_wait_for_those_held_under_one() {
    let mut graph = Graph::new();
    for i in 0..20 {
        graph.node(format!("nobody{i}"), Command::new("true").uid(65534));
    }
    let other = graph.node("other", Command::new("true").uid(1000)).index();
    let groups = graph.node("groups", Command::new("true").gid(1000)).index();
    let mut h = Harness::new(&graph);
    let first = round_all_launching(&mut h, 0, usize::MAX);
    let mut expected: Vec<usize> = (0..16).collect();
    expected.extend([other, groups]);
    assert_eq!(
        first, expected,
        "16 of uid 65534's; a node of another uid, or changing only its groups, does not wait"
    );
}

/// A group restart's last member alive is a start under way, given up at
/// its look (`Action::CheckStart`, answered in the same round): the group
/// is done only once the round's pass has begun. Its members held off the
/// agenda before the cursor must still start, in this round, for no later
/// round need come: nothing is due, no timer is armed.
#[test]
fn a_group_done_by_a_start_given_up_in_the_round_starts_every_member() {
    let no_backoff = || always().backoff(ms(0), ms(1_000));
    let graph = graph_of(
        &[no_backoff(), no_backoff().after([NodeId::from_index(0)])],
        Strategy::OneForAll,
    );
    let mut h = Harness::new(&graph);
    assert_eq!(
        round_launching(&mut h, 0, 1),
        [Action::Spawn(0), Action::Spawn(1)]
    );
    h.exit(0, FAILED, 10);
    assert_eq!(h.automatic(10), [Action::Signal(1, Signal::TERM)]);
    assert_eq!(h.core.nodes[0].state, NodeState::Waiting, "held");
    // Node 1's start is looked at, and given up at once, as the driver's
    // `check_start` does for a start held up.
    let actions = round_giving_up(&mut h, FIRST_LOOK.as_millis() as u64);
    assert_eq!(
        actions,
        [Action::CheckStart(1), Action::Spawn(0), Action::Spawn(1)],
        "agenda {:?}, deadline {:?}, states {:?}",
        h.core.agenda.nodes(),
        h.deadline(),
        h.core.nodes.iter().map(|n| n.state).collect::<Vec<_>>()
    );
}

/// The graph stops while node 1's start is under way; node 0, which it
/// starts `after`, waits for it to go down first, off the agenda. The
/// start is given up at its look, in a round: node 0's stop signal goes out
/// in that round, for no later round need come.
#[test]
fn a_stop_that_waited_for_a_start_given_up_in_the_round_goes_out_in_it() {
    let graph = graph_of(
        &[always(), always().after([NodeId::from_index(0)])],
        Strategy::OneForOne,
    );
    let mut h = Harness::new(&graph);
    assert_eq!(
        round_launching(&mut h, 0, 1),
        [Action::Spawn(0), Action::Spawn(1)]
    );
    h.core.stop_graph(Outcome::Shutdown);
    assert_eq!(h.automatic(10), [Action::Signal(1, Signal::TERM)]);
    let actions = round_giving_up(&mut h, FIRST_LOOK.as_millis() as u64);
    assert_eq!(
        actions,
        [Action::CheckStart(1), Action::Signal(0, Signal::TERM)],
        "agenda {:?}, deadline {:?}, states {:?}",
        h.core.agenda.nodes(),
        h.deadline(),
        h.core.nodes.iter().map(|n| n.state).collect::<Vec<_>>()
    );
}
