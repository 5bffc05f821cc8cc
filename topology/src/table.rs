//! The tables rustdoc shows under the diagram, in Markdown (GitHub-style
//! tables, which rustdoc renders): what the picture shows, and what it
//! leaves out — full commands, policies, readiness, hostnames.

use crate::labels::{endpoint_name, node_title, one_line};
use crate::model::{EdgeKind, Topology};
use crate::rules::Side;
use crate::scopes::ScopeTree;
use crate::subgraphs::SubgraphPorts;
use std::fmt::Write;

impl Topology {
    /// Markdown tables of the processes (command, scope, restart policy,
    /// readiness, `after` dependencies, whether critical, description), the
    /// edges (kind, both ends with their fds or ports, description), the
    /// scopes (namespaces, hostname, enclosing scope, processes,
    /// description) and the subgraphs (type, scope, failure policy, what
    /// they start after, the ports this graph wires, description), after a line on the
    /// supervision strategy. The descriptions are the
    /// fields' `///` comments. Tables with no rows are left out, and so are
    /// columns no row fills: commands (a declared graph's are only known at
    /// run time) and descriptions. Names and commands are code spans; all
    /// text is escaped for Markdown. Deterministic.
    ///
    /// ```
    /// use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, Ready, Topology};
    ///
    /// let topology = Topology {
    ///     name: "Logs".into(),
    ///     nodes: vec![NodeInfo {
    ///         name: "tail".into(),
    ///         command: Some("tail -F app.log | cat".into()),
    ///         restart: "on-failure",
    ///         critical: true,
    ///         ready: Some(Ready::Fd(3)),
    ///         ..NodeInfo::default()
    ///     }]
    ///     .into(),
    ///     edges: vec![EdgeInfo {
    ///         name: Some("lines".into()),
    ///         kind: EdgeKind::Pipe,
    ///         from: vec![EndpointInfo { node: Some(0), fd: 1 }].into(),
    ///         to: vec![EndpointInfo::PARENT].into(),
    ///         doc: None,
    ///     }]
    ///     .into(),
    ///     strategy: "one_for_all",
    ///     intensity: 5,
    ///     period_ms: 10_000,
    ///     ..Topology::default()
    /// };
    /// let tables = topology.to_markdown_tables();
    /// assert!(tables.contains("| `tail` | `tail -F app.log \\| cat` | — | on-failure | `fd(3)` | — | yes |"));
    /// assert!(tables.contains("| `lines` | pipe | `tail.stdout` (fd 1) | `parent` |"));
    /// ```
    pub fn to_markdown_tables(&self) -> String {
        let tree = ScopeTree::new(self);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "**Supervision:** strategy {}, at most {} restarts within {}.",
            code(self.strategy),
            self.intensity,
            duration(self.period_ms)
        );
        let docs = |doc: &Option<crate::Text>| doc.as_deref().map_or("—".to_owned(), text);
        let processes = self.nodes.iter().enumerate().map(|(n, node)| {
            let after = self.after_names(&node.after, &node.after_subgraphs);
            vec![
                code(&node_title(node)),
                node.command.as_deref().map_or("—".to_owned(), code),
                tree.of_node(n)
                    .map_or("—".to_owned(), |s| code(&self.scopes[s].name)),
                text(node.restart),
                match (&node.ready_probe, node.ready) {
                    (Some(probe), _) => format!("probe {}", code(&probe.check.to_string())),
                    (None, Some(ready)) => code(&ready.to_string()),
                    (None, None) if node.oneshot => "at exit 0 (oneshot)".to_owned(),
                    (None, None) => "at exec".to_owned(),
                },
                node.live_probe
                    .as_ref()
                    .map_or("—".to_owned(), |p| code(&p.check.to_string())),
                list(after),
                if node.critical { "yes" } else { "" }.to_owned(),
                docs(&node.doc),
            ]
        });
        write_table(
            &mut out,
            "Processes",
            &[
                ("Process", true),
                ("Command", self.nodes.iter().any(|n| n.command.is_some())),
                ("Scope", true),
                ("Restart", true),
                ("Ready", true),
                (
                    "Liveness",
                    self.nodes.iter().any(|n| n.live_probe.is_some()),
                ),
                ("After", true),
                ("Critical", true),
                ("Description", self.nodes.iter().any(|n| n.doc.is_some())),
            ],
            processes.collect(),
        );
        let ports = SubgraphPorts::new(self);
        let edges = self.edges.iter().enumerate().map(|(e, edge)| {
            let ends = |side: Side| {
                let count = crate::subgraphs::side(edge, side).len();
                list(
                    (0..count)
                        .map(|i| self.endpoint(&ports, e, side, i))
                        .collect(),
                )
            };
            let kind = match edge.kind {
                EdgeKind::Pipe => "pipe",
                EdgeKind::SocketPair => "socketpair",
            };
            vec![
                edge.name.as_deref().map_or("—".to_owned(), code),
                kind.to_owned(),
                ends(Side::From),
                ends(Side::To),
                docs(&edge.doc),
            ]
        });
        write_table(
            &mut out,
            "Edges",
            &[
                ("Edge", true),
                ("Kind", true),
                ("From", true),
                ("To", true),
                ("Description", self.edges.iter().any(|e| e.doc.is_some())),
            ],
            edges.collect(),
        );
        let scopes = self.scopes.iter().enumerate().map(|(s, scope)| {
            let members = tree
                .nodes_in(Some(s))
                .map(|n| code(&self.nodes[n].name))
                .collect();
            vec![
                code(&scope.name),
                list(scope.namespaces.iter().map(|n| text(n)).collect()),
                scope.hostname.as_deref().map_or("—".to_owned(), code),
                tree.parent(s)
                    .map_or("—".to_owned(), |p| code(&self.scopes[p].name)),
                list(members),
                docs(&scope.doc),
            ]
        });
        write_table(
            &mut out,
            "Scopes",
            &[
                ("Scope", true),
                ("Namespaces", true),
                ("Hostname", true),
                ("Inside", true),
                ("Processes", true),
                ("Description", self.scopes.iter().any(|s| s.doc.is_some())),
            ],
            scopes.collect(),
        );
        let subgraphs = self.subgraphs.iter().enumerate().map(|(s, subgraph)| {
            let wired = ports.names(s).iter().map(|p| code(p)).collect();
            vec![
                code(&subgraph.name),
                code(&subgraph.type_name),
                tree.of_subgraph(s)
                    .map_or("—".to_owned(), |scope| code(&self.scopes[scope].name)),
                text(subgraph.on_failure),
                list(self.after_names(&subgraph.after, &subgraph.after_subgraphs)),
                list(wired),
                docs(&subgraph.doc),
            ]
        });
        write_table(
            &mut out,
            "Subgraphs",
            &[
                ("Subgraph", true),
                ("Type", true),
                ("Scope", self.subgraphs.iter().any(|s| s.scope.is_some())),
                ("On failure", true),
                (
                    "After",
                    self.subgraphs
                        .iter()
                        .any(|s| !s.after.is_empty() || !s.after_subgraphs.is_empty()),
                ),
                ("Ports wired", true),
                (
                    "Description",
                    self.subgraphs.iter().any(|s| s.doc.is_some()),
                ),
            ],
            subgraphs.collect(),
        );
        out
    }

    /// The names in an `after` list, nodes then subgraphs, as code spans;
    /// indices the graph does not have are left out.
    fn after_names(&self, nodes: &[usize], subgraphs: &[usize]) -> Vec<String> {
        let nodes = nodes
            .iter()
            .filter_map(|&n| self.nodes.get(n))
            .map(|n| &n.name);
        let subgraphs = subgraphs
            .iter()
            .filter_map(|&s| self.subgraphs.get(s))
            .map(|s| &s.name);
        nodes.chain(subgraphs).map(|name| code(name)).collect()
    }

    /// `source.stdout` (fd 1), `db.queries`; the fd number is spelled out
    /// only where the name does not already say it.
    fn endpoint(&self, ports: &SubgraphPorts, edge: usize, side: Side, index: usize) -> String {
        let end = &crate::subgraphs::side(&self.edges[edge], side)[index];
        let name = code(&endpoint_name(self, ports, edge, side, index));
        match end.node {
            Some(_) if (0..=2).contains(&end.fd) => format!("{name} (fd {})", end.fd),
            _ => name,
        }
    }
}

