//! Readiness protocols: s6's notification fd and systemd's `NOTIFY_SOCKET`.
//!
//! - `Readiness::Fd(n)`: each start gets a fresh pipe whose write end is the
//!   child's fd `n`; the node is ready when a newline arrives. EOF before a
//!   newline, or 4 KiB without one, means it will never say so (the pipe is
//!   closed and the ready timeout then applies).
//! - `Readiness::Notify`: one datagram socket per node, named in the child's
//!   `NOTIFY_SOCKET` (see `notify_socket`). `READY=1` marks it ready;
//!   `STATUS=…` is kept as its status text; `RELOADING=1`, `WATCHDOG=1`,
//!   `STOPPING=1` and `MAINPID=` are read as systemd defines them
//!   (`sd_notify(3)`); other keys are ignored.

use std::os::fd::OwnedFd;

use rustix::io::Errno;

/// What a readiness channel said, in the order it said it: of `READY=1`
/// and `RELOADING=1`, the later one wins.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Notice {
    /// `READY=1` (a newline on a readiness pipe), not followed by
    /// `RELOADING=1`.
    pub(crate) ready: bool,
    /// `RELOADING=1`, not followed by `READY=1`.
    pub(crate) reloading: bool,
    /// `WATCHDOG=1`: a keep-alive ping.
    pub(crate) watchdog: bool,
    /// `STOPPING=1`: the node begins its shutdown.
    pub(crate) stopping: bool,
    /// The `MAINPID=` of each message that had one (its last), in the
    /// order they came, with their senders: each is judged and reported on
    /// its own, as systemd handles each datagram. At most one per datagram,
    /// so a read turn holds a bounded number.
    pub(crate) main_pids: Vec<super::main_pid::Claim>,
    pub(crate) status: Option<String>,
    /// The channel is finished (EOF on a readiness pipe).
    pub(crate) closed: bool,
}

/// The most a readiness pipe may hold before its newline. s6's protocol is a
/// newline, maybe after a word or two; a full read without one is a node
/// flooding its supervisor, and its pipe is closed as if it had said EOF.
const MOST_BEFORE_NEWLINE: usize = 4096;

/// Reads what arrived on a readiness pipe (non-blocking), in one read: the
/// event loop never spends more than that on one node's pipe per turn, so a
/// node writing without pause cannot hold up timers or other nodes. More is
/// read on the next turn (the wait set is level-triggered).
pub(crate) fn read_ready_pipe(pipe: &OwnedFd) -> Notice {
    let mut buf = [0u8; MOST_BEFORE_NEWLINE];
    let read = loop {
        match rustix::io::read(pipe, &mut buf) {
            Err(Errno::INTR) => {}
            read => break read,
        }
    };
    let mut notice = Notice::default();
    match read {
        Ok(0) => notice.closed = true,
        Ok(n) => {
            notice.ready = buf[..n].contains(&b'\n');
            notice.closed = !notice.ready && n == buf.len();
        }
        Err(Errno::AGAIN) => {}
        Err(_) => notice.closed = true,
    }
    notice
}
