//! Mermaid export: the diagram's information as a Mermaid flowchart, which
//! GitHub, GitLab and many Markdown tools render.

use crate::labels::{node_lines, one_line, scope_label, subgraph_lines};
use crate::links::{LinkKind, links, port_id, uses_parent};
use crate::model::Topology;
use crate::scopes::ScopeTree;
use crate::subgraphs::SubgraphPorts;
use std::fmt::Write;

impl Topology {
    /// The graph as a Mermaid `flowchart TB`: processes as boxes (name, and
    /// command when known), the parent as a dark stadium, scopes as
    /// subgraphs labelled with their namespaces (nested scopes nested),
    /// nested graphs (`#[subgraph]` fields) as subgraphs `sN` labelled
    /// `db: Db` holding a node per port (`sNpM`) where their lines end,
    /// pipes as arrows labelled with the edge's name and fds, socketpairs
    /// as `<-->`, `after` dependencies as dotted arrows `-.->`. Node ids are
    /// `n0`, `n1`, … and `parent`; all text is quoted and escaped with
    /// Mermaid's entity codes. Deterministic.
    ///
    /// ```
    /// use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, Topology};
    ///
    /// let topology = Topology {
    ///     name: "Pair".into(),
    ///     nodes: vec![
    ///         NodeInfo { name: "a".into(), ..NodeInfo::default() },
    ///         NodeInfo { name: "b".into(), after: vec![0].into(), ..NodeInfo::default() },
    ///     ]
    ///     .into(),
    ///     edges: vec![EdgeInfo {
    ///         name: Some("data".into()),
    ///         kind: EdgeKind::Pipe,
    ///         from: vec![EndpointInfo { node: Some(0), fd: 1 }].into(),
    ///         to: vec![EndpointInfo { node: Some(1), fd: 0 }].into(),
    ///         doc: None,
    ///     }]
    ///     .into(),
    ///     ..Topology::default()
    /// };
    /// let mermaid = topology.to_mermaid();
    /// assert!(mermaid.contains(r#"n0 -->|"data<br/>stdout → stdin"| n1"#));
    /// assert!(mermaid.contains("n0 -.-> n1"));
    /// ```
    pub fn to_mermaid(&self) -> String {
        let tree = ScopeTree::new(self);
        let links = links(self);
        let mut out = String::from("flowchart TB\n");
        if uses_parent(&links) {
            out.push_str("  parent([\"parent\"])\n");
            out.push_str("  style parent fill:#1e293b,stroke:#1e293b,color:#ffffff\n");
        }
        let ports = SubgraphPorts::new(self);
        write_subgraphs(self, &tree, &ports, None, 1, &mut out);
        for link in &links {
            let arrow = match link.kind {
                LinkKind::Pipe => "-->",
                LinkKind::SocketPair => "<-->",
                LinkKind::After => "-.->",
            };
            let label = match (link.name(self), &link.fds) {
                (Some(name), Some(fds)) => format!("|{}|", quote_lines(&[name, fds])),
                _ => String::new(),
            };
            let [from, to] = link.end_ids();
            let _ = writeln!(out, "  {from} {arrow}{label} {to}");
        }
        out
    }
}

/// The processes and nested graphs directly in `scope` (`None`: outside
/// every scope), then its child scopes as subgraphs.
fn write_subgraphs(
    topology: &Topology,
    tree: &ScopeTree,
    ports: &SubgraphPorts,
    scope: Option<usize>,
    depth: usize,
    out: &mut String,
) {
    let indent = "  ".repeat(depth);
    for n in tree.nodes_in(scope) {
        let lines = node_lines(&topology.nodes[n]);
        let _ = writeln!(out, "{indent}n{n}[{}]", quote_lines(&lines));
    }
    for s in tree.subgraphs_in(scope) {
        write_nested_graph(topology, ports, s, &indent, out);
    }
    for child in tree.children(scope) {
        let label = scope_label(&topology.scopes[child]);
        let _ = writeln!(
            out,
            "{indent}subgraph scope{child}[{}]",
            quote_lines(&[&label])
        );
        write_subgraphs(topology, tree, ports, Some(child), depth + 1, out);
        let _ = writeln!(out, "{indent}end");
    }
}

/// A nested graph (a `#[subgraph]` field) as a Mermaid subgraph `sN`
/// labelled with its name, type and failure policy, holding one small
/// rounded node per port its lines reach (`sNpM`).
fn write_nested_graph(
    topology: &Topology,
    ports: &SubgraphPorts,
    s: usize,
    indent: &str,
    out: &mut String,
) {
    let label = quote_lines(&subgraph_lines(&topology.subgraphs[s]));
    let _ = writeln!(out, "{indent}subgraph s{s}[{label}]");
    for (p, name) in ports.names(s).iter().enumerate() {
        let _ = writeln!(out, "{indent}  {}({})", port_id(s, p), quote_lines(&[name]));
    }
    let _ = writeln!(out, "{indent}end");
    let _ = writeln!(
        out,
        "{indent}style s{s} fill:#f0fdfa,stroke:#0d9488,stroke-width:2px"
    );
}

/// A quoted Mermaid label of several lines. Characters Mermaid (or the
/// HTML it renders to) could read as syntax become entity codes.
fn quote_lines(lines: &[impl AsRef<str>]) -> String {
    let escaped: Vec<String> = lines
        .iter()
        .map(|line| {
            one_line(line.as_ref())
                .chars()
                .map(|c| match c {
                    '"' => "#quot;".to_owned(),
                    '#' => "#35;".to_owned(),
                    '&' => "#amp;".to_owned(),
                    '<' => "#lt;".to_owned(),
                    '>' => "#gt;".to_owned(),
                    '`' => "#96;".to_owned(),
                    '|' => "#124;".to_owned(),
                    c => c.to_string(),
                })
                .collect()
        })
        .collect();
    format!("\"{}\"", escaped.join("<br/>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_characters_become_entity_codes() {
        assert_eq!(
            quote_lines(&["a\"b#c", "<d>|`e`&"]),
            "\"a#quot;b#35;c<br/>#lt;d#gt;#124;#96;e#96;#amp;\""
        );
    }
}
