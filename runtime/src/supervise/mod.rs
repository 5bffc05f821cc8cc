//! Supervision: the event loop that starts nodes in dependency order, waits
//! for their readiness, reaps them, applies restart policies and strategies,
//! and stops them in reverse order.
//!
//! Everything happens on the thread that calls `RunningGraph`'s methods, in
//! one `poll`; timers (backoff, ready and stop timeouts) are just the
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
pub(crate) use engine::Mode;
pub use event::{Decision, Event};
pub use node::NodeState;
pub(crate) use node::{AfterStop, NodeRuntime};
pub(crate) use readiness::NotifySocket;
pub(crate) use signals::SignalFd;
pub use snapshot::{NodeSnapshot, Snapshot};

/// What a ready fd in the wait set stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Pidfd(usize),
    ReadyPipe(usize),
    Notify(usize),
    Signals,
    Wake,
}
