//! Namespace scopes: groups of nodes that share a set of new Linux namespaces.

mod spec;

pub use spec::{Namespace, Scope, ScopeSpec};
