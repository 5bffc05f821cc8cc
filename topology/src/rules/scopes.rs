//! The rules of each scope: it creates a namespace, its hostname fits and
//! has its uts namespace, its parent exists, and something uses it.

use super::violation::{Place, Rule};
use super::{Found, HOST_NAME_MAX};

pub(super) fn check(found: &mut Found<'_>) {
    let t = found.topology;
    // A reference to a scope that does not exist (a typo) may have been
    // meant for any of them: none is called unused then.
    let dangling = (t.nodes.iter().filter_map(|n| n.scope))
        .chain(t.scopes.iter().filter_map(|s| s.parent))
        .any(|s| s >= t.scopes.len());
    // Which scopes a node or subgraph joins, or another scope nests in:
    // marked in one pass, not searched again for every scope.
    let mut used = vec![false; t.scopes.len()];
    let joins = (t.nodes.iter().map(|n| n.scope))
        .chain(t.subgraphs.iter().map(|g| g.scope))
        .chain(t.scopes.iter().map(|s| s.parent));
    for s in joins.flatten() {
        if let Some(used) = used.get_mut(s) {
            *used = true;
        }
    }
    for (s, scope) in t.scopes.iter().enumerate() {
        if scope.namespaces.is_empty() {
            let scope = scope.name.to_string();
            found.push(Place::Scope(s), Rule::NoNamespace { scope });
        }
        if let Some(hostname) = &scope.hostname {
            if !scope.namespaces.contains(&"uts") {
                found.push(Place::Hostname(s), Rule::HostnameNeedsUts);
            }
            if !(1..=HOST_NAME_MAX).contains(&hostname.len()) {
                let len = hostname.len();
                found.push(Place::Hostname(s), Rule::HostnameLength { len });
            }
        }
        if let Some(parent) = scope.parent.filter(|&p| p >= t.scopes.len()) {
            found.push(Place::ScopeParent(s), Rule::UnknownScope { index: parent });
        }
        if !used[s] && !dangling {
            let scope = scope.name.to_string();
            found.push(Place::Scope(s), Rule::UnusedScope { scope });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{NodeInfo, ScopeInfo, SubgraphInfo, Topology};
    use crate::rules::Rule;

    fn scope(name: &'static str, parent: Option<usize>) -> ScopeInfo {
        ScopeInfo {
            name: name.into(),
            namespaces: vec!["pid"].into(),
            parent,
            ..ScopeInfo::default()
        }
    }

    /// The scopes the rules call unused.
    fn unused(topology: &Topology) -> Vec<String> {
        let Err(broken) = topology.check() else {
            return Vec::new();
        };
        (broken.violations().iter())
            .filter_map(|v| match &v.rule {
                Rule::UnusedScope { scope } => Some(scope.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_scope_is_used_when_joined_or_nested_in() {
        let node = |scope| NodeInfo {
            name: "n".into(),
            scope,
            ..NodeInfo::default()
        };
        let topology = Topology {
            nodes: vec![node(Some(0)), node(None)].into(),
            subgraphs: vec![SubgraphInfo {
                name: "g".into(),
                scope: Some(1),
                ..SubgraphInfo::default()
            }]
            .into(),
            scopes: vec![
                scope("by_node", None),
                scope("by_subgraph", None),
                scope("outer", None),
                scope("inner", Some(2)),
                scope("alone", None),
                scope("own_parent", Some(5)),
            ]
            .into(),
            ..Topology::default()
        };
        // `inner` only nests in `outer`; `own_parent` nests in itself (a
        // cycle, reported as one, not as unused).
        assert_eq!(unused(&topology), ["inner", "alone"]);
    }

    #[test]
    fn a_dangling_scope_reference_leaves_every_scope_used() {
        let topology = Topology {
            nodes: vec![NodeInfo {
                name: "n".into(),
                scope: Some(7),
                ..NodeInfo::default()
            }]
            .into(),
            scopes: vec![scope("alone", None), scope("too", Some(9))].into(),
            ..Topology::default()
        };
        assert_eq!(unused(&topology), Vec::<String>::new());
    }
}
