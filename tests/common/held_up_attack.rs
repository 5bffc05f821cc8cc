//! The loop shared by the held-up attacks (`tests/scope_held_up.rs`,
//! `tests/scope_held_up_pid.rs`): a hostile node stops what starts its
//! sibling (the carried program, or the clone it makes), and the
//! application must give up on that start, as held up, without being
//! frozen meanwhile.
//!
//! A failed start is not tried again, so one graph is attacked until its
//! sibling's start fails, and the test tries again with a new graph when
//! the attacker missed, up to [`ATTEMPTS`] graphs.

use std::io::Write;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, EdgeId, Endpoint, Event, Graph, Namespace, NodeId, NodeOptions, Restart, RunningGraph,
    ScopeSpec, SpawnError, Step,
};

/// How long a graph is attacked, at most: until its sibling's start fails.
pub const ATTACK_FOR: Duration = Duration::from_secs(5);

/// How many graphs a test attacks before it says the attack never landed.
pub const ATTEMPTS: usize = 5;

/// Longer than any wait a stopped program or clone may cost (a few checks
/// 20 ms apart), far shorter than the 30 s limit on one that answers
/// slowly.
pub const NO_FREEZE: Duration = Duration::from_secs(3);

/// A graph to attack: the attacker, told to begin through `go` once the
/// graph is spawned (a first start that fails fails the spawn), and its
/// sibling, started again at once whenever it ends.
pub struct Attacked {
    graph: Graph,
    sibling: NodeId,
    go: EdgeId,
}

impl Attacked {
    /// `attacker` and `sibling`, both in a scope of `namespaces` if any.
    pub fn new(attacker: Command, sibling: Command, namespaces: Option<&[Namespace]>) -> Attacked {
        let mut graph = Graph::new();
        graph.intensity(u32::MAX, Duration::from_secs(1));
        let mut options = NodeOptions::new();
        if let Some(namespaces) = namespaces {
            let scope = graph.scope("s", ScopeSpec::new(namespaces.iter().copied()));
            options = options.scope(scope);
        }
        let attacker = graph.node_with("attacker", attacker, options.clone());
        let go = graph.pipe(Endpoint::Parent, attacker.stdin());
        let sibling = graph.node_with(
            "sibling",
            sibling,
            options
                .after([attacker])
                .restart(Restart::Always)
                .backoff(Duration::ZERO, Duration::ZERO),
        );
        Attacked { graph, sibling, go }
    }
}

/// What one attacked graph saw of its sibling.
#[derive(Debug)]
pub struct Seen {
    starts: usize,
    /// Its one failed start (the sibling is not started again), and how
    /// long after the attacker was told to go.
    failed: Option<(SpawnError, Duration)>,
}

/// Whether a start failed held up: what started it found stopped, and
/// killed (`Step::ScopeProgram`, `ETIMEDOUT`, as the README says).
fn held_up(error: &SpawnError) -> bool {
    (error.step(), error.errno()) == (Step::ScopeProgram, libc::ETIMEDOUT)
}

/// Attacks graphs made by `attacked` until one's sibling start fails, up
/// to [`ATTEMPTS`] of them, and checks that it failed held up; each wait
/// for an event must be answered within [`NO_FREEZE`], and no child of
/// this process may be left after each graph's shutdown. `stopped` names
/// what the attacker stops, for the message when it never landed.
pub fn until_it_lands(stopped: &str, attacked: impl Fn() -> Attacked) {
    for attempt in 1..=ATTEMPTS {
        let seen = attack(attacked());
        eprintln!("attempt {attempt}: {seen:?}");
        if let Some((error, _)) = &seen.failed {
            let why = super::report(error);
            assert!(
                held_up(error),
                "the sibling's start failed, not held up: {why}"
            );
            assert!(seen.starts > 0, "the sibling never started");
            return;
        }
    }
    panic!(
        "the attack did not take place: in {ATTEMPTS} graphs no start of the sibling failed \
         within {ATTACK_FOR:?}: the attacker stopped none of its {stopped}, or the application \
         never gave up on one it stopped (each graph's outcome is above)"
    );
}

/// Spawns `attacked`, lets the attacker go, and waits for events until
/// the sibling's start fails or for [`ATTACK_FOR`]; then shuts it down and
/// checks that no child of this process is left, stopped or a zombie.
fn attack(attacked: Attacked) -> Seen {
    let Attacked { graph, sibling, go } = attacked;
    let mut running = graph.spawn().unwrap();
    let mut go = running.take_writer(go).unwrap();
    go.write_all(b"go\n").unwrap();
    let seen = serve(&mut running, sibling);
    running.shutdown(Duration::from_secs(5)).unwrap();
    let left = super::children_of_this_process();
    assert!(left.is_empty(), "left behind: {left:?}");
    seen
}

/// Waits for events until `node`'s start fails or for [`ATTACK_FOR`],
/// each wait answered within [`NO_FREEZE`].
fn serve(running: &mut RunningGraph, node: NodeId) -> Seen {
    let begin = Instant::now();
    let mut seen = Seen {
        starts: 0,
        failed: None,
    };
    while seen.failed.is_none() && begin.elapsed() < ATTACK_FOR {
        let asked = Instant::now();
        let event = running
            .next_event(Some(Duration::from_millis(500)))
            .unwrap();
        let took = asked.elapsed();
        assert!(took < NO_FREEZE, "the application was frozen for {took:?}");
        match event {
            Some(Event::Started { node: n, .. }) if n == node => seen.starts += 1,
            Some(Event::StartFailed { node: n, error }) if n == node => {
                seen.failed = Some((error, begin.elapsed()));
            }
            _ => {}
        }
    }
    seen
}
