//! The lines every renderer draws: one per writer → reader pair of a pipe,
//! one per socketpair, one per `after` dependency. Endpoints that name no
//! node of the topology are dropped here, once, so no renderer can panic on
//! them. An end that is a subgraph's port goes to the subgraph, at that port;
//! an `after` that names a subgraph, or a subgraph's own `after`, goes to
//! or from its frame.

use crate::labels::{edge_fds, edge_name, end_name};
use crate::model::{EdgeKind, Topology};
use crate::rules::Side;
use crate::subgraphs::SubgraphPorts;

/// A box in the diagram: a process, a subgraph's frame, or the parent that
/// spawns them all.
///
/// ```
/// # use process_graph_topology::*;
/// # let topology = Topology {
/// #     nodes: vec![NodeInfo { name: "cat".into(), ..NodeInfo::default() }].into(),
/// #     edges: vec![EdgeInfo { name: Some("input".into()),
/// #                            from: vec![EndpointInfo::PARENT].into(),
/// #                            to: vec![EndpointInfo { node: Some(0), fd: 0 }].into(),
/// #                            ..EdgeInfo::default() }].into(),
/// #     ..Topology::default()
/// # };
/// // The parent writes into `cat`'s stdin.
/// let layout = topology.layout();
/// assert_eq!((layout.edges[0].from, layout.edges[0].to), (Vertex::Parent, Vertex::Node(0)));
/// assert_eq!(layout.vertex(Vertex::Node(0)), Some(layout.nodes[0]));
/// assert!(layout.vertex(Vertex::Parent).is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Vertex {
    /// Index into [`Topology::nodes`].
    Node(usize),
    /// Index into [`Topology::subgraphs`]: a nested graph, drawn as a frame
    /// with its ports on the border.
    Subgraph(usize),
    /// The program that declared the graph; it holds the `parent` ends.
    Parent,
}

impl Vertex {
    /// The vertex's identifier in DOT and Mermaid output.
    pub(crate) fn id(self) -> String {
        match self {
            Vertex::Node(n) => format!("n{n}"),
            Vertex::Subgraph(s) => format!("s{s}"),
            Vertex::Parent => "parent".to_owned(),
        }
    }
}

/// The identifier of port `port` of subgraph `subgraph` in DOT and Mermaid
/// output, where a port is a small node inside the subgraph's cluster.
pub(crate) fn port_id(subgraph: usize, port: usize) -> String {
    format!("s{subgraph}p{port}")
}

/// What a drawn line stands for.
///
/// ```
/// # use process_graph_topology::*;
/// # let topology = Topology {
/// #     nodes: vec![
/// #         NodeInfo { name: "db".into(), ready: Some(Ready::Notify), ..NodeInfo::default() },
/// #         NodeInfo { name: "app".into(), after: vec![0].into(), ..NodeInfo::default() },
/// #     ].into(),
/// #     ..Topology::default()
/// # };
/// // `app` starts once `db` is ready: a dashed arrow without a label.
/// let line = &topology.layout().edges[0];
/// assert_eq!(line.kind, LinkKind::After);
/// assert_eq!((line.from, line.to), (Vertex::Node(0), Vertex::Node(1)));
/// assert_eq!((line.edge, line.label), (None, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// A pipe from one writer to the reader: an arrow.
    Pipe,
    /// A socketpair: a double-ended arrow.
    SocketPair,
    /// `after`: the arrow's target starts once its source is ready (dashed).
    After,
}

/// One drawn line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub kind: LinkKind,
    /// Index into [`Topology::edges`]; `None` for an `after` dependency.
    pub edge: Option<usize>,
    pub from: Vertex,
    pub to: Vertex,
    /// This line's fds: `stdout → stdin`, `fd(3) <-> parent`; `None` for an
    /// `after` dependency.
    pub fds: Option<String>,
    /// The label the diagram draws beside this line: the edge's name and
    /// fds. A pipe with several writers is labelled once, on its first
    /// writer's line.
    pub label: Option<[String; 2]>,
    /// One of several writers of a pipe: in the diagram its line joins the
    /// others at the reader, one arrow into one port.
    pub shares_reader: bool,
    /// The port, by index among the subgraph's, where the line leaves a
    /// subgraph (`from` is one) and where it reaches one (`to` is one).
    pub ports: [Option<usize>; 2],
}

