//! The values of edge fields: options of a pipe or a socketpair.

/// The socket type of a socketpair edge.
///
/// ```
/// use process_graph_runtime::{SocketKind, SocketPair};
///
/// assert_eq!(SocketKind::default(), SocketKind::Stream);
/// assert_eq!(SocketPair::new().kind(), SocketKind::Stream);
/// assert_eq!(SocketPair::seqpacket().kind(), SocketKind::SeqPacket);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SocketKind {
    /// `SOCK_STREAM` (the default): a byte stream.
    #[default]
    Stream,
    /// `SOCK_SEQPACKET`: reliable, ordered messages with boundaries kept.
    SeqPacket,
}

/// A pipe edge's options; the value of a `#[pipe]` field.
///
/// ```
/// use process_graph_runtime::Pipe;
///
/// let big = Pipe::with_capacity(1 << 20); // F_SETPIPE_SZ to 1 MiB
/// assert_eq!(big.capacity(), Some(1 << 20));
/// assert_eq!(Pipe::new().capacity(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pipe {
    capacity: Option<usize>,
}

impl Pipe {
    /// A pipe with the kernel's default buffer (64 KiB).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Pipe};
    ///
    /// let mut graph = Graph::new();
    /// let seq = graph.node("seq", Command::new("seq").arg("3"));
    /// let wc = graph.node("wc", Command::new("wc").arg("-l"));
    /// graph.pipe_of(Pipe::new(), seq.stdout(), wc.stdin()); // the same as `graph.pipe`
    /// assert_eq!(Pipe::new().capacity(), None);
    /// assert!(graph.spawn()?.wait()?.success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn new() -> Self {
        Pipe::default()
    }

    /// A pipe whose buffer is set to at least `bytes` with `F_SETPIPE_SZ`
    /// (capped by `/proc/sys/fs/pipe-max-size` for unprivileged callers).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Pipe};
    ///
    /// let mut graph = Graph::new();
    /// let seq = graph.node("seq", Command::new("seq").arg("100000"));
    /// let wc = graph.node("wc", Command::new("wc").arg("-l"));
    /// // Fewer wake-ups for a fast writer: 256 KiB instead of 64 KiB.
    /// graph.pipe_of(Pipe::with_capacity(256 << 10), seq.stdout(), wc.stdin());
    /// assert_eq!(Pipe::with_capacity(256 << 10).capacity(), Some(262_144));
    /// assert!(graph.spawn()?.wait()?.success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub fn with_capacity(bytes: usize) -> Self {
        Pipe {
            capacity: Some(bytes),
        }
    }

    /// The requested buffer size, if any.
    ///
    /// ```
    /// use process_graph_runtime::Pipe;
    ///
    /// assert_eq!(Pipe::new().capacity(), None); // the kernel's default
    /// assert_eq!(Pipe::with_capacity(1 << 20).capacity(), Some(1 << 20));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.capacity
    }
}

/// A socketpair edge's options; the value of a `#[socketpair]` field.
///
/// ```
/// use process_graph_runtime::{SocketKind, SocketPair};
///
/// assert_eq!(SocketPair::new().kind(), SocketKind::Stream);
/// assert_eq!(SocketPair::seqpacket().kind(), SocketKind::SeqPacket);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SocketPair {
    kind: SocketKind,
}

impl SocketPair {
    /// A `SOCK_STREAM` socketpair.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use process_graph_runtime::{Command, Endpoint, Graph, SocketPair};
    ///
    /// let mut graph = Graph::new();
    /// let echo = Command::new("sh").args(["-c", "read line <&3; echo \"got $line\" >&3"]);
    /// let server = graph.node("server", echo);
    /// let pair = graph.socketpair_of(SocketPair::new(), server.fd(3), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut socket = running.take_socket(pair).unwrap();
    /// socket.write_all(b"ping\n")?;
    /// let mut answer = String::new();
    /// socket.read_to_string(&mut answer)?; // until the node exits
    /// assert_eq!(answer, "got ping\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        SocketPair::default()
    }

    /// A `SOCK_SEQPACKET` socketpair: message boundaries are kept.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, SocketPair};
    ///
    /// let mut graph = Graph::new();
    /// let node = graph.node("node", Command::new("sh").args(["-c", "printf one >&3; printf two >&3"]));
    /// let pair = graph.socketpair_of(SocketPair::seqpacket(), node.fd(3), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut socket = running.take_socket(pair).unwrap();
    /// let mut buf = [0; 16];
    /// let n = socket.read(&mut buf)?; // one message per read
    /// assert_eq!(&buf[..n], b"one");
    /// let n = socket.read(&mut buf)?;
    /// assert_eq!(&buf[..n], b"two");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seqpacket() -> Self {
        SocketPair {
            kind: SocketKind::SeqPacket,
        }
    }

    /// The socket type.
    ///
    /// ```
    /// use process_graph_runtime::{SocketKind, SocketPair};
    ///
    /// let pair = SocketPair::seqpacket();
    /// assert_eq!(pair.kind(), SocketKind::SeqPacket);
    /// ```
    pub fn kind(&self) -> SocketKind {
        self.kind
    }
}
