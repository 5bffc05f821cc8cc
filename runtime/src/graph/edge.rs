//! The values of edge fields: options of a pipe or a socketpair.

/// The socket type of a socketpair edge.
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
    pub fn new() -> Self {
        Pipe::default()
    }

    /// A pipe whose buffer is set to at least `bytes` with `F_SETPIPE_SZ`
    /// (capped by `/proc/sys/fs/pipe-max-size` for unprivileged callers).
    pub fn with_capacity(bytes: usize) -> Self {
        Pipe {
            capacity: Some(bytes),
        }
    }

    /// The requested buffer size, if any.
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
    pub fn new() -> Self {
        SocketPair::default()
    }

    /// A `SOCK_SEQPACKET` socketpair: message boundaries are kept.
    pub fn seqpacket() -> Self {
        SocketPair {
            kind: SocketKind::SeqPacket,
        }
    }

    /// The socket type.
    pub fn kind(&self) -> SocketKind {
        self.kind
    }
}
