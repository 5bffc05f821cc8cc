//! Starts the carried program reports on later: a node in a scope, or
//! started under other ids. The event loop does not wait for them. The
//! report pipe is in the wait set, the program is looked at from
//! [`FIRST_LOOK`](crate::held_up::FIRST_LOOK) on, every
//! [`CHECK_EVERY`](crate::held_up::CHECK_EVERY) (`Action::CheckStart`), and
//! the core hears how the start went when the report is in. A scope-mate
//! that slows such a start without stopping anything (an `execve` held up
//! by a lease: `tests/scope_slowed_exec.rs`) delays that node alone, not
//! the application's other nodes and graphs.

use std::os::fd::OwnedFd;
use std::time::Instant;

use super::Driver;
use crate::error::{SpawnError, Step};
use crate::graph::NodeId;
use crate::poller::Interest;
use crate::process::Process;
use crate::spawn::PendingStart;
use crate::supervise::Token;
use crate::supervise::core::{Core, Input};

/// A node's start under way.
#[derive(Debug)]
pub(super) struct Launch {
    start: PendingStart,
    /// The read end of its readiness pipe, for `Readiness::Fd`.
    ready_pipe: Option<OwnedFd>,
}

impl Driver {
    /// Node `i`'s start is under way: its report pipe goes into the wait
    /// set. The answer is the core's input.
    pub(super) fn await_report(
        &mut self,
        core: &Core,
        i: usize,
        start: PendingStart,
        ready_pipe: Option<OwnedFd>,
    ) -> Input {
        if let Err(e) = self
            .waits
            .add(start.fd(), Token::Launch(i), Interest::Readable)
        {
            start.discard();
            let errno = e.raw_os_error().unwrap_or(libc::ENOMEM);
            return Input::SpawnFailed {
                node: i,
                error: SpawnError::new(
                    NodeId::from_index(i),
                    core.names[i].clone(),
                    Step::Watch,
                    errno,
                ),
            };
        }
        // Read only once the node's pid is known: a datagram read before
        // would come from no believed sender, and be lost (a `READY=1` sent
        // at once, before the program's report is read). It waits in the
        // socket meanwhile.
        if let Some(socket) = &self.notify[i] {
            self.waits.remove(socket.fd());
        }
        self.nodes[i].launch = Some(Box::new(Launch { start, ready_pipe }));
        Input::Launching { node: i }
    }

    /// Node `i`'s report pipe is readable: once the report is whole, the
    /// core hears how the start went.
    pub(super) fn start_reported(&mut self, core: &mut Core, i: usize, now: Instant) {
        let Some(launch) = &mut self.nodes[i].launch else {
            return;
        };
        let Some(complete) = launch.start.read() else {
            return;
        };
        self.end_start(core, i, now, |start| start.conclude(complete));
    }

    /// Looks at node `i`'s start under way: a program held up (stopped,
    /// or past its limit) is given up on, as a blocking wait would.
    pub(super) fn check_start(&mut self, core: &mut Core, i: usize, now: Instant) {
        let Some(launch) = &mut self.nodes[i].launch else {
            return;
        };
        if !launch.start.held_up() {
            return;
        }
        self.end_start(core, i, now, PendingStart::abandon);
    }

    /// Node `i` is to be killed while its start is under way
    /// ([`PendingStart::cancel`]); whatever the start brings is killed when
    /// it comes. The program's pid while it must be spared, to report the
    /// clone it may have made (which only it knows until the clone has
    /// reported itself, and for good if the clone is killed before).
    pub(super) fn kill_start(&mut self, i: usize) -> Option<rustix::process::Pid> {
        let start = &mut self.nodes[i].launch.as_mut()?.start;
        let killed = start.cancel();
        (!killed).then(|| start.pid())
    }

    /// Gives up node `i`'s start under way, if any, killing and reaping
    /// what it brought: every node is being killed (a failed start).
    pub(super) fn abandon_start(&mut self, i: usize) {
        if self.nodes[i].launch.is_none() {
            return;
        }
        let (launch, _) = self.take_launch(i);
        launch.start.discard();
    }

    /// Node `i`'s start under way, out of the wait set, and its
    /// `NOTIFY_SOCKET` back in (or why it could not be).
    fn take_launch(&mut self, i: usize) -> (Box<Launch>, std::io::Result<()>) {
        let launch = self.nodes[i].launch.take().expect("a start under way");
        self.waits.remove(launch.start.fd());
        let notify = match &self.notify[i] {
            Some(socket) => self
                .waits
                .add(socket.fd(), Token::Notify(i), Interest::Readable),
            None => Ok(()),
        };
        (launch, notify)
    }

    /// Ends node `i`'s start under way with what `end` makes of it: the
    /// core hears how it went.
    fn end_start(
        &mut self,
        core: &mut Core,
        i: usize,
        now: Instant,
        end: impl FnOnce(PendingStart) -> Result<Process, (Step, i32)>,
    ) {
        let (launch, notify) = self.take_launch(i);
        let (ready_pipe, kill) = (launch.ready_pipe, launch.start.is_cancelled());
        let result = match (end(launch.start), notify) {
            // It could never tell its readiness.
            (Ok(mut process), Err(e)) => {
                process.kill_and_reap(|_| {});
                Err((Step::Watch, e.raw_os_error().unwrap_or(libc::ENOMEM)))
            }
            (result, _) => result,
        };
        let input = match result {
            Ok(process) => self.running(core, i, process, ready_pipe),
            Err((step, errno)) => {
                let error =
                    SpawnError::new(NodeId::from_index(i), core.names[i].clone(), step, errno);
                let error = self.launcher.naming_path(i, error);
                self.start_failed(i, error)
            }
        };
        core.handle(input, now);
        // Killed meanwhile: what it brought, and whatever its clone forked
        // into the cgroup before its report, if the start failed.
        if kill {
            self.kill_node(i);
        }
        // Removed meanwhile, and it never ran: what it held goes now.
        if core.is_gone(i) {
            self.forget(i);
        }
    }
}
