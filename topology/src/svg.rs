//! The diagram as one inline `<svg>` element: no script, no external
//! reference, no stylesheet — presentation attributes, and inline styles
//! only where a colour follows the page — and no blank line, so Markdown
//! (rustdoc) takes the whole element as one HTML block.
//!
//! It follows rustdoc's theme: text and pipes are `currentColor`, which the
//! root sets to rustdoc's `--main-color`, and the panel and the boxes are
//! painted `--main-background-color`, so the dark themes show no glaring
//! white panel. Elsewhere (an `<img>` on GitHub, a file viewer) those
//! variables are unset and their fallbacks draw it dark on white. Scope
//! frames and socketpairs use mid-tone hues, translucent where they fill,
//! which read on both.

use crate::labels::{edge_fds, one_line, scope_label, vertex_lines};
use crate::layout::{
    DETAIL_FONT, DETAIL_LINE, EdgePath, FRAME_PAD, Layout, LinkKind, NAME_FONT, PIN_FONT,
    PIN_HEIGHT, Pin, Point, Rect, Vertex, text_width,
};
use crate::model::Topology;
use crate::scopes::ScopeTree;
use crate::subgraphs::SubgraphPorts;
use std::fmt::Write;

const FONT: &str = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace";
/// The page's text colour (the root sets `color` from rustdoc's theme).
const INK: &str = "currentColor";
/// Secondary text and borders: a grey that reads on light and dark pages.
const MUTED: &str = "#7b8aa1";
/// The page's background, where the drawing must hide what is under it:
/// the panel, the boxes, the halo around labels.
const PAPER: &str = "var(--main-background-color,#ffffff)";
/// The hue of a scope frame, by nesting depth: its border and label, and,
/// translucent, its fill, so a nested frame is tinted over its parent's.
const FRAME_COLOURS: [&str; 4] = ["#3b82f6", "#a855f7", "#22c55e", "#f97316"];
/// The hue of a subgraph's frame and of its ports' pins.
const SUBGRAPH: &str = "#0d9488";
/// How opaque a frame's fill is.
const FRAME_FILL_OPACITY: &str = "0.1";
const ARROW_LENGTH: f64 = 7.0;
/// Lines turn with rounded corners of at most this radius.
const CORNER_RADIUS: f64 = 5.0;
const ARROW_HALF_WIDTH: f64 = 3.5;
const LEGEND_HEIGHT: f64 = 26.0;
/// How far each box of a stack of replicas sits from the one in front.
const STACK_OFFSET: f64 = 4.0;

