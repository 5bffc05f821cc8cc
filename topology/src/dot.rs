//! Graphviz export: the diagram's information in DOT, for `dot -Tsvg`,
//! `xdot` or any tool that reads it.

use crate::labels::{node_lines, one_line, scope_label, subgraph_lines};
use crate::links::{Link, LinkKind, Vertex, links, port_id, uses_parent};
use crate::model::Topology;
use crate::scopes::ScopeTree;
use crate::subgraphs::SubgraphPorts;
use std::fmt::Write;

impl Topology {
    /// The graph in Graphviz DOT: processes as rounded boxes (name, and
    /// command when known), the parent as a dark box, scopes as clusters
    /// labelled with their namespaces (nested scopes nested), nested graphs
    /// (`#[subgraph]` fields) as clusters labelled `db: Db` holding a node
    /// per port (`sNpM`) where their lines end, pipes as arrows labelled
    /// with the edge's name and fds, socketpairs with `dir=both`, `after`
    /// dependencies dashed — one that names a subgraph, or a subgraph's own,
    /// clipped at its cluster (`lhead`/`ltail`, under `compound=true`) from
    /// an invisible point `sN` inside it. Node ids are `n0`, `n1`, …
    /// (by index into [`Topology::nodes`]) and `parent`; all text is
    /// escaped. Deterministic. The graph asks for `newrank=true`: Graphviz's
    /// older ranking fails ("trouble in init_rank") on some graphs whose
    /// edges cross clusters.
    ///
    /// ```
    /// use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, Topology};
    ///
    /// let topology = Topology {
    ///     name: "Control".into(),
    ///     nodes: vec![NodeInfo {
    ///         name: "worker".into(),
    ///         command: Some("./worker \"fast\"".into()),
    ///         restart: "always",
    ///         ..NodeInfo::default()
    ///     }]
    ///     .into(),
    ///     edges: vec![EdgeInfo {
    ///         name: Some("control".into()),
    ///         kind: EdgeKind::SocketPair,
    ///         from: vec![EndpointInfo { node: Some(0), fd: 3 }].into(),
    ///         to: vec![EndpointInfo::PARENT].into(),
    ///         doc: None,
    ///     }]
    ///     .into(),
    ///     ..Topology::default()
    /// };
    /// let dot = topology.to_dot();
    /// assert!(dot.contains(r#"n0 [label="worker\n./worker \"fast\""];"#));
    /// assert!(dot.contains(r#"n0 -> parent [label="control\nfd(3) <-> parent", dir=both"#));
    /// ```
    pub fn to_dot(&self) -> String {
        let tree = ScopeTree::new(self);
        let links = links(self);
        let mut dot = String::new();
        let _ = writeln!(dot, "digraph {} {{", quote(&self.name));
        // By subgraph, whether a line reaches its frame: one pass over the lines.
        let mut anchored = vec![false; self.subgraphs.len()];
        for s in links.iter().flat_map(frame_ends).flatten() {
            anchored[s] = true;
        }
        let compound = if anchored.contains(&true) {
            ", compound=true"
        } else {
            ""
        };
        let _ = writeln!(
            dot,
            "  graph [rankdir=TB, newrank=true{compound}, fontname=\"monospace\", fontsize=11, nodesep=0.4, ranksep=0.5];"
        );
        dot.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#475569\", fontname=\"monospace\", fontsize=12];\n");
        dot.push_str("  edge [fontname=\"monospace\", fontsize=10, color=\"#334155\"];\n");
        if uses_parent(&links) {
            dot.push_str("  parent [label=\"parent\", fillcolor=\"#1e293b\", color=\"#1e293b\", fontcolor=\"#ffffff\"];\n");
        }
        let ports = SubgraphPorts::new(self);
        write_clusters(self, &tree, &ports, &anchored, None, 1, &mut dot);
        for link in &links {
            let mut attributes = Vec::new();
            let [tail, head] = frame_ends(link);
            attributes.extend(tail.map(|s| format!("ltail=cluster_subgraph_{s}")));
            attributes.extend(head.map(|s| format!("lhead=cluster_subgraph_{s}")));
            if let (Some(name), Some(fds)) = (link.name(self), &link.fds) {
                attributes.push(format!("label={}", quote_lines(&[name, fds])));
            }
            match link.kind {
                LinkKind::Pipe => {}
                LinkKind::SocketPair => attributes.push("dir=both, color=\"#7c3aed\"".to_owned()),
                LinkKind::After => attributes.push("style=dashed, color=\"#94a3b8\"".to_owned()),
            }
            let [from, to] = link.end_ids();
            let _ = writeln!(dot, "  {from} -> {to} [{}];", attributes.join(", "));
        }
        dot.push_str("}\n");
        dot
    }
}

