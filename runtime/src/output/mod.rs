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
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// How a line read from a node ended.
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
    pub const MAX_LINE: usize = lines::MAX_LINE;

    /// The node's name.
    pub fn node(&self) -> &'a str {
        self.node
    }

    /// The stream it came from.
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// The bytes of the line, without its newline.
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// The line as text, invalid UTF-8 replaced by U+FFFD.
    pub fn text_lossy(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.text)
    }

    /// How it ended.
    pub fn end(&self) -> LineEnd {
        self.end
    }

    /// Whether it goes on from the previous line of its stream, which
    /// ended with [`LineEnd::Continued`].
    pub fn is_continuation(&self) -> bool {
        self.continuation
    }
}

/// The timestamp a prefixed line starts with.
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
    /// mid-line. [`Stdio::Prefixed`](crate::Stdio::Prefixed) is this
    /// without a timestamp.
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
    pub fn prefixed(timestamps: Option<Timestamps>) -> Sink {
        Sink::Prefixed(timestamps)
    }

    /// [`Sink::File`].
    pub fn file(file: RotatingFile) -> Sink {
        Sink::File(file)
    }

    /// [`Sink::Callback`].
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
