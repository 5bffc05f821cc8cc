//! The shape of a process graph as plain data — processes, edges with their
//! fd numbers, scopes with their namespaces, and policies — built as a
//! `const` by the `#[process_graph]` macro and at compile time by the macro
//! itself to draw the rustdoc diagram.
//!
//! This crate has no dependencies, so both the proc-macro crate and the
//! runtime can use it: one description, one renderer.
//!
//! Renderers, all deterministic: the SVG, DOT and Mermaid draw the same
//! processes, edges (with their fds) and scopes; the tables add what a
//! picture leaves out (full commands, policies, readiness, hostnames):
//!
//! - an inline SVG diagram, the rustdoc picture, by [`Topology::to_svg`],
//!   drawn from [`Topology::layout`];
//! - Graphviz DOT by [`Topology::to_dot`];
//! - a Mermaid flowchart by [`Topology::to_mermaid`];
//! - the tables shown under the diagram by [`Topology::to_markdown_tables`].
//!
//! ```
//! use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, Topology};
//!
//! const NODES: &[NodeInfo] = &[
//!     NodeInfo { name: "seq", command: Some("seq 1 100"), scope: None, restart: "never",
//!                critical: false, after: &[], ready: None },
//!     NodeInfo { name: "grep", command: Some("grep 7"), scope: None, restart: "never",
//!                critical: false, after: &[], ready: None },
//! ];
//! const TOPOLOGY: Topology = Topology {
//!     name: "Lucky",
//!     nodes: NODES,
//!     edges: &[EdgeInfo {
//!         name: "lines",
//!         kind: EdgeKind::Pipe,
//!         from: &[EndpointInfo { node: Some(0), fd: 1 }],
//!         to: &[EndpointInfo { node: Some(1), fd: 0 }],
//!     }],
//!     scopes: &[],
//!     strategy: "one_for_one",
//!     intensity: 3,
//!     period_ms: 5000,
//! };
//! assert!(TOPOLOGY.to_svg().contains("stdout → stdin"));
//! assert!(TOPOLOGY.to_dot().starts_with("digraph"));
//! assert!(TOPOLOGY.to_mermaid().starts_with("flowchart TB"));
//! assert!(TOPOLOGY.to_markdown_tables().contains("| `grep` |"));
//! ```

#![warn(missing_docs)]

mod dot;
mod labels;
mod layout;
mod links;
mod mermaid;
mod model;
mod scopes;
mod signals;
mod svg;
mod table;

pub use labels::{STDIO, fd_name};
pub use layout::{EdgePath, Layout, LinkKind, Point, Rect, Vertex};
pub use model::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, ScopeInfo, Topology};
pub use signals::{SIGNALS, signal_index};
