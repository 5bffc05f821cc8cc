//! `GraphEvent`: the runtime's [`Event`] with nodes named by a declared
//! graph's node enum, so a policy is an exhaustive `match`.

use process_graph_runtime::Event;

use crate::GraphNode;
use crate::child_table::ChildTable;

/// Something that happened in a running declared graph; `N` is its node
/// enum. Returned by the generated `next_event`.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Job {
///     #[process]
///     work: Cmd,
/// }
///
/// let mut running = Job::new(Cmd::new("true")).spawn()?;
/// while let Some(event) = running.next_event(None)? {
///     if let GraphEvent::Exited { node: JobNode::Work, status, .. } = event {
///         assert!(status.success());
///     }
/// }
/// # Ok::<(), process_graph::Error>(())
/// ```
pub type GraphEvent<N> = Event<N>;

/// Names the nodes of a runtime event by a declared graph's node enum, its
/// children's included; `None` for an event about a node the enum cannot
/// name (one added untyped, through `running_graph_mut().add`).
pub(crate) fn typed<N: GraphNode>(event: Event, children: &ChildTable<N>) -> Option<GraphEvent<N>> {
    let mut named = true;
    let event = event.map_node(|id| {
        let node = N::from_id(id).or_else(|| children.node(id));
        named &= node.is_some();
        node
    });
    named.then(|| event.map_node(|node| node.expect("every node was named")))
}
