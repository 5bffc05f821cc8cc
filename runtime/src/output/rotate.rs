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

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::{Line, LineEnd, Write};

/// A file a node's output goes to, rotated by size, for
/// [`Sink::File`](crate::Sink::File).
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

    /// Opens the file for appending.
    pub(crate) fn open(&self) -> io::Result<Rotating> {
        let file = append(&self.path)?;
        let size = file.metadata()?.len();
        Ok(Rotating {
            config: self.clone(),
            file,
            size,
            batch: Vec::new(),
            lines: 0,
            in_cut_line: false,
            lost: None,
        })
    }

    /// The name of the `n`th rotated file.
    fn rotated(&self, n: u32) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// An open rotating file, on the output thread.
pub(crate) struct Rotating {
    config: RotatingFile,
    file: File,
    /// The bytes in `file`.
    size: u64,
    /// Lines not written yet, and how many.
    batch: Vec<u8>,
    lines: u64,
    /// Whether the last line taken was cut (`LineEnd::Continued`).
    in_cut_line: bool,
    /// Lines lost to failed writes since the last success, and the error.
    lost: Option<(u64, io::Error)>,
}

impl Rotating {
    /// Renames the file away and starts a new one. On failure, writing
    /// goes on in the file as it is.
    fn rotate(&mut self) {
        let c = &self.config;
        let renamed = if c.keep == 0 {
            std::fs::remove_file(&c.path)
        } else {
            // A rotated file missing in the middle is no failure.
            for n in (1..c.keep).rev() {
                let _ = std::fs::rename(c.rotated(n), c.rotated(n + 1));
            }
            std::fs::rename(&c.path, c.rotated(1))
        };
        if renamed.is_ok()
            && let Ok(file) = append(&c.path)
        {
            self.file = file;
            self.size = 0;
        }
    }
}

impl Write for Rotating {
    fn line(&mut self, line: &Line<'_>) {
        let newline = line.end != LineEnd::Continued;
        let len = (line.text.len() + usize::from(newline)) as u64;
        let held = self.size + self.batch.len() as u64;
        if !self.in_cut_line && held > 0 && held + len > self.config.max_bytes {
            self.flush();
            self.rotate();
        }
        self.batch.extend_from_slice(line.text);
        if newline {
            self.batch.push(b'\n');
            self.lines += 1;
        }
        self.in_cut_line = !newline;
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
}
