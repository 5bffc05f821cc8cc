//! A point-in-time view of every node, printable as a table.

use std::fmt;
use std::time::{Duration, Instant};

use super::NodeState;
use super::{Core, Driver};
use crate::exit::ExitStatus;
use crate::probe::ProbeSnapshot;

/// One node's status.
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Graph, NodeState};
///
/// let mut graph = Graph::new();
/// let sleeper = graph.node("sleeper", Command::new("sleep").arg("10"));
/// let mut running = graph.spawn()?;
/// let node = &running.snapshot().nodes[sleeper.index()];
/// assert_eq!((node.name.as_str(), node.state, node.restarts), ("sleeper", NodeState::Running, 0));
/// assert_eq!(node.pid, running.pid(sleeper));
/// assert!(node.uptime.is_some() && node.last_exit.is_none());
/// running.shutdown(Duration::from_secs(1))?;
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSnapshot {
    /// The node's name.
    pub name: String,
    /// Its current pid, if it has a live process.
    pub pid: Option<u32>,
    /// Where it is in its life.
    pub state: NodeState,
    /// How many times it was restarted.
    pub restarts: u32,
    /// How long its current process has been running.
    pub uptime: Option<Duration>,
    /// How its last process ended.
    pub last_exit: Option<ExitStatus>,
    /// The last `STATUS=` text it sent over `NOTIFY_SOCKET`.
    pub status_text: Option<String>,
    /// How many processes are in its cgroup — its main process and
    /// everything it started that is still alive, daemons included; `None`
    /// where the node has no cgroup (see [`Containment`](crate::Containment)).
    pub processes: Option<usize>,
    /// Its readiness probe, then its liveness probe, where declared: how
    /// each one's last attempt ended and how many failed in a row.
    pub probes: Vec<ProbeSnapshot>,
}

/// The status of every node of a running graph.
///
/// ```
/// use process_graph_runtime::{Command, Graph, NodeState};
///
/// let mut graph = Graph::new();
/// let sleeper = graph.node("sleeper", Command::new("sleep").arg("5"));
/// let running = graph.spawn()?;
/// let snapshot = running.snapshot();
/// assert_eq!(snapshot.nodes[sleeper.index()].state, NodeState::Running);
/// println!("{snapshot}");
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// One entry per node, in declaration order (nodes removed from the
    /// running graph left out).
    pub nodes: Vec<NodeSnapshot>,
}

impl Snapshot {
    pub(crate) fn of(core: &Core, io: &Driver) -> Snapshot {
        let now = Instant::now();
        let nodes = core
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| !node.removed)
            .map(|(i, node)| {
                let pid = io.pid(i);
                NodeSnapshot {
                    name: core.names[i].clone(),
                    pid,
                    state: node.state,
                    restarts: node.restarts,
                    uptime: pid.and(node.started_at).map(|t| now.duration_since(t)),
                    last_exit: node.last_exit,
                    status_text: io.nodes[i].status_text.clone(),
                    processes: io.launcher.cgroup(i).and_then(|c| c.process_count().ok()),
                    probes: core.probe_snapshots(i),
                }
            })
            .collect();
        Snapshot { nodes }
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 9]> = self
            .nodes
            .iter()
            .map(|n| {
                [
                    n.name.clone(),
                    n.pid.map_or("-".into(), |p| p.to_string()),
                    n.processes.map_or("-".into(), |p| p.to_string()),
                    n.state.to_string(),
                    n.restarts.to_string(),
                    n.uptime
                        .map_or("-".into(), |u| format!("{:.1}s", u.as_secs_f64())),
                    n.last_exit.map_or("-".into(), |e| e.to_string()),
                    probes_cell(&n.probes),
                    n.status_text.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let header = [
            "NODE",
            "PID",
            "PROCS",
            "STATE",
            "RESTARTS",
            "UPTIME",
            "LAST EXIT",
            "PROBES",
            "STATUS",
        ];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: &[&str]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            writeln!(f, "{}", padded.join("  ").trim_end())
        };
        line(f, &header)?;
        for row in &rows {
            line(f, &row.each_ref().map(String::as_str))?;
        }
        Ok(())
    }
}

/// `readiness: passed; liveness: 2 failed, timed out`, or `-`.
fn probes_cell(probes: &[ProbeSnapshot]) -> String {
    if probes.is_empty() {
        return "-".into();
    }
    let each = probes.iter().map(|p| {
        let last = p.last.as_ref().map_or("not run".into(), |r| r.to_string());
        match p.consecutive_failures {
            0 => format!("{}: {last}", p.kind),
            n => format!("{}: {n} failed, {last}", p.kind),
        }
    });
    each.collect::<Vec<_>>().join("; ")
}
