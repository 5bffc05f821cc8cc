//! The three things measured for each set of namespaces: the raw `clone3`
//! with the same `CLONE_NEW*` flags, a new scope with one node, and one
//! more node started into a scope that already exists.

use std::io;
use std::path::{Path, PathBuf};

use process_graph_runtime::{Command, Containment, Graph, NodeId, NodeOptions, ScopeSpec};
use rustix::process::WaitIdOptions;

use super::sets::NamespaceSet;
use crate::exec_args::ExecArgs;
use crate::floor::{self, ChildSetup};
use crate::measure::{Restarting, Subject, exited_zero, spawn_and_wait};

/// The subjects for `set`, in the order the report reads them: raw, (a), (b).
pub fn for_set(set: &NamespaceSet, child: &Path) -> io::Result<[Box<dyn Subject>; 3]> {
    let label = set.label();
    Ok([
        Box::new(RawClone {
            label: format!("{label}: raw clone3 + CLONE_NEW* + exec + reap"),
            exec: ExecArgs::new(child)?,
            flags: set.clone_flags(),
        }),
        Box::new(NewScope {
            label: format!("{label}: (a) new scope + 1 node, spawn + wait"),
            child: child.to_owned(),
            scope: scope_spec(set),
        }),
        Box::new({
            let (child, scope) = (child.to_owned(), scope_spec(set));
            Restarting::new(
                format!("{label}: (b) one more node in the live scope"),
                move |options| graph_with(&child, &scope, options),
            )
        }),
    ])
}

/// The scope for `set`; `None` for the empty set (no scope at all).
fn scope_spec(set: &NamespaceSet) -> Option<ScopeSpec> {
    (!set.0.is_empty()).then(|| ScopeSpec::new(set.0.iter().copied()))
}

/// A one-node graph, the node inside a new scope built from `scope`.
fn graph_with(child: &Path, scope: &Option<ScopeSpec>, options: NodeOptions) -> (Graph, NodeId) {
    let mut graph = Graph::new();
    // Scopes alone, without the cost of a graph's cgroups.
    graph.containment(Containment::Off);
    let options = match scope {
        Some(spec) => options.scope(graph.scope("bench", spec.clone())),
        None => options,
    };
    let node = graph.node_with("child", Command::new(child), options);
    (graph, node)
}

/// The floor: `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_NEW*)`
/// straight into `execve`, reaped with `waitid`. Nothing sets the new
/// namespaces up: no id maps, no `lo`, no `/proc`.
struct RawClone {
    label: String,
    exec: ExecArgs,
    flags: u64,
}

impl Subject for RawClone {
    fn label(&self) -> &str {
        &self.label
    }

    fn is_floor(&self) -> bool {
        true
    }

    fn run_once(&mut self) -> io::Result<()> {
        let child = floor::spawn(&self.exec, self.flags, ChildSetup::None)?;
        let status = floor::wait(&child, WaitIdOptions::empty())?;
        exited_zero(status.exit_status() == Some(0), format_args!("{status:?}"))
    }
}

/// (a) Creating a scope: a graph with the scope and one node, spawned and
/// waited — the scope's init created with the namespaces and set up, the
/// node joined to it, the node reaped, the init killed and reaped.
struct NewScope {
    label: String,
    child: PathBuf,
    scope: Option<ScopeSpec>,
}

impl Subject for NewScope {
    fn label(&self) -> &str {
        &self.label
    }

    fn is_floor(&self) -> bool {
        false
    }

    fn run_once(&mut self) -> io::Result<()> {
        let (graph, _) = graph_with(&self.child, &self.scope, NodeOptions::new());
        spawn_and_wait(graph)
    }
}
