//! The layered graph the layout works on: one item per vertex, a chain of
//! dummy items for every link that spans more than one rank, and
//! placeholders that keep a scope's frame present on ranks where it holds
//! nothing else.
//!
//! Vertices sit on even ranks; odd ranks between two layers carry the edge
//! labels, so a label takes room like a box and never covers another.

use super::metrics::{
    BOX_HEIGHT, BOX_HEIGHT_WITH_COMMAND, BOX_MIN_WIDTH, BOX_PAD, DETAIL_FONT, DETAIL_LINE,
    LABEL_GAP, LINE_SEP, LOOP_REACH, NAME_FONT, PIN_GAP, PIN_HEIGHT, PORT_INSET, label_size,
    pin_width, text_width,
};
use super::rank::{self, Arc, upper_first};
use crate::labels::vertex_lines;
use crate::links::{Link, Vertex};
use crate::model::Topology;
use crate::scopes::ScopeTree;
use crate::subgraphs::SubgraphPorts;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ItemKind {
    /// A process or the parent: the first items of a [`Graph`].
    Vertex,
    /// A link passing a rank.
    Dummy,
    /// A link passing a rank, with its label to the right of the line.
    Label { label_width: f64 },
    /// Holds a frame open on a rank where its scope has nothing else.
    Placeholder,
}

#[derive(Debug, Clone)]
pub(super) struct Item {
    pub kind: ItemKind,
    pub rank: usize,
    pub scope: Option<usize>,
    pub width: f64,
    pub height: f64,
}

impl Item {
    /// Where a line through this item runs, relative to its centre: a label
    /// item carries its line on its left edge, the text right of it.
    pub fn line_offset(&self) -> f64 {
        match self.kind {
            ItemKind::Label { .. } => -self.width / 2.0,
            _ => 0.0,
        }
    }

    pub fn is_vertex(&self) -> bool {
        matches!(self.kind, ItemKind::Vertex)
    }
}

/// A link drawn across ranks: its items from the upper end to the lower.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    pub link: usize,
    pub items: Vec<usize>,
    /// The link runs from the lower item up to the upper one.
    pub upward: bool,
    /// The edge whose other lines this one joins at the reader: one of
    /// several writers of a pipe.
    pub joins: Option<usize>,
    /// The subgraph port (subgraph, port) the line leaves the upper item's
    /// bottom at, and the one it enters the lower item's top at.
    pub pins: [Option<(usize, usize)>; 2],
}

/// Links from a vertex to itself, drawn as loops on the right of its box.
#[derive(Debug, Clone)]
pub(super) struct Loops {
    pub item: usize,
    pub links: Vec<usize>,
    pub box_width: f64,
}

#[derive(Debug, Clone)]
pub(super) struct Graph {
    pub items: Vec<Item>,
    pub chains: Vec<Chain>,
    pub loops: Vec<Loops>,
    pub ranks: usize,
    /// First and last rank of every scope's frame.
    pub spans: Vec<(usize, usize)>,
    /// The width of every subgraph port's pin, by subgraph, by port.
    pub pin_widths: Vec<Vec<f64>>,
}

impl Graph {
    /// Every pair of items next to each other on a line, the upper first.
    pub fn segments(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.chains
            .iter()
            .flat_map(|c| c.items.windows(2).map(|pair| (pair[0], pair[1])))
    }
}

/// Vertices are numbered nodes first, then subgraphs, then the parent; the
/// first items of a [`Graph`] are its vertices in that order.
pub(super) fn vertex_index(vertex: Vertex, nodes: usize, subgraphs: usize) -> usize {
    match vertex {
        Vertex::Node(n) => n,
        Vertex::Subgraph(s) => nodes + s,
        Vertex::Parent => nodes + subgraphs,
    }
}

/// The width of the pins of `ports` side by side on one side of a frame,
/// beside `lines` more lines that meet the frame itself (an `after`): the
/// router keeps a pin's gap between pins, and up to a line's separation
/// beside each such line.
fn pin_row(widths: &[f64], ports: &[usize], lines: usize) -> f64 {
    let pins: f64 = ports.iter().map(|&p| widths[p]).sum();
    pins + ports.len().saturating_sub(1) as f64 * PIN_GAP
        + lines as f64 * LINE_SEP
        + 2.0 * PORT_INSET
}

