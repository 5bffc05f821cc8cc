//! The rules of each edge: a pipe goes from outputs to one input, not back
//! into a writer; a socketpair has one end per side; the parent holds at
//! most one end; no endpoint twice; endpoints name real nodes and valid fds,
//! each fd claimed once; a subgraph's port is wired by one edge.
//!
//! A port is an end of its own, not the parent's: an edge may join a port
//! of one subgraph to a port of another (its two edges become one), and
//! whether the kinds fit is the compiler's check (`DbPorts`), not these.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::claims::{Claims, Holder};
use super::violation::{Place, Rule, Side};
use super::{Found, MAX_FD};
use crate::labels::endpoint_name;
use crate::model::{EdgeKind, EndpointInfo};
use crate::subgraphs::SubgraphPorts;

/// An endpoint as one edge may list it once.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Listed {
    /// The parent, whatever its fd.
    Parent,
    /// Port `.1` of subgraph `.0`.
    Port(usize, usize),
    /// An fd of a node.
    Fd(usize, i32),
}

pub(super) fn check(found: &mut Found<'_>, claims: &mut Claims) {
    let t = found.topology;
    let ports = SubgraphPorts::new(t);
    // The edge that wired each port first.
    let mut wired: HashMap<(usize, usize), usize> = HashMap::new();
    for (e, edge) in t.edges.iter().enumerate() {
        match edge.kind {
            EdgeKind::Pipe => pipe(found, e),
            EdgeKind::SocketPair => socketpair(found, e),
        }
        into_replicas(found, &ports, e);
        let sides = edge
            .from
            .iter()
            .enumerate()
            .map(|(i, end)| (Side::From, i, end));
        let to = edge
            .to
            .iter()
            .enumerate()
            .map(|(i, end)| (Side::To, i, end));
        // The side each endpoint was first listed on.
        let mut listed: HashMap<Listed, Side> = HashMap::new();
        for (side, index, end) in sides.chain(to) {
            let place = Place::Endpoint {
                edge: e,
                side,
                index,
            };
            let key = match (end.node, ports.at(e, side, index)) {
                (Some(node), _) => Listed::Fd(node, end.fd),
                (None, Some((s, p))) => Listed::Port(s, p),
                (None, None) => Listed::Parent,
            };
            match listed.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(side);
                }
                Entry::Occupied(first) if key == Listed::Parent && *first.get() != side => {
                    found.push(place, Rule::ParentOnBothEnds);
                    continue;
                }
                Entry::Occupied(_) => {
                    let endpoint = match key {
                        Listed::Port(..) => endpoint_name(t, &ports, e, side, index),
                        _ => t.endpoint_name(end),
                    };
                    found.push(place, Rule::ListedTwice { endpoint });
                    continue;
                }
            }
            if let Listed::Port(s, p) = key {
                match wired.entry((s, p)) {
                    Entry::Vacant(slot) => {
                        slot.insert(e);
                    }
                    Entry::Occupied(first) => {
                        let port = endpoint_name(t, &ports, e, side, index);
                        let first = t.edge_subject(*first.get());
                        found.push(place, Rule::PortWiredTwice { port, first });
                    }
                }
            }
            let Some(node) = end.node else { continue };
            if node >= t.nodes.len() {
                found.push(place, Rule::UnknownNode { index: node });
            } else if !(0..MAX_FD).contains(&end.fd) {
                found.push(place, Rule::FdOutOfRange { fd: end.fd });
            } else if let Err(first) = claims.claim(t, node, end.fd, Holder::Edge(e)) {
                let endpoint = t.endpoint_name(end);
                found.push(place, Rule::FdTaken { endpoint, first });
            }
        }
    }
}

/// A pipe carries data from its writers (outputs) to one reader (an input)
/// that is not one of them.
fn pipe(found: &mut Found<'_>, e: usize) {
    let t = found.topology;
    let edge = &t.edges[e];
    if edge.from.is_empty() {
        found.push(Place::Edge(e), Rule::NoWriter);
    }
    if edge.to.is_empty() {
        found.push(Place::Edge(e), Rule::NoReader);
    }
    let name = |node: usize| t.nodes.get(node).map(|n| n.name.to_string());
    for (index, end) in edge.from.iter().enumerate() {
        let place = Place::Endpoint {
            edge: e,
            side: Side::From,
            index,
        };
        if let (Some(node), 0) = (end.node.and_then(name), end.fd) {
            found.push(place, Rule::WriterAtStdin { node });
        }
    }
    for (index, end) in edge.to.iter().enumerate() {
        let place = Place::Endpoint {
            edge: e,
            side: Side::To,
            index,
        };
        if index > 0 {
            found.push(place, Rule::SeveralReaders);
        }
        let Some(node) = end.node.and_then(name) else {
            continue;
        };
        if let 1 | 2 = end.fd {
            found.push(place, Rule::ReaderAtOutput { node, fd: end.fd });
        } else if edge.from.iter().any(|w| w.node == end.node) {
            found.push(place, Rule::SelfLoop { node });
        }
    }
}

