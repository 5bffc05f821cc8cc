//! What the launcher holds for the few nodes that need more than their fd
//! plan and their `execve` arguments: a scope, exec probes, a log-line
//! probe, forwarded output, a terminal, fds passed in. Boxed, and absent
//! for a node that has none of them, so such a node costs the parent one
//! pointer for all of them while it runs.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use super::ExecSpec;
use crate::graph::ScopeId;
use crate::listener::BoundSocket;
use crate::output::LineWatch;
use crate::probe::ProbeKind;
use crate::terminal::Terminal;

/// A node's rare launch settings.
#[derive(Debug, Default)]
pub(super) struct Extras {
    /// The scope it joins.
    pub(super) scope: Option<ScopeId>,
    /// The command of its readiness and of its liveness probe, where that
    /// is an exec probe.
    pub(super) probe_execs: [Option<ExecSpec>; 2],
    /// With a log-line probe: what the output thread counts matching
    /// lines on.
    pub(super) line_watch: Option<LineWatch>,
    /// The slot of each of its forwarded streams' sink, in plan order;
    /// emptied when it is forgotten.
    pub(super) sinks: Vec<usize>,
    /// On a terminal: the master, from which each start opens the node's
    /// end.
    pub(super) terminal: Option<OwnedFd>,
    /// On a terminal: the application's end, until taken.
    pub(super) terminal_end: Option<Terminal>,
    /// The fds the application passed in, by target, held while the node
    /// may start again, so that every restart gets the same ones.
    pub(super) passed: Vec<(i32, Passed)>,
}

impl Extras {
    /// `self` boxed, or `None` if it holds nothing.
    pub(super) fn boxed(self) -> Option<Box<Extras>> {
        let empty = self.scope.is_none()
            && self.probe_execs.iter().all(Option::is_none)
            && self.line_watch.is_none()
            && self.sinks.is_empty()
            && self.terminal.is_none()
            && self.terminal_end.is_none()
            && self.passed.is_empty();
        (!empty).then(|| Box::new(self))
    }

    /// The exec spec of the node's probe of kind `kind`, if that is an
    /// exec probe.
    pub(super) fn probe_exec(&self, kind: ProbeKind) -> Option<&ExecSpec> {
        let slot = match kind {
            ProbeKind::Ready => 0,
            ProbeKind::Live => 1,
        };
        self.probe_execs[slot].as_ref()
    }
}

/// An fd the application passes to a node: its own, or a listening socket.
#[derive(Debug)]
pub(super) enum Passed {
    Fd(Arc<OwnedFd>),
    Listener(Arc<BoundSocket>),
}

impl AsRawFd for Passed {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            Passed::Fd(fd) => fd.as_raw_fd(),
            Passed::Listener(socket) => socket.fd.as_raw_fd(),
        }
    }
}
