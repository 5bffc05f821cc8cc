//! The command a node runs: program, arguments, environment, working
//! directory and stdio defaults — a builder shaped like
//! [`std::process::Command`], so it reads the same.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::credentials::{Credentials, ProcessGroup, Rlimit};
use crate::listener::Listener;
use crate::output::Sink;

/// Where a node's standard stream goes when no edge claims it.
///
/// ```
/// use process_graph_runtime::{Command, Stdio};
///
/// let quiet = Command::new("make").stdout(Stdio::Null);
/// let labelled = Command::new("server").stderr(Stdio::Prefixed);
/// let input = Command::new("sort").stdin(Stdio::from(std::fs::File::open("/etc/hostname")?));
/// # let _ = (quiet, labelled, input);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum Stdio {
    /// Share the parent's stream (the default).
    Inherit,
    /// Connect the stream to `/dev/null`.
    Null,
    /// Forward each line the child writes to the parent's stream of the same
    /// name, prefixed with `[node] ` (as foreman and docker-compose do). A
    /// background thread reads the lines, so the child never waits on the
    /// application. Only for stdout and stderr. Control characters (but
    /// TAB) and bytes that are not UTF-8 are written out as `\xNN`, so that
    /// a node cannot drive the application's terminal. The same as
    /// `Stdio::Sink(Sink::prefixed(None))`.
    Prefixed,
    /// An fd the application opened: a file ([`Stdio::append_to`] opens a
    /// log for appending), a socket, a pipe. Every start of the node gets
    /// it (`dup2`), and the application holds it until the
    /// graph ends. Made with `Stdio::from`.
    Fd(Arc<OwnedFd>),
    /// Forward each line the child writes to a [`Sink`]: the application's
    /// stream with a prefix and a timestamp, a rotating file, a callback or
    /// tracing. The graph's one output thread reads the lines, so the child
    /// never waits on the application. Only for stdout and stderr.
    Sink(Sink),
    /// The node's pseudo-terminal: the node gets a session of its own with
    /// the terminal as its controlling terminal, and the application holds
    /// the other end ([`RunningGraph::take_terminal`](crate::RunningGraph::take_terminal)).
    /// Each stream set to it is the terminal; [`Command::terminal`] sets
    /// all three. See [`Terminal`](crate::Terminal).
    Terminal,
}

impl Stdio {
    /// Opens `path` for appending, creating it (mode `0o644`, less the
    /// umask) if it does not exist: every start of the node, restarts
    /// included, adds to the end of the same file, and writes of several
    /// processes to it never overwrite each other (`O_APPEND`). For a log
    /// that rotates by size, see [`Sink::File`].
    ///
    /// ```
    /// use process_graph_runtime::{Command, Stdio};
    ///
    /// let log = std::env::temp_dir().join("process-graph-doc-append.log");
    /// let cmd = Command::new("server")
    ///     .stdout(Stdio::append_to(&log)?)
    ///     .stderr(Stdio::append_to(&log)?);
    /// # let _ = (cmd, std::fs::remove_file(log));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn append_to(path: impl AsRef<Path>) -> io::Result<Stdio> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)?;
        Ok(Stdio::from(file))
    }

    /// The sink a forwarded stream's lines go to, if it is forwarded.
    pub(crate) fn sink(&self) -> Option<Sink> {
        match self {
            Stdio::Prefixed => Some(Sink::Prefixed(None)),
            Stdio::Sink(sink) => Some(sink.clone()),
            Stdio::Inherit | Stdio::Null | Stdio::Fd(_) | Stdio::Terminal => None,
        }
    }
}

