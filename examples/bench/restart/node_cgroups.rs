//! The raw loop's cgroups, made as process-graph makes a graph's where it
//! may: one for the loop (the graph's), and inside it one per child, the
//! restarted one and each sibling. Like the runtime, no fd is held per
//! child: a child's directory is opened just before its
//! `clone3(CLONE_INTO_CGROUP)` and closed after it, and after each reap its
//! `cgroup.events` is opened, read and closed to learn that the cgroup is
//! empty — what the runtime does so that a node is over only when nothing
//! of it is left.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{AtFlags, Mode, OFlags, mkdirat, openat, unlinkat};

use crate::cgroups::{ScratchCgroup, own_cgroup_dir};

pub struct NodeCgroups {
    graph: ScratchCgroup,
    /// The children's cgroups, by index, in `graph`.
    names: Vec<CString>,
}

impl NodeCgroups {
    /// The loop's cgroup, `name` in the bench's own; fails where this
    /// process may not create cgroups.
    pub fn create_named(name: &str) -> io::Result<NodeCgroups> {
        let own = own_cgroup_dir().map_err(|e| io::Error::other(e.to_string()))?;
        Ok(NodeCgroups {
            graph: ScratchCgroup::create(&own, name)?,
            names: Vec::new(),
        })
    }

    /// Makes the next child's cgroup; returns its index.
    pub fn add(&mut self) -> io::Result<usize> {
        let name = CString::new(format!("child-{}", self.names.len()))?;
        mkdirat(&self.graph.dir, name.as_c_str(), Mode::from_raw_mode(0o755))?;
        self.names.push(name);
        Ok(self.names.len() - 1)
    }

    /// Child `index`'s cgroup directory, for `CLONE_INTO_CGROUP`.
    pub fn open_dir(&self, index: usize) -> io::Result<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        Ok(openat(
            &self.graph.dir,
            self.names[index].as_c_str(),
            flags,
            Mode::empty(),
        )?)
    }

    /// Whether child `index`'s cgroup is empty: `populated 0` in its
    /// `cgroup.events`.
    pub fn is_empty(&self, index: usize) -> io::Result<bool> {
        let mut path = self.names[index].as_bytes().to_vec();
        path.extend_from_slice(b"/cgroup.events");
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let events = openat(&self.graph.dir, CString::new(path)?, flags, Mode::empty())?;
        let mut text = [0u8; 128];
        let len = rustix::io::pread(&events, &mut text, 0)?;
        Ok(text[..len].starts_with(b"populated 0\n"))
    }
}

impl Drop for NodeCgroups {
    /// Removes the children's cgroups (empty by now: the loop's own `Drop`
    /// has killed and reaped its children), then `graph` goes.
    fn drop(&mut self) {
        for name in &self.names {
            let _ = unlinkat(self.graph.dir.as_fd(), name.as_c_str(), AtFlags::REMOVEDIR);
        }
    }
}
