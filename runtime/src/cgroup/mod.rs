//! Containment without namespaces: each node in a cgroup v2 of its own.
//!
//! A graph gets a cgroup under the application's cgroup, and each node a
//! cgroup inside it. Nodes are placed there atomically by
//! `clone3(CLONE_INTO_CGROUP)`, so no fork escapes in a window (a node in a
//! scope through the carried program, which is cloned into the node's
//! cgroup and clones the node there). Whatever a
//! node starts — setsid'd and double-forked daemons included — stays in its
//! cgroup: when the node's main process exits, `cgroup.kill` ends the rest,
//! and the node is over once `cgroup.events` says `populated 0`. A watcher
//! process (the carried program's `watch` mode, `carried/watch.rs`) does
//! the same for the whole graph when the application dies.
//!
//! Nothing here touches a cgroup the graph did not create, and every cgroup
//! it creates is removed again.

mod discover;
mod handle;
mod limits;
mod node;
mod remove;
mod tree;
mod watcher;

pub(crate) use discover::{ended_in_cgroups, in_cgroup};
pub(crate) use limits::Limits;
pub(crate) use node::NodeRef;
pub(crate) use tree::GraphCgroup;

use crate::error::Error;
use crate::graph::Graph;

/// Whether a graph's nodes run in cgroups of their own.
///
/// The rule: **automatic where the application may create cgroups** — in
/// the cgroup v2 hierarchy, as root, or in a delegated subtree (a systemd
/// service with `Delegate=yes`, or any cgroup whose directory and
/// `cgroup.procs` the application may write). Elsewhere a graph runs as it
/// would without cgroups, unless it says [`Required`](Containment::Required).
///
/// ```
/// use process_graph_runtime::{Command, Containment, Error, Graph};
///
/// let mut graph = Graph::new();
/// graph.node("daemon", Command::new("true"));
/// graph.containment(Containment::Required);
/// match graph.spawn() {
///     Ok(mut running) => assert!(running.wait()?.success()),
///     // Not root and not in a delegated cgroup: nothing was started.
///     Err(Error::CgroupUnavailable { reason, .. }) => eprintln!("no cgroups: {reason}"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Containment {
    /// Cgroups where the application may create them, none elsewhere. The
    /// default.
    #[default]
    Auto,
    /// Cgroups, or [`Error::CgroupUnavailable`] at spawn, before anything
    /// is started.
    Required,
    /// No cgroups: nodes stay in the application's cgroup. A node with a
    /// resource limit then fails to spawn.
    Off,
}

/// Creates the cgroups `graph` gets under its containment rule, with each
/// node's resource limits written, or `None` where it runs without.
pub(crate) fn prepare(graph: &Graph) -> Result<Option<GraphCgroup>, Error> {
    let limited = graph
        .nodes
        .iter()
        .find(|n| !n.options.rare().limits.is_empty());
    let unavailable = |reason: String| Error::CgroupUnavailable {
        node: limited.map(|n| n.name.clone()),
        reason,
    };
    let required = graph.containment == Containment::Required || limited.is_some();
    if graph.containment == Containment::Off {
        return match limited {
            Some(_) => Err(unavailable("containment is off for this graph".into())),
            None => Ok(None),
        };
    }
    let app = match discover::discover() {
        Ok(app) => app,
        Err(reason) if required => return Err(unavailable(reason)),
        Err(_) => return Ok(None),
    };
    let names: Vec<&str> = graph.nodes.iter().map(|n| n.name.as_str()).collect();
    let mut cgroups = match GraphCgroup::create(&app, &names) {
        Ok(cgroups) => cgroups,
        // A kernel without `cgroup.kill`; or no more levels below the
        // application's cgroup (`EAGAIN`): a program of this library nested
        // in another's node takes two (graph and node) of the 16 the
        // outermost graph allows, so the ninth finds none left.
        Err(e)
            if e.kind() == std::io::ErrorKind::Unsupported
                || e.raw_os_error() == Some(libc::EAGAIN) =>
        {
            return if required {
                Err(unavailable(match e.raw_os_error() {
                    Some(libc::EAGAIN) => format!(
                        "the application's cgroup {} allows no more cgroups below it \
                         (cgroup.max.depth or cgroup.max.descendants): {e}",
                        app.path.display()
                    ),
                    _ => e.to_string(),
                }))
            } else {
                Ok(None)
            };
        }
        Err(e) => return Err(Error::io(None, "create the graph's cgroups", e)),
    };
    enable_controllers(graph, &mut cgroups)?;
    apply_limits(graph, &mut cgroups)?;
    Ok(Some(cgroups))
}

/// Enables for the nodes' cgroups each controller a node's limits need —
/// failing, naming it, where one is not available — and the memory
/// controller wherever it is, which tells OOM kills apart.
fn enable_controllers(graph: &Graph, cgroups: &mut GraphCgroup) -> Result<(), Error> {
    let failed = |e| Error::io(None, "enable a cgroup controller", e);
    let mut wanted: Vec<(&str, Option<&str>)> = vec![("memory", None)];
    for node in &graph.nodes {
        for (controller, _, _) in node.options.rare().limits.files() {
            match wanted.iter_mut().find(|(c, _)| *c == controller) {
                Some((_, first @ None)) => *first = Some(&node.name),
                Some(_) => {}
                None => wanted.push((controller, Some(&node.name))),
            }
        }
    }
    let available = cgroups.available_controllers().map_err(failed)?;
    for (controller, needed_by) in wanted {
        if available.split_whitespace().any(|c| c == controller) {
            cgroups.enable(controller).map_err(failed)?;
        } else if let Some(node) = needed_by {
            return Err(Error::ControllerUnavailable {
                node: node.to_owned(),
                controller,
            });
        }
    }
    Ok(())
}

/// Writes every node's limits (their controllers are enabled).
fn apply_limits(graph: &Graph, cgroups: &mut GraphCgroup) -> Result<(), Error> {
    for (index, node) in graph.nodes.iter().enumerate() {
        cgroups
            .limit(index, node.options.rare().limits)
            .map_err(|e| Error::io(Some(&node.name), "write a cgroup resource limit", e))?;
    }
    Ok(())
}
