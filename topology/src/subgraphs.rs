//! The subgraphs' ports as every renderer can trust them: each edge end
//! that is a port, and each subgraph's distinct ports in the order the
//! declaration first names them. A port that points past the edges, or at
//! an end that is not the parent's (the macro never emits either), is
//! dropped here, once, so the end is drawn as the parent's and no renderer
//! can panic on it.

use crate::model::{EdgeInfo, Topology};
use crate::rules::Side;

/// An edge end: (edge, side, index among that side's ends).
type End = (usize, Side, usize);

/// Which subgraph port each edge end is.
#[derive(Debug, Clone)]
pub(crate) struct SubgraphPorts {
    /// Per subgraph, its ports' names, without repeats.
    names: Vec<Vec<String>>,
    /// (edge, side, end) → (subgraph, port), in no particular order.
    ends: Vec<(End, (usize, usize))>,
}

impl SubgraphPorts {
    pub fn new(topology: &Topology) -> SubgraphPorts {
        let mut names = Vec::with_capacity(topology.subgraphs.len());
        let mut ends = Vec::new();
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
        SubgraphPorts { names, ends }
    }

    /// The subgraph and port at end `end` of `side` of edge `edge`, if that
    /// end is a port.
    pub fn at(&self, edge: usize, side: Side, end: usize) -> Option<(usize, usize)> {
        self.ends
            .iter()
            .find(|(key, _)| *key == (edge, side, end))
            .map(|&(_, port)| port)
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
}
