//! The cgroups of one graph: one under the application's cgroup, one per
//! node inside it, watched by the application's watcher (`watcher.rs`),
//! which removes them if the application dies first. Created when the graph
//! is spawned, before any node; removed when the graph has finished — and
//! by `Drop` on every other path, a failed spawn included.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use rustix::fs::{AtFlags, Mode, OFlags, mkdirat, open};

use super::discover::AppCgroup;
use super::handle::{Cgroup, open_file, read_file, write_file};
use super::limits::Limits;
use super::node::{NodeCgroup, NodeRef, path_below};
use super::remove::remove_tree;
use super::watcher;
use crate::owner::Owner;
use crate::probe::ProbeKind;

/// How long removal waits for SIGKILLed processes to be gone. SIGKILL
/// cannot be caught; only a process stuck in the kernel takes this long.
const EMPTY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct GraphCgroup {
    /// The application's cgroup directory: only our cgroup is created and
    /// removed in it, nothing else in it is touched.
    parent: OwnedFd,
    graph: Cgroup,
    /// The graph's cgroup's path in the hierarchy, as `/proc/PID/cgroup`
    /// names it: cgroup v2 renames no cgroup, so it holds for its life.
    path: PathBuf,
    /// Per node: its cgroup (`None` once a node removed at run time has
    /// had its cgroup removed).
    nodes: Vec<Option<NodeCgroup>>,
    /// The paths of cgroups that could not be removed when they were done
    /// with, a process still in them: a replaced node cgroup or leaf, a
    /// removed node's, an exec probe attempt's (killed). Tried again at
    /// each probe attempt's start, and removed with the rest.
    retired: Vec<CString>,
    /// The cgroup of each exec probe attempt in flight that has one of its
    /// own (see [`probe_cgroup`](Self::probe_cgroup)), by node and probe.
    probes: BTreeMap<(usize, ProbeKind), ProbeCgroup>,
    /// How many probe cgroups were made: the next one's number.
    probes_made: u32,
    removed: bool,
    /// The process that created them: a forked copy removes nothing.
    owner: Owner,
    /// The memory controller is enabled for the nodes' cgroups, so each
    /// has a `memory.events` that counts OOM kills.
    memory: bool,
}

