//! Waiting on a running graph from a tokio runtime (feature `tokio`).
//!
//! The blocking loop waits in `poll` on the fds the graph holds. The async
//! API puts the same fds in an epoll instance — one fd that turns readable
//! when any of them is — registers it with tokio's reactor, and runs the
//! same event loop with a zero timeout whenever it fires; backoff and stop
//! timers become a `tokio::time` deadline. No thread is blocked.

use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::error::Error;
use crate::exit::ExitReport;
use crate::running::RunningGraph;
use crate::supervise::Event;

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
            if let Some(event) = self.next_event(Some(Duration::ZERO))? {
                return Ok(Some(event));
            }
            if self.is_finished() {
                return Ok(None);
            }
            // Each turn may change the fds (a restart brings a new pidfd), so
            // each wait watches the set the graph holds now.
            let epoll = self
                .wait_set()
                .to_epoll()
                .map_err(|e| Error::io(None, "epoll for the tokio reactor", e))?;
            // SAFETY: `epoll` is a fresh fd owned by the AsyncFd for its whole
            // life, so it stays open and refers to the same epoll instance.
            let readiness = unsafe { AsyncFd::register_with_interest(epoll, Interest::READABLE) }
                .map_err(|e| {
                Error::io(None, "register with the tokio reactor", e.into_parts().1)
            })?;
            let readable = readiness.readable();
            let ready = match self.next_timer() {
                Some(at) => tokio::time::timeout_at(at.into(), readable).await.ok(),
                None => Some(readable.await),
            };
            if let Some(guard) = ready {
                guard
                    .map_err(|e| Error::io(None, "wait for the tokio reactor", e))?
                    .clear_ready();
            }
        }
    }

    /// [`wait`](Self::wait), as a future.
    pub async fn wait_async(&mut self) -> Result<ExitReport, Error> {
        while !self.is_finished() {
            self.next_event_async().await?;
        }
        self.finish()
    }
}
