//! Liveness: whatever happened, once faults stop and the driver answers
//! every action (a spawn starts, a signal or a kill ends its process, a
//! start under way reports, every timer fires), the graph settles within
//! a bounded number of rounds: every node running or ended for good, or,
//! once the graph is stopped, `is_finished`. No node stays waiting,
//! backing off, stopping or exited with nothing left to wake it: nodes off
//! the agenda must be put back by what ends their wait.

use super::*;
use crate::graph::SubgraphFailure;

/// What the fake world does next for a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// Its process exits (signalled or killed).
    Exit(ExitStatus),
    /// Its start under way reports: started (and, when killed meanwhile,
    /// ended at once) or failed.
    Report { ok: bool },
}

struct World {
    core: Core,
    t0: Instant,
    /// Nodes with a process (spawned, not reaped).
    process: Vec<bool>,
    /// Starts under way (Launching given), not yet reported.
    launching: Vec<bool>,
    /// A start under way whose node was killed: what it brings is killed.
    cancelled: Vec<bool>,
    /// The process ignores its stop signal (only SIGKILL ends it).
    stubborn: Vec<bool>,
    /// What is to happen to each node, and when.
    due: Vec<Option<(Instant, Due)>>,
    log: Vec<String>,
}

fn spawn_error(i: usize) -> SpawnError {
    SpawnError::new(
        NodeId::from_index(i),
        format!("n{i}"),
        Step::Killed,
        libc::EINTR,
    )
}

impl World {
    fn handle(&mut self, input: Input, now: Instant) {
        self.log.push(format!("{:?} {input:?}", self.ms(now)));
        self.core.handle(input, now);
    }

    fn ms(&self, now: Instant) -> u128 {
        now.duration_since(self.t0).as_millis()
    }

    fn grow(&mut self) {
        while self.process.len() < self.core.nodes.len() {
            self.process.push(false);
            self.launching.push(false);
            self.cancelled.push(false);
            self.stubborn.push(false);
            self.due.push(None);
        }
    }

    /// Sets what happens to node `i` at `at`, unless something sooner is
    /// due.
    fn set_due(&mut self, i: usize, at: Instant, due: Due) {
        match self.due[i] {
            Some((when, _)) if when <= at => {}
            _ => self.due[i] = Some((at, due)),
        }
    }

    /// Carries out the actions of one round at `now`; `faults`: spawns may
    /// fail, processes may ignore their stop signal.
    fn carry_out(&mut self, now: Instant, rng: &mut Rng, faults: bool) {
        while let Some(action) = self.core.next_action() {
            self.log.push(format!("  {action:?}"));
            match action {
                Action::Spawn(i) => {
                    let input = match rng.below(4) {
                        0 => {
                            self.launching[i] = true;
                            self.cancelled[i] = false;
                            let ok = !faults || rng.below(3) != 0;
                            let at = now + ms(1 + rng.below(20));
                            self.due[i] = Some((at, Due::Report { ok }));
                            Input::Launching { node: i }
                        }
                        1 if faults && rng.below(3) == 0 => Input::SpawnFailed {
                            node: i,
                            error: spawn_error(i),
                        },
                        _ => {
                            self.process[i] = true;
                            self.stubborn[i] = faults && rng.below(4) == 0;
                            Input::Spawned {
                                node: i,
                                pid: 100 + i as u32,
                                ready_at_exec: rng.below(2) == 0,
                            }
                        }
                    };
                    self.handle(input, now);
                }
                Action::Signal(i, signal) if self.process[i] && !self.stubborn[i] => {
                    let at = now + ms(1 + rng.below(10));
                    self.set_due(i, at, Due::Exit(ExitStatus::Signaled(signal)));
                }
                Action::Kill(i) => {
                    if self.process[i] {
                        let at = now + ms(1 + rng.below(3));
                        self.set_due(i, at, Due::Exit(ExitStatus::Signaled(Signal::KILL)));
                    } else if self.launching[i] {
                        self.cancelled[i] = true;
                    }
                }
                // Held up: given up, in the round (`check_start`).
                Action::CheckStart(i) if self.launching[i] && rng.below(3) == 0 => {
                    self.launching[i] = false;
                    self.due[i] = None;
                    let error = spawn_error(i);
                    self.handle(Input::SpawnFailed { node: i, error }, now);
                }
                _ => {}
            }
        }
    }

