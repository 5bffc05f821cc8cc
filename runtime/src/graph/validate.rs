//! Every wiring rule a graph must satisfy before anything is started.
//!
//! The `#[process_graph]` macro checks the same rules at compile time; this
//! module is the run-time check for graphs built with the dynamic API. All
//! violations are collected, not just the first.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use super::{EdgeKind, EdgeSpec, Endpoint, Graph};
use crate::command::Stdio;

/// Fd numbers a node may declare: `0..MAX_FD`. The kernel's ceiling on any
/// process's fd table (`fs.nr_open`) defaults to 2^20; keeping below it also
/// keeps every fd computation in the child far from overflow.
pub const MAX_FD: i32 = 1 << 20;

/// `sethostname` takes at most this many bytes (`HOST_NAME_MAX`).
const HOST_NAME_MAX: usize = 64;

/// One broken wiring rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GraphError {
    /// Two nodes share a name.
    DuplicateNodeName {
        /// The repeated name.
        name: String,
    },
    /// An edge names a node that is not in this graph.
    UnknownNode {
        /// The edge.
        edge: String,
        /// The node index it names.
        index: usize,
    },
    /// An endpoint names an fd outside `0..MAX_FD`.
    FdOutOfRange {
        /// The edge.
        edge: String,
        /// The endpoint.
        endpoint: String,
    },
    /// A pipe is written through a node's stdin.
    WriterAtStdin {
        /// The edge.
        edge: String,
        /// The endpoint.
        endpoint: String,
    },
    /// A pipe is read through a node's stdout or stderr.
    ReaderAtOutput {
        /// The edge.
        edge: String,
        /// The endpoint.
        endpoint: String,
    },
    /// A pipe has no writer.
    NoWriter {
        /// The edge.
        edge: String,
    },
    /// A pipe has no reader.
    NoReader {
        /// The edge.
        edge: String,
    },
    /// A pipe has more than one reader.
    SeveralReaders {
        /// The edge.
        edge: String,
    },
    /// The parent is on both ends of an edge.
    ParentOnBothEnds {
        /// The edge.
        edge: String,
    },
    /// The same endpoint appears twice in one edge.
    EndpointListedTwice {
        /// The edge.
        edge: String,
        /// The endpoint.
        endpoint: String,
    },
    /// One fd of one node is claimed by two edges, or by an edge and a stdio
    /// setting.
    FdClaimedTwice {
        /// The node.
        node: String,
        /// The fd.
        fd: i32,
        /// What claimed it first.
        first: String,
        /// What claimed it again.
        second: String,
    },
    /// `Stdio::Prefixed` was set on stdin, which has nothing to forward.
    PrefixedStdin {
        /// The node.
        node: String,
    },
    /// A node has a ready timeout but no readiness protocol, so it is ready
    /// the moment it starts and the timeout could never apply.
    ReadyTimeoutWithoutReadiness {
        /// The node.
        node: String,
    },
    /// A node's `after` or `scope` names something not in this graph.
    UnknownReference {
        /// The node.
        node: String,
        /// What it names, e.g. `after node #7`.
        what: String,
    },
    /// The `after` dependencies form a cycle; the names go round it.
    AfterCycle {
        /// The nodes on the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// Scopes are nested in a cycle; the names go round it.
    ScopeCycle {
        /// The scopes on the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A hostname longer than the kernel takes (64 bytes).
    HostnameTooLong {
        /// The scope.
        scope: String,
        /// The hostname's length in bytes.
        len: usize,
    },
    /// A scope option needs a namespace the scope does not create.
    ScopeNeeds {
        /// The scope.
        scope: String,
        /// The option, e.g. `hostname`.
        option: &'static str,
        /// The namespace it needs.
        namespace: crate::Namespace,
    },
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::DuplicateNodeName { name } => {
                write!(f, "two nodes are named {name:?}")
            }
            GraphError::UnknownNode { edge, index } => {
                write!(f, "{edge}: node #{index} is not in this graph")
            }
            GraphError::FdOutOfRange { edge, endpoint } => write!(
                f,
                "{edge}: {endpoint} is not a valid fd; fd numbers go from 0 to {}",
                MAX_FD - 1
            ),
            GraphError::WriterAtStdin { edge, endpoint } => write!(
                f,
                "{edge}: {endpoint} cannot write into a pipe; write from stdout, stderr or fd(N)"
            ),
            GraphError::ReaderAtOutput { edge, endpoint } => write!(
                f,
                "{edge}: {endpoint} cannot read from a pipe; read with stdin or fd(N)"
            ),
            GraphError::NoWriter { edge } => write!(f, "{edge}: pipe has no writer"),
            GraphError::NoReader { edge } => write!(f, "{edge}: pipe has no reader"),
            GraphError::SeveralReaders { edge } => write!(
                f,
                "{edge}: pipe has several readers; each would get an arbitrary share of the data"
            ),
            GraphError::ParentOnBothEnds { edge } => {
                write!(f, "{edge}: the parent is on both ends")
            }
            GraphError::EndpointListedTwice { edge, endpoint } => {
                write!(f, "{edge}: {endpoint} is listed twice")
            }
            GraphError::FdClaimedTwice {
                node,
                fd,
                first,
                second,
            } => write!(
                f,
                "node {node:?}: fd {fd} is claimed twice, by {first} and by {second}"
            ),
            GraphError::PrefixedStdin { node } => {
                write!(f, "node {node:?}: stdin cannot be prefixed")
            }
            GraphError::ReadyTimeoutWithoutReadiness { node } => write!(
                f,
                "node {node:?}: a ready timeout needs a readiness protocol (Readiness::Fd or Readiness::Notify)"
            ),
            GraphError::UnknownReference { node, what } => {
                write!(f, "node {node:?}: {what} is not in this graph")
            }
            GraphError::AfterCycle { cycle } => {
                write!(
                    f,
                    "`after` dependencies form a cycle: {}",
                    cycle.join(" -> ")
                )
            }
            GraphError::ScopeCycle { cycle } => {
                write!(f, "scopes are nested in a cycle: {}", cycle.join(" -> "))
            }
            GraphError::HostnameTooLong { scope, len } => write!(
                f,
                "scope {scope:?}: the hostname is {len} bytes; the kernel takes at most {HOST_NAME_MAX}"
            ),
            GraphError::ScopeNeeds {
                scope,
                option,
                namespace,
            } => write!(
                f,
                "scope {scope:?}: `{option}` needs the {namespace} namespace; add `{namespace}` to the scope"
            ),
        }
    }
}

