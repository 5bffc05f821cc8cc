//! Who depends on whom: a node depends on the nodes it starts `after` and on
//! the nodes that write into a pipe it reads. Dependents start after, stop
//! before, and are restarted with their dependency under `rest_for_one`.

use crate::graph::{EdgeKind, Endpoint, Graph};

#[derive(Debug, Clone)]
pub(crate) struct Deps {
    /// `after[i]`: the nodes that must be ready before `i` starts.
    pub(crate) after: Vec<Vec<usize>>,
    /// `dependents[i]`: the nodes that depend on `i` directly.
    pub(crate) dependents: Vec<Vec<usize>>,
}

impl Deps {
    pub(crate) fn of(graph: &Graph) -> Deps {
        let count = graph.nodes.len();
        let after: Vec<Vec<usize>> = graph
            .nodes
            .iter()
            .map(|n| n.options.after.iter().map(|d| d.index()).collect())
            .collect();
        let mut dependents = vec![Vec::new(); count];
        for (node, deps) in after.iter().enumerate() {
            for &dep in deps {
                dependents[dep].push(node);
            }
        }
        for edge in &graph.edges {
            if let EdgeKind::Pipe {
                writers, readers, ..
            } = &edge.kind
            {
                for (w, r) in writers
                    .iter()
                    .flat_map(|w| readers.iter().map(move |r| (w, r)))
                {
                    if let (Endpoint::Node { node: w, .. }, Endpoint::Node { node: r, .. }) = (w, r)
                        && w != r
                    {
                        dependents[w.index()].push(r.index());
                    }
                }
            }
        }
        for list in &mut dependents {
            list.sort_unstable();
            list.dedup();
        }
        Deps { after, dependents }
    }

    /// Appends the dependencies of nodes added to a running graph, whose
    /// own indices (`deps`'s) start at `first` in this one.
    pub(crate) fn append(&mut self, deps: Deps, first: usize) {
        let shift = |list: Vec<usize>| list.into_iter().map(|n| first + n).collect();
        self.after.extend(deps.after.into_iter().map(shift));
        self.dependents
            .extend(deps.dependents.into_iter().map(shift));
    }

    /// `node` and everything that depends on it, transitively, in index order.
    pub(crate) fn with_dependents(&self, node: usize) -> Vec<usize> {
        let mut seen = vec![false; self.dependents.len()];
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if !std::mem::replace(&mut seen[n], true) {
                stack.extend(&self.dependents[n]);
            }
        }
        (0..seen.len()).filter(|&n| seen[n]).collect()
    }
}

impl Deps {
    /// The order in which nodes start: waves of nodes started one after
    /// another, in index order, as soon as the nodes they start `after` are
    /// ready. `ready_at_exec[i]` says node `i` is ready once started; the
    /// others become ready (by their protocol) after their wave. This mirrors
    /// the core's start pass (`start.rs`), which repeats passes in index
    /// order, starting whatever may start.
    pub(crate) fn start_waves(&self, ready_at_exec: &[bool]) -> Vec<Vec<usize>> {
        let count = self.after.len();
        let (mut started, mut ready) = (vec![false; count], vec![false; count]);
        let mut waves = Vec::new();
        loop {
            let mut wave = Vec::new();
            let mut progressed = true;
            while progressed {
                progressed = false;
                for i in 0..count {
                    if !started[i] && self.after[i].iter().all(|&d| ready[d]) {
                        started[i] = true;
                        ready[i] = ready_at_exec[i];
                        wave.push(i);
                        progressed = true;
                    }
                }
            }
            if wave.is_empty() {
                return waves;
            }
            for &i in &wave {
                ready[i] = true;
            }
            waves.push(wave);
        }
    }
}
