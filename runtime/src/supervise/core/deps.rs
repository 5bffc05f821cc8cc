//! Who depends on whom: a node depends on the nodes it starts `after` and on
//! the nodes that write into a pipe it reads. Dependents start after, stop
//! before, and are restarted with their dependency under `rest_for_one`.

use crate::graph::{EdgeKind, Endpoint, Graph};

#[derive(Debug, Clone)]
pub(crate) struct Deps {
    /// Per node, the nodes that must be ready before it starts.
    after: Lists,
    /// Per node, the nodes that depend on it directly.
    dependents: Lists,
    /// Per node, the nodes it depends on directly (`dependents` the other
    /// way round): those whose stop waits for its end.
    dependencies: Lists,
    /// `(node, cycle)` for each node in a cycle of dependencies — pipes both
    /// ways, or around a ring (`after` cycles are refused) — `cycle` the
    /// lowest index in it; sorted, and empty for most graphs. The nodes of a
    /// cycle stop together: each waiting for the others to stop first would
    /// wait for ever.
    cycles: Vec<(usize, usize)>,
}

/// A list of node indices per node, all in one array: most nodes have
/// none, and a `Vec` each would cost every running node 24 bytes for it.
/// The ends are `u32`, as node ids are: 4 bytes per node and list, not 8.
#[derive(Debug, Clone, Default)]
struct Lists {
    /// Node `i`'s list is `items[ends[i - 1]..ends[i]]` (from 0 for node 0).
    ends: Vec<u32>,
    items: Vec<usize>,
}

