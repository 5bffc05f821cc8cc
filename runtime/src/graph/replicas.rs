//! Replicas: a node declared with [`NodeOptions::replicas`](crate::NodeOptions::replicas)
//! runs as N nodes, each supervised on its own. The graph is checked as
//! declared (one node standing for N, as the topology draws it) and then
//! expanded into the graph that is planned and started:
//!
//! - replica 0 keeps the declared node's id, so every id the application
//!   holds stays valid; replicas 1..N are appended after the declared nodes,
//!   in declaration order, so their ids are known before spawn
//!   ([`Graph::replica_ids`]);
//! - replica `i` is named `name[i]` and has `PROCESS_GRAPH_REPLICA=i` in its
//!   environment;
//! - a pipe out of replicas is shared: every replica writes into it (fan-in);
//! - an edge into replicas (from the parent: the rules allow nothing else)
//!   is one edge per replica: edge 0 keeps the declared id, the others are
//!   appended after the declared edges ([`Graph::replica_edges`]);
//! - a node `after` replicas starts once all of them are ready.

use super::{EdgeKind, EdgeSpec, Endpoint, Graph, NodeId, NodeSpec};
use process_graph_topology::replica_indices;

use crate::graph::EdgeId;

/// The environment variable that tells a replica its index.
///
/// ```
/// use std::io::Read;
/// use process_graph_runtime::{Command, Endpoint, Graph, NodeOptions, REPLICA_VAR};
///
/// let mut graph = Graph::new();
/// let script = format!("echo shard ${REPLICA_VAR}");
/// let shard = graph.node_with("shard", Command::new("sh").args(["-c", &script]), NodeOptions::new().replicas(2));
/// let out = graph.pipe(shard.stdout(), Endpoint::Parent);
/// let mut running = graph.spawn()?;
/// let mut text = String::new();
/// running.take_reader(out).unwrap().read_to_string(&mut text)?;
/// let mut lines: Vec<&str> = text.lines().collect();
/// lines.sort();
/// assert_eq!(lines, ["shard 0", "shard 1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const REPLICA_VAR: &str = "PROCESS_GRAPH_REPLICA";

impl Graph {
    /// The ids of every replica of `node` once spawned, replica 0 first (it
    /// is `node` itself); just `[node]` for a node without replicas.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, NodeId, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// let worker = graph.node_with("worker", Command::new("true"), NodeOptions::new().replicas(3));
    /// let sink = graph.node("sink", Command::new("true"));
    /// let ids: Vec<usize> = graph.replica_ids(worker).iter().map(|id| id.index()).collect();
    /// assert_eq!(ids, [0, 2, 3]); // replicas 1 and 2 come after the declared nodes
    /// assert_eq!(graph.replica_ids(sink), [sink]);
    /// ```
    pub fn replica_ids(&self, node: NodeId) -> Vec<NodeId> {
        let counts: Vec<u32> = self.nodes.iter().map(NodeSpec::replica_count).collect();
        copies_of(&counts, node.index())
            .map(NodeId::from_index)
            .collect()
    }

    /// The ids of every copy of `edge` once spawned, one per replica of the
    /// node it feeds, copy 0 first (it is `edge` itself); just `[edge]` for
    /// an edge that feeds no replicas. Take each parent end by its id.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Endpoint, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// let worker = graph.node_with("worker", Command::new("cat"), NodeOptions::new().replicas(2));
    /// let jobs = graph.pipe(Endpoint::Parent, worker.stdin());
    /// let results = graph.pipe(worker.stdout(), Endpoint::Parent); // shared by both
    /// assert_eq!(graph.replica_edges(jobs).len(), 2);
    /// assert_eq!(graph.replica_edges(results), [results]);
    /// ```
    pub fn replica_edges(&self, edge: EdgeId) -> Vec<EdgeId> {
        // `build` asks this of every edge the parent holds: one that feeds
        // no replicas (most) is its only copy, found without counting the
        // copies of every edge.
        if (self.edges.get(edge.index())).is_none_or(|e| self.copies(e) == 1) {
            return vec![edge];
        }
        let counts: Vec<u32> = self.edges.iter().map(|e| self.copies(e)).collect();
        copies_of(&counts, edge.index())
            .map(EdgeId::from_index)
            .collect()
    }

