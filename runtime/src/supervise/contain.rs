//! The engine's hooks for nodes in cgroups (see [`crate::cgroup`]): a node
//! is over only when its cgroup is empty, not when its main process exits.
//!
//! When the main process has been reaped, whatever is left in the node's
//! cgroup — helpers, setsid'd or double-forked daemons — is SIGKILLed with
//! `cgroup.kill`, and the node stays alive ("draining") until
//! `cgroup.events` says `populated 0`. That file is in the wait set
//! (`POLLPRI`) only while the node drains, so nothing is polled in a loop.
//! Where the memory controller is enabled, the node's `oom_kill` count before
//! and after the run tells an OOM kill apart from other SIGKILLs.

use super::Token;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::poller::Interest;
use crate::running::RunningGraph;

impl RunningGraph {
    /// Node `i`'s main process has been reaped with `status`: kills what is
    /// left in its cgroup, and handles the exit once the cgroup is empty —
    /// now, or when [`cgroup_changed`](Self::cgroup_changed) sees it empty.
    pub(crate) fn main_exited(&mut self, i: usize, status: ExitStatus) -> Result<(), Error> {
        let node = &mut self.nodes[i];
        node.oom_killed = node
            .oom_kills_at_start
            .zip(self.launcher.oom_kills(i))
            .is_some_and(|(before, now)| now > before);
        match self.launcher.cgroup(i) {
            Some(cgroup) if matches!(cgroup.populated(), Ok(true)) => {
                self.waits
                    .add(cgroup.events(), Token::Cgroup(i), Interest::Priority)
                    .map_err(|e| Error::io(Some(&self.names[i]), "watch cgroup.events", e))?;
                // Fails only if the cgroup is gone, which leaves it empty.
                let _ = cgroup.kill();
                self.nodes[i].draining = true;
            }
            _ => self.on_exit(i, status),
        }
        Ok(())
    }

    /// Node `i`'s `cgroup.events` changed: a draining node whose cgroup is
    /// now empty has ended.
    pub(crate) fn cgroup_changed(&mut self, i: usize) {
        let node = &self.nodes[i];
        if !node.draining
            || self
                .launcher
                .cgroup(i)
                .is_some_and(|c| matches!(c.populated(), Ok(true)))
        {
            return;
        }
        self.stop_draining(i);
        if let Some(status) = self.nodes[i].last_exit() {
            self.on_exit(i, status);
        }
    }

    /// Node `i` no longer drains: its `cgroup.events` leaves the wait set.
    pub(crate) fn stop_draining(&mut self, i: usize) {
        if std::mem::take(&mut self.nodes[i].draining)
            && let Some(cgroup) = self.launcher.cgroup(i)
        {
            self.waits.remove(cgroup.events());
        }
    }

    /// SIGKILLs node `i`: its main process, its process group, and
    /// everything in its cgroup.
    pub(crate) fn kill_node(&self, i: usize) {
        if let Some(process) = &self.nodes[i].process {
            process.kill();
        }
        if let Some(cgroup) = self.launcher.cgroup(i) {
            let _ = cgroup.kill();
        }
    }
}