impl Lists {
    /// Appends the next node's list.
    fn push(&mut self, list: impl IntoIterator<Item = usize>) {
        self.items.extend(list);
        self.ends
            .push(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
    }

    /// The lists of `count` nodes from `(node, item)` pairs, sorted.
    fn grouped(count: usize, pairs: &[(usize, usize)]) -> Lists {
        let mut lists = Lists {
            ends: Vec::with_capacity(count),
            items: Vec::with_capacity(pairs.len()),
        };
        let mut rest = pairs;
        for node in 0..count {
            let here = rest.iter().take_while(|&&(n, _)| n == node).count();
            let (mine, others) = rest.split_at(here);
            lists.push(mine.iter().map(|&(_, item)| item));
            rest = others;
        }
        lists
    }

    fn of(&self, node: usize) -> &[usize] {
        let start = node.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.items[start as usize..self.ends[node] as usize]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Appends `other`'s lists, each index in them shifted by `first`.
    fn append(&mut self, other: Lists, first: usize) {
        let base = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.ends
            .extend(other.ends.into_iter().map(|end| base + end));
        self.items
            .extend(other.items.into_iter().map(|n| first + n));
    }
}

impl Deps {
    pub(crate) fn of(graph: &Graph) -> Deps {
        let count = graph.nodes.len();
        let mut after = Lists::default();
        // (dependency, dependent) pairs, then grouped by dependency.
        let mut pairs = Vec::new();
        for (node, spec) in graph.nodes.iter().enumerate() {
            after.push(spec.options.after.iter().map(|d| d.index()));
            pairs.extend(after.of(node).iter().map(|&dep| (dep, node)));
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
                        pairs.push((w.index(), r.index()));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let dependents = Lists::grouped(count, &pairs);
        let mut reversed: Vec<_> = pairs.into_iter().map(|(dep, node)| (node, dep)).collect();
        reversed.sort_unstable();
        Deps {
            after,
            cycles: cycles_of(&dependents),
            dependents,
            dependencies: Lists::grouped(count, &reversed),
        }
    }

    /// Whether nodes `a` and `b` are in one cycle of dependencies, and so
    /// stop together rather than one after the other.
    pub(crate) fn in_one_cycle(&self, a: usize, b: usize) -> bool {
        let cycle = |n: usize| {
            self.cycles
                .binary_search_by_key(&n, |&(node, _)| node)
                .map_or(n, |at| self.cycles[at].1)
        };
        cycle(a) == cycle(b)
    }

    /// The nodes that must be ready before `node` starts.
    pub(crate) fn after(&self, node: usize) -> &[usize] {
        self.after.of(node)
    }

    /// The nodes that depend on `node` directly.
    pub(crate) fn dependents(&self, node: usize) -> &[usize] {
        self.dependents.of(node)
    }

    /// The nodes `node` depends on directly: by `after`, or by reading a
    /// pipe they write.
    pub(crate) fn dependencies(&self, node: usize) -> &[usize] {
        self.dependencies.of(node)
    }

    /// Appends the dependencies of nodes added to a running graph, whose
    /// own indices (`deps`'s) start at `first` in this one.
    pub(crate) fn append(&mut self, deps: Deps, first: usize) {
        self.after.append(deps.after, first);
        self.dependents.append(deps.dependents, first);
        self.dependencies.append(deps.dependencies, first);
        let shifted = deps.cycles.into_iter();
        self.cycles
            .extend(shifted.map(|(node, cycle)| (first + node, first + cycle)));
    }

    /// `node` and everything that depends on it, transitively, in index order.
    pub(crate) fn with_dependents(&self, node: usize) -> Vec<usize> {
        let mut seen = vec![false; self.dependents.len()];
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if !std::mem::replace(&mut seen[n], true) {
                stack.extend(self.dependents(n));
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
                    if !started[i] && self.after(i).iter().all(|&d| ready[d]) {
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

/// The nodes in cycles of `dependents` (its strongly connected components
/// of more than one node, by Tarjan's algorithm, without recursion: a chain
/// of 100,000 nodes must not overflow the stack), as [`Deps::cycles`] keeps
/// them.
fn cycles_of(dependents: &Lists) -> Vec<(usize, usize)> {
    const UNSEEN: usize = usize::MAX;
    let count = dependents.len();
    let (mut index, mut low) = (vec![UNSEEN; count], vec![0; count]);
    let (mut on_stack, mut stack, mut next) = (vec![false; count], Vec::new(), 0);
    let mut cycles = Vec::new();
    for root in 0..count {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, how many of its dependents were looked at)
        let mut walk = vec![(root, 0)];
        (index[root], low[root], on_stack[root]) = (next, next, true);
        stack.push(root);
        next += 1;
        while let Some(&(v, looked)) = walk.last() {
            if let Some(&w) = dependents.of(v).get(looked) {
                walk.last_mut().expect("not empty").1 += 1;
                if index[w] == UNSEEN {
                    (index[w], low[w], on_stack[w]) = (next, next, true);
                    stack.push(w);
                    next += 1;
                    walk.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(u, _)) = walk.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let at = stack.iter().rposition(|&n| n == v).expect("on the stack");
                let members = stack.split_off(at);
                members.iter().for_each(|&n| on_stack[n] = false);
                if members.len() > 1 {
                    let lowest = *members.iter().min().expect("not empty");
                    cycles.extend(members.into_iter().map(|n| (n, lowest)));
                }
            }
        }
    }
    cycles.sort_unstable();
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(count: usize, pairs: &[(usize, usize)]) -> Lists {
        Lists::grouped(count, pairs)
    }

    #[test]
    fn the_nodes_of_each_cycle_are_found_and_no_others() {
        // 0 -> 1 -> 0 (pipes both ways); 2 -> 3 -> 4 -> 2 (a ring); 4 -> 5.
        let pairs = [(0, 1), (1, 0), (2, 3), (3, 4), (4, 2), (4, 5)];
        assert_eq!(
            cycles_of(&lists(6, &pairs)),
            [(0, 0), (1, 0), (2, 2), (3, 2), (4, 2)]
        );
        assert_eq!(cycles_of(&lists(3, &[(0, 1), (1, 2)])), []);
    }

    #[test]
    fn a_long_chain_is_walked_without_recursion() {
        let pairs: Vec<_> = (0..99_999).map(|i| (i, i + 1)).collect();
        assert_eq!(cycles_of(&lists(100_000, &pairs)), []);
    }
}