/// The lines of an edge label: the edge's name above its fds.
pub(super) fn label_lines(link: &Link) -> Option<[&str; 2]> {
    link.label
        .as_ref()
        .map(|[name, fds]| [name.as_str(), fds.as_str()])
}

/// The size of a box showing `lines`: a name, maybe a command below it.
fn box_size(lines: &[String]) -> (f64, f64) {
    let fonts = std::iter::once(NAME_FONT).chain(std::iter::repeat(DETAIL_FONT));
    let text = lines
        .iter()
        .zip(fonts)
        .map(|(line, font)| text_width(line, font))
        .fold(0.0, f64::max);
    let width = (text + 2.0 * BOX_PAD).max(BOX_MIN_WIDTH);
    let height = match lines.len() {
        0 | 1 => BOX_HEIGHT,
        n => BOX_HEIGHT_WITH_COMMAND + (n - 2) as f64 * DETAIL_LINE,
    };
    (width.ceil(), height)
}

pub(super) fn build(
    topology: &Topology,
    tree: &ScopeTree,
    ports: &SubgraphPorts,
    links: &[Link],
    with_parent: bool,
) -> Graph {
    let nodes = topology.nodes.len();
    let subgraphs = topology.subgraphs.len();
    let vertices: Vec<Vertex> = (0..nodes)
        .map(Vertex::Node)
        .chain((0..subgraphs).map(Vertex::Subgraph))
        .chain(with_parent.then_some(Vertex::Parent))
        .collect();
    let index = |v: Vertex| vertex_index(v, nodes, subgraphs);
    let pin_widths: Vec<Vec<f64>> = (0..subgraphs)
        .map(|s| ports.names(s).iter().map(|n| pin_width(n)).collect())
        .collect();

    let crossing: Vec<usize> = (0..links.len())
        .filter(|&l| links[l].from != links[l].to)
        .collect();
    let arcs: Vec<Arc> = crossing
        .iter()
        .map(|&l| Arc {
            from: index(links[l].from),
            to: index(links[l].to),
            kind: links[l].kind,
        })
        .collect();
    let layering = rank::layers(vertices.len(), &arcs);
    // Per chain, the vertices at its upper and lower ends, and the subgraph
    // ports there: where a line leaves a box's bottom, and where it enters
    // a box's top.
    let (chain_ends, pins): (Vec<_>, Vec<_>) = crossing
        .iter()
        .enumerate()
        .map(|(a, &l)| {
            let link = &links[l];
            let ends = [(link.from, link.ports[0]), (link.to, link.ports[1])];
            let [upper, lower] = upper_first(ends, layering.upward[a]);
            let pin = |(vertex, port): (Vertex, Option<usize>)| match vertex {
                Vertex::Subgraph(s) => port.map(|p| (s, p)),
                _ => None,
            };
            ([upper.0, lower.0], [pin(upper), pin(lower)])
        })
        .unzip();

    let mut items = Vec::new();
    let mut loops = Vec::new();
    for (v, &vertex) in vertices.iter().enumerate() {
        let (mut box_width, mut box_height) = box_size(&vertex_lines(topology, vertex));
        if let Vertex::Subgraph(s) = vertex {
            // A frame holds a row of pins along its top and its bottom.
            let row = |end: usize| {
                let mut row: Vec<usize> = Vec::new();
                for p in pins.iter().filter_map(|pin| pin[end]) {
                    if p.0 == s && !row.contains(&p.1) {
                        row.push(p.1);
                    }
                }
                let lines = (0..pins.len())
                    .filter(|&a| pins[a][end].is_none() && chain_ends[a][end] == vertex)
                    .count();
                pin_row(&pin_widths[s], &row, lines)
            };
            box_width = box_width.max(row(0)).max(row(1)).ceil();
            box_height += 2.0 * PIN_HEIGHT;
        }
        let own: Vec<usize> = (0..links.len())
            .filter(|&l| links[l].from == vertex && links[l].to == vertex)
            .collect();
        let (mut width, mut height) = (box_width, box_height);
        if !own.is_empty() {
            let sizes: Vec<(f64, f64)> = own
                .iter()
                .map(|&l| label_lines(&links[l]).map_or((0.0, 0.0), |t| label_size(&t)))
                .collect();
            let widest = sizes.iter().map(|s| s.0).fold(0.0, f64::max);
            let tallest = sizes.iter().map(|s| s.1).fold(0.0, f64::max);
            width += LOOP_REACH + LABEL_GAP + widest;
            height = height.max(own.len() as f64 * (tallest + 4.0));
            loops.push(Loops {
                item: v,
                links: own,
                box_width,
            });
        }
        items.push(Item {
            kind: ItemKind::Vertex,
            rank: 2 * layering.layer[v],
            scope: match vertex {
                Vertex::Node(n) => tree.of_node(n),
                Vertex::Subgraph(s) => tree.of_subgraph(s),
                Vertex::Parent => None,
            },
            width,
            height,
        });
    }

    let mut chains = Vec::new();
    for (a, &l) in crossing.iter().enumerate() {
        let upward = layering.upward[a];
        let [upper, lower] = chain_ends[a].map(index);
        let scope = tree.common(items[upper].scope, items[lower].scope);
        let label = label_lines(&links[l]).map(|t| label_size(&t));
        // A label goes next to the writer; on a pipe with several writers,
        // whose lines join at the reader, next to the reader.
        let label_rank = if links[l].shares_reader && !upward {
            items[lower].rank - 1
        } else {
            items[upper].rank + 1
        };
        let mut chain = vec![upper];
        for rank in items[upper].rank + 1..items[lower].rank {
            let (kind, width, height) = match label {
                Some((w, h)) if rank == label_rank => {
                    (ItemKind::Label { label_width: w }, LABEL_GAP + w, h)
                }
                _ => (ItemKind::Dummy, 0.0, 0.0),
            };
            chain.push(items.len());
            items.push(Item {
                kind,
                rank,
                scope,
                width,
                height,
            });
        }
        chain.push(lower);
        chains.push(Chain {
            joins: links[l].edge.filter(|_| links[l].shares_reader),
            link: l,
            items: chain,
            upward,
            pins: pins[a],
        });
    }

    let ranks = items.iter().map(|i| i.rank + 1).max().unwrap_or(1);
    let spans = scope_spans(tree, &items);
    add_placeholders(tree, &spans, &mut items);
    Graph {
        items,
        chains,
        loops,
        ranks,
        spans,
        pin_widths,
    }
}

