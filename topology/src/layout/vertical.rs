//! Vertical coordinates: ranks stacked top to bottom, each gap between two
//! ranks tall enough for the frames that end above it and start below it,
//! and for the horizontal tracks of the lines that jog across it.

use super::items::Graph;
use super::metrics::{FRAME_HEADER, FRAME_PAD, MARGIN, RANK_GAP, TRACK_END, TRACK_SEP};
use crate::scopes::ScopeTree;

pub(super) struct Rows {
    /// Top edge and height of every rank.
    pub rank_y: Vec<(f64, f64)>,
    /// Top and bottom edge of every frame.
    pub frame_y: Vec<(f64, f64)>,
    /// The y of the first track in the gap below every rank.
    pub first_track: Vec<f64>,
    /// Height of the whole drawing.
    pub height: f64,
}

impl Rows {
    pub fn track_y(&self, rank: usize, track: usize) -> f64 {
        self.first_track[rank] + track as f64 * TRACK_SEP
    }
}

/// `tracks[r]`: how many tracks the gap below rank `r` needs.
pub(super) fn place(graph: &Graph, tree: &ScopeTree, tracks: &[usize]) -> Rows {
    let spans = &graph.spans;
    let scopes = spans.len();
    let headers: Vec<usize> = (0..scopes)
        .map(|s| stacked(tree, spans, s, |span| span.0))
        .collect();
    let footers: Vec<usize> = (0..scopes)
        .map(|s| stacked(tree, spans, s, |span| span.1))
        .collect();
    let mut above = vec![0.0f64; graph.ranks];
    let mut below = vec![0.0f64; graph.ranks];
    for s in 0..scopes {
        above[spans[s].0] = above[spans[s].0].max(headers[s] as f64 * FRAME_HEADER);
        below[spans[s].1] = below[spans[s].1].max(footers[s] as f64 * FRAME_PAD);
    }
    let mut band = vec![0.0f64; graph.ranks];
    for item in &graph.items {
        band[item.rank] = band[item.rank].max(item.height);
    }
    let mut rank_y = Vec::with_capacity(graph.ranks);
    let mut first_track = Vec::with_capacity(graph.ranks);
    let mut y = MARGIN;
    for r in 0..graph.ranks {
        y += above[r];
        rank_y.push((y, band[r]));
        y += band[r] + below[r];
        first_track.push(y + TRACK_END);
        if r + 1 < graph.ranks {
            y += match tracks[r] {
                0 => RANK_GAP,
                n => 2.0 * TRACK_END + (n - 1) as f64 * TRACK_SEP,
            };
        }
    }
    let frame_y = (0..scopes)
        .map(|s| {
            let (top, bottom) = spans[s];
            (
                rank_y[top].0 - headers[s] as f64 * FRAME_HEADER,
                rank_y[bottom].0 + rank_y[bottom].1 + footers[s] as f64 * FRAME_PAD,
            )
        })
        .collect();
    Rows {
        rank_y,
        frame_y,
        first_track,
        height: (y + MARGIN).ceil(),
    }
}

/// How many frames start (with `end` = first rank) or end (last rank) on
/// the same rank as scope `s` and nest in it, itself included: each needs
/// its own header (or padding) strip.
fn stacked(
    tree: &ScopeTree,
    spans: &[(usize, usize)],
    s: usize,
    end: fn((usize, usize)) -> usize,
) -> usize {
    1 + tree
        .children(Some(s))
        .filter(|&c| end(spans[c]) == end(spans[s]))
        .map(|c| stacked(tree, spans, c, end))
        .max()
        .unwrap_or(0)
}
