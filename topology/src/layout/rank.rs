//! Layering: every vertex gets a layer so that pipes run from writer
//! (above) to reader (below). Cycles — a pipe back to the parent, two
//! processes feeding each other — are broken by turning some links upward,
//! chosen greedily and deterministically: pipes claim their direction
//! first, then `after` dependencies, then socketpairs (which have none of
//! their own), each in declaration order.

use super::dag::{longest_path_layers, reaches, topological};
use crate::links::LinkKind;

/// A link between two distinct vertices, by vertex index.
pub(super) struct Arc {
    pub from: usize,
    pub to: usize,
    pub kind: LinkKind,
}

/// The layer of every vertex, and for every arc whether it points upward.
pub(super) struct Layering {
    pub layer: Vec<usize>,
    pub upward: Vec<bool>,
}

pub(super) fn layers(vertices: usize, arcs: &[Arc]) -> Layering {
    let priority = |kind: LinkKind| match kind {
        LinkKind::Pipe => 0,
        LinkKind::After => 1,
        LinkKind::SocketPair => 2,
    };
    let mut by_priority: Vec<usize> = (0..arcs.len()).collect();
    by_priority.sort_by_key(|&a| priority(arcs[a].kind));

    let mut successors = vec![Vec::new(); vertices];
    let mut upward = vec![false; arcs.len()];
    for a in by_priority {
        let Arc { from, to, .. } = arcs[a];
        upward[a] = reaches(&successors, to, from);
        let [u, v] = upper_first([from, to], upward[a]);
        successors[u].push(v);
    }

    let order = topological(&successors);
    let mut layer = longest_path_layers(&successors, &order);
    let mut predecessors = vec![0usize; vertices];
    successors
        .iter()
        .flatten()
        .for_each(|&v| predecessors[v] += 1);
    // A source sits right above its nearest successor rather than on the
    // top layer, so a parent feeding one deep process draws a short arrow.
    for &u in order.iter().rev() {
        if predecessors[u] == 0
            && let Some(nearest) = successors[u].iter().map(|&v| layer[v]).min()
        {
            layer[u] = nearest - 1;
        }
    }
    let top = layer.iter().copied().min().unwrap_or(0);
    layer.iter_mut().for_each(|l| *l -= top);
    Layering { layer, upward }
}

/// An arc's two ends, `[from, to]`, or anything held per end, with the
/// end on the upper layer first: swapped when the arc points upward.
pub(super) fn upper_first<T>([from, to]: [T; 2], upward: bool) -> [T; 2] {
    if upward { [to, from] } else { [from, to] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe(from: usize, to: usize) -> Arc {
        Arc {
            from,
            to,
            kind: LinkKind::Pipe,
        }
    }

    #[test]
    fn writers_sit_above_readers() {
        let l = layers(3, &[pipe(0, 1), pipe(1, 2)]);
        assert_eq!(l.layer, [0, 1, 2]);
        assert_eq!(l.upward, [false, false]);
    }

    #[test]
    fn a_cycle_turns_its_last_pipe_upward() {
        let l = layers(3, &[pipe(2, 0), pipe(0, 1), pipe(1, 2)]);
        assert_eq!(l.layer, [1, 2, 0]);
        assert_eq!(l.upward, [false, false, true]);
    }

    #[test]
    fn socketpairs_yield_to_pipes() {
        let sp = Arc {
            from: 1,
            to: 0,
            kind: LinkKind::SocketPair,
        };
        let l = layers(2, &[sp, pipe(0, 1)]);
        assert_eq!(l.layer, [0, 1]);
        assert_eq!(l.upward, [true, false]);
    }

    #[test]
    fn a_source_moves_down_to_its_reader() {
        let l = layers(4, &[pipe(0, 1), pipe(1, 2), pipe(3, 2)]);
        assert_eq!(l.layer, [0, 1, 2, 1]);
    }
}
