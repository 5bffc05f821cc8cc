//! Crossing reduction: the order of items within each rank, by barycenter
//! sweeps down and up, keeping the order with the fewest crossings.
//!
//! Frames add two rules. Within a rank, everything inside a scope stays
//! contiguous, nested scopes nested: the rank is sorted level by level of
//! the scope tree, a scope moving as one block. Across ranks, sibling scopes
//! keep one left-to-right order, so each frame can be one rectangle: a
//! sweep first fixes that order (by where the scopes' items sit on average)
//! and every rank follows it.

use super::items::{Graph, ItemKind};
use crate::scopes::ScopeTree;

const SWEEPS: usize = 12;

pub(super) fn order(graph: &Graph, tree: &ScopeTree) -> Vec<Vec<usize>> {
    let sorter = Sorter::new(graph, tree);
    let mut ranks: Vec<Vec<usize>> = vec![Vec::new(); graph.ranks];
    for (i, item) in graph.items.iter().enumerate() {
        ranks[item.rank].push(i);
    }
    let discovery = sorter.discovery_keys();
    let sibling = sorter.sibling_keys(&discovery);
    for rank in &mut ranks {
        *rank = sorter.arrange(rank, &discovery, &sibling);
    }

    let mut best = ranks.clone();
    let mut fewest = sorter.crossings(&ranks);
    for sweep in 0..SWEEPS {
        let position = positions(graph, &ranks);
        let sibling = sorter.sibling_keys(&position);
        let down = sweep % 2 == 0;
        let sequence: Vec<usize> = if down {
            (0..graph.ranks).collect()
        } else {
            (0..graph.ranks).rev().collect()
        };
        for r in sequence {
            let position = positions(graph, &ranks);
            let keys = sorter.barycenters(&position, down);
            ranks[r] = sorter.arrange(&ranks[r], &keys, &sibling);
        }
        let crossings = sorter.crossings(&ranks);
        // Ties go to the later order: sweeps also settle what crossings
        // cannot tell apart, like which side of a line its label goes.
        if crossings <= fewest {
            fewest = crossings;
            best = ranks.clone();
        }
    }
    best
}

/// Every item's index within its rank, scaled to 0..1 so ranks of
/// different lengths compare.
fn positions(graph: &Graph, ranks: &[Vec<usize>]) -> Vec<f64> {
    let mut position = vec![0.0; graph.items.len()];
    for rank in ranks {
        for (i, &item) in rank.iter().enumerate() {
            position[item] = (i as f64 + 0.5) / rank.len() as f64;
        }
    }
    position
}

enum Entry {
    Item(usize),
    Scope(usize),
}

struct Sorter<'g> {
    graph: &'g Graph,
    /// The scopes enclosing each item, outermost first.
    chains: Vec<Vec<usize>>,
    /// Neighbours of each item on the rank above and below.
    above: Vec<Vec<usize>>,
    below: Vec<Vec<usize>>,
}

impl<'g> Sorter<'g> {
    fn new(graph: &'g Graph, tree: &ScopeTree) -> Sorter<'g> {
        let n = graph.items.len();
        let (mut above, mut below) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        for (a, b) in graph.segments() {
            below[a].push(b);
            above[b].push(a);
        }
        let chains = graph.items.iter().map(|i| tree.chain(i.scope)).collect();
        Sorter {
            graph,
            chains,
            above,
            below,
        }
    }

    /// A first order: depth-first from each vertex in declaration order,
    /// so connected items start near each other.
    fn discovery_keys(&self) -> Vec<Option<f64>> {
        let n = self.graph.items.len();
        let mut key = vec![None; n];
        let mut next = 0.0;
        for start in 0..n {
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                if key[i].is_none() {
                    key[i] = Some(next);
                    next += 1.0;
                    stack.extend(self.below[i].iter().rev());
                    stack.extend(self.above[i].iter().rev());
                }
            }
        }
        key
    }

    /// The mean position of each item's neighbours on the rank the sweep
    /// comes from; `None` for an item with no neighbour there. A label
    /// sorts after the items it ties with, since its text extends right of
    /// its line.
    fn barycenters(&self, position: &[f64], down: bool) -> Vec<Option<f64>> {
        let neighbours = if down { &self.above } else { &self.below };
        neighbours
            .iter()
            .zip(&self.graph.items)
            .map(|(n, item)| {
                let bias = match item.kind {
                    ItemKind::Label { .. } => 1e-9,
                    _ => 0.0,
                };
                let sum: f64 = n.iter().map(|&m| position[m]).sum();
                (!n.is_empty()).then(|| sum / n.len() as f64 + bias)
            })
            .collect()
    }

