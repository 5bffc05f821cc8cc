//! The fds of a graph's edges: created CLOEXEC just before the first node
//! that uses them starts, placed into children by the fd plan, and held by
//! the parent only as long as a node that uses them may still be started.
//!
//! Why so short: every fd the parent holds is copied into each child at
//! `clone3` and closed again at its `execve`. A graph that opened every edge
//! up front would make each of N spawns pay for O(N) fds (a 1,000-stage
//! pipeline spent most of its time in the kernel's `dup_fd` and
//! `do_close_on_exec`); opened lazily and released after the last of its
//! users started, an edge is in flight only while its users are being
//! spawned. An edge with an end the application holds is created at once,
//! since that end is handed out before any node starts.
//!
//! Releasing the parent's copy is also what lets a reader see EOF: the ends
//! of an edge between nodes that are never restarted are closed right after
//! the last of them has started; ends used by a restartable node stay open
//! until that node has ended for good, so a restarted writer feeds the same
//! pipe (as s6 pipelines do) and its reader does not see a spurious EOF.

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

/// How to make an edge's two fds.
#[derive(Debug, Clone, Copy)]
enum Make {
    Pipe { capacity: Option<usize> },
    SocketPair(SocketType),
}

impl Make {
    /// Side 0 is a pipe's write end or a socketpair's first end.
    fn fds(self) -> io::Result<[OwnedFd; 2]> {
        match self {
            Make::Pipe { capacity } => {
                let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
                if let Some(bytes) = capacity {
                    rustix::pipe::fcntl_setpipe_size(&write, bytes)?;
                }
                Ok([write, read])
            }
            Make::SocketPair(kind) => {
                let (a, b) = socketpair(AddressFamily::UNIX, kind, SocketFlags::CLOEXEC, None)?;
                Ok([a, b])
            }
        }
    }
}

/// The child-side fds of one edge: side 0 is a pipe's write end or a
/// socketpair's first end, side 1 the read end or second end.
#[derive(Debug)]
pub(crate) struct HeldEdge {
    make: Make,
    /// `None` until the edge is created; then each side until released.
    sides: Option<[Option<OwnedFd>; 2]>,
    /// The node indices attached to each side.
    users: [Vec<usize>; 2],
}

impl HeldEdge {
    /// Prepares the edge, whose nodes are numbered from `first_node` in the
    /// running graph. Its fds are created now only if the application
    /// holds one end, which is then split off; otherwise by
    /// [`create`](Self::create).
    pub(crate) fn new(
        kind: &EdgeKind,
        first_node: usize,
    ) -> io::Result<(HeldEdge, Option<ParentEnd>)> {
        let (make, ends): (Make, [&[Endpoint]; 2]) = match kind {
            EdgeKind::Pipe {
                writers,
                readers,
                pipe,
            } => (
                Make::Pipe {
                    capacity: pipe.capacity(),
                },
                [writers, readers],
            ),
            EdgeKind::SocketPair { ends, pair } => {
                let kind = match pair.kind() {
                    SocketKind::Stream => SocketType::STREAM,
                    SocketKind::SeqPacket => SocketType::SEQPACKET,
                };
                (Make::SocketPair(kind), [&ends[..1], &ends[1..]])
            }
            // No ends, so no user: never created.
            EdgeKind::Joined { .. } => (Make::Pipe { capacity: None }, [&[], &[]]),
        };
        let users = ends.map(|side| {
            side.iter()
                .filter_map(|e| match e {
                    Endpoint::Node { node, .. } => Some(first_node + node.index()),
                    Endpoint::Parent => None,
                })
                .collect::<Vec<_>>()
        });
        let parent_side = ends
            .iter()
            .position(|side| side.contains(&Endpoint::Parent));
        let mut edge = HeldEdge {
            make,
            sides: None,
            users,
        };
        let Some(side) = parent_side else {
            return Ok((edge, None));
        };
        let [side0, side1] = make.fds()?;
        let (fd, sides) = match side {
            0 => (side0, [None, Some(side1)]),
            _ => (side1, [Some(side0), None]),
        };
        edge.sides = Some(sides);
        let parent_end = match make {
            Make::Pipe { .. } if side == 0 => ParentEnd::Writer(PipeWriter::from(fd)),
            Make::Pipe { .. } => ParentEnd::Reader(PipeReader::from(fd)),
            Make::SocketPair(_) => ParentEnd::Socket(UnixStream::from(fd)),
        };
        Ok((edge, Some(parent_end)))
    }

    /// Creates the edge's fds: called just before the first node that uses
    /// it starts, if it was not [created](Self::is_created) yet.
    pub(crate) fn create(&mut self) -> io::Result<()> {
        let [side0, side1] = self.make.fds()?;
        self.sides = Some([Some(side0), Some(side1)]);
        Ok(())
    }

    /// Every node attached to it.
    pub(crate) fn users(&self) -> impl Iterator<Item = usize> + '_ {
        self.users.iter().flatten().copied()
    }

    /// Whether its fds were created (they may have been released since).
    pub(crate) fn is_created(&self) -> bool {
        self.sides.is_some()
    }

    /// The parent's fd for a plan source of this edge; -1 if already released.
    pub(crate) fn raw(&self, source: FdSource) -> RawFd {
        let side = match source {
            FdSource::PipeWrite(_) => 0,
            FdSource::PipeRead(_) => 1,
            FdSource::Socket(_, side) => side,
            _ => return -1,
        };
        self.sides
            .as_ref()
            .and_then(|sides| sides[side].as_ref())
            .map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Closes each side no node that may still start needs.
    pub(crate) fn release(&mut self, may_start: &dyn Fn(usize) -> bool) {
        let Some(sides) = &mut self.sides else {
            return;
        };
        for (fd, users) in sides.iter_mut().zip(&self.users) {
            if fd.is_some() && !users.iter().any(|&n| may_start(n)) {
                *fd = None;
            }
        }
    }
}