/// The subgraphs whose frame (not a port) a line starts or ends at: an
/// `after` dependency on or of a subgraph.
fn frame_ends(link: &Link) -> [Option<usize>; 2] {
    let frame = |vertex: Vertex, port: Option<usize>| match (vertex, port) {
        (Vertex::Subgraph(s), None) => Some(s),
        _ => None,
    };
    [
        frame(link.from, link.ports[0]),
        frame(link.to, link.ports[1]),
    ]
}

/// The processes and subgraphs directly in `scope` (`None`: outside every
/// scope), then its child scopes as clusters. `anchored`: by subgraph,
/// whether a line reaches its frame.
fn write_clusters(
    topology: &Topology,
    tree: &ScopeTree,
    ports: &SubgraphPorts,
    anchored: &[bool],
    scope: Option<usize>,
    depth: usize,
    dot: &mut String,
) {
    let indent = "  ".repeat(depth);
    for n in tree.nodes_in(scope) {
        let lines = node_lines(&topology.nodes[n]);
        let _ = writeln!(dot, "{indent}n{n} [label={}];", quote_lines(&lines));
    }
    for s in tree.subgraphs_in(scope) {
        write_subgraph(topology, ports, s, anchored[s], &indent, dot);
    }
    for child in tree.children(scope) {
        let _ = writeln!(dot, "{indent}subgraph cluster_{child} {{");
        let _ = writeln!(
            dot,
            "{indent}  label={}; labeljust=l; style=\"rounded,filled\"; fillcolor=\"#eff6ff\"; color=\"#93c5fd\"; fontcolor=\"#1d4ed8\";",
            quote(&scope_label(&topology.scopes[child]))
        );
        // Graphviz drops an empty cluster; an invisible point keeps it drawn.
        let holds_nodes = (0..topology.nodes.len())
            .map(|n| tree.of_node(n))
            .chain((0..topology.subgraphs.len()).map(|s| tree.of_subgraph(s)))
            .any(|scope| tree.chain(scope).contains(&child));
        if !holds_nodes {
            let _ = writeln!(
                dot,
                "{indent}  scope{child} [shape=point, style=invis, label=\"\"];"
            );
        }
        write_clusters(topology, tree, ports, anchored, Some(child), depth + 1, dot);
        let _ = writeln!(dot, "{indent}}}");
    }
}

/// A subgraph as a cluster labelled with its name, type and failure
/// policy, holding one small node per port its lines reach (Graphviz
/// cannot put a node on a cluster's border; inside it, next to the label,
/// reads the same), and an invisible point `sN` where a line reaches the
/// frame itself (`anchored`) or the cluster would otherwise be empty.
fn write_subgraph(
    topology: &Topology,
    ports: &SubgraphPorts,
    s: usize,
    anchored: bool,
    indent: &str,
    dot: &mut String,
) {
    let _ = writeln!(dot, "{indent}subgraph cluster_subgraph_{s} {{");
    let _ = writeln!(
        dot,
        "{indent}  label={}; labeljust=l; style=\"rounded,filled,bold\"; fillcolor=\"#f0fdfa\"; color=\"#0d9488\"; fontcolor=\"#0f766e\";",
        quote_lines(&subgraph_lines(&topology.subgraphs[s]))
    );
    let names = ports.names(s);
    for (p, name) in names.iter().enumerate() {
        let _ = writeln!(
            dot,
            "{indent}  {} [label={}, color=\"#0d9488\", fontcolor=\"#0f766e\", fontsize=10, height=0.3];",
            port_id(s, p),
            quote(name)
        );
    }
    // Graphviz drops an empty cluster; an invisible point keeps it drawn.
    if names.is_empty() || anchored {
        let _ = writeln!(
            dot,
            "{indent}  s{s} [shape=point, style=invis, label=\"\"];"
        );
    }
    let _ = writeln!(dot, "{indent}}}");
}

/// A DOT string literal. Backslashes are escaped too, so Graphviz's label
/// escapes (`\N`, `\G`, `\l`) in user text stay literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in one_line(text).chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A label of several centred lines.
fn quote_lines(lines: &[impl AsRef<str>]) -> String {
    let quoted: Vec<String> = lines.iter().map(|l| quote(l.as_ref())).collect();
    let inner: Vec<&str> = quoted.iter().map(|q| &q[1..q.len() - 1]).collect();
    format!("\"{}\"", inner.join("\\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quote(r#"a "b" \N"#), r#""a \"b\" \\N""#);
        assert_eq!(quote_lines(&["x\ny", "z"]), r#""x y\nz""#);
    }
}