impl Topology {
    /// The diagram rustdoc shows for the graph: processes as rounded boxes
    /// (name, and command when known), the parent as a dark pill, scopes as
    /// tinted frames labelled with their namespaces (`sandbox: user, pid,
    /// net`), subgraphs as teal frames labelled with their name, type and
    /// failure policy (`db: Db`, `on_failure: restart`) whose ports are
    /// pins on the border where their lines end, pipes as arrows labelled
    /// with the edge's name and fds (`stdout → stdin`, `stdout →
    /// db.queries`), socketpairs as double-ended arrows, `after`
    /// dependencies as dashed arrows, and a legend of the line kinds used.
    ///
    /// The result is a self-contained `<svg>` element: inline attributes
    /// only, all text XML-escaped, no blank lines (so it can be pasted into
    /// Markdown as one HTML block), deterministic.
    ///
    /// ```
    /// use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, Topology};
    ///
    /// fn node(name: &'static str, command: &'static str) -> NodeInfo {
    ///     NodeInfo { name: name.into(), command: Some(command.into()), ..NodeInfo::default() }
    /// }
    /// let topology = Topology {
    ///     name: "Count".into(),
    ///     nodes: vec![node("source", "cat log"), node("count", "wc -l")].into(),
    ///     edges: vec![EdgeInfo {
    ///         name: Some("lines".into()),
    ///         kind: EdgeKind::Pipe,
    ///         from: vec![EndpointInfo { node: Some(0), fd: 1 }].into(),
    ///         to: vec![EndpointInfo { node: Some(1), fd: 0 }].into(),
    ///         doc: None,
    ///     }]
    ///     .into(),
    ///     ..Topology::default()
    /// };
    /// let svg = topology.to_svg();
    /// assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    /// assert!(svg.contains(">wc -l</text>") && svg.contains(">stdout → stdin</tspan>"));
    /// assert!(!svg.contains("\n\n") && !svg.contains("<script"));
    /// ```
    pub fn to_svg(&self) -> String {
        let layout = self.layout();
        let kinds: Vec<LinkKind> = [LinkKind::Pipe, LinkKind::SocketPair, LinkKind::After]
            .into_iter()
            .filter(|k| layout.edges.iter().any(|e| e.kind == *k))
            .collect();
        let legend_top = layout.height - 4.0;
        let height = if kinds.is_empty() {
            layout.height
        } else {
            legend_top + LEGEND_HEIGHT
        };
        let width = layout.width.max(legend_width(&kinds));
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" font-family=\"{FONT}\" style=\"max-width:100%;height:auto;color:var(--main-color,#0f172a)\">",
            w = num(width),
            h = num(height),
        );
        let _ = writeln!(
            svg,
            "<title>{}</title>",
            text(&format!("process graph {}", self.name))
        );
        let _ = writeln!(
            svg,
            "<rect width=\"{}\" height=\"{}\" rx=\"6\" style=\"fill:{PAPER}\" stroke=\"{MUTED}\" stroke-opacity=\"0.4\"/>",
            num(width),
            num(height)
        );
        self.draw_frames(&layout, &mut svg);
        for edge in &layout.edges {
            draw_line(edge, &mut svg);
        }
        self.draw_frame_labels(&layout, &mut svg);
        let ports = SubgraphPorts::new(self);
        for edge in &layout.edges {
            self.draw_edge_label(edge, &ports, &mut svg);
        }
        let vertices = (0..self.nodes.len())
            .map(Vertex::Node)
            .chain((0..self.subgraphs.len()).map(Vertex::Subgraph))
            .chain([Vertex::Parent]);
        for vertex in vertices {
            if let Some(rect) = layout.vertex(vertex) {
                let lines = vertex_lines(self, vertex);
                match vertex {
                    Vertex::Node(n) => {
                        draw_stack(&rect, self.nodes[n].replicas, &mut svg);
                        draw_box(&rect, &lines, false, &mut svg);
                    }
                    Vertex::Subgraph(s) => {
                        let pins = layout.pins.iter().filter(|p| p.subgraph == s);
                        draw_subgraph(&rect, &lines, pins, &mut svg);
                    }
                    Vertex::Parent => draw_box(&rect, &lines, true, &mut svg),
                }
            }
        }
        draw_legend(&kinds, legend_top, &mut svg);
        svg.push_str("</svg>");
        svg
    }

    /// Outer frames first, so nested ones are painted over them.
    fn frames_by_depth(&self) -> Vec<(usize, usize)> {
        let tree = ScopeTree::new(self);
        let mut frames: Vec<(usize, usize)> =
            (0..self.scopes.len()).map(|s| (s, tree.depth(s))).collect();
        frames.sort_by_key(|&(_, depth)| depth);
        frames
    }

    fn draw_frames(&self, layout: &Layout, svg: &mut String) {
        for (s, depth) in self.frames_by_depth() {
            let r = layout.frames[s];
            let hue = FRAME_COLOURS[depth % FRAME_COLOURS.len()];
            let _ = writeln!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{hue}\" fill-opacity=\"{FRAME_FILL_OPACITY}\" stroke=\"{hue}\" stroke-width=\"1.2\"/>",
                num(r.x),
                num(r.y),
                num(r.width),
                num(r.height)
            );
        }
    }

    /// Drawn over the lines, with a halo in the frame's own colour, so a
    /// line entering the frame through its label leaves the label
    /// readable; placed where the fewest lines cross the label strip,
    /// leftmost among equals.
    fn draw_frame_labels(&self, layout: &Layout, svg: &mut String) {
        for (s, depth) in self.frames_by_depth() {
            let frame = layout.frames[s];
            let hue = FRAME_COLOURS[depth % FRAME_COLOURS.len()];
            let label = scope_label(&self.scopes[s]);
            let width = text_width(&label, DETAIL_FONT);
            let strip = |x: f64| Rect {
                x,
                y: frame.y,
                width,
                height: Layout::FRAME_HEADER,
            };
            let (left, right) = (frame.x + FRAME_PAD, frame.right() - FRAME_PAD - width);
            // Flush left, flush right, or just right of a line through the strip.
            let after_lines = layout
                .edges
                .iter()
                .flat_map(|line| &line.points)
                .map(|p| p.x + 6.0)
                .filter(|&x| left < x && x < right);
            let x = [left, right]
                .into_iter()
                .chain(after_lines)
                .min_by(|&a, &b| {
                    let (ca, cb) = (
                        crossings(&layout.edges, &strip(a)),
                        crossings(&layout.edges, &strip(b)),
                    );
                    ca.cmp(&cb).then(a.total_cmp(&b))
                })
                .unwrap_or(left);
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"600\" fill=\"{hue}\" style=\"stroke:{PAPER}\" stroke-width=\"4\" paint-order=\"stroke\">{}</text>",
                num(x),
                num(frame.y + 14.0),
                num(DETAIL_FONT),
                text(&label)
            );
        }
    }

    fn draw_edge_label(&self, line: &EdgePath, ports: &SubgraphPorts, svg: &mut String) {
        let (Some(label), Some(e)) = (line.label, line.edge) else {
            return;
        };
        let edge = &self.edges[e];
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{}\" font-size=\"{}\" fill=\"{INK}\" style=\"stroke:{PAPER}\" stroke-width=\"3\" paint-order=\"stroke\"><tspan fill=\"{MUTED}\" font-style=\"italic\">{}</tspan><tspan x=\"{x}\" dy=\"{}\">{}</tspan></text>",
            num(label.y + DETAIL_LINE - 2.0),
            num(DETAIL_FONT),
            text(crate::labels::edge_name(edge)),
            num(DETAIL_LINE),
            text(&edge_fds(self, ports, e)),
            x = num(label.x),
        );
    }
}

