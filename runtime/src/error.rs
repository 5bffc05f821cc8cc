//! Errors: what went wrong, in which node, at which step.
//!
//! Messages follow one shape — lowercase, no trailing period, the node first,
//! then the step — e.g. `node "filter": dup2 onto fd 3 failed`. The cause
//! (`Bad file descriptor (os error 9)`) is the error's
//! [`source`](std::error::Error::source), which a report (anyhow, eyre, or
//! a loop over `source()`) prints after it: each error's `Display` leaves
//! out what its `source()` returns, so nothing is printed twice.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use process_graph_topology::Violations;

use crate::graph::NodeId;

/// Everything that can go wrong while building, spawning or running a graph.
///
/// Each variant's message names the node (or scope) and the step; the cause
/// underneath, when there is one, is its [`source`](std::error::Error::source).
///
/// ```
/// use process_graph_runtime::{Command, Error, Graph};
///
/// let mut graph = Graph::new();
/// graph.node("missing", Command::new("/nonexistent/program"));
/// match graph.spawn() {
///     Err(Error::Spawn(e)) => assert_eq!(e.node(), "missing"),
///     other => panic!("expected a spawn error, got {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The graph breaks one or more wiring rules; every violation is listed.
    Invalid(Violations),
    /// A node's command cannot be turned into an `execve` call (for example an
    /// argument holds a NUL byte). Nothing was started.
    Command {
        /// The node whose command is malformed.
        node: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A node could not be started. Every process started by the same call
    /// was stopped and reaped before this error was returned.
    Spawn(SpawnError),
    /// The application ignores SIGCHLD (`SIG_IGN`) or set `SA_NOCLDWAIT`,
    /// so the kernel reaps every child itself as it exits and the runtime
    /// cannot learn how a node ended. Returned before anything starts, or
    /// when a node was reaped this way while the graph ran. Set SIGCHLD back
    /// to `SIG_DFL` (without `SA_NOCLDWAIT`) before spawning.
    SigchldIgnored {
        /// `"SIG_IGN"` or `"SA_NOCLDWAIT"`.
        disposition: &'static str,
    },
    /// A system call made on the parent's side failed.
    Io {
        /// The node concerned, if the call was made for one node.
        node: Option<String>,
        /// What the runtime was doing, e.g. `"create pipe"`.
        op: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// A node cannot be added to a running graph this way (nothing was
    /// added).
    CannotAdd {
        /// The node.
        node: String,
        /// Why not.
        reason: &'static str,
    },
    /// A node is in a scope that stands for one of the running graph's
    /// ([`Graph::running_scope`](crate::Graph::running_scope)), and the
    /// running graph has no scope of that id — or the graph was spawned,
    /// not added to a running graph. Nothing was added or started.
    NoSuchScope {
        /// The node.
        node: String,
        /// The running graph's scope id it names.
        scope: crate::ScopeId,
    },
    /// The node has already been reaped, so it can no longer be signalled.
    NotRunning {
        /// The node.
        node: String,
    },
    /// The running graph was used from a process other than the one that
    /// spawned it — a copy made by `fork()` — where it acts on nothing.
    ForeignProcess {
        /// The pid of the process that spawned the graph.
        spawner: u32,
    },
    /// A scope's namespaces could not be created or set up. Nothing of the
    /// graph was left running.
    Scope {
        /// The scope.
        scope: String,
        /// The namespace kind concerned, when it is known.
        namespace: Option<crate::Namespace>,
        /// The step that failed, e.g. `"clone3"` or `"write uid_map"`.
        step: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// The graph needs cgroups — it requires
    /// [`Containment::Required`](crate::Containment::Required), or a node
    /// sets a resource limit — and the application may not create them
    /// here. Nothing was started.
    CgroupUnavailable {
        /// The node whose resource limits need them, if one does.
        node: Option<String>,
        /// Why cgroups cannot be used, e.g. `"the application may not create
        /// cgroups in its cgroup /sys/fs/cgroup/user.slice (not root, and not
        /// a delegated subtree)"`.
        reason: String,
    },
    /// A node sets a resource limit whose cgroup v2 controller is not
    /// available to the graph's cgroup (the application's cgroup does not
    /// enable it for its children, or the controller is bound to a v1
    /// hierarchy). Nothing was started.
    ControllerUnavailable {
        /// The node.
        node: String,
        /// The controller: `"memory"`, `"pids"` or `"cpu"`.
        controller: &'static str,
    },
    /// Restarts exceeded the graph's intensity; the graph was stopped.
    RestartIntensity {
        /// The node whose restart was one too many.
        node: String,
        /// The intensity's limit.
        max_restarts: u32,
        /// The intensity's period.
        period: std::time::Duration,
        /// How every node ended.
        report: Box<crate::ExitReport>,
    },
    /// A node could never start because a node it starts `after` ended for
    /// good without being ready (a one-shot job: without exiting 0); the
    /// graph was stopped. The message says how the dependency ended.
    DependencyFailed {
        /// The node that could not start.
        node: String,
        /// The dependency.
        dependency: String,
        /// How every node ended.
        report: Box<crate::ExitReport>,
    },
    /// [`RunningGraph::reload`](crate::RunningGraph::reload) sent the reload
    /// signal, but the node did not say `READY=1` again: it ended, or did not
    /// within its `ready_timeout` (the graph's start timeout if it has none).
    /// A node that is still running after a timeout counts as running again.
    ReloadFailed {
        /// The node.
        node: String,
        /// Why, e.g. `it ended (exited with code 1)`.
        reason: String,
    },
    /// [`Graph::spawn`](crate::Graph::spawn) gave up: a node had not started
    /// within the graph's [`start_timeout`](crate::Graph::start_timeout),
    /// because a node it starts `after` was not ready. The graph was stopped:
    /// every node that had started was stopped and reaped.
    StartTimeout {
        /// The node that had not started.
        node: String,
        /// The dependency it was waiting for.
        dependency: String,
        /// The graph's start timeout.
        timeout: std::time::Duration,
        /// How every node ended.
        report: Box<crate::ExitReport>,
    },
}

impl Error {
    pub(crate) fn io(node: Option<&str>, op: &'static str, source: impl Into<io::Error>) -> Self {
        Error::Io {
            node: node.map(str::to_owned),
            op,
            source: source.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(broken) => match broken.violations().len() {
                1 => f.write_str("invalid graph: it breaks a wiring rule"),
                n => write!(f, "invalid graph: it breaks {n} wiring rules"),
            },
            Error::Command { node, problem } => write!(f, "node {node:?}: {problem}"),
            // Transparent: the spawn error's own message and source.
            Error::Spawn(e) => e.fmt(f),
            Error::Io {
                node: Some(node),
                op,
                ..
            } => write!(f, "node {node:?}: {op} failed"),
            Error::Io { node: None, op, .. } => write!(f, "{op} failed"),
            Error::NotRunning { node } => write!(f, "node {node:?}: not running"),
            Error::CannotAdd { node, reason } => {
                write!(
                    f,
                    "node {node:?}: cannot be added to a running graph: {reason}"
                )
            }
            Error::NoSuchScope { node, scope } => write!(
                f,
                "node {node:?}: the running graph has no scope {}",
                scope.index()
            ),
            Error::ForeignProcess { spawner } => write!(
                f,
                "the graph belongs to process {spawner}; a copy of it in another process (after fork) acts on nothing"
            ),
            Error::Scope {
                scope,
                namespace: Some(namespace),
                step,
                ..
            } => write!(
                f,
                "scope {scope:?}: {step} failed for the {namespace} namespace"
            ),
            Error::Scope {
                scope,
                namespace: None,
                step,
                ..
            } => write!(f, "scope {scope:?}: {step} failed"),
            Error::CgroupUnavailable {
                node: Some(node),
                reason,
            } => write!(
                f,
                "node {node:?}: its resource limits need cgroups, which are not available: {reason}"
            ),
            Error::CgroupUnavailable { node: None, reason } => {
                write!(f, "cgroups are required but not available: {reason}")
            }
            Error::ControllerUnavailable { node, controller } => write!(
                f,
                "node {node:?}: the {controller} controller is not available in the cgroup v2 hierarchy"
            ),
            Error::RestartIntensity {
                node,
                max_restarts,
                period,
                ..
            } => write!(
                f,
                "node {node:?}: more than {max_restarts} restarts within {period:?}; the graph was stopped"
            ),
            Error::DependencyFailed {
                node,
                dependency,
                report,
            } => {
                write!(
                    f,
                    "node {node:?}: cannot start, its dependency {dependency:?} ended without becoming ready"
                )?;
                match report.by_name(dependency).and_then(|d| d.status) {
                    Some(status) => write!(f, " ({status})"),
                    None => f.write_str(" (it never started)"),
                }
            }
            Error::ReloadFailed { node, reason } => {
                write!(f, "node {node:?}: reload failed: {reason}")
            }
            Error::SigchldIgnored { disposition } => write!(
                f,
                "SIGCHLD is {disposition} in this process: the kernel reaps children itself, so no node's exit can be waited for; set SIGCHLD to SIG_DFL first"
            ),
            Error::StartTimeout {
                node,
                dependency,
                timeout,
                ..
            } => write!(
                f,
                "node {node:?}: not started within the start timeout of {timeout:?}: its dependency {dependency:?} was not ready; the graph was stopped"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Invalid(broken) => Some(broken),
            Error::Spawn(e) => e.source(),
            Error::Io { source, .. } | Error::Scope { source, .. } => Some(source),
            Error::Command { .. }
            | Error::NotRunning { .. }
            | Error::CannotAdd { .. }
            | Error::NoSuchScope { .. }
            | Error::ForeignProcess { .. }
            | Error::CgroupUnavailable { .. }
            | Error::ControllerUnavailable { .. }
            | Error::RestartIntensity { .. }
            | Error::DependencyFailed { .. }
            | Error::StartTimeout { .. }
            | Error::SigchldIgnored { .. }
            | Error::ReloadFailed { .. } => None,
        }
    }
}

/// The step of starting a process that failed.
///
/// From `ProcessGroup` to `Execve`, the child performs them in this order,
/// between `clone3` and `execve` (`SetGroups`, `SetGid` and `SetUid` in the
/// carried program, after `Setns`, just before `Chdir`); `Setns` happens in
/// the helper that joins a scope, and `Clone`, `ReadinessPipe`, `OutputPipe`,
/// `Watch`, `CreateEdge` and `EdgeReleased` in the parent.
///
/// ```
/// use process_graph_runtime::{Command, Error, Graph, Step};
///
/// let mut graph = Graph::new();
/// graph.node("tool", Command::new("/nonexistent/tool"));
/// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("it cannot start") };
/// assert_eq!(e.step(), Step::Execve);
/// assert_eq!(e.to_string(), r#"node "tool": execve of "/nonexistent/tool" failed"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// `clone3` itself (in the parent).
    Clone,
    /// `setns`: joining the namespaces of the node's scope.
    Setns,
    /// `setpgid(0, 0)`: a process group of its own (the runtime's own
    /// programs: a scope's init, the cgroup watcher).
    ProcessGroup,
    /// `setsid()`: a session and process group of its own.
    Session,
    /// `ioctl(TIOCSCTTY)`: making the node's pseudo-terminal its
    /// controlling terminal.
    ControllingTerminal,
    /// `prctl(PR_SET_PDEATHSIG, SIGKILL)`.
    ParentDeathSignal,
    /// The parent died before the death signal was armed.
    ParentDied,
    /// `rt_sigaction`: reading a signal's disposition, or putting a signal
    /// the application ignores back to its default action.
    ResetSignal {
        /// The signal's number.
        signal: i32,
    },
    /// Clearing the signal mask.
    ResetSignalMask,
    /// `fcntl(F_DUPFD_CLOEXEC)`: moving a source fd above every target fd.
    MoveFd {
        /// The fd being moved.
        fd: i32,
    },
    /// `dup2` onto a declared fd.
    Dup2 {
        /// The target fd number in the child.
        fd: i32,
    },
    /// `close_range`: closing every fd that was not declared (marking it
    /// close-on-exec, where the kernel can).
    CloseRange,
    /// `setrlimit`: a resource limit of the command
    /// ([`Command::rlimit`](crate::Command::rlimit)).
    SetRlimit {
        /// The resource.
        resource: crate::Rlimit,
    },
    /// `setgroups`: the command's supplementary groups, or clearing them
    /// for a uid or gid change under root.
    SetGroups,
    /// `setresgid`: the command's gid.
    SetGid,
    /// `setresuid`: the command's uid.
    SetUid,
    /// `chdir` into the command's working directory.
    Chdir,
    /// `execve` of the program.
    Execve,
    /// Executing, or talking to, the carried scope program that starts a
    /// node inside its scope. `ETIMEDOUT`: the program was held up — found
    /// stopped (a node of the scope may signal it once it is in the
    /// scope's user namespace) or silent for 30 s — and was killed; or, in
    /// a scope with a pid namespace, the node's process was found stopped
    /// before its `execve`, and killed.
    ScopeProgram,
    /// The pid namespace the node starts in (its scope's, or an enclosing
    /// scope's) has lost its init, pid 1, and with it every process in it:
    /// nothing starts there again (its `clone3` fails with `ENOMEM`), so
    /// the error says why instead, with `ESRCH`. The runtime never ends an
    /// init while its scope lives; something killed it — the kernel, for
    /// one, once the init has used the CPU time its `RLIMIT_CPU` allows,
    /// which a node root in the scope may lower. The inits found ended
    /// then are reaped, and one still exiting then (an enclosing scope's,
    /// which waits for the inits nested in it to be reaped) is watched and
    /// reaped as soon as it has exited. A scope added inside the dead one
    /// fails the add with an [`Error::Scope`] that says the same; an exec
    /// probe's command still fails at `clone3` with `ENOMEM`.
    ScopeInitEnded,
    /// The child was killed before it reached `execve`, by a signal it
    /// cannot handle (SIGKILL from the OOM killer, from another process, or
    /// from a `cgroup.kill`): the node's program never ran. The errno is
    /// `EINTR`. Told apart from a successful `execve` without a race: the
    /// child marks the moment it calls `execve` in memory the parent reads
    /// once the child has exec'd or died, and the carried program says so
    /// on its report pipe before it execs.
    Killed,
    /// Preparing the node's cgroup for a start: opening its directory for
    /// `CLONE_INTO_CGROUP`, or first replacing it with a fresh one — the
    /// kernel kills any child cloned into a cgroup that was ever killed
    /// (`cgroup.kill`), so a node's next start after one gets a new cgroup.
    NodeCgroup,
    /// Creating the readiness pipe (in the parent).
    ReadinessPipe,
    /// Opening the node's end of its pseudo-terminal (in the parent).
    TerminalOpen,
    /// Creating the pipe that forwards this fd to the graph's output thread
    /// (in the parent).
    OutputPipe {
        /// The target fd in the child: 1 or 2.
        fd: i32,
    },
    /// Adding the new process's pidfd or readiness pipe to the graph's wait
    /// set (in the parent, right after `clone3`; the process is then killed).
    Watch,
    /// Creating the pipe or socketpair of the edge on this fd (in the
    /// parent, just before the first node that uses it starts).
    CreateEdge {
        /// The target fd in the child.
        fd: i32,
    },
    /// The edge for this fd was closed after the node's last start: only
    /// nodes with a restart policy keep their edges open for a new start.
    EdgeReleased {
        /// The target fd in the child.
        fd: i32,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Clone => f.write_str("clone3"),
            Step::Setns => f.write_str("setns into the scope"),
            Step::ProcessGroup => f.write_str("setpgid"),
            Step::Session => f.write_str("setsid"),
            Step::ControllingTerminal => f.write_str("ioctl TIOCSCTTY"),
            Step::TerminalOpen => f.write_str("open the pseudo-terminal's node end"),
            Step::ParentDeathSignal => f.write_str("prctl(PR_SET_PDEATHSIG)"),
            Step::ParentDied => f.write_str("parent-death check"),
            Step::ResetSignal { signal } => write!(f, "reset signal {signal} to its default"),
            Step::ResetSignalMask => f.write_str("reset signal mask"),
            Step::MoveFd { fd } => write!(f, "move fd {fd} above the fd table"),
            Step::Dup2 { fd } => write!(f, "dup2 onto fd {fd}"),
            Step::CloseRange => f.write_str("close_range"),
            Step::SetRlimit { resource } => write!(f, "setrlimit({resource})"),
            Step::SetGroups => f.write_str("setgroups"),
            Step::SetGid => f.write_str("setgid"),
            Step::SetUid => f.write_str("setuid"),
            Step::Chdir => f.write_str("chdir"),
            Step::Execve => f.write_str("execve"),
            Step::ScopeProgram => f.write_str("run the scope program"),
            Step::ScopeInitEnded => {
                f.write_str("start in its scope (its pid namespace's init has ended)")
            }
            Step::Killed => f.write_str("reach execve (the child was killed first)"),
            Step::NodeCgroup => f.write_str("prepare the node's cgroup"),
            Step::ReadinessPipe => f.write_str("create the readiness pipe"),
            Step::OutputPipe { fd } => write!(f, "create the output pipe of fd {fd}"),
            Step::Watch => f.write_str("add to the wait set"),
            Step::CreateEdge { fd } => write!(f, "create the edge on fd {fd}"),
            Step::EdgeReleased { fd } => write!(
                f,
                "start again (the edge on fd {fd} was closed after its last start, as it has no restart policy)"
            ),
        }
    }
}

/// What kind of spawn failure this is, for programs that react to it.
///
/// ```
/// use process_graph_runtime::{Command, Error, Graph, SpawnErrorKind};
///
/// let mut graph = Graph::new();
/// graph.node("lint", Command::new("shellcheck-not-installed"));
/// match graph.spawn() {
///     Err(Error::Spawn(e)) if e.kind() == SpawnErrorKind::NotFound => {
///         eprintln!("{} is not installed; skipping the lint", e.node());
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnErrorKind {
    /// The program does not exist (`ENOENT` from `execve`, on every `PATH` entry).
    NotFound,
    /// The program or a directory on its path may not be executed (`EACCES`).
    PermissionDenied,
    /// The file is not in a format the kernel can execute (`ENOEXEC`).
    NotExecutable,
    /// The working directory could not be entered.
    BadWorkingDirectory,
    /// An fd could not be placed in the child's fd table.
    FdSetup,
    /// Any other failure.
    Other,
}

/// A node failed to start: which node, at which step, and the errno (its
/// [`source`](std::error::Error::source), shown by [`io_error`](Self::io_error)).
///
/// ```
/// use process_graph_runtime::{Command, Error, Graph, SpawnErrorKind, Step};
///
/// let mut graph = Graph::new();
/// graph.node("tool", Command::new("true").current_dir("/nonexistent"));
/// let Err(Error::Spawn(e)) = graph.spawn() else { panic!() };
/// assert_eq!(e.step(), Step::Chdir);
/// assert_eq!(e.kind(), SpawnErrorKind::BadWorkingDirectory);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnError {
    id: NodeId,
    node: Box<str>,
    step: Step,
    errno: Errno,
    /// The program of a failed `execve`, the directory of a failed
    /// `chdir` (boxed: an `Event` holds a `SpawnError`, and every node's
    /// events may be queued at once).
    path: Option<Box<PathBuf>>,
}

