//! Per-node and per-graph supervision policy, in Erlang/OTP's vocabulary.

use std::time::Duration;

use crate::graph::{NodeId, ScopeId};
use crate::signal::Signal;

/// When a node is started again after it ends (OTP's restart types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// Never (OTP `temporary`). The default.
    #[default]
    Never,
    /// When it ends with a non-zero code or a signal (OTP `transient`).
    OnFailure,
    /// Whenever it ends (OTP `permanent`).
    Always,
}

impl std::fmt::Display for Restart {
    /// As declared: `never`, `on-failure`, `always`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Restart::Never => "never",
            Restart::OnFailure => "on-failure",
            Restart::Always => "always",
        })
    }
}

impl Restart {
    /// Whether a node that ended with `status` is restarted under this policy.
    pub fn applies_to(self, status: crate::ExitStatus) -> bool {
        match self {
            Restart::Never => false,
            Restart::OnFailure => !status.success(),
            Restart::Always => true,
        }
    }
}

/// When a node counts as ready, which is when nodes started `after` it may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Readiness {
    /// As soon as `execve` succeeded. The default.
    #[default]
    Exec,
    /// s6's notification-fd protocol: the child writes a newline to this fd.
    Fd(i32),
    /// systemd's protocol: the child sends `READY=1` to `$NOTIFY_SOCKET`.
    Notify,
}

/// Exponential backoff between restarts of one node: the first restart waits
/// `initial`, each further one twice as long, up to `max`. A node that stayed
/// up for longer than `max` starts over at `initial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The cap.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The delay before restart number `attempt` (0 is the first restart).
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::Backoff;
    ///
    /// let b = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(1) };
    /// assert_eq!(b.delay(0), Duration::from_millis(100));
    /// assert_eq!(b.delay(2), Duration::from_millis(400));
    /// assert_eq!(b.delay(10), Duration::from_secs(1));
    /// ```
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// Which nodes are restarted with a failed one (OTP's supervisor strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Only the node that ended. The default.
    #[default]
    OneForOne,
    /// Every node: the others are stopped (reverse start order) and all are
    /// started again.
    OneForAll,
    /// The node and every node that depends on it — by `after`, or by reading
    /// a pipe it writes, transitively.
    RestForOne,
}

/// How a node is supervised.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Graph, NodeOptions, Readiness, Restart};
///
/// let mut graph = Graph::new();
/// let db = graph.node_with(
///     "db",
///     Command::new("sleep").arg("1"),
///     NodeOptions::new().ready(Readiness::Exec).restart(Restart::OnFailure),
/// );
/// let app = graph.node_with(
///     "app",
///     Command::new("true"),
///     NodeOptions::new().after([db]).stop_timeout(Duration::from_secs(2)),
/// );
/// # let _ = app;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeOptions {
    pub(crate) restart: Restart,
    pub(crate) critical: bool,
    pub(crate) after: Vec<NodeId>,
    pub(crate) ready: Readiness,
    pub(crate) ready_timeout: Option<Duration>,
    pub(crate) stop_signal: Option<Signal>,
    pub(crate) stop_timeout: Option<Duration>,
    pub(crate) backoff: Backoff,
    pub(crate) scope: Option<ScopeId>,
}

impl NodeOptions {
    /// The defaults: never restarted, not critical, ready at exec, stopped
    /// with SIGTERM and the graph's stop timeout.
    pub fn new() -> Self {
        NodeOptions::default()
    }

    /// The restart policy.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// A critical node ends the whole graph when it ends for good (OTP's
    /// significant children).
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Start only once these nodes are ready.
    pub fn after(mut self, nodes: impl IntoIterator<Item = NodeId>) -> Self {
        self.after.extend(nodes);
        self
    }

    /// When the node counts as ready.
    pub fn ready(mut self, ready: Readiness) -> Self {
        self.ready = ready;
        self
    }

    /// Not ready within this time is a failure of the node.
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = Some(timeout);
        self
    }

    /// The signal that asks the node to stop (default SIGTERM).
    pub fn stop_signal(mut self, signal: Signal) -> Self {
        self.stop_signal = Some(signal);
        self
    }

    /// How long to wait after the stop signal before SIGKILL.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = Some(timeout);
        self
    }

    /// The restart backoff.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff = Backoff { initial, max };
        self
    }

    /// Run the node inside this scope's namespaces.
    pub fn scope(mut self, scope: ScopeId) -> Self {
        self.scope = Some(scope);
        self
    }
}

/// At most `max_restarts` restarts within `period`, or the graph gives up
/// (OTP's intensity and period). Default: 3 within 5 seconds, as OTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed within `period`.
    pub max_restarts: u32,
    /// The sliding window.
    pub period: Duration,
}

impl Intensity {
    /// 3 restarts within 5 seconds, as Erlang/OTP.
    pub const DEFAULT: Intensity = Intensity {
        max_restarts: process_graph_topology::Topology::DEFAULT_INTENSITY,
        period: Duration::from_millis(process_graph_topology::Topology::DEFAULT_PERIOD_MS),
    };
}

impl Default for Intensity {
    fn default() -> Self {
        Intensity::DEFAULT
    }
}
