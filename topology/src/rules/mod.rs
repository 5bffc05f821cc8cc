//! Every wiring rule a graph must satisfy, written once. The macro lowers
//! a declaration to a [`Topology`] and reports each [`Violation`] at the
//! token its [`Place`] names; the runtime lowers a `Graph` to one and
//! refuses to spawn it, with the same messages. All violations are
//! collected, not just the first.

mod after;
mod claims;
mod cycles;
mod edges;
mod nodes;
mod probes;
mod scopes;
mod violation;

pub use violation::{Claim, Place, Rule, Side, Violation, Violations};

use crate::model::{EndpointInfo, Topology};

/// Fd numbers a node may use: `0..MAX_FD`. The kernel's ceiling on any
/// process's fd table (`fs.nr_open`) defaults to 2^20; keeping below it also
/// keeps every fd computation in the child far from overflow.
///
/// ```
/// use process_graph_topology::{EdgeInfo, EndpointInfo, MAX_FD, NodeInfo, Rule, Topology};
///
/// let topology = Topology {
///     nodes: vec![NodeInfo { name: "a".into(), ..NodeInfo::default() }].into(),
///     edges: vec![EdgeInfo { from: vec![EndpointInfo { node: Some(0), fd: MAX_FD }].into(), to: vec![EndpointInfo::PARENT].into(), ..EdgeInfo::default() }].into(),
///     ..Topology::default()
/// };
/// let broken = topology.check().unwrap_err();
/// assert_eq!(broken.violations()[0].rule, Rule::FdOutOfRange { fd: MAX_FD });
/// ```
pub const MAX_FD: i32 = 1 << 20;

/// `sethostname` takes at most this many bytes (`HOST_NAME_MAX`).
///
/// ```
/// use process_graph_topology::{HOST_NAME_MAX, NodeInfo, Rule, ScopeInfo, Topology};
///
/// let hostname = "h".repeat(HOST_NAME_MAX + 1);
/// let topology = Topology {
///     nodes: vec![NodeInfo { name: "a".into(), scope: Some(0), ..NodeInfo::default() }].into(),
///     scopes: vec![ScopeInfo { name: "box".into(), namespaces: vec!["uts"].into(), hostname: Some(hostname.into()), ..ScopeInfo::default() }].into(),
///     ..Topology::default()
/// };
/// let broken = topology.check().unwrap_err();
/// assert_eq!(broken.violations()[0].rule, Rule::HostnameLength { len: 65 });
/// ```
pub const HOST_NAME_MAX: usize = 64;

impl Topology {
    /// Checks every wiring rule and returns all violations, in declaration
    /// order: the graph's settings, then nodes, edges, scopes, and last the
    /// `after` and scope-nesting cycles.
    ///
    /// ```
    /// use process_graph_topology::{NodeInfo, Rule, Topology};
    ///
    /// let topology = Topology {
    ///     nodes: vec![NodeInfo { name: "a".into(), after: vec![0].into(), ..NodeInfo::default() }]
    ///         .into(),
    ///     ..Topology::default()
    /// };
    /// let broken = topology.check().unwrap_err();
    /// assert_eq!(broken.violations()[0].rule, Rule::AfterCycle { cycle: vec!["a".into(), "a".into()] });
    /// assert_eq!(broken.to_string(), "node \"a\": `after` cycle: a -> a (each starts after the next); \
    ///                                 remove one of these `after` entries");
    /// ```
    pub fn check(&self) -> Result<(), Violations> {
        let mut found = Found {
            topology: self,
            violations: Vec::new(),
        };
        if self.period_ms == 0 {
            found.push(Place::Graph, Rule::ZeroPeriod);
        }
        let mut claims = claims::Claims::default();
        nodes::check(&mut found, &mut claims);
        after::check(&mut found);
        edges::check(&mut found, &mut claims);
        probes::check(&mut found);
        scopes::check(&mut found);
        cycles::check(&mut found);
        if found.violations.is_empty() {
            Ok(())
        } else {
            Err(Violations(found.violations))
        }
    }

