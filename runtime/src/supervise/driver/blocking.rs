//! The blocking loop: rounds of the core, then one wait on the wait set
//! whose timeout is the core's next deadline (or the caller's, if sooner).

use std::time::Instant;

use super::Driver;
use crate::error::Error;
use crate::exit::Outcome;
use crate::poller::Interest;
use crate::supervise::core::Core;
use crate::supervise::{Event, Token};

/// How a turn treats decisions: handed to the application first
/// (`next_event`), or carried out at once (`wait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Interactive,
    Automatic,
}

impl Driver {
    /// Starts every node that can start, running the loop until each has
    /// started once (nodes started `after` others wait for their readiness)
    /// or the graph is being stopped. A node that cannot be spawned fails the
    /// whole start: everything already started is killed and reaped. A graph
    /// that fails while starting (a dependency failed, the intensity was
    /// exceeded, or dependencies were not ready within the start timeout) is
    /// stopped in order and reaped, and its error returned.
    pub(crate) fn start_all(&mut self, core: &mut Core) -> Result<(), Error> {
        let deadline = Instant::now().checked_add(core.start_timeout);
        loop {
            // Decide about exits first: what was decided (a dependency that
            // will never be ready, a restart) changes what may start.
            let now = Instant::now();
            core.apply_undecided(now);
            self.run(core, now);
            if let Some(error) = core.failed_start() {
                self.kill_all(core);
                return Err(Error::Spawn(error));
            }
            if core.outcome().is_some_and(Outcome::is_failure) {
                return self.stop_failed_start(core);
            }
            if core.all_started() || core.outcome().is_some() {
                return Ok(());
            }
            if deadline.is_some_and(|d| d <= Instant::now()) {
                let (node, dependency) = core.first_waiting();
                core.stop_graph(Outcome::StartTimeout { node, dependency });
                return self.stop_failed_start(core);
            }
            let until = match (deadline, core.next_deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.poll(core, until)?;
        }
    }

    /// Runs a graph that failed while starting to its end — every node
    /// stopped in order and reaped — and returns the error `wait` would.
    fn stop_failed_start(&mut self, core: &mut Core) -> Result<(), Error> {
        self.turn(core, None, Mode::Automatic)?;
        self.finish(core).map(drop)
    }

    /// Runs the loop until it has an event to hand out (interactive: for
    /// `next_event`, until `deadline`) or, carrying out every decision
    /// itself (automatic: for `wait`), until the graph has finished.
    pub(crate) fn turn(
        &mut self,
        core: &mut Core,
        deadline: Option<Instant>,
        mode: Mode,
    ) -> Result<Option<Event>, Error> {
        self.check_owner()?;
        let mut polled = false;
        loop {
            let now = Instant::now();
            core.apply_pending(now);
            if mode == Mode::Automatic {
                core.apply_undecided(now);
            }
            self.run(core, now);
            if mode == Mode::Automatic && core.has_events() {
                // Nobody sees them; their decisions are carried out above.
                core.clear_events();
                continue;
            }
            if let Some(event) = core.pop_event() {
                return Ok(Some(event));
            }
            if core.is_finished() {
                return Ok(None);
            }
            // Past the deadline, still look once without blocking, so that a
            // zero timeout reports what has already happened.
            if polled && deadline.is_some_and(|d| d <= Instant::now()) {
                return Ok(None);
            }
            polled = true;
            let until = match (deadline, core.next_deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.poll(core, until)?;
        }
    }

    /// Waits until `until` for one of the graph's fds and hands the core
    /// what became ready.
    pub(super) fn poll(&mut self, core: &mut Core, until: Option<Instant>) -> Result<(), Error> {
        self.watch_wake()?;
        let timeout = until.map(|u| u.saturating_duration_since(Instant::now()));
        let mut ready = Vec::new();
        self.waits
            .wait(timeout, &mut ready)
            .map_err(|e| Error::io(None, "wait", e))?;
        let now = Instant::now();
        for token in ready {
            self.dispatch(core, token, now)?;
        }
        Ok(())
    }

    /// Adds the wake-up eventfd to the wait set once a `Waker` made it.
    pub(crate) fn watch_wake(&mut self) -> Result<(), Error> {
        if !self.wake_watched
            && let Some(fd) = self.wake.fd()
        {
            self.waits
                .add(fd, Token::Wake, Interest::Readable)
                .map_err(|e| Error::io(None, "watch the wake-up eventfd", e))?;
            self.wake_watched = true;
        }
        Ok(())
    }
}
