//! Small routines on directed graphs given as successor lists, shared by the
//! layout steps that build one: ranks by data flow, tracks for sideways
//! lines, and the order of separation constraints.

/// True if `target` can be reached from `from`.
pub(super) fn reaches(successors: &[Vec<usize>], from: usize, target: usize) -> bool {
    let mut seen = vec![false; successors.len()];
    let mut stack = vec![from];
    while let Some(u) = stack.pop() {
        if u == target {
            return true;
        }
        if !std::mem::replace(&mut seen[u], true) {
            stack.extend(&successors[u]);
        }
    }
    false
}

/// Kahn's algorithm, smallest index first among the ready vertices.
/// Vertices on a cycle (which the callers never build) come last, in index
/// order, so the result is still a permutation.
pub(super) fn topological(successors: &[Vec<usize>]) -> Vec<usize> {
    let n = successors.len();
    let mut indegree = vec![0usize; n];
    successors.iter().flatten().for_each(|&v| indegree[v] += 1);
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut order = Vec::with_capacity(n);
    let mut placed = vec![false; n];
    while let Some(u) = ready.pop_first() {
        order.push(u);
        placed[u] = true;
        for &v in &successors[u] {
            indegree[v] -= 1;
            if indegree[v] == 0 {
                ready.insert(v);
            }
        }
    }
    order.extend((0..n).filter(|&v| !placed[v]));
    order
}

/// Each vertex's longest distance from a source (an acyclic graph).
pub(super) fn longest_path_layers(successors: &[Vec<usize>], order: &[usize]) -> Vec<usize> {
    let mut layer = vec![0usize; successors.len()];
    for &u in order {
        for &v in &successors[u] {
            layer[v] = layer[v].max(layer[u] + 1);
        }
    }
    layer
}