/// How many line segments pass through `area`.
fn crossings(lines: &[EdgePath], area: &Rect) -> usize {
    lines
        .iter()
        .flat_map(|line| line.points.windows(2))
        .filter(|pair| {
            let (a, b) = (pair[0], pair[1]);
            a.x.min(b.x) <= area.right()
                && area.x <= a.x.max(b.x)
                && a.y.min(b.y) <= area.bottom()
                && area.y <= a.y.max(b.y)
        })
        .count()
}

fn style(kind: LinkKind) -> (&'static str, &'static str) {
    match kind {
        LinkKind::Pipe => (INK, ""),
        LinkKind::SocketPair => ("#8b5cf6", ""),
        LinkKind::After => (MUTED, " stroke-dasharray=\"5 4\""),
    }
}

fn draw_line(edge: &EdgePath, svg: &mut String) {
    let mut points = edge.points.clone();
    if points.len() < 2 {
        return;
    }
    let (colour, dash) = style(edge.kind);
    // The line stops where its arrowhead starts.
    let last = points.len() - 1;
    let (back, head) = arrowhead(&points[last - 1], &points[last]);
    points[last] = back;
    let mut heads = vec![head];
    if edge.kind == LinkKind::SocketPair {
        let (back, head) = arrowhead(&points[1], &points[0]);
        points[0] = back;
        heads.push(head);
    }
    let mut d = format!("M{} {}", num(points[0].x), num(points[0].y));
    for i in 1..points.len() {
        let corner = points[i];
        if let Some(next) = points.get(i + 1) {
            let (din, len_in) = direction(&points[i - 1], &corner);
            let (dout, len_out) = direction(&corner, next);
            let turn = din.0 * dout.1 - din.1 * dout.0;
            if turn.abs() > 1e-9 {
                let r = CORNER_RADIUS.min(len_in / 2.0).min(len_out / 2.0);
                let _ = write!(
                    d,
                    " L{} {} Q{} {} {} {}",
                    num(corner.x - din.0 * r),
                    num(corner.y - din.1 * r),
                    num(corner.x),
                    num(corner.y),
                    num(corner.x + dout.0 * r),
                    num(corner.y + dout.1 * r)
                );
                continue;
            }
        }
        let _ = write!(d, " L{} {}", num(corner.x), num(corner.y));
    }
    let _ = writeln!(
        svg,
        "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.4\"{dash}/>"
    );
    for head in heads {
        let _ = writeln!(svg, "<path d=\"{head}\" fill=\"{colour}\"/>");
    }
}

