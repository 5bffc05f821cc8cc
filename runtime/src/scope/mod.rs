//! Namespace scopes: groups of nodes that share a set of new Linux namespaces.

mod joined;
mod runtime;
mod spec;

pub(crate) use runtime::{ScopeRuntime, Scopes, ScopesMark};
pub use spec::{Namespace, Scope, ScopeSpec};