    /// What is due for node `i` happens (at `now`).
    fn deliver(&mut self, i: usize, now: Instant) {
        let Some((_, due)) = self.due[i].take() else {
            return;
        };
        match due {
            Due::Exit(status) => {
                if self.process[i] {
                    self.process[i] = false;
                    self.handle(Input::Exited { node: i, status }, now);
                }
            }
            Due::Report { ok, .. } => {
                if !self.launching[i] {
                    return;
                }
                self.launching[i] = false;
                if ok {
                    self.process[i] = true;
                    self.stubborn[i] = false;
                    self.handle(
                        Input::Spawned {
                            node: i,
                            pid: 100 + i as u32,
                            ready_at_exec: false,
                        },
                        now,
                    );
                    if self.cancelled[i] {
                        self.due[i] = Some((now, Due::Exit(ExitStatus::Signaled(Signal::KILL))));
                    }
                } else {
                    self.handle(
                        Input::SpawnFailed {
                            node: i,
                            error: spawn_error(i),
                        },
                        now,
                    );
                }
            }
        }
    }

    /// `Driver::turn` in automatic mode (`wait`), answering everything,
    /// no faults: the graph must settle. Returns whether it finished.
    fn drain(&mut self, mut now: Instant, rng: &mut Rng, what: &str) -> (bool, Instant) {
        self.stubborn.iter_mut().for_each(|s| *s = false);
        for _ in 0..2_000 {
            self.core.apply_pending(now);
            self.core.apply_undecided(now);
            self.core.advance(now);
            self.carry_out(now, rng, false);
            if self.core.has_events() {
                self.core.clear_events();
                continue;
            }
            if self.core.is_finished() {
                for (i, node) in self.core.nodes.iter().enumerate() {
                    assert!(
                        node.state.is_final(),
                        "{what}: finished, yet node {i} is {:?}:\n{}",
                        node.state,
                        self.dump()
                    );
                }
                return (true, now);
            }
            // Nodes started and not ready become ready, 1 ms on.
            let starting = (0..self.core.nodes.len())
                .filter(|&i| self.process[i] && self.core.nodes[i].state == NodeState::Starting)
                .collect::<Vec<_>>();
            let ready_at = (!starting.is_empty()).then(|| now + ms(1));
            let world = (0..self.due.len())
                .filter_map(|i| self.due[i].map(|(at, _)| at))
                .chain(ready_at)
                .min();
            let next = match (world, self.core.next_deadline()) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(at) => at,
                    None => return (false, now),
                },
            };
            now = now.max(next);
            if ready_at.is_some_and(|at| at <= now) {
                for i in starting {
                    if self.process[i] && self.core.nodes[i].state == NodeState::Starting {
                        self.handle(Input::Ready { node: i }, now);
                    }
                }
            }
            for i in 0..self.due.len() {
                if self.due[i].is_some_and(|(at, _)| at <= now) {
                    self.deliver(i, now);
                }
            }
        }
        panic!("{what}: no end after 2,000 rounds:\n{}", self.dump());
    }

    fn dump(&self) -> String {
        let states: Vec<String> = (self.core.nodes.iter().enumerate())
            .map(|(i, n)| {
                format!(
                    "  {i}: {:?} stop={:?} launching={} process={} removed={}",
                    n.state, n.stop_requested, n.launching, self.process[i], n.removed
                )
            })
            .collect();
        let tail = self.log.len().saturating_sub(300);
        format!(
            "{}\nagenda {:?}, groups {:?}, outcome {:?}, deadline {:?}\nlog:\n{}",
            states.join("\n"),
            self.core.agenda.nodes(),
            self.core.groups,
            self.core.outcome,
            self.core.next_deadline().map(|d| self.ms(d)),
            self.log[tail..].join("\n")
        )
    }

    /// After a drain that did not finish: the graph is settled.
    fn assert_settled(&self, what: &str) {
        assert!(
            self.core.outcome.is_none(),
            "{what}: stopping, not finished, nothing due:\n{}",
            self.dump()
        );
        for (i, node) in self.core.nodes.iter().enumerate() {
            assert!(
                matches!(
                    node.state,
                    NodeState::Running | NodeState::Stopped | NodeState::Failed
                ),
                "{what}: node {i} stuck {:?} with nothing due:\n{}",
                node.state,
                self.dump()
            );
        }
    }
}

