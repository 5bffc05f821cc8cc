//! The rotating-file sink: lines appended to a file that, before it would
//! grow past its size limit, is renamed to `NAME.1` (`NAME.1` to `NAME.2`,
//! and so on, the oldest beyond `keep` removed) and started anew, as
//! logrotate does without `copytruncate` and as s6-log does.
//!
//! A line is never split across files: rotation happens only between
//! lines, so a file outgrows the limit only by a single line longer than it.
//! The pieces of a line longer than the output buffer stay in one file too.
//!
//! Rotation never blocks the node: the file is written by the graph's
//! output thread, never by the node. When a write fails on a full disk
//! (ENOSPC, or EDQUOT for a quota), the file is cut back to its last whole
//! line and rotated at once, which removes the oldest file if `keep` are
//! there already, and the write is tried once more. If that fails too, the
//! batch is dropped whole and its lines counted; the next write that
//! succeeds is preceded by one line saying how many lines were lost and
//! why (`process-graph: 42 lines lost: No space left on device (os error
//! 28)`). Meanwhile the node runs on: its output is read and dropped rather
//! than left to fill its pipe. Any other write error is handled the same
//! way, without the early rotation.
//!
//! A node may be able to write the log's directory (a service user's own
//! log directory), and so put a symbolic link, a hard link or a FIFO at the
//! log's name between a rotation's rename and the new file's creation. So
//! every name is looked up in the directory held since the first open
//! ([`DirEntry`]), and a new file is made with `O_CREAT | O_EXCL |
//! O_NOFOLLOW | O_NONBLOCK`, which creates a regular file or fails without
//! blocking; where something else took the name, it is removed (`unlinkat`
//! follows nothing) and the creation tried once more, and if that fails
//! too the lines go on into the file just renamed until the next rotation.
//! The file first opened must be a regular file with a single link, as
//! logrotate requires by default: a symbolic link, a hard link or a FIFO
//! at the name is refused, not followed. With `keep` 0 the file is cut to
//! nothing in place, no name involved, and so it is where the rename fails
//! (a directory a node made at `NAME.1`): the size limit always holds.

use std::fs::File;
use std::io::{self, Write as _};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use super::{Line, LineEnd, Stream, Write};
use crate::dir_entry::DirEntry;

/// A file a node's output goes to, rotated by size, for
/// [`Sink::File`](crate::Sink::File).
///
/// The file must be a regular file with a single link, or not exist yet: a
/// symbolic link, a hard link or a FIFO at its name is refused when the
/// sink is opened (at `spawn` or `add`), not followed. Its directory is
/// opened then, and every rotation looks names up in it alone and creates
/// each new file with `O_EXCL | O_NOFOLLOW`, so a node that may write that
/// directory cannot make the application write through a link it puts
/// there, nor block it on a FIFO; where the file cannot be renamed (a
/// directory at `NAME.1`), it is cut to nothing in place, so `max_bytes`
/// always holds.
///
/// ```
/// use process_graph_runtime::RotatingFile;
///
/// // app.log, then app.log.1 … app.log.3; each at most 1 MiB.
/// let log = RotatingFile::new("/var/log/app.log").max_bytes(1 << 20).keep(3);
/// assert_eq!(log.path().to_str(), Some("/var/log/app.log"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
}

