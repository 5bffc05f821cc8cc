//! The layout's promises, checked on every example and on random graphs of
//! up to 30 processes: no two boxes or labels overlap, every process and
//! subgraph sits inside its scope's frame (below its label) and outside
//! every other frame, frames nest as scopes do, no line runs through a box,
//! and a line meets a subgraph's frame at the middle of one of its pins,
//! which sit along the frame's border without overlapping.

use crate::{examples, random_topologies};
use process_graph_topology::{Layout, Point, Rect, Topology, Vertex};

const EPSILON: f64 = 1e-6;

/// `rect` without its outer `EPSILON`, so touching is not overlapping.
fn interior(rect: &Rect) -> Rect {
    Rect {
        x: rect.x + EPSILON,
        y: rect.y + EPSILON,
        width: rect.width - 2.0 * EPSILON,
        height: rect.height - 2.0 * EPSILON,
    }
}

fn below_header(frame: &Rect) -> Rect {
    Rect {
        y: frame.y + Layout::FRAME_HEADER,
        height: frame.height - Layout::FRAME_HEADER,
        ..*frame
    }
}

fn segment_box(a: &Point, b: &Point) -> Rect {
    Rect {
        x: a.x.min(b.x),
        y: a.y.min(b.y),
        width: (a.x - b.x).abs(),
        height: (a.y - b.y).abs(),
    }
}

/// Every scope enclosing `scope`, itself included.
fn enclosing(topology: &Topology, scope: Option<usize>) -> Vec<usize> {
    std::iter::successors(scope, |&s| topology.scopes[s].parent).collect()
}

