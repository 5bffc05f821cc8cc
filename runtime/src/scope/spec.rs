//! What a scope is made of: its namespace kinds and settings.

use std::fmt;

use crate::graph::ScopeId;

/// A kind of Linux namespace a scope can create.
///
/// ```
/// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};
///
/// let mut graph = Graph::new();
/// let offline = graph.scope("offline", ScopeSpec::new([Namespace::User, Namespace::Net]));
/// let tests = graph.node_with("tests", Command::new("true"), NodeOptions::new().scope(offline));
/// assert_eq!(graph.plan()?.nodes[tests.index()].namespaces, [Namespace::User, Namespace::Net]);
/// assert_eq!(Namespace::Mount.to_string(), "mount");
/// # Ok::<(), process_graph_runtime::Violations>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// `CLONE_NEWUSER`: own uid/gid mapping; makes the others possible unprivileged.
    User,
    /// `CLONE_NEWPID`: own pid numbers, with a small init as pid 1.
    Pid,
    /// `CLONE_NEWNET`: own network stack, with `lo` up.
    Net,
    /// `CLONE_NEWNS`: own mount table (`/` made private, fresh `/proc` with `Pid`).
    ///
    /// A scope with [`User`](Self::User) and [`Pid`](Self::Pid) of its own
    /// has one whether declared or not, in which every cgroup hierarchy is
    /// covered by an empty read-only tmpfs and every mount is locked (no
    /// `umount`, no `MS_MOVE`): root there reaches no cgroup file and no
    /// process outside (README, "What a user scope cannot reach").
    Mount,
    /// `CLONE_NEWUTS`: own hostname.
    Uts,
    /// `CLONE_NEWIPC`: own System V IPC and POSIX message queues.
    Ipc,
}

impl Namespace {
    /// Every kind, in the order they are listed in docs.
    ///
    /// ```
    /// use process_graph_runtime::{Namespace, ScopeSpec};
    ///
    /// let names: Vec<&str> = Namespace::ALL.iter().map(|ns| ns.name()).collect();
    /// assert_eq!(names, ["user", "pid", "net", "mnt", "uts", "ipc"]);
    /// let everything = ScopeSpec::new(Namespace::ALL);
    /// assert!(Namespace::ALL.iter().all(|&ns| everything.has(ns)));
    /// ```
    pub const ALL: [Namespace; 6] = [
        Namespace::User,
        Namespace::Pid,
        Namespace::Net,
        Namespace::Mount,
        Namespace::Uts,
        Namespace::Ipc,
    ];

    /// The `CLONE_NEW*` flag that creates this kind of namespace.
    ///
    /// ```
    /// use process_graph_runtime::Namespace;
    ///
    /// assert_eq!(Namespace::Net.clone_flag(), libc::CLONE_NEWNET as u64);
    /// ```
    pub fn clone_flag(self) -> u64 {
        (match self {
            Namespace::User => libc::CLONE_NEWUSER,
            Namespace::Pid => libc::CLONE_NEWPID,
            Namespace::Net => libc::CLONE_NEWNET,
            Namespace::Mount => libc::CLONE_NEWNS,
            Namespace::Uts => libc::CLONE_NEWUTS,
            Namespace::Ipc => libc::CLONE_NEWIPC,
        }) as u64
    }

    /// The name used in declarations and `/proc/<pid>/ns/`.
    ///
    /// ```
    /// use std::path::Path;
    /// use process_graph_runtime::Namespace;
    ///
    /// for ns in Namespace::ALL {
    ///     assert!(Path::new("/proc/self/ns").join(ns.name()).exists());
    /// }
    /// assert_eq!(Namespace::Mount.name(), "mnt"); // its Display says `mount`
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Namespace::User => "user",
            Namespace::Pid => "pid",
            Namespace::Net => "net",
            Namespace::Mount => "mnt",
            Namespace::Uts => "uts",
            Namespace::Ipc => "ipc",
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Namespace::Mount => "mount",
            other => other.name(),
        })
    }
}

