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
//! once — not merged into the first line of the next start. When the node
//! starts again, what its last start left writing to them (a daemon, with
//! no cgroup to kill it) is cut off: what the pipe holds is delivered and
//! the pipe closed, so restarts leave nothing behind. The thread ends
//! when told to, after the graph has been reaped: it delivers what the
//! pipes hold then, and no more (a double-forked daemon may hold a write
//! end and write forever), and stops.
//!
//! Nodes added to the running graph hand the thread their names and sinks
//! first; a node removed from it, once it has ended, has what its streams
//! still hold delivered and its pipes closed at once, whoever else holds a
//! write end, and then the thread lets go of its name and of the sinks no
//! other node uses (closing a file sink's fd, dropping a callback), so that
//! nodes coming and going leave nothing behind: the thread holds what its
//! live nodes use. What the application's threads hand over is taken in
//! the order they sent it, as a sink's slot freed by a removal may be
//! given to a new sink by the next add.

use std::collections::HashMap;
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
    /// Its sink's slot.
    pub(crate) sink: usize,
    pub(crate) read_end: OwnedFd,
    /// The node's log-line probe, which looks at each line.
    pub(crate) watch: Option<LineWatch>,
}

/// What the application's threads hand to the output thread.
enum Message {
    /// Nodes whose streams are forwarded, by index with their names, and
    /// the sinks the thread does not have yet, by slot.
    Nodes {
        names: Vec<(usize, String)>,
        sinks: Vec<(usize, Box<dyn Write + Send>)>,
    },
    /// A stream of a node just started.
    Stream(Forwarded),
    /// A node removed and ended, and the slots of the sinks no other node
    /// uses.
    Removed { node: usize, sinks: Vec<usize> },
}

/// The messages not taken yet, in the order sent.
#[derive(Default)]
struct Inbox {
    messages: Vec<Message>,
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
    /// Starts the thread, with no node yet (see [`add_nodes`](Self::add_nodes)).
    pub(crate) fn start() -> io::Result<Forwarder> {
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
            .spawn(move || Output::new().run(&wake_fd, &thread_inbox));
        drop(blocked);
        Ok(Forwarder {
            inbox,
            wake,
            thread: Some(thread?),
            owner: Owner::current(),
        })
    }

    /// Tells the thread the names of nodes whose streams it forwards (by
    /// index) and the sinks their streams use that it does not have yet
    /// (by slot), before any of their streams.
    pub(crate) fn add_nodes(
        &self,
        names: Vec<(usize, String)>,
        sinks: Vec<(usize, Box<dyn Write + Send>)>,
    ) {
        self.send(Message::Nodes { names, sinks });
    }

    /// Node `node` was removed from the graph and has ended: the thread
    /// delivers what its streams hold, partial last lines included, closes
    /// them, and drops the sinks in slots `sinks`, which no other node
    /// uses.
    pub(crate) fn remove_node(&self, node: usize, sinks: Vec<usize>) {
        self.send(Message::Removed { node, sinks });
    }

    /// Hands a just-started node's stream to the thread.
    pub(crate) fn add(&self, stream: Forwarded) {
        self.send(Message::Stream(stream));
    }

    fn send(&self, message: Message) {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.messages.push(message);
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

/// How much one [`pump`](Output::pump) of a stream may read.
#[derive(Clone, Copy)]
enum Budget {
    /// So many reads.
    Reads(usize),
    /// So many bytes (the last read may take more).
    Bytes(u64),
}

impl Budget {
    fn spent(self) -> bool {
        matches!(self, Budget::Reads(0) | Budget::Bytes(0))
    }

    /// Counts a read of `n` bytes.
    fn take(&mut self, n: usize) {
        match self {
            Budget::Reads(left) => *left = left.saturating_sub(1),
            Budget::Bytes(left) => *left = left.saturating_sub(n as u64),
        }
    }
}

/// A stream being forwarded, on the thread.
struct Open {
    node: usize,
    stream: Stream,
    sink: usize,
    read_end: OwnedFd,
    lines: LineBuffer,
    watch: Option<LineWatch>,
}

/// A node whose streams the thread forwards.
struct Forwarding {
    name: String,
    /// The slots of its open streams (one per stream and start, while a
    /// start's stream is not at EOF).
    open: Vec<usize>,
}

/// The thread's state: what its live nodes use, each found without a scan,
/// so that removing k nodes costs what their own streams and sinks do,
/// however many others the graph has.
struct Output {
    /// The nodes whose streams it forwards, by index, until removed.
    nodes: HashMap<usize, Forwarding>,
    /// The sinks by slot; `None`: a free slot.
    sinks: Vec<Option<Box<dyn Write + Send>>>,
    /// Open streams by slot; a closed one leaves its slot free.
    open: Vec<Option<Open>>,
    /// The free slots of `open`.
    free: Vec<usize>,
    set: WaitSet<u64>,
    buffer: Vec<u8>,
}

impl Output {
    fn new() -> Output {
        Output {
            nodes: HashMap::new(),
            sinks: Vec::new(),
            open: Vec::new(),
            free: Vec::new(),
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
                    self.pump(token as usize, Budget::Reads(READS_PER_TURN));
                }
            }
        }
        self.take(inbox);
        for slot in 0..self.open.len() {
            self.pump(slot, self.what_is_held(slot));
            self.close(slot);
        }
    }

