//! Probes: readiness and liveness for programs that speak no readiness
//! protocol. A readiness probe runs every period from the node's start
//! until it first passes, which makes the node ready; a liveness probe runs
//! every period once the node is ready, and kills it after
//! `failure_threshold` failures in a row or one attempt past its timeout.
//!
//! Nothing here blocks the event loop: a TCP or HTTP attempt is a
//! non-blocking socket in the graph's wait set, an exec probe
//! is a child reaped through its pidfd like any node, and when each probe is
//! due is the wait's timeout.

pub(crate) mod connect;
pub(crate) mod http;
pub(crate) mod run;
pub(crate) mod schedule;

use std::fmt;
use std::time::Duration;

use process_graph_topology::{ProbeCheck, ProbeInfo};

/// How a node's readiness or health is checked, for
/// [`NodeOptions::ready_probe`](crate::NodeOptions::ready_probe) and
/// [`NodeOptions::live_probe`](crate::NodeOptions::live_probe). What it is
/// given (an address, a URL, durations) is checked when the graph is
/// spawned, with the same rules the `#[process_graph]` macro applies at
/// compile time.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Graph, NodeOptions, Probe};
///
/// let mut graph = Graph::new();
/// let web = graph.node_with(
///     "web",
///     Command::new("python3").args(["-m", "http.server", "8000"]),
///     NodeOptions::new()
///         .ready_probe(Probe::tcp("127.0.0.1:8000"))
///         .live_probe(Probe::http("127.0.0.1:8000/").period(Duration::from_secs(5))),
/// );
/// # let _ = web;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    check: ProbeCheck,
    period: Option<Duration>,
    timeout: Option<Duration>,
    failure_threshold: Option<u32>,
}