/// The errno of a failed step, as the source of a [`SpawnError`]: its
/// message is the system's (`No such file or directory (os error 2)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Errno(i32);

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        io::Error::from_raw_os_error(self.0).fmt(f)
    }
}

impl std::error::Error for Errno {}

impl SpawnError {
    /// Node `id`, named `node`, failed at `step` with `errno`.
    pub(crate) fn new(id: NodeId, node: String, step: Step, errno: i32) -> Self {
        SpawnError {
            id,
            node: node.into_boxed_str(),
            step,
            errno: Errno(errno),
            path: None,
        }
    }

    /// The same, naming `path`: the program of a failed `execve`, the
    /// directory of a failed `chdir`.
    pub(crate) fn naming(self, path: PathBuf) -> Self {
        SpawnError {
            path: Some(Box::new(path)),
            ..self
        }
    }

    /// The same node's start, failed at `step` with `errno` instead: the
    /// cause, where it is found only after the step that failed.
    pub(crate) fn because(self, step: Step, errno: i32) -> Self {
        SpawnError {
            step,
            errno: Errno(errno),
            path: None,
            ..self
        }
    }

    /// The program that could not be executed ([`Step::Execve`]: the path
    /// tried, or the name searched for where `PATH` gave several paths to
    /// try), or the directory that could not be changed to
    /// ([`Step::Chdir`]); `None` for other steps.
    ///
    /// ```
    /// use std::path::Path;
    /// use process_graph_runtime::{Command, Error, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("tool", Command::new("/nonexistent/tool"));
    /// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("it cannot start") };
    /// assert_eq!(e.path(), Some(Path::new("/nonexistent/tool")));
    /// assert_eq!(e.to_string(), r#"node "tool": execve of "/nonexistent/tool" failed"#);
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref().map(PathBuf::as_path)
    }

    /// The name of the node that failed to start.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("true"));
    /// graph.node("cache", Command::new("/nonexistent/cache"));
    /// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("cache cannot start") };
    /// assert_eq!(e.node(), "cache"); // and db was stopped and reaped again
    /// ```
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The id of the node that failed to start.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("true"));
    /// let cache = graph.node("cache", Command::new("/nonexistent/cache"));
    /// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("cache cannot start") };
    /// assert_eq!(e.node_id(), cache);
    /// ```
    pub fn node_id(&self) -> NodeId {
        self.id
    }

    /// The step that failed.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph, Step};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("build", Command::new("make").current_dir("/nonexistent/src"));
    /// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("no such directory") };
    /// assert_eq!(e.step(), Step::Chdir); // before execve: make never ran
    /// ```
    pub fn step(&self) -> Step {
        self.step
    }

    /// The raw errno.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("build", Command::new("make").current_dir("/nonexistent/src"));
    /// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("no such directory") };
    /// assert_eq!(e.errno(), 2); // ENOENT
    /// ```
    pub fn errno(&self) -> i32 {
        self.errno.0
    }

    /// The failure's kind.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph, SpawnErrorKind};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("config", Command::new("/etc")); // a directory: not executable
    /// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("a directory cannot run") };
    /// assert_eq!(e.kind(), SpawnErrorKind::PermissionDenied);
    /// ```
    pub fn kind(&self) -> SpawnErrorKind {
        match (self.step, self.errno.0) {
            (Step::Execve, libc::ENOENT) => SpawnErrorKind::NotFound,
            (Step::Execve, libc::EACCES) => SpawnErrorKind::PermissionDenied,
            (Step::Execve, libc::ENOEXEC) => SpawnErrorKind::NotExecutable,
            (Step::Chdir, _) => SpawnErrorKind::BadWorkingDirectory,
            (Step::MoveFd { .. } | Step::Dup2 { .. } | Step::CloseRange, _) => {
                SpawnErrorKind::FdSetup
            }
            _ => SpawnErrorKind::Other,
        }
    }

    /// The errno as an [`io::Error`].
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use process_graph_runtime::{Command, Error, Graph};
    ///
    /// let mut graph = Graph::new();
    /// graph.node("tool", Command::new("/nonexistent/tool"));
    /// let Err(Error::Spawn(e)) = graph.spawn() else { panic!("it cannot start") };
    /// assert_eq!(e.io_error().kind(), ErrorKind::NotFound);
    /// println!("{e}: {}", e.io_error()); // node "tool": execve of "/nonexistent/tool" failed: No such file or directory (os error 2)
    /// ```
    pub fn io_error(&self) -> io::Error {
        io::Error::from_raw_os_error(self.errno.0)
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.step, self.path()) {
            (Step::Execve, Some(program)) => {
                write!(f, "node {:?}: execve of {program:?} failed", self.node)
            }
            (Step::Chdir, Some(dir)) => write!(f, "node {:?}: chdir to {dir:?} failed", self.node),
            _ => write!(f, "node {:?}: {} failed", self.node, self.step),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.errno)
    }
}
