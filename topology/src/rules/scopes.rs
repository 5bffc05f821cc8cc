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
        let joined = t.nodes.iter().any(|n| n.scope == Some(s))
            || t.subgraphs.iter().any(|g| g.scope == Some(s));
        let nests = t.scopes.iter().any(|other| other.parent == Some(s));
        if !joined && !nests && !dangling {
            let scope = scope.name.to_string();
            found.push(Place::Scope(s), Rule::UnusedScope { scope });
        }
    }
}
