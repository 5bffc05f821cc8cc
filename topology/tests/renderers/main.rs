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

use process_graph_topology::{EdgeKind, Topology};

/// What a reader must find on a diagram: every process name, every scope
/// label and every edge label (name and fds), as the renderers spell them.
pub struct Expected {
    pub names: Vec<String>,
    pub scope_labels: Vec<String>,
    /// (edge name, fds) per edge as the diagram labels it: a pipe with
    /// several writers once, each writer fd named once.
    pub edge_labels: Vec<(String, String)>,
    /// (from id, to id) per line, one per writer of a pipe, `after`
    /// dependencies included, in the renderers' ids: `n3`, `parent`.
    pub lines: Vec<(String, String)>,
    /// (edge name, this line's fds) per line that is an edge.
    pub line_labels: Vec<(String, String)>,
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
    let id = |node: Option<usize>| node.map_or("parent".to_owned(), |n| format!("n{n}"));
    let end = |node: Option<usize>, fd: i32| node.map_or("parent".to_owned(), |_| fd_name(fd));
    let mut edge_labels = Vec::new();
    let mut lines = Vec::new();
    let mut line_labels = Vec::new();
    for edge in topology.edges.iter() {
        let arrow = if edge.kind == EdgeKind::Pipe {
            "→"
        } else {
            "<->"
        };
        let mut writers: Vec<String> = Vec::new();
        for from in edge.from.iter() {
            let writer = end(from.node, from.fd);
            for to in edge.to.iter() {
                let reader = end(to.node, to.fd);
                line_labels.push((
                    one_line(edge.name.as_deref().unwrap_or("")),
                    format!("{writer} {arrow} {reader}"),
                ));
                lines.push((id(from.node), id(to.node)));
            }
            if !writers.contains(&writer) {
                writers.push(writer);
            }
        }
        if let Some(to) = edge.to.first() {
            let label = format!("{} {arrow} {}", writers.join(", "), end(to.node, to.fd));
            edge_labels.push((one_line(edge.name.as_deref().unwrap_or("")), label));
        }
    }
    for (n, node) in topology.nodes.iter().enumerate() {
        for &a in node.after.iter() {
            lines.push((id(Some(a)), id(Some(n))));
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
