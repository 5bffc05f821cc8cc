//! Lines and labels. A line leaves the bottom of its upper box and enters
//! the top of its lower box at a port of its own (ports sorted by where the
//! line goes, so lines leaving one box do not cross there), passes every
//! rank in between vertically at its dummy item, and moves sideways only on
//! a horizontal track between two ranks (see [`super::tracks`]).
//! Boxes and labels only sit on ranks, tracks only between them, so a line
//! can never cross a box or a label.

use super::horizontal::Columns;
use super::items::{Graph, ItemKind, label_lines};
use super::metrics::{
    LABEL_GAP, LINE_SEP, LOOP_REACH, PIN_GAP, PIN_HEIGHT, PORT_INSET, label_size,
};
use super::separation::{Separation, satisfy};
use super::tracks::{self, Jog};
use super::vertical::Rows;
use super::{EdgePath, Pin, Point, Rect};
use crate::links::Link;

/// Closest spacing of ports on one side of a box: that of lines passing a
/// rank, so parallel lines can run straight into their ports.
const PORT_SPACING: f64 = LINE_SEP;

pub(super) struct Routing<'g> {
    graph: &'g Graph,
    x: &'g [f64],
    /// Left edge and width of every vertex's box.
    box_x: Vec<(f64, f64)>,
    /// Per chain: x of its port on the upper box's bottom, and on the lower box's top.
    bottom_port: Vec<f64>,
    top_port: Vec<f64>,
    /// Per chain, per segment (items k to k+1): its track, if it jogs.
    tracks: Vec<Vec<Option<usize>>>,
    /// Tracks needed in the gap below every rank.
    pub track_counts: Vec<usize>,
}

