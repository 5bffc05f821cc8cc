//! Which nodes the event loop must look at on its next turn, so that a turn
//! costs what is happening, not the size of the graph.
//!
//! A node is on the agenda while something may be due for it: it waits to
//! start or to be restarted, its exit awaits a decision, or its stop signal
//! is yet to go. A node that is just running, has ended for good, has been
//! sent its stop signal, or waits for other nodes to go down (a group
//! restart's other members; for its stop signal, its dependents being
//! stopped) is off it; the few things that can wake such a node (its exit,
//! a stop or restart request, one of its timers firing, its group done, a
//! dependent's end) put it back. So a `one_for_all` level or a chain of N
//! nodes, which takes about N turns to stop, is not walked at each. The count of live processes
//! is kept beside, so whether the graph has finished is known without a
//! scan.

use std::collections::BTreeSet;

use super::node::{NodeRuntime, NodeState};

#[derive(Debug)]
pub(crate) struct Agenda {
    /// In index order, which is the order nodes start in.
    nodes: BTreeSet<usize>,
    /// Nodes with a process not yet reaped.
    live: usize,
}

impl Agenda {
    /// A new graph: every node waits to start.
    pub(crate) fn all(count: usize) -> Agenda {
        Agenda {
            nodes: (0..count).collect(),
            live: 0,
        }
    }

    /// Puts node `i` on the agenda.
    pub(crate) fn mark(&mut self, i: usize) {
        self.nodes.insert(i);
    }

    /// The nodes on the agenda now, in index order.
    pub(crate) fn nodes(&self) -> Vec<usize> {
        self.nodes.iter().copied().collect()
    }

    /// The nodes on the agenda now, in index order, without a copy.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().copied()
    }

    /// The first node on the agenda at index `from` or after.
    pub(crate) fn next_from(&self, from: usize) -> Option<usize> {
        self.nodes.range(from..).next().copied()
    }

    /// Takes off every node `pending(i)` says nothing is pending for.
    pub(crate) fn settle(&mut self, pending: impl Fn(usize) -> bool) {
        self.nodes.retain(|&i| pending(i));
    }

    pub(crate) fn started(&mut self) {
        self.live += 1;
    }

    pub(crate) fn reaped(&mut self) {
        self.live = self.live.saturating_sub(1);
    }

    pub(crate) fn all_reaped(&mut self) {
        self.live = 0;
    }

    /// No process is alive and every node on the agenda has ended for good.
    pub(crate) fn finished(&self, nodes: &[NodeRuntime]) -> bool {
        self.live == 0 && self.nodes.iter().all(|&i| nodes[i].state.is_final())
    }
}

/// Whether anything may be due for `node`: it must stay on the agenda.
/// `undecided`: its exit still awaits a decision; `waits`: it waits for
/// other nodes to go down — waiting to start, held by a group restart
/// until its other members are; asked to stop, for the nodes that depend
/// on it — and their ends put it back.
pub(crate) fn pending(node: &NodeRuntime, undecided: bool, waits: bool) -> bool {
    undecided
        || match node.state {
            NodeState::Waiting => !waits,
            NodeState::BackingOff | NodeState::Exited => true,
            // Signalled: its exit or stop timeout puts it back.
            NodeState::Stopping => false,
            _ => node.stop_requested.is_some() && !waits,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervise::core::node::{AfterStop, IdChange};

    #[test]
    fn a_running_node_leaves_the_agenda_and_a_marked_one_returns() {
        let mut nodes = vec![
            NodeRuntime::new(IdChange::None),
            NodeRuntime::new(IdChange::None),
        ];
        let mut agenda = Agenda::all(2);
        for node in &mut nodes {
            node.state = NodeState::Running;
        }
        agenda.started();
        agenda.started();
        nodes[1].stop_requested = Some(AfterStop::Leave);
        agenda.settle(|i| pending(&nodes[i], false, false));
        assert_eq!(agenda.nodes(), [1], "a stop request keeps a node on");
        nodes[1].state = NodeState::Stopping;
        agenda.settle(|i| pending(&nodes[i], false, false));
        assert!(
            agenda.nodes().is_empty(),
            "signalled, it waits for its exit"
        );
        agenda.mark(1);
        assert!(!agenda.finished(&nodes));
        nodes[0].state = NodeState::Exited;
        agenda.mark(0);
        agenda.reaped();
        assert_eq!(agenda.nodes(), [0, 1]);
        nodes[0].state = NodeState::Stopped;
        nodes[1].state = NodeState::Stopped;
        agenda.reaped();
        assert!(agenda.finished(&nodes));
    }

    #[test]
    fn a_node_held_by_a_group_restart_is_off_until_its_group_is_done() {
        let mut node = NodeRuntime::new(IdChange::None);
        node.state = NodeState::Waiting;
        assert!(!pending(&node, false, true));
        assert!(pending(&node, false, false));
        assert!(pending(&node, true, true), "an exit to decide keeps it on");
    }
}
