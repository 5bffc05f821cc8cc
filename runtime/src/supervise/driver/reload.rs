//! Reloading a node: its reload signal, and — for a node that speaks
//! systemd's notify protocol — waiting until it says `READY=1` again
//! (systemd's `Type=notify-reload`: `RELOADING=1` … `READY=1`).

use std::time::Instant;

use super::Driver;
use crate::error::Error;
use crate::policy::Readiness;
use crate::signal::Signal;
use crate::supervise::NodeState;
use crate::supervise::core::Core;

impl Driver {
    /// Sends node `i` its reload signal; for a notify node, runs the loop
    /// until it is ready again, it ends, or its reload time is up. Events
    /// and decisions that come up meanwhile wait for `next_event`.
    pub(crate) fn reload(&mut self, core: &mut Core, i: usize) -> Result<(), Error> {
        self.check_owner()?;
        let name = core.names[i].clone();
        let options = &core.options[i];
        let signal = options.rare().reload_signal.unwrap_or(Signal::HUP);
        let notify = options.ready == Readiness::Notify;
        let timeout = options.rare().ready_timeout.unwrap_or(core.start_timeout);
        // Before the signal, so that a quick `READY=1` ends the reload.
        if !core.begin_reload(i) {
            return Err(Error::NotRunning { node: name.clone() });
        }
        if !notify {
            core.end_reload(i);
        }
        let sent = self.signal_main(i, signal);
        if let Err(error) = sent {
            core.end_reload(i);
            return Err(match error.raw_os_error() {
                Some(libc::ESRCH) => Error::NotRunning { node: name.clone() },
                _ => Error::io(Some(&name), "pidfd_send_signal", error),
            });
        }
        if !notify {
            return Ok(());
        }
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let failed = |reason: String| Error::ReloadFailed {
                node: name.clone(),
                reason,
            };
            match core.nodes[i].state {
                NodeState::Running => return Ok(()),
                NodeState::Reloading => {}
                state => {
                    let reason = match core.nodes[i].last_exit {
                        Some(status) => format!("it ended ({status})"),
                        None => format!("it is {state}"),
                    };
                    return Err(failed(reason));
                }
            }
            if deadline.is_some_and(|d| d <= Instant::now()) {
                core.end_reload(i);
                return Err(failed(format!("not ready again within {timeout:?}")));
            }
            let until = match (deadline, core.next_deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.poll(core, until)?;
            self.run(core, Instant::now());
        }
    }
}
