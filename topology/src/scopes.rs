//! The scope nesting as a tree every renderer can trust: a parent index
//! that is out of range or part of a nesting cycle (the macro rejects both)
//! makes the scope a root instead of hanging or panicking a renderer, and a
//! node or subgraph naming a scope that does not exist is in none.

use crate::model::Topology;

/// Scopes as a forest, with the scope of every node and subgraph.
#[derive(Debug, Clone)]
pub(crate) struct ScopeTree {
    parent: Vec<Option<usize>>,
    node_scope: Vec<Option<usize>>,
    subgraph_scope: Vec<Option<usize>>,
}

impl ScopeTree {
    pub fn new(topology: &Topology) -> ScopeTree {
        let count = topology.scopes.len();
        let raw = |s: usize| topology.scopes[s].parent.filter(|&p| p < count);
        let parent = (0..count)
            .map(|s| {
                // The parent is kept when walking up from it ends at a root
                // within `count` steps without passing through `s`.
                let mut at = raw(s);
                for _ in 0..count {
                    match at {
                        None => return raw(s),
                        Some(p) if p == s => return None,
                        Some(p) => at = raw(p),
                    }
                }
                None
            })
            .collect();
        let node_scope = topology
            .nodes
            .iter()
            .map(|n| n.scope.filter(|&s| s < count))
            .collect();
        let subgraph_scope = topology
            .subgraphs
            .iter()
            .map(|g| g.scope.filter(|&s| s < count))
            .collect();
        ScopeTree {
            parent,
            node_scope,
            subgraph_scope,
        }
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn parent(&self, scope: usize) -> Option<usize> {
        self.parent[scope]
    }

    /// The scope of a node, if it names one that exists.
    pub fn of_node(&self, node: usize) -> Option<usize> {
        self.node_scope[node]
    }

    /// The scope of a subgraph, if it names one that exists.
    pub fn of_subgraph(&self, subgraph: usize) -> Option<usize> {
        self.subgraph_scope[subgraph]
    }

    /// The subgraphs directly in `scope` (`None`: outside every scope), in
    /// declaration order.
    pub fn subgraphs_in(&self, scope: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        (0..self.subgraph_scope.len()).filter(move |&g| self.subgraph_scope[g] == scope)
    }

    /// The nodes directly in `scope` (`None`: outside every scope), in
    /// declaration order.
    pub fn nodes_in(&self, scope: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        (0..self.node_scope.len()).filter(move |&n| self.node_scope[n] == scope)
    }

    /// The scopes directly inside `scope` (`None`: the top level), in declaration order.
    pub fn children(&self, scope: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).filter(move |&s| self.parent[s] == scope)
    }

    /// The scopes from the outermost down to `scope` itself.
    pub fn chain(&self, scope: Option<usize>) -> Vec<usize> {
        let mut chain: Vec<usize> = std::iter::successors(scope, |&s| self.parent[s]).collect();
        chain.reverse();
        chain
    }

    /// How many scopes enclose `scope` (0 for a top-level scope).
    pub fn depth(&self, scope: usize) -> usize {
        self.chain(Some(scope)).len() - 1
    }

    /// The innermost scope enclosing both.
    pub fn common(&self, a: Option<usize>, b: Option<usize>) -> Option<usize> {
        let (a, b) = (self.chain(a), self.chain(b));
        a.iter()
            .zip(&b)
            .take_while(|(x, y)| x == y)
            .last()
            .map(|(x, _)| *x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScopeInfo;

    fn scope(name: &'static str, parent: Option<usize>) -> ScopeInfo {
        ScopeInfo {
            name: name.into(),
            parent,
            ..ScopeInfo::default()
        }
    }

    fn tree(scopes: &'static [ScopeInfo]) -> ScopeTree {
        ScopeTree::new(&Topology {
            scopes: scopes.into(),
            ..Topology::default()
        })
    }

    #[test]
    fn nesting_cycles_and_bad_indices_become_roots() {
        let t = tree(Box::leak(Box::new([
            scope("a", Some(1)),
            scope("b", Some(0)),
            scope("c", Some(9)),
            scope("d", Some(3)),
            scope("e", Some(2)),
        ])));
        assert_eq!(
            (0..5).map(|s| t.parent(s)).collect::<Vec<_>>(),
            [None, None, None, None, Some(2)]
        );
    }

    #[test]
    fn common_scope_is_the_innermost_shared_one() {
        let t = tree(Box::leak(Box::new([
            scope("outer", None),
            scope("left", Some(0)),
            scope("right", Some(0)),
        ])));
        assert_eq!(t.common(Some(1), Some(2)), Some(0));
        assert_eq!(t.common(Some(1), Some(1)), Some(1));
        assert_eq!(t.common(Some(1), None), None);
        assert_eq!(t.chain(Some(2)), [0, 2]);
        assert_eq!(t.depth(2), 1);
    }
}
