//! `GraphEvent`: the runtime's [`Event`] with nodes named by a declared
//! graph's node enum, so a policy is an exhaustive `match`.

use process_graph_runtime::Event;

use crate::GraphNode;

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

/// Names the nodes of a runtime event by a declared graph's node enum.
pub(crate) fn typed<N: GraphNode>(event: Event) -> GraphEvent<N> {
    event.map_node(|id| {
        // The ids come from this graph, whose nodes are exactly N's variants.
        N::from_id(id).expect("a node of this graph")
    })
}
