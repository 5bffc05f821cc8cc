//! The driver's side of [`crate::strays`]: what a node cloned with
//! `CLONE_PARENT` — the application's children — is reaped when the node
//! ends, before its end is handed on and before it starts again, unless the
//! look is kept from it (below). Two kinds of node have clones the runtime
//! can tell from the application's own children:
//!
//! - A node with a cgroup of its own: the cgroup's kill at the node's end
//!   killed them; an ended child of the application in the cgroup a node's
//!   processes ran in, once that node has ended, is one of them. Those
//!   still running when the node's main process ended are pinned by pidfds
//!   before the kill: a killed process leaves its cgroup (and the cgroup
//!   reads empty) a moment before its exit is shown to its parent, so a look
//!   at the node's end could miss it.
//! - A node without one, the only member of a scope with a pid namespace of
//!   its own: the scope's init killed them at the node's end
//!   (`contain.rs`); an ended child of the application in that namespace,
//!   or one nested in it, but the init, is one of them. The init answers
//!   once they have ended (where it has a `/proc` of its own to see them),
//!   and says how many it left: none spares the look. One it could not
//!   wait for is reaped at a later look.
//!
//! Two things may keep the look from reaching one: a node's exit the graph
//! has not reaped yet (it comes first in the kernel's list of ended
//! children, and names nobody's stray), and the runtime's own processes
//! where the node ran — a probe command, or the program of a start under
//! way and what it cloned before saying so — which a node's next run may
//! have put there. Where it ran is then looked in again at the next node's
//! end, and at the graph's end every cgroup of the graph at once, and every
//! scope as it ends (`Teardown`). A node starts again into the same cgroup
//! or scope meanwhile: what the look finds there later is still the node's.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use rustix::process::Pid;

use super::Driver;
use crate::scope::PidNamespace;
use crate::strays::Swept;

/// How many of a node's clones still running at its main process's exit
/// are pinned, at most: each holds an fd of the application's until the
/// node ends, and a node could leave thousands; the rest are found by the
/// look at its end, which misses only one caught between leaving its cgroup
/// and being shown ended.
const PINNED_PER_NODE: usize = 16;

/// Where an ended node's processes ran, and so where its clones are.
#[derive(Debug, PartialEq, Eq)]
enum Ran {
    /// In its cgroup, by path.
    InCgroup(PathBuf),
    /// Alone in a pid scope, whose init has this pid.
    InPidScope(PidNamespace, Pid),
}

/// What is left to reap of what nodes made the application's children.
#[derive(Debug, Default)]
pub(crate) struct Strays {
    /// Where ended nodes' processes ran, still to be looked in.
    ran: Vec<(usize, Ran)>,
    /// The application's children left running in a node's cgroup when its
    /// main process ended, pinned until the node ends.
    killed: Vec<(usize, OwnedFd)>,
}

impl Driver {
    /// Node `i`'s main process has ended, and what is left in its cgroup is
    /// about to be killed: the application's children among it that are
    /// not the runtime's (a node's process, a probe command) are pinned.
    pub(super) fn pin_strays_left(&mut self, i: usize) {
        let Some(pids) = self.launcher.cgroup(i).and_then(|c| c.pids().ok()) else {
            return;
        };
        let commands = self.probes.commands_of(i);
        let strays = pids
            .into_iter()
            .filter(|pid| !self.node_of_pid.holds(*pid) && !commands.contains(pid));
        let pinned = strays
            .filter_map(crate::strays::pinned_child)
            .take(PINNED_PER_NODE);
        self.strays.killed.extend(pinned.map(|pidfd| (i, pidfd)));
    }

    /// Node `i` has ended (its cgroup empty): reaps what it made the
    /// application's children in its cgroup, or keeps the cgroup to look in
    /// again.
    pub(super) fn reap_strays_of(&mut self, i: usize) {
        let pinned = self.strays.killed.extract_if(.., |(node, _)| *node == i);
        crate::strays::reap_pinned(pinned.map(|(_, pidfd)| pidfd));
        if let Some(path) = self.launcher.cgroup_path(i) {
            self.look_in(i, Ran::InCgroup(path));
        }
    }

    /// Node `i`, alone in a pid scope without a cgroup, has ended, and its
    /// scope's init was asked to kill what it left ([`clear_scope_of`]):
    /// reaps what it made the application's children there, or keeps the
    /// scope to look in again — unless the init's answer said it left none
    /// (`left`: `None` unanswered, or where the init could not tell). That
    /// look would list the application's children while another graph's
    /// exit or the application's own zombie is unreaped.
    ///
    /// [`clear_scope_of`]: Self::clear_scope_of
    pub(super) fn reap_scope_strays_of(&mut self, i: usize, left: Option<u32>) {
        if left == Some(0) {
            return;
        }
        let scope = self.launcher.scope_to_clear(i);
        if let Some((namespace, init)) = scope.and_then(|(_, s)| s.pid_namespace()) {
            self.look_in(i, Ran::InPidScope(namespace, init));
        }
    }

    /// Looks where node `i` ran, with every place still to be looked in.
    fn look_in(&mut self, i: usize, ran: Ran) {
        let places = &mut self.strays.ran;
        if !places.iter().any(|(node, r)| *node == i && *r == ran) {
            places.push((i, ran));
        }
        self.reap_strays();
    }

    /// Looks everywhere still to be looked in where none of the runtime's
    /// own processes may be, and forgets those it is done with. Each node's
    /// end in a mass exit costs one `waitid` here, however many are still to
    /// be looked in: where a child ran is read only for an ended child that
    /// is not a node's.
    fn reap_strays(&mut self) {
        let (probes, nodes) = (&self.probes, &self.nodes);
        // A node's index outlives it only within the graph's lists.
        let free = |node: usize| {
            nodes.get(node).is_none_or(|n| n.launch.is_none())
                && probes.commands_of(node).is_empty()
        };
        let places = || self.strays.ran.iter().filter(|(node, _)| free(*node));
        let is_stray = |pid| {
            let mut paths = (places())
                .filter_map(|(_, ran)| match ran {
                    Ran::InCgroup(path) => Some(path.as_path()),
                    Ran::InPidScope(..) => None,
                })
                .peekable();
            let in_cgroup = paths.peek().is_some() && crate::cgroup::ended_in_cgroups(pid, paths);
            in_cgroup
                || places().any(|(_, ran)| {
                    matches!(ran, Ran::InPidScope(namespace, init)
                        if pid != *init && namespace.holds(pid))
                })
        };
        let awaited = |pid| self.node_of_pid.holds(pid);
        if crate::strays::reap_seen(is_stray, awaited) == Swept::All {
            self.strays.ran.retain(|(node, _)| !free(*node));
        }
    }
}
