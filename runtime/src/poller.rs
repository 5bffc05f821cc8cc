//! Waiting until one of the fds a graph holds turns readable: one `poll(2)`
//! over them, plus an eventfd another thread can use to wake the wait.
//!
//! No SIGCHLD handler, no signalfd unless asked for, no timer: an idle graph
//! sleeps in `poll` and costs no wake-ups at all.
//!
//! Why `poll` and not `epoll`: the set is built afresh for every wait from
//! what the graph holds at that moment, so there is no registration to keep
//! in step with the fds' lifetimes — an epoll entry outlives a closed fd
//! while another process (a scope init, a join helper) still shares the file
//! — and no epoll instance to create, fill and close for every graph. For a
//! one-node graph that instance cost +7.0 to +8.6 µs on a ~72 µs spawn, one
//! `poll` +0.1 to +2.5 µs (`bench spawn-overhead`, pinned, over four runs;
//! the last is in BENCHMARKS.md). The price: `poll` is
//! linear in the number of fds. A restart costs 1.09× a raw pidfd loop
//! alone, 1.6× beside 100 running nodes and 4.9× beside 1,000 (`bench
//! restart --siblings N`), where an epoll would be cheaper.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustix::event::{EventfdFlags, PollFd, PollFlags, Timespec, eventfd, poll};

/// The fds to wait on, each with the token that reports it.
pub(crate) struct WaitSet<'fd, T> {
    fds: Vec<PollFd<'fd>>,
    tokens: Vec<T>,
}

impl<'fd, T: Copy> WaitSet<'fd, T> {
    pub(crate) fn new() -> Self {
        WaitSet {
            fds: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// Watches `fd` for readability (hang-up and error count too), reported
    /// as `token`.
    pub(crate) fn add(&mut self, fd: BorrowedFd<'fd>, token: T) {
        self.fds.push(PollFd::from_borrowed_fd(fd, PollFlags::IN));
        self.tokens.push(token);
    }

    /// Waits until something is ready or `timeout` passes; returns the tokens
    /// of what is ready (none after a timeout).
    pub(crate) fn wait(mut self, timeout: Option<Duration>) -> io::Result<Vec<T>> {
        let timeout = timeout.map(|t| Timespec {
            tv_sec: t.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: t.subsec_nanos().into(),
        });
        loop {
            match poll(&mut self.fds, timeout.as_ref()) {
                Err(rustix::io::Errno::INTR) => continue,
                other => {
                    other?;
                    break;
                }
            }
        }
        Ok(self
            .fds
            .iter()
            .zip(&self.tokens)
            .filter(|(fd, _)| !fd.revents().is_empty())
            .map(|(_, &token)| token)
            .collect())
    }

    /// An epoll instance watching the same fds, readable when one of them is:
    /// a single fd for an async reactor to wait on.
    #[cfg(feature = "tokio")]
    pub(crate) fn to_epoll(&self) -> io::Result<OwnedFd> {
        use rustix::event::epoll;
        let instance = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        for fd in &self.fds {
            epoll::add(
                &instance,
                fd,
                epoll::EventData::new_u64(0),
                epoll::EventFlags::IN,
            )?;
        }
        Ok(instance)
    }
}

/// The eventfd behind [`Waker`]s, made on the first `waker()` call: most
/// graphs never need one, and it would cost every spawn two syscalls.
#[derive(Debug, Default)]
pub(crate) struct WakeFd(OnceLock<Arc<OwnedFd>>);

impl WakeFd {
    pub(crate) fn waker(&self) -> io::Result<Waker> {
        if let Some(wake) = self.0.get() {
            return Ok(Waker(Arc::clone(wake)));
        }
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        // Two racing callers may both get here; the loser's eventfd is dropped.
        let wake = self.0.get_or_init(|| Arc::new(wake));
        Ok(Waker(Arc::clone(wake)))
    }

    /// The eventfd, to wait on, if a waker was ever made.
    pub(crate) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.0.get().map(|fd| fd.as_fd())
    }

    /// Consumes the wake-ups so far, so the fd stops being readable.
    pub(crate) fn drain(&self) {
        if let Some(fd) = self.0.get() {
            let mut counter = [0u8; 8];
            let _ = rustix::io::read(fd.as_fd(), &mut counter);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_tokens_of_ready_fds_only() {
        let (quiet_reader, _quiet_writer) = rustix::pipe::pipe().unwrap();
        let (loud_reader, loud_writer) = rustix::pipe::pipe().unwrap();
        let (closed_reader, closed_writer) = rustix::pipe::pipe().unwrap();
        rustix::io::write(&loud_writer, b"x").unwrap();
        drop(closed_writer);
        let mut set = WaitSet::new();
        set.add(quiet_reader.as_fd(), 'q');
        set.add(loud_reader.as_fd(), 'l');
        set.add(closed_reader.as_fd(), 'c');
        // A hang-up counts: the owner must look at the fd to see its EOF.
        assert_eq!(set.wait(None).unwrap(), ['l', 'c']);
    }

    #[test]
    fn times_out_with_nothing_ready() {
        let (reader, _writer) = rustix::pipe::pipe().unwrap();
        let mut set = WaitSet::new();
        set.add(reader.as_fd(), ());
        assert!(set.wait(Some(Duration::from_millis(1))).unwrap().is_empty());
    }

    #[test]
    fn a_wake_up_is_reported_until_drained() {
        let wake = WakeFd::default();
        assert!(wake.fd().is_none(), "no eventfd before the first waker");
        let waker = wake.waker().unwrap();
        waker.wake();
        waker.wake();
        let ready = |wake: &WakeFd| {
            let mut set = WaitSet::new();
            set.add(wake.fd().unwrap(), ());
            set.wait(Some(Duration::ZERO)).unwrap().len()
        };
        assert_eq!(ready(&wake), 1);
        wake.drain();
        assert_eq!(ready(&wake), 0, "one drain consumes every wake-up so far");
    }
}
