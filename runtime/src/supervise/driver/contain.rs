//! The driver's side of nodes in cgroups (see [`crate::cgroup`]): a node is
//! over only when its cgroup is empty, not when its main process exits.
//!
//! When the main process has been reaped, whatever is left in the node's
//! cgroup — helpers, setsid'd or double-forked daemons — is SIGKILLed with
//! `cgroup.kill`, and the node stays alive ("draining") until
//! `cgroup.events` says `populated 0`. That file is in the wait set
//! (`POLLPRI`) only while the node drains, so nothing is polled in a loop.
//! Where the memory controller is enabled, the node's `oom_kill` count before
//! and after the run tells an OOM kill apart from other SIGKILLs.
//!
//! Without a cgroup, a node that is the only member of a scope with a pid
//! namespace of its own gets the same from the scope's init: everything else
//! in that namespace is what the node left, and the init kills it before
//! the node counts as ended.

use std::os::fd::AsFd;
use std::time::Instant;

use super::Driver;
use crate::error::Error;
use crate::held_up::Looks;
use crate::poller::Interest;
use crate::scope::ScopeRuntime;
use crate::signal::Signal;
use crate::supervise::Token;
use crate::supervise::core::{Core, Input};
use crate::supervise::scope_requests::Asked;

impl Driver {
    /// Node `i`'s main process has ended (reaped, or — one it named — seen
    /// to end): kills what is left in its cgroup, and reports the end once
    /// the cgroup is empty — now, or when
    /// [`cgroup_changed`](Self::cgroup_changed) sees it empty. Without a
    /// cgroup, what is left in a pid scope it is alone in is killed first
    /// ([`clear_scope_of`](Self::clear_scope_of)).
    pub(super) fn main_exited(
        &mut self,
        core: &mut Core,
        i: usize,
        now: Instant,
    ) -> Result<(), Error> {
        let node = &mut self.nodes[i];
        node.oom_killed = node
            .oom_kills_at_start
            .zip(self.launcher.oom_kills(i))
            .is_some_and(|(before, now)| now > before);
        // Whatever is left is killed on every path, a failure to watch the
        // cgroup included; the kill fails only if the cgroup is gone, which
        // leaves it empty.
        let kill_left = |driver: &mut Driver| {
            driver.pin_strays_left(i);
            if let Some(cgroup) = driver.launcher.cgroup(i) {
                let _ = cgroup.kill();
            }
        };
        match self.launcher.drain_cgroup(i) {
            Ok(Some(events)) => {
                self.nodes[i].draining = true;
                let watched = self.waits.add(events, Token::Cgroup(i), Interest::Priority);
                kill_left(self);
                watched.map_err(|e| Error::io(Some(&core.names[i]), "watch cgroup.events", e))?;
            }
            Ok(None) => {
                if !self.clear_scope_of(core, i, now) {
                    self.reap_scope_strays_of(i, None);
                    self.node_ended(core, i, now);
                }
            }
            // Unreadable (the cgroup gone, or no fd left to read it): what
            // may be left is killed, and the node counts as ended.
            Err(_) => {
                kill_left(self);
                self.node_ended(core, i, now);
            }
        }
        Ok(())
    }

    /// Node `i`, without a cgroup, has ended as the only member of a scope
    /// with a pid namespace of its own: everything else in that namespace
    /// is what it left — setsid'd or double-forked daemons — and the
    /// scope's init is asked to kill it. Whether the node's end waits for
    /// the answer: then it stays alive ("clearing") until the answer comes
    /// ([`scope_answered`](Self::scope_answered)), which the init gives once
    /// it has reaped what it killed (up to a second without an exit), so
    /// that what those processes held is free by then; so before the node
    /// may start again, and before an add may start another node there.
    /// Meanwhile the loop serves the rest of the graph, and the init is
    /// looked at every [`CHECK_EVERY`](crate::held_up::CHECK_EVERY), as
    /// every helper it waits for is ([`check_clear`](Self::check_clear)).
    /// Its attempts in flight are cancelled first, so that none is tried,
    /// and its result counted, against a node that has ended before its
    /// end is. Where the init cannot be asked, what is left lives until the
    /// scope ends.
    fn clear_scope_of(&mut self, core: &mut Core, i: usize, now: Instant) -> bool {
        let Some((place, scope)) = self.launcher.scope_to_clear(i) else {
            return false;
        };
        self.probes.cancel_node(i, &mut self.waits);
        let send = ScopeRuntime::request_clear;
        let asked = Asked::Clear { node: i };
        let asked = (self.scope_requests).ask(place, scope, asked, send, &mut self.waits);
        if asked.is_err() {
            // Killed: the init of a node that may never start again (no
            // restart) is reaped all the same.
            self.pid_namespace_ended(i);
            return false;
        }
        self.clears.insert(i, Looks::new());
        core.handle(Input::Clearing { node: i }, now);
        true
    }

