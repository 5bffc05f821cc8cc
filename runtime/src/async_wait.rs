//! Waiting on a running graph from a tokio runtime (feature `tokio`).
//!
//! The blocking loop waits in the graph's wait set. The async API registers
//! that set's one epoll fd — readable when any fd of the graph is — with
//! tokio's reactor once, on the first call, and runs the same event loop with
//! a zero timeout whenever it fires; backoff and stop timers become a
//! `tokio::time` deadline. No thread is blocked, and an event costs the same
//! few syscalls whatever the size of the graph.
//!
//! The reactor watches the epoll fd edge-triggered, while the set inside it
//! is level-triggered: readiness is cleared only after a wait of the loop
//! found nothing ready, or an fd left ready would never fire again.

use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::error::Error;
use crate::exit::ExitReport;
use crate::graph::Graph;
use crate::running::RunningGraph;
use crate::spawn::ParentEnd;
use crate::supervise::{Core, Driver, Event};

impl RunningGraph {
    /// [`next_event`](Self::next_event) without a timeout, as a future.
    ///
    /// Must be polled within a tokio runtime with I/O and time enabled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), process_graph_runtime::Error> {
    /// use process_graph_runtime::{Command, Event, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let job = graph.node("job", Command::new("true"));
    /// let mut running = graph.spawn()?;
    /// while let Some(event) = running.next_event_async().await? {
    ///     if let Event::Exited { node, status, .. } = event {
    ///         assert_eq!(node, job);
    ///         assert!(status.success());
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn next_event_async(&mut self) -> Result<Option<Event>, Error> {
        loop {
            // A turn of this loop that finds an event ready, or the reactor
            // ready again at once (the wait set not drained), does not
            // suspend: under a node's flood of its `NOTIFY_SOCKET` the task
            // would hold its thread, and starve every other task of the
            // executor, for as long as the flood lasts. Each turn spends
            // one unit of tokio's cooperative budget, which yields when it
            // runs out.
            tokio::task::coop::consume_budget().await;
            if let Some(event) = self.next_event(Some(Duration::ZERO))? {
                return Ok(Some(event));
            }
            if self.is_finished() {
                return Ok(None);
            }
            let io = &mut self.io;
            io.watch_wake()?;
            let drained = io.waits.drained();
            let next_timer = self.core.next_deadline();
            // Registered with this runtime's reactor: a graph moved to
            // another runtime registers again there (a reactor that is gone,
            // or idle, would never say the graph is ready).
            let runtime = tokio::runtime::Handle::current().id();
            if io.reactor.as_ref().is_some_and(|(id, _)| *id != runtime) {
                io.reactor = None;
            }
            let reactor = match &mut io.reactor {
                Some((_, reactor)) => reactor,
                None => {
                    let epoll = io
                        .waits
                        .shared_fd()
                        .map_err(|e| Error::io(None, "epoll for the tokio reactor", e))?;
                    // SAFETY: the AsyncFd owns a reference to the epoll
                    // instance for its whole life, so the fd stays open and
                    // refers to the same instance.
                    let reactor =
                        unsafe { AsyncFd::register_with_interest(epoll, Interest::READABLE) }
                            .map_err(|e| {
                                Error::io(None, "register with the tokio reactor", e.into_parts().1)
                            })?;
                    &mut io.reactor.insert((runtime, reactor)).1
                }
            };
            let readable = reactor.readable();
            let ready = match next_timer {
                Some(at) => tokio::time::timeout_at(at.into(), readable).await.ok(),
                None => Some(readable.await),
            };
            if let Some(guard) = ready {
                let mut guard =
                    guard.map_err(|e| Error::io(None, "wait for the tokio reactor", e))?;
                if drained {
                    guard.clear_ready();
                }
            }
        }
    }

