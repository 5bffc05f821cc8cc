//! The kinds of a subgraph's ports, as the enclosing `#[process_graph]`
//! checks them at compile time.
//!
//! A declared graph's edges with a `parent` end are its ports when it is
//! nested as a `#[subgraph]`: `ProcessGraph::PORTS` has one field per port,
//! of one of these types, and an edge of the enclosing graph that names
//! `sub.port` must fit it — a mismatch is a type error at the port's name.
//!
//! ```compile_fail
//! use process_graph::prelude::*;
//!
//! #[process_graph]
//! pub struct Db {
//!     #[process]
//!     primary: Cmd,
//!     /// The parent writes queries in.
//!     #[pipe(parent -> primary.stdin)]
//!     queries: Pipe,
//! }
//!
//! #[process_graph]
//! pub struct Site {
//!     #[process]
//!     client: Cmd,
//!     #[subgraph]
//!     db: Db,
//!     // `queries` is an input of `db`: it must be written to, not read.
//!     #[pipe(db.queries -> client.stdin)]
//!     wrong_way: Pipe,
//! }
//! ```

/// A pipe into the subgraph: the enclosing graph connects its writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input;

/// A pipe out of the subgraph: the enclosing graph connects its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output;

/// A socketpair end of the subgraph: the enclosing graph connects the
/// other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Socket;