impl RotatingFile {
    /// Appends to `path` (created if missing, mode 0644 less the umask),
    /// at most 10 MiB per file, keeping 5 rotated files.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, RotatingFile, Sink, Stdio};
    ///
    /// let log = std::env::temp_dir().join(format!("process-graph-doc-new-{}.log", std::process::id()));
    /// let mut graph = Graph::new();
    /// let file = Sink::file(RotatingFile::new(&log));
    /// graph.node("app", Command::new("echo").arg("hello").stdout(Stdio::Sink(file)));
    /// graph.spawn()?.wait()?;
    /// assert_eq!(std::fs::read_to_string(&log)?, "hello\n");
    /// # std::fs::remove_file(&log)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(path: impl AsRef<Path>) -> RotatingFile {
        RotatingFile {
            path: path.as_ref().to_owned(),
            max_bytes: 10 << 20,
            keep: 5,
        }
    }

    /// The size a file may reach before the next line goes to a new one.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, RotatingFile, Sink, Stdio};
    ///
    /// let log = std::env::temp_dir().join(format!("process-graph-doc-max-{}.log", std::process::id()));
    /// let mut graph = Graph::new();
    /// let file = Sink::file(RotatingFile::new(&log).max_bytes(100));
    /// graph.node("app", Command::new("seq").arg("100").stdout(Stdio::Sink(file))); // 292 bytes
    /// graph.spawn()?.wait()?;
    /// assert!(std::fs::metadata(&log)?.len() <= 100);
    /// assert!(log.with_extension("log.1").exists()); // the lines before
    /// # for n in ["", ".1", ".2", ".3", ".4", ".5"] { let _ = std::fs::remove_file(format!("{}{n}", log.display())); }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_bytes(mut self, bytes: u64) -> RotatingFile {
        self.max_bytes = bytes;
        self
    }

    /// How many rotated files (`NAME.1` … `NAME.N`) are kept; 0 keeps none.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, RotatingFile, Sink, Stdio};
    ///
    /// let log = std::env::temp_dir().join(format!("process-graph-doc-keep-{}.log", std::process::id()));
    /// let mut graph = Graph::new();
    /// let file = Sink::file(RotatingFile::new(&log).max_bytes(50).keep(2));
    /// graph.node("app", Command::new("seq").arg("100").stdout(Stdio::Sink(file))); // 292 bytes
    /// graph.spawn()?.wait()?;
    /// assert!(log.with_extension("log.2").exists());
    /// assert!(!log.with_extension("log.3").exists()); // older lines are gone
    /// # for n in ["", ".1", ".2"] { std::fs::remove_file(format!("{}{n}", log.display()))?; }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep(mut self, files: u32) -> RotatingFile {
        self.keep = files;
        self
    }

    /// The file written to now.
    ///
    /// ```
    /// use std::path::Path;
    /// use process_graph_runtime::RotatingFile;
    ///
    /// let log = RotatingFile::new("/var/log/app.log").keep(3);
    /// assert_eq!(log.path(), Path::new("/var/log/app.log")); // then app.log.1 … app.log.3
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file for appending, and its directory for the rotations.
    /// Refuses a log name that is not a regular file with one link.
    pub(crate) fn open(&self) -> io::Result<Rotating> {
        let refused = |why: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: {why}", self.path.display()),
            )
        };
        let in_place = |e: rustix::io::Errno| {
            io::Error::new(e.kind(), format!("{}: {e}", self.path.display()))
        };
        let entry = DirEntry::of(&self.path)?;
        let file = match append_at(&entry, OFlags::empty()) {
            Err(rustix::io::Errno::LOOP) => return Err(refused("a symbolic link, not followed")),
            Err(rustix::io::Errno::NXIO) => return Err(refused("a FIFO or a socket, not a file")),
            opened => opened.map_err(in_place)?,
        };
        let stat = rustix::fs::fstat(&file).map_err(in_place)?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Err(refused("not a regular file"));
        }
        if stat.st_nlink != 1 {
            return Err(refused("a file with more than one link (a hard link)"));
        }
        Ok(Rotating {
            config: self.clone(),
            entry,
            file: blocking(file)?,
            size: stat.st_size as u64,
            batch: Vec::new(),
            lines: 0,
            mid_line: None,
            cut: Vec::new(),
            lost: None,
        })
    }
}

/// Opens the log's entry for appending, creating it (mode 0644 less the
/// umask), never through a symbolic link; with `O_NONBLOCK`, so that a
/// FIFO there fails the open (`ENXIO`) instead of blocking it. `extra`:
/// `O_EXCL` where the file must be new.
fn append_at(entry: &DirEntry, extra: OFlags) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::WRONLY
        | OFlags::APPEND
        | OFlags::CREATE
        | OFlags::NOFOLLOW
        | OFlags::NONBLOCK
        | OFlags::CLOEXEC
        | extra;
    rustix::fs::openat(
        entry.directory(),
        entry.name(),
        flags,
        Mode::from_raw_mode(0o644),
    )
}

/// The regular file opened by [`append_at`], held high, with `O_NONBLOCK`
/// taken back off.
fn blocking(file: OwnedFd) -> io::Result<File> {
    rustix::fs::fcntl_setfl(&file, OFlags::APPEND)?;
    Ok(File::from(crate::sys::held_high(file)))
}

/// An open rotating file, on the output thread.
pub(crate) struct Rotating {
    config: RotatingFile,
    /// The file's name in the directory it was first opened in, where
    /// every rotation looks names up.
    entry: DirEntry,
    file: File,
    /// The bytes in `file`.
    size: u64,
    /// Lines not written yet, and how many.
    batch: Vec<u8>,
    lines: u64,
    /// The stream whose cut line (`LineEnd::Continued`) the file ends in
    /// the middle of, if any: an index into `cut`.
    mid_line: Option<usize>,
    /// The streams writing here whose line was cut and has not ended: it
    /// goes on in their next pieces, and no rotation comes before it ends.
    /// A file may take several streams (a node's stdout and stderr, or
    /// several nodes').
    cut: Vec<Source>,
    /// Lines lost to failed writes since the last success, and the error.
    lost: Option<(u64, io::Error)>,
}