fn options(rng: &mut Rng) -> NodeOptions {
    let mut o = NodeOptions::new()
        .restart(match rng.below(3) {
            0 => Restart::Never,
            1 => Restart::Always,
            _ => Restart::OnFailure,
        })
        .backoff(ms(rng.below(3) * 10), ms(50))
        .stop_timeout(ms(30 + rng.below(3) * 10));
    if rng.below(6) == 0 {
        o = o.oneshot(true);
    }
    if rng.below(8) == 0 {
        o = o.critical(true);
    }
    if rng.below(6) == 0 {
        o = o.ready_timeout(ms(100));
    }
    o
}

fn strategy(rng: &mut Rng) -> Strategy {
    match rng.below(3) {
        0 => Strategy::OneForOne,
        1 => Strategy::OneForAll,
        _ => Strategy::RestForOne,
    }
}

/// A random graph: top-level nodes, maybe a subgraph (maybe with one
/// nested in it), `after`s and pipes to later nodes (`cycles`: pipes any
/// way).
fn graph(rng: &mut Rng, cycles: bool) -> Graph {
    let mut graph = Graph::new();
    graph.strategy(strategy(rng));
    match rng.below(3) {
        0 => graph.intensity(3, ms(100)),
        _ => graph.intensity(1000, ms(1)),
    }
    let mut ids: Vec<NodeId> = Vec::new();
    let top = 1 + rng.below(4) as usize;
    for i in 0..top {
        let mut o = options(rng);
        if i > 0 && rng.below(3) == 0 {
            o = o.after([ids[rng.below(i as u64) as usize]]);
        }
        ids.push(graph.node_with(format!("n{i}"), Command::new("true"), o));
    }
    if rng.below(2) == 0 {
        let mut sub = Graph::new();
        sub.strategy(strategy(rng));
        sub.intensity(1 + rng.below(3) as u32, ms(100));
        let mut inner = Vec::new();
        for j in 0..1 + rng.below(3) as usize {
            let mut o = options(rng);
            if j > 0 && rng.below(3) == 0 {
                o = o.after([inner[rng.below(j as u64) as usize]]);
            }
            inner.push(sub.node_with(format!("s{j}"), Command::new("true"), o));
        }
        if rng.below(2) == 0 {
            let mut deeper = Graph::new();
            deeper.strategy(strategy(rng));
            deeper.intensity(1, ms(100));
            deeper.node_with("d0", Command::new("true"), options(rng));
            deeper.node_with("d1", Command::new("true"), options(rng));
            let failure = match rng.below(2) {
                0 => SubgraphFailure::Restart,
                _ => SubgraphFailure::Escalate,
            };
            let nested = sub.subgraph("deep", deeper, failure);
            inner.extend(nested.nodes());
        }
        let failure = match rng.below(2) {
            0 => SubgraphFailure::Restart,
            _ => SubgraphFailure::Escalate,
        };
        let nested = graph.subgraph("sub", sub, failure);
        ids.extend(nested.nodes());
    }
    let n = ids.len();
    for _ in 0..rng.below(n as u64 + 1) {
        let (a, b) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
        let (w, r) = if cycles { (a, b) } else { (a.min(b), a.max(b)) };
        if w != r {
            graph.pipe(ids[w].stdout(), ids[r].stdin());
        }
    }
    graph
}

