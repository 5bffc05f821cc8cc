//! The subgraphs' ports as every renderer can trust them: each edge end
//! that is a port, and each subgraph's distinct ports in the order the
//! declaration first names them. A port that points past the edges, or at
//! an end that is not the parent's (the macro never emits either), is
//! dropped here, once, so the end is drawn as the parent's and no renderer
//! can panic on it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::model::{EdgeInfo, Topology};
use crate::rules::Side;

/// An edge end: (edge, side, index among that side's ends).
type End = (usize, Side, usize);

/// Which subgraph port each edge end is.
#[derive(Debug, Clone)]
pub(crate) struct SubgraphPorts {
    /// Per subgraph, its ports' names, without repeats.
    names: Vec<Vec<String>>,
    /// (edge, side, end) → (subgraph, port): looked up for every end a
    /// renderer or rule meets, so hashed, not searched.
    ends: HashMap<End, (usize, usize)>,
}

impl SubgraphPorts {
    pub fn new(topology: &Topology) -> SubgraphPorts {
        let mut names = Vec::with_capacity(topology.subgraphs.len());
        let mut ends = HashMap::new();
        for (s, subgraph) in topology.subgraphs.iter().enumerate() {
            let mut own: Vec<String> = Vec::new();
            // Each of `own`'s names → its place in `own`.
            let mut places: HashMap<&str, usize> = HashMap::new();
            for port in subgraph.ports.iter() {
                let key = (port.edge, port.side, port.end);
                let is_parent_end = topology
                    .edges
                    .get(port.edge)
                    .and_then(|edge| side(edge, port.side).get(port.end))
                    .is_some_and(|end| end.node.is_none());
                if !is_parent_end {
                    continue;
                }
                // An end that is already a port stays the first one's.
                let Entry::Vacant(slot) = ends.entry(key) else {
                    continue;
                };
                let p = *places.entry(&*port.name).or_insert_with(|| {
                    own.push(port.name.to_string());
                    own.len() - 1
                });
                slot.insert((s, p));
            }
            names.push(own);
        }
        SubgraphPorts { names, ends }
    }

    /// The subgraph and port at end `end` of `side` of edge `edge`, if that
    /// end is a port.
    pub fn at(&self, edge: usize, side: Side, end: usize) -> Option<(usize, usize)> {
        self.ends.get(&(edge, side, end)).copied()
    }

    /// The names of a subgraph's ports, each once.
    pub fn names(&self, subgraph: usize) -> &[String] {
        &self.names[subgraph]
    }
}

/// The ends of one side of an edge.
pub(crate) fn side(edge: &EdgeInfo, side: Side) -> &[crate::model::EndpointInfo] {
    match side {
        Side::From => &edge.from,
        Side::To => &edge.to,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EdgeKind, EndpointInfo, PortInfo, SubgraphInfo};

    fn port(name: &'static str, edge: usize, side: Side) -> PortInfo {
        PortInfo {
            name: name.into(),
            edge,
            side,
            end: 0,
        }
    }

    #[test]
    fn only_parent_ends_of_existing_edges_are_ports() {
        let topology = Topology {
            edges: vec![crate::model::EdgeInfo {
                kind: EdgeKind::Pipe,
                from: vec![EndpointInfo {
                    node: Some(0),
                    fd: 1,
                }]
                .into(),
                to: vec![EndpointInfo::PARENT].into(),
                ..crate::model::EdgeInfo::default()
            }]
            .into(),
            subgraphs: vec![SubgraphInfo {
                name: "db".into(),
                ports: vec![
                    port("queries", 0, Side::To),
                    port("again", 0, Side::To),
                    port("node_end", 0, Side::From),
                    port("no_edge", 7, Side::To),
                ]
                .into(),
                ..SubgraphInfo::default()
            }]
            .into(),
            ..Topology::default()
        };
        let ports = SubgraphPorts::new(&topology);
        assert_eq!(ports.at(0, Side::To, 0), Some((0, 0)));
        assert_eq!(ports.at(0, Side::From, 0), None);
        assert_eq!(ports.names(0), ["queries"]);
    }

    /// Each subgraph's port names; each end that is a port, with its port.
    type Searched = (Vec<Vec<String>>, Vec<(End, (usize, usize))>);

    /// What `SubgraphPorts::new` and `at` worked out before they hashed:
    /// every end searched for among those seen, every name among the
    /// subgraph's names.
    fn searched(topology: &Topology) -> Searched {
        let mut names = Vec::new();
        let mut ends: Vec<(End, (usize, usize))> = Vec::new();
        for (s, subgraph) in topology.subgraphs.iter().enumerate() {
            let mut own: Vec<String> = Vec::new();
            for port in subgraph.ports.iter() {
                let key = (port.edge, port.side, port.end);
                let is_parent_end = topology
                    .edges
                    .get(port.edge)
                    .and_then(|edge| side(edge, port.side).get(port.end))
                    .is_some_and(|end| end.node.is_none());
                if !is_parent_end || ends.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                let p = match own.iter().position(|n| **n == *port.name) {
                    Some(p) => p,
                    None => {
                        own.push(port.name.to_string());
                        own.len() - 1
                    }
                };
                ends.push((key, (s, p)));
            }
            names.push(own);
        }
        (names, ends)
    }

    #[test]
    fn the_table_agrees_with_searching_every_end() {
        const NAMES: [&str; 3] = ["queries", "results", "control"];
        // Edges of two ends a side, parent or node ends by pattern, and
        // ports naming ends (some twice, some a node's, some past the
        // edges) under repeated names.
        for shape in 0..24usize {
            let edges = 2 + shape % 4;
            let end = |i: usize| EndpointInfo {
                node: i.is_multiple_of(2 + shape % 3).then_some(0),
                fd: 1,
            };
            let topology = Topology {
                edges: (0..edges)
                    .map(|e| crate::model::EdgeInfo {
                        kind: EdgeKind::SocketPair,
                        from: vec![end(e), end(e + 1)].into(),
                        to: vec![end(e + 2), end(e * 3)].into(),
                        ..crate::model::EdgeInfo::default()
                    })
                    .collect::<Vec<_>>()
                    .into(),
                subgraphs: (0..1 + shape % 3)
                    .map(|s| SubgraphInfo {
                        name: "g".into(),
                        ports: (0..5 + shape % 5)
                            .map(|i| PortInfo {
                                name: NAMES[(i * (s + 1) + shape) % 3].into(),
                                edge: (i * 7 + s + shape) % (edges + 1),
                                side: [Side::From, Side::To][(i + s) % 2],
                                end: (i + shape) % 3,
                            })
                            .collect::<Vec<_>>()
                            .into(),
                        ..SubgraphInfo::default()
                    })
                    .collect::<Vec<_>>()
                    .into(),
                ..Topology::default()
            };
            let ports = SubgraphPorts::new(&topology);
            let (names, ends) = searched(&topology);
            for (s, names) in names.iter().enumerate() {
                assert_eq!(ports.names(s), names, "shape {shape}");
            }
            for e in 0..edges + 1 {
                for side in [Side::From, Side::To] {
                    for index in 0..3 {
                        let found = ends
                            .iter()
                            .find(|(key, _)| *key == (e, side, index))
                            .map(|&(_, port)| port);
                        assert_eq!(ports.at(e, side, index), found, "shape {shape}");
                    }
                }
            }
            assert_eq!(ports.ends.len(), ends.len(), "shape {shape}");
        }
    }
}
