//! Cycles in the `after` dependencies and in the scope nesting, found by a
//! depth-first search so each one can be named in full, at the reference
//! that closes it. References out of range are reported elsewhere and
//! skipped here.

use super::Found;
use super::violation::{Place, Rule};

pub(super) fn check(found: &mut Found<'_>) {
    let t = found.topology;
    let after: Vec<Vec<(usize, usize)>> = t
        .nodes
        .iter()
        .map(|n| {
            let mut deps: Vec<(usize, usize)> = Vec::new();
            for (entry, &dep) in n.after.iter().enumerate() {
                if dep < t.nodes.len() && !deps.iter().any(|&(d, _)| d == dep) {
                    deps.push((dep, entry));
                }
            }
            deps
        })
        .collect();
    for (cycle, node, entry) in find(&after) {
        let cycle = cycle.iter().map(|&n| t.nodes[n].name.to_string()).collect();
        found.push(Place::After { node, entry }, Rule::AfterCycle { cycle });
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
    fn no_cycle_in_a_diamond() {
        assert!(cycles(&[&[1, 2], &[3], &[3], &[]]).is_empty());
    }
}
