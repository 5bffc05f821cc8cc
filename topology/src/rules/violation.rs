//! What a broken rule reports: where in the declaration ([`Place`]), whom it
//! concerns (the subject, by name), and which rule ([`Rule`]), whose
//! message is the same wherever it is shown — at the user's token by the
//! macro, after the subject by the runtime.

use std::fmt;

use crate::labels::STDIO;
use crate::model::{Ready, StdioMode};
use crate::rules::{HOST_NAME_MAX, MAX_FD};

/// Which side of an edge an endpoint is on.
///
/// ```
/// use process_graph_topology::{EdgeInfo, EndpointInfo, NodeInfo, Place, Side, Topology};
///
/// let stdin = EndpointInfo { node: Some(0), fd: 0 };
/// let topology = Topology {
///     nodes: vec![NodeInfo { name: "a".into(), ..NodeInfo::default() }].into(),
///     edges: vec![EdgeInfo { from: vec![stdin].into(), to: vec![EndpointInfo::PARENT].into(), ..EdgeInfo::default() }].into(),
///     ..Topology::default()
/// };
/// let broken = topology.check().unwrap_err(); // stdin cannot write into a pipe
/// assert_eq!(broken.violations()[0].place, Place::Endpoint { edge: 0, side: Side::From, index: 0 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// [`EdgeInfo::from`](crate::EdgeInfo::from): the writers of a pipe, the
    /// first end of a socketpair.
    From,
    /// [`EdgeInfo::to`](crate::EdgeInfo::to): the reader of a pipe, the
    /// second end of a socketpair.
    To,
}

/// Where a broken rule is, as indices into the [`Topology`](crate::Topology):
/// the macro maps it to the token the user wrote there.
///
/// ```
/// use process_graph_topology::{NodeInfo, Place, Rule, Topology};
///
/// // `#[process(after = [...])] a: Cmd`, its first entry naming no node.
/// let topology = Topology {
///     nodes: vec![NodeInfo { name: "a".into(), after: vec![5].into(), ..NodeInfo::default() }].into(),
///     ..Topology::default()
/// };
/// let broken = topology.check().unwrap_err();
/// assert_eq!(broken.violations()[0].place, Place::After { node: 0, entry: 0 }); // where the macro points
/// assert_eq!(broken.violations()[0].rule, Rule::UnknownNode { index: 5 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Place {
    /// The graph's own settings (its `period`).
    Graph,
    /// A node as a whole (its name).
    Node(usize),
    /// Entry `entry` of a node's `after` list.
    After {
        /// The node.
        node: usize,
        /// The position in its `after` list.
        entry: usize,
    },
    /// Entry `entry` of a node's `after_subgraphs` list.
    AfterSubgraph {
        /// The node.
        node: usize,
        /// The position in its `after_subgraphs` list.
        entry: usize,
    },
    /// Entry `entry` of a subgraph's `after` list (of nodes).
    SubgraphAfter {
        /// The subgraph.
        subgraph: usize,
        /// The position in its `after` list.
        entry: usize,
    },
    /// Entry `entry` of a subgraph's `after_subgraphs` list.
    SubgraphAfterSubgraph {
        /// The subgraph.
        subgraph: usize,
        /// The position in its `after_subgraphs` list.
        entry: usize,
    },
    /// A node's `scope`.
    NodeScope(usize),
    /// A node's `ready` setting.
    Ready(usize),
    /// A node's `ready_timeout` setting.
    ReadyTimeout(usize),
    /// A node's `restart` setting.
    Restart(usize),
    /// Listening socket `index` of a node (`listen`).
    Listener {
        /// The node.
        node: usize,
        /// Its position among the node's listening sockets.
        index: usize,
    },
    /// An fd passed in with a node's command (`Command::fd`).
    PassedFd {
        /// The node.
        node: usize,
        /// The fd number in the child.
        fd: i32,
    },
    /// A node's `replicas` setting.
    Replicas(usize),
    /// A node's `watchdog` setting.
    Watchdog(usize),
    /// A node's `notify_access` setting.
    NotifyAccess(usize),
    /// A node's stdin, stdout or stderr setting.
    Stdio {
        /// The node.
        node: usize,
        /// 0, 1 or 2.
        fd: i32,
    },
    /// An edge as a whole (its arrow).
    Edge(usize),
    /// One endpoint of an edge.
    Endpoint {
        /// The edge.
        edge: usize,
        /// Which side of the arrow.
        side: Side,
        /// The position on that side.
        index: usize,
    },
    /// A scope as a whole (its name).
    Scope(usize),
    /// A scope's `hostname`.
    Hostname(usize),
    /// A scope's `parent`.
    ScopeParent(usize),
    /// A node's `ready_probe` (`live: false`) or `live_probe` (`live: true`).
    Probe {
        /// The node.
        node: usize,
        /// Which of its probes.
        live: bool,
    },
}

