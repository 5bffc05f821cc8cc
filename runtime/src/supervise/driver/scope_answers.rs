//! The driver's side of the scopes' inits' answers (`ScopeRequests`): a
//! socket for a probe attempt, or the kill of what a scope's only node
//! left when it ended, whose answer ends that node (`contain.rs`).

use std::time::Instant;

use super::Driver;
use crate::supervise::core::{Core, Input};
use crate::supervise::scope_requests::Asked;

impl Driver {
    /// The init of the scope at `place` answered: each answer goes to what
    /// asked for it.
    pub(super) fn scope_answered(&mut self, core: &mut Core, place: usize, now: Instant) {
        let Some(scope) = self.launcher.scope_at(place) else {
            return;
        };
        for (asked, answer) in self.scope_requests.answers(place, scope, &mut self.waits) {
            match asked {
                Asked::Socket {
                    node,
                    kind,
                    attempt,
                } => {
                    let result = (self.probes).socket_arrived(
                        node,
                        kind,
                        attempt,
                        answer.result,
                        &mut self.waits,
                    );
                    if let Some(result) = result {
                        core.handle(Input::ProbeResult { node, kind, result }, now);
                    }
                }
                Asked::Clear { node } => {
                    // Answered, or the init is gone, and with it its pid
                    // namespace: nothing the node left runs, and what it
                    // cloned is reaped — now too where its end was reported
                    // before (the init was held up).
                    self.reap_scope_strays_of(node, answer.left);
                    if self.clears.remove(&node).is_some() {
                        self.node_ended(core, node, now);
                    }
                    self.release_starts(core, now);
                }
            }
        }
    }
}
