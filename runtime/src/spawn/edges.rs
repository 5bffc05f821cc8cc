//! The fds of a graph's edges: created CLOEXEC before any child starts, placed
//! into children by the fd plan, and held by the parent only as long as a
//! node that uses them may still be started.
//!
//! Releasing the parent's copy is what lets a reader see EOF: the ends of an
//! edge between nodes that are never restarted are closed right after the
//! last of them has started; ends used by a restartable node stay open until
//! that node has ended for good, so a restarted writer feeds the same pipe
//! (as s6 pipelines do) and its reader does not see a spurious EOF.

use std::io::{self, PipeReader, PipeWriter};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
use rustix::pipe::{PipeFlags, pipe_with};

use crate::graph::{EdgeKind, Endpoint, SocketKind};
use crate::plan::FdSource;

/// The end of an edge the application holds.
#[derive(Debug)]
pub(crate) enum ParentEnd {
    Reader(PipeReader),
    Writer(PipeWriter),
    Socket(UnixStream),
}

/// The child-side fds of one edge: side 0 is a pipe's write end or a
/// socketpair's first end, side 1 the read end or second end.
#[derive(Debug)]
pub(crate) struct HeldEdge {
    sides: [Option<OwnedFd>; 2],
    /// The node indices attached to each side.
    users: [Vec<usize>; 2],
}

impl HeldEdge {
    /// Creates the edge's fds and splits off the parent's end, if any.
    pub(crate) fn create(kind: &EdgeKind) -> io::Result<(HeldEdge, Option<ParentEnd>)> {
        let (fds, ends): ([OwnedFd; 2], [&[Endpoint]; 2]) = match kind {
            EdgeKind::Pipe {
                writers,
                readers,
                pipe,
            } => {
                let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
                if let Some(bytes) = pipe.capacity() {
                    rustix::pipe::fcntl_setpipe_size(&write, bytes)?;
                }
                ([write, read], [writers, readers])
            }
            EdgeKind::SocketPair { ends, pair } => {
                let kind = match pair.kind() {
                    SocketKind::Stream => SocketType::STREAM,
                    SocketKind::SeqPacket => SocketType::SEQPACKET,
                };
                let (a, b) = socketpair(AddressFamily::UNIX, kind, SocketFlags::CLOEXEC, None)?;
                ([a, b], [&ends[..1], &ends[1..]])
            }
        };
        let users = ends.map(|side| {
            side.iter()
                .filter_map(|e| match e {
                    Endpoint::Node { node, .. } => Some(node.index()),
                    Endpoint::Parent => None,
                })
                .collect::<Vec<_>>()
        });
        let parent_side = ends
            .iter()
            .position(|side| side.contains(&Endpoint::Parent));
        let [side0, side1] = fds;
        let mut sides = [Some(side0), Some(side1)];
        let parent_end = parent_side.and_then(|side| {
            let fd = sides[side].take()?;
            Some(match kind {
                EdgeKind::Pipe { .. } if side == 0 => ParentEnd::Writer(PipeWriter::from(fd)),
                EdgeKind::Pipe { .. } => ParentEnd::Reader(PipeReader::from(fd)),
                EdgeKind::SocketPair { .. } => ParentEnd::Socket(UnixStream::from(fd)),
            })
        });
        Ok((HeldEdge { sides, users }, parent_end))
    }

    /// The parent's fd for a plan source of this edge; -1 if already released.
    pub(crate) fn raw(&self, source: FdSource) -> RawFd {
        let side = match source {
            FdSource::PipeWrite(_) => 0,
            FdSource::PipeRead(_) => 1,
            FdSource::Socket(_, side) => side,
            _ => return -1,
        };
        self.sides[side].as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Closes each side no node that may still start needs.
    pub(crate) fn release(&mut self, may_start: &dyn Fn(usize) -> bool) {
        for (fd, users) in self.sides.iter_mut().zip(&self.users) {
            if !users.iter().any(|&n| may_start(n)) {
                *fd = None;
            }
        }
    }
}