/// The unit vector from `a` to `b`, and the distance.
fn direction(a: &Point, b: &Point) -> ((f64, f64), f64) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    // sqrt is correctly rounded everywhere, so the output is the same on every machine.
    let length = (dx * dx + dy * dy).sqrt();
    if length == 0.0 {
        ((0.0, 0.0), 0.0)
    } else {
        ((dx / length, dy / length), length)
    }
}

/// The arrowhead at `tip`, coming from `from`: the point where the line
/// should stop, and the triangle's path. Lines meet boxes vertically
/// (loops horizontally), so the head points straight along one axis.
fn arrowhead(from: &Point, tip: &Point) -> (Point, String) {
    let (dx, dy) = if tip.y != from.y {
        (0.0, (tip.y - from.y).signum())
    } else {
        ((tip.x - from.x).signum(), 0.0)
    };
    let back = Point {
        x: tip.x - dx * ARROW_LENGTH,
        y: tip.y - dy * ARROW_LENGTH,
    };
    let (nx, ny) = (-dy * ARROW_HALF_WIDTH, dx * ARROW_HALF_WIDTH);
    let head = format!(
        "M{} {} L{} {} L{} {} Z",
        num(tip.x),
        num(tip.y),
        num(back.x + nx),
        num(back.y + ny),
        num(back.x - nx),
        num(back.y - ny)
    );
    (back, head)
}

/// Replicas are drawn as a stack: up to two boxes' edges behind the
/// process's box, offset up and to the right (its label says `×N`).
fn draw_stack(rect: &Rect, replicas: u32, svg: &mut String) {
    for layer in (1..replicas.min(3)).rev() {
        let offset = STACK_OFFSET * f64::from(layer);
        let _ = writeln!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" style=\"fill:{PAPER}\" stroke=\"{MUTED}\" stroke-width=\"1.4\"/>",
            num(rect.x + offset),
            num(rect.y - offset),
            num(rect.width),
            num(rect.height)
        );
    }
}

/// A rounded box (a dark pill for the parent) with its name in bold and
/// its command, if any, below.
fn draw_box(rect: &Rect, lines: &[String], parent: bool, svg: &mut String) {
    let (fill, ink, radius) = if parent {
        ("#1e293b", "#ffffff", rect.height / 2.0)
    } else {
        (PAPER, INK, 6.0)
    };
    let _ = writeln!(
        svg,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" style=\"fill:{fill}\" stroke=\"{MUTED}\" stroke-width=\"1.4\"/>",
        num(rect.x),
        num(rect.y),
        num(rect.width),
        num(rect.height),
        num(radius)
    );
    draw_box_text(rect, lines, ink, svg);
}

