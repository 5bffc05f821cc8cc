//! The `after` lists of nodes and subgraphs: each entry names a node (or
//! subgraph) the graph has, and names it once. Their cycles are
//! `cycles.rs`'s.

use super::Found;
use super::violation::{Place, Rule};

pub(super) fn check(found: &mut Found<'_>) {
    let t = found.topology;
    let mut lists = Lists {
        last_named_by: [
            vec![usize::MAX; t.nodes.len()],
            vec![usize::MAX; t.subgraphs.len()],
        ],
        current: 0,
    };
    for (n, node) in t.nodes.iter().enumerate() {
        lists.check(found, Kind::Nodes, &node.after, |entry| Place::After {
            node: n,
            entry,
        });
        lists.check(found, Kind::Subgraphs, &node.after_subgraphs, |entry| {
            Place::AfterSubgraph { node: n, entry }
        });
    }
    for (s, subgraph) in t.subgraphs.iter().enumerate() {
        lists.check(found, Kind::Nodes, &subgraph.after, |entry| {
            Place::SubgraphAfter { subgraph: s, entry }
        });
        lists.check(found, Kind::Subgraphs, &subgraph.after_subgraphs, |entry| {
            Place::SubgraphAfterSubgraph { subgraph: s, entry }
        });
    }
}

/// What an `after` list's entries index.
#[derive(Clone, Copy)]
enum Kind {
    Nodes = 0,
    Subgraphs = 1,
}

/// The lists checked so far: for each node and each subgraph, the last
/// list that named it, so an entry given twice is seen without scanning
/// its list (a subgraph after a subgraph gives each of its m nodes n
/// entries: a scan per entry was m·n² at every spawn).
struct Lists {
    last_named_by: [Vec<usize>; 2],
    /// The list being checked.
    current: usize,
}

impl Lists {
    fn check(
        &mut self,
        found: &mut Found<'_>,
        kind: Kind,
        list: &[usize],
        place: impl Fn(usize) -> Place,
    ) {
        self.current += 1;
        let t = found.topology;
        let named_by = &mut self.last_named_by[kind as usize];
        for (entry, &dep) in list.iter().enumerate() {
            match named_by.get_mut(dep) {
                None => {
                    let rule = match kind {
                        Kind::Nodes => Rule::UnknownNode { index: dep },
                        Kind::Subgraphs => Rule::UnknownSubgraph { index: dep },
                    };
                    found.push(place(entry), rule);
                }
                Some(last) if *last == self.current => {
                    let node = match kind {
                        Kind::Nodes => t.nodes[dep].name.to_string(),
                        Kind::Subgraphs => t.subgraphs[dep].name.to_string(),
                    };
                    found.push(place(entry), Rule::AfterListedTwice { node });
                }
                Some(last) => *last = self.current,
            }
        }
    }
}