/// What already holds an fd of a node.
///
/// ```
/// use process_graph_topology::{Claim, EdgeInfo, EndpointInfo, NodeInfo, Rule, StdioMode, Topology};
///
/// let quiet = NodeInfo { name: "a".into(), stdio: [Some(StdioMode::Null), None, None], ..NodeInfo::default() };
/// let topology = Topology {
///     nodes: vec![quiet].into(),
///     edges: vec![EdgeInfo { from: vec![EndpointInfo::PARENT].into(), to: vec![EndpointInfo { node: Some(0), fd: 0 }].into(), ..EdgeInfo::default() }].into(),
///     ..Topology::default()
/// };
/// let broken = topology.check().unwrap_err(); // `a.stdin` is null already
/// let Rule::FdTaken { first, .. } = &broken.violations()[0].rule else { panic!() };
/// assert_eq!(*first, Claim::Stdio { node: "a".into(), fd: 0, mode: StdioMode::Null });
/// assert_eq!(first.to_string(), "`stdin = \"null\"` on `a`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// An edge, as a violation's subject names it: `edge "lines"`.
    Edge(String),
    /// The node's own stdio setting, e.g. `stdin = "null"`.
    Stdio {
        /// The node's name.
        node: String,
        /// 0, 1 or 2.
        fd: i32,
        /// The setting.
        mode: StdioMode,
    },
    /// The node's `ready = fd(N)`.
    Ready {
        /// The node's name.
        node: String,
        /// The readiness fd.
        fd: i32,
    },
    /// One of the node's listening sockets.
    Listener {
        /// The node's name.
        node: String,
        /// The socket's name.
        name: String,
        /// Its fd in the node.
        fd: i32,
    },
    /// An fd the application passes in with the node's command
    /// (`Command::fd`).
    Passed {
        /// The node's name.
        node: String,
        /// The fd number in the child.
        fd: i32,
    },
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Edge(edge) => f.write_str(edge),
            Claim::Stdio { node, fd, mode } => {
                let stream = STDIO.get(*fd as usize).copied().unwrap_or("stdio");
                write!(f, "`{stream} = \"{mode}\"` on `{node}`")
            }
            Claim::Ready { node, fd } => write!(f, "`ready = fd({fd})` on `{node}`"),
            Claim::Listener { node, name, fd } => {
                write!(f, "listening socket `{name}` of `{node}` (fd {fd})")
            }
            Claim::Passed { node, fd } => write!(f, "the fd passed in as `{node}.fd({fd})`"),
        }
    }
}

