//! A graph as the topology crate's model: what [`Graph::validate`] checks
//! against the wiring rules — the same rules, in the same words, as the
//! `#[process_graph]` macro — and what the renderers draw.

use std::borrow::Cow;

use process_graph_topology::{
    EdgeInfo, EndpointInfo, ListenerInfo, NodeInfo, Ready, ScopeInfo, StdioMode, Topology,
    Violations,
};

use super::{EdgeKind, Endpoint, Graph};
use crate::command::Stdio;
use crate::output::Sink;
use crate::policy::{Readiness, Strategy};

impl Graph {
    /// The graph as data: nodes with their commands and policies, edges with
    /// their fds, scopes with their namespaces. It is what
    /// [`validate`](Graph::validate) checks, and what
    /// [`to_svg`](Topology::to_svg), [`to_dot`](Topology::to_dot) and
    /// [`to_mermaid`](Topology::to_mermaid) draw.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let seq = graph.node("seq", Command::new("seq").arg("3"));
    /// let wc = graph.node("wc", Command::new("wc").arg("-l"));
    /// let lines = graph.pipe(seq.stdout(), wc.stdin());
    /// graph.name_edge(lines, "lines");
    ///
    /// let topology = graph.topology();
    /// assert_eq!(topology.nodes[0].command.as_deref(), Some("seq 3"));
    /// assert!(topology.to_dot().contains("lines"));
    /// assert!(topology.to_svg().starts_with("<svg"));
    /// ```
    pub fn topology(&self) -> Topology {
        let nodes = self.nodes.iter().map(|node| {
            let options = &node.options;
            NodeInfo {
                name: node.name.clone().into(),
                doc: None,
                command: Some(command_line(&node.command).into()),
                scope: options.rare().scope.map(|s| s.index()),
                restart: restart_word(options.restart),
                critical: options.critical,
                oneshot: options.oneshot,
                after: options
                    .after
                    .iter()
                    .map(|n| n.index())
                    .collect::<Vec<_>>()
                    .into(),
                // Drawn flat, a subgraph's nodes carry its ordering: `after`
                // a subgraph is `after` each of its nodes here.
                after_subgraphs: Cow::Borrowed(&[]),
                ready: match options.ready {
                    Readiness::Exec => None,
                    Readiness::Fd(fd) => Some(Ready::Fd(fd)),
                    Readiness::Notify => Some(Ready::Notify),
                },
                ready_timeout_ms: options.rare().ready_timeout.map(millis),
                ready_probe: options.rare().ready_probe.clone(),
                live_probe: options.rare().live_probe.clone(),
                replicas: options.rare().replicas.unwrap_or(1),
                watchdog_ms: options.rare().watchdog.map(millis),
                notify_access: match options.rare().notify_access {
                    crate::NotifyAccess::Main => "main",
                    crate::NotifyAccess::All => "all",
                },
                stdio: [0, 1, 2].map(|fd| {
                    node.command.stdio(fd).map(|stdio| match stdio {
                        Stdio::Inherit => StdioMode::Inherit,
                        Stdio::Null => StdioMode::Null,
                        Stdio::Prefixed | Stdio::Sink(Sink::Prefixed(_)) => StdioMode::Prefixed,
                        Stdio::Fd(_) => StdioMode::Fd,
                        Stdio::Sink(Sink::File(_)) => StdioMode::File,
                        Stdio::Sink(Sink::Callback(_)) => StdioMode::Callback,
                        Stdio::Terminal => StdioMode::Terminal,
                        #[cfg(feature = "tracing")]
                        Stdio::Sink(Sink::Tracing) => StdioMode::Tracing,
                    })
                }),
                passed_fds: node.command.fds.keys().copied().collect::<Vec<_>>().into(),
                listeners: node
                    .command
                    .listeners
                    .iter()
                    .map(|l| ListenerInfo {
                        name: l.name.clone().into(),
                        address: l.address_text().to_owned().into(),
                    })
                    .collect::<Vec<_>>()
                    .into(),
            }
        });
        // A joined port stands for nothing: the edge it joined has its ends.
        let edges = self.edges.iter().filter_map(|edge| {
            let (kind, from, to) = match &edge.kind {
                EdgeKind::Pipe {
                    writers, readers, ..
                } => (
                    process_graph_topology::EdgeKind::Pipe,
                    &writers[..],
                    &readers[..],
                ),
                EdgeKind::SocketPair { ends, .. } => (
                    process_graph_topology::EdgeKind::SocketPair,
                    &ends[..1],
                    &ends[1..],
                ),
                EdgeKind::Joined { .. } => return None,
            };
            Some(EdgeInfo {
                name: edge.name.clone().map(Cow::Owned),
                doc: None,
                kind,
                from: endpoints(from),
                to: endpoints(to),
            })
        });
        let scopes = self.scopes.iter().map(|scope| ScopeInfo {
            name: scope.name.clone().into(),
            doc: None,
            namespaces: scope
                .namespaces
                .iter()
                .map(|&n| namespace_word(n))
                .collect::<Vec<_>>()
                .into(),
            hostname: scope.hostname.clone().map(Cow::Owned),
            parent: scope.parent.map(|p| p.index()),
        });
        Topology {
            name: Cow::Borrowed("Graph"),
            nodes: nodes.collect::<Vec<_>>().into(),
            edges: edges.collect::<Vec<_>>().into(),
            scopes: scopes.collect::<Vec<_>>().into(),
            // A nested graph's nodes are this graph's own here (named by
            // path); the macro's frames are for subgraphs whose insides it
            // cannot see.
            subgraphs: Cow::Borrowed(&[]),
            strategy: match self.strategy {
                Strategy::OneForOne => "one_for_one",
                Strategy::OneForAll => "one_for_all",
                Strategy::RestForOne => "rest_for_one",
            },
            intensity: self.intensity.max_restarts,
            period_ms: millis(self.intensity.period),
        }
    }

