//! A node's cgroup, which holds no fd while its node runs.
//!
//! Every fd the application holds is copied into each child it spawns (and
//! closed again at its `execve`), so a graph that kept each node's cgroup
//! directory and `cgroup.events` open made every spawn cost more with every
//! node: a 1,000-stage pipeline paid for 2,000 fds on each of its last
//! spawns. So the directory is opened just before a start, for
//! `CLONE_INTO_CGROUP`, and closed right after; `cgroup.events` is opened when
//! the main process exits, and kept only while the node drains (it is then
//! in the graph's wait set). Everything else opens its file by a path below
//! the graph's cgroup directory.

use std::borrow::Cow;
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{Mode, OFlags, mkdirat};

use super::handle::{open_file, populated_of, read_file, write_file};
use super::limits::Limits;
use super::remove::remove_tree;

#[derive(Debug)]
pub(crate) struct NodeCgroup {
    /// Its directory's name in the graph's cgroup: its first name; a
    /// replacement's adds `~` and its number (`~` appears in no first
    /// name).
    name: CString,
    replaced: u32,
    /// `0`: the node's processes run in this cgroup itself. `n`: they run
    /// in its child `run<n>`, a leaf made for the node's latest start (see
    /// [`GraphCgroup::ready_for_start`](super::GraphCgroup::ready_for_start)).
    leaf: u32,
    /// `cgroup.events`, open while the node drains.
    events: Option<OwnedFd>,
    /// `cgroup.kill` was written: the kernel SIGKILLs whatever is cloned
    /// into it from now on (see [`GraphCgroup`](super::GraphCgroup)).
    killed: AtomicBool,
    /// Written again into a replacement (boxed: most nodes have none).
    pub(super) limits: Option<Box<Limits>>,
}

impl NodeCgroup {
    /// `mkdir` of `name` in the graph's cgroup directory `graph`.
    pub(super) fn create(graph: BorrowedFd<'_>, name: CString) -> io::Result<NodeCgroup> {
        mkdirat(graph, name.as_c_str(), Mode::from_raw_mode(0o755))?;
        Ok(NodeCgroup {
            name,
            replaced: 0,
            leaf: 0,
            events: None,
            killed: AtomicBool::new(false),
            limits: None,
        })
    }

    /// Makes a fresh cgroup beside this one, with the same limits, and
    /// turns into it; returns the old one's name, for its removal.
    pub(super) fn replace(&mut self, graph: BorrowedFd<'_>) -> io::Result<CString> {
        let first = self.name.as_bytes().split(|&b| b == b'~').next();
        let mut name = first.unwrap_or_default().to_vec();
        name.extend_from_slice(format!("~{}", self.replaced + 1).as_bytes());
        let fresh = NodeCgroup::create(graph, CString::new(name)?)?;
        let written = NodeRef {
            graph,
            node: &fresh,
        }
        .write_limits(self.limits.as_deref().copied().unwrap_or_default());
        if let Err(e) = written {
            let _ = remove_tree(graph, &fresh.name);
            return Err(e);
        }
        self.replaced += 1;
        self.leaf = 0;
        self.killed.store(false, Ordering::Relaxed);
        self.events = None;
        Ok(std::mem::replace(&mut self.name, fresh.name))
    }

    /// Makes a fresh leaf in this cgroup for the node's processes to run
    /// in from its next start; returns the path (below the graph's cgroup)
    /// of the one they ran in before, if any, for its removal.
    pub(super) fn fresh_leaf(&mut self, graph: BorrowedFd<'_>) -> io::Result<Option<CString>> {
        let fresh = self.child_path(format!("run{}", self.leaf + 1).as_bytes())?;
        mkdirat(graph, fresh.as_c_str(), Mode::from_raw_mode(0o755))?;
        let old = match self.leaf {
            0 => None,
            _ => Some(self.process_dir()?.into_owned()),
        };
        self.leaf += 1;
        Ok(old)
    }

    /// The path, below the graph's cgroup, of the child `name` of this
    /// cgroup.
    pub(super) fn child_path(&self, name: &[u8]) -> io::Result<CString> {
        path_below(&self.name, name)
    }