/// A wiring rule, with what its message needs. Its `Display` is the
/// message the macro shows at the user's token; [`Violation`] adds the
/// subject in front.
///
/// ```
/// use process_graph_topology::{NodeInfo, Rule, Topology};
///
/// let node = |name: &'static str| NodeInfo { name: name.into(), ..NodeInfo::default() };
/// let topology = Topology { nodes: vec![node("a"), node("a")].into(), ..Topology::default() };
/// let broken = topology.check().unwrap_err();
/// assert_eq!(broken.violations()[0].rule, Rule::DuplicateName);
/// assert_eq!(Rule::DuplicateName.to_string(), "another node has the same name; names are unique");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// Two nodes share a name.
    DuplicateName,
    /// A node's name is empty or holds a control character (a newline, a
    /// NUL, an escape): it is printed in prefixed output, events, errors
    /// and diagrams, where it must read as one name.
    UnprintableName,
    /// A reference to node number `index`, which the graph does not have.
    UnknownNode {
        /// The index.
        index: usize,
    },
    /// A reference to subgraph number `index`, which the graph does not have.
    UnknownSubgraph {
        /// The index.
        index: usize,
    },
    /// A reference to scope number `index`, which the graph does not have.
    UnknownScope {
        /// The index.
        index: usize,
    },
    /// An fd outside `0..MAX_FD`.
    FdOutOfRange {
        /// The fd.
        fd: i32,
    },
    /// `ready = fd(N)` with N below 3.
    ReadyFdIsStdio {
        /// The fd.
        fd: i32,
    },
    /// A pipe written through a node's stdin.
    WriterAtStdin {
        /// The node's name.
        node: String,
    },
    /// A pipe read through a node's stdout or stderr.
    ReaderAtOutput {
        /// The node's name.
        node: String,
        /// 1 or 2.
        fd: i32,
    },
    /// A pipe with no writer.
    NoWriter,
    /// A pipe with no reader.
    NoReader,
    /// A second (third, ...) reader of a pipe.
    SeveralReaders,
    /// A socketpair without exactly one end on each side.
    SocketPairEnds,
    /// A pipe whose reader is also one of its writers.
    SelfLoop {
        /// The node's name.
        node: String,
    },
    /// The parent on both sides of an edge.
    ParentOnBothEnds,
    /// A subgraph's port wired by a second edge of the enclosing graph.
    PortWiredTwice {
        /// The port, e.g. `db.queries`.
        port: String,
        /// The edge that wired it first, as a violation's subject names it.
        first: String,
    },
    /// The same endpoint twice in one edge.
    ListedTwice {
        /// The endpoint, e.g. `a.stdout`.
        endpoint: String,
    },
    /// An fd of a node claimed by a second edge.
    FdTaken {
        /// The endpoint, e.g. `b.stdin`.
        endpoint: String,
        /// What claimed it first.
        first: Claim,
    },
    /// stdin set to be prefixed.
    PrefixedStdin,
    /// A listening address that does not parse.
    BadListenAddress {
        /// Why.
        reason: String,
    },
    /// A listening socket's name `LISTEN_FDNAMES` cannot carry.
    BadListenerName {
        /// The name.
        name: String,
    },
    /// A ready timeout on a node that is ready at exec.
    ReadyTimeoutWithoutReadiness,
    /// A one-shot job restarted whenever it ends, success included.
    OneshotRestartAlways,
    /// A one-shot job with a readiness protocol: it is ready when it exits 0.
    OneshotWithReadiness,
    /// A `NOTIFY_SOCKET` setting (`watchdog`, `notify_access`) on a node
    /// without `ready = "notify"`, which has no such socket.
    NeedsNotify {
        /// The setting, e.g. `watchdog`.
        setting: &'static str,
    },
    /// A watchdog interval of zero.
    ZeroWatchdog,
    /// The same node, or subgraph, twice in one `after` list.
    AfterListedTwice {
        /// The node's (or subgraph's) name.
        node: String,
    },
    /// `after` dependencies in a cycle.
    AfterCycle {
        /// The nodes and subgraphs round it, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A scope that creates no namespace.
    NoNamespace {
        /// The scope's name.
        scope: String,
    },
    /// A hostname on a scope without its own uts namespace.
    HostnameNeedsUts,
    /// A hostname the kernel does not take.
    HostnameLength {
        /// Its length in bytes.
        len: usize,
    },
    /// Scopes nested in a cycle.
    ScopeCycle {
        /// The scopes round it, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A scope that no node joins and no scope is nested in.
    UnusedScope {
        /// The scope's name.
        scope: String,
    },
    /// An intensity period of zero.
    ZeroPeriod,
    /// A readiness probe on a node that also declares a readiness protocol.
    ProbeAndReadiness {
        /// The protocol.
        ready: Ready,
    },
    /// A readiness probe on a one-shot job.
    OneshotWithReadyProbe,
    /// A probe address or URL the runtime cannot connect to.
    BadProbeAddress {
        /// What is wrong with it.
        reason: String,
    },
    /// An exec probe without a program.
    EmptyProbeCommand,
    /// A log-line probe looking for nothing, or for more than one line.
    BadLogPattern,
    /// A log-line probe as a liveness probe.
    LogLineLiveness,
    /// A log-line probe on a node whose stdout and stderr both go to an
    /// edge, `/dev/null` or an fd.
    LogLineUnwatched,
    /// A probe's period or timeout of zero.
    ZeroProbeDuration {
        /// `"period"` or `"timeout"`.
        what: &'static str,
    },
    /// A probe's failure threshold of zero.
    ZeroFailureThreshold,
    /// `replicas = 0`.
    ZeroReplicas,
    /// An edge into replicas from a node: a pipe has one reader and a
    /// socketpair one end per side, so only the parent, which holds one
    /// edge per replica, can feed them.
    IntoReplicasFromNode {
        /// The replicated node's name.
        node: String,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::DuplicateName => f.write_str("another node has the same name; names are unique"),
            Rule::UnprintableName => {
                f.write_str("the name is empty or holds a control character; it must print as one name")
            }
            Rule::UnknownNode { index } => write!(f, "node #{index} is not in this graph"),
            Rule::UnknownSubgraph { index } => {
                write!(f, "subgraph #{index} is not in this graph")
            }
            Rule::UnknownScope { index } => write!(f, "scope #{index} is not in this graph"),
            Rule::FdOutOfRange { fd } => write!(
                f,
                "fd {fd} is out of range; fd numbers go from 0 to {}",
                MAX_FD - 1
            ),
            Rule::ReadyFdIsStdio { fd } => write!(
                f,
                "the readiness fd must be 3 or above, not {fd}: 0, 1 and 2 are stdin, stdout and stderr"
            ),
            Rule::WriterAtStdin { node } => write!(
                f,
                "`{node}.stdin` cannot write into a pipe; write from `{node}.stdout`, `{node}.stderr` or `{node}.fd(N)`"
            ),
            Rule::ReaderAtOutput { node, fd } => write!(
                f,
                "`{node}.{}` cannot read from a pipe; read with `{node}.stdin` or `{node}.fd(N)`",
                STDIO.get(*fd as usize).copied().unwrap_or("stdout")
            ),
            Rule::NoWriter => {
                f.write_str("the pipe has no writer; give it one, e.g. `a.stdout -> ...`")
            }
            Rule::NoReader => {
                f.write_str("the pipe has no reader; give it one, e.g. `... -> b.stdin`")
            }
            Rule::SeveralReaders => f.write_str(
                "a pipe has one reader: several would each get an arbitrary share of the data; use one pipe per reader",
            ),
            Rule::SocketPairEnds => f.write_str(
                "a socketpair has exactly two ends, one on each side of `<->`; use one socketpair per pair",
            ),
            Rule::SelfLoop { node } => write!(
                f,
                "a pipe from `{node}` back to `{node}`: its reader would never see EOF, as it holds the write end itself; use a socketpair"
            ),
            Rule::ParentOnBothEnds => {
                f.write_str("the parent is on both ends of this edge; one end must be a process")
            }
            Rule::PortWiredTwice { port, first } => write!(
                f,
                "`{port}` is already wired by {first}; a port is one edge of its subgraph, \
                 wired by one edge of this graph (which may list several writers)"
            ),
            Rule::ListedTwice { endpoint } => {
                write!(f, "`{endpoint}` is listed twice in this edge")
            }
            Rule::FdTaken { endpoint, first } => write!(
                f,
                "`{endpoint}` is already taken by {first}; an fd of a process belongs to one edge or setting"
            ),
            Rule::BadListenAddress { reason } => write!(f, "bad listening address: {reason}"),
            Rule::BadListenerName { name } => write!(
                f,
                "listening socket name {name:?} cannot go in LISTEN_FDNAMES: use 1 to 255 printable ASCII characters, no `:`"
            ),
            Rule::PrefixedStdin => f.write_str(
                "stdin cannot be forwarded output (`prefixed`, `file`, `callback`, `tracing`): only stdout and stderr are read line by line",
            ),
            Rule::ReadyTimeoutWithoutReadiness => f.write_str(
                "`ready_timeout` needs `ready = fd(N)`, `ready = \"notify\"`, a `ready_probe` or `oneshot`; without one the process is ready at exec",
            ),
            Rule::OneshotRestartAlways => f.write_str(
                "a one-shot job is done when it exits 0, so `restart = \"always\"` would run it again forever; \
                 write `restart = \"on-failure\"` to retry it until it succeeds",
            ),
            Rule::NeedsNotify { setting } => write!(
                f,
                "`{setting}` needs `ready = \"notify\"`: the node speaks systemd's protocol on $NOTIFY_SOCKET only then"
            ),
            Rule::ZeroWatchdog => f.write_str(
                "a watchdog interval must be longer than zero; leave `watchdog` out to have none",
            ),
            Rule::OneshotWithReadiness => f.write_str(
                "a one-shot job is ready when it exits 0 and has no readiness protocol; \
                 remove `ready`, or `oneshot` for a service that says when it is ready",
            ),
            Rule::AfterListedTwice { node } => write!(f, "`{node}` is listed twice in `after`"),
            Rule::AfterCycle { cycle } => write!(
                f,
                "`after` cycle: {} (each starts after the next); remove one of these `after` entries",
                cycle.join(" -> ")
            ),
            Rule::NoNamespace { scope } => write!(
                f,
                "scope `{scope}` creates no namespace; list at least one of {}",
                crate::NAMESPACES.join(", ")
            ),
            Rule::HostnameNeedsUts => f.write_str(
                "a hostname needs the scope's own uts namespace; add `uts` to the scope",
            ),
            Rule::HostnameLength { len } => write!(
                f,
                "a hostname is 1 to {HOST_NAME_MAX} bytes long; this one is {len}"
            ),
            Rule::ScopeCycle { cycle } => write!(
                f,
                "scope nesting cycle: {} (each is inside the next); a scope cannot contain itself",
                cycle.join(" -> ")
            ),
            Rule::UnusedScope { scope } => write!(
                f,
                "no process joins scope `{scope}` and no scope is nested in it; add `scope = {scope}` to a process, or remove the scope"
            ),
            Rule::ZeroPeriod => f.write_str("the intensity period must be longer than zero"),
            Rule::ProbeAndReadiness { ready } => write!(
                f,
                "a node is made ready by its `ready_probe` or by `ready = {}`, not both; remove one",
                match ready {
                    Ready::Fd(fd) => format!("fd({fd})"),
                    Ready::Notify => "\"notify\"".to_owned(),
                }
            ),
            Rule::OneshotWithReadyProbe => f.write_str(
                "a one-shot job is ready when it exits 0; remove its `ready_probe`, or `oneshot` for a service a probe tells ready",
            ),
            Rule::BadProbeAddress { reason } => write!(f, "bad probe address: {reason}"),
            Rule::EmptyProbeCommand => {
                f.write_str("an exec probe needs a program, e.g. `exec = [\"pg_isready\", \"-q\"]`")
            }
            Rule::BadLogPattern => f.write_str(
                "a log-line probe looks for a text within one line: give it a non-empty text without a newline",
            ),
            Rule::LogLineLiveness => f.write_str(
                "a log line tells once that a node is ready, not that it is still alive; use it in `ready_probe`, \
                 and check liveness with `tcp`, `http` or `exec`",
            ),
            Rule::LogLineUnwatched => f.write_str(
                "a log-line probe reads the node's stdout or stderr, but both go to an edge, null or an fd; \
                 leave one inherited or prefixed",
            ),
            Rule::ZeroProbeDuration { what } => {
                write!(f, "a probe's {what} must be longer than zero")
            }
            Rule::ZeroFailureThreshold => {
                f.write_str("`failure_threshold` must be at least 1")
            }
            Rule::ZeroReplicas => {
                f.write_str("`replicas = 0` runs nothing; write 1 or more, or remove the process")
            }
            Rule::IntoReplicasFromNode { node } => write!(
                f,
                "`{node}` has replicas, and only the parent can feed them (one edge per replica); \
                 a pipe has one reader and a socketpair one end per side"
            ),
        }
    }
}

