//! The runtime of [process-graph](https://docs.rs/process-graph): start a
//! graph of child processes wired by pipes and socketpairs, wait on them, and
//! tear them down so that nothing is left behind.
//!
//! Most users reach it through the `process-graph` crate and its
//! `#[process_graph]` macro, which expands to calls of this crate's dynamic
//! API: [`Graph`] to declare, [`Graph::spawn`] to start, [`RunningGraph`] to
//! supervise.
//!
//! ```
//! use std::io::Read;
//! use process_graph_runtime::{Command, Endpoint, Graph};
//!
//! let mut graph = Graph::new();
//! let input = graph.node("input", Command::new("printf").arg("b\\na\\nc\\n"));
//! let sort = graph.node("sort", Command::new("sort"));
//! graph.pipe(input.stdout(), sort.stdin());
//! let out = graph.pipe(sort.stdout(), Endpoint::Parent);
//!
//! let mut running = graph.spawn()?;
//! let mut sorted = String::new();
//! running.take_reader(out).unwrap().read_to_string(&mut sorted)?;
//! assert_eq!(sorted, "a\nb\nc\n");
//! running.wait()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Guarantees
//!
//! - **Spawning** uses `clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD)`: its
//!   cost does not grow with the parent's memory, and each child comes with
//!   a pidfd from the start. Between clone and exec the child allocates
//!   nothing, takes no lock and cannot panic.
//! - **Fds**: every fd the runtime creates is CLOEXEC. A child's fd table is
//!   exactly 0, 1, 2 and its declared fds from its first instruction on:
//!   everything else, including fds other threads opened without
//!   `O_CLOEXEC`, is marked close-on-exec with `close_range` and closed by
//!   `execve`, so the spawning thread does not wait for a thousand closes
//!   (Linux 5.11 and later; on 5.9 and 5.10 the child closes them itself).
//!   The parent closes its copies of the children's ends right after the
//!   spawn, so readers see EOF. The fds the runtime holds for a node's whole
//!   life (pidfd, forwarded output, notify socket) sit high in the table,
//!   and the child copies only the part below the highest fd it is given
//!   (`CLONE_FILES`, then `close_range(…, CLOSE_RANGE_UNSHARE)`), so a
//!   spawn's cost does not grow with the number of nodes running (Linux
//!   6.11 and later; older kernels can corrupt such a copy, CVE-2024-45025,
//!   and copy the whole table).
//! - **Signals** in the child: every signal at its default action and the
//!   signal mask empty, whatever the application caught, ignored (SIGPIPE,
//!   or SIGHUP and SIGINT under `nohup`) or blocked — handlers are reset by
//!   `CLONE_CLEAR_SIGHAND`, ignored signals one by one, since an ignored
//!   signal survives both that flag and `execve`.
//! - **Waiting** uses one pidfd per child in one wait set per graph, kept in
//!   step with the fds the graph holds (`ppoll` while small, epoll beyond
//!   eight fds, so an event costs the same whatever the graph's size); no
//!   `waitpid(-1)`, no SIGCHLD handler, so other code's children are never
//!   stolen, and an idle graph causes no wake-ups.
//! - **Containment**: each node runs in its own process group, and has
//!   `PR_SET_PDEATHSIG(SIGKILL)` (armed race-free: the child checks that its
//!   parent is still the spawner after arming it). When a node's main process
//!   exits, whatever is left in its process group is SIGKILLed before it is
//!   reaped. On drop or shutdown every node gets its stop signal, dependents
//!   first, and its process group is SIGKILLed after its stop timeout.
//! - **Pid scopes contain everything.** A [`ScopeSpec`] with
//!   [`Namespace::Pid`] runs a small init as pid 1 of its namespace, which
//!   reaps every orphan and exits when the application drops the scope or
//!   exits — its sync socket to the application closes, and PDEATHSIG backs
//!   that up. When it dies the kernel kills every process left in the
//!   namespace. `wait` and `shutdown` end the scopes before they return. So
//!   **no process started in a pid scope — grandchildren and double-forked
//!   daemons included — outlives the graph, even if the application is
//!   killed with SIGKILL.**
//! - **A scope with a user namespace cannot reach the application.** Its
//!   nodes are root inside, and the kernel lets root of a user namespace
//!   ptrace every process whose credentials are in it. So no process that
//!   shares the application's memory ever enters a scope: creating a
//!   scope's init and starting a node inside a scope are done by a small
//!   static program this crate carries, executed from a sealed memfd (the
//!   application's vfork-style child execs it at once). It has an address
//!   space of its own, and makes it non-dumpable while it still belongs to
//!   the application's user namespace — the namespace the kernel then
//!   requires `CAP_SYS_PTRACE` in, which nothing in the scope has. The init
//!   is a copy of that program, non-dumpable before any node exists, and a
//!   node clone shares it until its own `execve`. So no node can read or
//!   write the application's memory, steal its fds, or take over the init to
//!   outlive it. Scope-mates can reach one another: a scope is one trust
//!   domain.
//! - **Cgroups contain what nodes start**, wherever the application may
//!   create cgroups (root, or a delegated subtree; see [`Containment`]):
//!   each node runs in a cgroup of its own from its first instruction
//!   (`CLONE_INTO_CGROUP`). When its main process exits, the rest
//!   of its cgroup is killed with `cgroup.kill`, and the node has ended only
//!   once the cgroup is empty; `wait` and `shutdown` return once every cgroup
//!   of the graph is empty and removed; and a watcher process kills and
//!   removes them if the application dies, by SIGKILL too. So **no process a
//!   node starts — setsid'd and double-forked daemons included — outlives
//!   the node, or the application.**
//!
//! # Where the guarantees stop
//!
//! - Outside pid scopes and cgroups (where the application may not create
//!   cgroups, or with [`Containment::Off`]), a process that leaves its
//!   node's process group (`setsid`, `setpgid`, a double-forking daemon)
//!   escapes the group kills, and PDEATHSIG covers only the direct child: if
//!   the application is SIGKILLed, direct children die, their own children
//!   do not — nor a direct child that changed its own uid or gid or
//!   executed a set-id program, which makes the kernel clear its
//!   parent-death signal.
//! - A node running as root, or as the application's own user in a
//!   delegated subtree, may move itself out of its cgroup by writing a
//!   `cgroup.procs` it can write; only a pid scope with a user namespace
//!   holds a process that fights back.
//! - PDEATHSIG fires when the *thread* that spawned the child exits, not the
//!   process: spawn, and run the event loop (which restarts nodes), on a
//!   thread that lives as long as the graph — not a short-lived pool thread.
//! - A user namespace maps one uid and one gid: the caller's own when
//!   unprivileged (and `setgroups` is denied inside), an unprivileged id
//!   drawn for the scope when the caller is root. A user namespace nested in
//!   a scope that has one is refused ([`Error::Scope`]).
//! - A scope without a user namespace (possible only as root) is no
//!   boundary against the application: its nodes have the application's
//!   credentials. Without a pid namespace, a scope's nodes can signal
//!   processes of the application's uid, the application included.
//! - Linux only, kernel 5.9 or later (`clone3` with `CLONE_PIDFD` and
//!   `CLONE_CLEAR_SIGHAND`, `close_range`, `execveat`); containment in
//!   cgroups needs 5.14 (`cgroup.kill`), and is left out on older kernels.
//!   Tested on x86_64; the aarch64 system-call code is written but untested.

