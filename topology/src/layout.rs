//! A layered (Sugiyama-style) layout of a topology, the geometry the SVG
//! diagram is drawn from:
//!
//! 1. [`rank`]: layers by data flow, cycles broken deterministically;
//! 2. [`items`]: long links split into one dummy item per rank,
//!    labels given a rank of their own between two layers;
//! 3. [`order`]: crossing reduction, scopes kept contiguous;
//! 4. [`horizontal`]: x coordinates, frames around their scopes;
//! 5. [`route`]: ports, and tracks for lines that move sideways;
//! 6. [`vertical`]: y coordinates, with room for frames and tracks.
//!
//! # Why a layout engine of our own
//!
//! The diagram is drawn at compile time, inside the proc macro, so whatever
//! draws it is a dependency of every crate that declares a graph, built
//! before its first line compiles. What exists instead:
//!
//! - Graphviz (`dot`) lays out clusters well, but it is a C program: a proc
//!   macro that runs it breaks hermetic and offline builds and docs.rs, and
//!   the generated docs would change with the installed version.
//!   [`Topology::to_dot`] is there for those who have it.
//! - Mermaid (and dagre, elkjs) lay out in the reader's browser: rustdoc
//!   pages would need JavaScript from a CDN, which the docs must not load.
//!   [`Topology::to_mermaid`] is there for Markdown hosts that render it.
//! - `layout-rs`, a pure-Rust Graphviz-style layout (about 4,500 lines),
//!   reads DOT and writes SVG, but as its documentation shows it draws no
//!   clusters, so no scope frames, nested or not — the one thing this
//!   diagram must show — and it would be compiled into every user's build.
//! - `petgraph` and the force-directed crates give no layered layout with
//!   ports, edge labels and containers.
//!
//! This engine is about 2,100 lines with no dependency, deterministic (the
//! docs do not change between builds), and knows the graph's own rules:
//! writers above readers, a scope's processes in one frame, labels that
//! never cover a box.

mod dag;
mod horizontal;
mod items;
mod metrics;
mod order;
mod rank;
mod route;
mod separation;
mod straighten;
mod tracks;
mod vertical;

pub(crate) use metrics::{
    DETAIL_FONT, DETAIL_LINE, FRAME_HEADER, FRAME_PAD, NAME_FONT, PIN_FONT, PIN_HEIGHT, text_width,
};

use crate::labels::scope_label;
pub use crate::links::{LinkKind, Vertex};
use crate::links::{links, uses_parent};
use crate::model::Topology;
use crate::scopes::ScopeTree;
use crate::subgraphs::SubgraphPorts;

/// A point of the drawing, in pixels; y grows downward.
///
/// ```
/// # use process_graph_topology::*;
/// # let topology = Topology {
/// #     name: "Worker".into(),
/// #     nodes: vec![NodeInfo { name: "worker".into(), ..NodeInfo::default() }].into(),
/// #     edges: vec![EdgeInfo { name: Some("control".into()), kind: EdgeKind::SocketPair,
/// #                            from: vec![EndpointInfo { node: Some(0), fd: 3 }].into(),
/// #                            to: vec![EndpointInfo::PARENT].into(), doc: None }].into(),
/// #     ..Topology::default()
/// # };
/// // A worker with a socketpair to the parent: the line starts on the
/// // worker's bottom edge and ends on the parent's top edge.
/// let layout = topology.layout();
/// let (start, end): (Point, Point) = (layout.edges[0].points[0], *layout.edges[0].points.last().unwrap());
/// assert_eq!(start.y, layout.nodes[0].bottom());
/// assert_eq!(end.y, layout.parent.unwrap().y);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Distance from the left edge.
    pub x: f64,
    /// Distance from the top edge.
    pub y: f64,
}

