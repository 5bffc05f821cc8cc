//! The shape of a process graph as plain data — processes, edges with their
//! fd numbers, scopes with their namespaces, and policies — and every
//! wiring rule it must satisfy ([`Topology::check`]), written once.
//!
//! Both front doors lower their declarations to a [`Topology`]: the
//! `#[process_graph]` macro at compile time (it reports each
//! [`Violation`] at the user's token, and emits the topology as the
//! `Name::TOPOLOGY` constant) and the runtime's `Graph` before it spawns
//! (it refuses the graph with the same messages). The signal names and the
//! policy defaults both sides use live here too.
//!
//! This crate has no dependencies, so both the proc-macro crate and the
//! runtime can use it: one model, one rule book, one renderer.
//!
//! Renderers, all deterministic: the SVG, DOT and Mermaid draw the same
//! processes, edges (with their fds), scopes and subgraphs (a frame with
//! its ports, where the edges that reach them end); the tables add what a
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
//! let topology = Topology {
//!     name: "Lucky".into(),
//!     nodes: vec![
//!         NodeInfo { name: "seq".into(), command: Some("seq 1 100".into()), ..NodeInfo::default() },
//!         NodeInfo { name: "grep".into(), command: Some("grep 7".into()), ..NodeInfo::default() },
//!     ]
//!     .into(),
//!     edges: vec![EdgeInfo {
//!         name: Some("lines".into()),
//!         kind: EdgeKind::Pipe,
//!         from: vec![EndpointInfo { node: Some(0), fd: 1 }].into(),
//!         to: vec![EndpointInfo { node: Some(1), fd: 0 }].into(),
//!         doc: None,
//!     }]
//!     .into(),
//!     ..Topology::default()
//! };
//! assert!(topology.check().is_ok());
//! assert!(topology.to_svg().contains("stdout → stdin"));
//! assert!(topology.to_dot().starts_with("digraph"));
//! assert!(topology.to_mermaid().starts_with("flowchart TB"));
//! assert!(topology.to_markdown_tables().contains("| `grep` |"));
//! ```

#![warn(missing_docs)]

mod dot;
mod labels;
mod layout;
mod links;
mod listen;
mod mermaid;
mod model;
mod probe;
mod replicas;
mod rules;
mod scopes;
mod signals;
mod subgraphs;
mod svg;
mod table;

pub use labels::{STDIO, fd_name};
pub use layout::{EdgePath, Layout, LinkKind, Pin, Point, Rect, Vertex};
pub use listen::{ListenAddress, UNIX_PATH_MAX, valid_listener_name};
pub use model::{
    EdgeInfo, EdgeKind, EndpointInfo, List, ListenerInfo, NAMESPACES, NodeInfo, PortInfo, Ready,
    ScopeInfo, StdioMode, SubgraphInfo, Text, Topology,
};
pub use probe::{AddressError, ProbeCheck, ProbeInfo, http_target, probe_address};
pub use replicas::{replica_index, replica_indices, replica_of};
pub use rules::{Claim, HOST_NAME_MAX, MAX_FD, Place, Rule, Side, Violation, Violations};
pub use signals::{SIGNALS, signal_index};
