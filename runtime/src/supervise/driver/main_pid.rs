//! The driver's side of `MAINPID=` (see `supervise::main_pid` for who may
//! be named): following a main process the runtime did not start.
//!
//! - Accepted, the named process's pidfd joins the wait set
//!   ([`Token::MainPid`]); signals, stops and reloads go to it, and
//!   [`Driver::pid`] reports it.
//! - The started process may end first (the forking parent exits 0): it is
//!   then taken out of the wait set but left unreaped, a zombie, so that its
//!   pid — the node's process-group id — names nobody else while the node
//!   lives: the group stays safe to kill, and its members stay the node's.
//! - When the named process ends, the node ends as if its started process
//!   had: the started process is killed (if it still runs) and reaped with
//!   its group, the cgroup drained, the exit reported and decided by the
//!   restart policy. Its status is the named process's: read from `/proc`
//!   as its end is seen, while it is a zombie (its parent, often pid 1, may
//!   reap it much later), or from the kernel's record once it is reaped
//!   (Linux 6.15); [`ExitStatus::Unknown`](crate::ExitStatus::Unknown) when
//!   neither can tell (not permitted to read it, and an older kernel).

use std::collections::HashMap;
use std::time::Instant;

use rustix::process::Pid;

use super::Driver;
use crate::error::Error;
use crate::poller::Interest;
use crate::signal::Signal;
use crate::supervise::Token;
use crate::supervise::core::{Core, Input};
use crate::supervise::main_pid::{self, Claim, MainPidRefusal, Members};

impl Driver {
    /// Node `i`'s main process while it is unreaped (so its pid names it):
    /// the one it named, else the one the runtime started.
    pub(crate) fn main_pid(&self, i: usize) -> Option<Pid> {
        let node = &self.nodes[i];
        match &node.main_pid {
            Some(named) => named.is_unreaped().then(|| named.pid()),
            None => node
                .process
                .as_ref()
                .filter(|p| p.status().is_none())
                .map(|p| p.pid()),
        }
    }

    /// The node whose started (and unreaped) or named main process `pid`
    /// is, if any.
    fn node_of(&self, pid: Pid) -> Option<usize> {
        let n = self.node_of_pid.get(pid)?;
        let node = &self.nodes[n];
        let started = node.process.as_ref().filter(|p| p.status().is_none());
        let holds = started.is_some_and(|p| p.pid() == pid)
            || node.main_pid.as_ref().is_some_and(|m| m.pid() == pid);
        holds.then_some(n)
    }

    /// Sends `signal` to node `i`'s main process: `ESRCH` once it is gone.
    pub(crate) fn signal_main(&self, i: usize, signal: Signal) -> std::io::Result<()> {
        let node = &self.nodes[i];
        match (&node.main_pid, &node.process) {
            (Some(named), _) => named.signal(signal),
            (None, Some(process)) => process.signal(signal),
            (None, None) => Err(std::io::Error::from_raw_os_error(libc::ESRCH)),
        }
    }

    /// Judges node `i`'s `MAINPID=` claim (from a believed sender): follows
    /// the named process from now on, or reports the refusal. Naming the
    /// current main process changes nothing.
    pub(super) fn claim_main_pid(&mut self, core: &mut Core, i: usize, claim: Claim, now: Instant) {
        let current = self.main_pid(i);
        let started = self.nodes[i]
            .process
            .as_ref()
            .filter(|p| p.status().is_none())
            .map(|p| p.pid());
        let judged = match (current, started) {
            (Some(_), Some(started)) => {
                let anothers = |pid| self.node_of(pid).is_some_and(|n| n != i);
                let members = Members {
                    started,
                    current: self.nodes[i].main_pid.as_deref(),
                    probes: self.probes.commands_of(i),
                    others: &anothers,
                    cgroup: self.launcher.cgroup_path(i),
                };
                main_pid::adopt(claim, &members)
            }
            _ => Err(MainPidRefusal::NotRunning),
        };
        let followed = match judged {
            Ok(named) if Some(named.pid()) == current => return,
            // Not followed if it cannot be waited for: the node keeps the
            // main process it had.
            Ok(named) => self
                .waits
                .add(named.pidfd(), Token::MainPid(i), Interest::Readable)
                .map(|()| named)
                .map_err(|_| MainPidRefusal::NotRunning),
            Err(reason) => Err(reason),
        };
        let named = match followed {
            Ok(named) => named,
            Err(reason) => {
                let claimed = claim.claimed.map(|p| p.as_raw_nonzero().get() as u32);
                let refused = Input::MainPidRefused {
                    node: i,
                    claimed,
                    reason,
                };
                return core.handle(refused, now);
            }
        };
        self.node_of_pid.insert(named.pid(), i);
        let pid = named.pid().as_raw_nonzero().get() as u32;
        if let Some(old) = self.nodes[i].main_pid.replace(Box::new(named)) {
            self.waits.remove(old.pidfd());
            self.node_of_pid.remove(old.pid(), i);
        }
        core.handle(Input::MainPid { node: i, pid }, now);
    }

