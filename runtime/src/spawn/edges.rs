//! The fds of a graph's edges: created CLOEXEC before any child starts, placed
//! into children by the fd plan, and afterwards reduced to the ends the
//! parent keeps — closing the rest is what lets readers see EOF.

use std::io::{self, PipeReader, PipeWriter};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
use rustix::pipe::{PipeFlags, pipe_with};

use crate::graph::{EdgeKind, Endpoint, SocketKind};
use crate::plan::FdSource;

/// The fds of one edge.
#[derive(Debug)]
pub(crate) enum EdgeFds {
    Pipe { read: OwnedFd, write: OwnedFd },
    Socket([OwnedFd; 2]),
}

/// The end of an edge the application holds.
#[derive(Debug)]
pub(crate) enum ParentEnd {
    Reader(PipeReader),
    Writer(PipeWriter),
    Socket(UnixStream),
}

impl EdgeFds {
    pub(crate) fn create(kind: &EdgeKind) -> io::Result<EdgeFds> {
        Ok(match kind {
            EdgeKind::Pipe { pipe, .. } => {
                let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
                if let Some(bytes) = pipe.capacity() {
                    rustix::pipe::fcntl_setpipe_size(&write, bytes)?;
                }
                EdgeFds::Pipe { read, write }
            }
            EdgeKind::SocketPair { pair, .. } => {
                let kind = match pair.kind() {
                    SocketKind::Stream => SocketType::STREAM,
                    SocketKind::SeqPacket => SocketType::SEQPACKET,
                };
                let (a, b) = socketpair(AddressFamily::UNIX, kind, SocketFlags::CLOEXEC, None)?;
                EdgeFds::Socket([a, b])
            }
        })
    }

    /// The parent's fd for a plan source of this edge.
    pub(crate) fn raw(&self, source: FdSource) -> RawFd {
        match (self, source) {
            (EdgeFds::Pipe { read, .. }, FdSource::PipeRead(_)) => read.as_raw_fd(),
            (EdgeFds::Pipe { write, .. }, FdSource::PipeWrite(_)) => write.as_raw_fd(),
            (EdgeFds::Socket(ends), FdSource::Socket(_, side)) => ends[side].as_raw_fd(),
            _ => unreachable!("the plan pairs each source with its own edge kind"),
        }
    }

    /// Keeps the parent's end, if the parent is an endpoint, and closes the rest.
    pub(crate) fn into_parent_end(self, kind: &EdgeKind) -> Option<ParentEnd> {
        match (self, kind) {
            (EdgeFds::Pipe { read, .. }, EdgeKind::Pipe { readers, .. })
                if readers.contains(&Endpoint::Parent) =>
            {
                Some(ParentEnd::Reader(PipeReader::from(read)))
            }
            (EdgeFds::Pipe { write, .. }, EdgeKind::Pipe { writers, .. })
                if writers.contains(&Endpoint::Parent) =>
            {
                Some(ParentEnd::Writer(PipeWriter::from(write)))
            }
            (EdgeFds::Socket([a, b]), EdgeKind::SocketPair { ends, .. }) => {
                let side = ends.iter().position(|e| *e == Endpoint::Parent)?;
                Some(ParentEnd::Socket(UnixStream::from(if side == 0 {
                    a
                } else {
                    b
                })))
            }
            _ => None,
        }
    }
}