    /// Looks at the init whose answer node `i`'s end waits for: one held
    /// up (stopped, which only a process that may signal the node anyway
    /// can do, or past its limit) is given up on, and the node ends. The
    /// kill asked of it comes when it goes on, and reaches whatever runs in
    /// the scope then; so no start into the scope goes before that answer
    /// ([`holds_start`](Self::holds_start)).
    pub(super) fn check_clear(&mut self, core: &mut Core, i: usize, now: Instant) {
        let Some(looks) = self.clears.get_mut(&i) else {
            return;
        };
        let scope = self.launcher.scope_of(i);
        if scope.is_none_or(|(_, scope)| scope.is_held_up(looks)) {
            self.clears.remove(&i);
            self.reap_scope_strays_of(i, None);
            self.node_ended(core, i, now);
        }
    }

    /// Whether node `i` may not start yet: its scope's init was held up
    /// when a run there ended, and the kill asked then is not answered. The
    /// kill comes when the init goes on and reaches whatever runs in the
    /// scope then; so the start waits for the answer
    /// ([`release_starts`](Self::release_starts)), for as long as the init
    /// is held up.
    pub(super) fn holds_start(&self, i: usize) -> bool {
        (self.launcher.scope_of(i)).is_some_and(|(place, _)| self.scope_requests.is_clearing(place))
    }

    /// A kill asked of a scope's init was answered (or will not be: the
    /// init is gone): the starts the core holds that nothing holds any
    /// more may go.
    pub(super) fn release_starts(&self, core: &mut Core, now: Instant) {
        let released: Vec<usize> = core
            .held_starts()
            .filter(|&n| !self.holds_start(n))
            .collect();
        for node in released {
            core.handle(Input::ReleaseStart { node }, now);
        }
    }

    /// Node `i`'s `cgroup.events` changed: a draining node whose cgroup is
    /// now empty has ended.
    pub(super) fn cgroup_changed(&mut self, core: &mut Core, i: usize, now: Instant) {
        if !self.nodes[i].draining
            || self
                .launcher
                .cgroup(i)
                .is_some_and(|c| matches!(c.populated(), Ok(true)))
        {
            return;
        }
        self.stop_draining(i);
        self.node_ended(core, i, now);
    }

    /// Node `i` no longer drains: its `cgroup.events` leaves the wait set.
    pub(super) fn stop_draining(&mut self, i: usize) {
        if std::mem::take(&mut self.nodes[i].draining)
            && let Some(events) = self.launcher.end_cgroup_drain(i)
        {
            self.waits.remove(events.as_fd());
        }
    }

    /// SIGKILLs node `i`: its main process (the one it named too), its
    /// process group, and everything in its cgroup.
    pub(super) fn kill_node(&mut self, i: usize) {
        let program = self.kill_start(i);
        if let Some(process) = &self.nodes[i].process {
            process.kill();
        }
        if let Some(named) = &self.nodes[i].main_pid {
            let _ = named.signal(Signal::KILL);
        }
        match program {
            Some(program) => self.kill_cgroup_but(i, program),
            None => {
                if let Some(cgroup) = self.launcher.cgroup(i) {
                    let _ = cgroup.kill();
                }
            }
        }
    }

    /// SIGKILLs what is in node `i`'s cgroup but `spared`: the program of a
    /// start under way, which may share the cgroup with the clone it made,
    /// and must live to report it (killed first, it would leave the clone a
    /// zombie whose pid nobody knows). What the report brings is killed
    /// then, with the whole cgroup. Each process is killed by a pidfd opened
    /// before its membership is read again, so that a pid freed and reused
    /// meanwhile is not killed.
    fn kill_cgroup_but(&self, i: usize, spared: rustix::process::Pid) {
        let (Some(cgroup), Some(path)) = (self.launcher.cgroup(i), self.launcher.cgroup_path(i))
        else {
            return;
        };
        for pid in cgroup.pids().unwrap_or_default() {
            if pid == spared {
                continue;
            }
            let Ok(pidfd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
            else {
                continue;
            };
            if crate::cgroup::in_cgroup(pid, &path) {
                let _ = rustix::process::pidfd_send_signal(&pidfd, rustix::process::Signal::KILL);
            }
        }
    }
}