#![warn(missing_docs)]

/// Declares a module whose code runs between `clone3` and `execve` (or
/// `exit_group`), where a panic would run the unwinding machinery on memory
/// shared with the parent: every clippy lint for a panic path is an error
/// there — one list for all such modules.
macro_rules! child_side_module {
    ($(#[$attr:meta])* $vis:vis mod $name:ident;) => {
        $(#[$attr])*
        #[deny(
            clippy::arithmetic_side_effects,
            clippy::indexing_slicing,
            clippy::panic,
            clippy::unwrap_used,
            clippy::expect_used
        )]
        $vis mod $name;
    };
}

mod added;
#[cfg(feature = "tokio")]
mod async_wait;
mod cgroup;
mod command;
mod credentials;
mod dir_entry;
mod error;
mod exit;
mod forward;
mod graph;
mod held_up;
mod kernel_file;
mod listener;
mod output;
mod owner;
mod plan;
mod policy;
mod poller;
mod probe;
mod process;
mod random;
mod running;
mod scope;
mod sigchld;
mod sigmask;
mod signal;
mod spawn;
mod strays;
mod supervise;
mod sys;
mod terminal;
mod tracer;

pub use added::Added;
pub use cgroup::Containment;
pub use command::{Command, Stdio};
pub use credentials::{ProcessGroup, Rlimit};
pub use error::{Error, SpawnError, SpawnErrorKind, Step};
pub use exit::{ExitReport, ExitStatus, NodeExit, Outcome};
pub use graph::{
    DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT, EdgeId, Endpoint, Endpoints, Graph, JoinError,
    Nested, NodeId, NotAPort, Pipe, PortKind, PortName, REPLICA_VAR, ScopeId, SocketKind,
    SocketPair, SubgraphFailure, SubgraphId,
};
pub use listener::Listener;
pub use output::{Callback, Line, LineEnd, RotatingFile, Sink, Stream, Timestamps};
pub use plan::{FdOrigin, PlannedNode, SpawnPlan};
pub use policy::{Backoff, Intensity, NodeOptions, NotifyAccess, Readiness, Restart, Strategy};
pub use poller::Waker;
pub use probe::{Probe, ProbeKind, ProbeResult, ProbeSnapshot};
pub use process_graph_topology::{
    Claim, MAX_FD, Place, Rule, Side, Topology, Violation, Violations,
};
pub use running::RunningGraph;
pub use scope::{Namespace, Scope, ScopeSpec};
pub use signal::{Signal, UnknownSignal};
pub use supervise::{Decision, Event, MainPidRefusal, NodeSnapshot, NodeState, Snapshot};
pub use terminal::{Detached, Terminal, WindowSize};

