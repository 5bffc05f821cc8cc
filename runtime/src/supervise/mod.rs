//! Supervision: the event loop that starts nodes in dependency order, waits
//! for their readiness, reaps them, applies restart policies and strategies,
//! and stops them in reverse order.
//!
//! Two halves: the core (`core/`), a state machine with no I/O that decides
//! — inputs in, actions out, time an argument — and the driver (`driver/`),
//! which owns every process and fd, carries the actions out and turns what
//! the wait set reports into inputs. Everything happens on the thread that
//! calls `RunningGraph`'s methods, in one wait on the graph's wait set
//! (`poller`); the core's timers (backoff, ready and stop timeouts) are just
//! the wait's timeout, so an idle graph never wakes up.

mod core;
mod datagram;
mod driver;
mod event;
mod event_text;
mod lineage;
mod main_pid;
mod notify_socket;
mod readiness;
pub(crate) mod scope_requests;
mod signals;
mod snapshot;
mod trace;

pub use self::core::NodeState;
pub(crate) use self::core::{AfterStop, Core, Deps};
pub(crate) use driver::{Driver, Mode};
pub use event::{Decision, Event};
pub use main_pid::MainPidRefusal;
pub(crate) use notify_socket::NotifySocket;
pub(crate) use signals::SignalFd;
pub use snapshot::{NodeSnapshot, Snapshot};

/// What a ready fd in the wait set stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Pidfd(usize),
    /// The pidfd of a node's main process that it named (`MAINPID=`).
    MainPid(usize),
    /// A draining node's `cgroup.events`.
    Cgroup(usize),
    ReadyPipe(usize),
    Notify(usize),
    Signals,
    Wake,
    /// The socket or the command's pidfd of a node's probe attempt.
    Probe(usize, crate::probe::ProbeKind),
    /// The sync socket of a scope (by its place) whose init is to answer
    /// ([`scope_requests`]).
    ScopeSync(usize),
    /// The report pipe of a node's start under way (`Input::Launching`).
    Launch(usize),
    /// The pidfd of a scope's init (by its place) found exiting, until it
    /// has exited and is reaped ([`scope_requests`]).
    ScopeInit(usize),
}

/// The kind in the top byte, the node index below it.
impl crate::poller::WaitKey for Token {
    fn to_u64(self) -> u64 {
        let (kind, index) = match self {
            Token::Pidfd(i) => (0, i),
            Token::ReadyPipe(i) => (1, i),
            Token::Notify(i) => (2, i),
            Token::Signals => (3, 0),
            Token::Wake => (4, 0),
            Token::Cgroup(i) => (5, i),
            Token::Probe(i, crate::probe::ProbeKind::Ready) => (6, i),
            Token::Probe(i, crate::probe::ProbeKind::Live) => (7, i),
            Token::ScopeSync(s) => (8, s),
            Token::MainPid(i) => (9, i),
            Token::Launch(i) => (10, i),
            Token::ScopeInit(s) => (11, s),
        };
        (kind << 56) | index as u64
    }

    fn from_u64(key: u64) -> Self {
        let index = (key & ((1 << 56) - 1)) as usize;
        match key >> 56 {
            0 => Token::Pidfd(index),
            1 => Token::ReadyPipe(index),
            2 => Token::Notify(index),
            3 => Token::Signals,
            5 => Token::Cgroup(index),
            6 => Token::Probe(index, crate::probe::ProbeKind::Ready),
            7 => Token::Probe(index, crate::probe::ProbeKind::Live),
            8 => Token::ScopeSync(index),
            9 => Token::MainPid(index),
            10 => Token::Launch(index),
            11 => Token::ScopeInit(index),
            _ => Token::Wake,
        }
    }
}