    /// One order key per scope: the mean key of the items inside it.
    fn sibling_keys(&self, keys: &[impl Into<Option<f64>> + Copy]) -> Vec<f64> {
        let scopes = self.graph.spans.len();
        let (mut sum, mut count) = (vec![0.0; scopes], vec![0usize; scopes]);
        for (item, chain) in self.chains.iter().enumerate() {
            if let Some(k) = keys[item].into() {
                for &s in chain {
                    sum[s] += k;
                    count[s] += 1;
                }
            }
        }
        (0..scopes)
            .map(|s| {
                if count[s] == 0 {
                    f64::MAX
                } else {
                    sum[s] / count[s] as f64
                }
            })
            .collect()
    }

    fn arrange(&self, rank: &[usize], keys: &[Option<f64>], sibling: &[f64]) -> Vec<usize> {
        let mut out = Vec::with_capacity(rank.len());
        self.arrange_level(rank, 0, keys, sibling, &mut out);
        out
    }

    /// Sorts the entries of one scope level — items directly in it and
    /// child scopes as blocks — then recurses into the blocks.
    fn arrange_level(
        &self,
        members: &[usize],
        depth: usize,
        keys: &[Option<f64>],
        sibling: &[f64],
        out: &mut Vec<usize>,
    ) {
        let mut entries: Vec<(Entry, Vec<usize>)> = Vec::new();
        for &item in members {
            match self.chains[item].get(depth) {
                None => entries.push((Entry::Item(item), vec![item])),
                Some(&s) => match entries
                    .iter_mut()
                    .find(|(e, _)| matches!(e, Entry::Scope(t) if *t == s))
                {
                    Some((_, block)) => block.push(item),
                    None => entries.push((Entry::Scope(s), vec![item])),
                },
            }
        }
        let key = |block: &[usize]| {
            let known: Vec<f64> = block.iter().filter_map(|&i| keys[i]).collect();
            (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
        };
        // Entries without a key keep their slot; the others are sorted into the rest.
        let keyed: Vec<(usize, f64)> = entries
            .iter()
            .enumerate()
            .filter_map(|(e, (_, block))| key(block).map(|k| (e, k)))
            .collect();
        let mut sorted = keyed.clone();
        sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let mut arranged: Vec<usize> = (0..entries.len()).collect();
        for (&(slot, _), &(e, _)) in keyed.iter().zip(&sorted) {
            arranged[slot] = e;
        }
        // Scope blocks take the slots scopes hold, in the one sibling order.
        let mut scope_slots: Vec<(usize, usize, usize)> = Vec::new(); // (slot, scope, entry)
        for (slot, &e) in arranged.iter().enumerate() {
            if let Entry::Scope(s) = entries[e].0 {
                scope_slots.push((slot, s, e));
            }
        }
        let mut by_sibling_order = scope_slots.clone();
        by_sibling_order.sort_by(|a, b| sibling[a.1].total_cmp(&sibling[b.1]).then(a.1.cmp(&b.1)));
        for (&(slot, _, _), &(_, _, e)) in scope_slots.iter().zip(&by_sibling_order) {
            arranged[slot] = e;
        }
        for e in arranged {
            match entries[e].0 {
                Entry::Item(item) => out.push(item),
                Entry::Scope(_) => self.arrange_level(&entries[e].1, depth + 1, keys, sibling, out),
            }
        }
    }

    fn crossings(&self, ranks: &[Vec<usize>]) -> usize {
        let mut index = vec![0usize; self.graph.items.len()];
        for rank in ranks {
            for (i, &item) in rank.iter().enumerate() {
                index[item] = i;
            }
        }
        ranks
            .iter()
            .map(|rank| {
                let segments: Vec<(usize, usize)> = rank
                    .iter()
                    .flat_map(|&a| self.below[a].iter().map(move |&b| (a, b)))
                    .map(|(a, b)| (index[a], index[b]))
                    .collect();
                let mut count = 0;
                for (i, &(a1, b1)) in segments.iter().enumerate() {
                    for &(a2, b2) in &segments[i + 1..] {
                        if (a1 < a2 && b1 > b2) || (a1 > a2 && b1 < b2) {
                            count += 1;
                        }
                    }
                }
                count
            })
            .sum()
    }
}