/// An axis-aligned rectangle, in pixels.
///
/// ```
/// use process_graph_topology::Rect;
///
/// let a = Rect { x: 0.0, y: 0.0, width: 10.0, height: 10.0 };
/// let b = Rect { x: 10.0, y: 0.0, width: 10.0, height: 10.0 };
/// assert!(!a.overlaps(&b)); // touching is not overlapping
/// assert!(Rect { x: -1.0, y: -1.0, width: 20.0, height: 20.0 }.contains(&a));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Rect {
    /// The right edge.
    ///
    /// ```
    /// # use process_graph_topology::Rect;
    /// assert_eq!(Rect { x: 2.0, y: 0.0, width: 3.0, height: 1.0 }.right(), 5.0);
    /// ```
    pub fn right(&self) -> f64 {
        self.x + self.width
    }

    /// The bottom edge.
    ///
    /// ```
    /// # use process_graph_topology::Rect;
    /// assert_eq!(Rect { x: 0.0, y: 2.0, width: 1.0, height: 3.0 }.bottom(), 5.0);
    /// ```
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    /// Whether the two share any interior point.
    ///
    /// ```
    /// # use process_graph_topology::Rect;
    /// let a = Rect { x: 0.0, y: 0.0, width: 10.0, height: 10.0 };
    /// assert!(a.overlaps(&Rect { x: 9.0, y: 9.0, width: 5.0, height: 5.0 }));
    /// assert!(!a.overlaps(&Rect { x: 0.0, y: 10.0, width: 5.0, height: 5.0 }));
    /// ```
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }

    /// Whether `other` lies within this rectangle, edges included.
    ///
    /// ```
    /// # use process_graph_topology::Rect;
    /// let a = Rect { x: 0.0, y: 0.0, width: 10.0, height: 10.0 };
    /// assert!(a.contains(&a));
    /// assert!(!a.contains(&Rect { x: 5.0, y: 5.0, width: 6.0, height: 1.0 }));
    /// ```
    pub fn contains(&self, other: &Rect) -> bool {
        self.x <= other.x
            && other.right() <= self.right()
            && self.y <= other.y
            && other.bottom() <= self.bottom()
    }
}

/// One drawn line: a pipe from one writer to its reader, a socketpair, or
/// an `after` dependency.
///
/// ```
/// # use process_graph_topology::*;
/// # let topology = Topology {
/// #     name: "Worker".into(),
/// #     nodes: vec![NodeInfo { name: "worker".into(), ..NodeInfo::default() }].into(),
/// #     edges: vec![EdgeInfo { name: Some("control".into()), kind: EdgeKind::SocketPair,
/// #                            from: vec![EndpointInfo { node: Some(0), fd: 3 }].into(),
/// #                            to: vec![EndpointInfo::PARENT].into(), doc: None }].into(),
/// #     ..Topology::default()
/// # };
/// // A worker's fd 3 and the parent hold the two ends of a socketpair.
/// let line = &topology.layout().edges[0];
/// assert_eq!((line.kind, line.edge), (LinkKind::SocketPair, Some(0)));
/// assert_eq!((line.from, line.to), (Vertex::Node(0), Vertex::Parent));
/// assert_eq!(line.fds.as_deref(), Some("fd(3) <-> parent"));
/// assert!(line.label.is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EdgePath {
    /// What the line stands for.
    pub kind: LinkKind,
    /// Index into [`Topology::edges`]; `None` for an `after` dependency.
    pub edge: Option<usize>,
    /// Where the line starts: the writer, the first end of a socketpair,
    /// the process that must be ready first.
    pub from: Vertex,
    /// Where it ends (its arrowhead).
    pub to: Vertex,
    /// The line from `from` to `to`: horizontal and vertical segments
    /// (renderers may round the corners). It meets boxes vertically, or
    /// horizontally for a line from a box to itself.
    pub points: Vec<Point>,
    /// Where the label goes: the edge's name above its fds, as in
    /// `lines` / `stdout → stdin`. The lines of a pipe with several writers
    /// share one label, on the first writer's line, listing each writer fd
    /// once (`stdout, stderr → stdin`); they join at the reader in one port.
    pub label: Option<Rect>,
    /// The fds this line connects: `stdout → stdin`, `fd(3) <-> parent`;
    /// `None` for an `after` dependency.
    pub fds: Option<String>,
}

