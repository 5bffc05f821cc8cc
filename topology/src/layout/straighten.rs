//! A finishing pass over the horizontal positions. The rounds in
//! [`horizontal`](super::horizontal) minimise squared line lengths, which
//! spreads a long line's bends over every rank it passes; people read a
//! line more easily when it runs straight and bends once. So here each
//! variable moves alone, only within the interval its constraints leave it
//! given its neighbours — every step keeps the layout valid: frames close
//! in on what they hold, the dummies of a long line line up on one x
//! wherever their intervals share one, and boxes move to the median of
//! the lines they meet.

use super::items::Graph;
use super::separation::Separation;

const PASSES: usize = 4;

pub(super) struct Straighten<'a> {
    graph: &'a Graph,
    constraints: &'a [Separation],
    incoming: Vec<Vec<usize>>,
    outgoing: Vec<Vec<usize>>,
    /// Frame side variables, innermost frames first: (variable, is left side).
    frame_sides: Vec<(usize, bool)>,
    /// The items each vertex is linked to.
    neighbours: Vec<Vec<usize>>,
}

impl<'a> Straighten<'a> {
    pub fn new(
        graph: &'a Graph,
        constraints: &'a [Separation],
        variables: usize,
        frame_sides: Vec<(usize, bool)>,
    ) -> Straighten<'a> {
        let (mut incoming, mut outgoing) =
            (vec![Vec::new(); variables], vec![Vec::new(); variables]);
        for (c, s) in constraints.iter().enumerate() {
            incoming[s.right].push(c);
            outgoing[s.left].push(c);
        }
        let mut neighbours = vec![Vec::new(); graph.items.len()];
        for (a, b) in graph.segments() {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
        Straighten {
            graph,
            constraints,
            incoming,
            outgoing,
            frame_sides,
            neighbours,
        }
    }

    /// Where variable `v` may go with every other variable where it is.
    fn interval(&self, x: &[f64], v: usize) -> (f64, f64) {
        let low = self.incoming[v]
            .iter()
            .map(|&c| x[self.constraints[c].left] + self.constraints[c].gap)
            .fold(f64::MIN, f64::max);
        let high = self.outgoing[v]
            .iter()
            .map(|&c| x[self.constraints[c].right] - self.constraints[c].gap)
            .fold(f64::MAX, f64::min);
        (low, high.max(low))
    }

    pub fn run(&self, x: &mut [f64]) {
        let items = &self.graph.items;
        let line = |x: &[f64], i: usize| x[i] + items[i].line_offset();
        for _ in 0..PASSES {
            for &(side, left) in &self.frame_sides {
                let (low, high) = self.interval(x, side);
                x[side] = if left { high } else { low };
            }
            for chain in &self.graph.chains {
                let dummies = &chain.items[1..chain.items.len() - 1];
                let mut start = 0;
                while start < dummies.len() {
                    // The longest run from `start` whose intervals share an x.
                    let (mut low, mut high) = (f64::MIN, f64::MAX);
                    let mut end = start;
                    while end < dummies.len() {
                        let d = dummies[end];
                        let (l, h) = self.interval(x, d);
                        let offset = items[d].line_offset();
                        if l + offset > high || h + offset < low {
                            break;
                        }
                        (low, high) = (low.max(l + offset), high.min(h + offset));
                        end += 1;
                    }
                    let run = &dummies[start..end];
                    let mean = run.iter().map(|&d| line(x, d)).sum::<f64>() / run.len() as f64;
                    let target = mean.clamp(low, high);
                    for &d in run {
                        x[d] = target - items[d].line_offset();
                    }
                    start = end;
                }
            }
            for v in 0..items.len() {
                if !items[v].is_vertex() || self.neighbours[v].is_empty() {
                    continue;
                }
                let mut lines: Vec<f64> = self.neighbours[v].iter().map(|&n| line(x, n)).collect();
                lines.sort_by(f64::total_cmp);
                let median = (lines[(lines.len() - 1) / 2] + lines[lines.len() / 2]) / 2.0;
                let (low, high) = self.interval(x, v);
                x[v] = median.clamp(low, high);
            }
        }
    }
}
