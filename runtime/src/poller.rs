//! The one `epoll` instance a running graph waits on: every live pidfd, plus
//! an eventfd another thread can use to wake the waiting thread.
//!
//! No SIGCHLD handler, no signalfd, no timer: an idle graph sleeps in
//! `epoll_wait` and costs no wake-ups at all.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustix::event::{EventfdFlags, Timespec, epoll, eventfd};

/// The token of the wake-up eventfd.
pub(crate) const WAKE_TOKEN: u64 = u64::MAX;

#[derive(Debug)]
pub(crate) struct Poller {
    epoll: OwnedFd,
    /// Made on the first `waker()` call: most graphs never need one, and an
    /// eventfd plus its registration would cost every spawn three syscalls.
    wake: OnceLock<Arc<OwnedFd>>,
}

/// Wakes a thread blocked in [`RunningGraph::next_event`](crate::RunningGraph::next_event)
/// from any other thread; that call then returns
/// [`Event::Woken`](crate::Event::Woken).
///
/// ```
/// use std::time::Duration;
/// use process_graph_runtime::{Command, Event, Graph};
///
/// let mut graph = Graph::new();
/// graph.node("sleeper", Command::new("sleep").arg("10"));
/// let mut running = graph.spawn()?;
/// let waker = running.waker()?;
/// std::thread::spawn(move || waker.wake());
/// loop {
///     match running.next_event(Some(Duration::from_secs(5)))? {
///         Some(Event::Started { .. }) => continue,
///         other => break assert_eq!(other, Some(Event::Woken)),
///     }
/// }
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Waker(Arc<OwnedFd>);

impl Waker {
    /// Wakes the waiting thread (or the next call, if none is waiting).
    pub fn wake(&self) {
        // Fails only if the counter would overflow, which still leaves it readable.
        let _ = rustix::io::write(&*self.0, &1u64.to_ne_bytes());
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        Ok(Poller {
            epoll,
            wake: OnceLock::new(),
        })
    }

    /// A second fd for the same epoll instance (for an async reactor).
    #[cfg(feature = "tokio")]
    pub(crate) fn duplicate(&self) -> io::Result<OwnedFd> {
        Ok(rustix::io::fcntl_dupfd_cloexec(&self.epoll, 0)?)
    }

    pub(crate) fn waker(&self) -> io::Result<Waker> {
        if let Some(wake) = self.wake.get() {
            return Ok(Waker(Arc::clone(wake)));
        }
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        self.watch(wake.as_fd(), WAKE_TOKEN)?;
        // Two racing callers may both get here; the loser's eventfd is dropped,
        // which also takes it out of the epoll set.
        let wake = self.wake.get_or_init(|| Arc::new(wake));
        Ok(Waker(Arc::clone(wake)))
    }

    /// Watches `fd` for readability, reported as `token`.
    pub(crate) fn watch(&self, fd: BorrowedFd<'_>, token: u64) -> io::Result<()> {
        Ok(epoll::add(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(token),
            epoll::EventFlags::IN,
        )?)
    }

    /// Stops watching `fd`.
    pub(crate) fn unwatch(&self, fd: BorrowedFd<'_>) {
        // ENOENT means it was never added, which is fine to ignore.
        let _ = epoll::delete(&self.epoll, fd);
    }

    /// Waits until something is ready or `timeout` passes; appends the ready
    /// tokens to `ready`. A wake-up is consumed and reported as [`WAKE_TOKEN`].
    pub(crate) fn wait(&self, timeout: Option<Duration>, ready: &mut Vec<u64>) -> io::Result<()> {
        let timeout = timeout.map(|t| Timespec {
            tv_sec: t.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: t.subsec_nanos().into(),
        });
        let mut events = Vec::with_capacity(16);
        loop {
            match epoll::wait(
                &self.epoll,
                rustix::buffer::spare_capacity(&mut events),
                timeout.as_ref(),
            ) {
                Err(rustix::io::Errno::INTR) => continue,
                other => {
                    other?;
                    break;
                }
            }
        }
        for event in &events {
            let token = event.data.u64();
            if let (WAKE_TOKEN, Some(wake)) = (token, self.wake.get()) {
                let mut counter = [0u8; 8];
                let _ = rustix::io::read(wake.as_fd(), &mut counter);
            }
            ready.push(token);
        }
        Ok(())
    }
}