    /// The path, below the graph's cgroup, of the cgroup the node's
    /// processes run in: this one (borrowed: asked at every start), or its
    /// leaf.
    pub(super) fn process_dir(&self) -> io::Result<Cow<'_, CStr>> {
        match self.leaf {
            0 => Ok(Cow::Borrowed(&self.name)),
            n => Ok(Cow::Owned(self.child_path(format!("run{n}").as_bytes())?)),
        }
    }

    pub(super) fn name(&self) -> &CStr {
        &self.name
    }

    /// Opens `cgroup.events` and reads it: `Some` (the fd, kept until
    /// [`end_drain`](Self::end_drain)) while a process is left in the
    /// cgroup, `None` once it is empty.
    pub(super) fn drain(&mut self, graph: BorrowedFd<'_>) -> io::Result<Option<BorrowedFd<'_>>> {
        let events = NodeRef { graph, node: self }.open(c"cgroup.events", OFlags::RDONLY)?;
        if !populated_of(&events)? {
            return Ok(None);
        }
        let events: &OwnedFd = self.events.insert(events);
        Ok(Some(events.as_fd()))
    }

    /// The node no longer drains: its `cgroup.events`, for the wait set to
    /// let go of before it is closed.
    pub(super) fn end_drain(&mut self) -> Option<OwnedFd> {
        self.events.take()
    }
}

/// A node's cgroup, with the graph's cgroup directory it is in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRef<'a> {
    pub(super) graph: BorrowedFd<'a>,
    pub(super) node: &'a NodeCgroup,
}

impl NodeRef<'_> {
    /// Opens `file` of the node's cgroup (`name/file` below the graph's).
    fn open(&self, file: &CStr, mode: OFlags) -> io::Result<OwnedFd> {
        let path = self.node.child_path(file.to_bytes())?;
        Ok(open_file(self.graph, &path, mode)?)
    }

    /// The directory, for `CLONE_INTO_CGROUP`: to be closed once the child
    /// is cloned.
    pub(crate) fn open_dir(&self) -> io::Result<OwnedFd> {
        Ok(open_file(
            self.graph,
            &self.node.process_dir()?,
            OFlags::RDONLY | OFlags::DIRECTORY,
        )?)
    }

    /// The directory of the cgroup itself, not of its leaf: for a
    /// process that must run beside what runs in the leaf, out of its
    /// reach (see `Launcher::clone_cgroups`).
    pub(crate) fn open_own_dir(&self) -> io::Result<OwnedFd> {
        Ok(open_file(
            self.graph,
            &self.node.name,
            OFlags::RDONLY | OFlags::DIRECTORY,
        )?)
    }

    /// Whether a process is left in the cgroup or below it.
    pub(crate) fn populated(&self) -> io::Result<bool> {
        match &self.node.events {
            Some(events) => populated_of(events),
            None => populated_of(&self.open(c"cgroup.events", OFlags::RDONLY)?),
        }
    }

    /// Writes `1` to `cgroup.kill`: SIGKILL to every process in the cgroup
    /// and below it, forks racing with it included (Linux 5.14).
    pub(crate) fn kill(&self) -> io::Result<()> {
        let kill = self.open(c"cgroup.kill", OFlags::WRONLY)?;
        self.node.killed.store(true, Ordering::Relaxed);
        rustix::io::write(&kill, b"1")?;
        Ok(())
    }

    /// Whether `cgroup.kill` was ever written (or tried).
    pub(crate) fn was_killed(&self) -> bool {
        self.node.killed.load(Ordering::Relaxed)
    }

    /// How many processes are in the cgroup the node's processes run in
    /// (`cgroup.procs`).
    pub(crate) fn process_count(&self) -> io::Result<usize> {
        Ok(self.pids()?.len())
    }

    /// The processes in the cgroup the node's processes run in (this one or
    /// its leaf; `cgroup.procs`), as pids of the application's namespace.
    pub(crate) fn pids(&self) -> io::Result<Vec<rustix::process::Pid>> {
        let path = path_below(&self.node.process_dir()?, b"cgroup.procs")?;
        let procs = read_file(open_file(self.graph, &path, OFlags::RDONLY)?)?;
        Ok(procs
            .lines()
            .filter_map(|l| rustix::process::Pid::from_raw(l.parse().ok()?))
            .collect())
    }

    /// How many processes of the cgroup the OOM killer has killed
    /// (`memory.events`, `oom_kill`); `None` without the memory controller.
    pub(crate) fn oom_kills(&self) -> Option<u64> {
        let events = self.open(c"memory.events", OFlags::RDONLY).ok()?;
        super::handle::oom_kills_in(&read_file(events).ok()?)
    }

    /// Writes `limits` into the cgroup.
    pub(super) fn write_limits(&self, limits: Limits) -> io::Result<()> {
        for (_, file, value) in limits.files() {
            write_file(self.open(&CString::new(file)?, OFlags::WRONLY)?, &value)?;
        }
        Ok(())
    }
}

/// `dir/name`: a path below the graph's cgroup.
pub(super) fn path_below(dir: &CStr, name: &[u8]) -> io::Result<CString> {
    let mut path = dir.to_bytes().to_vec();
    path.push(b'/');
    path.extend_from_slice(name);
    Ok(CString::new(path)?)
}