impl Rotating {
    /// Renames the file away and starts a new one. With `keep` 0, or where
    /// the file cannot be renamed, cuts it to nothing in place instead;
    /// where no new file can be made, writing goes on in the renamed one.
    fn rotate(&mut self) {
        if self.config.keep == 0 {
            return self.cut();
        }
        let dir = self.entry.directory();
        // A rotated file missing in the middle is no failure.
        for n in (1..self.config.keep).rev() {
            let (from, to) = (self.entry.name_with(n), self.entry.name_with(n + 1));
            let _ = rustix::fs::renameat(dir, from, dir, to);
        }
        if rustix::fs::renameat(dir, self.entry.name(), dir, self.entry.name_with(1)).is_err() {
            // Something at `NAME.1` takes no file (a directory a node made
            // there): the size limit holds all the same.
            return self.cut();
        }
        if let Some(file) = self.create() {
            self.file = file;
            self.size = 0;
        }
    }

    /// Cuts the file to nothing in place.
    fn cut(&mut self) {
        if self.file.set_len(0).is_ok() {
            self.size = 0;
        }
    }

    /// A new file at the log's name, just renamed away. Whatever took the
    /// name since (a link or a FIFO a node put there; a hard link to the
    /// file renamed, which makes the rename do nothing) is removed, once.
    fn create(&self) -> Option<File> {
        let new = || append_at(&self.entry, OFlags::EXCL);
        let file = match new() {
            Err(rustix::io::Errno::EXIST) => {
                let _ = self.entry.remove();
                new()
            }
            created => created,
        };
        blocking(file.ok()?).ok()
    }
}

/// A stream writing to a file: its node's name and which stream.
type Source = (String, Stream);

fn is(source: &Source, line: &Line<'_>) -> bool {
    source.0 == line.node && source.1 == line.stream
}

