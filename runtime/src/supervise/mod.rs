//! Supervision: the event loop that starts nodes in dependency order, waits
//! for their readiness, reaps them, applies restart policies and strategies,
//! and stops them in reverse order.
//!
//! Everything happens on the thread that calls `RunningGraph`'s methods, in
//! one `epoll_wait`; timers (backoff, ready and stop timeouts) are just the
//! wait's timeout, so an idle graph never wakes up.

mod deps;
mod engine;
mod event;
mod node;
mod readiness;
mod signals;
mod snapshot;
mod stop;

pub(crate) use deps::Deps;
pub use event::{Decision, Event};
pub(crate) use node::NodeRuntime;
pub use node::NodeState;
pub(crate) use readiness::NotifySocket;
pub(crate) use signals::SignalFd;
pub use snapshot::{NodeSnapshot, Snapshot};

/// What an epoll token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Pidfd(usize),
    ReadyPipe(usize),
    Notify(usize),
    Signals,
    Wake,
}

impl Token {
    pub(crate) fn encode(self) -> u64 {
        let (kind, index) = match self {
            Token::Pidfd(i) => (0u64, i),
            Token::ReadyPipe(i) => (1, i),
            Token::Notify(i) => (2, i),
            Token::Signals => (3, 0),
            Token::Wake => return crate::poller::WAKE_TOKEN,
        };
        (kind << 32) | index as u64
    }

    pub(crate) fn decode(token: u64) -> Token {
        if token == crate::poller::WAKE_TOKEN {
            return Token::Wake;
        }
        let index = (token & 0xffff_ffff) as usize;
        match token >> 32 {
            0 => Token::Pidfd(index),
            1 => Token::ReadyPipe(index),
            2 => Token::Notify(index),
            _ => Token::Signals,
        }
    }
}
