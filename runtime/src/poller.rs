//! The wait set of a running graph: every fd it waits on (pidfds, readiness
//! channels, the signalfd, the wake-up eventfd, the `cgroup.events` of nodes whose cgroup is being emptied),
//! kept in step with what the graph holds — an fd is added when the graph
//! gets it and removed just before the graph closes it — plus an eventfd
//! another thread can use to wake the wait.
//!
//! No SIGCHLD handler, no signalfd unless asked for, no timer: an idle graph
//! sleeps in one wait and costs no wake-ups at all.
//!
//! Two ways of waiting, chosen by size. A small set is waited on with one
//! `ppoll` over the kept list: no epoll instance to create, fill and close,
//! which for a one-node graph cost +7.0 to +8.6 µs on a ~72 µs spawn against
//! +0.1 to +2.5 µs for one `poll` (`bench spawn-overhead`, pinned). But
//! `poll` is linear in the number of fds, and a restart beside 1,000 running
//! nodes cost 4.9× a raw pidfd loop. So once the set holds more than
//! [`POLL_LIMIT`] fds it moves, for good, into an epoll instance, where an
//! event costs the same whatever the number of fds; so does an async
//! reactor's wait, which needs one fd to register.
//!
//! Removing before closing matters for epoll: an entry lives as long as the
//! open file, and another process (a scope's join helper) may briefly share
//! it; a closed fd left registered would keep reporting its token.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustix::event::{EventfdFlags, epoll, eventfd};

use crate::sys;

/// Beyond this many fds, the set waits in epoll instead of `ppoll`.
const POLL_LIMIT: usize = 8;

/// The most events one epoll wait reports; more stay ready for the next.
const EPOLL_BATCH: usize = 64;

/// What a token of the wait set must be: a small copyable value that
/// survives a round trip through epoll's 64-bit user data.
pub(crate) trait WaitKey: Copy {
    fn to_u64(self) -> u64;
    fn from_u64(key: u64) -> Self;
}

impl WaitKey for u64 {
    fn to_u64(self) -> u64 {
        self
    }
    fn from_u64(key: u64) -> Self {
        key
    }
}

/// What an fd is watched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interest {
    /// Readable; hang-up and error count too (`POLLIN`).
    Readable,
    /// An exceptional condition, such as a changed cgroup event file
    /// (`POLLPRI`).
    Priority,
    /// Writable, such as a socket whose non-blocking connect has finished;
    /// hang-up and error count too (`POLLOUT`).
    Writable,
}

impl Interest {
    fn poll_events(self) -> libc::c_short {
        match self {
            Interest::Readable => libc::POLLIN,
            Interest::Priority => libc::POLLPRI,
            Interest::Writable => libc::POLLOUT,
        }
    }

    fn epoll_flags(self) -> epoll::EventFlags {
        // The poll and epoll bits have the same values.
        epoll::EventFlags::from_bits_retain(self.poll_events() as u16 as u32)
    }
}

/// The fds a running graph waits on, each with the token that reports it.
pub(crate) struct WaitSet<T> {
    /// While small: every fd, polled together, and its token.
    polled: Vec<libc::pollfd>,
    tokens: Vec<T>,
    /// Once large (or an async reactor asked for one fd): the epoll
    /// instance holding every fd instead. Shared with the reactor.
    epoll: Option<Arc<OwnedFd>>,
    /// Whether the last wait reported nothing ready.
    drained: bool,
}

impl<T> std::fmt::Debug for WaitSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.epoll {
            Some(epoll) => write!(f, "WaitSet(epoll {epoll:?})"),
            None => write!(f, "WaitSet(ppoll over {:?})", self.polled),
        }
    }
}

impl<T: WaitKey> WaitSet<T> {
    pub(crate) fn new() -> Self {
        WaitSet {
            polled: Vec::new(),
            tokens: Vec::new(),
            epoll: None,
            drained: true,
        }
    }

    /// Watches `fd` for `interest`, reported as `token`, until
    /// [`remove`](Self::remove)d. The caller keeps `fd` open until then.
    /// On an error `fd` is not watched: the caller, which then forgets it,
    /// may close it.
    pub(crate) fn add(
        &mut self,
        fd: BorrowedFd<'_>,
        token: T,
        interest: Interest,
    ) -> io::Result<()> {
        if let Some(epoll) = &self.epoll {
            return Ok(epoll::add(
                epoll,
                fd,
                epoll::EventData::new_u64(token.to_u64()),
                interest.epoll_flags(),
            )?);
        }
        self.polled.push(libc::pollfd {
            fd: fd.as_raw_fd(),
            events: interest.poll_events(),
            revents: 0,
        });
        self.tokens.push(token);
        if self.polled.len() > POLL_LIMIT
            && let Err(e) = self.move_to_epoll()
        {
            // Still a `ppoll` list: a closed fd left in it would be
            // reported without end.
            self.polled.pop();
            self.tokens.pop();
            return Err(e);
        }
        Ok(())
    }

