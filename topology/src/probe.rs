//! Probes as data: what a readiness or liveness probe checks, how often, and
//! how the addresses it is given are read — once, for the macro's
//! compile-time check and for the runtime that connects to them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::model::{List, Text};

/// What a probe checks.
///
/// ```
/// use process_graph_topology::ProbeCheck;
///
/// let check = ProbeCheck::Http("127.0.0.1:8000/health".into());
/// assert_eq!(check.to_string(), "http = \"127.0.0.1:8000/health\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeCheck {
    /// A TCP connect to `host:port` succeeds.
    Tcp(Text),
    /// `GET` of `[http://]host:port[/path]` answers with a 2xx or 3xx status.
    Http(Text),
    /// A command (program, then arguments) exits 0.
    Exec(List<Text>),
    /// A line of the node's stdout or stderr contains this text.
    LogLine(Text),
}

impl ProbeCheck {
    /// The key that declares it: `tcp`, `http`, `exec`, `log`.
    ///
    /// ```
    /// use process_graph_topology::ProbeCheck;
    ///
    /// let check = ProbeCheck::Exec(vec!["pg_isready".into(), "-q".into()].into());
    /// assert_eq!(check.key(), "exec");
    /// assert_eq!(ProbeCheck::LogLine("ready".into()).key(), "log");
    /// ```
    pub fn key(&self) -> &'static str {
        match self {
            ProbeCheck::Tcp(_) => "tcp",
            ProbeCheck::Http(_) => "http",
            ProbeCheck::Exec(_) => "exec",
            ProbeCheck::LogLine(_) => "log",
        }
    }
}

impl fmt::Display for ProbeCheck {
    /// As declared: `tcp = "127.0.0.1:80"`, `exec = ["pg_isready", "-q"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeCheck::Tcp(text) | ProbeCheck::Http(text) | ProbeCheck::LogLine(text) => {
                write!(f, "{} = {text:?}", self.key())
            }
            ProbeCheck::Exec(argv) => write!(f, "exec = {argv:?}"),
        }
    }
}

/// A readiness or liveness probe: `ready_probe(...)` or `live_probe(...)`.
///
/// ```
/// use process_graph_topology::{ProbeCheck, ProbeInfo};
///
/// // `live_probe(tcp = "127.0.0.1:5432", period = "5s")`
/// let probe = ProbeInfo { period_ms: 5_000, ..ProbeInfo::live(ProbeCheck::Tcp("127.0.0.1:5432".into())) };
/// assert_eq!(probe.failure_threshold, ProbeInfo::DEFAULT_FAILURE_THRESHOLD);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeInfo {
    /// What it checks.
    pub check: ProbeCheck,
    /// How long after one attempt the next starts, in milliseconds.
    pub period_ms: u64,
    /// How long one attempt may take, in milliseconds; longer is a failure
    /// (and kills a node whose liveness probe it is).
    pub timeout_ms: u64,
    /// A liveness probe kills the node after this many failures in a row.
    pub failure_threshold: u32,
}

impl ProbeInfo {
    /// How often a readiness probe tries when it sets no `period`: a port
    /// that opens is seen within 100 ms.
    ///
    /// ```
    /// use process_graph_topology::{ProbeCheck, ProbeInfo};
    ///
    /// let probe = ProbeInfo::ready(ProbeCheck::Tcp("127.0.0.1:8080".into()));
    /// assert_eq!(probe.period_ms, ProbeInfo::DEFAULT_READY_PERIOD_MS);
    /// assert_eq!(ProbeInfo::DEFAULT_READY_PERIOD_MS, 100);
    /// ```
    pub const DEFAULT_READY_PERIOD_MS: u64 = 100;
    /// How often a liveness probe runs when it sets no `period` (as
    /// Kubernetes).
    ///
    /// ```
    /// use process_graph_topology::{ProbeCheck, ProbeInfo};
    ///
    /// let probe = ProbeInfo::live(ProbeCheck::Tcp("127.0.0.1:8080".into()));
    /// assert_eq!(probe.period_ms, ProbeInfo::DEFAULT_LIVE_PERIOD_MS);
    /// assert_eq!(ProbeInfo::DEFAULT_LIVE_PERIOD_MS, 10_000);
    /// ```
    pub const DEFAULT_LIVE_PERIOD_MS: u64 = 10_000;
    /// How long one attempt may take when a probe sets no `timeout`.
    ///
    /// ```
    /// use process_graph_topology::{ProbeCheck, ProbeInfo};
    ///
    /// let probe = ProbeInfo::live(ProbeCheck::Http("127.0.0.1:8080/health".into()));
    /// assert_eq!(probe.timeout_ms, ProbeInfo::DEFAULT_TIMEOUT_MS);
    /// assert_eq!(ProbeInfo::DEFAULT_TIMEOUT_MS, 1_000);
    /// ```
    pub const DEFAULT_TIMEOUT_MS: u64 = 1_000;
    /// Failures in a row that kill a node, when a liveness probe sets no
    /// `failure_threshold` (as Kubernetes).
    ///
    /// ```
    /// use process_graph_topology::{ProbeCheck, ProbeInfo};
    ///
    /// let probe = ProbeInfo::live(ProbeCheck::Tcp("127.0.0.1:5432".into()));
    /// assert_eq!(probe.failure_threshold, ProbeInfo::DEFAULT_FAILURE_THRESHOLD);
    /// let tolerant = ProbeInfo { failure_threshold: 2 * ProbeInfo::DEFAULT_FAILURE_THRESHOLD, ..probe };
    /// assert_eq!(tolerant.failure_threshold, 6);
    /// ```
    pub const DEFAULT_FAILURE_THRESHOLD: u32 = 3;