/// Run-time settings of a scope; the value of a `#[scope]` field.
///
/// The ids set here are the ids the scope's processes have **inside** its
/// user namespace. Outside, the kernel sees the id they are mapped to: the
/// application's own uid and gid when it is unprivileged (the only ids it
/// may map), and an unprivileged uid and gid of the scope's own when it is
/// root — never root (see "Whose ids a scope has outside" in the README).
///
/// ```
/// use process_graph_runtime::Scope;
///
/// let as_root = Scope::default();      // uid 0 inside
/// let as_user = Scope::new().uid(1000); // uid 1000 inside
/// assert_eq!(as_root.inside_uid(), 0);
/// assert_eq!(as_user.inside_uid(), 1000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    uid: u32,
    gid: u32,
}

impl Scope {
    /// Root inside the user namespace.
    ///
    /// ```
    /// use process_graph_runtime::{Namespace, Scope, ScopeSpec};
    ///
    /// let root_inside = Scope::new();
    /// assert_eq!((root_inside.inside_uid(), root_inside.inside_gid()), (0, 0));
    /// let spec = ScopeSpec::new([Namespace::User, Namespace::Pid]).settings(root_inside);
    /// assert_eq!(spec, ScopeSpec::new([Namespace::User, Namespace::Pid])); // the default
    /// ```
    pub fn new() -> Self {
        Scope::default()
    }

    /// The uid processes have inside the user namespace.
    ///
    /// # What it is outside
    ///
    /// This uid exists only inside the scope's user namespace, on one id
    /// outside. Under an **unprivileged** application that id is the
    /// application's own uid, which the kernel sees everywhere outside the
    /// scope: a node with `Scope::new().uid(1000)` reads the application's
    /// `0600` files and signals its processes it can see. Under a **root**
    /// application it is an unprivileged uid drawn for the scope, so no node
    /// of it is root to anything outside, whatever its uid inside. Running
    /// a node as a chosen user outside (setuid, setgid, supplementary
    /// groups) is a different feature: [`Command::uid`](crate::Command::uid).
    ///
    /// ```
    /// use process_graph_runtime::Scope;
    ///
    /// // uid 1000 to the node's own `id -u`.
    /// let looks_unprivileged = Scope::new().uid(1000).gid(1000);
    /// assert_eq!(looks_unprivileged.inside_uid(), 1000);
    /// ```
    pub fn uid(mut self, uid: u32) -> Self {
        self.uid = uid;
        self
    }

    /// The gid processes have inside the user namespace; outside, like the
    /// uid (see [`uid`](Self::uid)), the application's own gid or one drawn
    /// for the scope.
    ///
    /// ```
    /// use process_graph_runtime::Scope;
    ///
    /// let builder = Scope::new().uid(1000).gid(100); // `users` inside
    /// assert_eq!((builder.inside_uid(), builder.inside_gid()), (1000, 100));
    /// ```
    pub fn gid(mut self, gid: u32) -> Self {
        self.gid = gid;
        self
    }

    /// The uid inside.
    ///
    /// ```
    /// use process_graph_runtime::Scope;
    ///
    /// assert_eq!(Scope::new().inside_uid(), 0);
    /// assert_eq!(Scope::new().uid(1000).inside_uid(), 1000);
    /// ```
    pub fn inside_uid(&self) -> u32 {
        self.uid
    }

    /// The gid inside.
    ///
    /// ```
    /// use process_graph_runtime::Scope;
    ///
    /// assert_eq!(Scope::new().inside_gid(), 0);
    /// assert_eq!(Scope::new().gid(1000).inside_gid(), 1000);
    /// ```
    pub fn inside_gid(&self) -> u32 {
        self.gid
    }
}

/// The declaration of a scope: which namespaces it creates, its hostname,
/// the scope it is nested in, and its settings.
///
/// An unprivileged application needs [`Namespace::User`], in the scope or
/// in the scope it nests in: the kernel lets only a process with
/// `CAP_SYS_ADMIN` create the other kinds. Without it, `spawn` fails with
/// [`Error::Scope`](crate::Error::Scope), naming the scope, the namespace
/// and the step (`scope "box": clone3 failed for the pid namespace`, with
/// `EPERM` as its source), and nothing is left running.
///
/// ```
/// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};
///
/// let mut graph = Graph::new();
/// let sandbox = graph.scope(
///     "sandbox",
///     ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Net, Namespace::Uts])
///         .hostname("sandbox"),
/// );
/// graph.node_with("server", Command::new("true"), NodeOptions::new().scope(sandbox));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSpec {
    pub(crate) name: String,
    pub(crate) namespaces: Vec<Namespace>,
    pub(crate) hostname: Option<String>,
    pub(crate) parent: Option<ScopeId>,
    pub(crate) settings: Scope,
    /// The scope of the running graph this one stands for, in a graph
    /// added to it (see [`Graph::running_scope`](crate::Graph::running_scope)):
    /// nothing is created for it, its nodes join that scope.
    pub(crate) joins: Option<ScopeId>,
}