/// The ranks each scope's frame covers: those of everything inside it. A
/// scope with nothing inside gets the first rank of its enclosing scope.
fn scope_spans(tree: &ScopeTree, items: &[Item]) -> Vec<(usize, usize)> {
    let mut spans: Vec<Option<(usize, usize)>> = vec![None; tree.len()];
    let widen = |spans: &mut Vec<Option<(usize, usize)>>, scope: Option<usize>, (t, b)| {
        for s in tree.chain(scope) {
            spans[s] = Some(spans[s].map_or((t, b), |(t0, b0)| (t0.min(t), b0.max(b))));
        }
    };
    for item in items {
        widen(&mut spans, item.scope, (item.rank, item.rank));
    }
    let mut by_depth: Vec<usize> = (0..tree.len()).collect();
    by_depth.sort_by_key(|&s| tree.depth(s));
    for s in by_depth {
        if spans[s].is_none() {
            let top = tree.parent(s).and_then(|p| spans[p]).map_or(0, |(t, _)| t);
            widen(&mut spans, Some(s), (top, top));
        }
    }
    spans.into_iter().map(|s| s.unwrap_or((0, 0))).collect()
}

/// Innermost scopes first, so an enclosing scope sees its children's placeholders.
fn add_placeholders(tree: &ScopeTree, spans: &[(usize, usize)], items: &mut Vec<Item>) {
    let mut by_depth: Vec<usize> = (0..tree.len()).collect();
    by_depth.sort_by_key(|&s| std::cmp::Reverse(tree.depth(s)));
    for s in by_depth {
        let (top, bottom) = spans[s];
        for rank in top..=bottom {
            let occupied = items
                .iter()
                .any(|i| i.rank == rank && tree.chain(i.scope).contains(&s));
            if !occupied {
                items.push(Item {
                    kind: ItemKind::Placeholder,
                    rank,
                    scope: Some(s),
                    width: 0.0,
                    height: 0.0,
                });
            }
        }
    }
}
