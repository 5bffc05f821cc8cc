//! The graph's output thread: it reads every forwarded stream of every node
//! ([`Stdio::Prefixed`](crate::Stdio::Prefixed),
//! [`Stdio::Sink`](crate::Stdio::Sink)), cuts what it reads into lines and
//! hands them to each stream's sink (`output/`).
//!
//! One thread for the whole graph, not one per node: it waits on all the
//! pipes in one wait set. A thread of its own, not the application's event
//! loop, so a node never blocks on a full pipe because the application is
//! busy elsewhere.
//!
//! Each start of a node gets new pipes, handed to the thread as the node
//! starts: when that process (and whatever inherited its stream) has closed
//! them, the thread sees EOF and delivers the partial last line, if any, at
//! once — not merged into the first line of the next start. The thread ends
//! when told to, after the graph has been reaped: it drains what is left
//! (a double-forked daemon may hold a write end forever) and stops.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rustix::fs::OFlags;

pub(crate) use crate::output::take_matches;
use crate::output::{Line, LineBuffer, LineEnd, LineWatch, Stream, Write};
use crate::owner::Owner;
use crate::poller::{Interest, WaitSet, WakeFd, Waker};
use crate::sigmask::SignalMaskGuard;

/// One start's stream to forward.
pub(crate) struct Forwarded {
    pub(crate) node: usize,
    pub(crate) stream: Stream,
    /// Index of its sink among those the thread was started with.
    pub(crate) sink: usize,
    pub(crate) read_end: OwnedFd,
    /// The node's log-line probe, which looks at each line.
    pub(crate) watch: Option<LineWatch>,
}

/// What the application's threads hand to the output thread.
#[derive(Default)]
struct Inbox {
    streams: Vec<Forwarded>,
    stop: bool,
}

/// The running output thread.
pub(crate) struct Forwarder {
    inbox: Arc<Mutex<Inbox>>,
    wake: Waker,
    thread: Option<JoinHandle<()>>,
    /// The process the thread runs in.
    owner: Owner,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("owner", &self.owner)
            .finish()
    }
}

impl Forwarder {
    /// Starts the thread with the graph's node names and opened sinks.
    pub(crate) fn start(
        names: Vec<String>,
        sinks: Vec<Box<dyn Write + Send>>,
    ) -> io::Result<Forwarder> {
        let wake_fd = WakeFd::default();
        let wake = wake_fd.waker()?;
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let thread_inbox = Arc::clone(&inbox);
        // The thread inherits a mask blocking every signal, so signals sent to
        // the application are never delivered to it (where, blocked nowhere
        // else, their default action would kill the whole process).
        let blocked = SignalMaskGuard::block(None)?;
        let thread = std::thread::Builder::new()
            .name("process-graph-stdio".to_owned())
            .spawn(move || Output::new(names, sinks).run(&wake_fd, &thread_inbox));
        drop(blocked);
        Ok(Forwarder {
            inbox,
            wake,
            thread: Some(thread?),
            owner: Owner::current(),
        })
    }

    /// Hands a just-started node's stream to the thread.
    pub(crate) fn add(&self, stream: Forwarded) {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.streams.push(stream);
        }
        self.wake.wake();
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
            if let Ok(mut inbox) = self.inbox.lock() {
                inbox.stop = true;
            }
            self.wake.wake();
            let _ = thread.join();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The token of the inbox's wake-ups; a stream's is its slot.
const INBOX: u64 = u64::MAX;

/// The most bytes read from one stream per wake-up, so that a flooding node
/// does not hold up the lines of the others.
const READS_PER_TURN: usize = 4;

/// A stream being forwarded, on the thread.
struct Open {
    node: usize,
    stream: Stream,
    sink: usize,
    read_end: OwnedFd,
    lines: LineBuffer,
    watch: Option<LineWatch>,
}

/// The thread's state.
struct Output {
    names: Vec<String>,
    sinks: Vec<Box<dyn Write + Send>>,
    /// Open streams by slot; a closed one leaves its slot free.
    open: Vec<Option<Open>>,
    set: WaitSet<u64>,
    buffer: Vec<u8>,
}

impl Output {
    fn new(names: Vec<String>, sinks: Vec<Box<dyn Write + Send>>) -> Output {
        Output {
            names,
            sinks,
            open: Vec::new(),
            set: WaitSet::new(),
            buffer: vec![0; crate::output::Line::MAX_LINE],
        }
    }

