//! A name in a directory held open, for the files the runtime makes on the
//! application's behalf and later renames, recreates or removes (a rotating
//! log, a unix socket's file).
//!
//! A node may be able to write such a directory (a service user's own log
//! or run directory), and so swap what a path leads to between two of the
//! application's steps: put a symbolic link at the name, or move the
//! directory away and put a link to another one in its place. Looked up by
//! path again, the application, often root, would then write, create or
//! remove a file of the node's choosing. So the directory is opened once,
//! when the file is first made, and every later step names the file
//! relative to it (`renameat`, `openat`, `unlinkat`): whatever the node
//! does, the application only ever touches entries of that one directory,
//! which the node could change itself.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

/// The directory of a path, held open (`O_PATH`, high in the fd table: it
/// lives as long as its file), and the file's name in it.
#[derive(Debug)]
pub(crate) struct DirEntry {
    directory: OwnedFd,
    name: OsString,
}

impl DirEntry {
    /// Opens the directory `path` names a file in (the current directory
    /// for a bare name). Fails for a path that names no file (`/`, `..`).
    pub(crate) fn of(path: &Path) -> io::Result<DirEntry> {
        let at = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let name = path
            .file_name()
            .ok_or_else(|| at(io::Error::new(io::ErrorKind::InvalidInput, "names no file")))?;
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let directory = rustix::fs::open(parent, flags, Mode::empty()).map_err(|e| at(e.into()))?;
        Ok(DirEntry {
            directory: crate::sys::held_high(directory),
            name: name.to_owned(),
        })
    }

    /// The directory, for the `*at` calls.
    pub(crate) fn directory(&self) -> &OwnedFd {
        &self.directory
    }

    /// The file's name in it.
    pub(crate) fn name(&self) -> &OsStr {
        &self.name
    }

    /// The file's name with `.suffix` appended (a rotated log's).
    pub(crate) fn name_with(&self, suffix: impl std::fmt::Display) -> OsString {
        let mut name = self.name.clone();
        name.push(format!(".{suffix}"));
        name
    }

    /// Runs `f` with the held directory as its working directory, on a
    /// thread of its own whose working directory is its own
    /// (`unshare(CLONE_FS)`), so `f` may name the entry relative to it
    /// ([`name`](Self::name)) where no `*at` call exists, as for `bind`.
    /// The outer `Err`: no such thread could be had (a thread limit, a
    /// seccomp profile that denies `unshare`); see
    /// [`through_proc`](Self::through_proc).
    pub(crate) fn within<T: Send>(
        &self,
        f: impl FnOnce(&OsStr) -> io::Result<T> + Send,
    ) -> io::Result<io::Result<T>> {
        std::thread::scope(|threads| {
            let thread = std::thread::Builder::new().spawn_scoped(threads, || {
                // SAFETY: CLONE_FS unshares the working directory, root and
                // umask alone; no fd table is unshared.
                unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::FS) }?;
                rustix::process::fchdir(&self.directory)?;
                Ok(f(&self.name))
            })?;
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// A path to the entry through the held directory's fd in
    /// `/proc/self/fd`, which leads to that directory whatever happened to
    /// the path it was opened by; needs `/proc`.
    pub(crate) fn through_proc(&self) -> PathBuf {
        let mut path = PathBuf::from(format!("/proc/self/fd/{}", self.directory.as_raw_fd()));
        path.push(&self.name);
        path
    }

    /// Removes the entry (never what a link there points to).
    pub(crate) fn remove(&self) -> io::Result<()> {
        let flags = rustix::fs::AtFlags::empty();
        Ok(rustix::fs::unlinkat(&self.directory, &self.name, flags)?)
    }
}
