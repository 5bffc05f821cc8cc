//! Cycles in the `after` dependencies (among nodes and subgraphs: a
//! subgraph stands for all of its nodes) and in the scope nesting, found by a
//! depth-first search so each one can be named in full, at the reference
//! that closes it. References out of range are reported elsewhere and
//! skipped here.

use super::Found;
use super::violation::{Place, Rule};

pub(super) fn check(found: &mut Found<'_>) {
    let t = found.topology;
    // Vertices: the nodes, then the subgraphs (vertex `nodes + s`); each
    // dependency labelled by the entry that declares it.
    let nodes = t.nodes.len();
    let mut places = Vec::new();
    let mut after: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes + t.subgraphs.len()];
    // The vertex whose dependencies last named each vertex: a vertex's
    // dependencies are added together, so a repeat is seen without a scan.
    let mut named_by = vec![usize::MAX; after.len()];
    let mut depend = |v: usize, dep: Option<usize>, place: Place| {
        if let Some(dep) = dep
            && std::mem::replace(&mut named_by[dep], v) != v
        {
            after[v].push((dep, places.len()));
            places.push(place);
        }
    };
    let node = |n: usize| (n < nodes).then_some(n);
    let subgraph = |s: usize| (s < t.subgraphs.len()).then_some(nodes + s);
    for (n, info) in t.nodes.iter().enumerate() {
        for (entry, &dep) in info.after.iter().enumerate() {
            depend(n, node(dep), Place::After { node: n, entry });
        }
        for (entry, &dep) in info.after_subgraphs.iter().enumerate() {
            depend(n, subgraph(dep), Place::AfterSubgraph { node: n, entry });
        }
    }
    for (s, info) in t.subgraphs.iter().enumerate() {
        for (entry, &dep) in info.after.iter().enumerate() {
            let place = Place::SubgraphAfter { subgraph: s, entry };
            depend(nodes + s, node(dep), place);
        }
        for (entry, &dep) in info.after_subgraphs.iter().enumerate() {
            let place = Place::SubgraphAfterSubgraph { subgraph: s, entry };
            depend(nodes + s, subgraph(dep), place);
        }
    }
    let name = |v: usize| match v.checked_sub(nodes) {
        None => t.nodes[v].name.to_string(),
        Some(s) => t.subgraphs[s].name.to_string(),
    };
    for (cycle, _, label) in find(&after) {
        let cycle = cycle.into_iter().map(name).collect();
        found.push(places[label], Rule::AfterCycle { cycle });
    }
    let nesting: Vec<Vec<(usize, usize)>> = t
        .scopes
        .iter()
        .map(|s| {
            s.parent
                .filter(|&p| p < t.scopes.len())
                .map(|p| (p, 0))
                .into_iter()
                .collect()
        })
        .collect();
    for (cycle, scope, _) in find(&nesting) {
        let cycle = cycle
            .iter()
            .map(|&s| t.scopes[s].name.to_string())
            .collect();
        found.push(Place::ScopeParent(scope), Rule::ScopeCycle { cycle });
    }
}

/// Every cycle of the graph whose vertex `v` points to each `(w, label)` of
/// `deps[v]`: the vertices round it (the first repeated at the end), and the
/// vertex and label of the reference that closes it.
fn find(deps: &[Vec<(usize, usize)>]) -> Vec<(Vec<usize>, usize, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    struct Search<'d> {
        deps: &'d [Vec<(usize, usize)>],
        state: Vec<State>,
        path: Vec<usize>,
        found: Vec<(Vec<usize>, usize, usize)>,
    }
    impl Search<'_> {
        fn visit(&mut self, v: usize) {
            self.state[v] = State::OnPath;
            self.path.push(v);
            for &(w, label) in &self.deps[v] {
                match self.state[w] {
                    State::New => self.visit(w),
                    State::OnPath => {
                        let start = self.path.iter().position(|&p| p == w).unwrap_or(0);
                        let mut cycle = self.path[start..].to_vec();
                        cycle.push(w);
                        self.found.push((cycle, v, label));
                    }
                    State::Done => {}
                }
            }
            self.path.pop();
            self.state[v] = State::Done;
        }
    }
    let mut search = Search {
        deps,
        state: vec![State::New; deps.len()],
        path: Vec::new(),
        found: Vec::new(),
    };
    for v in 0..deps.len() {
        if search.state[v] == State::New {
            search.visit(v);
        }
    }
    search.found
}