/// One broken rule: where, whom it concerns, and which rule.
///
/// ```
/// use process_graph_topology::{EdgeInfo, EndpointInfo, NodeInfo, Place, Rule, Side, Topology};
///
/// let topology = Topology {
///     nodes: vec![NodeInfo { name: "a".into(), ..NodeInfo::default() }].into(),
///     edges: vec![EdgeInfo {
///         name: Some("loop".into()),
///         from: vec![EndpointInfo { node: Some(0), fd: 0 }].into(), // a.stdin writes
///         to: vec![EndpointInfo::PARENT].into(),
///         ..EdgeInfo::default()
///     }]
///     .into(),
///     ..Topology::default()
/// };
/// let broken = topology.check().unwrap_err();
/// let first = &broken.violations()[0];
/// assert_eq!(first.place, Place::Endpoint { edge: 0, side: Side::From, index: 0 });
/// assert!(matches!(first.rule, Rule::WriterAtStdin { .. }));
/// assert!(first.to_string().starts_with("edge \"loop\": `a.stdin` cannot write into a pipe"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the declaration.
    pub place: Place,
    /// Whom it concerns, by name: `node "a"`, `edge "lines"`, `scope "box"`,
    /// `graph "Name"`, or an unnamed edge by its wiring.
    pub subject: String,
    /// Which rule.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.rule)
    }
}