    /// [`shutdown`](Self::shutdown), as a future: the stop signals, then
    /// SIGKILL after each node's stop timeout (`grace` for nodes that set
    /// none), awaited instead of blocking.
    ///
    /// Dropping a `RunningGraph` that has not finished, within a tokio
    /// runtime, hands the stop to a thread of its own and returns at once
    /// (see [`RunningGraph`]'s `Drop`): await this (or
    /// [`wait_async`](Self::wait_async)) to know the nodes are stopped.
    pub async fn shutdown_async(&mut self, grace: Duration) -> Result<ExitReport, Error> {
        self.io.check_owner()?;
        self.core.stop_timeout = grace;
        self.core.stop_graph(crate::exit::Outcome::Shutdown);
        self.wait_async().await
    }

    /// [`wait`](Self::wait), as a future. The teardown once every node is
    /// reaped (the output thread's last lines delivered, scopes and cgroups
    /// ended) runs on tokio's blocking pool, not on the executor's thread;
    /// cancelled meanwhile, it goes on, and the next call awaits it.
    pub async fn wait_async(&mut self) -> Result<ExitReport, Error> {
        while !self.is_finished() {
            self.next_event_async().await?;
        }
        self.io.check_owner()?;
        if !self.io.torn_down {
            let teardown = match self.io.teardown.take() {
                Some(running) => running,
                None => {
                    self.io.kill_probes();
                    let teardown = self.io.launcher.take_teardown();
                    tokio::task::spawn_blocking(move || teardown.run())
                }
            };
            // Kept in the graph while awaited: a cancelled call leaves it
            // there for the next.
            let ended = self.io.teardown.insert(teardown).await;
            self.io.teardown = None;
            ended
                .map_err(std::io::Error::from)
                .and_then(|removed| removed)
                .map_err(|e| Error::io(None, "end the graph's scopes, output and cgroups", e))?;
        }
        self.io.finish(&mut self.core)
    }
}

impl Driver {
    /// Waits, blocking, for the teardown a cancelled `wait_async` left on
    /// tokio's blocking pool, if there is one: it runs there whatever this
    /// thread does, so waiting for it cannot deadlock a runtime.
    pub(crate) fn join_teardown(&mut self) -> std::io::Result<()> {
        let Some(teardown) = self.teardown.take() else {
            return Ok(());
        };
        block_on(teardown)
            .map_err(std::io::Error::from)
            .and_then(|ended| ended)
    }
}

/// Polls `future` on this thread, parking it between polls.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

impl RunningGraph {
    /// `Drop` within a tokio runtime: the rest of the stop — stop signals,
    /// the stop timeouts, SIGKILL, reaping, removing cgroups and scopes —
    /// goes to a thread named `process-graph-stop`, so the executor's thread
    /// is not blocked for up to the stop timeouts.
    pub(crate) fn stop_on_another_thread(&mut self) {
        let Some((io, core)) = self.take_for_another_thread() else {
            let grace = self.core.stop_timeout;
            let _ = self.io.shutdown(&mut self.core, grace);
            return;
        };
        let handoff = Handoff {
            io,
            core,
            _parent_ends: std::mem::take(&mut self.parent_ends),
        };
        // Should no thread start, the closure is dropped here, and with it
        // the handoff, which then stops the graph on this thread.
        let _ = std::thread::Builder::new()
            .name("process-graph-stop".into())
            .spawn(move || drop(handoff));
    }

    /// The graph's driver and core, for another thread to end the graph
    /// with, having let go of what belongs to this one; what stays in the
    /// handle is the driver and core of an empty graph, which hold nothing
    /// (no cgroup, no scope, no fd). `None` if that cannot be made.
    fn take_for_another_thread(&mut self) -> Option<(Driver, Core)> {
        let mut empty = Graph::new();
        empty.containment(crate::Containment::Off);
        let (idle, _) = Driver::prepare(&empty).ok()?;
        self.io.leave_thread();
        Some((
            std::mem::replace(&mut self.io, idle),
            std::mem::replace(&mut self.core, Core::new(empty)),
        ))
    }
}

/// A dropped graph's stop, carried out where the handoff is dropped.
struct Handoff {
    core: Core,
    io: Driver,
    /// Closed after the stop, as the handle's own would have been.
    _parent_ends: Vec<Option<ParentEnd>>,
}

impl Drop for Handoff {
    fn drop(&mut self) {
        let grace = self.core.stop_timeout;
        let _ = self.io.shutdown(&mut self.core, grace);
    }
}
