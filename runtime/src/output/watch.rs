//! A log-line probe's view of a node's output: each complete line that
//! contains its text adds one to an eventfd in the graph's wait set, after
//! the line has gone to its sink, so that whatever the match lets start
//! writes after it.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

use process_graph_topology::{ProbeCheck, ProbeInfo};
use rustix::event::{EventfdFlags, eventfd};

#[derive(Debug, Clone)]
pub(crate) struct LineWatch {
    text: Arc<[u8]>,
    matched: Arc<OwnedFd>,
}

impl LineWatch {
    /// The watch of a log-line probe (`None` for any other probe).
    pub(crate) fn new(probe: Option<&ProbeInfo>) -> Option<io::Result<LineWatch>> {
        let ProbeCheck::LogLine(text) = &probe?.check else {
            return None;
        };
        let flags = EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK;
        Some(
            eventfd(0, flags)
                .map_err(io::Error::from)
                .map(|fd| LineWatch {
                    text: text.as_bytes().into(),
                    matched: Arc::new(fd),
                }),
        )
    }

    /// The eventfd, for the wait set.
    pub(crate) fn matched(&self) -> BorrowedFd<'_> {
        self.matched.as_fd()
    }

    /// Whether `line` (without its newline) contains the text.
    pub(crate) fn finds_in(&self, line: &[u8]) -> bool {
        memchr::memmem::find(line, &self.text).is_some()
    }

    /// Counts a match, for the event loop.
    pub(crate) fn count(&self) {
        // A full counter (2^64 - 2 matches unread) is still a match.
        let _ = rustix::io::write(&*self.matched, &1u64.to_ne_bytes());
    }
}

/// Takes the matches counted on a [`LineWatch`]'s eventfd: whether any.
pub(crate) fn take_matches(matched: BorrowedFd<'_>) -> bool {
    let mut count = [0u8; 8];
    matches!(rustix::io::read(matched, &mut count), Ok(8))
}