impl GraphCgroup {
    /// Makes sure the application's watcher runs, creates the graph's
    /// cgroup in `app`, then one cgroup for each node named in `nodes`. Whatever was created is removed again if a later step
    /// fails.
    ///
    /// `Err` of kind `Unsupported` if the kernel has no `cgroup.kill`.
    pub(crate) fn create(app: &AppCgroup, nodes: &[&str]) -> io::Result<GraphCgroup> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let parent = open(
            &app.dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        // Before the graph's cgroup exists: an application killed from its
        // `mkdir` on leaves the cgroup to the watcher, not behind.
        watcher::ensure(&app.dir, parent.as_fd())?;
        // The application's prefix (its pid and a random token of its own)
        // and a number: a name nobody else's graph has.
        let name = format!(
            "{}{}",
            watcher::prefix()?,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = app.path.join(&name);
        let graph = Cgroup::create(parent.as_fd(), CString::new(name)?)?;
        let mut created = GraphCgroup {
            parent,
            graph,
            path,
            nodes: Vec::with_capacity(nodes.len()),
            retired: Vec::new(),
            probes: BTreeMap::new(),
            probes_made: 0,
            removed: false,
            owner: Owner::current(),
            memory: false,
        };
        // A kernel found to have it keeps it: asked once per process.
        static HAS_KILL: AtomicBool = AtomicBool::new(false);
        if !HAS_KILL.load(Ordering::Relaxed) {
            let kill = rustix::fs::statat(created.graph.dir(), c"cgroup.kill", AtFlags::empty());
            if matches!(kill, Err(rustix::io::Errno::NOENT)) {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "the kernel has no cgroup.kill (Linux 5.14)",
                ));
            }
            HAS_KILL.store(true, Ordering::Relaxed);
        }
        // No node may nest cgroups deeper than removal walks: past it, the
        // graph's cgroups could not be removed.
        created.graph.write(
            "cgroup.max.depth",
            &crate::sys::CGROUP_MAX_DEPTH.to_string(),
        )?;
        for name in nodes {
            created.add_node(name)?;
        }
        Ok(created)
    }

    /// How many nodes have (or had) a cgroup.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Creates the cgroup of the next node, named `name`.
    pub(crate) fn add_node(&mut self, name: &str) -> io::Result<()> {
        let dir_name = node_dir_name(self.nodes.len(), name);
        let node = NodeCgroup::create(self.graph.dir(), dir_name)?;
        self.nodes.push(Some(node));
        Ok(())
    }

    /// Removes the cgroups of every node from `len` on (made for nodes that
    /// then could not be added).
    pub(crate) fn truncate(&mut self, len: usize) {
        for index in len..self.nodes.len() {
            self.remove_node(index);
        }
        self.nodes.truncate(len);
    }

    /// Removes node `index`'s cgroup, which its exit drained: the node was
    /// removed from the running graph and never starts again.
    pub(crate) fn remove_node(&mut self, index: usize) {
        self.end_probe(index, ProbeKind::Ready);
        self.end_probe(index, ProbeKind::Live);
        if let Some(node) = self.nodes.get_mut(index).and_then(Option::take) {
            self.remove_or_retire(node.name().to_owned());
        }
    }

    /// Node `index`'s cgroup (none once the cgroups are removed).
    pub(crate) fn node(&self, index: usize) -> Option<NodeRef<'_>> {
        let node = self.nodes.get(index)?.as_ref()?;
        Some(NodeRef {
            graph: self.graph.dir(),
            node,
        })
    }

    /// The graph's cgroup's path in the hierarchy, as `/proc/PID/cgroup`
    /// names it.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The path in the hierarchy of the cgroup node `index`'s processes run
    /// in (its own or its leaf), as `/proc/PID/cgroup` names it.
    pub(crate) fn process_path(&self, index: usize) -> Option<PathBuf> {
        let node = self.nodes.get(index)?.as_ref()?;
        let dir = node.process_dir().ok()?;
        Some(self.path.join(OsStr::from_bytes(dir.to_bytes())))
    }

    /// Node `index`'s main process has exited: `cgroup.events`, to wait on,
    /// if a process is left in its cgroup (see [`NodeCgroup::drain`]).
    pub(crate) fn drain(&mut self, index: usize) -> io::Result<Option<BorrowedFd<'_>>> {
        match self.nodes.get_mut(index).and_then(Option::as_mut) {
            Some(node) => node.drain(self.graph.dir()),
            None => Ok(None),
        }
    }

    /// Node `index` no longer drains: its `cgroup.events`, to close once out
    /// of the wait set.
    pub(crate) fn end_drain(&mut self, index: usize) -> Option<OwnedFd> {
        self.nodes.get_mut(index)?.as_mut()?.end_drain()
    }

    /// Writes node `index`'s resource limits (their controllers are
    /// enabled), and keeps them for its replacements.
    pub(crate) fn limit(&mut self, index: usize, limits: Limits) -> io::Result<()> {
        let Some(node) = self.nodes.get_mut(index).and_then(Option::as_mut) else {
            return Ok(());
        };
        NodeRef {
            graph: self.graph.dir(),
            node,
        }
        .write_limits(limits)?;
        node.limits = (!limits.is_empty()).then(|| Box::new(limits));
        Ok(())
    }

    /// Makes node `index`'s cgroup one the node may be cloned into.
    ///
    /// This kernel (measured on 6.18) SIGKILLs a child cloned with
    /// `CLONE_INTO_CGROUP` into a cgroup that was ever killed through
    /// `cgroup.kill`, before its first instruction — the fork-versus-kill
    /// check compares the target cgroup's kill count with the *caller's*
    /// cgroup's. So after a kill the node gets a fresh cgroup, with its
    /// limits, and the old one (empty: a node starts again only once its
    /// cgroup has drained) is removed. A start after a clean exit reuses the
    /// cgroup and costs nothing here.
    ///
    /// With `own_leaf`, for a node whose processes own its cgroup's files
    /// (a scope that is the application's uid outside), they run in a
    /// fresh leaf of its cgroup at every start, never in the cgroup itself.
    /// Through a cgroup namespace and `cgroup2` mount of its own, such a
    /// node may write every file of the cgroup it runs in (where the host
    /// mounts cgroup2 without `nsdelegate`): in its own cgroup it could
    /// raise its limits, which a leaf does not have (they stay on the
    /// cgroup above it, which it cannot see), and it could freeze it, and a
    /// child cloned into a frozen cgroup stops before its `execve`, holding
    /// the application in `clone3`: a fresh leaf is one it has never seen.
    pub(crate) fn ready_for_start(&mut self, index: usize, own_leaf: bool) -> io::Result<()> {
        let graph = self.graph.dir();
        let Some(node) = self.nodes.get_mut(index).and_then(Option::as_mut) else {
            return Ok(());
        };
        let replaced = match (NodeRef { graph, node }).was_killed() {
            true => Some(node.replace(graph)?),
            false => None,
        };
        let old_leaf = match own_leaf {
            true => node.fresh_leaf(graph)?,
            false => None,
        };
        for old in replaced.into_iter().chain(old_leaf) {
            self.remove_or_retire(old);
        }
        Ok(())
    }

    /// Removes the cgroup at `path` below the graph's, or keeps it to try
    /// again (a process is still in it).
    fn remove_or_retire(&mut self, path: CString) {
        if remove_tree(self.graph.dir(), &path).is_err() {
            self.retired.push(path);
        }
    }

    /// A fresh cgroup for an attempt of node `index`'s exec probe `kind` to
    /// be cloned into, for a node whose processes run in a leaf (see
    /// [`ready_for_start`](Self::ready_for_start)): a leaf of the node's
    /// cgroup beside the node's own, under the node's limits. Its
    /// directory, to close once the attempt is cloned.
    ///
    /// Never the node's leaf, which the node may have frozen; and a fresh
    /// one for each attempt, because an attempt runs in the node's scope,
    /// where the node may make it freeze its leaf in turn. The attempt's
    /// cgroup goes at [`end_probe`](Self::end_probe).
    pub(crate) fn probe_cgroup(&mut self, index: usize, kind: ProbeKind) -> io::Result<OwnedFd> {
        let graph = self.graph.dir();
        // Those an attempt left a process in were killed since.
        self.retired.retain(|name| gone(graph, name).is_err());
        let node = self.nodes.get(index).and_then(Option::as_ref);
        let node = node.ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        let name = format!("probe{}", self.probes_made);
        self.probes_made = self.probes_made.wrapping_add(1);
        let path = node.child_path(name.as_bytes())?;
        let kill = path_below(&path, b"cgroup.kill")?;
        mkdirat(graph, path.as_c_str(), Mode::from_raw_mode(0o755))?;
        // Opened before the attempt exists: a `chmod` of the attempt's
        // (which owns the file) cannot keep it from being killed.
        let kill = match open_file(graph, &kill, OFlags::WRONLY) {
            Ok(kill) => kill,
            Err(e) => {
                let _ = remove_tree(graph, &path);
                return Err(e.into());
            }
        };
        let dir = open_file(graph, &path, OFlags::RDONLY | OFlags::DIRECTORY);
        self.probes
            .insert((index, kind), ProbeCgroup { path, kill });
        Ok(dir?)
    }

    /// The attempt of node `index`'s probe `kind` was reaped (or could not
    /// be started): its cgroup, if it has one, is removed — or, if the
    /// attempt left a process in it, killed and removed later.
    pub(crate) fn end_probe(&mut self, index: usize, kind: ProbeKind) {
        let Some(ProbeCgroup { path, kill }) = self.probes.remove(&(index, kind)) else {
            return;
        };
        if remove_tree(self.graph.dir(), &path).is_err() {
            let _ = write_file(kill, "1");
            self.retired.push(path);
        }
    }

    /// Enables `controller` for the nodes' cgroups (the graph's own holds
    /// no process, so it may).
    pub(crate) fn enable(&mut self, controller: &str) -> io::Result<()> {
        self.graph
            .write("cgroup.subtree_control", &format!("+{controller}"))?;
        self.memory |= controller == "memory";
        Ok(())
    }

    /// Node `index`'s OOM kill count, where the memory controller tells it.
    pub(crate) fn oom_kills(&self, index: usize) -> Option<u64> {
        self.memory.then(|| self.node(index)?.oom_kills())?
    }

    /// The controllers that may be enabled for the nodes' cgroups: the
    /// graph's `cgroup.controllers`, read as the application's
    /// `cgroup.subtree_control`, which it mirrors (a file the kernel has
    /// already looked up, where the graph's is new).
    pub(crate) fn available_controllers(&self) -> io::Result<String> {
        read_file(open_file(
            self.parent.as_fd(),
            c"cgroup.subtree_control",
            OFlags::RDONLY,
        )?)
    }

    /// Kills whatever is left, waits until it is gone, and removes every
    /// cgroup of the graph. A cgroup that cannot be removed is left to the
    /// application's watcher, which tries again when the application exits.
    ///
    /// Every node has normally drained by now, so each `rmdir` succeeds
    /// and no file of the graph's cgroup is opened; a cgroup a process is
    /// still in refuses (`EBUSY`), and only then (or on any other refusal)
    /// is the graph killed and waited for.
    pub(crate) fn remove(&mut self) -> io::Result<()> {
        if self.removed {
            return Ok(());
        }
        // Refused (`EBUSY`, or anything else: a node may have changed what
        // it could of its cgroup): kill, wait, and remove again.
        if self.remove_all().is_err() {
            self.graph.kill()?;
            if !self.graph.wait_empty(EMPTY_TIMEOUT)? {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("processes outlived SIGKILL for {EMPTY_TIMEOUT:?}"),
                ));
            }
            self.remove_all()?;
        }
        self.removed = true;
        Ok(())
    }

    /// Removes the retired cgroups, each node's cgroup (with its leaves and
    /// its probe attempts' below it), then the graph's; stops at the first
    /// that cannot be removed, keeping the rest for another try.
    fn remove_all(&mut self) -> rustix::io::Result<()> {
        let graph = self.graph.dir();
        while let Some(name) = self.retired.last() {
            gone(graph, name)?;
            self.retired.pop();
        }
        while let Some(node) = self.nodes.last() {
            if let Some(node) = node {
                gone(graph, node.name())?;
            }
            self.nodes.pop();
        }
        self.graph.remove(self.parent.as_fd())
    }
}