    /// The graph that is planned and started: every replicated node as its
    /// replicas. The graph itself, not a copy, when it has none: a copy
    /// would cost a 1,000-node spawn the whole description again.
    pub(crate) fn expand_replicas(self) -> Graph {
        let counts: Vec<u32> = self.nodes.iter().map(NodeSpec::replica_count).collect();
        if counts.iter().all(|&count| count == 1) {
            return self;
        }
        let ids: Vec<Vec<NodeId>> = replica_indices(&counts)
            .map(|(node, rest)| {
                std::iter::once(node)
                    .chain(rest)
                    .map(NodeId::from_index)
                    .collect()
            })
            .collect();
        let all = |node: NodeId| {
            ids.get(node.index())
                .map_or(&[node][..], |v| &v[..])
                .to_vec()
        };
        let edge_copies: Vec<u32> = self.edges.iter().map(|e| self.copies(e)).collect();
        let mut nodes = Vec::with_capacity(ids.iter().map(Vec::len).sum());
        let mut extra_nodes = Vec::new();
        for (n, mut spec) in self.nodes.into_iter().enumerate() {
            spec.options.after = spec.options.after.iter().flat_map(|&a| all(a)).collect();
            spec.options.clear_replicas();
            if ids[n].len() == 1 {
                nodes.push(spec);
                continue;
            }
            for i in 1..ids[n].len() {
                let mut replica = spec.clone();
                replica.name = format!("{}[{i}]", spec.name);
                replica.command = replica.command.env(REPLICA_VAR, i.to_string());
                extra_nodes.push(replica);
            }
            spec.name = format!("{}[0]", spec.name);
            spec.command = spec.command.env(REPLICA_VAR, "0");
            nodes.push(spec);
        }
        nodes.extend(extra_nodes);
        let mut edges = Vec::with_capacity(self.edges.len());
        let mut extra_edges = Vec::new();
        for (edge, &copies) in self.edges.iter().zip(&edge_copies) {
            for copy in 0..copies as usize {
                let kind = match &edge.kind {
                    EdgeKind::Pipe {
                        writers,
                        readers,
                        pipe,
                    } => EdgeKind::Pipe {
                        writers: writers.iter().flat_map(|w| fan_in(w, &all)).collect(),
                        readers: readers.iter().map(|r| replica(*r, copy, &all)).collect(),
                        pipe: *pipe,
                    },
                    EdgeKind::SocketPair { ends, pair } => EdgeKind::SocketPair {
                        ends: ends.map(|end| replica(end, copy, &all)),
                        pair: *pair,
                    },
                    // One copy, and `into` is copy 0 of its edge: the declared id.
                    EdgeKind::Joined { into } => EdgeKind::Joined { into: *into },
                };
                let name = match (&edge.name, copies) {
                    (Some(name), 2..) => Some(format!("{name}[{copy}]")),
                    (name, _) => name.clone(),
                };
                let spec = EdgeSpec { name, kind };
                if copy == 0 {
                    edges.push(spec);
                } else {
                    extra_edges.push(spec);
                }
            }
        }
        edges.extend(extra_edges);
        Graph {
            nodes,
            edges,
            ..self
        }
    }

    /// How many copies `edge` becomes: one per replica of the node it
    /// feeds (a pipe's reader, either end of a socketpair), or one.
    fn copies(&self, edge: &EdgeSpec) -> u32 {
        let fed: &[Endpoint] = match &edge.kind {
            EdgeKind::Pipe { readers, .. } => readers,
            EdgeKind::SocketPair { ends, .. } => ends,
            EdgeKind::Joined { .. } => &[],
        };
        fed.iter()
            .filter_map(|end| match end {
                Endpoint::Node { node, .. } => self.nodes.get(node.index()),
                Endpoint::Parent => None,
            })
            .map(NodeSpec::replica_count)
            .max()
            .unwrap_or(1)
    }
}

