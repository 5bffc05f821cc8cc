//! Whatever happens, every node that can no longer start has had its edges
//! let go of (`Action::ReleaseEdgesOf`, or the driver's release right after
//! a spawn) since it last could start: checked after every round of random
//! runs.

use super::*;

/// The core under a fake driver, and what the driver would have let go of.
struct Model {
    core: Core,
    t0: Instant,
    /// Its edges and passed fds were let go of since it last could start.
    released: Vec<bool>,
    /// Random edges between two nodes, and whether closed (for good).
    edges: Vec<([usize; 2], bool)>,
    /// Nodes with a process (spawned, not reaped).
    process: Vec<bool>,
    /// Starts under way (Launching given).
    launching: Vec<bool>,
    log: Vec<String>,
}

impl Model {
    /// `Launcher::release_edges_of`.
    fn release(&mut self, i: usize) {
        if !self.core.may_start(i) {
            self.released[i] = true;
        }
        for (users, closed) in &mut self.edges {
            if users.contains(&i) && users.iter().all(|&u| !self.core.may_start(u)) {
                *closed = true;
            }
        }
    }
    fn handle(&mut self, input: Input, now: Instant) {
        self.log.push(format!("{input:?}"));
        self.core.handle(input, now);
    }
    /// One driver round: every spawn answered at random (started, under
    /// way, failed), the releases carried out; then the check.
    fn round(&mut self, now: Instant, rng: &mut Rng, automatic: bool) {
        self.core.apply_pending(now);
        if automatic {
            self.core.apply_undecided(now);
        }
        self.core.advance(now);
        while let Some(action) = self.core.next_action() {
            self.log.push(format!("  {action:?}"));
            match action {
                Action::Spawn(i) => {
                    let input = match rng.below(4) {
                        0 => {
                            self.launching[i] = true;
                            Input::Launching { node: i }
                        }
                        1 if rng.below(3) == 0 => Input::SpawnFailed {
                            node: i,
                            error: SpawnError::new(
                                NodeId::from_index(i),
                                format!("n{i}"),
                                Step::Killed,
                                libc::ENOENT,
                            ),
                        },
                        _ => {
                            self.process[i] = true;
                            Input::Spawned {
                                node: i,
                                pid: 100 + i as u32,
                                ready_at_exec: rng.below(2) == 0,
                            }
                        }
                    };
                    self.handle(input, now);
                    // The driver's release right after a spawn.
                    self.release(i);
                }
                Action::ReleaseEdgesOf(i) => self.release(i),
                _ => {}
            }
        }
        if automatic {
            self.core.clear_events();
        } else {
            let _ = self.core.pop_event();
        }
        for (users, closed) in &self.edges {
            assert!(
                *closed || users.iter().any(|&u| self.core.may_start(u)),
                "edge {users:?} open, no user may start: {:?}\n{}",
                users.map(|u| (self.core.nodes[u].state, self.core.nodes[u].stop_requested)),
                self.log.join("\n")
            );
        }
        for i in 0..self.core.nodes.len() {
            assert!(
                self.core.may_start(i) || self.released[i],
                "node {i} ({:?}, {:?}) can no longer start, its edges never let go of:\n{}",
                self.core.nodes[i].state,
                self.core.nodes[i].stop_requested,
                self.log.join("\n")
            );
            // A node that may start again must be let go of again when it
            // no longer may.
            if self.core.may_start(i) {
                self.released[i] = false;
            }
        }
    }
}

/// One random run: a graph of 2–6 nodes of random policies, strategy and
/// `after`s, with random edges between them, through 200 random steps.
fn run(seed: u64) {
    let mut rng = Rng(seed);
    let n = 2 + rng.below(5) as usize;
    let mut graph = Graph::new();
    graph.strategy(match rng.below(3) {
        0 => Strategy::OneForOne,
        1 => Strategy::OneForAll,
        _ => Strategy::RestForOne,
    });
    graph.intensity(1000, ms(1));
    let mut ids = Vec::new();
    for i in 0..n {
        let mut o = NodeOptions::new()
            .restart(match rng.below(3) {
                0 => Restart::Never,
                1 => Restart::Always,
                _ => Restart::OnFailure,
            })
            .backoff(ms(rng.below(3) * 10), ms(50))
            .stop_timeout(ms(30));
        if i > 0 && rng.below(3) == 0 {
            o = o.after([ids[rng.below(i as u64) as usize]]);
        }
        ids.push(graph.node_with(format!("n{i}"), Command::new("true"), o));
    }
    let mut model = Model {
        core: Core::new(graph),
        t0: Instant::now(),
        released: vec![false; n],
        edges: (0..n)
            .map(|_| {
                (
                    [rng.below(n as u64) as usize, rng.below(n as u64) as usize],
                    false,
                )
            })
            .collect(),
        process: vec![false; n],
        launching: vec![false; n],
        log: Vec::new(),
    };
    let mut offset = 0;
    for _ in 0..200 {
        offset += rng.below(40);
        let now = model.t0 + ms(offset);
        let n = model.core.nodes.len();
        let i = rng.below(n as u64) as usize;
        match rng.below(14) {
            0..=3 => {
                let automatic = rng.below(2) == 0;
                model.round(now, &mut rng, automatic);
            }
            4 | 5 if model.process[i] => {
                model.process[i] = false;
                let status = if rng.below(2) == 0 {
                    FAILED
                } else {
                    ExitStatus::Exited(0)
                };
                model.handle(Input::Exited { node: i, status }, now);
            }
            6 if model.launching[i] => {
                model.launching[i] = false;
                let input = if rng.below(2) == 0 {
                    model.process[i] = true;
                    Input::Spawned {
                        node: i,
                        pid: 100 + i as u32,
                        ready_at_exec: false,
                    }
                } else {
                    Input::SpawnFailed {
                        node: i,
                        error: SpawnError::new(
                            NodeId::from_index(i),
                            format!("n{i}"),
                            Step::Killed,
                            libc::EINTR,
                        ),
                    }
                };
                model.handle(input, now);
            }
            7 if model.process[i] => model.handle(Input::Ready { node: i }, now),
            step @ (8..=11 | 13) => {
                random_request(&mut model.core, &mut rng, step, (i, now), 4, &mut model.log);
            }
            12 => {
                let mut more = Graph::new();
                let k = 1 + rng.below(2) as usize;
                let first = model.core.nodes.len();
                for j in 0..k {
                    let o = NodeOptions::new().restart(match rng.below(2) {
                        0 => Restart::Never,
                        _ => Restart::Always,
                    });
                    more.node_with(format!("m{first}_{j}"), Command::new("true"), o);
                }
                model.log.push(format!("add {k} at {first}"));
                model.core.add(more, 0);
                for j in 0..k {
                    model.released.push(false);
                    model.process.push(false);
                    model.launching.push(false);
                    let other = first + (j + 1) % k;
                    model.edges.push(([first + j, other], false));
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_node_that_can_no_longer_start_has_its_edges_let_go_of() {
    for seed in 1..3000u64 {
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    }
}