/// A subgraph's port, drawn as a small tab inside its frame's border,
/// labelled with the port's name, where the port's lines meet the frame.
///
/// ```
/// use process_graph_topology::*;
///
/// // `#[pipe(client.stdout -> db.queries)] feed: Pipe`, `db` a subgraph.
/// let topology = Topology {
///     nodes: vec![NodeInfo { name: "client".into(), ..NodeInfo::default() }].into(),
///     edges: vec![EdgeInfo { name: Some("feed".into()),
///                            from: vec![EndpointInfo { node: Some(0), fd: 1 }].into(),
///                            to: vec![EndpointInfo::PARENT].into(),
///                            ..EdgeInfo::default() }].into(),
///     subgraphs: vec![SubgraphInfo {
///         name: "db".into(),
///         type_name: "Db".into(),
///         ports: vec![PortInfo { name: "queries".into(), edge: 0, side: Side::To, end: 0 }].into(),
///         ..SubgraphInfo::default()
///     }].into(),
///     ..Topology::default()
/// };
/// let layout = topology.layout();
/// let (pin, frame) = (&layout.pins[0], layout.subgraphs[0]);
/// assert_eq!((pin.subgraph, pin.name.as_str()), (0, "queries"));
/// assert!(frame.contains(&pin.rect) && pin.rect.y == frame.y);
/// // The line ends on the frame's border, in the middle of the pin.
/// let end = *layout.edges[0].points.last().unwrap();
/// assert_eq!((end.x, end.y), (pin.rect.x + pin.rect.width / 2.0, frame.y));
/// assert_eq!(layout.parent, None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Pin {
    /// Index into [`Topology::subgraphs`].
    pub subgraph: usize,
    /// The port's name: `queries`.
    pub name: String,
    /// The tab, inside the frame, along its top or bottom border.
    pub rect: Rect,
}

/// Where everything goes: see [`Topology::layout`].
///
/// ```
/// # use process_graph_topology::*;
/// # let topology = Topology {
/// #     name: "Worker".into(),
/// #     nodes: vec![NodeInfo { name: "worker".into(), ..NodeInfo::default() }].into(),
/// #     edges: vec![EdgeInfo { name: Some("control".into()), kind: EdgeKind::SocketPair,
/// #                            from: vec![EndpointInfo { node: Some(0), fd: 3 }].into(),
/// #                            to: vec![EndpointInfo::PARENT].into(), doc: None }].into(),
/// #     ..Topology::default()
/// # };
/// // A worker with a socketpair to the parent.
/// let layout = topology.layout();
/// let (worker, parent) = (layout.nodes[0], layout.parent.unwrap());
/// assert!(worker.bottom() < parent.y);
/// assert!(worker.right() <= layout.width && parent.bottom() <= layout.height);
/// assert_eq!(layout.edges.len(), 1);
/// assert!(layout.frames.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Width of the whole drawing.
    pub width: f64,
    /// Height of the whole drawing.
    pub height: f64,
    /// The box of every process, by index into [`Topology::nodes`].
    pub nodes: Vec<Rect>,
    /// The parent's box, when some edge reaches the parent.
    pub parent: Option<Rect>,
    /// The frame of every scope, by index into [`Topology::scopes`]; its top
    /// strip (of [`Layout::FRAME_HEADER`] pixels) holds the scope's label.
    pub frames: Vec<Rect>,
    /// The frame of every subgraph, by index into [`Topology::subgraphs`]:
    /// a box like a process's, with the pins of its ports along its top
    /// and bottom borders.
    pub subgraphs: Vec<Rect>,
    /// The pin of every subgraph port a line reaches; the line meets the
    /// frame's border at the middle of its pin.
    pub pins: Vec<Pin>,
    /// Every line: edges in declaration order (a pipe with several writers
    /// gives one line per writer), then `after` dependencies in node order.
    pub edges: Vec<EdgePath>,
}

impl Layout {
    /// Height of the label strip at the top of a frame: what a frame holds
    /// sits below it.
    ///
    /// ```
    /// # use process_graph_topology::*;
    /// # let topology = Topology {
    /// #     nodes: vec![NodeInfo { name: "inside".into(), scope: Some(0), ..NodeInfo::default() }]
    /// #         .into(),
    /// #     scopes: vec![ScopeInfo { name: "sandbox".into(), namespaces: vec!["pid"].into(),
    /// #                              ..ScopeInfo::default() }].into(),
    /// #     ..Topology::default()
    /// # };
    /// // One process in a pid scope.
    /// let layout = topology.layout();
    /// assert!(layout.nodes[0].y >= layout.frames[0].y + Layout::FRAME_HEADER);
    /// ```
    pub const FRAME_HEADER: f64 = FRAME_HEADER;