    /// What slot's pipe holds now, to be read and no more: what a node
    /// wrote before it ended is all there (a write to a full pipe waits),
    /// and what it left behind that goes on writing (a daemon with the
    /// write end) is cut off, not waited out — its later writes get
    /// `EPIPE`. Counted in bytes, not reads: a pipe in packet mode
    /// (`O_DIRECT`) gives one write per read.
    fn what_is_held(&self, slot: usize) -> Budget {
        let held = self
            .open
            .get(slot)
            .and_then(Option::as_ref)
            .and_then(|open| rustix::io::ioctl_fionread(&open.read_end).ok())
            .unwrap_or(0);
        Budget::Bytes(held)
    }

    /// Takes what was handed over, in the order it was sent; true once
    /// told to stop.
    fn take(&mut self, inbox: &Mutex<Inbox>) -> bool {
        let Ok(mut inbox) = inbox.lock() else {
            return true;
        };
        let (messages, stop) = (std::mem::take(&mut inbox.messages), inbox.stop);
        // Not under the lock: a sink may be slow.
        drop(inbox);
        for message in messages {
            match message {
                Message::Nodes { names, sinks } => {
                    self.nodes.extend(names.into_iter().map(|(node, name)| {
                        let open = Vec::new();
                        (node, Forwarding { name, open })
                    }));
                    for (slot, sink) in sinks {
                        if self.sinks.len() <= slot {
                            self.sinks.resize_with(slot + 1, || None);
                        }
                        self.sinks[slot] = Some(sink);
                    }
                }
                Message::Stream(new) => self.watch(new),
                Message::Removed { node, sinks } => self.remove(node, &sinks),
            }
        }
        stop
    }

    /// Forwards a stream, from the next turn on, in place of the same
    /// stream of the node's earlier start.
    fn watch(&mut self, new: Forwarded) {
        // A node starts again only once its last start was reaped, so all
        // that start wrote is in its pipe; whatever still writes there is
        // something it left behind (a daemon with the write end, no cgroup
        // to kill it). Deliver what the pipe holds and cut that off, as at
        // the graph's end: else each restart would leave a pipe and a
        // partial line here for as long as the daemon lives.
        while let Some(earlier) = self.open_stream_of(new.node, new.stream) {
            self.pump(earlier, self.what_is_held(earlier));
            self.close(earlier);
        }
        // A stream that cannot be watched is dropped: its node then sees
        // EPIPE, not a hang.
        let Some(node) = self.nodes.get_mut(&new.node) else {
            return;
        };
        let slot = self.free.pop().unwrap_or_else(|| {
            self.open.push(None);
            self.open.len() - 1
        });
        let watched = rustix::fs::fcntl_setfl(&new.read_end, OFlags::NONBLOCK)
            .map_err(io::Error::from)
            .and_then(|()| {
                self.set
                    .add(new.read_end.as_fd(), slot as u64, Interest::Readable)
            });
        if watched.is_err() {
            self.free.push(slot);
            return;
        }
        node.open.push(slot);
        self.open[slot] = Some(Open {
            node: new.node,
            stream: new.stream,
            sink: new.sink,
            read_end: new.read_end,
            lines: LineBuffer::default(),
            watch: new.watch,
        });
    }

    /// The slot of `node`'s open `stream`, if one is open.
    fn open_stream_of(&self, node: usize, stream: Stream) -> Option<usize> {
        let open = &self.nodes.get(&node)?.open;
        open.iter().copied().find(|&slot| {
            self.open[slot]
                .as_ref()
                .is_some_and(|open| open.stream == stream)
        })
    }

