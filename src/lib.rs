//! Declare the child processes a program needs — their commands, the pipes
//! and socketpairs between them, the namespaces they share and how they are
//! supervised — as a plain Rust struct. [`#[process_graph]`](process_graph)
//! checks the wiring at compile time and generates a typed API that spawns
//! every process, hands the parent its ends of the edges as std types, waits
//! on all of them, and tears everything down so nothing leaks.
//!
//! ```
//! use std::io::Read;
//! use process_graph::prelude::*;
//!
//! /// Count the lines of a log that mention an error.
//! #[process_graph]
//! struct ErrorCount {
//!     #[process]
//!     source: Cmd,
//!     #[process(after = [source])]
//!     filter: Cmd,
//!     #[process]
//!     count: Cmd,
//!
//!     #[pipe(source.stdout -> filter.stdin)]
//!     lines: Pipe,
//!     #[pipe(filter.stdout -> count.stdin)]
//!     errors: Pipe,
//!     #[pipe(count.stdout -> parent)] // the parent reads the count
//!     total: Pipe,
//! }
//!
//! let graph = ErrorCount::new(
//!     Cmd::new("printf").arg("ok\nerror: disk\nok\nerror: net\n"),
//!     Cmd::new("grep").arg("error"),
//!     Cmd::new("wc").arg("-l"),
//! );
//! let mut running = graph.spawn()?;
//! let mut total = String::new();
//! running.total.take().unwrap().read_to_string(&mut total)?;
//! assert_eq!(total.trim(), "2");
//!
//! let report = running.wait()?; // one field per process
//! assert!(report.success());
//! assert_eq!(report.count.status, Some(ExitStatus::Exited(0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same graph can be built at run time with [`Graph`] — the macro
//! expands to exactly those calls ([`ErrorCount::graph`](Graph) returns
//! them), so both front doors share one engine and one set of rules.
//!
//! # Crates
//!
//! - this crate: the facade, with the macro and everything it names;
//! - `process-graph-runtime`: spawning, wiring, supervision, teardown
//!   (all of it re-exported here, see [`Graph`] and [`RunningGraph`]);
//! - [`topology`]: the graph's shape as data (`Name::TOPOLOGY`).

#![warn(missing_docs)]

mod child;
mod child_table;
mod declared;
mod event;
mod node;
pub mod port;
mod running;

#[doc(hidden)]
pub mod __private;

pub use child::{Child, ChildExit, ChildId, Children};
pub use declared::{ProcessGraph, RunningProcessGraph};
pub use event::GraphEvent;
pub use node::{GraphNode, ProcessHandle};
pub use process_graph_runtime::*;
pub use process_graph_topology as topology;
pub use process_graph_topology::Topology;
pub use running::Running;

/// The value of a `#[process]` field: the command the process runs.
///
/// ```
/// use process_graph::Cmd;
///
/// let grep = Cmd::new("grep").arg("-c").arg("error").env("LC_ALL", "C");
/// assert_eq!(grep.get_program(), "grep");
/// ```
pub type Cmd = Command;