impl Write for Rotating {
    fn line(&mut self, line: &Line<'_>) {
        // Another stream's line while the file ends in the middle of a cut
        // one: that piece ends here, so that the two lines are not merged,
        // and its line goes on below, on a line of its own.
        if self.mid_line.is_some_and(|open| !is(&self.cut[open], line)) {
            self.batch.push(b'\n');
            self.mid_line = None;
        }
        let newline = line.end != LineEnd::Continued;
        let len = (line.text.len() + usize::from(newline)) as u64;
        let held = self.size + self.batch.len() as u64;
        if self.cut.is_empty() && held > 0 && held + len > self.config.max_bytes {
            self.flush();
            self.rotate();
        }
        self.batch.extend_from_slice(line.text);
        if newline {
            self.batch.push(b'\n');
            self.lines += 1;
            self.cut.retain(|source| !is(source, line));
            self.mid_line = None;
        } else {
            let open = match self.cut.iter().position(|source| is(source, line)) {
                Some(open) => open,
                None => {
                    self.cut.push((line.node.to_owned(), line.stream));
                    self.cut.len() - 1
                }
            };
            self.mid_line = Some(open);
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut written = self.write_batch();
        // A full disk: rotating early removes the oldest file (when `keep`
        // files exist already) and may make room.
        if let Err(e) = &written
            && matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
            && self.size > 0
        {
            self.rotate();
            written = self.write_batch();
        }
        match written {
            Ok(()) => self.lost = None,
            Err(error) => {
                let lost = self.lost.take().map_or(0, |(n, _)| n) + self.lines;
                self.lost = Some((lost, error));
            }
        }
        self.lines = 0;
        self.batch.clear();
    }
}

impl Rotating {
    /// Writes the batch, after a line counting the lines lost before it if
    /// any were. On failure, cuts the file back to its last whole line: no
    /// line is split, not even by a disk that filled up in the middle of it.
    fn write_batch(&mut self) -> io::Result<()> {
        let notice = self
            .lost
            .as_ref()
            .map(|(lines, error)| format!("process-graph: {lines} lines lost: {error}\n"));
        let before = self.size;
        let mut write = |bytes: &[u8]| {
            self.file.write_all(bytes)?;
            self.size += bytes.len() as u64;
            Ok::<(), io::Error>(())
        };
        let written = notice
            .as_deref()
            .map_or(Ok(()), |n| write(n.as_bytes()))
            .and_then(|()| write(&self.batch));
        if written.is_err() {
            let _ = self.file.set_len(before);
            self.size = before;
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Stream;

    fn line(text: &[u8]) -> Line<'_> {
        Line {
            node: "n",
            stream: Stream::Stdout,
            text,
            end: LineEnd::Newline,
            continuation: false,
        }
    }

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pg-rotate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn files_rotate_between_lines_and_keep_n() {
        let dir = dir("keep");
        let config = RotatingFile::new(dir.join("log")).max_bytes(10).keep(2);
        let mut file = config.open().unwrap();
        for text in [b"aaaa", b"bbbb", b"cccc", b"dddd", b"eeee"] {
            file.line(&line(text));
            file.flush();
        }
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(read("log"), "eeee\n");
        assert_eq!(read("log.1"), "cccc\ndddd\n");
        assert_eq!(read("log.2"), "aaaa\nbbbb\n");
        assert!(!dir.join("log.3").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_line_longer_than_the_limit_gets_a_file_of_its_own() {
        let dir = dir("long");
        let config = RotatingFile::new(dir.join("log")).max_bytes(4).keep(1);
        let mut file = config.open().unwrap();
        file.line(&line(b"0123456789"));
        file.line(&line(b"x"));
        file.flush();
        assert_eq!(
            std::fs::read_to_string(dir.join("log.1")).unwrap(),
            "0123456789\n"
        );
        assert_eq!(std::fs::read_to_string(dir.join("log")).unwrap(), "x\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keep_0_cuts_the_file_in_place() {
        let dir = dir("keep0");
        let config = RotatingFile::new(dir.join("log")).max_bytes(6).keep(0);
        let mut file = config.open().unwrap();
        for text in [b"aaaa", b"bbbb"] {
            file.line(&line(text));
            file.flush();
        }
        assert_eq!(std::fs::read_to_string(dir.join("log")).unwrap(), "bbbb\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_cannot_be_renamed_is_cut_in_place() {
        let dir = dir("blocked");
        std::fs::create_dir_all(dir.join("log.1/x")).unwrap();
        let config = RotatingFile::new(dir.join("log")).max_bytes(6).keep(1);
        let mut file = config.open().unwrap();
        for text in [b"aaaa", b"bbbb", b"cccc"] {
            file.line(&line(text));
            file.flush();
        }
        assert_eq!(std::fs::read_to_string(dir.join("log")).unwrap(), "cccc\n");
        assert!(dir.join("log.1/x").is_dir());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_log_name_that_is_no_single_regular_file_is_refused() {
        let dir = dir("refused");
        let target = dir.join("target");
        std::fs::write(&target, "kept\n").unwrap();
        std::os::unix::fs::symlink(&target, dir.join("symlink")).unwrap();
        std::os::unix::fs::symlink(dir.join("missing"), dir.join("dangling")).unwrap();
        std::fs::hard_link(&target, dir.join("hardlink")).unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            dir.join("fifo"),
            Mode::from_raw_mode(0o600),
        )
        .unwrap();
        std::fs::create_dir(dir.join("directory")).unwrap();
        for (name, why) in [
            ("symlink", "a symbolic link"),
            ("dangling", "a symbolic link"),
            ("hardlink", "more than one link"),
            // Without a reader: had the open blocked, this test would hang.
            ("fifo", "a FIFO"),
            ("directory", "Is a directory"),
        ] {
            let error = RotatingFile::new(dir.join(name)).open().err();
            let text = error.map(|e| e.to_string()).unwrap_or_default();
            assert!(text.contains(why), "{name}: {text:?}");
            assert!(text.contains(name), "{name}: {text:?}");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
        assert!(!dir.join("missing").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rotations_look_names_up_in_the_first_directory_and_follow_no_link() {
        let dir = dir("moved");
        let logs = dir.join("logs");
        std::fs::create_dir(&logs).unwrap();
        let config = RotatingFile::new(logs.join("log")).max_bytes(6).keep(1);
        let mut file = config.open().unwrap();
        file.line(&line(b"aaaa"));
        file.flush();
        // The directory moves away, and a link to elsewhere takes its name;
        // then the file's own name becomes a link to a file kept elsewhere.
        std::fs::rename(&logs, dir.join("moved")).unwrap();
        std::fs::create_dir(dir.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere"), &logs).unwrap();
        let kept = dir.join("kept");
        std::fs::write(&kept, "kept\n").unwrap();
        std::fs::rename(dir.join("moved/log"), dir.join("moved/old")).unwrap();
        std::os::unix::fs::symlink(&kept, dir.join("moved/log")).unwrap();
        file.line(&line(b"bbbb"));
        file.flush();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(read("moved/log"), "bbbb\n");
        assert!(dir.join("moved/log.1").is_symlink());
        assert_eq!(read("moved/old"), "aaaa\n");
        assert_eq!(read("kept"), "kept\n");
        assert_eq!(std::fs::read_dir(dir.join("elsewhere")).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