impl Link {
    /// The edge's field name, for links that are edges.
    pub fn name<'t>(&self, topology: &'t Topology) -> Option<&'t str> {
        self.edge
            .map(|e| crate::labels::edge_name(&topology.edges[e]))
    }

    /// The identifiers of the line's two ends in DOT and Mermaid output: a
    /// vertex's, or a subgraph port's.
    pub fn end_ids(&self) -> [String; 2] {
        let id = |vertex: Vertex, port: Option<usize>| match (vertex, port) {
            (Vertex::Subgraph(s), Some(p)) => port_id(s, p),
            _ => vertex.id(),
        };
        [id(self.from, self.ports[0]), id(self.to, self.ports[1])]
    }
}

/// Every line of the diagram: edges in declaration order, then `after`
/// dependencies in node order, then those of subgraphs (a subgraph's frame
/// standing for all of its nodes) in subgraph order.
pub(crate) fn links(topology: &Topology) -> Vec<Link> {
    let ports = SubgraphPorts::new(topology);
    // The vertex at an end, and the port there when it is a subgraph's.
    let vertex = |edge: usize, side: Side, index: usize| {
        let end = crate::subgraphs::side(&topology.edges[edge], side)[index];
        match (end.node, ports.at(edge, side, index)) {
            (None, Some((s, p))) => Some((Vertex::Subgraph(s), Some(p))),
            (None, None) => Some((Vertex::Parent, None)),
            (Some(n), _) if n < topology.nodes.len() => Some((Vertex::Node(n), None)),
            (Some(_), _) => None,
        }
    };
    let mut links = Vec::new();
    for (index, edge) in topology.edges.iter().enumerate() {
        let (kind, arrow) = match edge.kind {
            EdgeKind::Pipe => (LinkKind::Pipe, "→"),
            EdgeKind::SocketPair => (LinkKind::SocketPair, "<->"),
        };
        let shares_reader = kind == LinkKind::Pipe && edge.from.len() > 1;
        for writer in 0..edge.from.len() {
            for reader in 0..edge.to.len() {
                let (Some((a, a_port)), Some((b, b_port))) = (
                    vertex(index, Side::From, writer),
                    vertex(index, Side::To, reader),
                ) else {
                    continue;
                };
                let fds = format!(
                    "{} {arrow} {}",
                    end_name(topology, &ports, index, Side::From, writer),
                    end_name(topology, &ports, index, Side::To, reader)
                );
                links.push(Link {
                    kind,
                    edge: Some(index),
                    from: a,
                    to: b,
                    fds: Some(fds),
                    label: (writer == 0).then(|| {
                        [
                            edge_name(edge).to_owned(),
                            edge_fds(topology, &ports, index),
                        ]
                    }),
                    shares_reader,
                    ports: [a_port, b_port],
                });
            }
        }
    }
    let node = |n: usize| (n < topology.nodes.len()).then_some(Vertex::Node(n));
    let subgraph = |s: usize| (s < topology.subgraphs.len()).then_some(Vertex::Subgraph(s));
    let dependents = topology
        .nodes
        .iter()
        .enumerate()
        .map(|(n, info)| (Vertex::Node(n), &info.after, &info.after_subgraphs))
        .chain(
            topology
                .subgraphs
                .iter()
                .enumerate()
                .map(|(s, info)| (Vertex::Subgraph(s), &info.after, &info.after_subgraphs)),
        );
    for (dependent, nodes, subgraphs) in dependents {
        let dependencies = nodes.iter().map(|&n| node(n));
        let dependencies = dependencies.chain(subgraphs.iter().map(|&s| subgraph(s)));
        for dependency in dependencies.flatten() {
            links.push(Link {
                kind: LinkKind::After,
                edge: None,
                from: dependency,
                to: dependent,
                fds: None,
                label: None,
                shares_reader: false,
                ports: [None, None],
            });
        }
    }
    links
}

/// The parent is drawn only when some line reaches it.
pub(crate) fn uses_parent(links: &[Link]) -> bool {
    links
        .iter()
        .any(|l| l.from == Vertex::Parent || l.to == Vertex::Parent)
}
