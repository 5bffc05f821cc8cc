//! The driver's side of [`crate::strays`]: what a node with a cgroup of its
//! own cloned with `CLONE_PARENT` — the application's children, in the
//! node's cgroup — is reaped when the node ends, before its end is handed
//! on and before it starts again.
//!
//! The cgroup's kill at the node's end killed them; an ended child of the
//! application in the cgroup a node's processes ran in, once that node has
//! ended, is one of them. Two things may keep the look from reaching one
//! then: a node's exit the graph has not reaped yet (it comes first in the
//! kernel's list of ended children, and names nobody's stray), and a probe
//! command of the node not reaped yet (the runtime's, in the node's
//! cgroup). Its cgroup is then looked at again at the next node's end, and
//! before the node starts again — into a fresh cgroup, if it is still not
//! done with — and at the graph's end, every cgroup of the graph at once
//! (`Teardown`).

use std::path::PathBuf;

use super::Driver;
use crate::strays::Swept;

/// The cgroup node `node`'s processes ran in when it last ended, to be
/// looked in for strays.
#[derive(Debug)]
pub(crate) struct StrayCgroup {
    node: usize,
    path: PathBuf,
    /// The node's processes outlived its main process, so the cgroup was
    /// killed and waited for: its last clones may be exiting still.
    drained: bool,
}

impl Driver {
    /// Node `i` has ended (its cgroup empty); `drained`: its cgroup was
    /// killed and waited for. Reaps what it made the application's children
    /// in its cgroup, or keeps the cgroup to look in again.
    pub(super) fn reap_strays_of(&mut self, i: usize, drained: bool) {
        if let Some(path) = self.launcher.cgroup_path(i) {
            let stray_cgroup = StrayCgroup {
                node: i,
                path,
                drained,
            };
            self.stray_cgroups.push(stray_cgroup);
            self.reap_strays();
        }
    }

    /// Node `i` is about to start: where its cgroup is still to be looked
    /// in, it is looked in now; if that is still not done, the cgroup is
    /// killed, so that the start goes into a fresh one, which none of the
    /// runtime's own processes the look could mistake are in.
    pub(super) fn strays_before_start(&mut self, i: usize) {
        if !self.stray_cgroups.iter().any(|c| c.node == i) {
            return;
        }
        self.reap_strays();
        let path = self.launcher.cgroup_path(i);
        let pending = self
            .stray_cgroups
            .iter()
            .any(|c| Some(&c.path) == path.as_ref());
        if pending && let Some(cgroup) = self.launcher.cgroup(i) {
            let _ = cgroup.kill();
        }
    }

    /// Looks in every cgroup still to be looked in whose node has no probe
    /// command left, and forgets those it is done with.
    fn reap_strays(&mut self) {
        let probes = &self.probes;
        let free = |c: &&StrayCgroup| probes.commands_of(c.node).is_empty();
        let paths: Vec<&std::path::Path> = self
            .stray_cgroups
            .iter()
            .filter(free)
            .map(|c| c.path.as_path())
            .collect();
        if paths.is_empty() {
            return;
        }
        let is_stray = |pid| (paths.iter()).any(|path| crate::cgroup::ended_in_cgroup(pid, path));
        let awaited = |pid| self.node_of_pid.holds(pid);
        let swept = match self.stray_cgroups.iter().filter(free).any(|c| c.drained) {
            true => {
                crate::strays::reap_listed(is_stray, awaited, true);
                Swept::All
            }
            false => crate::strays::reap_seen(is_stray, awaited),
        };
        if swept == Swept::All {
            self.stray_cgroups
                .retain(|c| !probes.commands_of(c.node).is_empty());
        }
    }
}