    /// Stops watching `fd`: call it before closing `fd`.
    pub(crate) fn remove(&mut self, fd: BorrowedFd<'_>) {
        if let Some(epoll) = &self.epoll {
            // ENOENT (never added) is the only failure, and harmless.
            let _ = epoll::delete(epoll, fd);
            return;
        }
        if let Some(place) = self.polled.iter().position(|p| p.fd == fd.as_raw_fd()) {
            self.polled.swap_remove(place);
            self.tokens.swap_remove(place);
        }
    }

    /// Moves every fd into a new epoll instance, where the set stays.
    fn move_to_epoll(&mut self) -> io::Result<Arc<OwnedFd>> {
        let instance = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        for (entry, &token) in self.polled.iter().zip(&self.tokens) {
            // Every fd in the list is open: the caller removes an fd before
            // closing it.
            sys::epoll_add_listed(&instance, entry, token.to_u64())?;
        }
        self.polled = Vec::new();
        self.tokens = Vec::new();
        let instance = Arc::new(instance);
        self.epoll = Some(Arc::clone(&instance));
        Ok(instance)
    }

    /// The one fd that is readable when any fd of the set is ready, for an
    /// async reactor to register once (the set moves into epoll for it).
    #[cfg(feature = "tokio")]
    pub(crate) fn shared_fd(&mut self) -> io::Result<Arc<OwnedFd>> {
        match &self.epoll {
            Some(epoll) => Ok(Arc::clone(epoll)),
            None => self.move_to_epoll(),
        }
    }

    /// Whether the last wait found nothing ready.
    #[cfg(feature = "tokio")]
    pub(crate) fn drained(&self) -> bool {
        self.drained
    }

