//! Namespace scopes: groups of nodes that share a set of new Linux namespaces.

mod runtime;
mod spec;

pub(crate) use runtime::{ScopeRuntime, Scopes};
pub use spec::{Namespace, Scope, ScopeSpec};