    /// Forwards until told to stop, then drains what is left.
    fn run(mut self, wake: &WakeFd, inbox: &Mutex<Inbox>) {
        let watched = wake
            .fd()
            .map_or(Ok(()), |fd| self.set.add(fd, INBOX, Interest::Readable));
        let mut ready = Vec::new();
        // A set that cannot be made ends the thread, as a failed wait does.
        let mut running = watched.is_ok();
        while running {
            ready.clear();
            if self.set.wait(None, &mut ready).is_err() {
                break;
            }
            for &token in &ready {
                if token == INBOX {
                    wake.drain();
                    running = !self.take(inbox);
                } else {
                    self.pump(token as usize, Some(READS_PER_TURN));
                }
            }
        }
        self.take(inbox);
        for slot in 0..self.open.len() {
            self.pump(slot, None);
            self.close(slot);
        }
    }

    /// Takes the streams handed over; true once told to stop.
    fn take(&mut self, inbox: &Mutex<Inbox>) -> bool {
        let Ok(mut inbox) = inbox.lock() else {
            return true;
        };
        for new in inbox.streams.drain(..) {
            let slot = self
                .open
                .iter()
                .position(Option::is_none)
                .unwrap_or_else(|| {
                    self.open.push(None);
                    self.open.len() - 1
                });
            // A stream that cannot be watched is dropped: its node then
            // sees EPIPE, not a hang.
            let watched = rustix::fs::fcntl_setfl(&new.read_end, OFlags::NONBLOCK)
                .map_err(io::Error::from)
                .and_then(|()| {
                    self.set
                        .add(new.read_end.as_fd(), slot as u64, Interest::Readable)
                });
            if watched.is_ok() {
                self.open[slot] = Some(Open {
                    node: new.node,
                    stream: new.stream,
                    sink: new.sink,
                    read_end: new.read_end,
                    lines: LineBuffer::default(),
                    watch: new.watch,
                });
            }
        }
        inbox.stop
    }

    /// Reads what slot's stream has (at most `reads` times), hands the
    /// lines on; closes it at EOF or on an error.
    fn pump(&mut self, slot: usize, reads: Option<usize>) {
        let Some(open) = self.open.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let sink = &mut self.sinks[open.sink];
        let mut left = reads.unwrap_or(usize::MAX);
        let ended = loop {
            if left == 0 {
                break false;
            }
            left -= 1;
            match rustix::io::read(&open.read_end, &mut self.buffer) {
                Ok(0) => break true,
                Ok(n) => {
                    let (node, stream) = (self.names[open.node].as_str(), open.stream);
                    let mut matched = false;
                    let watch = open.watch.as_ref();
                    open.lines
                        .feed(&self.buffer[..n], &mut |text, end, continuation| {
                            matched |= end == LineEnd::Newline
                                && !continuation
                                && watch.is_some_and(|w| w.finds_in(text));
                            sink.line(&Line {
                                node,
                                stream,
                                text,
                                end,
                                continuation,
                            });
                        });
                    sink.flush();
                    // After the line is out: whatever the match lets start
                    // writes after it.
                    if matched && let Some(watch) = watch {
                        watch.count();
                    }
                }
                Err(rustix::io::Errno::AGAIN) => break false,
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => break true,
            }
        };
        if ended {
            self.close(slot);
        }
    }

    /// Delivers the slot's partial last line and closes its stream.
    fn close(&mut self, slot: usize) {
        let Some(mut open) = self.open.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.set.remove(open.read_end.as_fd());
        let sink = &mut self.sinks[open.sink];
        let (node, stream) = (self.names[open.node].as_str(), open.stream);
        open.lines.finish(&mut |text, end, continuation| {
            sink.line(&Line {
                node,
                stream,
                text,
                end,
                continuation,
            });
        });
        sink.flush();
    }
}
