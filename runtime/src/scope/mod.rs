//! Namespace scopes: groups of nodes that share a set of new Linux namespaces.

mod id_claim;
mod ids;
mod joined;
mod runtime;
mod spec;
mod strays;

pub(crate) use ids::InsideIds;
pub(crate) use runtime::{Answer, ScopeRuntime, Scopes, ScopesMark};
pub use spec::{Namespace, Scope, ScopeSpec};
pub(crate) use strays::PidNamespace;
