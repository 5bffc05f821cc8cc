//! The renderers against hand-written and generated topologies: the
//! layout's geometry, the SVG as XML, the DOT through real Graphviz, the
//! Mermaid flowchart and the Markdown tables.

mod dot_graphviz;
mod examples;
mod generate;
mod layout_geometry;
mod markdown_tables;
mod mermaid_flowchart;
mod svg_document;
mod xml;

use process_graph_topology::{EdgeKind, Side, Topology};

/// What a reader must find on a diagram: every process name, every scope
/// label and every edge label (name and fds), as the renderers spell them.
pub struct Expected {
    pub names: Vec<String>,
    pub scope_labels: Vec<String>,
    /// (edge name, fds) per edge as the diagram labels it: a pipe with
    /// several writers once, each writer fd named once.
    pub edge_labels: Vec<(String, String)>,
    /// (from id, to id) per line, one per writer of a pipe, `after`
    /// dependencies included, in the renderers' ids: `n3`, `parent`, `s0`
    /// (a subgraph's frame).
    pub lines: Vec<(String, String)>,
    /// (edge name, this line's fds) per line that is an edge.
    pub line_labels: Vec<(String, String)>,
    /// Per subgraph, its frame's lines: `db: Db`, `on_failure: restart`.
    pub subgraph_labels: Vec<[String; 2]>,
    /// Per subgraph, the names of the ports its lines reach, each once, in
    /// the order the ports are listed (the renderers' `sNpM`).
    pub ports: Vec<Vec<String>>,
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn fd_name(fd: i32) -> String {
    match fd {
        0 => "stdin".into(),
        1 => "stdout".into(),
        2 => "stderr".into(),
        n => format!("fd({n})"),
    }
}

/// Written from the model independently of the crate's own helpers, so a
/// renderer that drops or misspells something is caught.
pub fn expected(topology: &Topology) -> Expected {
    let mut ports: Vec<Vec<String>> = vec![Vec::new(); topology.subgraphs.len()];
    // (edge, side, end) → (subgraph, port) for every port at a parent end.
    let mut port_at = Vec::new();
    for (s, subgraph) in topology.subgraphs.iter().enumerate() {
        for port in subgraph.ports.iter() {
            let Some(edge) = topology.edges.get(port.edge) else {
                continue;
            };
            let ends = if port.side == Side::From {
                &edge.from
            } else {
                &edge.to
            };
            let key = (port.edge, port.side, port.end);
            let at_parent = ends.get(port.end).is_some_and(|e| e.node.is_none());
            if !at_parent || port_at.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let name = port.name.to_string();
            let p = ports[s].iter().position(|n| *n == name).unwrap_or_else(|| {
                ports[s].push(name);
                ports[s].len() - 1
            });
            port_at.push((key, (s, p)));
        }
    }
    let port = |edge: usize, side: Side, end: usize| {
        port_at
            .iter()
            .find(|(k, _)| *k == (edge, side, end))
            .map(|(_, sp)| *sp)
    };
    let id = |node: Option<usize>, port: Option<(usize, usize)>| match (node, port) {
        (Some(n), _) => format!("n{n}"),
        (None, Some((s, p))) => format!("s{s}p{p}"),
        (None, None) => "parent".to_owned(),
    };
    let end = |node: Option<usize>, fd: i32, port: Option<(usize, usize)>| match (node, port) {
        (Some(_), _) => fd_name(fd),
        (None, Some((s, p))) => format!("{}.{}", topology.subgraphs[s].name, ports[s][p]),
        (None, None) => "parent".to_owned(),
    };
    let mut edge_labels = Vec::new();
    let mut lines = Vec::new();
    let mut line_labels = Vec::new();
    for (e, edge) in topology.edges.iter().enumerate() {
        let arrow = if edge.kind == EdgeKind::Pipe {
            "→"
        } else {
            "<->"
        };
        let mut writers: Vec<String> = Vec::new();
        for (w, from) in edge.from.iter().enumerate() {
            let writer_port = port(e, Side::From, w);
            let writer = end(from.node, from.fd, writer_port);
            for (r, to) in edge.to.iter().enumerate() {
                let reader_port = port(e, Side::To, r);
                let reader = end(to.node, to.fd, reader_port);
                line_labels.push((
                    one_line(edge.name.as_deref().unwrap_or("")),
                    format!("{writer} {arrow} {reader}"),
                ));
                lines.push((id(from.node, writer_port), id(to.node, reader_port)));
            }
            if !writers.contains(&writer) {
                writers.push(writer);
            }
        }
        if let Some(to) = edge.to.first() {
            let reader = end(to.node, to.fd, port(e, Side::To, 0));
            let label = format!("{} {arrow} {reader}", writers.join(", "));
            edge_labels.push((one_line(edge.name.as_deref().unwrap_or("")), label));
        }
    }
    // A subgraph's frame is `sN` where an `after` reaches it.
    let dependents = topology
        .nodes
        .iter()
        .enumerate()
        .map(|(n, node)| (format!("n{n}"), &node.after, &node.after_subgraphs))
        .chain(
            topology
                .subgraphs
                .iter()
                .enumerate()
                .map(|(s, sub)| (format!("s{s}"), &sub.after, &sub.after_subgraphs)),
        );
    for (dependent, nodes, subgraphs) in dependents {
        for &a in nodes.iter() {
            lines.push((format!("n{a}"), dependent.clone()));
        }
        for &a in subgraphs.iter() {
            lines.push((format!("s{a}"), dependent.clone()));
        }
    }
    Expected {
        names: topology.nodes.iter().map(|n| one_line(&n.name)).collect(),
        scope_labels: topology
            .scopes
            .iter()
            .map(|s| {
                let mut label = s.name.to_string();
                if !s.namespaces.is_empty() {
                    label = format!("{label}: {}", s.namespaces.join(", "));
                }
                if let Some(hostname) = &s.hostname {
                    label = format!("{label} (hostname {hostname})");
                }
                one_line(&label)
            })
            .collect(),
        edge_labels,
        lines,
        line_labels,
        subgraph_labels: topology
            .subgraphs
            .iter()
            .map(|s| {
                [
                    one_line(&format!("{}: {}", s.name, s.type_name)),
                    format!("on_failure: {}", s.on_failure),
                ]
            })
            .collect(),
        ports,
    }
}

/// Random topologies of every size in `sizes`, `per_size` seeds each.
pub fn random_topologies(sizes: std::ops::RangeInclusive<usize>, per_size: u64) -> Vec<Topology> {
    sizes
        .flat_map(|n| {
            (0..per_size).map(move |seed| generate::random_topology(seed * 1000 + n as u64, n))
        })
        .collect()
}
