//! The plan: for every node, the exact fd table its child will have.
//!
//! Computed from a validated graph before anything is created, so the fd
//! table is a plain, inspectable value; spawning only turns each source into
//! a live fd.

mod spawn_plan;

pub use spawn_plan::{FdOrigin, PlannedNode, SpawnPlan};

use crate::command::Stdio;
use crate::graph::{EdgeId, EdgeKind, Endpoint, Graph};
use crate::policy::Readiness;

/// Where a child fd comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FdSource {
    /// The read end of a pipe edge.
    PipeRead(EdgeId),
    /// The write end of a pipe edge.
    PipeWrite(EdgeId),
    /// End `0` or `1` of a socketpair edge.
    Socket(EdgeId, usize),
    /// `/dev/null`.
    DevNull,
    /// The write end of a pipe to the graph's output thread, new for every
    /// start of the node.
    Forwarded,
    /// The write end of the node's readiness pipe (`Readiness::Fd`), new for
    /// every start of the node.
    Ready,
    /// The node end of the node's pseudo-terminal, opened anew for every
    /// start.
    Terminal,
    /// The fd the application passed in for this number (`Command::fd`,
    /// `Stdio::Fd`).
    Passed,
    /// Listening socket number `n` of the node (`Command::listen`), at fd
    /// `3 + n`.
    Listener(usize),
}

impl FdSource {
    /// The same source, its edge numbered `offset` later: for nodes added
    /// to a running graph, whose edges follow the ones it has.
    pub(crate) fn shifted(self, offset: usize) -> FdSource {
        let shift = |e: EdgeId| EdgeId::from_index(e.index() + offset);
        match self {
            FdSource::PipeRead(e) => FdSource::PipeRead(shift(e)),
            FdSource::PipeWrite(e) => FdSource::PipeWrite(shift(e)),
            FdSource::Socket(e, side) => FdSource::Socket(shift(e), side),
            other => other,
        }
    }

    /// The edge this fd comes from, if any.
    pub(crate) fn edge(self) -> Option<EdgeId> {
        match self {
            FdSource::PipeRead(e) | FdSource::PipeWrite(e) | FdSource::Socket(e, _) => Some(e),
            FdSource::DevNull
            | FdSource::Forwarded
            | FdSource::Ready
            | FdSource::Terminal
            | FdSource::Passed
            | FdSource::Listener(_) => None,
        }
    }
}

/// One entry of a child's fd table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FdAssignment {
    pub(crate) target: i32,
    pub(crate) source: FdSource,
}

/// The fds one child gets besides the inherited stdio streams, by target fd.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NodePlan {
    pub(crate) fds: Vec<FdAssignment>,
}

impl NodePlan {
    /// The lowest fd that is the node's terminal, if it runs on one: its
    /// controlling terminal.
    pub(crate) fn terminal(&self) -> Option<i32> {
        self.fds
            .iter()
            .find(|a| a.source == FdSource::Terminal)
            .map(|a| a.target)
    }

    /// The streams (1 and 2) this node forwards to a sink.
    pub(crate) fn forwarded_streams(&self) -> impl Iterator<Item = i32> + '_ {
        self.fds
            .iter()
            .filter(|a| a.source == FdSource::Forwarded)
            .map(|a| a.target)
    }
}

/// The fd table of every node of a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) nodes: Vec<NodePlan>,
}

impl Plan {
    /// Plans a graph that has passed [`Graph::validate`].
    pub(crate) fn of(graph: &Graph) -> Plan {
        let mut nodes = vec![NodePlan::default(); graph.nodes.len()];
        for (index, edge) in graph.edges.iter().enumerate() {
            let id = EdgeId(index as u32);
            let mut assign = |endpoint: Endpoint, source: FdSource| {
                if let Endpoint::Node { node, fd } = endpoint {
                    nodes[node.index()]
                        .fds
                        .push(FdAssignment { target: fd, source });
                }
            };
            match &edge.kind {
                EdgeKind::Pipe {
                    writers, readers, ..
                } => {
                    for &w in writers {
                        assign(w, FdSource::PipeWrite(id));
                    }
                    for &r in readers {
                        assign(r, FdSource::PipeRead(id));
                    }
                }
                EdgeKind::SocketPair { ends, .. } => {
                    for (side, &end) in ends.iter().enumerate() {
                        assign(end, FdSource::Socket(id, side));
                    }
                }
                EdgeKind::Joined { .. } => {}
            }
        }
        for (spec, plan) in graph.nodes.iter().zip(&mut nodes) {
            if let Readiness::Fd(fd) = spec.options.ready {
                plan.fds.push(FdAssignment {
                    target: fd,
                    source: FdSource::Ready,
                });
            }
            let log_line = spec.options.watches_output();
            for fd in 0..=2 {
                let claimed = plan.fds.iter().any(|a| a.target == fd);
                let source = match spec.command.stdio(fd) {
                    Some(Stdio::Null) => FdSource::DevNull,
                    Some(Stdio::Prefixed | Stdio::Sink(_)) => FdSource::Forwarded,
                    Some(Stdio::Terminal) => FdSource::Terminal,
                    // Through the output thread, which watches each line
                    // for the log-line probe and passes it on unchanged.
                    Some(Stdio::Inherit) | None if log_line && fd > 0 => FdSource::Forwarded,
                    // Among the passed fds, below.
                    Some(Stdio::Inherit | Stdio::Fd(_)) | None => continue,
                };
                if !claimed {
                    plan.fds.push(FdAssignment { target: fd, source });
                }
            }
            // Validation made sure nothing else claims these numbers.
            for (n, target) in (0..spec.command.listeners.len()).zip(3..) {
                plan.fds.push(FdAssignment {
                    target,
                    source: FdSource::Listener(n),
                });
            }
            for (target, _) in spec.command.passed_fds() {
                plan.fds.push(FdAssignment {
                    target,
                    source: FdSource::Passed,
                });
            }
            plan.fds.sort_by_key(|a| a.target);
        }
        Plan { nodes }
    }
}
