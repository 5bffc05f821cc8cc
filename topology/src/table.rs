//! The tables rustdoc shows under the diagram, in Markdown (GitHub-style
//! tables, which rustdoc renders): what the picture shows, and what it
//! leaves out — full commands, policies, readiness, hostnames.

use crate::labels::{endpoint_name, one_line};
use crate::model::{EdgeKind, Topology};
use crate::scopes::ScopeTree;
use std::fmt::Write;

impl Topology {
    /// Markdown tables of the processes (command, scope, restart policy,
    /// readiness, `after` dependencies, whether critical), the edges (kind
    /// and both ends with their fds) and the scopes (namespaces, hostname,
    /// enclosing scope, processes), after a line on the supervision
    /// strategy. Tables with no rows are left out. Names and commands are
    /// code spans; all text is escaped for Markdown. Deterministic.
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
        if !self.nodes.is_empty() {
            out.push_str("\n**Processes**\n\n");
            out.push_str("| Process | Command | Scope | Restart | Ready | After | Critical |\n");
            out.push_str("|---|---|---|---|---|---|---|\n");
            for (n, node) in self.nodes.iter().enumerate() {
                let after: Vec<String> = node
                    .after
                    .iter()
                    .filter_map(|&a| self.nodes.get(a))
                    .map(|a| code(&a.name))
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    code(&node.name),
                    node.command.as_deref().map_or("—".to_owned(), code),
                    tree.of_node(n)
                        .map_or("—".to_owned(), |s| code(&self.scopes[s].name)),
                    text(node.restart),
                    node.ready
                        .map_or("at exec".to_owned(), |r| code(&r.to_string())),
                    list(after),
                    if node.critical { "yes" } else { "" },
                );
            }
        }
        if !self.edges.is_empty() {
            out.push_str("\n**Edges**\n\n");
            out.push_str("| Edge | Kind | From | To |\n");
            out.push_str("|---|---|---|---|\n");
            for edge in self.edges.iter() {
                let ends = |ends: &[crate::model::EndpointInfo]| {
                    list(ends.iter().map(|e| self.endpoint(e)).collect())
                };
                let kind = match edge.kind {
                    EdgeKind::Pipe => "pipe",
                    EdgeKind::SocketPair => "socketpair",
                };
                let _ = writeln!(
                    out,
                    "| {} | {kind} | {} | {} |",
                    code(crate::labels::edge_name(edge)),
                    ends(&edge.from),
                    ends(&edge.to)
                );
            }
        }
        if !self.scopes.is_empty() {
            let members = |s: usize| {
                let names = tree
                    .nodes_in(Some(s))
                    .map(|n| code(&self.nodes[n].name))
                    .collect();
                list(names)
            };
            out.push_str("\n**Scopes**\n\n");
            out.push_str("| Scope | Namespaces | Hostname | Inside | Processes |\n");
            out.push_str("|---|---|---|---|---|\n");
            for (s, scope) in self.scopes.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    code(&scope.name),
                    list(scope.namespaces.iter().map(|n| text(n)).collect()),
                    scope.hostname.as_deref().map_or("—".to_owned(), code),
                    tree.parent(s)
                        .map_or("—".to_owned(), |p| code(&self.scopes[p].name)),
                    members(s),
                );
            }
        }
        out
    }

    /// `source.stdout` (fd 1); the fd number is spelled out only where the
    /// name does not already say it.
    fn endpoint(&self, end: &crate::model::EndpointInfo) -> String {
        let name = code(&endpoint_name(self, end));
        match end.node {
            Some(_) if (0..=2).contains(&end.fd) => format!("{name} (fd {})", end.fd),
            _ => name,
        }
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
