//! Supervision levels: the graph itself (level 0) and each subgraph nested
//! in it (level `k` is subgraph `k - 1`), each with its own strategy,
//! intensity and restart log, as OTP's supervision tree.

use std::collections::VecDeque;
use std::time::Instant;

use crate::graph::{Graph, SubgraphFailure};
use crate::policy::{Intensity, Strategy};

#[derive(Debug)]
pub(crate) struct Level {
    /// The subgraph's path (`db`, `site.db`); empty for the graph itself.
    path: String,
    /// The enclosing level; `None` for the graph itself.
    pub(crate) parent: Option<usize>,
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    /// What the enclosing level does when this one gives up.
    pub(crate) on_failure: SubgraphFailure,
    /// When this level's recent restarts happened, for its intensity.
    restart_log: VecDeque<Instant>,
}

impl Level {
    fn new(strategy: Strategy, intensity: Intensity) -> Level {
        Level {
            path: String::new(),
            parent: None,
            strategy,
            intensity,
            on_failure: SubgraphFailure::default(),
            restart_log: VecDeque::new(),
        }
    }

    /// The restarts within the intensity's window that ends at `now`.
    pub(crate) fn recent_restarts(&mut self, now: Instant) -> usize {
        let window = self.intensity.period;
        while self
            .restart_log
            .front()
            .is_some_and(|&t| now.duration_since(t) > window)
        {
            self.restart_log.pop_front();
        }
        self.restart_log.len()
    }

    pub(crate) fn log_restart(&mut self, now: Instant) {
        self.restart_log.push_back(now);
    }
}

/// What a restart brings down with it, before the level's strategy widens
/// it: one node, or a whole subgraph that failed as a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Node(usize),
    /// A subgraph, by level.
    Subgraph(usize),
}

#[derive(Debug)]
pub(crate) struct Levels {
    levels: Vec<Level>,
    /// Per node: its own (innermost) level.
    of_node: Vec<u32>,
}

impl Levels {
    pub(crate) fn of(graph: &Graph) -> Levels {
        let mut levels = Levels {
            levels: vec![Level::new(graph.strategy, graph.intensity)],
            of_node: Vec::new(),
        };
        levels.append(graph);
        levels
    }

    /// Adds the subgraphs and nodes of `graph`, whose level 0 is this
    /// graph's level 0 (nodes added at run time join the graph itself).
    pub(crate) fn append(&mut self, graph: &Graph) {
        let first = self.levels.len() - 1;
        let moved = |level: u32| match level {
            0 => 0,
            l => first + l as usize,
        };
        for sub in &graph.subgraphs {
            self.levels.push(Level {
                path: sub.name.clone(),
                parent: Some(moved(sub.parent)),
                on_failure: sub.on_failure,
                ..Level::new(sub.strategy, sub.intensity)
            });
        }
        self.of_node.extend(
            graph
                .nodes
                .iter()
                .map(|n| u32::try_from(moved(n.level)).unwrap_or(u32::MAX)),
        );
    }

    pub(crate) fn level_of(&self, node: usize) -> usize {
        self.of_node[node] as usize
    }

    pub(crate) fn get(&self, level: usize) -> &Level {
        &self.levels[level]
    }

    pub(crate) fn get_mut(&mut self, level: usize) -> &mut Level {
        &mut self.levels[level]
    }

    /// The path of the subgraph at `level`.
    pub(crate) fn path(&self, level: usize) -> &str {
        &self.levels[level].path
    }

    /// A subgraph restarted as a unit starts with a clean slate, nested
    /// subgraphs included, as a restarted OTP supervisor does.
    pub(crate) fn forget_restarts_within(&mut self, level: usize) {
        for l in 0..self.levels.len() {
            if self.is_within(l, level) {
                self.levels[l].restart_log.clear();
            }
        }
    }

    /// Whether level `inner` is `level` or nested in it.
    fn is_within(&self, inner: usize, level: usize) -> bool {
        let mut at = Some(inner);
        while let Some(l) = at {
            if l == level {
                return true;
            }
            at = self.levels[l].parent;
        }
        false
    }

    /// Whether `node` belongs to `level`, directly or through subgraphs
    /// nested in it.
    pub(crate) fn contains(&self, level: usize, node: usize) -> bool {
        self.is_within(self.level_of(node), level)
    }

    /// Every node of `level`, nested ones included, in index order.
    pub(crate) fn members(&self, level: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.of_node.len()).filter(move |&n| self.contains(level, n))
    }

    /// The nodes of `unit`.
    pub(crate) fn nodes_of(&self, unit: Unit) -> Vec<usize> {
        match unit {
            Unit::Node(node) => vec![node],
            Unit::Subgraph(level) => self.members(level).collect(),
        }
    }
}