impl ScopeSpec {
    /// A scope creating these namespaces.
    ///
    /// ```
    /// use process_graph_runtime::{Namespace, ScopeSpec};
    ///
    /// let spec = ScopeSpec::new([Namespace::Net, Namespace::User, Namespace::Net]);
    /// assert_eq!(spec, ScopeSpec::new([Namespace::User, Namespace::Net])); // a set
    /// assert!(spec.has(Namespace::Net) && !spec.has(Namespace::Pid));
    /// ```
    pub fn new(namespaces: impl IntoIterator<Item = Namespace>) -> Self {
        let mut namespaces: Vec<Namespace> = namespaces.into_iter().collect();
        namespaces.sort();
        namespaces.dedup();
        ScopeSpec {
            namespaces,
            ..ScopeSpec::default()
        }
    }

    /// The hostname set in the scope's uts namespace (needs [`Namespace::Uts`]).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, Rule, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// let named = graph.scope("named", ScopeSpec::new([Namespace::User, Namespace::Uts]).hostname("sandbox"));
    /// graph.node_with("a", Command::new("hostname"), NodeOptions::new().scope(named));
    /// assert_eq!(graph.topology().scopes[0].hostname.as_deref(), Some("sandbox"));
    /// let shared = graph.scope("shared", ScopeSpec::new([Namespace::User]).hostname("oops"));
    /// graph.node_with("b", Command::new("hostname"), NodeOptions::new().scope(shared));
    /// assert_eq!(graph.validate().unwrap_err().violations()[0].rule, Rule::HostnameNeedsUts);
    /// ```
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    /// Nest this scope inside `parent`: its namespaces are created inside the parent's.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// let sandbox = graph.scope("sandbox", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    /// let offline = graph.scope("offline", ScopeSpec::new([Namespace::Net]).parent(sandbox));
    /// let tests = graph.node_with("tests", Command::new("true"), NodeOptions::new().scope(offline));
    /// graph.node_with("server", Command::new("true"), NodeOptions::new().scope(sandbox));
    /// let plan = graph.plan()?; // tests joins both scopes' namespaces
    /// assert_eq!(plan.nodes[tests.index()].namespaces, [Namespace::User, Namespace::Pid, Namespace::Net]);
    /// # Ok::<(), process_graph_runtime::Violations>(())
    /// ```
    pub fn parent(mut self, parent: ScopeId) -> Self {
        self.parent = Some(parent);
        self
    }

    /// The run-time settings.
    ///
    /// ```no_run
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, Namespace, NodeOptions, Scope, ScopeSpec};
    ///
    /// let mut graph = Graph::new();
    /// let spec = ScopeSpec::new([Namespace::User]).settings(Scope::new().uid(1000));
    /// let sandbox = graph.scope("sandbox", spec);
    /// let id = graph.node_with("id", Command::new("id").arg("-u"), NodeOptions::new().scope(sandbox));
    /// let out = graph.pipe(id.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?; // needs user namespaces
    /// let mut uid = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut uid)?;
    /// assert_eq!(uid, "1000\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn settings(mut self, settings: Scope) -> Self {
        self.settings = settings;
        self
    }

    pub(crate) fn named(mut self, name: String) -> Self {
        self.name = name;
        self
    }

    /// Whether the scope creates namespace `ns`.
    ///
    /// ```
    /// use process_graph_runtime::{Namespace, ScopeSpec};
    ///
    /// let sandbox = ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Net]);
    /// assert!(sandbox.has(Namespace::Net));
    /// assert!(!sandbox.has(Namespace::Uts)); // so no `hostname`
    /// ```
    pub fn has(&self, ns: Namespace) -> bool {
        self.namespaces.contains(&ns)
    }

    /// The `CLONE_NEW*` flags of the namespaces the scope declares (its
    /// init may add a mount namespace: see `ScopeRuntime::create`).
    pub(crate) fn clone_flags(&self) -> u64 {
        self.namespaces
            .iter()
            .fold(0, |flags, ns| flags | ns.clone_flag())
    }
}