    /// Delivers what the streams of removed node `node` hold and closes
    /// them; then forgets its name and drops the sinks in slots `sinks`.
    fn remove(&mut self, node: usize, sinks: &[usize]) {
        let slots = self
            .nodes
            .get_mut(&node)
            .map(|n| std::mem::take(&mut n.open))
            .unwrap_or_default();
        for slot in slots {
            self.pump(slot, self.what_is_held(slot));
            self.close(slot);
        }
        self.nodes.remove(&node);
        for &slot in sinks {
            // Dropping a file sink closes its fd.
            if let Some(sink) = self.sinks.get_mut(slot) {
                *sink = None;
            }
        }
    }

    /// Reads what slot's stream has, within `budget`, hands the lines on;
    /// closes it at EOF or on an error.
    fn pump(&mut self, slot: usize, mut budget: Budget) {
        let Some(open) = self.open.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let Some(sink) = self.sinks[open.sink].as_mut() else {
            return;
        };
        let name = self.nodes.get(&open.node).map_or("", |n| n.name.as_str());
        let ended = loop {
            if budget.spent() {
                break false;
            }
            match rustix::io::read(&open.read_end, &mut self.buffer) {
                Ok(0) => break true,
                Ok(n) => {
                    budget.take(n);
                    let (node, stream) = (name, open.stream);
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
        self.free.push(slot);
        let node = match self.nodes.get_mut(&open.node) {
            Some(node) => {
                node.open.retain(|&s| s != slot);
                node.name.as_str()
            }
            None => "",
        };
        let Some(sink) = self.sinks[open.sink].as_mut() else {
            return;
        };
        let stream = open.stream;
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::pipe::{PipeFlags, pipe_with};

    type Seen = Arc<Mutex<Vec<(String, String, LineEnd)>>>;

    /// A sink that keeps what it is handed.
    struct Keep(Seen);

    impl Write for Keep {
        fn line(&mut self, line: &Line<'_>) {
            let text = String::from_utf8_lossy(line.text).into_owned();
            let line = (line.node.to_owned(), text, line.end);
            self.0.lock().unwrap().push(line);
        }
    }

    #[test]
    fn nodes_removed_at_once_have_their_last_lines_delivered_and_the_others_stay() {
        const NODES: usize = 200;
        let seen = Seen::default();
        let inbox = Mutex::new(Inbox::default());
        let send = |message| inbox.lock().unwrap().messages.push(message);
        send(Message::Nodes {
            names: (0..NODES).map(|n| (n, format!("node{n}"))).collect(),
            sinks: vec![(0, Box::new(Keep(Arc::clone(&seen))))],
        });
        let mut writers = Vec::new();
        for node in 0..NODES {
            let (read_end, write_end) = pipe_with(PipeFlags::CLOEXEC).unwrap();
            rustix::io::write(&write_end, format!("last{node}").as_bytes()).unwrap();
            writers.push(write_end);
            send(Message::Stream(Forwarded {
                node,
                stream: Stream::Stdout,
                sink: 0,
                read_end,
                watch: None,
            }));
        }
        let removed: Vec<usize> = (0..NODES).step_by(2).collect();
        for &node in &removed {
            send(Message::Removed {
                node,
                sinks: Vec::new(),
            });
        }
        let mut output = Output::new();
        assert!(!output.take(&inbox), "not told to stop");

        let last_lines: Vec<_> = removed
            .iter()
            .map(|n| (format!("node{n}"), format!("last{n}"), LineEnd::Eof))
            .collect();
        assert_eq!(*seen.lock().unwrap(), last_lines);
        let closed = |writer| rustix::io::write(writer, b"x") == Err(rustix::io::Errno::PIPE);
        for (node, writer) in writers.iter().enumerate() {
            if node % 2 == 1 {
                assert!(!closed(writer), "node {node}'s pipe is open");
                continue;
            }
            // A child another test spawns meanwhile holds a copy of every fd
            // of this process until its `execve`: asked again a while.
            let gone = (0..200).any(|_| {
                let gone = closed(writer);
                if !gone {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                gone
            });
            assert!(gone, "node {node}'s pipe is closed");
        }
        assert_eq!(output.nodes.len(), NODES - removed.len());
        assert_eq!(output.free.len(), removed.len(), "their slots are free");
    }
}