    /// How messages name an edge: `edge "lines"`, or by its wiring when it
    /// has no name: `pipe a.stdout -> b.stdin`.
    ///
    /// ```
    /// use process_graph_topology::{EdgeInfo, EndpointInfo, NodeInfo, Topology};
    ///
    /// let stdout = EndpointInfo { node: Some(0), fd: 1 };
    /// let topology = Topology {
    ///     nodes: vec![NodeInfo { name: "a".into(), ..NodeInfo::default() }].into(),
    ///     edges: vec![
    ///         EdgeInfo { name: Some("out".into()), from: vec![stdout].into(), to: vec![EndpointInfo::PARENT].into(), ..EdgeInfo::default() },
    ///         EdgeInfo { name: None, from: vec![EndpointInfo { fd: 2, ..stdout }].into(), to: vec![EndpointInfo::PARENT].into(), ..EdgeInfo::default() },
    ///     ]
    ///     .into(),
    ///     ..Topology::default()
    /// };
    /// assert_eq!(topology.edge_subject(0), "edge \"out\"");
    /// assert_eq!(topology.edge_subject(1), "pipe a.stderr -> parent");
    /// ```
    pub fn edge_subject(&self, edge: usize) -> String {
        let Some(info) = self.edges.get(edge) else {
            return format!("edge #{edge}");
        };
        if let Some(name) = &info.name {
            return format!("edge {name:?}");
        }
        let list = |ends: &[EndpointInfo]| {
            ends.iter()
                .map(|e| self.endpoint_name(e))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match info.kind {
            crate::EdgeKind::Pipe => format!("pipe {} -> {}", list(&info.from), list(&info.to)),
            crate::EdgeKind::SocketPair => {
                format!("socketpair {} <-> {}", list(&info.from), list(&info.to))
            }
        }
    }

    /// An endpoint as the declaration writes it: `source.stdout`,
    /// `filter.fd(3)`, `parent`; a node the graph does not have is `#7`.
    ///
    /// ```
    /// use process_graph_topology::{EndpointInfo, NodeInfo, Topology};
    ///
    /// let topology = Topology {
    ///     nodes: vec![NodeInfo { name: "filter".into(), ..NodeInfo::default() }].into(),
    ///     ..Topology::default()
    /// };
    /// assert_eq!(topology.endpoint_name(&EndpointInfo { node: Some(0), fd: 3 }), "filter.fd(3)");
    /// assert_eq!(topology.endpoint_name(&EndpointInfo { node: Some(7), fd: 0 }), "#7.stdin");
    /// assert_eq!(topology.endpoint_name(&EndpointInfo::PARENT), "parent");
    /// ```
    pub fn endpoint_name(&self, end: &EndpointInfo) -> String {
        match end.node {
            None => "parent".to_owned(),
            Some(n) => match self.nodes.get(n) {
                Some(node) => format!("{}.{}", node.name, crate::fd_name(end.fd)),
                None => format!("#{n}.{}", crate::fd_name(end.fd)),
            },
        }
    }
}

/// The violations found so far, and the topology they are found in.
struct Found<'t> {
    topology: &'t Topology,
    violations: Vec<Violation>,
}

impl Found<'_> {
    fn push(&mut self, place: Place, rule: Rule) {
        let t = self.topology;
        let subject = match place {
            Place::Graph => format!("graph {:?}", t.name),
            Place::Node(n)
            | Place::After { node: n, .. }
            | Place::NodeScope(n)
            | Place::Ready(n)
            | Place::ReadyTimeout(n)
            | Place::Restart(n)
            | Place::Probe { node: n, .. }
            | Place::Replicas(n)
            | Place::Watchdog(n)
            | Place::NotifyAccess(n)
            | Place::Stdio { node: n, .. }
            | Place::PassedFd { node: n, .. }
            | Place::Listener { node: n, .. } => format!("node {:?}", t.nodes[n].name),
            Place::Edge(e) | Place::Endpoint { edge: e, .. } => t.edge_subject(e),
            Place::AfterSubgraph { node: n, .. } => format!("node {:?}", t.nodes[n].name),
            Place::SubgraphAfter { subgraph: s, .. }
            | Place::SubgraphAfterSubgraph { subgraph: s, .. } => {
                format!("subgraph {:?}", t.subgraphs[s].name)
            }
            Place::Scope(s) | Place::Hostname(s) | Place::ScopeParent(s) => {
                format!("scope {:?}", t.scopes[s].name)
            }
        };
        self.violations.push(Violation {
            place,
            subject,
            rule,
        });
    }
}