    /// Node `i`'s started process ended while a named main process stands
    /// in for it: out of the wait set, not reaped (see the module's note).
    pub(super) fn started_ended_first(&mut self, core: &Core, i: usize) -> Result<(), Error> {
        let Some(process) = &self.nodes[i].process else {
            return Ok(());
        };
        let ended = process
            .peek()
            .map_err(|e| crate::sigchld::waitid_failed(Some(&core.names[i]), e))?;
        if let (Some(_), Some(pidfd)) = (ended, process.pidfd()) {
            self.waits.remove(pidfd);
        }
        Ok(())
    }

    /// Node `i`'s named main process ended: the node ends, as when a
    /// started process ends — once its cgroup, if any, is empty.
    pub(super) fn named_main_ended(
        &mut self,
        core: &mut Core,
        i: usize,
        now: Instant,
    ) -> Result<(), Error> {
        // What it said before it ended (`main_pid` believes it only while
        // it is unreaped).
        self.read_notify(core, i, now);
        let Some(named) = &mut self.nodes[i].main_pid else {
            return Ok(());
        };
        named.ended();
        self.waits.remove(named.pidfd());
        let waits = &mut self.waits;
        if let Some(process) = &mut self.nodes[i].process {
            process.kill();
            // Blocking: SIGKILL cannot be caught, so this returns promptly.
            process
                .reap_then(true, |pidfd| waits.remove(pidfd))
                .map_err(|e| crate::sigchld::waitid_failed(Some(&core.names[i]), e))?;
        }
        self.main_exited(core, i, now)
    }
}

/// Which node each started and named main process is, by pid: a claim is
/// checked against the other nodes' processes at one lookup, whatever the
/// graph's size. An entry is a lead only, believed while the node still
/// holds that process ([`Driver::node_of`]); a node's entries go when it
/// ends, and a reused pid's entry is replaced.
#[derive(Debug, Default)]
pub(crate) struct NodeOfPid(HashMap<u32, u32>);

impl NodeOfPid {
    /// Room for `nodes` processes: made at the graph's full size, so that no
    /// smaller table left behind by growing stays in the parent's memory;
    /// grown again only by an `add`.
    pub(crate) fn reserve(&mut self, nodes: usize) {
        self.0.reserve(nodes.saturating_sub(self.0.len()));
    }

    pub(crate) fn insert(&mut self, pid: Pid, node: usize) {
        self.0.insert(raw(pid), node as u32);
    }

    /// Takes `pid` out, if it stands for `node`.
    pub(crate) fn remove(&mut self, pid: Pid, node: usize) {
        if self.0.get(&raw(pid)) == Some(&(node as u32)) {
            self.0.remove(&raw(pid));
        }
    }

    /// Whether `pid` is a node's started or named main process.
    pub(crate) fn holds(&self, pid: Pid) -> bool {
        self.0.contains_key(&raw(pid))
    }

    fn get(&self, pid: Pid) -> Option<usize> {
        self.0.get(&raw(pid)).map(|&node| node as usize)
    }
}

fn raw(pid: Pid) -> u32 {
    pid.as_raw_nonzero().get() as u32
}