    /// Waits until something is ready or `timeout` passes; appends the
    /// tokens of what is ready to `ready` (nothing after a timeout).
    pub(crate) fn wait(&mut self, timeout: Option<Duration>, ready: &mut Vec<T>) -> io::Result<()> {
        let before = ready.len();
        let timeout = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().try_into().unwrap_or(libc::time_t::MAX),
            tv_nsec: t.subsec_nanos().into(),
        });
        if let Some(epoll) = &self.epoll {
            let timeout = timeout.map(|t| rustix::event::Timespec {
                tv_sec: t.tv_sec,
                tv_nsec: t.tv_nsec,
            });
            // On the stack: a buffer kept in the set would make it `!Send`
            // (an epoll event may hold a pointer) and cost memory for good.
            let mut events = [MaybeUninit::<epoll::Event>::uninit(); EPOLL_BATCH];
            let reported = loop {
                match epoll::wait(&**epoll, &mut events, timeout.as_ref()) {
                    Err(rustix::io::Errno::INTR) => continue,
                    other => break other?.0,
                }
            };
            ready.extend(reported.iter().map(|e| T::from_u64(e.data.u64())));
        } else {
            sys::ppoll(&mut self.polled, timeout.as_ref())?;
            ready.extend(
                self.polled
                    .iter()
                    .zip(&self.tokens)
                    .filter(|(p, _)| p.revents != 0)
                    .map(|(_, &token)| token),
            );
        }
        self.drained = ready.len() == before;
        Ok(())
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Event, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("server", Command::new("sleep").arg("10"));
    /// let mut running = graph.spawn()?;
    /// running.waker()?.wake(); // nobody waits yet: the next call returns at once
    /// loop {
    ///     match running.next_event(Some(Duration::from_secs(5)))? {
    ///         Some(Event::Started { .. }) => continue,
    ///         other => break assert_eq!(other, Some(Event::Woken)),
    ///     }
    /// }
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn wake(&self) {
        // Fails only if the counter would overflow, which still leaves it readable.
        let _ = rustix::io::write(&*self.0, &1u64.to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fs::{Mode, OFlags};

    fn ready_now(set: &mut WaitSet<u64>) -> Vec<u64> {
        let mut ready = Vec::new();
        set.wait(Some(Duration::ZERO), &mut ready).unwrap();
        ready.sort();
        ready
    }

    /// The same answers from `ppoll` (small) and epoll (large).
    fn reports_the_tokens_of_ready_fds_only(extra: usize) {
        let (quiet_reader, _quiet_writer) = rustix::pipe::pipe().unwrap();
        let (loud_reader, loud_writer) = rustix::pipe::pipe().unwrap();
        let (closed_reader, closed_writer) = rustix::pipe::pipe().unwrap();
        rustix::io::write(&loud_writer, b"x").unwrap();
        drop(closed_writer);
        let mut set = WaitSet::new();
        set.add(quiet_reader.as_fd(), 1, Interest::Readable)
            .unwrap();
        set.add(loud_reader.as_fd(), 2, Interest::Readable).unwrap();
        set.add(closed_reader.as_fd(), 3, Interest::Readable)
            .unwrap();
        let fillers: Vec<_> = (0..extra).map(|_| rustix::pipe::pipe().unwrap()).collect();
        for (i, (reader, _)) in fillers.iter().enumerate() {
            set.add(reader.as_fd(), 10 + i as u64, Interest::Readable)
                .unwrap();
        }
        assert_eq!(set.epoll.is_some(), 3 + extra > POLL_LIMIT);
        // A hang-up counts: the owner must look at the fd to see its EOF.
        let mut ready = Vec::new();
        set.wait(None, &mut ready).unwrap();
        ready.sort();
        assert_eq!(ready, [2, 3]);
        // Removed, an fd is no longer reported, even while still ready.
        set.remove(loud_reader.as_fd());
        assert_eq!(ready_now(&mut set), [3]);
        set.remove(closed_reader.as_fd());
        assert!(ready_now(&mut set).is_empty());
        assert!(set.drained);
    }

    #[test]
    fn reports_the_tokens_of_ready_fds_only_in_poll() {
        reports_the_tokens_of_ready_fds_only(0);
    }

    #[test]
    fn reports_the_tokens_of_ready_fds_only_in_epoll() {
        reports_the_tokens_of_ready_fds_only(POLL_LIMIT);
    }

    /// An add that fails leaves the fd out of the set: the caller may
    /// close it. Here the move to epoll fails, as epoll takes no regular
    /// file, which `ppoll` took.
    #[test]
    fn an_add_that_fails_leaves_its_fd_unwatched() {
        let file = rustix::fs::open("/proc/self/stat", OFlags::RDONLY, Mode::empty()).unwrap();
        let pipes: Vec<_> = (0..POLL_LIMIT)
            .map(|_| rustix::pipe::pipe().unwrap())
            .collect();
        let mut set = WaitSet::new();
        set.add(file.as_fd(), 0u64, Interest::Readable).unwrap();
        for (i, (reader, _)) in pipes[1..].iter().enumerate() {
            set.add(reader.as_fd(), 1 + i as u64, Interest::Readable)
                .unwrap();
        }
        let (last, _writer) = &pipes[0];
        let failed = set.add(last.as_fd(), 99, Interest::Readable);
        assert_eq!(failed.unwrap_err().raw_os_error(), Some(libc::EPERM));
        assert!(set.epoll.is_none());
        assert_eq!(set.tokens, (0..POLL_LIMIT as u64).collect::<Vec<_>>());
        assert!(!set.polled.iter().any(|p| p.fd == last.as_raw_fd()));
    }

    #[test]
    fn priority_interest_ignores_plain_readability() {
        let (reader, writer) = rustix::pipe::pipe().unwrap();
        rustix::io::write(&writer, b"x").unwrap();
        let mut set = WaitSet::new();
        set.add(reader.as_fd(), 1, Interest::Priority).unwrap();
        assert!(ready_now(&mut set).is_empty());
    }

    #[test]
    fn times_out_with_nothing_ready() {
        let (reader, _writer) = rustix::pipe::pipe().unwrap();
        let mut set = WaitSet::new();
        set.add(reader.as_fd(), 0u64, Interest::Readable).unwrap();
        let mut ready = Vec::new();
        set.wait(Some(Duration::from_millis(1)), &mut ready)
            .unwrap();
        assert!(ready.is_empty());
    }

    #[test]
    fn a_wake_up_is_reported_until_drained() {
        let wake = WakeFd::default();
        assert!(wake.fd().is_none(), "no eventfd before the first waker");
        let waker = wake.waker().unwrap();
        waker.wake();
        waker.wake();
        let mut set = WaitSet::new();
        set.add(wake.fd().unwrap(), 0u64, Interest::Readable)
            .unwrap();
        assert_eq!(ready_now(&mut set).len(), 1);
        wake.drain();
        assert!(
            ready_now(&mut set).is_empty(),
            "one drain consumes every wake-up so far"
        );
    }
}
