//! Which children a typed running graph has added: the node ids of each,
//! so events and reports name their nodes by the enclosing node enum.

use process_graph_runtime::{ExitReport, NodeId};

use crate::GraphNode;
use crate::child::{Child, ChildExit, ChildId};

/// The children added to a running graph, in the order added (so by
/// increasing node id: ids are never reused).
pub(crate) struct ChildTable<N> {
    blocks: Vec<Block<N>>,
    /// The next child number of each `#[children]` field, by field name.
    numbers: Vec<(&'static str, u32)>,
}

/// One child: its nodes are ids `first..first + len`.
struct Block<N> {
    field: &'static str,
    number: u32,
    first: usize,
    len: usize,
    /// A node of the child, by its id within the child, as the enclosing
    /// node enum names it.
    name: Box<dyn Fn(NodeId) -> Option<N> + Send + Sync>,
}

impl<N: GraphNode> ChildTable<N> {
    pub(crate) fn new() -> Self {
        ChildTable {
            blocks: Vec::new(),
            numbers: Vec::new(),
        }
    }

    /// The number the next child of `field` gets.
    pub(crate) fn next_number(&self, field: &str) -> u32 {
        self.numbers
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(0, |&(_, n)| n)
    }

    /// Records a child of `field` whose nodes start at `first`, named in
    /// the enclosing enum by `wrap`.
    pub(crate) fn push<M: GraphNode>(
        &mut self,
        field: &'static str,
        first: NodeId,
        wrap: fn(Child<M>) -> N,
    ) -> ChildId<M> {
        let number = self.next_number(field);
        match self.numbers.iter_mut().find(|(f, _)| *f == field) {
            Some((_, n)) => *n += 1,
            None => self.numbers.push((field, 1)),
        }
        let child = ChildId::new(number, first);
        self.blocks.push(Block {
            field,
            number,
            first: first.index(),
            len: M::COUNT,
            name: Box::new(move |inner| M::from_id(inner).map(|node| wrap(child.node(node)))),
        });
        child
    }

    /// The node with running-graph id `id`, if it is a node of a child.
    pub(crate) fn node(&self, id: NodeId) -> Option<N> {
        let index = id.index();
        let block = self.blocks.partition_point(|b| b.first <= index);
        let block = self.blocks.get(block.checked_sub(1)?)?;
        let inner = index - block.first;
        (inner < block.len)
            .then(|| (block.name)(NodeId::from_index(inner)))
            .flatten()
    }

    /// How each node of each child of `field` ended, children in the order
    /// added.
    pub(crate) fn exits<M: GraphNode>(
        &self,
        field: &str,
        report: &ExitReport,
    ) -> Vec<ChildExit<M>> {
        self.blocks
            .iter()
            .filter(|b| b.field == field)
            .flat_map(|b| {
                let child = ChildId::<M>::new(b.number, NodeId::from_index(b.first));
                (0..b.len)
                    .filter_map(|k| M::from_id(NodeId::from_index(k)))
                    .map(move |node| {
                        let node = child.node(node);
                        let exit = report[node.id()].clone();
                        ChildExit { node, exit }
                    })
            })
            .collect()
    }
}