impl std::error::Error for GraphError {}

/// Every rule a graph breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphErrors(pub(crate) Vec<GraphError>);

impl GraphErrors {
    /// The individual violations.
    pub fn errors(&self) -> &[GraphError] {
        &self.0
    }
}

impl fmt::Display for GraphErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            error.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphErrors {}

impl Graph {
    /// Checks every wiring rule and returns all violations.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, GraphError};
    ///
    /// let mut graph = Graph::new();
    /// let a = graph.node("a", Command::new("cat"));
    /// let b = graph.node("b", Command::new("cat"));
    /// graph.pipe(a.stdin(), b.stdin()); // writes through a's stdin
    /// let errors = graph.validate().unwrap_err();
    /// assert!(matches!(errors.errors()[0], GraphError::WriterAtStdin { .. }));
    /// ```
    pub fn validate(&self) -> Result<(), GraphErrors> {
        let mut errors = Vec::new();
        let mut names = HashMap::new();
        for node in &self.nodes {
            if names.insert(node.name.as_str(), ()).is_some() {
                errors.push(GraphError::DuplicateNodeName {
                    name: node.name.clone(),
                });
            }
        }
        let mut claims = Claims::default();
        for (index, node) in self.nodes.iter().enumerate() {
            for (fd, stream) in [(0, "stdin"), (1, "stdout"), (2, "stderr")] {
                if let Some(stdio) = node.command.stdio(fd) {
                    if fd == 0 && stdio == Stdio::Prefixed {
                        errors.push(GraphError::PrefixedStdin {
                            node: node.name.clone(),
                        });
                    }
                    let claim = format!("the {stream} setting {stdio:?}");
                    claims.claim(self, index, fd, claim, &mut errors);
                }
            }
        }
        for (index, node) in self.nodes.iter().enumerate() {
            if let crate::Readiness::Fd(fd) = node.options.ready {
                if (0..MAX_FD).contains(&fd) {
                    claims.claim(self, index, fd, "its `ready` fd".to_owned(), &mut errors);
                } else {
                    errors.push(GraphError::FdOutOfRange {
                        edge: format!("node {:?}", node.name),
                        endpoint: format!("ready = fd({fd})"),
                    });
                }
            }
        }
        for edge in &self.edges {
            self.check_edge(edge, &mut claims, &mut errors);
        }
        self.check_references(&mut errors);
        if errors.is_empty() {
            let after = |i: usize| {
                self.nodes[i]
                    .options
                    .after
                    .iter()
                    .map(|n| n.index())
                    .collect()
            };
            if let Some(cycle) = find_cycle(self.nodes.len(), after) {
                let cycle = cycle.iter().map(|&i| self.nodes[i].name.clone()).collect();
                errors.push(GraphError::AfterCycle { cycle });
            }
            let parent = |i: usize| self.scopes[i].parent.iter().map(|s| s.index()).collect();
            if let Some(cycle) = find_cycle(self.scopes.len(), parent) {
                let cycle = cycle.iter().map(|&i| self.scopes[i].name.clone()).collect();
                errors.push(GraphError::ScopeCycle { cycle });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(GraphErrors(errors))
        }
    }

    /// `after` and `scope` name existing nodes and scopes; scope options have
    /// the namespaces they need.
    fn check_references(&self, errors: &mut Vec<GraphError>) {
        for node in &self.nodes {
            if node.options.ready_timeout.is_some() && node.options.ready == crate::Readiness::Exec
            {
                errors.push(GraphError::ReadyTimeoutWithoutReadiness {
                    node: node.name.clone(),
                });
            }
            let unknown = |what: String| GraphError::UnknownReference {
                node: node.name.clone(),
                what,
            };
            for dep in &node.options.after {
                if dep.index() >= self.nodes.len() {
                    errors.push(unknown(format!("after node #{}", dep.index())));
                }
            }
            if let Some(scope) = node.options.scope
                && scope.index() >= self.scopes.len()
            {
                errors.push(unknown(format!("scope #{}", scope.index())));
            }
        }
        for scope in &self.scopes {
            if scope.hostname.is_some() && !scope.has(crate::Namespace::Uts) {
                errors.push(GraphError::ScopeNeeds {
                    scope: scope.name.clone(),
                    option: "hostname",
                    namespace: crate::Namespace::Uts,
                });
            }
            if let Some(hostname) = &scope.hostname
                && hostname.len() > HOST_NAME_MAX
            {
                errors.push(GraphError::HostnameTooLong {
                    scope: scope.name.clone(),
                    len: hostname.len(),
                });
            }
            if let Some(parent) = scope.parent
                && parent.index() >= self.scopes.len()
            {
                errors.push(GraphError::UnknownReference {
                    node: scope.name.clone(),
                    what: format!("parent scope #{}", parent.index()),
                });
            }
        }
    }

    /// How error messages name an edge: its name, or its wiring.
    pub(crate) fn describe_edge(&self, edge: &EdgeSpec) -> String {
        if let Some(name) = &edge.name {
            return format!("edge {name:?}");
        }
        let list = |ends: &[Endpoint]| {
            ends.iter()
                .map(|e| self.show(*e).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &edge.kind {
            EdgeKind::Pipe {
                writers, readers, ..
            } => {
                format!("pipe {} -> {}", list(writers), list(readers))
            }
            EdgeKind::SocketPair { ends, .. } => {
                format!("socketpair {} <-> {}", list(&ends[..1]), list(&ends[1..]))
            }
        }
    }

    fn check_edge(&self, edge: &EdgeSpec, claims: &mut Claims, errors: &mut Vec<GraphError>) {
        let name = self.describe_edge(edge);
        let (writers, readers): (&[Endpoint], &[Endpoint]) = match &edge.kind {
            EdgeKind::Pipe {
                writers, readers, ..
            } => {
                if writers.is_empty() {
                    errors.push(GraphError::NoWriter { edge: name.clone() });
                }
                match readers.len() {
                    0 => errors.push(GraphError::NoReader { edge: name.clone() }),
                    1 => {}
                    _ => errors.push(GraphError::SeveralReaders { edge: name.clone() }),
                }
                for w in writers.iter().filter(|w| w.is_stdin()) {
                    errors.push(GraphError::WriterAtStdin {
                        edge: name.clone(),
                        endpoint: self.show(*w).to_string(),
                    });
                }
                for r in readers.iter().filter(|r| r.is_output()) {
                    errors.push(GraphError::ReaderAtOutput {
                        edge: name.clone(),
                        endpoint: self.show(*r).to_string(),
                    });
                }
                (writers, readers)
            }
            EdgeKind::SocketPair { ends, .. } => (&ends[..1], &ends[1..]),
        };
        if writers.contains(&Endpoint::Parent) && readers.contains(&Endpoint::Parent) {
            errors.push(GraphError::ParentOnBothEnds { edge: name.clone() });
        }
        let mut seen = Vec::new();
        for (i, &endpoint) in writers.iter().chain(readers).enumerate() {
            // The parent on both sides is reported above, as its own rule.
            let parent_on_other_side = endpoint == Endpoint::Parent && i >= writers.len();
            if seen.contains(&endpoint) && !parent_on_other_side {
                errors.push(GraphError::EndpointListedTwice {
                    edge: name.clone(),
                    endpoint: self.show(endpoint).to_string(),
                });
                continue;
            }
            seen.push(endpoint);
            let Endpoint::Node { node, fd } = endpoint else {
                continue;
            };
            if node.index() >= self.nodes.len() {
                errors.push(GraphError::UnknownNode {
                    edge: name.clone(),
                    index: node.index(),
                });
            } else if !(0..MAX_FD).contains(&fd) {
                errors.push(GraphError::FdOutOfRange {
                    edge: name.clone(),
                    endpoint: self.show(endpoint).to_string(),
                });
            } else {
                claims.claim(self, node.index(), fd, name.clone(), errors);
            }
        }
    }
}

/// Which edge or setting holds each (node, fd).
#[derive(Default)]
struct Claims(HashMap<(usize, i32), String>);

impl Claims {
    fn claim(
        &mut self,
        graph: &Graph,
        node: usize,
        fd: i32,
        by: String,
        errors: &mut Vec<GraphError>,
    ) {
        match self.0.entry((node, fd)) {
            Entry::Vacant(slot) => {
                slot.insert(by);
            }
            Entry::Occupied(first) => errors.push(GraphError::FdClaimedTwice {
                node: graph.nodes[node].name.clone(),
                fd,
                first: first.get().clone(),
                second: by,
            }),
        }
    }
}

/// A cycle in the directed graph `0..count` with edges `i -> next(i)`, as the
/// list of vertices round it with the first repeated at the end.
fn find_cycle(count: usize, next: impl Fn(usize) -> Vec<usize>) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        v: usize,
        next: &dyn Fn(usize) -> Vec<usize>,
        marks: &mut [Mark],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[v] = Mark::OnPath;
        path.push(v);
        for w in next(v) {
            match marks[w] {
                Mark::OnPath => {
                    let start = path.iter().position(|&p| p == w).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(w);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(w, next, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks[v] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; count];
    (0..count).find_map(|v| {
        (marks[v] == Mark::New)
            .then(|| visit(v, &next, &mut marks, &mut Vec::new()))
            .flatten()
    })
}
