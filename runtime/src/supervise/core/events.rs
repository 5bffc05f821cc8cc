//! The events queued for the application, in order.
//!
//! A node makes some at the rate it sends datagrams: each `MAINPID=` claim
//! is a `MainPid` or a `MainPidRefused`. While the application takes no
//! events (`spawn` and `reload` run the loop until every node has started,
//! or the node is ready) they would pile up without bound: a node's flood
//! queued a million in 45 s, 50 MiB (`tests/event_flood.rs`). So a node's
//! claim event replaces its last one of the same kind while that one is
//! still queued with nothing of that node after it: the application learns
//! each node's latest claim, in its place among the node's other events.

use std::collections::{HashMap, VecDeque};

use crate::supervise::Event;

#[derive(Debug, Default)]
pub(crate) struct Events {
    queue: VecDeque<Event>,
    /// How many events have left the queue (handed out or dropped): an
    /// event's sequence number less this is its index.
    gone: u64,
    /// Per node and kind (`true`: refused), the sequence number of its last
    /// claim event, while it is the node's last event queued.
    claims: HashMap<(usize, bool), u64>,
}

impl Events {
    pub(crate) fn push(&mut self, event: Event) {
        let seq = self.gone + self.queue.len() as u64;
        match claim(&event) {
            Some(key) => {
                let queued = (self.claims.get(&key))
                    .and_then(|&at| usize::try_from(at.checked_sub(self.gone)?).ok())
                    .and_then(|index| self.queue.get_mut(index));
                if let Some(queued) = queued {
                    *queued = event;
                    return;
                }
                self.claims.insert(key, seq);
            }
            // Anything else of the node comes after its claims so far: a
            // later claim must not move before it.
            None => {
                if let Some(node) = node_of(&event) {
                    self.claims.remove(&(node, false));
                    self.claims.remove(&(node, true));
                }
            }
        }
        self.queue.push_back(event);
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        let event = self.queue.pop_front()?;
        if let Some(key) = claim(&event)
            && self.claims.get(&key) == Some(&self.gone)
        {
            self.claims.remove(&key);
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
    fn a_nodes_claims_replace_each_other_in_place_until_anything_else_of_it() {
        let mut events = Events::default();
        events.push(main_pid(0, 10));
        events.push(main_pid(1, 20));
        events.push(main_pid(0, 11));
        events.push(main_pid(1, 21));
        assert_eq!(events.iter().count(), 2);
        let ready = Event::Ready {
            node: NodeId::from_index(0),
        };
        events.push(ready.clone());
        // After node 0's `Ready`: queued after it, not in the old place.
        events.push(main_pid(0, 12));
        events.push(main_pid(1, 22));
        let queued: Vec<Event> = std::iter::from_fn(|| events.pop()).collect();
        assert_eq!(
            queued,
            [main_pid(0, 11), main_pid(1, 22), ready, main_pid(0, 12)]
        );
        // Handed out: the next claim is queued anew.
        events.push(main_pid(0, 13));
        assert_eq!(events.pop(), Some(main_pid(0, 13)));
        assert_eq!(events.pop(), None);
    }
}