impl Probe {
    /// Passes when a TCP connect to `address` succeeds: `"127.0.0.1:8080"`,
    /// `"[::1]:8080"` or `"localhost:8080"` (names are not resolved). For a
    /// node in a scope with its own network namespace, the connect is made
    /// in that namespace.
    ///
    /// ```
    /// use std::net::TcpListener;
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, NodeState, Probe};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?; // stands in for the server's socket
    /// let probe = Probe::tcp(listener.local_addr()?.to_string());
    /// let mut graph = Graph::new();
    /// let server = graph.node_with("server", Command::new("sleep").arg("10"), NodeOptions::new().ready_probe(probe));
    /// graph.node_with("client", Command::new("true"), NodeOptions::new().after([server]));
    /// let mut running = graph.spawn()?; // the client started once a connect succeeded
    /// assert_eq!(running.state(server), NodeState::Running);
    /// running.shutdown(Duration::from_secs(1))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tcp(address: impl Into<String>) -> Self {
        Probe::of(ProbeCheck::Tcp(address.into().into()))
    }

    /// Passes when `GET` of `[http://]host:port[/path]` answers with a 2xx
    /// or 3xx status (`https` is not probed).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Probe, Rule};
    ///
    /// let mut graph = Graph::new();
    /// let health = Probe::http("127.0.0.1:8080/healthz");
    /// graph.node_with("web", Command::new("web-server"), NodeOptions::new().live_probe(health));
    /// assert!(graph.validate().is_ok());
    /// let mut graph = Graph::new();
    /// let tls = Probe::http("https://127.0.0.1:8443/healthz"); // refused: not probed
    /// graph.node_with("web", Command::new("web-server"), NodeOptions::new().live_probe(tls));
    /// assert!(matches!(graph.validate().unwrap_err().violations()[0].rule, Rule::BadProbeAddress { .. }));
    /// ```
    pub fn http(url: impl Into<String>) -> Self {
        Probe::of(ProbeCheck::Http(url.into().into()))
    }

    /// Passes when this command (program, then arguments) exits 0. It runs
    /// in the node's scope and cgroup, is killed at the probe's timeout, and
    /// is reaped like any child. For a node whose scope is the
    /// application's uid outside (which may write its own cgroup's files,
    /// and freeze it), each attempt gets a fresh leaf of the node's cgroup,
    /// beside the node's own leaf and under its limits, removed once the
    /// attempt is reaped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, NodeState, Probe};
    ///
    /// # let dir = std::env::temp_dir().join(format!("process-graph-doc-exec-probe-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let ready = dir.join("ready").to_string_lossy().into_owned();
    /// let server = Command::new("sh").args(["-c", "sleep 0.1; touch \"$0\"; exec sleep 10", &ready]);
    /// let mut graph = Graph::new();
    /// let probe = Probe::exec(["test", "-e", &ready]);
    /// let server = graph.node_with("server", server, NodeOptions::new().ready_probe(probe));
    /// graph.node_with("client", Command::new("true"), NodeOptions::new().after([server]));
    /// let mut running = graph.spawn()?; // the client started once `test` exited 0
    /// assert_eq!(running.state(server), NodeState::Running);
    /// running.shutdown(Duration::from_secs(1))?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exec<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let argv: Vec<_> = argv.into_iter().map(|a| a.into().into()).collect();
        Probe::of(ProbeCheck::Exec(argv.into()))
    }

    /// Passes when a line of the node's stdout or stderr contains `text`;
    /// the line still goes wherever it was going. A readiness probe only.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, NodeState, Probe};
    ///
    /// let mut graph = Graph::new();
    /// let server = Command::new("sh").args(["-c", "echo starting; sleep 0.1; echo 'listening on :8080'; exec sleep 10"]);
    /// let server = graph.node_with("server", server, NodeOptions::new().ready_probe(Probe::log_line("listening on")));
    /// graph.node_with("client", Command::new("true"), NodeOptions::new().after([server]));
    /// let mut running = graph.spawn()?;
    /// assert_eq!(running.state(server), NodeState::Running);
    /// running.shutdown(Duration::from_secs(1))?;
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn log_line(text: impl Into<String>) -> Self {
        Probe::of(ProbeCheck::LogLine(text.into().into()))
    }

    /// How long after one attempt starts the next one starts (default
    /// 100 ms for a readiness probe, 10 s for a liveness probe).
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Probe};
    ///
    /// let mut graph = Graph::new();
    /// let probe = Probe::tcp("127.0.0.1:5432").period(Duration::from_secs(30));
    /// graph.node_with("db", Command::new("postgres"), NodeOptions::new().live_probe(probe));
    /// assert_eq!(graph.topology().nodes[0].live_probe.as_ref().map(|p| p.period_ms), Some(30_000));
    /// ```
    pub fn period(mut self, period: Duration) -> Self {
        self.period = Some(period);
        self
    }

    /// How long one attempt may take (default 1 s). A liveness attempt that
    /// takes longer kills the node at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Probe};
    ///
    /// let mut graph = Graph::new();
    /// // A check that hangs: its first attempt runs past 100 ms, and kills the node.
    /// let probe = Probe::exec(["sleep", "10"]).period(Duration::from_millis(10)).timeout(Duration::from_millis(100));
    /// let web = graph.node_with("web", Command::new("sleep").arg("10"), NodeOptions::new().live_probe(probe));
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report[web].killed_by_probe);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many liveness failures in a row kill the node (default 3).
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions, Probe};
    ///
    /// let mut graph = Graph::new();
    /// let probe = Probe::exec(["false"]).period(Duration::from_millis(20)).failure_threshold(2);
    /// let web = graph.node_with("web", Command::new("sleep").arg("10"), NodeOptions::new().live_probe(probe));
    /// let report = graph.spawn()?.wait()?; // killed at the second failure in a row
    /// assert!(report[web].killed_by_probe);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = Some(failures);
        self
    }

    fn of(check: ProbeCheck) -> Self {
        Probe {
            check,
            period: None,
            timeout: None,
            failure_threshold: None,
        }
    }

    /// The probe as data, what it leaves unset at the defaults of a
    /// readiness (`live: false`) or liveness probe.
    pub(crate) fn info(self, live: bool) -> ProbeInfo {
        let defaults = if live {
            ProbeInfo::live(self.check)
        } else {
            ProbeInfo::ready(self.check)
        };
        ProbeInfo {
            period_ms: self.period.map_or(defaults.period_ms, millis_up),
            timeout_ms: self.timeout.map_or(defaults.timeout_ms, millis_up),
            failure_threshold: self.failure_threshold.unwrap_or(defaults.failure_threshold),
            ..defaults
        }
    }
}

