//! Supervision: the event loop that starts nodes in dependency order, waits
//! for their readiness, reaps them, applies restart policies and strategies,
//! and stops them in reverse order.
//!
//! Everything happens on the thread that calls `RunningGraph`'s methods, in
//! one wait on the graph's wait set (`poller`); timers (backoff, ready and
//! stop timeouts) are just the wait's timeout, so an idle graph never wakes
//! up.

mod agenda;
mod contain;
mod deps;
mod engine;
mod event;
mod event_text;
mod node;
mod notify_socket;
mod readiness;
mod signals;
mod snapshot;
mod stop;

pub(crate) use agenda::Agenda;
pub(crate) use deps::Deps;
pub(crate) use engine::Mode;
pub use event::{Decision, Event};
pub use node::NodeState;
pub(crate) use node::{AfterStop, NodeRuntime};
pub(crate) use notify_socket::NotifySocket;
pub(crate) use signals::SignalFd;
pub use snapshot::{NodeSnapshot, Snapshot};

/// What a ready fd in the wait set stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Pidfd(usize),
    /// A draining node's `cgroup.events`.
    Cgroup(usize),
    ReadyPipe(usize),
    Notify(usize),
    Signals,
    Wake,
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
            _ => Token::Wake,
        }
    }
}