/// A table under a `**title**` caption, with the columns whose flag is
/// set (a column no row fills — commands of a declared graph, which are
/// only known at run time; descriptions nobody wrote — is left out), or
/// nothing when it has no rows.
fn write_table(out: &mut String, title: &str, columns: &[(&str, bool)], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        return;
    }
    let shown = |cells: Vec<String>| -> Vec<String> {
        cells
            .into_iter()
            .zip(columns)
            .filter(|(_, (_, show))| *show)
            .map(|(cell, _)| cell)
            .collect()
    };
    let headers = shown(columns.iter().map(|(h, _)| (*h).to_owned()).collect());
    let _ = writeln!(out, "\n**{title}**\n");
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(headers.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", shown(row).join(" | "));
    }
}

fn list(items: Vec<String>) -> String {
    if items.is_empty() {
        "—".to_owned()
    } else {
        items.join(", ")
    }
}

fn duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// Plain text: every character that could open Markdown or HTML markup (or
/// end a table cell) backslash-escaped, which CommonMark reads as the
/// character itself.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in one_line(value).chars() {
        if "\\`*_[]<>|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span: fenced with one more backtick than the longest run inside,
/// padded when the text starts or ends with a backtick, and with `|`
/// escaped, which GitHub-style tables require even inside code.
fn code(value: &str) -> String {
    let value = one_line(value).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in value.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if value.starts_with('`') || value.ends_with('`') || value.trim().is_empty() {
        format!("{fence} {value} {fence}")
    } else {
        format!("{fence}{value}{fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x `y` z"), "``x `y` z``");
        assert_eq!(code("`q`"), "`` `q` ``");
    }

    #[test]
    fn plain_text_cannot_become_markup() {
        assert_eq!(text("on-failure *x* <b>"), "on-failure \\*x\\* \\<b\\>");
    }
}