    /// A readiness probe with the default period and timeout.
    ///
    /// ```
    /// use process_graph_topology::{NodeInfo, ProbeCheck, ProbeInfo, Topology};
    ///
    /// // `ready_probe(log = "listening")`
    /// let probe = ProbeInfo::ready(ProbeCheck::LogLine("listening".into()));
    /// assert_eq!((probe.period_ms, probe.timeout_ms), (100, 1_000));
    /// let node = NodeInfo { name: "server".into(), ready_probe: Some(probe), ..NodeInfo::default() };
    /// let topology = Topology { nodes: vec![node].into(), ..Topology::default() };
    /// assert!(topology.check().is_ok());
    /// ```
    pub fn ready(check: ProbeCheck) -> Self {
        ProbeInfo {
            check,
            period_ms: Self::DEFAULT_READY_PERIOD_MS,
            timeout_ms: Self::DEFAULT_TIMEOUT_MS,
            failure_threshold: Self::DEFAULT_FAILURE_THRESHOLD,
        }
    }

    /// A liveness probe with the default period, timeout and threshold.
    ///
    /// ```
    /// use process_graph_topology::{NodeInfo, ProbeCheck, ProbeInfo, Topology};
    ///
    /// // `live_probe(tcp = "127.0.0.1:5432")`
    /// let probe = ProbeInfo::live(ProbeCheck::Tcp("127.0.0.1:5432".into()));
    /// assert_eq!((probe.period_ms, probe.failure_threshold), (10_000, 3));
    /// let node = NodeInfo { name: "db".into(), live_probe: Some(probe), ..NodeInfo::default() };
    /// let topology = Topology { nodes: vec![node].into(), ..Topology::default() };
    /// assert!(topology.check().is_ok());
    /// ```
    pub fn live(check: ProbeCheck) -> Self {
        ProbeInfo {
            period_ms: Self::DEFAULT_LIVE_PERIOD_MS,
            ..Self::ready(check)
        }
    }
}

/// Why a probe's address or URL is refused.
///
/// ```
/// use process_graph_topology::probe_address;
///
/// let refused = probe_address("127.0.0.1:0").unwrap_err();
/// assert_eq!(refused.to_string(), "bad port \"0\" in \"127.0.0.1:0\"; ports go from 1 to 65535");
/// assert!(probe_address("db:5432").unwrap_err().0.contains("does not resolve names"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError(pub String);

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a TCP probe's `host:port`: an IPv4 or bracketed IPv6 literal, or
/// `localhost` (127.0.0.1), and a port from 1 to 65535. Names other than
/// `localhost` are refused: resolving them would block.
///
/// ```
/// use process_graph_topology::probe_address;
///
/// assert_eq!(probe_address("localhost:80").unwrap().to_string(), "127.0.0.1:80");
/// assert_eq!(probe_address("[::1]:8080").unwrap().port(), 8080);
/// assert!(probe_address("db.example:5432").is_err());
/// assert!(probe_address("127.0.0.1:0").is_err());
/// ```
pub fn probe_address(text: &str) -> Result<SocketAddr, AddressError> {
    let (host, port) = text.rsplit_once(':').ok_or_else(|| {
        AddressError(format!(
            "\"{text}\" has no port; write host:port, e.g. \"127.0.0.1:8080\""
        ))
    })?;
    let port: u16 = match port.parse() {
        Ok(port) if port > 0 => port,
        _ => {
            return Err(AddressError(format!(
                "bad port \"{port}\" in \"{text}\"; ports go from 1 to 65535"
            )));
        }
    };
    let ip = if host == "localhost" {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        IpAddr::V6(v6.parse().map_err(|_| bad_host(text))?)
    } else {
        IpAddr::V4(host.parse().map_err(|_| bad_host(text))?)
    };
    Ok(SocketAddr::new(ip, port))
}

fn bad_host(text: &str) -> AddressError {
    AddressError(format!(
        "bad host in \"{text}\"; write an IP address (\"127.0.0.1\", \"[::1]\") or \"localhost\": \
         a probe does not resolve names"
    ))
}

/// Reads an HTTP probe's `[http://]host:port[/path]`: the address as
/// [`probe_address`], and the path (`/` when none is given), which may hold
/// only visible ASCII so that it cannot end the request line early.
///
/// ```
/// use process_graph_topology::http_target;
///
/// let (address, path) = http_target("http://127.0.0.1:8000/health?full=1").unwrap();
/// assert_eq!((address.port(), path), (8000, "/health?full=1"));
/// assert_eq!(http_target("localhost:80").unwrap().1, "/");
/// assert!(http_target("https://127.0.0.1:443/").is_err());
/// ```
pub fn http_target(text: &str) -> Result<(SocketAddr, &str), AddressError> {
    if text.starts_with("https://") {
        return Err(AddressError(format!(
            "\"{text}\": https is not probed; probe the port with `tcp`, or an http port"
        )));
    }
    let rest = text.strip_prefix("http://").unwrap_or(text);
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    if let Some(c) = path.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(AddressError(format!(
            "the path of \"{text}\" holds {c:?}; write it URL-encoded (visible ASCII only)"
        )));
    }
    Ok((probe_address(authority)?, path))
}