/// An exec probe attempt's cgroup: its path below the graph's, and its
/// `cgroup.kill`, open.
#[derive(Debug)]
struct ProbeCgroup {
    path: CString,
    kill: OwnedFd,
}

/// Removes the cgroup at `path` below `graph` (see [`remove_tree`]); one
/// that is not there is gone too.
fn gone(graph: BorrowedFd<'_>, path: &CStr) -> rustix::io::Result<()> {
    match remove_tree(graph, path) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

impl Drop for GraphCgroup {
    fn drop(&mut self) {
        if self.owner.is_current() {
            let _ = self.remove();
        }
    }
}

/// A node's cgroup directory name: its index (unique) and its name, with
/// anything but letters, digits, `-`, `_` and `.` replaced.
fn node_dir_name(index: usize, name: &str) -> CString {
    let shown: String = name
        .chars()
        .take(64)
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '_',
        })
        .collect();
    CString::new(format!("{index}.{shown}")).expect("no NUL: every other character was replaced")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::discover::discover;
    use crate::cgroup::handle::write_file;
    use std::os::fd::AsRawFd;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn node_directories_are_unique_and_plain() {
        assert_eq!(node_dir_name(3, "web/api x"), c"3.web_api_x");
        assert_eq!(node_dir_name(0, ".."), c"0...");
    }

    /// The path `remove` takes when a process is still in a node's cgroup:
    /// its `rmdir` is refused, so the graph is killed, waited for, and
    /// removed whole.
    #[test]
    fn removing_a_populated_graph_kills_what_is_in_it() {
        let app = match discover() {
            Ok(app) => app,
            Err(reason) => {
                eprintln!("skipped: no cgroups here: {reason}");
                return;
            }
        };
        let mut cgroups = GraphCgroup::create(&app, &["idle", "busy"]).unwrap();
        let mut sleeper = std::process::Command::new("sleep")
            .arg("100")
            .spawn()
            .unwrap();
        let procs = open_file(cgroups.graph.dir(), c"1.busy/cgroup.procs", OFlags::WRONLY);
        write_file(procs.unwrap(), &sleeper.id().to_string()).unwrap();
        let graph_dir = {
            let link = format!("/proc/self/fd/{}", cgroups.graph.dir().as_raw_fd());
            std::fs::read_link(link).unwrap()
        };
        assert!(graph_dir.join("1.busy").is_dir());

        cgroups.remove().unwrap();
        let status = sleeper.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "SIGKILLed by cgroup.kill");
        assert!(!graph_dir.exists(), "{} is removed", graph_dir.display());
    }
}
