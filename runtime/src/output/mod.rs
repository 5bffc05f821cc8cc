//! Where the output of a node goes when it is forwarded: one pipeline for
//! every kind of destination.
//!
//! A forwarded stream ([`Stdio::Prefixed`](crate::Stdio::Prefixed) or
//! [`Stdio::Sink`](crate::Stdio::Sink)) is a pipe from the node to the
//! graph's one output thread (see `forward.rs`), which cuts what it reads
//! into [`Line`]s and hands each to the stream's [`Sink`]: the application's
//! stderr or stdout with a prefix and an optional timestamp, a rotating file,
//! a callback, or (feature `tracing`) a tracing event.

mod callback;
mod lines;
mod prefixed;
mod rotate;
mod time;
#[cfg(feature = "tracing")]
mod tracing_sink;
mod watch;

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

pub use rotate::RotatingFile;

pub(crate) use lines::LineBuffer;
pub(crate) use time::Clock;
pub(crate) use watch::{LineWatch, take_matches};

/// A node's standard output stream.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use process_graph_runtime::{Command, Graph, Sink, Stdio, Stream};
///
/// let streams = Arc::new(Mutex::new(Vec::new()));
/// let seen = streams.clone();
/// let sink = Sink::callback(move |line| seen.lock().unwrap().push(line.stream()));
/// let mut graph = Graph::new();
/// graph.node("talker", Command::new("sh").args(["-c", "echo oops >&2"]).stdout(Stdio::Sink(sink.clone())).stderr(Stdio::Sink(sink)));
/// graph.spawn()?.wait()?;
/// assert_eq!(*streams.lock().unwrap(), [Stream::Stderr]);
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// fd 1.
    Stdout,
    /// fd 2.
    Stderr,
}

impl Stream {
    /// The stream of fd 1 or 2.
    pub(crate) fn of_fd(fd: i32) -> Stream {
        if fd == 1 {
            Stream::Stdout
        } else {
            Stream::Stderr
        }
    }

    /// `"stdout"` or `"stderr"`.
    ///
    /// ```
    /// use process_graph_runtime::{Sink, Stream};
    ///
    /// assert_eq!(Stream::Stderr.as_str(), "stderr");
    /// let sink = Sink::callback(|line| eprintln!("{} {}: {}", line.node(), line.stream().as_str(), line.text_lossy()));
    /// # let _ = sink;
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// How a line read from a node ended.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use process_graph_runtime::{Command, Graph, LineEnd, Sink, Stdio};
///
/// let ends = Arc::new(Mutex::new(Vec::new()));
/// let seen = ends.clone();
/// let sink = Sink::callback(move |line| seen.lock().unwrap().push(line.end()));
/// let mut graph = Graph::new();
/// graph.node("job", Command::new("printf").arg("done\\npartial").stdout(Stdio::Sink(sink)));
/// graph.spawn()?.wait()?;
/// assert_eq!(*ends.lock().unwrap(), [LineEnd::Newline, LineEnd::Eof]);
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// With a newline (not part of [`Line::text`]).
    Newline,
    /// Not yet: the line was longer than the buffer
    /// ([`MAX_LINE`](Line::MAX_LINE) bytes), and the next line of the same
    /// stream goes on with the rest of it. No byte is lost; a sink that
    /// writes lines marks the cut.
    Continued,
    /// At the end of the stream without a newline: the node's last, partial
    /// line, delivered as it is when the node (and whatever inherited its
    /// stream) closed it.
    Eof,
}

/// One line of a node's output, as a sink receives it.
///
/// ```
/// use process_graph_runtime::{Line, LineEnd, Stream};
///
/// fn show(line: &Line<'_>) -> String {
///     format!("{}/{}: {}", line.node(), line.stream().as_str(), line.text_lossy())
/// }
/// # let _ = show;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub(crate) node: &'a str,
    pub(crate) stream: Stream,
    pub(crate) text: &'a [u8],
    pub(crate) end: LineEnd,
    /// Whether this line goes on from a [`LineEnd::Continued`] one.
    pub(crate) continuation: bool,
}

