//! The `after` lists of nodes and subgraphs: each entry names a node (or
//! subgraph) the graph has, and names it once. Their cycles are
//! `cycles.rs`'s.

use super::Found;
use super::violation::{Place, Rule};

pub(super) fn check(found: &mut Found<'_>) {
    let t = found.topology;
    let node_name = |n: usize| t.nodes[n].name.to_string();
    let subgraph_name = |s: usize| t.subgraphs[s].name.to_string();
    for (n, node) in t.nodes.iter().enumerate() {
        let nodes = Entries::nodes(&node.after, t.nodes.len(), &node_name);
        nodes.check(found, |entry| Place::After { node: n, entry });
        let subgraphs =
            Entries::subgraphs(&node.after_subgraphs, t.subgraphs.len(), &subgraph_name);
        subgraphs.check(found, |entry| Place::AfterSubgraph { node: n, entry });
    }
    for (s, subgraph) in t.subgraphs.iter().enumerate() {
        let nodes = Entries::nodes(&subgraph.after, t.nodes.len(), &node_name);
        nodes.check(found, |entry| Place::SubgraphAfter { subgraph: s, entry });
        let subgraphs =
            Entries::subgraphs(&subgraph.after_subgraphs, t.subgraphs.len(), &subgraph_name);
        subgraphs.check(found, |entry| Place::SubgraphAfterSubgraph {
            subgraph: s,
            entry,
        });
    }
}

/// One `after` list: indices into the nodes or into the subgraphs.
struct Entries<'a> {
    list: &'a [usize],
    /// How many nodes (or subgraphs) the graph has.
    count: usize,
    name: &'a dyn Fn(usize) -> String,
    unknown: fn(usize) -> Rule,
}

impl<'a> Entries<'a> {
    fn nodes(list: &'a [usize], count: usize, name: &'a dyn Fn(usize) -> String) -> Self {
        let unknown = |index| Rule::UnknownNode { index };
        Entries {
            list,
            count,
            name,
            unknown,
        }
    }

    fn subgraphs(list: &'a [usize], count: usize, name: &'a dyn Fn(usize) -> String) -> Self {
        let unknown = |index| Rule::UnknownSubgraph { index };
        Entries {
            list,
            count,
            name,
            unknown,
        }
    }

    fn check(&self, found: &mut Found<'_>, place: impl Fn(usize) -> Place) {
        for (entry, &dep) in self.list.iter().enumerate() {
            if dep >= self.count {
                found.push(place(entry), (self.unknown)(dep));
            } else if self.list[..entry].contains(&dep) {
                let node = (self.name)(dep);
                found.push(place(entry), Rule::AfterListedTwice { node });
            }
        }
    }
}