impl std::error::Error for Violation {}

/// Every rule a graph breaks, in the order of the declaration.
///
/// ```
/// use process_graph_topology::{NodeInfo, Topology};
///
/// let topology = Topology {
///     nodes: vec![NodeInfo { name: "a".into(), after: vec![0, 5].into(), ..NodeInfo::default() }].into(),
///     ..Topology::default()
/// };
/// let broken = topology.check().unwrap_err();
/// assert_eq!(broken.to_string(), "node \"a\": node #5 is not in this graph; \
///                                 node \"a\": `after` cycle: a -> a (each starts after the next); \
///                                 remove one of these `after` entries");
/// for violation in broken {
///     eprintln!("{:?}: {violation}", violation.place);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations(pub(crate) Vec<Violation>);

impl Violations {
    /// The broken rules.
    ///
    /// ```
    /// use process_graph_topology::{NodeInfo, Place, Topology};
    ///
    /// let node = |name: &'static str| NodeInfo { name: name.into(), ..NodeInfo::default() };
    /// let topology = Topology { nodes: vec![node("a"), node("a"), node("a")].into(), ..Topology::default() };
    /// let broken = topology.check().unwrap_err();
    /// let places: Vec<Place> = broken.violations().iter().map(|v| v.place).collect();
    /// assert_eq!(places, [Place::Node(1), Place::Node(2)]); // all of them, in order
    /// ```
    pub fn violations(&self) -> &[Violation] {
        &self.0
    }
}

impl fmt::Display for Violations {
    /// Each violation, separated by `; `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, violation) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            violation.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