impl<'a> Line<'a> {
    /// The longest line delivered whole: a longer one comes in pieces of
    /// this size, each but the last ending with [`LineEnd::Continued`].
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use process_graph_runtime::{Command, Graph, Line, Sink, Stdio};
    ///
    /// let pieces = Arc::new(Mutex::new(Vec::new()));
    /// let seen = pieces.clone();
    /// let sink = Sink::callback(move |line| seen.lock().unwrap().push(line.text().len()));
    /// let blob = format!("head -c {} /dev/zero | tr '\\0' x; echo", Line::MAX_LINE + 10);
    /// let mut graph = Graph::new();
    /// graph.node("blob", Command::new("sh").args(["-c", &blob]).stdout(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(*pieces.lock().unwrap(), [Line::MAX_LINE, 10]); // one line, two pieces
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub const MAX_LINE: usize = lines::MAX_LINE;

    /// The node's name.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use process_graph_runtime::{Command, Graph, Sink, Stdio};
    ///
    /// let nodes = Arc::new(Mutex::new(Vec::new()));
    /// let seen = nodes.clone();
    /// let sink = Sink::callback(move |line| seen.lock().unwrap().push(line.node().to_owned()));
    /// let mut graph = Graph::new();
    /// graph.node("db", Command::new("echo").arg("up").stdout(Stdio::Sink(sink.clone())));
    /// graph.node("web", Command::new("echo").arg("up").stdout(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// let mut nodes = nodes.lock().unwrap().clone();
    /// nodes.sort();
    /// assert_eq!(nodes, ["db", "web"]); // one sink, told apart by node
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn node(&self) -> &'a str {
        self.node
    }

    /// The stream it came from.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use process_graph_runtime::{Command, Graph, Sink, Stdio, Stream};
    ///
    /// let errors = Arc::new(Mutex::new(Vec::new()));
    /// let seen = errors.clone();
    /// let sink = Sink::callback(move |line| if line.stream() == Stream::Stderr { seen.lock().unwrap().push(line.text_lossy().into_owned()) });
    /// let mut graph = Graph::new();
    /// graph.node("job", Command::new("sh").args(["-c", "echo ok; echo failed >&2"]).stdout(Stdio::Sink(sink.clone())).stderr(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(*errors.lock().unwrap(), ["failed"]);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// The bytes of the line, without its newline.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use process_graph_runtime::{Command, Graph, Sink, Stdio};
    ///
    /// let lines = Arc::new(Mutex::new(Vec::new()));
    /// let seen = lines.clone();
    /// let sink = Sink::callback(move |line| seen.lock().unwrap().push(line.text().to_vec()));
    /// let mut graph = Graph::new();
    /// graph.node("latin1", Command::new("printf").arg("caf\\351\\n").stdout(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(*lines.lock().unwrap(), [b"caf\xe9"]); // the bytes as written, no newline
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// The line as text, invalid UTF-8 replaced by U+FFFD.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use process_graph_runtime::{Command, Graph, Sink, Stdio};
    ///
    /// let lines = Arc::new(Mutex::new(Vec::new()));
    /// let seen = lines.clone();
    /// let sink = Sink::callback(move |line| seen.lock().unwrap().push(line.text_lossy().into_owned()));
    /// let mut graph = Graph::new();
    /// graph.node("latin1", Command::new("printf").arg("caf\\351\\n").stdout(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(*lines.lock().unwrap(), ["caf\u{FFFD}"]);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn text_lossy(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.text)
    }

    /// How it ended.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use process_graph_runtime::{Command, Graph, LineEnd, Sink, Stdio};
    ///
    /// let last = Arc::new(Mutex::new(None));
    /// let seen = last.clone();
    /// let sink = Sink::callback(move |line| *seen.lock().unwrap() = Some((line.text_lossy().into_owned(), line.end())));
    /// let mut graph = Graph::new();
    /// graph.node("prompt", Command::new("printf").arg("name? ").stdout(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(*last.lock().unwrap(), Some(("name? ".to_owned(), LineEnd::Eof))); // no newline
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn end(&self) -> LineEnd {
        self.end
    }

    /// Whether it goes on from the previous line of its stream, which
    /// ended with [`LineEnd::Continued`].
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use process_graph_runtime::{Command, Graph, Line, Sink, Stdio};
    ///
    /// let pieces = Arc::new(Mutex::new(Vec::new()));
    /// let seen = pieces.clone();
    /// let sink = Sink::callback(move |line| seen.lock().unwrap().push(line.is_continuation()));
    /// let blob = format!("head -c {} /dev/zero | tr '\\0' x; echo; echo next", Line::MAX_LINE + 10);
    /// let mut graph = Graph::new();
    /// graph.node("blob", Command::new("sh").args(["-c", &blob]).stdout(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(*pieces.lock().unwrap(), [false, true, false]); // the long line's rest, then `next`
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn is_continuation(&self) -> bool {
        self.continuation
    }
}