/// Declares a graph of processes as a struct; see the crate docs for an
/// example.
///
/// # Fields
///
/// Every field has exactly one role attribute:
///
/// | attribute | field type | declares |
/// |---|---|---|
/// | `#[process(...)]` | [`Cmd`] | a process; the value is its command |
/// | `#[pipe(writers -> reader)]` | [`Pipe`] | a pipe; the value sets its buffer size |
/// | `#[socketpair(a <-> b)]` | [`SocketPair`] | a socketpair; the value sets its socket type |
/// | `#[scope(namespaces...)]` | [`Scope`] | a set of new namespaces; the value sets the ids inside |
/// | `#[subgraph]`, `#[subgraph(on_failure = "escalate", scope = name, after = [a])]` | another `#[process_graph]` struct | a nested graph with its own supervision level, in that scope if given, every node of it started once those are ready; its `parent` edges are ports |
/// | `#[children]`, `#[children(on_failure = "escalate")]`, `#[children(scope = sandbox)]` | [`Children<G>`](Children) | graphs of type `G` added at run time with the generated `add_<field>`, each inside scope `sandbox` of this graph if one is named |
///
/// **Endpoints** are `node.stdin`, `node.stdout`, `node.stderr`,
/// `node.fd(N)` (N ≥ 3) and `parent` (the application itself). A pipe goes
/// from one or more writers to one reader: `#[pipe(a.stdout, b.stdout ->
/// c.stdin)]`. A socketpair has one end on each side: `#[socketpair(a.fd(3)
/// <-> parent)]`. A subgraph's port, `db.queries`, stands where `parent`
/// would (its kind checked by rustc, see [`port`]), and an edge may join a
/// port of one subgraph to a port of another: `#[pipe(producer.lines ->
/// consumer.input)]` is then one pipe between the processes behind them.
///
/// **`#[process(...)]` keys**: `restart = "never" | "on-failure" |
/// "always"`; `critical` (the graph ends when it ends for good);
/// `after = [a, b]` (start once those are ready: a process, or a
/// `#[subgraph]` field, meaning every node of it); `ready = fd(N)` (the child
/// writes a newline to fd N, as s6) or `ready = "notify"` (systemd's
/// `NOTIFY_SOCKET`); `ready_timeout = "5s"`; `ready_probe(...)` (ready when
/// the probe first passes) and `live_probe(...)` (killed when it fails),
/// each with one check — `tcp = "127.0.0.1:8080"`, `http =
/// "127.0.0.1:8080/health"` (2xx or 3xx), `exec = ["pg_isready", "-q"]`
/// (exits 0) or, for readiness, `log = "listening"` (a line of its stdout or
/// stderr contains the text) — and `period`, `timeout`, and for liveness
/// `failure_threshold` (see [`Probe`]); `oneshot` (a job that is done when
/// it exits 0, as systemd's `Type=oneshot`: `after` on it waits for its
/// success; not with `restart = "always"` or a `ready` protocol);
/// `watchdog = "10s"` (the node gets `WATCHDOG_USEC` and must send
/// `WATCHDOG=1` within it) and `notify_access = "main" | "all"` (whose
/// `NOTIFY_SOCKET` messages count, default `"main"`), both only with
/// `ready = "notify"`; `reload_signal = "SIGHUP"` (the default; see
/// [`RunningGraph::reload`]); `stop_signal = "SIGINT"` (default SIGTERM);
/// `stop_timeout = "3s"` (default 5 s, [`DEFAULT_STOP_TIMEOUT`]);
/// `backoff = "100ms..30s"` (the first restart delay, then the cap; this is
/// the default); `scope = name`; `replicas = 4` (that many copies, each
/// supervised on its own; at most 1024); `listen = [http =
/// "tcp:127.0.0.1:8080", admin = "unix:/run/web.sock"]` (listening sockets
/// the application binds and passes at fds 3, 4, … with `LISTEN_FDS` and
/// `LISTEN_FDNAMES`, see [`Listener`]); the cgroup limits `memory_max =
/// "512M"` (bytes, or a number with unit K, M, G or T, powers of 1024),
/// `pids_max = 64` and `cpu_weight = 200` (1 to 10000, default 100), which
/// need cgroups (refused with `cgroup = "off"`, see [`NodeOptions::memory_max`]);
/// `terminal` (stdin, stdout and stderr are a pseudo-terminal of the
/// process's own, its controlling terminal, whose other end
/// [`Running::take_terminal`] hands over; see [`Terminal`]);
/// `stdin`, `stdout`, `stderr = "inherit" | "null" | "terminal"` and,
/// for `stdout` and `stderr`, the output sinks `"prefixed"`, `prefixed(timestamps =
/// "rfc3339" | "since-start")`, `file("app.log", max_size = "10M", keep =
/// 5)` (a file rotated by size), `callback(path::to::function)` (a
/// `fn(&Line)`) and `"tracing"` (feature `tracing`; without it, a compile
/// error) — for streams no edge claims. Durations are numbers with units `ms`, `s`, `m`,
/// `h`, e.g. `"1m30s"`.
///
/// **`#[scope(...)]`**: namespace kinds `user`, `pid`, `net`, `mount`,
/// `uts`, `ipc`; `hostname = "box"` (needs `uts`); `parent = other_scope`.
/// Unprivileged, a scope needs `user`, its own or its parent's (see
/// [`ScopeSpec`]).
///
/// **`#[process_graph(...)]`**: `strategy = "one_for_one" | "one_for_all" |
/// "rest_for_one"` (default `"one_for_one"`), `intensity = 5`, `period =
/// "10s"` (at most `intensity` restarts per `period`; default 3 in 5 s, as
/// OTP), `start_timeout = "2m"` (how long `spawn` waits for dependencies to
/// be ready; default 90 s, [`DEFAULT_START_TIMEOUT`]), `cgroup = "auto" |
/// "required" | "off"` (default `"auto"`, see [`Containment`]), and `crate =
/// "path"` when this crate is not reachable as `::process_graph`.
///
/// # What it generates
///
/// For `struct Name`:
/// - `Name::new(cmd, ...)`, taking one command per process in declaration
///   order (edges and scopes get defaults); a struct literal works too;
/// - `Name::spawn(self) -> Result<RunningName, Error>`, and
///   `Name::graph(self) -> Graph` for the dynamic graph it stands for;
/// - `Name::TOPOLOGY`, a [`Topology`] constant;
/// - `struct NamePorts` and `struct NamePortEnds`: the kinds of its ports
///   (its `parent` edges) and their parent ends, for a graph that nests it;
/// - `impl ProcessGraph for Name` and `impl RunningProcessGraph for
///   RunningName` ([`ProcessGraph`]), so code can be generic over graphs;
/// - `enum NameNode`, one variant per process (see [`GraphNode`]);
/// - `struct RunningName`: one [`ProcessHandle`] accessor per process, the
///   parent's end of each `parent` edge as a public `Option` field named
///   after the edge ([`PipeReader`](std::io::PipeReader),
///   [`PipeWriter`](std::io::PipeWriter) or
///   [`UnixStream`](std::os::unix::net::UnixStream), like the pipes of
///   [`std::process::Child`]), for each `#[subgraph]` field a public field
///   of the same name holding the ends of the subgraph's ports this graph
///   leaves unwired (`running.db.results`), `wait` and `shutdown`; it
///   dereferences to
///   [`Running<NameNode>`](Running) for `next_event` (a [`GraphEvent`]),
///   `signal`, `restart`, `stop`, `decide`, `snapshot`, `stop_on_signals`
///   and the rest of what [`RunningGraph`] offers;
/// - for each `#[children]` field `workers`, `RunningName::add_workers`,
///   which starts one more child and returns its [`ChildId`];
/// - `struct NameReport`, one [`NodeExit`] field per process (a `Vec` for
///   replicas and subgraphs, of [`ChildExit`] for children).
///
/// # Checked at compile time
///
/// Each mistake is reported at the token that is wrong, all of them at once:
/// unknown process or scope names (with the closest name suggested); a pipe
/// written through `stdin` or read through `stdout`/`stderr`; a pipe with no
/// writer, no reader or two readers; a pipe whose reader is also one of its
/// writers (it would never see EOF); a socketpair without exactly one end
/// per side; an fd of a process claimed twice (by two edges, an edge and a
/// stdio setting, or an edge and `ready = fd(N)`); an fd at or beyond
/// [`MAX_FD`]; `parent` on both ends; an endpoint listed twice; a
/// subgraph's port that does not exist, of the wrong kind, wired by two
/// edges, or joined to a port beside other endpoints; `after` and
/// scope-nesting cycles (named in full, through subgraphs too); an `after`
/// that names a `#[children]` field; a scope that no process joins and
/// no scope is nested in; a field type that does not fit its attribute;
/// fields without a role or with two; unknown keys, policies, namespace
/// kinds and signal names; bad durations and fd numbers; a hostname without
/// `uts` or longer than the kernel takes; and structs that cannot be graphs
/// (tuple and unit structs, enums, unions, generics).
///
/// The wiring rules are [`Topology::check`]'s, which [`Graph::validate`]
/// applies to a graph built at run time: both doors accept and reject the
/// same graphs, with the same messages.
///
/// ```compile_fail
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Typo {
///     #[process]
///     filter: Cmd,
///     #[pipe(fliter.stdout -> parent)] // error: unknown process `fliter`; did you mean `filter`?
///     out: Pipe,
/// }
/// ```
#[doc(inline)]
pub use process_graph_macros::process_graph;

/// What a program declaring graphs needs in scope: the macro, the field
/// types, and the types their values and events use.
///
/// ```
/// use process_graph::prelude::*;
///
/// #[process_graph]
/// struct Hello {
///     #[process(stdout = "null")]
///     greet: Cmd,
/// }
///
/// let report = Hello::new(Cmd::new("echo").arg("hello")).spawn()?.wait()?;
/// assert_eq!(report.greet.status, Some(ExitStatus::Exited(0)));
/// # Ok::<(), process_graph::Error>(())
/// ```
pub mod prelude {
    pub use crate::{
        Children, Cmd, Command, ExitStatus, GraphEvent, GraphNode, Listener, Pipe, ProcessGraph,
        ProcessGroup, Rlimit, RunningProcessGraph, Scope, Signal, SocketPair, Stdio, Terminal,
        WindowSize, process_graph,
    };
}