    /// The box of a vertex, if it is drawn.
    ///
    /// ```
    /// # use process_graph_topology::{Topology, Vertex};
    /// # let topology = Topology::default();
    /// assert_eq!(topology.layout().vertex(Vertex::Parent), None);
    /// ```
    pub fn vertex(&self, vertex: Vertex) -> Option<Rect> {
        match vertex {
            Vertex::Node(n) => self.nodes.get(n).copied(),
            Vertex::Subgraph(s) => self.subgraphs.get(s).copied(),
            Vertex::Parent => self.parent,
        }
    }
}

impl Topology {
    /// Lays the graph out in layers, writers above readers: processes (and
    /// the parent, when an edge reaches it) as boxes sized to their labels,
    /// subgraphs as boxes wide enough for the pins of their ports (see
    /// [`Pin`]), scopes as frames around their processes, nested scopes
    /// nested, and every edge as a line that passes between boxes, never
    /// through one.
    /// No two boxes, labels or sibling frames overlap; a frame holds
    /// exactly the processes of its scope. Deterministic.
    ///
    /// ```
    /// use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, List, NodeInfo, ScopeInfo, Topology};
    ///
    /// fn node(name: &'static str, scope: Option<usize>) -> NodeInfo {
    ///     NodeInfo { name: name.into(), scope, ..NodeInfo::default() }
    /// }
    /// fn end(node: usize, fd: i32) -> List<EndpointInfo> {
    ///     vec![EndpointInfo { node: Some(node), fd }].into()
    /// }
    /// let topology = Topology {
    ///     name: "Pair".into(),
    ///     nodes: vec![node("client", None), node("server", Some(0))].into(),
    ///     edges: vec![EdgeInfo { name: Some("requests".into()), kind: EdgeKind::Pipe,
    ///                            from: end(0, 1), to: end(1, 0), doc: None }].into(),
    ///     scopes: vec![ScopeInfo { name: "sandbox".into(), namespaces: vec!["net"].into(),
    ///                              ..ScopeInfo::default() }].into(),
    ///     ..Topology::default()
    /// };
    /// let layout = topology.layout();
    /// let (client, server) = (layout.nodes[0], layout.nodes[1]);
    /// assert!(client.bottom() < server.y); // the writer is drawn above the reader
    /// assert!(layout.frames[0].contains(&server) && !layout.frames[0].overlaps(&client));
    /// assert_eq!(layout.edges[0].points.first().unwrap().y, client.bottom());
    /// ```
    pub fn layout(&self) -> Layout {
        let tree = ScopeTree::new(self);
        let ports = SubgraphPorts::new(self);
        let links = links(self);
        let with_parent = uses_parent(&links);
        let graph = items::build(self, &tree, &ports, &links, with_parent);
        let ranks = order::order(&graph, &tree);
        let frame_labels: Vec<String> = self.scopes.iter().map(scope_label).collect();
        let columns = horizontal::place(&graph, &tree, &ranks, &frame_labels);
        let vertices = self.nodes.len() + self.subgraphs.len() + usize::from(with_parent);
        let routing = route::Routing::new(&graph, &columns, vertices);
        let rows = vertical::place(&graph, &tree, &routing.track_counts);
        let mut boxes = routing.boxes(&rows);
        let edges = routing.paths(&links, &rows, &boxes);
        let pins = routing.pins(&boxes, |s, p| ports.names(s)[p].clone());
        let parent = with_parent.then(|| boxes.pop()).flatten();
        let subgraphs = boxes.split_off(self.nodes.len());
        let frames = (0..self.scopes.len())
            .map(|s| Rect {
                x: columns.frame_x[s].0,
                y: rows.frame_y[s].0,
                width: columns.frame_x[s].1 - columns.frame_x[s].0,
                height: rows.frame_y[s].1 - rows.frame_y[s].0,
            })
            .collect();
        Layout {
            width: columns.width,
            height: rows.height,
            nodes: boxes,
            parent,
            frames,
            subgraphs,
            pins,
            edges,
        }
    }
}