impl<'g> Routing<'g> {
    pub fn new(graph: &'g Graph, columns: &'g Columns, vertices: usize) -> Routing<'g> {
        let x = &columns.x;
        let box_x: Vec<(f64, f64)> = (0..vertices)
            .map(|v| {
                let item = &graph.items[v];
                let width = graph
                    .loops
                    .iter()
                    .find(|l| l.item == v)
                    .map_or(item.width, |l| l.box_width);
                (x[v] - item.width / 2.0, width)
            })
            .collect();
        let chains = &graph.chains;
        let mut routing = Routing {
            graph,
            x,
            box_x,
            bottom_port: vec![0.0; chains.len()],
            top_port: vec![0.0; chains.len()],
            tracks: chains
                .iter()
                .map(|c| vec![None; c.items.len() - 1])
                .collect(),
            track_counts: vec![0; graph.ranks],
        };
        routing.place_ports();
        routing.assign_tracks();
        routing
    }

    fn line_x(&self, item: usize) -> f64 {
        self.x[item] + self.graph.items[item].line_offset()
    }

    fn place_ports(&mut self) {
        let chains = &self.graph.chains;
        for (v, &(left, width)) in self.box_x.iter().enumerate() {
            // Each side's lines with the x of the next item along them;
            // the lines of one pipe's writers arriving at its reader share
            // one port there.
            let side = |bottom: bool| {
                let mut ends: Vec<End> = Vec::new();
                for (c, chain) in chains.iter().enumerate() {
                    let items = &chain.items;
                    let (end, next, pin) = if bottom {
                        (items[0], items[1], chain.pins[0])
                    } else {
                        (
                            items[items.len() - 1],
                            items[items.len() - 2],
                            chain.pins[1],
                        )
                    };
                    if end != v {
                        continue;
                    }
                    let x = self.line_x(next);
                    let at_reader = chain.upward == bottom;
                    // The lines at one subgraph port share its pin.
                    let joined = match pin {
                        Some(pin) => ends.iter_mut().find(|e| e.pin == Some(pin)),
                        None => chain.joins.filter(|_| at_reader).and_then(|e| {
                            ends.iter_mut().find(|end| {
                                end.pin.is_none() && chains[end.chains[0]].joins == Some(e)
                            })
                        }),
                    };
                    match joined {
                        Some(end) => {
                            let n = end.chains.len() as f64;
                            end.x = (end.x * n + x) / (n + 1.0);
                            end.chains.push(c);
                        }
                        None => ends.push(End {
                            chains: vec![c],
                            x,
                            pin,
                            half: pin.map_or(0.0, |(s, p)| self.graph.pin_widths[s][p] / 2.0),
                        }),
                    }
                }
                ends
            };
            let (leaving, entering) = (side(true), side(false));
            spread(left, width, leaving, &mut self.bottom_port);
            spread(left, width, entering, &mut self.top_port);
        }
    }

    /// The x where segment `k` of chain `c` leaves its upper item and enters its lower one.
    fn segment_x(&self, c: usize, k: usize) -> Jog {
        let items = &self.graph.chains[c].items;
        let top = if k == 0 {
            self.bottom_port[c]
        } else {
            self.line_x(items[k])
        };
        let bottom = if k + 2 == items.len() {
            self.top_port[c]
        } else {
            self.line_x(items[k + 1])
        };
        Jog { top, bottom }
    }

    fn assign_tracks(&mut self) {
        let mut by_gap: Vec<Vec<(usize, usize, Jog)>> = vec![Vec::new(); self.graph.ranks];
        for (c, chain) in self.graph.chains.iter().enumerate() {
            for k in 0..chain.items.len() - 1 {
                let jog = self.segment_x(c, k);
                if (jog.top - jog.bottom).abs() > 1e-6 {
                    by_gap[self.graph.items[chain.items[k]].rank].push((c, k, jog));
                }
            }
        }
        for (gap, jogs) in by_gap.iter().enumerate() {
            let (track, count) = tracks::assign(&jogs.iter().map(|j| j.2).collect::<Vec<_>>());
            for (&(c, k, _), t) in jogs.iter().zip(track) {
                self.tracks[c][k] = Some(t);
            }
            self.track_counts[gap] = count;
        }
    }

    /// The box of every vertex, by vertex index.
    pub fn boxes(&self, rows: &Rows) -> Vec<Rect> {
        self.box_x
            .iter()
            .enumerate()
            .map(|(v, &(x, width))| {
                let (y, height) = rows.rank_y[self.graph.items[v].rank];
                Rect {
                    x,
                    y,
                    width,
                    height,
                }
            })
            .collect()
    }

    /// The pin of every subgraph port a line meets: hanging inside the
    /// frame's top border where a line enters, its bottom border where one
    /// leaves; one per port and side, in chain order.
    pub fn pins(&self, boxes: &[Rect], names: impl Fn(usize, usize) -> String) -> Vec<Pin> {
        let mut pins: Vec<Pin> = Vec::new();
        for (c, chain) in self.graph.chains.iter().enumerate() {
            let items = &chain.items;
            let ends = [
                (chain.pins[0], self.bottom_port[c], items[0], true),
                (
                    chain.pins[1],
                    self.top_port[c],
                    items[items.len() - 1],
                    false,
                ),
            ];
            for (pin, x, item, bottom) in ends {
                let Some((subgraph, port)) = pin else {
                    continue;
                };
                let frame = boxes[item];
                let width = self.graph.pin_widths[subgraph][port];
                let rect = Rect {
                    x: x - width / 2.0,
                    y: if bottom {
                        frame.bottom() - PIN_HEIGHT
                    } else {
                        frame.y
                    },
                    width,
                    height: PIN_HEIGHT,
                };
                let name = names(subgraph, port);
                if !pins
                    .iter()
                    .any(|p| p.subgraph == subgraph && p.rect == rect)
                {
                    pins.push(Pin {
                        subgraph,
                        name,
                        rect,
                    });
                }
            }
        }
        pins
    }

    /// Every link's line, in link order.
    pub fn paths(&self, links: &[Link], rows: &Rows, boxes: &[Rect]) -> Vec<EdgePath> {
        let graph = self.graph;
        let mut paths: Vec<Option<EdgePath>> = vec![None; links.len()];
        for (c, chain) in graph.chains.iter().enumerate() {
            let items = &chain.items;
            let mut points = vec![Point {
                x: self.bottom_port[c],
                y: boxes[items[0]].bottom(),
            }];
            let mut label = None;
            for k in 0..items.len() - 1 {
                let jog = self.segment_x(c, k);
                if let Some(track) = self.tracks[c][k] {
                    let y = rows.track_y(graph.items[items[k]].rank, track);
                    points.push(Point { x: jog.top, y });
                    points.push(Point { x: jog.bottom, y });
                }
                let next = items[k + 1];
                if k + 2 == items.len() {
                    points.push(Point {
                        x: jog.bottom,
                        y: boxes[next].y,
                    });
                    break;
                }
                let (top, height) = rows.rank_y[graph.items[next].rank];
                points.push(Point {
                    x: jog.bottom,
                    y: top,
                });
                if height > 0.0 {
                    points.push(Point {
                        x: jog.bottom,
                        y: top + height,
                    });
                }
                if let ItemKind::Label { label_width } = graph.items[next].kind {
                    let label_height = graph.items[next].height;
                    label = Some(Rect {
                        x: jog.bottom + LABEL_GAP,
                        y: top + (height - label_height) / 2.0,
                        width: label_width,
                        height: label_height,
                    });
                }
            }
            if chain.upward {
                points.reverse();
            }
            paths[chain.link] = Some(path(&links[chain.link], points, label));
        }
        for loops in &graph.loops {
            let b = boxes[loops.item];
            let slot = b.height / loops.links.len() as f64;
            for (k, &l) in loops.links.iter().enumerate() {
                let top = b.y + slot * k as f64;
                let (out, back) = (top + slot * 0.3, top + slot * 0.7);
                let reach = b.right() + LOOP_REACH;
                let points = vec![
                    Point {
                        x: b.right(),
                        y: out,
                    },
                    Point { x: reach, y: out },
                    Point { x: reach, y: back },
                    Point {
                        x: b.right(),
                        y: back,
                    },
                ];
                let label = label_lines(&links[l]).map(|lines| {
                    let (width, height) = label_size(&lines);
                    Rect {
                        x: reach + LABEL_GAP,
                        y: top + (slot - height) / 2.0,
                        width,
                        height,
                    }
                });
                paths[l] = Some(path(&links[l], points, label));
            }
        }
        paths.into_iter().flatten().collect()
    }
}