impl Graph {
    /// Checks the graph, then starts its nodes in dependency order: a node
    /// starts once every node it starts `after` is ready, the rest at once
    /// (the order [`plan`](Graph::plan) shows). `spawn` returns when every
    /// node has started once. A node that exits meanwhile is handled by its
    /// declared policy — the application's [`decide`](RunningGraph::decide)
    /// applies to exits reported by `next_event` after `spawn` returned.
    ///
    /// If a node fails to start, every node already started is killed and
    /// reaped, and the error names the node and the step that failed.
    ///
    /// If the graph fails while it starts — a dependency fails for good
    /// ([`Error::DependencyFailed`], naming the node, the dependency and how
    /// it ended), restarts exceed the intensity ([`Error::RestartIntensity`]),
    /// or dependencies are not ready within the graph's
    /// [`start_timeout`](Graph::start_timeout) ([`Error::StartTimeout`]) —
    /// every node that started is stopped in order (dependents first, each
    /// with its stop signal and timeout) and reaped before `spawn` returns
    /// that error: nothing of the graph is left running. `spawn` blocks at
    /// most for the start timeout (90 s by default) plus the stop timeouts.
    ///
    /// The first graph that needs the runtime's carried program — for a
    /// scope, or for the watcher of its cgroups — writes it to a sealed
    /// memfd, which stays open (close-on-exec) for the life of the process:
    /// one fd, shared by every later graph.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, Graph, NodeOptions};
    ///
    /// let mut graph = Graph::new();
    /// let db = graph.node("db", Command::new("sleep").arg("10"));
    /// let after_db = NodeOptions::new().after([db]);
    /// let app = graph.node_with("app", Command::new("sleep").arg("10"), after_db);
    /// let mut running = graph.spawn()?; // db first, then app once db is ready
    /// assert!(running.pid(db).is_some() && running.pid(app).is_some());
    /// running.shutdown(Duration::from_secs(5))?; // app first, then db
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn spawn(self) -> Result<RunningGraph, Error> {
        RunningGraph::start(self)
    }
}