/// Edges into replicas come from the parent: each replica then gets an
/// edge of its own. Out of replicas, a pipe is shared by all of them. A
/// subgraph's port is no parent here: what comes through it comes from the
/// subgraph's processes.
fn into_replicas(found: &mut Found<'_>, ports: &SubgraphPorts, e: usize) {
    let t = found.topology;
    let edge = &t.edges[e];
    let replicated = |end: &EndpointInfo| {
        let node = t.nodes.get(end.node?)?;
        (node.replicas > 1).then(|| node.name.to_string())
    };
    let fed_by_parent = |side: Side, ends: &[EndpointInfo]| {
        let parent = |(index, end): (usize, &EndpointInfo)| {
            end.node.is_none() && ports.at(e, side, index).is_none()
        };
        ends.iter().enumerate().all(parent)
    };
    // A pipe's writers are shared; its reader, and either end of a
    // socketpair, is fed by the other side.
    let mut sides = vec![(Side::To, &edge.to, Side::From, &edge.from)];
    if edge.kind == EdgeKind::SocketPair {
        sides.push((Side::From, &edge.from, Side::To, &edge.to));
    }
    for (side, ends, other_side, other) in sides {
        if fed_by_parent(other_side, other) {
            continue;
        }
        for (index, end) in ends.iter().enumerate() {
            if let Some(node) = replicated(end) {
                let place = Place::Endpoint {
                    edge: e,
                    side,
                    index,
                };
                found.push(place, Rule::IntoReplicasFromNode { node });
            }
        }
    }
}

/// A socketpair has exactly two ends, one on each side.
fn socketpair(found: &mut Found<'_>, e: usize) {
    let edge = &found.topology.edges[e];
    let (from, to) = (edge.from.len(), edge.to.len());
    if from == 0 || to == 0 {
        found.push(Place::Edge(e), Rule::SocketPairEnds);
    }
    for (side, len) in [(Side::From, from), (Side::To, to)] {
        for index in 1..len {
            found.push(
                Place::Endpoint {
                    edge: e,
                    side,
                    index,
                },
                Rule::SocketPairEnds,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{EdgeInfo, EdgeKind, EndpointInfo, PortInfo, SubgraphInfo, Topology};
    use crate::rules::{Place, Rule, Side};

    /// Edges of parent ends only, and subgraphs `a` and `b` whose ports
    /// are the ends `ports` lists: (subgraph, port, edge, side).
    fn topology(
        edges: &[(EdgeKind, usize, usize)],
        ports: &[(usize, &'static str, usize, Side)],
    ) -> Topology {
        let parents = |n: usize| vec![EndpointInfo::PARENT; n].into();
        let subgraph = |s: usize, name: &'static str| SubgraphInfo {
            name: name.into(),
            ports: ports
                .iter()
                .filter(|p| p.0 == s)
                .map(|&(_, name, edge, side)| PortInfo {
                    name: name.into(),
                    edge,
                    side,
                    end: 0,
                })
                .collect::<Vec<_>>()
                .into(),
            ..SubgraphInfo::default()
        };
        Topology {
            edges: edges
                .iter()
                .map(|&(kind, from, to)| EdgeInfo {
                    kind,
                    from: parents(from),
                    to: parents(to),
                    ..EdgeInfo::default()
                })
                .collect::<Vec<_>>()
                .into(),
            subgraphs: vec![subgraph(0, "a"), subgraph(1, "b")].into(),
            ..Topology::default()
        }
    }

    fn rules(topology: &Topology) -> Vec<(Place, Rule)> {
        match topology.check() {
            Ok(()) => Vec::new(),
            Err(broken) => broken
                .violations()
                .iter()
                .map(|v| (v.place, v.rule.clone()))
                .collect(),
        }
    }

    fn end(edge: usize, side: Side) -> Place {
        Place::Endpoint {
            edge,
            side,
            index: 0,
        }
    }

    #[test]
    fn a_port_may_meet_a_port_of_another_subgraph_but_not_itself() {
        let pipe = topology(
            &[(EdgeKind::Pipe, 1, 1)],
            &[(0, "out", 0, Side::From), (1, "input", 0, Side::To)],
        );
        assert_eq!(rules(&pipe), []);
        let pair = topology(
            &[(EdgeKind::SocketPair, 1, 1)],
            &[(0, "control", 0, Side::From), (0, "control", 0, Side::To)],
        );
        let endpoint = "a.control".to_owned();
        assert_eq!(
            rules(&pair),
            [(end(0, Side::To), Rule::ListedTwice { endpoint })]
        );
        // Without ports, the parent on both ends is refused as ever.
        assert_eq!(
            rules(&topology(&[(EdgeKind::Pipe, 1, 1)], &[])),
            [(end(0, Side::To), Rule::ParentOnBothEnds)]
        );
    }

    #[test]
    fn a_port_is_wired_by_one_edge() {
        let twice = topology(
            &[(EdgeKind::Pipe, 1, 1), (EdgeKind::Pipe, 1, 1)],
            &[
                (0, "out", 0, Side::From),
                (1, "input", 0, Side::To),
                (0, "out", 1, Side::From),
                (1, "other", 1, Side::To),
            ],
        );
        let broken = twice.check().unwrap_err();
        let [violation] = broken.violations() else {
            panic!("{broken}")
        };
        assert_eq!(violation.place, end(1, Side::From));
        assert_eq!(
            violation.rule.to_string(),
            "`a.out` is already wired by pipe parent -> parent; a port is one edge of its \
             subgraph, wired by one edge of this graph (which may list several writers)"
        );
    }
}
