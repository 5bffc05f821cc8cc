//! Who a node runs as and within which limits: uid, gid and supplementary
//! groups (a real privilege drop), umask, resource limits, `argv[0]`, and
//! its process group — the builder methods of [`Command`] that std keeps in
//! `CommandExt`, and their checks.
//!
//! None of it allocates in the child: the parent turns each setting into
//! plain values (or the carried program's arguments) beforehand.

use std::ffi::OsStr;

use crate::command::Command;

use crate::spawn::MAX_GROUPS;

/// A resource limit a node can be given with [`Command::rlimit`]
/// (`setrlimit(2)`, applied in the child before `execve`).
///
/// ```
/// use process_graph_runtime::{Command, Rlimit};
///
/// let cmd = Command::new("server")
///     .rlimit(Rlimit::NoFile, 1024, 4096)
///     .rlimit(Rlimit::Core, 0, 0);
/// # let _ = cmd;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rlimit {
    /// `RLIMIT_NOFILE`: one more than the highest fd number it may open.
    NoFile,
    /// `RLIMIT_NPROC`: how many processes its real uid may have (checked
    /// at `fork` and, after a uid change, at `execve`).
    NProc,
    /// `RLIMIT_AS`: its address space, in bytes.
    As,
    /// `RLIMIT_CORE`: the largest core dump it may write, in bytes.
    Core,
    /// `RLIMIT_CPU`: CPU seconds; SIGXCPU at the soft limit, SIGKILL at the
    /// hard one.
    Cpu,
}

impl Rlimit {
    pub(crate) fn resource(self) -> rustix::process::Resource {
        use rustix::process::Resource;
        match self {
            Rlimit::NoFile => Resource::Nofile,
            Rlimit::NProc => Resource::Nproc,
            Rlimit::As => Resource::As,
            Rlimit::Core => Resource::Core,
            Rlimit::Cpu => Resource::Cpu,
        }
    }
}

impl std::fmt::Display for Rlimit {
    /// The kernel's name: `RLIMIT_NOFILE`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rlimit::NoFile => "RLIMIT_NOFILE",
            Rlimit::NProc => "RLIMIT_NPROC",
            Rlimit::As => "RLIMIT_AS",
            Rlimit::Core => "RLIMIT_CORE",
            Rlimit::Cpu => "RLIMIT_CPU",
        })
    }
}

/// Which process group a node runs in.
///
/// By default each node leads a session and group of its own, so that a
/// stop or a kill reaches everything it started in one signal, and the
/// application's terminal is not its controlling terminal: the terminal's
/// Ctrl-C (SIGINT to the foreground group) does not reach it, and it cannot
/// take the terminal, type into it or send SIGCONT into the application's
/// session. For a node that talks to the terminal, choose
/// [`ProcessGroup::Application`], or give it a terminal of its own
/// ([`Command::terminal`](crate::Command::terminal)).
///
/// Joining another node's group is not offered: the runtime treats a
/// node's group as the node — once its main process is reaped, what is
/// left of its group is SIGKILLed — so a node in another's group would be
/// killed each time that one ended or restarted.
///
/// ```
/// use process_graph_runtime::{Command, ProcessGroup};
///
/// let editor = Command::new("vi").process_group(ProcessGroup::Application);
/// # let _ = editor;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProcessGroup {
    /// A session and group of its own (`setsid()`), the default.
    #[default]
    Own,
    /// The application's group: in the terminal's foreground when the
    /// application is, so it can read the terminal and Ctrl-C reaches it
    /// directly. The runtime's stop and kill then reach only its main
    /// process; what it starts is contained only by its cgroup, where it
    /// has one. Not for a node in a scope.
    Application,
}

/// uid, gid and supplementary groups a node drops to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) groups: Option<Vec<u32>>,
}

impl Credentials {
    /// Whether the node changes any of its ids.
    pub(crate) fn any(&self) -> bool {
        self.uid.is_some() || self.gid.is_some() || self.groups.is_some()
    }

    /// The checks the kernel would otherwise make less clearly: `-1` means
    /// "unchanged" to the set*id calls, and a group list has a ceiling.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.uid == Some(u32::MAX) {
            return Some(
                "uid 4294967295 is (uid_t)-1, which the kernel takes as \"unchanged\"".into(),
            );
        }
        if self.gid == Some(u32::MAX) {
            return Some(
                "gid 4294967295 is (gid_t)-1, which the kernel takes as \"unchanged\"".into(),
            );
        }
        match &self.groups {
            Some(groups) if groups.len() > MAX_GROUPS => Some(format!(
                "{} supplementary groups; at most {MAX_GROUPS} are supported",
                groups.len()
            )),
            Some(groups) if groups.contains(&u32::MAX) => {
                Some("supplementary group 4294967295 is (gid_t)-1, which is not a group".into())
            }
            _ => None,
        }
    }
}

