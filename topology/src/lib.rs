//! The shape of a process graph as plain data — processes, edges with their
//! fd numbers, scopes with their namespaces, and policies — built as a
//! `const` by the `#[process_graph]` macro and at compile time by the macro
//! itself to draw the rustdoc diagram.
//!
//! This crate has no dependencies, so both the proc-macro crate and the
//! runtime can use it: one description, one renderer.

#![warn(missing_docs)]

mod model;

pub use model::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, ScopeInfo, Topology};
