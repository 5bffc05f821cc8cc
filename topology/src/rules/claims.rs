//! One owner per fd of each node: a stdio setting, the readiness fd, or
//! one edge.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::violation::Claim;
use crate::model::{StdioMode, Topology};

/// Which edge or setting holds each (node, fd).
#[derive(Default)]
pub(super) struct Claims(HashMap<(usize, i32), Holder>);

/// What holds an fd, by index: named (as a [`Claim`]) only when a second
/// claim is reported. Naming an edge lists its endpoints, so naming it at
/// each claim cost a graph whose one edge joins N nodes N² names.
#[derive(Debug, Clone, Copy)]
pub(super) enum Holder {
    Edge(usize),
    Stdio { mode: StdioMode },
    Ready,
    Listener { index: usize },
    Passed,
}

impl Claims {
    /// Claims fd `fd` of node `node` for `by`; the first claim, named, if
    /// it was already taken.
    pub(super) fn claim(
        &mut self,
        t: &Topology,
        node: usize,
        fd: i32,
        by: Holder,
    ) -> Result<(), Claim> {
        match self.0.entry((node, fd)) {
            Entry::Vacant(slot) => {
                slot.insert(by);
                Ok(())
            }
            Entry::Occupied(first) => Err(first.get().named(t, node, fd)),
        }
    }
}

impl Holder {
    /// The claim as messages name it.
    fn named(self, t: &Topology, node: usize, fd: i32) -> Claim {
        let name = || t.nodes[node].name.to_string();
        match self {
            Holder::Edge(e) => Claim::Edge(t.edge_subject(e)),
            Holder::Stdio { mode } => Claim::Stdio {
                node: name(),
                fd,
                mode,
            },
            Holder::Ready => Claim::Ready { node: name(), fd },
            Holder::Listener { index } => Claim::Listener {
                node: name(),
                name: t.nodes[node].listeners[index].name.to_string(),
                fd,
            },
            Holder::Passed => Claim::Passed { node: name(), fd },
        }
    }
}