/// Credentials, limits, `argv[0]` and process group: the parts of std's
/// `CommandExt` a supervisor needs.
impl Command {
    /// Runs the node as user `uid`: real, effective and saved uid
    /// (`setresuid`), after its groups and gid — a real privilege drop,
    /// unlike a scope's [`uid`](crate::Scope::uid), which is an id
    /// inside the scope's user namespace.
    ///
    /// Under an application running as root, setting a uid or gid without
    /// [`groups`](Self::groups) also clears the supplementary groups, as
    /// std's `CommandExt::uid` does, so nothing of root's groups is kept.
    /// An application without `CAP_SETUID` cannot switch to another uid:
    /// the start fails with a [`SpawnError`](crate::SpawnError) at
    /// [`Step::SetUid`](crate::Step::SetUid), `EPERM`.
    ///
    /// A node that changes its ids is started through the runtime's carried
    /// program (as a node in a scope is), so that it never runs under its
    /// new ids in the application's address space.
    ///
    /// ```
    /// use process_graph_runtime::Command;
    ///
    /// let worker = Command::new("worker").uid(65534).gid(65534).groups(&[]);
    /// # let _ = worker;
    /// ```
    pub fn uid(mut self, uid: u32) -> Self {
        self.credentials.uid = Some(uid);
        self
    }

    /// Runs the node with group `gid`: real, effective and saved gid
    /// (`setresgid`), after its supplementary groups and before its uid.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Error, Graph, Step};
    ///
    /// let mut graph = Graph::new();
    /// let worker = graph.node("worker", Command::new("id").arg("-g").gid(65534));
    /// let out = graph.pipe(worker.stdout(), Endpoint::Parent);
    /// let mut running = match graph.spawn() {
    ///     Err(Error::Spawn(e)) if e.step() == Step::SetGid => return Ok(eprintln!("no CAP_SETGID: {e}")),
    ///     other => other?,
    /// };
    /// let mut gid = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut gid)?;
    /// assert_eq!(gid, "65534\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gid(mut self, gid: u32) -> Self {
        self.credentials.gid = Some(gid);
        self
    }

    /// Sets the node's supplementary groups (`setgroups`), before its gid
    /// and uid; an empty list clears them. At most 8,192 (more fails with
    /// [`Error::Command`](crate::Error::Command)).
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Error, Graph, Step};
    ///
    /// let mut graph = Graph::new();
    /// let worker = Command::new("id").arg("-G").groups(&[100]).gid(65534);
    /// let worker = graph.node("worker", worker);
    /// let out = graph.pipe(worker.stdout(), Endpoint::Parent);
    /// let mut running = match graph.spawn() {
    ///     Err(Error::Spawn(e)) if e.step() == Step::SetGroups => return Ok(eprintln!("no CAP_SETGID: {e}")),
    ///     other => other?,
    /// };
    /// let mut groups = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut groups)?;
    /// assert_eq!(groups, "65534 100\n"); // its gid, then its one supplementary group
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn groups(mut self, groups: &[u32]) -> Self {
        self.credentials.groups = Some(groups.to_vec());
        self
    }

    /// The node's file mode creation mask (`umask`), e.g. `0o027`.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// // Files it creates are not readable by others, nor writable by its group.
    /// let app = graph.node("app", Command::new("sh").args(["-c", "umask"]).umask(0o027));
    /// let out = graph.pipe(app.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut mask = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut mask)?;
    /// assert_eq!(mask, "0027\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn umask(mut self, mask: u32) -> Self {
        self.umask = Some(mask & 0o777);
        self
    }

    /// Sets a resource limit, soft and hard (`setrlimit`; `u64::MAX` is
    /// unlimited). A later call for the same resource replaces the
    /// earlier. Raising a hard limit needs `CAP_SYS_RESOURCE`; without it
    /// the start fails at [`Step::SetRlimit`](crate::Step::SetRlimit),
    /// `EPERM`, as does a soft limit above the hard one (`EINVAL`).
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, Rlimit};
    ///
    /// let mut graph = Graph::new();
    /// let cmd = Command::new("sh").args(["-c", "ulimit -n"]).rlimit(Rlimit::NoFile, 256, 256);
    /// let server = graph.node("server", cmd);
    /// let out = graph.pipe(server.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut limit = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut limit)?;
    /// assert_eq!(limit, "256\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rlimit(mut self, resource: Rlimit, soft: u64, hard: u64) -> Self {
        self.rlimits.retain(|(r, ..)| *r != resource);
        self.rlimits.push((resource, soft, hard));
        self
    }

    /// The node's `argv[0]`, when it is not the program as given (a login
    /// shell's `-bash`, a multi-call binary's applet name).
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// // A leading `-` is how a shell learns it is a login shell; `$0` shows it.
    /// let shell = graph.node("shell", Command::new("sh").arg0("-sh").args(["-c", "echo $0"]));
    /// let out = graph.pipe(shell.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut name = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut name)?;
    /// assert_eq!(name, "-sh\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn arg0(mut self, arg0: impl AsRef<OsStr>) -> Self {
        self.arg0 = Some(arg0.as_ref().to_owned());
        self
    }

    /// Which process group the node runs in; see [`ProcessGroup`].
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, ProcessGroup};
    ///
    /// // Exits 0 if it does not lead a process group of its own.
    /// let script = r#"read -r _ _ _ _ pgrp _ < /proc/$$/stat; test "$pgrp" != $$"#;
    /// let mut graph = Graph::new();
    /// let cmd = Command::new("sh").args(["-c", script]);
    /// graph.node("in-ours", cmd.clone().process_group(ProcessGroup::Application));
    /// let own = graph.node("own", cmd); // ProcessGroup::Own, the default
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report.by_name("in-ours").unwrap().success());
    /// assert!(!report[own].success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn process_group(mut self, group: ProcessGroup) -> Self {
        self.process_group = group;
        self
    }
}