/// The lines that meet one side of a box at one port.
struct End {
    chains: Vec<usize>,
    /// Where the port would like to be: above (below) the next item along
    /// its lines.
    x: f64,
    /// The subgraph port (subgraph, port) this is, if any.
    pin: Option<(usize, usize)>,
    /// Half the width of its pin; 0 for a process's port.
    half: f64,
}

/// Ports on one side of a box, in the order their lines go: each as close
/// above (below) the next item on its line as the others allow, so a line
/// to an item right below runs straight. A subgraph's pins are kept their
/// width apart and inside the frame (which is sized to hold them).
fn spread(left: f64, width: f64, mut ends: Vec<End>, ports: &mut [f64]) {
    ends.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.chains[0].cmp(&b.chains[0])));
    let (low, high) = (left + PORT_INSET, left + width - PORT_INSET);
    let spacing = match ends.len() {
        0 | 1 => 0.0,
        n => PORT_SPACING.min((high - low) / (n - 1) as f64),
    };
    // Two walls that do not move, the ports between them.
    let mut desired = vec![low];
    desired.extend(ends.iter().map(|e| e.x.clamp(low + e.half, high - e.half)));
    desired.push(high);
    let mut weight = vec![1.0; desired.len()];
    weight[0] = 1e9;
    weight[desired.len() - 1] = 1e9;
    let half = |k: usize| ends.get(k).map_or(0.0, |e| e.half);
    let constraints: Vec<Separation> = (0..desired.len() - 1)
        .map(|v| Separation {
            left: v,
            right: v + 1,
            gap: if v == 0 {
                half(0)
            } else if v == ends.len() {
                half(v - 1)
            } else if ends[v - 1].pin.is_some() || ends[v].pin.is_some() {
                spacing.max(half(v - 1) + half(v) + PIN_GAP)
            } else {
                spacing
            },
        })
        .collect();
    let x = satisfy(&desired, &weight, &constraints);
    for (k, end) in ends.iter().enumerate() {
        for &c in &end.chains {
            ports[c] = x[k + 1].clamp(low + end.half, high - end.half);
        }
    }
}

fn path(link: &Link, points: Vec<Point>, label: Option<Rect>) -> EdgePath {
    EdgePath {
        kind: link.kind,
        edge: link.edge,
        from: link.from,
        to: link.to,
        points,
        label,
        fds: link.fds.clone(),
    }
}