/// A subgraph's frame: a tinted box with a double weight border, its name
/// and type in bold and its failure policy below, between the rows of its
/// ports' pins, which hang inside the border where the lines meet it.
fn draw_subgraph<'p>(
    rect: &Rect,
    lines: &[String],
    pins: impl Iterator<Item = &'p Pin>,
    svg: &mut String,
) {
    let _ = writeln!(
        svg,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" style=\"fill:{PAPER}\"/>",
        num(rect.x),
        num(rect.y),
        num(rect.width),
        num(rect.height)
    );
    let _ = writeln!(
        svg,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{SUBGRAPH}\" fill-opacity=\"{FRAME_FILL_OPACITY}\" stroke=\"{SUBGRAPH}\" stroke-width=\"2\"/>",
        num(rect.x),
        num(rect.y),
        num(rect.width),
        num(rect.height)
    );
    let inner = Rect {
        y: rect.y + PIN_HEIGHT,
        height: rect.height - 2.0 * PIN_HEIGHT,
        ..*rect
    };
    draw_box_text(&inner, lines, INK, svg);
    for pin in pins {
        let r = pin.rect;
        let _ = writeln!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" style=\"fill:{PAPER}\" stroke=\"{SUBGRAPH}\" stroke-width=\"1.2\"/>",
            num(r.x),
            num(r.y),
            num(r.width),
            num(r.height)
        );
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"600\" fill=\"{SUBGRAPH}\">{}</text>",
            num(r.x + r.width / 2.0),
            num(r.y + r.height / 2.0 + PIN_FONT * 0.35),
            num(PIN_FONT),
            text(&pin.name)
        );
    }
}

/// A box's lines, centred in `rect`: the name in bold, each detail line
/// (command, readiness) below it.
fn draw_box_text(rect: &Rect, lines: &[String], ink: &str, svg: &mut String) {
    let centre = rect.x + rect.width / 2.0;
    let middle = rect.y + rect.height / 2.0;
    // The name, then each detail line below it (command, readiness), the
    // block centred in the box.
    let details = lines.len().saturating_sub(1) as f64;
    let name_y = if details > 0.0 {
        middle - 3.0 - (details - 1.0) * DETAIL_LINE / 2.0
    } else {
        middle + NAME_FONT * 0.35
    };
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"700\" fill=\"{ink}\">{}</text>",
        num(centre),
        num(name_y),
        num(NAME_FONT),
        text(&lines[0])
    );
    for (i, detail) in lines.iter().skip(1).enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" fill=\"{MUTED}\">{}</text>",
            num(centre),
            num(name_y + 16.0 + i as f64 * DETAIL_LINE),
            num(DETAIL_FONT),
            text(detail)
        );
    }
}

fn legend_entry(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Pipe => "pipe",
        LinkKind::SocketPair => "socketpair",
        LinkKind::After => "after (starts once ready)",
    }
}

const LEGEND_SAMPLE: f64 = 28.0;
const LEGEND_SPACING: f64 = 22.0;

fn legend_width(kinds: &[LinkKind]) -> f64 {
    let entries: f64 = kinds
        .iter()
        .map(|&k| LEGEND_SAMPLE + 6.0 + text_width(legend_entry(k), DETAIL_FONT) + LEGEND_SPACING)
        .sum();
    (2.0 * 16.0 + entries).ceil()
}

/// One sample line per kind of line drawn, left to right.
fn draw_legend(kinds: &[LinkKind], top: f64, svg: &mut String) {
    let mut x = 16.0;
    let y = top + LEGEND_HEIGHT / 2.0;
    for &kind in kinds {
        let sample = EdgePath {
            kind,
            edge: None,
            from: Vertex::Parent,
            to: Vertex::Parent,
            points: vec![
                Point { x, y },
                Point {
                    x: x + LEGEND_SAMPLE,
                    y,
                },
            ],
            label: None,
            fds: None,
        };
        draw_line(&sample, svg);
        x += LEGEND_SAMPLE + 6.0;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{MUTED}\">{}</text>",
            num(x),
            num(y + 4.0),
            num(DETAIL_FONT),
            legend_entry(kind)
        );
        x += text_width(legend_entry(kind), DETAIL_FONT) + LEGEND_SPACING;
    }
}

/// Coordinates to a tenth of a pixel, without a trailing `.0`.
fn num(value: f64) -> String {
    let tenths = (value * 10.0).round() / 10.0;
    let tenths = if tenths == 0.0 { 0.0 } else { tenths };
    format!("{tenths}")
}

/// Text content or attribute value: one line, XML-escaped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in one_line(value).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(
            text("a<b & \"c\" 'd'>\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt; "
        );
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.349), "12.3");
        assert_eq!(num(-0.01), "0");
    }
}
