//! Horizontal coordinates. Each rank's order becomes separation constraints
//! (neighbours apart, items inside their scope's frame, frames wide enough
//! for their label, sibling frames apart on every rank they share); then
//! items are pulled repeatedly towards the mean of the items they are
//! linked to and the constraints are satisfied again — long lines pull
//! hardest — and [`straighten`](super::straighten) finishes the job.

use super::items::{Graph, Item, ItemKind};
use super::metrics::{BOX_SEP, DETAIL_FONT, FRAME_PAD, FRAME_SEP, LINE_SEP, MARGIN, text_width};
use super::separation::{Separation, satisfy};
use super::straighten::Straighten;
use crate::scopes::ScopeTree;

const ROUNDS: usize = 60;

/// Where everything sits horizontally.
pub(super) struct Columns {
    /// The centre of every item.
    pub x: Vec<f64>,
    /// Left and right edge of every frame.
    pub frame_x: Vec<(f64, f64)>,
    /// Width of the whole drawing.
    pub width: f64,
}

pub(super) fn place(
    graph: &Graph,
    tree: &ScopeTree,
    ranks: &[Vec<usize>],
    frame_labels: &[String],
) -> Columns {
    let horizontal = Horizontal::new(graph, tree, ranks, frame_labels);
    let (mut x, mut frame_x) = horizontal.solve();
    let left = x
        .iter()
        .zip(&graph.items)
        .map(|(x, i)| x - i.width / 2.0)
        .chain(frame_x.iter().map(|f| f.0))
        .fold(f64::MAX, f64::min);
    let shift = MARGIN - left;
    x.iter_mut().for_each(|x| *x += shift);
    frame_x
        .iter_mut()
        .for_each(|f| *f = (f.0 + shift, f.1 + shift));
    let right = x
        .iter()
        .zip(&graph.items)
        .map(|(x, i)| x + i.width / 2.0)
        .chain(frame_x.iter().map(|f| f.1))
        .fold(0.0, f64::max);
    Columns {
        x,
        frame_x,
        width: (right + MARGIN).ceil(),
    }
}

/// One horizontal side of an entry in a rank: an item's edge or a frame's.
#[derive(Clone, Copy)]
enum Side {
    Item(usize),
    Frame(usize),
}

struct Horizontal<'g> {
    graph: &'g Graph,
    constraints: Vec<Separation>,
    /// Linked neighbours of every item with the pull they exert.
    pulls: Vec<Vec<(usize, f64)>>,
    ranks: &'g [Vec<usize>],
    /// Nesting depth of every scope.
    depths: Vec<usize>,
}

