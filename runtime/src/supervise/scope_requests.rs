//! What the application has asked the scopes' inits and not had answered:
//! sockets for probes of their nodes, and kills of what a scope's only node
//! left behind. An init answers in the order it was asked, on its sync
//! socket, so one queue per scope pairs each answer with its request; while
//! a queue is not empty, that socket is in the wait set. And the inits
//! found exiting (killed: see `Step::ScopeInitEnded`), whose pidfds are in
//! the wait set until they have exited and are reaped.

use std::collections::VecDeque;
use std::io;
use std::os::fd::BorrowedFd;

use super::Token;
use crate::poller::{Interest, WaitSet};
use crate::probe::ProbeKind;
use crate::scope::{Answer, ScopeRuntime};

/// One request sent to a scope's init.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asked {
    /// A TCP socket, for attempt `attempt` of node `node`'s probe `kind`
    /// ([`ScopeRuntime::request_socket`]).
    Socket {
        node: usize,
        kind: ProbeKind,
        attempt: u64,
    },
    /// What the scope's only member, node `node`, left when it ended,
    /// killed ([`ScopeRuntime::request_clear`]).
    Clear { node: usize },
}

#[derive(Debug, Default)]
pub(crate) struct ScopeRequests {
    /// Per scope, by its place in the graph's scopes: what was asked, in
    /// order.
    asked: Vec<VecDeque<Asked>>,
    /// The places of the scopes whose init was found exiting, its pidfd in
    /// the wait set.
    exiting_inits: Vec<usize>,
}

impl ScopeRequests {
    /// Sends `scope` (at `place`) the request `asked` with `send`, and
    /// waits for its answer with `waits`: the answer is watched for before
    /// the request goes, and noted only if it went, so that every answer
    /// that comes pairs with its request.
    pub(crate) fn ask(
        &mut self,
        place: usize,
        scope: &ScopeRuntime,
        asked: Asked,
        send: impl FnOnce(&ScopeRuntime) -> io::Result<()>,
        waits: &mut WaitSet<Token>,
    ) -> io::Result<()> {
        if self.asked.len() <= place {
            self.asked.resize_with(place + 1, VecDeque::new);
        }
        let queue = &mut self.asked[place];
        if queue.is_empty() {
            waits.add(scope.sync_fd(), Token::ScopeSync(place), Interest::Readable)?;
        }
        if let Err(e) = send(scope) {
            if queue.is_empty() {
                waits.remove(scope.sync_fd());
            }
            return Err(e);
        }
        queue.push_back(asked);
        Ok(())
    }

    /// The answers `scope` (at `place`) has sent, each with what it
    /// answers. At EOF (the init is gone) every request left gets an error.
    pub(crate) fn answers(
        &mut self,
        place: usize,
        scope: &ScopeRuntime,
        waits: &mut WaitSet<Token>,
    ) -> Vec<(Asked, Answer)> {
        let mut answered = Vec::new();
        let Some(queue) = self.asked.get_mut(place) else {
            return answered;
        };
        while !queue.is_empty() {
            let Some(answer) = scope.receive_answer() else {
                break;
            };
            answered.extend(queue.pop_front().map(|asked| (asked, answer)));
        }
        if queue.is_empty() {
            waits.remove(scope.sync_fd());
        }
        answered
    }

    /// Whether a kill asked of the scope at `place` has not been answered.
    pub(crate) fn is_clearing(&self, place: usize) -> bool {
        self.asked
            .get(place)
            .is_some_and(|queue| queue.iter().any(|a| matches!(a, Asked::Clear { .. })))
    }

    /// The scope at `place` ends (its sync socket is about to be closed):
    /// what it was asked will not be answered, and its socket leaves the
    /// wait set first (a closed fd left in a `ppoll` list is reported
    /// without end, and its number may name another fd next).
    pub(crate) fn end(&mut self, place: usize, scope: &ScopeRuntime, waits: &mut WaitSet<Token>) {
        if let Some(queue) = self.asked.get_mut(place)
            && !queue.is_empty()
        {
            waits.remove(scope.sync_fd());
            queue.clear();
        }
        if let Some(pidfd) = scope.init_pidfd() {
            self.init_reaped(place, pidfd, waits);
        }
    }

    /// The init of `scope` (at `place`) was found exiting: its pidfd goes
    /// into the wait set, once, to be reaped when it has exited. Not
    /// watched if it cannot go in: its scope's end reaps it then.
    pub(crate) fn watch_exiting_init(
        &mut self,
        place: usize,
        scope: &ScopeRuntime,
        waits: &mut WaitSet<Token>,
    ) {
        let Some(pidfd) = scope.init_pidfd() else {
            return; // Reaped already.
        };
        if !self.exiting_inits.contains(&place)
            && waits
                .add(pidfd, Token::ScopeInit(place), Interest::Readable)
                .is_ok()
        {
            self.exiting_inits.push(place);
        }
    }

    /// The init of the scope at `place` is reaped, or its scope ends:
    /// `pidfd`, about to be closed, leaves the wait set if it is in it.
    pub(crate) fn init_reaped(
        &mut self,
        place: usize,
        pidfd: BorrowedFd<'_>,
        waits: &mut WaitSet<Token>,
    ) {
        if let Some(at) = self.exiting_inits.iter().position(|&p| p == place) {
            waits.remove(pidfd);
            self.exiting_inits.swap_remove(at);
        }
    }

    /// Stops waiting for any answer or init's exit (the graph is being
    /// torn down): `scope_at` finds each scope by its place.
    pub(crate) fn forget_all<'s>(
        &mut self,
        scope_at: impl Fn(usize) -> Option<&'s ScopeRuntime>,
        waits: &mut WaitSet<Token>,
    ) {
        for place in 0..self.asked.len() {
            match scope_at(place) {
                Some(scope) => self.end(place, scope, waits),
                None => self.asked[place].clear(),
            }
        }
        for place in std::mem::take(&mut self.exiting_inits) {
            if let Some(pidfd) = scope_at(place).and_then(ScopeRuntime::init_pidfd) {
                waits.remove(pidfd);
            }
        }
    }
}
