//! The events queued for the application, in order.
//!
//! A node makes some at the rate it sends datagrams: each `MAINPID=` claim
//! is a `MainPid` or a `MainPidRefused`. While the application takes no
//! events (`spawn` and `reload` run the loop until every node has started,
//! or the node is ready) they would pile up without bound: a node's flood
//! queued a million in 45 s, 50 MiB (`tests/event_flood.rs`). So once
//! [`CLAIMS_PER_NODE`] of a node's claim events are queued, its next one
//! replaces its last if that is of the same kind and nothing of that node
//! came after it, and is dropped otherwise: an application that takes its events
//! sees every claim; one that does not, each node's latest.

use std::collections::{HashMap, VecDeque};

use crate::supervise::Event;

/// How many claim events of one node may be queued before newer ones
/// replace or drop.
const CLAIMS_PER_NODE: u32 = 16;

#[derive(Debug, Default)]
pub(crate) struct Events {
    queue: VecDeque<Event>,
    /// How many events have left the queue (handed out or dropped): an
    /// event's sequence number less this is its index.
    gone: u64,
    /// Per node with claim events queued, how many, and where its last.
    claims: HashMap<usize, Claims>,
}

/// A node's claim events in the queue.
#[derive(Debug, Default)]
struct Claims {
    queued: u32,
    /// The sequence number of the node's last event queued, while that is
    /// a claim: the one a claim past the cap may replace.
    last: Option<u64>,
}

impl Events {
    pub(crate) fn push(&mut self, event: Event) {
        let seq = self.gone + self.queue.len() as u64;
        match claim(&event) {
            Some(key) => {
                let node = self.claims.entry(key.0).or_default();
                if node.queued >= CLAIMS_PER_NODE {
                    let last = (node.last)
                        .and_then(|at| usize::try_from(at.checked_sub(self.gone)?).ok())
                        .and_then(|index| self.queue.get_mut(index))
                        .filter(|last| claim(last) == Some(key));
                    if let Some(last) = last {
                        *last = event;
                    }
                    return;
                }
                node.queued += 1;
                node.last = Some(seq);
            }
            // Anything else of the node comes after its claims so far: a
            // later claim must not move before it.
            None => {
                if let Some(node) = node_of(&event).and_then(|n| self.claims.get_mut(&n)) {
                    node.last = None;
                }
            }
        }
        self.queue.push_back(event);
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        let event = self.queue.pop_front()?;
        if let Some((n, _)) = claim(&event)
            && let Some(node) = self.claims.get_mut(&n)
        {
            if node.last == Some(self.gone) {
                node.last = None;
            }
            node.queued -= 1;
            if node.queued == 0 {
                self.claims.remove(&n);
            }
        }
        self.gone += 1;
        Some(event)
    }

    pub(crate) fn clear(&mut self) {
        self.gone += self.queue.len() as u64;
        self.queue.clear();
        self.claims.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Event> {
        self.queue.iter()
    }
}

/// The node and kind of a claim event.
fn claim(event: &Event) -> Option<(usize, bool)> {
    match event {
        Event::MainPid { node, .. } => Some((node.index(), false)),
        Event::MainPidRefused { node, .. } => Some((node.index(), true)),
        _ => None,
    }
}

/// The node an event is about, if any.
fn node_of(event: &Event) -> Option<usize> {
    match event {
        Event::ProbeFailed { node, .. }
        | Event::ProbeKilled { node, .. }
        | Event::Started { node, .. }
        | Event::Ready { node }
        | Event::ReadyTimeout { node }
        | Event::WatchdogTimeout { node }
        | Event::Stopping { node }
        | Event::MainPid { node, .. }
        | Event::MainPidRefused { node, .. }
        | Event::Exited { node, .. }
        | Event::StartFailed { node, .. }
        | Event::DependencyFailed { node, .. }
        | Event::StartHeld { node }
        | Event::SubgraphFailed { node, .. } => Some(node.index()),
        Event::Signal(_) | Event::Woken => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::NodeId;

    fn main_pid(node: usize, pid: u32) -> Event {
        Event::MainPid {
            node: NodeId::from_index(node),
            pid,
        }
    }

    #[test]
    fn past_the_cap_a_nodes_claims_replace_its_last_or_are_dropped() {
        let mut events = Events::default();
        let cap = CLAIMS_PER_NODE;
        for pid in 0..cap {
            events.push(main_pid(0, pid));
        }
        events.push(main_pid(1, 500));
        // Past the cap: node 0's last is replaced, node 1 is not held back.
        events.push(main_pid(0, 100));
        events.push(main_pid(1, 501));
        let ready = Event::Ready {
            node: NodeId::from_index(0),
        };
        events.push(ready.clone());
        // After node 0's `Ready`, its last claim is no longer replaced:
        // this one is dropped.
        events.push(main_pid(0, 101));
        let mut expected: Vec<Event> = (0..cap - 1).map(|pid| main_pid(0, pid)).collect();
        expected.extend([main_pid(0, 100), main_pid(1, 500), main_pid(1, 501), ready]);
        let queued: Vec<Event> = std::iter::from_fn(|| events.pop()).collect();
        assert_eq!(queued, expected);
        // Handed out: room again.
        events.push(main_pid(0, 102));
        assert_eq!(events.pop(), Some(main_pid(0, 102)));
        assert_eq!(events.pop(), None);
    }

    /// Past the cap, a claim replaces the node's last event only if that is
    /// a claim of the same kind: a `MainPid` after a `MainPidRefused` must
    /// not move before it by replacing an earlier `MainPid`.
    #[test]
    fn past_the_cap_a_claim_replaces_only_a_last_of_its_kind() {
        let refused = |claimed| Event::MainPidRefused {
            node: NodeId::from_index(0),
            claimed: Some(claimed),
            reason: crate::MainPidRefusal::Malformed,
        };
        let mut events = Events::default();
        for pid in 0..CLAIMS_PER_NODE - 1 {
            events.push(main_pid(0, pid));
        }
        events.push(refused(900));
        events.push(main_pid(0, 100)); // Dropped: the last is a refusal.
        events.push(refused(901)); // Replaces the last refusal.
        let mut expected: Vec<Event> = (0..CLAIMS_PER_NODE - 1)
            .map(|pid| main_pid(0, pid))
            .collect();
        expected.push(refused(901));
        let queued: Vec<Event> = std::iter::from_fn(|| events.pop()).collect();
        assert_eq!(queued, expected);
    }
}