/// Two settings are equal when they are the same kind, and for
/// [`Stdio::Fd`] the very same fd.
impl PartialEq for Stdio {
    fn eq(&self, other: &Stdio) -> bool {
        match (self, other) {
            (Stdio::Fd(a), Stdio::Fd(b)) => Arc::ptr_eq(a, b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Eq for Stdio {}

/// The stream reads or writes this fd.
impl From<OwnedFd> for Stdio {
    fn from(fd: OwnedFd) -> Stdio {
        Stdio::Fd(Arc::new(fd))
    }
}

/// The stream reads or writes this file, from where its offset is (or at
/// its end, if it was opened for appending).
impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio::from(OwnedFd::from(file))
    }
}

/// The stream is forwarded to this sink.
impl From<Sink> for Stdio {
    fn from(sink: Sink) -> Stdio {
        Stdio::Sink(sink)
    }
}

/// A program to run as a node of a graph.
///
/// ```
/// use process_graph_runtime::Command;
///
/// let cmd = Command::new("grep")
///     .arg("-c")
///     .arg("error")
///     .env("LC_ALL", "C")
///     .current_dir("/tmp");
/// assert_eq!(cmd.get_program(), "grep");
/// ```
#[derive(Debug, Clone)]
pub struct Command {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    pub(crate) env_clear: bool,
    pub(crate) env: BTreeMap<OsString, Option<OsString>>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) stdin: Option<Stdio>,
    pub(crate) stdout: Option<Stdio>,
    pub(crate) stderr: Option<Stdio>,
    /// Fds above stdio passed in by [`Command::fd`], by number in the child.
    pub(crate) fds: BTreeMap<i32, Arc<OwnedFd>>,
    pub(crate) credentials: Credentials,
    pub(crate) umask: Option<u32>,
    pub(crate) rlimits: Vec<(Rlimit, u64, u64)>,
    pub(crate) arg0: Option<OsString>,
    pub(crate) process_group: ProcessGroup,
    /// Listening sockets, at fd 3 and on (`listen`).
    pub(crate) listeners: Vec<Listener>,
}

impl Command {
    /// A command running `program`, looked up in `PATH` when it has no `/`.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let found = graph.node("found", Command::new("true")); // looked up in PATH
    /// let given = graph.node("given", Command::new("/bin/sh").args(["-c", "exit 3"]));
    /// let report = graph.spawn()?.wait()?;
    /// assert!(report[found].success());
    /// assert_eq!(report[given].status.and_then(|s| s.code()), Some(3));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Command {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env_clear: false,
            env: BTreeMap::new(),
            cwd: None,
            stdin: None,
            stdout: None,
            stderr: None,
            fds: BTreeMap::new(),
            credentials: Credentials::default(),
            umask: None,
            rlimits: Vec::new(),
            arg0: None,
            process_group: ProcessGroup::Own,
            listeners: Vec::new(),
        }
    }

    /// Appends one argument, passed to the program byte for byte.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// // One argument, spaces and all: no shell splits it.
    /// let show = graph.node("show", Command::new("printf").arg("[%s]").arg("two words"));
    /// let out = graph.pipe(show.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "[two words]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends several arguments.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let range = vec!["2".to_owned(), "4".to_owned()];
    /// let mut graph = Graph::new();
    /// let seq = graph.node("seq", Command::new("seq").args(&range));
    /// let out = graph.pipe(seq.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "2\n3\n4\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// The child otherwise inherits the application's environment as it is,
    /// entry for entry (as `std::env::vars_os` reads it: an entry without
    /// any `=` after its first byte is not a variable and is left out). Only
    /// the names set here are checked: spawning fails with
    /// [`Error::Command`](crate::Error::Command) if one is empty or holds
    /// `=`, or if a name or value holds a NUL byte.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let greet = Command::new("sh").args(["-c", r#"echo "$GREETING""#]).env("GREETING", "hello");
    /// let greet = graph.node("greet", greet);
    /// let out = graph.pipe(greet.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .insert(key.as_ref().to_owned(), Some(value.as_ref().to_owned()));
        self
    }

    /// Sets several environment variables.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let settings = [("DB_HOST", "127.0.0.1"), ("DB_PORT", "5432")];
    /// let mut graph = Graph::new();
    /// let app = Command::new("sh").args(["-c", r#"echo "$DB_HOST:$DB_PORT""#]).envs(settings);
    /// let app = graph.node("app", app);
    /// let out = graph.pipe(app.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "127.0.0.1:5432\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    /// Removes a variable from the inherited environment.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// // Whatever the application has, the plugin does not see the secret.
    /// let plugin = Command::new("sh").args(["-c", r#"echo "${AWS_SECRET_ACCESS_KEY:-none}""#]);
    /// let plugin = graph.node("plugin", plugin.env_remove("AWS_SECRET_ACCESS_KEY"));
    /// let out = graph.pipe(plugin.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "none\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.insert(key.as_ref().to_owned(), None);
        self
    }

    /// Starts the child with an empty environment plus the variables set here.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// // Without PATH, `env` is looked up in /bin:/usr/bin, as execvp does.
    /// let env = graph.node("env", Command::new("env").env_clear().env("LANG", "C"));
    /// let out = graph.pipe(env.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "LANG=C\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self.env.retain(|_, v| v.is_some());
        self
    }

    /// The child's working directory.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let pwd = graph.node("pwd", Command::new("pwd").current_dir("/"));
    /// let out = graph.pipe(pwd.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "/\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// Where stdin comes from when no edge claims it.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::fd::OwnedFd;
    /// use process_graph_runtime::{Command, Endpoint, Graph, Stdio};
    ///
    /// let (input, mut feed) = std::io::pipe()?;
    /// feed.write_all(b"pear\napple\n")?;
    /// drop(feed); // sort reads to EOF
    /// let mut graph = Graph::new();
    /// let sort = graph.node("sort", Command::new("sort").stdin(Stdio::from(OwnedFd::from(input))));
    /// let out = graph.pipe(sort.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "apple\npear\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stdin(mut self, stdio: Stdio) -> Self {
        self.stdin = Some(stdio);
        self
    }

    /// Where stdout goes when no edge claims it.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::fd::OwnedFd;
    /// use process_graph_runtime::{Command, Graph, Stdio};
    ///
    /// let (mut ours, theirs) = std::io::pipe()?;
    /// let mut graph = Graph::new();
    /// let echo = Command::new("echo").arg("done").stdout(Stdio::from(OwnedFd::from(theirs)));
    /// graph.node("echo", echo);
    /// assert!(graph.spawn()?.wait()?.success()); // the graph's copy of `theirs` is closed
    /// let mut text = String::new();
    /// ours.read_to_string(&mut text)?;
    /// assert_eq!(text, "done\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stdout(mut self, stdio: Stdio) -> Self {
        self.stdout = Some(stdio);
        self
    }

    /// Where stderr goes when no edge claims it.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, Stdio};
    ///
    /// let mut graph = Graph::new();
    /// let tool = Command::new("sh").args(["-c", "echo 'progress: 50%' >&2; echo result"]);
    /// let tool = graph.node("tool", tool.stderr(Stdio::Null)); // quiet progress
    /// let out = graph.pipe(tool.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut text = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text, "result\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stderr(mut self, stdio: Stdio) -> Self {
        self.stderr = Some(stdio);
        self
    }

    /// Gives the child `fd` as fd number `n`, at every start of the node
    /// (restarts included): a listening socket, a file, one end of a pipe
    /// the application made. The application holds it until the graph
    /// ends; for 0, 1 and 2 this is [`stdin`](Self::stdin),
    /// [`stdout`](Self::stdout) or [`stderr`](Self::stderr) with
    /// [`Stdio::Fd`]. A later call for the same `n` replaces the earlier.
    ///
    /// The number must be free: if an edge, the readiness fd or a
    /// listening socket of the node claims it too, or it is out of range,
    /// spawning fails with [`Error::Invalid`](crate::Error::Invalid) naming
    /// both, before anything starts.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let (mut ours, theirs) = std::io::pipe()?;
    /// let mut graph = Graph::new();
    /// graph.node("writer", Command::new("sh").args(["-c", "echo hi >&5"]).fd(5, theirs));
    /// let running = graph.spawn()?;
    /// let mut out = String::new();
    /// ours.read_to_string(&mut out)?; // EOF: the graph's copy closed as it ended
    /// # let _ = running;
    /// assert_eq!(out, "hi\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fd(mut self, n: i32, fd: impl Into<OwnedFd>) -> Self {
        let fd = Arc::new(fd.into());
        match n {
            0 => self.stdin = Some(Stdio::Fd(fd)),
            1 => self.stdout = Some(Stdio::Fd(fd)),
            2 => self.stderr = Some(Stdio::Fd(fd)),
            _ => {
                self.fds.insert(n, fd);
            }
        }
        self
    }

    /// Passes a listening socket to the node the systemd way
    /// (`sd_listen_fds(3)`): the listeners are fds 3, 4, … in the order of
    /// these calls, and the node's environment says `LISTEN_FDS` (how
    /// many), `LISTEN_FDNAMES` (their names, `:`-separated) and
    /// `LISTEN_PID` (the node's own pid, as the node sees it — written by
    /// the child itself, in a pid scope too).
    ///
    /// The application holds the socket while the node may start again, so
    /// a connection made while the node restarts waits in the socket's
    /// backlog and is served by the next start: none is refused. Those fds
    /// are claimed like an edge's: an edge, readiness fd or passed fd on
    /// the same number is refused before anything starts.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Listener};
    ///
    /// let mut graph = Graph::new();
    /// graph.node(
    ///     "server",
    ///     Command::new("sh")
    ///         .args(["-c", r#"test "$LISTEN_PID" = $$ && test "$LISTEN_FDNAMES" = http"#])
    ///         .listen(Listener::address("tcp:127.0.0.1:0").named("http")),
    /// );
    /// assert!(graph.spawn()?.wait()?.success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn listen(mut self, listener: Listener) -> Self {
        self.listeners.push(listener);
        self
    }

    /// Runs the node on a pseudo-terminal of its own: stdin, stdout and
    /// stderr are the terminal, which is its controlling terminal, in a
    /// session of its own. Interactive programs (shells, REPLs, `top`)
    /// behave as they do in a terminal.
    ///
    /// ```
    /// use process_graph_runtime::Command;
    ///
    /// let shell = Command::new("bash").args(["--norc", "-i"]).terminal();
    /// # let _ = shell;
    /// ```
    pub fn terminal(self) -> Self {
        self.stdin(Stdio::Terminal)
            .stdout(Stdio::Terminal)
            .stderr(Stdio::Terminal)
    }

    /// The program.
    ///
    /// ```
    /// use process_graph_runtime::Command;
    ///
    /// let cmd = Command::new("/usr/sbin/nginx").args(["-g", "daemon off;"]);
    /// assert_eq!(cmd.get_program(), "/usr/sbin/nginx");
    /// println!("starting {}", cmd.get_program().display());
    /// ```
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// The arguments, without the program.
    ///
    /// ```
    /// use process_graph_runtime::Command;
    ///
    /// let cmd = Command::new("grep").args(["-c", "error", "app.log"]);
    /// let shown: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
    /// assert_eq!(shown.join(" "), "-c error app.log");
    /// ```
    pub fn get_args(&self) -> impl Iterator<Item = &OsStr> {
        self.args.iter().map(OsString::as_os_str)
    }

    /// The working directory, if one was set.
    ///
    /// ```
    /// use std::path::Path;
    /// use process_graph_runtime::Command;
    ///
    /// let build = Command::new("make").current_dir("/src/app");
    /// assert_eq!(build.get_current_dir(), Some(Path::new("/src/app")));
    /// assert_eq!(Command::new("make").get_current_dir(), None); // the application's
    /// ```
    pub fn get_current_dir(&self) -> Option<&Path> {
        self.cwd.as_deref()
    }

    /// The explicit stdio setting of fd 0, 1 or 2, if any.
    pub(crate) fn stdio(&self, fd: i32) -> Option<&Stdio> {
        match fd {
            0 => self.stdin.as_ref(),
            1 => self.stdout.as_ref(),
            2 => self.stderr.as_ref(),
            _ => None,
        }
    }

    /// Every fd the application passes in, stdio included, by number in
    /// the child.
    pub(crate) fn passed_fds(&self) -> impl Iterator<Item = (i32, &Arc<OwnedFd>)> {
        let stdio = (0..=2).filter_map(|fd| match self.stdio(fd) {
            Some(Stdio::Fd(passed)) => Some((fd, passed)),
            _ => None,
        });
        stdio.chain(self.fds.iter().map(|(&n, fd)| (n, fd)))
    }
}

/// Takes the program, arguments, environment changes and working directory
/// of a [`std::process::Command`].
///
/// std does not expose whether `env_clear` was called or how stdio was set,
/// so those two are not carried over: set them on the result.
///
/// ```
/// let std_cmd = {
///     let mut c = std::process::Command::new("ls");
///     c.arg("-l").env("A", "1");
///     c
/// };
/// let cmd = process_graph_runtime::Command::from(&std_cmd);
/// assert_eq!(cmd.get_args().collect::<Vec<_>>(), ["-l"]);
/// ```
impl From<&std::process::Command> for Command {
    fn from(std_cmd: &std::process::Command) -> Self {
        let mut cmd = Command::new(std_cmd.get_program()).args(std_cmd.get_args());
        for (key, value) in std_cmd.get_envs() {
            cmd.env.insert(key.to_owned(), value.map(OsStr::to_owned));
        }
        cmd.cwd = std_cmd.get_current_dir().map(Path::to_owned);
        cmd
    }
}

impl From<std::process::Command> for Command {
    fn from(std_cmd: std::process::Command) -> Self {
        Command::from(&std_cmd)
    }
}
