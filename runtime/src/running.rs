//! `RunningGraph`: the handle of a started graph — its processes, the ends of
//! edges the parent holds, the event loop, and the teardown that leaves
//! nothing behind.

use std::collections::VecDeque;
use std::io::{PipeReader, PipeWriter};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::exit::{ExitReport, ExitStatus, NodeExit};
use crate::forward::{Forwarder, PrefixedStream};
use crate::graph::{EdgeId, Graph, NodeId};
use crate::poller::{Poller, WAKE_TOKEN, Waker};
use crate::process::Process;
use crate::signal::Signal;
use crate::spawn::ParentEnd;

/// Something that happened in a running graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A node's process ended and has been reaped.
    Exited {
        /// The node.
        node: NodeId,
        /// How it ended.
        status: ExitStatus,
    },
    /// A [`Waker`] was used.
    Woken,
}

/// A started graph.
///
/// Dropping it stops every node that is still running — SIGTERM in reverse
/// start order, SIGKILL to each node's process group after the stop timeout —
/// and reaps them all. Call [`wait`](Self::wait) or
/// [`shutdown`](Self::shutdown) to do the same explicitly and get the report.
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// use process_graph_runtime::{Command, Endpoint, Graph};
///
/// // The parent talks to `cat` over a socketpair on cat's stdin and stdout.
/// let mut graph = Graph::new();
/// let cat = graph.node("cat", Command::new("cat"));
/// let to_cat = graph.pipe(Endpoint::Parent, cat.stdin());
/// let from_cat = graph.pipe(cat.stdout(), Endpoint::Parent);
/// let mut running = graph.spawn()?;
///
/// let mut input = running.take_writer(to_cat).unwrap();
/// input.write_all(b"hello\n")?;
/// drop(input); // EOF for cat
/// let mut line = String::new();
/// BufReader::new(running.take_reader(from_cat).unwrap()).read_line(&mut line)?;
/// assert_eq!(line, "hello\n");
/// assert!(running.wait()?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RunningGraph {
    names: Vec<String>,
    processes: Vec<Process>,
    killed_after_timeout: Vec<bool>,
    parent_ends: Vec<Option<ParentEnd>>,
    poller: Poller,
    ready: VecDeque<u64>,
    forwarder: Option<Forwarder>,
    stop_timeout: Duration,
}

impl RunningGraph {
    pub(crate) fn new(graph: &Graph) -> Result<RunningGraph, Error> {
        Ok(RunningGraph {
            names: graph.nodes.iter().map(|n| n.name.clone()).collect(),
            processes: Vec::with_capacity(graph.nodes.len()),
            killed_after_timeout: vec![false; graph.nodes.len()],
            parent_ends: Vec::with_capacity(graph.edges.len()),
            poller: Poller::new().map_err(|e| Error::io(None, "create epoll", e))?,
            ready: VecDeque::new(),
            forwarder: None,
            stop_timeout: graph.stop_timeout,
        })
    }

    /// Registers the process of node `index` (nodes are attached in order).
    pub(crate) fn attach(&mut self, index: usize, process: Process) -> Result<(), Error> {
        debug_assert_eq!(index, self.processes.len());
        let pidfd = process.pidfd().expect("a new process has its pidfd");
        let watched = self.poller.watch(pidfd, index as u64);
        self.processes.push(process);
        watched.map_err(|e| Error::io(Some(&self.names[index]), "watch pidfd", e))
    }

    pub(crate) fn add_parent_end(&mut self, end: Option<ParentEnd>) {
        self.parent_ends.push(end);
    }

    pub(crate) fn start_forwarder(&mut self, streams: Vec<PrefixedStream>) -> Result<(), Error> {
        if !streams.is_empty() {
            let forwarder =
                Forwarder::start(streams).map_err(|e| Error::io(None, "start stdio thread", e))?;
            self.forwarder = Some(forwarder);
        }
        Ok(())
    }

    /// The node's name.
    pub fn name(&self, node: NodeId) -> &str {
        &self.names[node.index()]
    }

    /// The node's pid, while its process has not been reaped.
    pub fn pid(&self, node: NodeId) -> Option<u32> {
        let process = &self.processes[node.index()];
        process
            .status()
            .is_none()
            .then(|| process.pid().as_raw_nonzero().get() as u32)
    }

    /// How the node's process ended, once it has been reaped.
    pub fn status(&self, node: NodeId) -> Option<ExitStatus> {
        self.processes[node.index()].status()
    }