    /// Checks every wiring rule and returns all violations: the rules of
    /// [`Topology::check`], which the `#[process_graph]` macro applies at
    /// compile time. [`spawn`](Graph::spawn) checks them first.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Rule};
    ///
    /// let mut graph = Graph::new();
    /// let a = graph.node("a", Command::new("cat"));
    /// let b = graph.node("b", Command::new("cat"));
    /// graph.pipe(a.stdin(), b.stdin()); // writes through a's stdin
    /// let broken = graph.validate().unwrap_err();
    /// assert!(matches!(broken.violations()[0].rule, Rule::WriterAtStdin { .. }));
    /// assert_eq!(
    ///     broken.to_string(),
    ///     "pipe a.stdin -> b.stdin: `a.stdin` cannot write into a pipe; \
    ///      write from `a.stdout`, `a.stderr` or `a.fd(N)`"
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), Violations> {
        self.topology().check()
    }
}

fn endpoints(ends: &[Endpoint]) -> Cow<'static, [EndpointInfo]> {
    ends.iter()
        .map(|end| match *end {
            Endpoint::Node { node, fd } => EndpointInfo {
                node: Some(node.index()),
                fd,
            },
            Endpoint::Parent => EndpointInfo::PARENT,
        })
        .collect::<Vec<_>>()
        .into()
}

/// A namespace kind as declared (`mount`, where `/proc` says `mnt`).
fn namespace_word(namespace: crate::Namespace) -> &'static str {
    match namespace {
        crate::Namespace::User => "user",
        crate::Namespace::Pid => "pid",
        crate::Namespace::Net => "net",
        crate::Namespace::Mount => "mount",
        crate::Namespace::Uts => "uts",
        crate::Namespace::Ipc => "ipc",
    }
}

fn restart_word(restart: crate::Restart) -> &'static str {
    match restart {
        crate::Restart::Never => "never",
        crate::Restart::OnFailure => "on-failure",
        crate::Restart::Always => "always",
    }
}

/// Whole milliseconds, rounded up so that only a zero duration is zero.
fn millis(duration: std::time::Duration) -> u64 {
    let ms = duration.as_nanos().div_ceil(1_000_000);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// The program and its arguments, as a shell would show them: arguments
/// with spaces or quotes are single-quoted.
fn command_line(command: &crate::Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| {
            let part = part.to_string_lossy();
            let plain = !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain {
                part.into_owned()
            } else {
                format!("'{}'", part.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