impl NodeSpec {
    /// How many processes the node stands for (at least one: `replicas(0)`
    /// is rejected by the rules before anything is expanded).
    pub(crate) fn replica_count(&self) -> u32 {
        self.options.rare().replicas.map_or(1, |n| n.max(1))
    }
}

/// The started-graph indices of every copy of declared item `item`, copy 0
/// first; just `item` when it is not one of the declared items. Copies 1..
/// are one range, found in one pass over the items before `item`, not by
/// a pass of [`replica_indices`] per copy.
fn copies_of(counts: &[u32], item: usize) -> impl Iterator<Item = usize> {
    let rest = replica_indices(counts)
        .nth(item)
        .map_or(0..0, |(_, rest)| rest);
    // An item of no copies (never one of a graph's) has not even copy 0.
    let first = (counts.get(item) != Some(&0)).then_some(item);
    first.into_iter().chain(rest)
}

/// A writer endpoint as every replica of its node.
fn fan_in(end: &Endpoint, all: &impl Fn(NodeId) -> Vec<NodeId>) -> Vec<Endpoint> {
    match *end {
        Endpoint::Node { node, fd } => all(node).into_iter().map(|n| n.fd(fd)).collect(),
        Endpoint::Parent => vec![Endpoint::Parent],
    }
}

/// A fed endpoint in copy `copy` of its edge: the same fd of replica `copy`.
fn replica(end: Endpoint, copy: usize, all: &impl Fn(NodeId) -> Vec<NodeId>) -> Endpoint {
    match end {
        Endpoint::Node { node, fd } => all(node).get(copy).map_or(end, |n| n.fd(fd)),
        Endpoint::Parent => end,
    }
}

#[cfg(test)]
mod tests {
    use process_graph_topology::replica_index;

    use super::copies_of;
    use crate::graph::{EdgeId, Endpoint, Graph};
    use crate::{Command, NodeOptions};

    /// What `copies_of` gave before: each copy's index worked out alone.
    fn one_by_one(counts: &[u32], item: usize) -> Vec<usize> {
        let count = counts.get(item).copied().unwrap_or(1);
        (0..count)
            .map(|copy| replica_index(counts, item, copy).unwrap_or(item))
            .collect()
    }

    #[test]
    fn every_copy_is_where_each_copy_alone_puts_it() {
        let shapes: [&[u32]; 8] = [
            &[],
            &[1],
            &[4],
            &[1, 1, 1],
            &[3, 1, 2],
            &[1, 5, 1, 1, 2, 7],
            &[2, 2, 2, 2, 2, 2, 2, 2],
            // No copies: never a graph's (a count is at least 1), kept alike.
            &[2, 0, 3],
        ];
        for counts in shapes {
            // Past the last item too: an id from elsewhere is its own copy.
            for item in 0..counts.len() + 2 {
                let copies: Vec<usize> = copies_of(counts, item).collect();
                assert_eq!(copies, one_by_one(counts, item), "{counts:?}, item {item}");
            }
        }
    }

    #[test]
    fn every_edge_has_the_copies_each_copy_alone_gives() {
        let mut graph = Graph::new();
        let mut edges = Vec::new();
        for (i, replicas) in [1, 3, 1, 2, 1].into_iter().enumerate() {
            let options = NodeOptions::new().replicas(replicas);
            let node = graph.node_with(format!("n{i}"), Command::new("cat"), options);
            edges.push(graph.pipe(Endpoint::Parent, node.stdin()));
            edges.push(graph.pipe(node.stdout(), Endpoint::Parent));
        }
        edges.push(EdgeId::from_index(graph.edges.len() + 3));
        let counts: Vec<u32> = graph.edges.iter().map(|e| graph.copies(e)).collect();
        for edge in edges {
            let copies: Vec<usize> = (graph.replica_edges(edge).iter())
                .map(|e| e.index())
                .collect();
            assert_eq!(copies, one_by_one(&counts, edge.index()), "edge {edge:?}");
        }
    }
}
