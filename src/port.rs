//! The kinds of a subgraph's ports, as the enclosing `#[process_graph]`
//! checks them at compile time.
//!
//! A declared graph's edges with a `parent` end are its ports when it is
//! nested as a `#[subgraph]`: `ProcessGraph::PORTS` has one field per port,
//! of one of these types, and an edge of the enclosing graph that names
//! `sub.port` must fit it — a mismatch is a type error at the port's name.
//! An edge that joins two ports (`#[pipe(producer.lines ->
//! consumer.input)]`, see [`Graph::join`](crate::Graph::join)) checks both:
//! an [`Output`] feeds an [`Input`], a [`Socket`] pairs with a [`Socket`].
//!
//! ```
//! use process_graph::prelude::*;
//!
//! #[process_graph]
//! pub struct Producer {
//!     #[process]
//!     generate: Cmd,
//!     #[pipe(generate.stdout -> parent)]
//!     lines: Pipe,
//! }
//!
//! #[process_graph]
//! pub struct Consumer {
//!     #[process]
//!     count: Cmd,
//!     #[pipe(parent -> count.stdin)]
//!     input: Pipe,
//! }
//!
//! #[process_graph]
//! pub struct Chain {
//!     #[subgraph]
//!     producer: Producer,
//!     #[subgraph]
//!     consumer: Consumer,
//!     // An `Output` of `producer` into an `Input` of `consumer`: one pipe
//!     // from `generate` to `count`, no end of it left to the application.
//!     #[pipe(producer.lines -> consumer.input)]
//!     lines: Pipe,
//! }
//!
//! let chain = Chain::new(
//!     Producer::new(Cmd::new("seq").arg("3")),
//!     Consumer::new(Cmd::new("wc").arg("-l")),
//! );
//! assert!(chain.spawn()?.wait()?.success());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
///
/// ```
/// use process_graph::{port, prelude::*};
///
/// #[process_graph]
/// struct Db { #[process] primary: Cmd, #[pipe(parent -> primary.stdin)] queries: Pipe }
///
/// // Nested as `db`, an edge of the enclosing graph writes into `db.queries`.
/// let port::Input = Db::PORTS.queries; // would not compile for another kind
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input;

/// A pipe out of the subgraph: the enclosing graph connects its reader.
///
/// ```
/// use process_graph::{port, prelude::*};
///
/// #[process_graph]
/// struct Producer { #[process] generate: Cmd, #[pipe(generate.stdout -> parent)] lines: Pipe }
///
/// // Nested as `producer`, an edge of the enclosing graph reads `producer.lines`.
/// assert_eq!(Producer::PORTS.lines, port::Output);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output;

/// A socketpair end of the subgraph: the enclosing graph connects the
/// other end.
///
/// ```
/// use process_graph::{port, prelude::*};
///
/// #[process_graph]
/// struct Server { #[process] main: Cmd, #[socketpair(main.fd(3) <-> parent)] control: SocketPair }
///
/// // Nested as `server`, the enclosing graph pairs `server.control` with one end.
/// assert_eq!(Server::PORTS.control, port::Socket);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Socket;