/// One random run: random steps, then a drain that must settle, then a
/// stop of the graph that must finish.
fn run(seed: u64, cycles: bool) {
    let mut rng = Rng(seed);
    let graph = graph(&mut rng, cycles);
    let n = graph.nodes.len();
    let mut w = World {
        core: Core::new(graph),
        t0: Instant::now(),
        process: vec![false; n],
        launching: vec![false; n],
        cancelled: vec![false; n],
        stubborn: vec![false; n],
        due: vec![None; n],
        log: vec![format!("seed {seed:#x}")],
    };
    let mut offset = 0;
    let steps = rng.below(150);
    for _ in 0..steps {
        offset += rng.below(40);
        let now = w.t0 + ms(offset);
        let n = w.core.nodes.len();
        let i = rng.below(n as u64) as usize;
        match rng.below(18) {
            0..=3 => {
                let automatic = rng.below(2) == 0;
                w.core.apply_pending(now);
                if automatic {
                    w.core.apply_undecided(now);
                }
                w.core.advance(now);
                w.carry_out(now, &mut rng, true);
                if automatic {
                    w.core.clear_events();
                } else {
                    let _ = w.core.pop_event();
                }
                if w.core.is_finished() {
                    for (i, node) in w.core.nodes.iter().enumerate() {
                        assert!(
                            node.state.is_final(),
                            "finished after a round, yet node {i} is {:?}:\n{}",
                            node.state,
                            w.dump()
                        );
                    }
                }
            }
            4 | 5 if w.process[i] => {
                w.process[i] = false;
                w.due[i] = None;
                let status = if rng.below(2) == 0 {
                    FAILED
                } else {
                    ExitStatus::Exited(0)
                };
                w.handle(Input::Exited { node: i, status }, now);
            }
            // Whatever is due for it, now.
            6 if w.due[i].is_some() => w.deliver(i, now),
            7 if w.process[i] => w.handle(Input::Ready { node: i }, now),
            step @ (8..=11 | 13) => {
                random_request(&mut w.core, &mut rng, step, (i, now), 3, &mut w.log);
            }
            12 if w.core.outcome.is_none() && rng.below(2) == 0 => {
                let mut more = Graph::new();
                let k = 1 + rng.below(3) as usize;
                let first = w.core.nodes.len();
                let mut added = Vec::new();
                for j in 0..k {
                    let mut o = options(&mut rng);
                    if j > 0 && rng.below(2) == 0 {
                        o = o.after([added[rng.below(j as u64) as usize]]);
                    }
                    added.push(more.node_with(format!("m{first}_{j}"), Command::new("true"), o));
                }
                if k > 1 && rng.below(2) == 0 {
                    more.pipe(added[0].stdout(), added[k - 1].stdin());
                }
                w.log.push(format!("add {k} at {first}"));
                w.core.add(more, 0);
                w.grow();
            }
            14 if w.process[i] => w.handle(Input::Stopping { node: i }, now),
            15 => {
                // Time passes: the timers due fire at the next round.
                offset += rng.below(60);
            }
            _ => {}
        }
    }
    offset += 1;
    let now = w.t0 + ms(offset);
    w.log.push("-- drain".into());
    let (finished, now) = w.drain(now, &mut rng, "drain");
    if finished {
        return;
    }
    w.assert_settled("drain");
    w.log.push("-- stop_graph".into());
    w.core.stop_graph(Outcome::Shutdown);
    let (finished, _) = w.drain(now, &mut rng, "shutdown");
    assert!(
        finished,
        "shutdown: not finished, nothing due:\n{}",
        w.dump()
    );
}

#[test]
fn liveness_every_run_settles_once_faults_stop() {
    let seeds: u64 = std::env::var("LIVENESS_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    for seed in 1..seeds {
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, false);
    }
}

/// The same with pipes in any direction, so in cycles: the nodes of a cycle
/// stop together.
#[test]
fn liveness_with_pipes_in_cycles() {
    let seeds: u64 = std::env::var("LIVENESS_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    for seed in 1..seeds {
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, true);
    }
}
