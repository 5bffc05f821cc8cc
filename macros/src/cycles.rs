//! Cycles in a dependency graph (`after` lists, scope nesting), found by a
//! depth-first search so each one can be named in full.

use proc_macro2::Span;

/// One dependency: the index it points to, and the span of the reference.
pub type Dependency = (usize, Span);

/// Every cycle, each as the indices along it (the first one repeated at the
/// end) and the span of the reference that closes it.
pub fn find(deps: &[Vec<Dependency>]) -> Vec<(Vec<usize>, Span)> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    fn visit(
        node: usize,
        deps: &[Vec<Dependency>],
        state: &mut [State],
        path: &mut Vec<usize>,
        found: &mut Vec<(Vec<usize>, Span)>,
    ) {
        state[node] = State::OnPath;
        path.push(node);
        for &(next, span) in &deps[node] {
            match state[next] {
                State::New => visit(next, deps, state, path, found),
                State::OnPath => {
                    let start = path.iter().position(|&n| n == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next);
                    found.push((cycle, span));
                }
                State::Done => {}
            }
        }
        path.pop();
        state[node] = State::Done;
    }

    let mut state = vec![State::New; deps.len()];
    let mut found = Vec::new();
    for node in 0..deps.len() {
        if state[node] == State::New {
            visit(node, deps, &mut state, &mut Vec::new(), &mut found);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(edges: &[&[usize]]) -> Vec<Vec<Dependency>> {
        edges
            .iter()
            .map(|e| e.iter().map(|&n| (n, Span::call_site())).collect())
            .collect()
    }

    fn cycles(edges: &[&[usize]]) -> Vec<Vec<usize>> {
        find(&deps(edges)).into_iter().map(|(c, _)| c).collect()
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
