//! `Stdio::Prefixed`: a background thread that copies each child's output to
//! the parent's stdout or stderr line by line, prefixed with `[node] `. The
//! inherited streams of a node with a log-line probe pass through it too,
//! unchanged, so that each line is looked at on its way.
//!
//! A thread of its own, not the application's event loop, so a child never
//! blocks on a full pipe because the application is busy elsewhere. It ends
//! when every stream has reached EOF, or — after the graph has been reaped —
//! when told to drain what is left and stop (a double-forked daemon may hold a
//! write end forever).

use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use process_graph_topology::{ProbeCheck, ProbeInfo};
use rustix::event::{EventfdFlags, eventfd};
use std::thread::JoinHandle;

use rustix::fs::OFlags;

use crate::owner::Owner;
use crate::poller::{Interest, WaitSet, WakeFd, Waker};
use crate::sigmask::SignalMaskGuard;

/// One stream to forward.
pub(crate) struct PrefixedStream {
    /// Put before each line; empty for a stream that passes through only
    /// to be watched.
    pub(crate) prefix: String,
    /// 1 for stdout, 2 for stderr: the parent stream to write to.
    pub(crate) stream: i32,
    pub(crate) read_end: OwnedFd,
    /// The node's log-line probe, which looks at each line.
    pub(crate) watch: Option<LineWatch>,
}

/// A log-line probe's view of a node's output: each complete line that
/// contains `text` adds one to an eventfd in the graph's wait set.
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
    pub(crate) fn matched(&self) -> Arc<OwnedFd> {
        Arc::clone(&self.matched)
    }

    /// Whether one of `lines` (complete, newline-terminated) contains the
    /// text.
    fn finds_in(&self, lines: &[u8]) -> bool {
        lines
            .split(|&b| b == b'\n')
            .any(|line| line.windows(self.text.len()).any(|w| *w == *self.text))
    }

    /// Counts a match, for the event loop.
    fn count(&self) {
        // A full counter (2^64 - 2 matches unread) is still a match.
        let _ = rustix::io::write(&*self.matched, &1u64.to_ne_bytes());
    }
}

/// Takes the matches counted on a [`LineWatch`]'s eventfd: whether any.
pub(crate) fn take_matches(matched: std::os::fd::BorrowedFd<'_>) -> bool {
    let mut count = [0u8; 8];
    matches!(rustix::io::read(matched, &mut count), Ok(8))
}

/// The running forwarder thread.
#[derive(Debug)]
pub(crate) struct Forwarder {
    stop: Waker,
    thread: Option<JoinHandle<()>>,
    /// The process the thread runs in.
    owner: Owner,
}

impl Forwarder {
    pub(crate) fn start(streams: Vec<PrefixedStream>) -> io::Result<Forwarder> {
        for s in &streams {
            rustix::fs::fcntl_setfl(&s.read_end, OFlags::NONBLOCK)?;
        }
        let wake = WakeFd::default();
        let stop = wake.waker()?;
        // The thread inherits a mask blocking every signal, so signals sent to
        // the application are never delivered to it (where, blocked nowhere
        // else, their default action would kill the whole process).
        let blocked = SignalMaskGuard::block(None)?;
        let thread = std::thread::Builder::new()
            .name("process-graph-stdio".to_owned())
            .spawn(move || run(&wake, streams));
        drop(blocked);
        let thread = thread?;
        Ok(Forwarder {
            stop,
            thread: Some(thread),
            owner: Owner::current(),
        })
    }

    /// Drains what the children wrote and stops the thread.
    ///
    /// In a forked copy the thread does not exist (joining it would wait
    /// forever) and the eventfd is the owner's (waking it would stop the
    /// owner's thread): there the handle is only let go of.
    pub(crate) fn finish(&mut self) {
        if let Some(thread) = self.thread.take() {
            if !self.owner.is_current() {
                std::mem::forget(thread);
                return;
            }
            self.stop.wake();
            let _ = thread.join();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The token of the stop request; a stream's is its index.
const STOP: u64 = u64::MAX;

/// Forwards until every stream has reached EOF or `stop` is woken.
fn run(stop: &WakeFd, streams: Vec<PrefixedStream>) {
    let mut pending: Vec<Vec<u8>> = vec![Vec::new(); streams.len()];
    let mut open: Vec<bool> = vec![true; streams.len()];
    let mut set = WaitSet::new();
    let watched = streams
        .iter()
        .enumerate()
        .map(|(i, s)| (s.read_end.as_fd(), i as u64))
        .chain(stop.fd().map(|fd| (fd, STOP)))
        .try_for_each(|(fd, token)| set.add(fd, token, Interest::Readable));
    let mut ready = Vec::new();
    // A set that cannot be made ends the thread, as a failed wait does.
    while watched.is_ok() && open.iter().any(|o| *o) {
        ready.clear();
        if set.wait(None, &mut ready).is_err() {
            break;
        }
        let stopping = ready.contains(&STOP);
        let tokens: Vec<usize> = if stopping {
            (0..streams.len()).collect()
        } else {
            ready.iter().map(|&i| i as usize).collect()
        };
        for i in tokens {
            if open[i] && !pump(&streams[i], &mut pending[i]) {
                open[i] = false;
                set.remove(streams[i].read_end.as_fd());
            }
        }
        if stopping {
            break;
        }
    }
    for (s, rest) in streams.iter().zip(&mut pending) {
        if !rest.is_empty() {
            rest.push(b'\n');
            emit(s, rest);
        }
    }
}

/// Reads what is available; emits complete lines. False at EOF or error.
fn pump(stream: &PrefixedStream, pending: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match rustix::io::read(&stream.read_end, &mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                pending.extend_from_slice(&buf[..n]);
                if let Some(last) = pending.iter().rposition(|&b| b == b'\n') {
                    let rest = pending.split_off(last + 1);
                    let watch = stream.watch.as_ref().filter(|w| w.finds_in(pending));
                    emit(stream, pending);
                    // After the line is out: whatever the match lets start
                    // writes after it.
                    if let Some(watch) = watch {
                        watch.count();
                    }
                    *pending = rest;
                }
            }
            Err(rustix::io::Errno::AGAIN) => return true,
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return false,
        }
    }
}

/// Writes complete lines, each with the stream's prefix, in one write call
/// per batch so lines of different nodes do not interleave mid-line.
fn emit(stream: &PrefixedStream, lines: &mut Vec<u8>) {
    let mut out = Vec::with_capacity(lines.len() + 16);
    for line in lines.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(stream.prefix.as_bytes());
        out.extend_from_slice(line);
    }
    lines.clear();
    // A closed or broken parent stream drops the output; the child must not suffer.
    let _ = match stream.stream {
        2 => io::stderr().lock().write_all(&out),
        _ => io::stdout().lock().write_all(&out),
    };
}