#[cfg(test)]
mod tests {
    use super::find;

    fn cycles(edges: &[&[usize]]) -> Vec<Vec<usize>> {
        let deps: Vec<Vec<(usize, usize)>> = edges
            .iter()
            .map(|e| e.iter().map(|&n| (n, 0)).collect())
            .collect();
        find(&deps).into_iter().map(|(c, _, _)| c).collect()
    }

    #[test]
    fn names_each_cycle_in_full() {
        assert_eq!(cycles(&[&[1], &[2], &[0]]), [vec![0, 1, 2, 0]]);
        assert_eq!(cycles(&[&[0]]), [vec![0, 0]]);
        assert_eq!(
            cycles(&[&[1], &[0], &[3], &[2]]),
            [vec![0, 1, 0], vec![2, 3, 2]]
        );
    }

    #[test]
    fn a_cycle_through_a_subgraph_is_named_with_it() {
        use crate::model::{NodeInfo, SubgraphInfo, Topology};
        use crate::rules::{Place, Rule};
        // `web` after `db`, `db` after `cache`, `cache` after `web`.
        let topology = Topology {
            nodes: vec![NodeInfo {
                name: "web".into(),
                after_subgraphs: vec![0].into(),
                ..NodeInfo::default()
            }]
            .into(),
            subgraphs: vec![
                SubgraphInfo {
                    name: "db".into(),
                    after_subgraphs: vec![1].into(),
                    ..SubgraphInfo::default()
                },
                SubgraphInfo {
                    name: "cache".into(),
                    after: vec![0].into(),
                    ..SubgraphInfo::default()
                },
            ]
            .into(),
            ..Topology::default()
        };
        let broken = topology.check().unwrap_err();
        let [violation] = broken.violations() else {
            panic!("{broken}")
        };
        let cycle = ["web", "db", "cache", "web"].map(String::from).to_vec();
        assert_eq!(violation.rule, Rule::AfterCycle { cycle });
        let place = Place::SubgraphAfter {
            subgraph: 1,
            entry: 0,
        };
        assert_eq!(violation.place, place);
        assert_eq!(violation.subject, "subgraph \"cache\"");
    }

    #[test]
    fn after_lists_of_subgraphs_resolve_and_name_each_once() {
        use crate::model::{SubgraphInfo, Topology};
        use crate::rules::{Place, Rule};
        let topology = Topology {
            subgraphs: vec![SubgraphInfo {
                name: "db".into(),
                after: vec![3].into(),
                after_subgraphs: vec![5, 0, 0].into(),
                ..SubgraphInfo::default()
            }]
            .into(),
            ..Topology::default()
        };
        let rules: Vec<(Place, Rule)> = topology
            .check()
            .unwrap_err()
            .violations()
            .iter()
            .map(|v| (v.place, v.rule.clone()))
            .collect();
        let at = |entry| Place::SubgraphAfterSubgraph { subgraph: 0, entry };
        assert_eq!(
            rules,
            [
                (
                    Place::SubgraphAfter {
                        subgraph: 0,
                        entry: 0
                    },
                    Rule::UnknownNode { index: 3 }
                ),
                (at(0), Rule::UnknownSubgraph { index: 5 }),
                (at(2), Rule::AfterListedTwice { node: "db".into() }),
                (
                    at(1),
                    Rule::AfterCycle {
                        cycle: vec!["db".into(), "db".into()]
                    }
                ),
            ]
        );
    }

    #[test]
    fn no_cycle_in_a_diamond() {
        assert!(cycles(&[&[1, 2], &[3], &[3], &[]]).is_empty());
    }
}