impl<'g> Horizontal<'g> {
    fn new(
        graph: &'g Graph,
        tree: &ScopeTree,
        ranks: &'g [Vec<usize>],
        frame_labels: &[String],
    ) -> Horizontal<'g> {
        let items = &graph.items;
        let n = items.len();
        // A side's coordinate is a variable plus an offset: items are
        // variables at their centre, frames have one variable per side.
        let left_of = |side: Side| match side {
            Side::Item(i) => (i, -items[i].width / 2.0),
            Side::Frame(s) => (n + 2 * s, 0.0),
        };
        let right_of = |side: Side| match side {
            Side::Item(i) => (i, items[i].width / 2.0),
            Side::Frame(s) => (n + 2 * s + 1, 0.0),
        };
        let mut constraints = Vec::new();
        // Coordinate `b` at least `gap` right of coordinate `a`.
        let mut keep = |(a, a_offset): (usize, f64), (b, b_offset): (usize, f64), gap: f64| {
            constraints.push(Separation {
                left: a,
                right: b,
                gap: gap + a_offset - b_offset,
            });
        };
        let chains: Vec<Vec<usize>> = items.iter().map(|i| tree.chain(i.scope)).collect();
        for rank in ranks {
            for pair in rank.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                // Compare at the level where the two part: two items of one
                // scope, or the frames (or item) that hold each.
                let shared = chains[a]
                    .iter()
                    .zip(&chains[b])
                    .take_while(|(x, y)| x == y)
                    .count();
                let side = |item: usize| match chains[item].get(shared) {
                    Some(&s) => Side::Frame(s),
                    None => Side::Item(item),
                };
                let gap = match (side(a), side(b)) {
                    (Side::Item(a), Side::Item(b)) => item_gap(&items[a], &items[b]),
                    _ => FRAME_SEP,
                };
                keep(right_of(side(a)), left_of(side(b)), gap);
            }
        }
        let mut contain = |outer: Side, inner: Side| {
            keep(left_of(outer), left_of(inner), FRAME_PAD);
            keep(right_of(inner), right_of(outer), FRAME_PAD);
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = item.scope {
                contain(Side::Frame(s), Side::Item(i));
            }
        }
        for s in 0..tree.len() {
            if let Some(p) = tree.parent(s) {
                contain(Side::Frame(p), Side::Frame(s));
            }
        }
        for (s, label) in frame_labels.iter().enumerate() {
            let width = text_width(label, DETAIL_FONT) + 2.0 * FRAME_PAD;
            keep(left_of(Side::Frame(s)), right_of(Side::Frame(s)), width);
        }

        let mut pulls = vec![Vec::new(); n];
        for (a, b) in graph.segments() {
            // Weights as in Graphviz dot: straight long lines matter most.
            let w = match (items[a].is_vertex(), items[b].is_vertex()) {
                (true, true) => 1.0,
                (false, false) => 8.0,
                _ => 2.0,
            };
            pulls[a].push((b, w));
            pulls[b].push((a, w));
        }
        let depths = (0..tree.len()).map(|s| tree.depth(s)).collect();
        Horizontal {
            graph,
            constraints,
            pulls,
            ranks,
            depths,
        }
    }

    fn solve(&self) -> (Vec<f64>, Vec<(f64, f64)>) {
        let items = &self.graph.items;
        let n = items.len();
        let scopes = self.graph.spans.len();
        let mut x = vec![0.0; n + 2 * scopes];
        for rank in self.ranks {
            let mut at = 0.0;
            for &i in rank {
                x[i] = at + items[i].width / 2.0;
                at += items[i].width + BOX_SEP;
            }
        }
        let line = |x: &[f64], i: usize| x[i] + items[i].line_offset();
        for round in 0..=ROUNDS {
            let mut desired = x.clone();
            let mut weight = vec![1.0; x.len()];
            for i in 0..n {
                let pulls = &self.pulls[i];
                if round > 0 && !pulls.is_empty() {
                    let total: f64 = pulls.iter().map(|p| p.1).sum();
                    let mean = pulls.iter().map(|&(j, w)| w * line(&x, j)).sum::<f64>() / total;
                    // Half a step towards the mean keeps the rounds from oscillating.
                    desired[i] = (x[i] + mean - items[i].line_offset()) / 2.0;
                    weight[i] = total;
                } else if matches!(items[i].kind, ItemKind::Placeholder) {
                    weight[i] = 0.01;
                }
            }
            // Frame sides want to close in on their contents' middle, so a
            // frame hugs what it holds without pulling it.
            for s in 0..scopes {
                let middle = (x[n + 2 * s] + x[n + 2 * s + 1]) / 2.0;
                desired[n + 2 * s] = middle;
                desired[n + 2 * s + 1] = middle;
                weight[n + 2 * s] = 1e-3;
                weight[n + 2 * s + 1] = 1e-3;
            }
            x = satisfy(&desired, &weight, &self.constraints);
        }
        let mut frame_sides: Vec<(usize, bool)> = (0..scopes)
            .flat_map(|s| [(n + 2 * s, true), (n + 2 * s + 1, false)])
            .collect();
        frame_sides.sort_by_key(|&(v, _)| std::cmp::Reverse(self.depths[(v - n) / 2]));
        Straighten::new(self.graph, &self.constraints, x.len(), frame_sides).run(&mut x);
        let frames = (0..scopes)
            .map(|s| (x[n + 2 * s], x[n + 2 * s + 1]))
            .collect();
        x.truncate(n);
        (x, frames)
    }
}

fn item_gap(a: &Item, b: &Item) -> f64 {
    match (a.is_vertex(), b.is_vertex()) {
        (true, true) => BOX_SEP,
        (false, false) => LINE_SEP,
        _ => (BOX_SEP + LINE_SEP) / 2.0,
    }
}