/// The timestamp a prefixed line starts with.
///
/// ```
/// use process_graph_runtime::{Command, Graph, Sink, Stdio, Timestamps};
///
/// let mut graph = Graph::new();
/// // `+0.001234 [app] hello` on the application's stdout.
/// let sink = Sink::prefixed(Some(Timestamps::SinceStart));
/// let app = graph.node("app", Command::new("echo").arg("hello").stdout(Stdio::Sink(sink)));
/// let report = graph.spawn()?.wait()?;
/// assert!(report[app].success());
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamps {
    /// Wall-clock time in UTC, RFC 3339 with microseconds:
    /// `2026-12-03T19:40:00.123456Z`.
    Rfc3339,
    /// Seconds since the graph started, from the monotonic clock (immune to
    /// clock changes): `+12.345678`.
    SinceStart,
}

/// A function each line of a node's output is handed to.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use process_graph_runtime::{Callback, Command, Graph, Line, Sink, Stdio};
///
/// let count = Arc::new(AtomicUsize::new(0));
/// let counter = count.clone();
/// let callback: Callback = Arc::new(move |_: &Line<'_>| { counter.fetch_add(1, Ordering::Relaxed); });
/// let mut graph = Graph::new();
/// graph.node("a", Command::new("seq").arg("3").stdout(Stdio::Sink(Sink::Callback(callback.clone()))));
/// graph.node("b", Command::new("seq").arg("2").stdout(Stdio::Sink(Sink::Callback(callback))));
/// graph.spawn()?.wait()?;
/// assert_eq!(count.load(Ordering::Relaxed), 5);
/// # Ok::<(), process_graph_runtime::Error>(())
/// ```
pub type Callback = Arc<dyn Fn(&Line<'_>) + Send + Sync>;

/// Where a forwarded stream's lines go.
///
/// Every sink of a graph is fed by one thread, the graph's output thread,
/// never by the node: a node writes into a pipe and goes on. A sink that is
/// slow (a callback that blocks) holds up the forwarding of every node of
/// its graph, and once a pipe is full, the node writing into it.
///
/// ```
/// use process_graph_runtime::{Command, RotatingFile, Sink, Stdio, Timestamps};
///
/// let server = Command::new("server")
///     .stdout(Stdio::Sink(Sink::prefixed(Some(Timestamps::Rfc3339))))
///     .stderr(Stdio::Sink(Sink::file(
///         RotatingFile::new("/var/log/server.log").max_bytes(1 << 20).keep(5),
///     )));
/// let quiet = Command::new("job").stdout(Stdio::Sink(Sink::callback(|line| {
///     assert!(!line.node().is_empty());
/// })));
/// # let _ = (server, quiet);
/// ```
#[derive(Clone)]
pub enum Sink {
    /// Each line to the application's stream of the same name (stdout to
    /// stdout, stderr to stderr) as `[node] line`, after a timestamp if
    /// one is asked for. Lines of different nodes never interleave
    /// mid-line, and control characters (but TAB) and bytes that are not
    /// UTF-8 are written out as `\xNN`: a node cannot drive the
    /// application's terminal. [`Stdio::Prefixed`](crate::Stdio::Prefixed)
    /// is this without a timestamp.
    Prefixed(Option<Timestamps>),
    /// Each line, as it is, to a file that rotates by size.
    File(RotatingFile),
    /// Each line to a function, called on the graph's output thread.
    Callback(Callback),
    /// Each line as a tracing event (feature `tracing`): target
    /// `process_graph::output`, level INFO, fields `node` and `stream`,
    /// the line as the message.
    #[cfg(feature = "tracing")]
    Tracing,
}

impl Sink {
    /// [`Sink::Prefixed`].
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Sink, Stdio};
    ///
    /// let mut graph = Graph::new();
    /// // `[web] listening` on the application's stdout, `[web] …` on its stderr.
    /// let web = Command::new("sh").args(["-c", "echo listening; echo warning >&2"])
    ///     .stdout(Stdio::Sink(Sink::prefixed(None)))
    ///     .stderr(Stdio::Sink(Sink::prefixed(None)));
    /// let web = graph.node("web", web);
    /// assert!(graph.spawn()?.wait()?[web].success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn prefixed(timestamps: Option<Timestamps>) -> Sink {
        Sink::Prefixed(timestamps)
    }

    /// [`Sink::File`].
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, RotatingFile, Sink, Stdio};
    ///
    /// let log = std::env::temp_dir().join(format!("process-graph-doc-file-{}.log", std::process::id()));
    /// let mut graph = Graph::new();
    /// let job = Command::new("sh").args(["-c", "echo out; echo err >&2"])
    ///     .stdout(Stdio::Sink(Sink::file(RotatingFile::new(&log))))
    ///     .stderr(Stdio::Sink(Sink::file(RotatingFile::new(&log)))); // one file, both streams
    /// graph.node("job", job);
    /// graph.spawn()?.wait()?;
    /// assert_eq!(std::fs::read_to_string(&log)?.lines().count(), 2);
    /// # std::fs::remove_file(&log)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file(file: RotatingFile) -> Sink {
        Sink::File(file)
    }

    /// [`Sink::Callback`].
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use process_graph_runtime::{Command, Graph, Sink, Stdio};
    ///
    /// let (send, receive) = mpsc::channel();
    /// let sink = Sink::callback(move |line| send.send(line.text_lossy().into_owned()).unwrap());
    /// let mut graph = Graph::new();
    /// graph.node("seq", Command::new("seq").arg("3").stdout(Stdio::Sink(sink)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(receive.try_iter().collect::<Vec<_>>(), ["1", "2", "3"]);
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn callback(f: impl Fn(&Line<'_>) + Send + Sync + 'static) -> Sink {
        Sink::Callback(Arc::new(f))
    }

    /// The sink of an inherited stream that passes through the output
    /// thread only to be watched (a log-line probe): each line to the
    /// application's stream, unchanged.
    pub(crate) fn passthrough() -> Box<dyn Write + Send> {
        Box::new(prefixed::Prefixed::bare())
    }

    /// Opens what the sink writes to: its state on the output thread.
    pub(crate) fn open(&self, clock: Clock) -> io::Result<Box<dyn Write + Send>> {
        Ok(match self {
            Sink::Prefixed(timestamps) => Box::new(prefixed::Prefixed::new(*timestamps, clock)),
            Sink::File(file) => Box::new(file.open()?),
            Sink::Callback(f) => Box::new(callback::Call(f.clone())),
            #[cfg(feature = "tracing")]
            Sink::Tracing => Box::new(tracing_sink::Trace),
        })
    }

    /// The file it writes to, if it is a file sink: one writer serves
    /// every stream writing to one file, so that its size is counted once.
    pub(crate) fn file_path(&self) -> Option<&Path> {
        match self {
            Sink::File(file) => Some(file.path()),
            _ => None,
        }
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Prefixed(t) => f.debug_tuple("Prefixed").field(t).finish(),
            Sink::File(file) => f.debug_tuple("File").field(file).finish(),
            Sink::Callback(_) => f.write_str("Callback(..)"),
            #[cfg(feature = "tracing")]
            Sink::Tracing => f.write_str("Tracing"),
        }
    }
}

/// What a sink does with lines, on the output thread.
pub(crate) trait Write {
    /// Takes one line; may keep it until [`flush`](Self::flush).
    fn line(&mut self, line: &Line<'_>);
    /// Ends a batch of lines read together: what was kept is written now.
    fn flush(&mut self) {}
}