fn check(topology: &Topology) -> Result<(), String> {
    let layout = topology.layout();
    let name = &topology.name;
    let mut boxes: Vec<(String, Rect)> = layout
        .nodes
        .iter()
        .enumerate()
        .map(|(n, r)| (topology.nodes[n].name.to_string(), *r))
        .collect();
    for (s, frame) in layout.subgraphs.iter().enumerate() {
        boxes.push((topology.subgraphs[s].name.to_string(), *frame));
    }
    if let Some(parent) = layout.parent {
        boxes.push(("parent".into(), parent));
    }
    for pin in &layout.pins {
        let frame = layout.subgraphs[pin.subgraph];
        let on_border = pin.rect.y == frame.y || pin.rect.bottom() == frame.bottom();
        if !frame.contains(&pin.rect) || !on_border {
            return Err(format!(
                "{name}: pin {} {:?} not on its frame {frame:?}",
                pin.name, pin.rect
            ));
        }
        let others = layout
            .pins
            .iter()
            .filter(|p| p.subgraph == pin.subgraph && *p != pin);
        if let Some(other) = others.into_iter().find(|p| p.rect.overlaps(&pin.rect)) {
            return Err(format!(
                "{name}: pins {} and {} overlap",
                pin.name, other.name
            ));
        }
    }
    let labels: Vec<Rect> = layout.edges.iter().filter_map(|e| e.label).collect();
    let whole = Rect {
        x: 0.0,
        y: 0.0,
        width: layout.width,
        height: layout.height,
    };

    for (i, (a, ra)) in boxes.iter().enumerate() {
        if !whole.contains(ra) {
            return Err(format!("{name}: box {a} {ra:?} outside the drawing"));
        }
        for (b, rb) in &boxes[i + 1..] {
            if ra.overlaps(rb) {
                return Err(format!("{name}: boxes {a} and {b} overlap: {ra:?} {rb:?}"));
            }
        }
        for label in &labels {
            if label.overlaps(ra) {
                return Err(format!("{name}: a label {label:?} covers box {a}"));
            }
        }
    }
    for (i, a) in labels.iter().enumerate() {
        if !whole.contains(a) {
            return Err(format!("{name}: label {a:?} outside the drawing"));
        }
        if let Some(b) = labels[i + 1..].iter().find(|b| a.overlaps(b)) {
            return Err(format!("{name}: labels overlap: {a:?} {b:?}"));
        }
        if let Some(f) = layout
            .frames
            .iter()
            .find(|f| f.overlaps(a) && !f.contains(a))
        {
            return Err(format!("{name}: label {a:?} straddles frame {f:?}"));
        }
    }

    for (s, frame) in layout.frames.iter().enumerate() {
        let scope = &topology.scopes[s].name;
        if !whole.contains(frame) {
            return Err(format!("{name}: frame {scope} outside the drawing"));
        }
        let nodes = layout.nodes.iter().enumerate().map(|(n, rect)| {
            let node = &topology.nodes[n];
            (&node.name, node.scope, rect)
        });
        let subgraphs = layout.subgraphs.iter().enumerate().map(|(g, rect)| {
            let subgraph = &topology.subgraphs[g];
            (&subgraph.name, subgraph.scope, rect)
        });
        for (node, scope_of_node, rect) in nodes.chain(subgraphs) {
            let inside = enclosing(topology, scope_of_node).contains(&s);
            if inside && !below_header(frame).contains(rect) {
                return Err(format!("{name}: {node} not inside the frame of {scope}"));
            }
            if !inside && frame.overlaps(rect) {
                return Err(format!("{name}: frame {scope} covers {node}, not in it"));
            }
        }
        if layout.parent.is_some_and(|p| frame.overlaps(&p)) {
            return Err(format!("{name}: frame {scope} covers the parent"));
        }
        for (t, other) in layout.frames.iter().enumerate().skip(s + 1) {
            let other_scope = &topology.scopes[t].name;
            let nested_in_s = enclosing(topology, Some(t)).contains(&s);
            let nested_in_t = enclosing(topology, Some(s)).contains(&t);
            if nested_in_s && !below_header(frame).contains(other) {
                return Err(format!("{name}: frame {other_scope} not inside {scope}"));
            }
            if nested_in_t && !below_header(other).contains(frame) {
                return Err(format!("{name}: frame {scope} not inside {other_scope}"));
            }
            if !nested_in_s && !nested_in_t && frame.overlaps(other) {
                return Err(format!("{name}: frames {scope} and {other_scope} overlap"));
            }
        }
    }

    for edge in &layout.edges {
        let ends = [layout.vertex(edge.from), layout.vertex(edge.to)];
        if ends.iter().any(Option::is_none) {
            return Err(format!("{name}: a line ends at a vertex without a box"));
        }
        let first = edge
            .points
            .first()
            .ok_or(format!("{name}: a line without points"))?;
        let last = edge.points.last().unwrap();
        for (point, end) in [(first, ends[0].unwrap()), (last, ends[1].unwrap())] {
            let on_border = (point.x >= end.x - EPSILON && point.x <= end.right() + EPSILON)
                && (point.y >= end.y - EPSILON && point.y <= end.bottom() + EPSILON)
                && !interior(&end).contains(&segment_box(point, point));
            if !on_border {
                return Err(format!(
                    "{name}: line {:?} does not start/end on its box: {point:?} {end:?}",
                    edge.edge
                ));
            }
        }
        // An edge meets a subgraph's frame at the middle of a pin; an
        // `after` line meets the frame itself (checked above).
        for (point, vertex) in [(first, edge.from), (last, edge.to)] {
            if edge.edge.is_none() {
                continue;
            }
            let Vertex::Subgraph(s) = vertex else {
                continue;
            };
            let at_pin = layout.pins.iter().any(|pin| {
                pin.subgraph == s
                    && (pin.rect.x + pin.rect.width / 2.0 - point.x).abs() < EPSILON
                    && (pin.rect.y - point.y)
                        .abs()
                        .min((pin.rect.bottom() - point.y).abs())
                        < EPSILON
            });
            if !at_pin && edge.from != edge.to {
                return Err(format!(
                    "{name}: line {:?} meets subgraph {s} off its pins",
                    edge.fds
                ));
            }
        }
        for pair in edge.points.windows(2) {
            let span = segment_box(&pair[0], &pair[1]);
            for (b, rect) in &boxes {
                if interior(rect).overlaps(&span) {
                    return Err(format!(
                        "{name}: a line {:?} crosses box {b}: {span:?}",
                        edge.fds
                    ));
                }
            }
            for label in &labels {
                if interior(label).overlaps(&span) {
                    return Err(format!(
                        "{name}: a line {:?} crosses a label {label:?}",
                        edge.fds
                    ));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn examples_lay_out_cleanly() {
    for topology in examples::all() {
        check(topology).unwrap();
    }
}

#[test]
fn random_graphs_up_to_30_nodes_lay_out_cleanly() {
    let failures: Vec<String> = random_topologies(1..=30, 6)
        .iter()
        .filter_map(|t| check(t).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_layout_is_deterministic() {
    for topology in random_topologies(12..=14, 2) {
        assert_eq!(topology.layout(), topology.layout());
    }
}

#[test]
fn degenerate_topologies_still_render() {
    check(&examples::EMPTY).unwrap();
    for topology in [&*examples::EMPTY, &*examples::BROKEN] {
        for output in [
            topology.to_svg(),
            topology.to_dot(),
            topology.to_mermaid(),
            topology.to_markdown_tables(),
        ] {
            assert!(!output.is_empty());
        }
    }
    let broken = examples::BROKEN.layout();
    // Two readers of one pipe and the parent feeding itself are drawn;
    // the pipe to node 9 and the one without a writer are not.
    assert_eq!(broken.edges.iter().filter(|e| e.edge == Some(3)).count(), 2);
    assert_eq!(broken.edges.iter().filter(|e| e.edge == Some(2)).count(), 1);
    assert!(
        broken
            .edges
            .iter()
            .all(|e| e.edge != Some(0) && e.edge != Some(1))
    );
    assert!(!broken.nodes[0].overlaps(&broken.nodes[1]));
    assert_eq!(broken.frames.len(), 3);
}