    /// Sends `signal` to the node's process through its pidfd.
    ///
    /// Fails with [`Error::NotRunning`] once the process has been reaped: a
    /// stale handle never reaches a process that reused the pid.
    pub fn signal(&self, node: NodeId, signal: Signal) -> Result<(), Error> {
        self.processes[node.index()]
            .signal(signal)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ESRCH) => Error::NotRunning {
                    node: self.name(node).to_owned(),
                },
                _ => Error::io(Some(self.name(node)), "pidfd_send_signal", e),
            })
    }

    /// Sends SIGKILL to the node's process.
    pub fn kill(&self, node: NodeId) -> Result<(), Error> {
        self.signal(node, Signal::KILL)
    }

    /// Takes the parent's read end of a pipe whose reader is the parent.
    /// `None` if the edge has no such end or it was already taken.
    pub fn take_reader(&mut self, edge: EdgeId) -> Option<PipeReader> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Reader(r) => Some(r),
            other => self.put_back(edge, other),
        }
    }

    /// Takes the parent's write end of a pipe the parent writes into.
    pub fn take_writer(&mut self, edge: EdgeId) -> Option<PipeWriter> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Writer(w) => Some(w),
            other => self.put_back(edge, other),
        }
    }

    /// Takes the parent's end of a socketpair. For a `SeqPacket` socketpair
    /// each `write` sends one message and each `read` receives one.
    pub fn take_socket(&mut self, edge: EdgeId) -> Option<UnixStream> {
        match self.parent_ends.get_mut(edge.index())?.take()? {
            ParentEnd::Socket(s) => Some(s),
            other => self.put_back(edge, other),
        }
    }

    fn put_back<T>(&mut self, edge: EdgeId, end: ParentEnd) -> Option<T> {
        self.parent_ends[edge.index()] = Some(end);
        None
    }

    /// A handle that wakes [`next_event`](Self::next_event) from another thread.
    pub fn waker(&self) -> Waker {
        self.poller.waker()
    }

    /// True once every node's process has been reaped.
    pub fn is_finished(&self) -> bool {
        self.processes.iter().all(|p| p.status().is_some())
    }

    /// Waits for the next event, up to `timeout` (`None`: no limit).
    ///
    /// Returns `Ok(None)` when the timeout passes, or at once when every node
    /// has already been reaped. A node's exit is reported once, after it has
    /// been reaped and anything left in its process group killed.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            while let Some(token) = self.ready.pop_front() {
                if token == WAKE_TOKEN {
                    return Ok(Some(Event::Woken));
                }
                let index = token as usize;
                let reaped = self.processes[index]
                    .reap(false)
                    .map_err(|e| Error::io(Some(&self.names[index]), "waitid", e))?;
                // The pidfd is closed on reaping, which also removes it from epoll.
                if let Some(status) = reaped {
                    let node = NodeId::from_index(index);
                    return Ok(Some(Event::Exited { node, status }));
                }
            }
            if self.is_finished() {
                return Ok(None);
            }
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let mut ready = Vec::new();
            self.poller
                .wait(remaining, &mut ready)
                .map_err(|e| Error::io(None, "epoll_wait", e))?;
            if ready.is_empty() && remaining.is_some() {
                return Ok(None);
            }
            self.ready.extend(ready);
        }
    }

    /// Waits for every node to end and reports how each did.
    ///
    /// Close or drain the pipe ends you took first: a child blocked writing
    /// into a full pipe nobody reads never ends.
    pub fn wait(&mut self) -> Result<ExitReport, Error> {
        while !self.is_finished() {
            self.next_event(None)?;
        }
        Ok(self.report())
    }

    /// Stops every node still running and reports how each ended.
    ///
    /// Sends SIGTERM to each running node, in reverse start order, waits up to
    /// `grace` for them to end, then SIGKILLs the process group of every node
    /// still running (the report marks those) and reaps everything.
    pub fn shutdown(&mut self, grace: Duration) -> Result<ExitReport, Error> {
        for process in self.processes.iter().rev() {
            // ESRCH: it has exited but is not reaped yet; it is reaped below.
            let _ = process.signal(Signal::TERM);
        }
        let deadline = Instant::now() + grace;
        while !self.is_finished() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.next_event(Some(left))?;
        }
        for (index, process) in self.processes.iter().enumerate() {
            if process.status().is_none() {
                self.killed_after_timeout[index] = true;
            }
        }
        self.kill_all();
        Ok(self.report())
    }

    /// SIGKILLs every node's process group and reaps every process.
    pub(crate) fn kill_all(&mut self) {
        for process in &self.processes {
            process.kill_group();
            let _ = process.signal(Signal::KILL);
        }
        for process in &mut self.processes {
            // Blocking: SIGKILL cannot be caught, so this returns promptly.
            let _ = process.reap(true);
        }
        if let Some(forwarder) = &mut self.forwarder {
            forwarder.finish();
        }
    }

    fn report(&mut self) -> ExitReport {
        if let Some(forwarder) = &mut self.forwarder {
            forwarder.finish();
        }
        let nodes = self
            .processes
            .iter()
            .zip(&self.names)
            .zip(&self.killed_after_timeout)
            .enumerate()
            .map(|(index, ((process, name), killed))| NodeExit {
                node: NodeId::from_index(index),
                name: name.clone(),
                status: process.status().expect("every process is reaped"),
                killed_after_timeout: *killed,
            })
            .collect();
        ExitReport { nodes }
    }
}

impl Drop for RunningGraph {
    fn drop(&mut self) {
        if !self.is_finished() {
            let _ = self.shutdown(self.stop_timeout);
        }
    }
}
