//! The rules of each edge: a pipe goes from outputs to one input, not back
//! into a writer; a socketpair has one end per side; the parent holds at
//! most one end; no endpoint twice; endpoints name real nodes and valid fds,
//! each fd claimed once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::claims::{Claims, Holder};
use super::violation::{Place, Rule, Side};
use super::{Found, MAX_FD};
use crate::model::{EdgeKind, EndpointInfo};

pub(super) fn check(found: &mut Found<'_>, claims: &mut Claims) {
    let t = found.topology;
    for (e, edge) in t.edges.iter().enumerate() {
        match edge.kind {
            EdgeKind::Pipe => pipe(found, e),
            EdgeKind::SocketPair => socketpair(found, e),
        }
        into_replicas(found, e);
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
        // The side each endpoint was first listed on: the parent is one
        // endpoint whatever its fd, a node one per fd.
        let mut listed: HashMap<(Option<usize>, i32), Side> = HashMap::new();
        for (side, index, end) in sides.chain(to) {
            let place = Place::Endpoint {
                edge: e,
                side,
                index,
            };
            let key = (end.node, end.node.map_or(0, |_| end.fd));
            match listed.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(side);
                }
                Entry::Occupied(first) if end.node.is_none() && *first.get() != side => {
                    found.push(place, Rule::ParentOnBothEnds);
                    continue;
                }
                Entry::Occupied(_) => {
                    let endpoint = t.endpoint_name(end);
                    found.push(place, Rule::ListedTwice { endpoint });
                    continue;
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
/// edge of its own. Out of replicas, a pipe is shared by all of them.
fn into_replicas(found: &mut Found<'_>, e: usize) {
    let t = found.topology;
    let edge = &t.edges[e];
    let replicated = |end: &EndpointInfo| {
        let node = t.nodes.get(end.node?)?;
        (node.replicas > 1).then(|| node.name.to_string())
    };
    let fed_by_parent = |ends: &[EndpointInfo]| ends.iter().all(|end| end.node.is_none());
    // A pipe's writers are shared; its reader, and either end of a
    // socketpair, is fed by the other side.
    let mut sides = vec![(Side::To, &edge.to, &edge.from)];
    if edge.kind == EdgeKind::SocketPair {
        sides.push((Side::From, &edge.from, &edge.to));
    }
    for (side, ends, other) in sides {
        if fed_by_parent(other) {
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