/// Whole milliseconds, rounded up: a nonzero duration stays nonzero.
fn millis_up(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// How a probe attempt ended.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Event, Graph, NodeOptions, Probe, ProbeResult};
///
/// let mut graph = Graph::new();
/// let probe = Probe::exec(["false"]).period(Duration::from_millis(20));
/// graph.node_with("web", Command::new("sleep").arg("10"), NodeOptions::new().live_probe(probe));
/// let mut running = graph.spawn()?;
/// let result = loop {
///     if let Some(Event::ProbeFailed { result, .. }) = running.next_event(None)? {
///         break result;
///     }
/// };
/// assert!(matches!(result, ProbeResult::Failed(_)));
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeResult {
    /// It passed.
    Passed,
    /// It failed, for this reason.
    Failed(String),
    /// It took longer than the probe's timeout.
    TimedOut,
}

impl fmt::Display for ProbeResult {
    /// `passed`, `timed out`, or why it failed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeResult::Passed => f.write_str("passed"),
            ProbeResult::Failed(why) => f.write_str(why),
            ProbeResult::TimedOut => f.write_str("timed out"),
        }
    }
}

/// Which of a node's probes.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Event, Graph, NodeOptions, Probe, ProbeKind};
///
/// let mut graph = Graph::new();
/// let probe = Probe::exec(["false"]).period(Duration::from_millis(20));
/// graph.node_with("web", Command::new("sleep").arg("10"), NodeOptions::new().live_probe(probe));
/// let mut running = graph.spawn()?;
/// let kind = loop {
///     if let Some(Event::ProbeFailed { probe, .. }) = running.next_event(None)? {
///         break probe;
///     }
/// };
/// assert_eq!((kind, kind.to_string()), (ProbeKind::Live, "liveness".to_owned()));
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    /// The readiness probe: passing once makes the node ready.
    Ready,
    /// The liveness probe: failing kills the node.
    Live,
}

impl fmt::Display for ProbeKind {
    /// `readiness` or `liveness`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProbeKind::Ready => "readiness",
            ProbeKind::Live => "liveness",
        })
    }
}

/// The state of one probe of a node, in a [`NodeSnapshot`](crate::NodeSnapshot).
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Graph, NodeOptions, Probe, ProbeKind, ProbeResult};
///
/// let mut graph = Graph::new();
/// let server = graph.node_with("server", Command::new("sleep").arg("10"), NodeOptions::new().ready_probe(Probe::exec(["true"])));
/// graph.node_with("client", Command::new("true"), NodeOptions::new().after([server]));
/// let mut running = graph.spawn()?; // the readiness probe has passed
/// let probe = &running.snapshot().nodes[server.index()].probes[0];
/// assert_eq!((probe.kind, &probe.last), (ProbeKind::Ready, &Some(ProbeResult::Passed)));
/// assert_eq!(probe.consecutive_failures, 0);
/// running.shutdown(Duration::from_secs(1))?;
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSnapshot {
    /// Which probe.
    pub kind: ProbeKind,
    /// How its last attempt ended; `None` before the first ends.
    pub last: Option<ProbeResult>,
    /// How many attempts in a row have failed (or timed out).
    pub consecutive_failures: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_settings_take_the_defaults_of_their_kind() {
        let ready = Probe::tcp("127.0.0.1:80").info(false);
        assert_eq!(ready.period_ms, ProbeInfo::DEFAULT_READY_PERIOD_MS);
        let live = Probe::tcp("127.0.0.1:80")
            .timeout(Duration::from_micros(1))
            .failure_threshold(5)
            .info(true);
        assert_eq!(live.period_ms, ProbeInfo::DEFAULT_LIVE_PERIOD_MS);
        assert_eq!((live.timeout_ms, live.failure_threshold), (1, 5));
        assert_eq!(
            Probe::exec(["true"])
                .period(Duration::ZERO)
                .info(true)
                .period_ms,
            0
        );
    }
}
