//! The words every renderer uses for the same thing, so the SVG, DOT,
//! Mermaid and the tables can never disagree on how an fd or a scope is
//! called.

use crate::links::Vertex;
use crate::model::{EdgeInfo, EdgeKind, NodeInfo, ScopeInfo, SubgraphInfo, Topology};
use crate::rules::Side;
use crate::subgraphs::{self, SubgraphPorts};

/// Commands longer than this are cut in the diagrams (the tables show them whole).
const COMMAND_CHARS: usize = 36;

/// The names of fds 0, 1 and 2 in the declaration syntax.
///
/// ```
/// use process_graph_topology::STDIO;
///
/// assert_eq!(STDIO[2], "stderr");
/// assert_eq!(STDIO.iter().position(|name| *name == "stdout"), Some(1)); // its fd
/// ```
pub const STDIO: [&str; 3] = ["stdin", "stdout", "stderr"];

/// `stdin`, `stdout`, `stderr` or `fd(N)`: the names the declaration syntax
/// uses, which the macro parses and every renderer prints.
///
/// ```
/// assert_eq!(process_graph_topology::fd_name(1), "stdout");
/// assert_eq!(process_graph_topology::fd_name(3), "fd(3)");
/// ```
pub fn fd_name(fd: i32) -> String {
    match usize::try_from(fd).ok().and_then(|i| STDIO.get(i)) {
        Some(name) => (*name).to_owned(),
        None => format!("fd({fd})"),
    }
}

/// End `index` of `side` of edge `edge`, seen from its line: the child's
/// fd, the subgraph's port (`db.queries`), or `parent`.
pub(crate) fn end_name(
    topology: &Topology,
    ports: &SubgraphPorts,
    edge: usize,
    side: Side,
    index: usize,
) -> String {
    let end = &subgraphs::side(&topology.edges[edge], side)[index];
    match (end.node, ports.at(edge, side, index)) {
        (Some(_), _) => fd_name(end.fd),
        (None, Some((s, p))) => port_name(topology, ports, s, p),
        (None, None) => "parent".to_owned(),
    }
}

/// A subgraph's port as the declaration names it: `db.queries`.
pub(crate) fn port_name(
    topology: &Topology,
    ports: &SubgraphPorts,
    subgraph: usize,
    port: usize,
) -> String {
    format!(
        "{}.{}",
        topology.subgraphs[subgraph].name,
        ports.names(subgraph)[port]
    )
}

/// The fds of an edge as its label shows them: `stdout → stdin`,
/// `fd(3) <-> parent`, `stdout → db.queries`; a pipe with several writers
/// names each distinct writer fd once: `stdout, stderr → stdin`.
pub(crate) fn edge_fds(topology: &Topology, ports: &SubgraphPorts, edge: usize) -> String {
    let arrow = match topology.edges[edge].kind {
        EdgeKind::Pipe => "→",
        // The declaration's own arrow: `↔` is too small to read in
        // several monospace fonts.
        EdgeKind::SocketPair => "<->",
    };
    let names = |side: Side| {
        let mut names: Vec<String> = Vec::new();
        let count = subgraphs::side(&topology.edges[edge], side).len();
        for name in (0..count).map(|i| end_name(topology, ports, edge, side, i)) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.join(", ")
    };
    format!("{} {arrow} {}", names(Side::From), names(Side::To))
}

/// The name an edge is drawn with: its field name, or nothing for an edge
/// a graph built at run time left unnamed.
pub(crate) fn edge_name(edge: &EdgeInfo) -> &str {
    edge.name.as_deref().unwrap_or("")
}

/// End `index` of `side` of edge `edge` in the declaration syntax:
/// `source.stdout`, `filter.fd(3)`, `db.queries` or `parent`.
pub(crate) fn endpoint_name(
    topology: &Topology,
    ports: &SubgraphPorts,
    edge: usize,
    side: Side,
    index: usize,
) -> String {
    let end = &subgraphs::side(&topology.edges[edge], side)[index];
    match end.node.and_then(|n| topology.nodes.get(n)) {
        Some(node) => format!("{}.{}", node.name, fd_name(end.fd)),
        None => end_name(topology, ports, edge, side, index),
    }
}

/// The frame label of a scope: `sandbox: user, pid, net`, and its
/// hostname when it sets one: `sandbox: user, uts (hostname box)`.
pub(crate) fn scope_label(scope: &ScopeInfo) -> String {
    let mut label = scope.name.to_string();
    if !scope.namespaces.is_empty() {
        label = format!("{label}: {}", scope.namespaces.join(", "));
    }
    if let Some(hostname) = &scope.hostname {
        label = format!("{label} (hostname {})", one_line(hostname));
    }
    label
}

/// The lines of a subgraph's frame: its name and type as the field
/// declares them (`db: Db`), and what the enclosing graph does when it
/// fails as a unit (`on_failure: restart`).
pub(crate) fn subgraph_lines(subgraph: &SubgraphInfo) -> [String; 2] {
    [
        format!("{}: {}", subgraph.name, subgraph.type_name),
        format!("on_failure: {}", subgraph.on_failure),
    ]
}

/// The node's command on one line, cut to `max` characters with an ellipsis.
fn short_command(node: &NodeInfo, max: usize) -> Option<String> {
    let command = one_line(node.command.as_deref()?);
    if command.chars().count() <= max {
        Some(command)
    } else {
        let cut: String = command.chars().take(max.saturating_sub(1)).collect();
        Some(format!("{}…", cut.trim_end()))
    }
}

/// The lines of a process's box: its name, its command cut short, and how
/// it tells it is ready when it does not count as ready at exec
/// (`ready: notify`, `ready: fd(3)`, `oneshot`).
pub(crate) fn node_lines(node: &NodeInfo) -> Vec<String> {
    std::iter::once(node_title(node))
        .chain(short_command(node, COMMAND_CHARS))
        .chain(node.ready.map(|ready| format!("ready: {ready}")))
        .chain(node.oneshot.then(|| "oneshot".to_owned()))
        .collect()
}

/// A process's name, and `×N` after it when it stands for N replicas:
/// `worker ×4`.
pub(crate) fn node_title(node: &NodeInfo) -> String {
    if node.replicas == 1 {
        node.name.to_string()
    } else {
        format!("{} ×{}", node.name, node.replicas)
    }
}

/// The lines of a vertex's box: a process's, a subgraph's, or the
/// parent's one word.
pub(crate) fn vertex_lines(topology: &Topology, vertex: Vertex) -> Vec<String> {
    match vertex {
        Vertex::Node(n) => node_lines(&topology.nodes[n]),
        Vertex::Subgraph(s) => subgraph_lines(&topology.subgraphs[s]).into(),
        Vertex::Parent => vec!["parent".to_owned()],
    }
}

/// Control characters (a newline in a command, say) would break every
/// line-based format; a space keeps the text readable.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_names_follow_the_declaration_syntax() {
        assert_eq!(fd_name(0), "stdin");
        assert_eq!(fd_name(2), "stderr");
        assert_eq!(fd_name(7), "fd(7)");
    }

    #[test]
    fn long_commands_are_cut_with_an_ellipsis() {
        let node = NodeInfo {
            name: "n".into(),
            command: Some("printf 'a\nb' and much more text".into()),
            ..NodeInfo::default()
        };
        assert_eq!(short_command(&node, 12).as_deref(), Some("printf 'a b…"));
        assert_eq!(
            short_command(&node, 100).as_deref(),
            Some("printf 'a b' and much more text")
        );
    }
}
