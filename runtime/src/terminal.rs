//! A node on a pseudo-terminal (`Stdio::Terminal`, `Command::terminal`):
//! the node's stdin, stdout and stderr are the slave end, its controlling
//! terminal, in a session of its own; the application holds the master end
//! as a [`Terminal`].
//!
//! Why a terminal of its own: every node runs in a session of its own (so
//! that it can be signalled and killed as a whole, and cannot take the
//! application's terminal), so the application's terminal is not its
//! controlling terminal, and it never receives the Ctrl-C typed there: the
//! kernel sends that SIGINT to the foreground group, the application's.
//! A node that must be interactive gets a terminal of its own instead: what
//! the application writes to the master is typed into it, with the line
//! discipline applied (`\x03` is Ctrl-C: SIGINT to the node's foreground
//! group), and [`Terminal::attach`] connects the application's own terminal
//! to it.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use rustix::pty::{OpenptFlags, grantpt, ioctl_tiocgptpeer, openpt, unlockpt};
use rustix::termios::{OptionalActions, Winsize, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize};

/// A terminal's size in character cells.
///
/// ```
/// use process_graph_runtime::{Command, Graph, WindowSize};
///
/// let mut graph = Graph::new();
/// let cat = graph.node("cat", Command::new("cat").terminal());
/// let mut running = graph.spawn()?;
/// let terminal = running.take_terminal(cat).unwrap();
/// // A new terminal has no size until the application gives it one.
/// assert_eq!(terminal.window_size()?, WindowSize { rows: 0, cols: 0 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSize {
    /// Lines.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

/// How [`Terminal::attach`] ended.
///
/// ```no_run
/// use process_graph_runtime::{Command, Detached, Graph};
///
/// let mut graph = Graph::new();
/// let shell = graph.node("shell", Command::new("bash").arg("-i").terminal());
/// let mut running = graph.spawn()?;
/// let mut terminal = running.take_terminal(shell).unwrap();
/// match terminal.attach(0x1d)? {
///     Detached::Key => println!("detached; the shell runs on"),
///     Detached::Closed => println!("the shell exited"),
///     Detached::InputClosed => println!("our stdin ended"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detached {
    /// The detach key was typed.
    Key,
    /// The node's side of the terminal closed: every process on it ended.
    Closed,
    /// The application's stdin reached its end.
    InputClosed,
}

/// The application's end (the master) of a node's pseudo-terminal.
///
/// What is written to it is what the node reads from its terminal, as if
/// typed; what the node writes to its terminal is read from it. Reading
/// returns `Ok(0)` while no process has the node's end open (the node
/// exited and has not started again), where Linux reports EIO.
///
/// ```no_run
/// use std::io::{Read, Write};
/// use process_graph_runtime::{Command, Graph, WindowSize};
///
/// let mut graph = Graph::new();
/// let shell = graph.node("shell", Command::new("bash").args(["--norc", "-i"]).terminal());
/// let mut running = graph.spawn()?;
/// let mut terminal = running.take_terminal(shell).unwrap();
/// terminal.set_window_size(WindowSize { rows: 40, cols: 120 })?;
/// terminal.write_all(b"echo $COLUMNS; exit\n")?;
/// let mut screen = String::new();
/// terminal.read_to_string(&mut screen)?;
/// assert!(screen.contains("120"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Terminal {
    master: File,
}

impl Terminal {
    /// Opens a new pseudo-terminal: the application's end, and a copy of
    /// it from which the node's end is opened at each start.
    pub(crate) fn open() -> io::Result<(Terminal, OwnedFd)> {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        // The runtime's copy, held as long as the node: above the fds
        // spawns copy.
        let copy = crate::sys::held_high(master.try_clone()?);
        Ok((
            Terminal {
                master: File::from(master),
            },
            copy,
        ))
    }

    /// The node's end of the terminal `master`, opened anew (`TIOCGPTPEER`:
    /// no path lookup, so no race with another `/dev/pts` entry).
    pub(crate) fn open_node_end(master: &OwnedFd) -> io::Result<OwnedFd> {
        Ok(ioctl_tiocgptpeer(
            master,
            OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC,
        )?)
    }

    /// The terminal's size (`TIOCGWINSZ`).
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, WindowSize};
    ///
    /// let mut graph = Graph::new();
    /// let pager = graph.node("pager", Command::new("cat").terminal());
    /// let mut running = graph.spawn()?;
    /// let terminal = running.take_terminal(pager).unwrap();
    /// terminal.set_window_size(WindowSize { rows: 24, cols: 80 })?;
    /// assert_eq!(terminal.window_size()?, WindowSize { rows: 24, cols: 80 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn window_size(&self) -> io::Result<WindowSize> {
        let size = tcgetwinsize(&self.master)?;
        Ok(WindowSize {
            rows: size.ws_row,
            cols: size.ws_col,
        })
    }

    /// Resizes the terminal (`TIOCSWINSZ`); the node's foreground process
    /// group gets SIGWINCH.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use process_graph_runtime::{Command, Graph, WindowSize};
    ///
    /// let mut graph = Graph::new();
    /// // Waits for a line, then prints its terminal's size as it sees it.
    /// let shell = Command::new("sh").args(["-c", "read _; stty size"]).terminal();
    /// let shell = graph.node("shell", shell);
    /// let mut running = graph.spawn()?;
    /// let mut terminal = running.take_terminal(shell).unwrap();
    /// terminal.set_window_size(WindowSize { rows: 40, cols: 120 })?;
    /// terminal.write_all(b"\n")?;
    /// let mut screen = String::new();
    /// terminal.read_to_string(&mut screen)?;
    /// assert!(screen.contains("40 120"), "{screen:?}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_window_size(&self, size: WindowSize) -> io::Result<()> {
        let winsize = Winsize {
            ws_row: size.rows,
            ws_col: size.cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        Ok(tcsetwinsize(&self.master, winsize)?)
    }

    /// Connects the application's own terminal to the node's until `detach`
    /// is typed (`0x1d` is Ctrl-]), the node's terminal closes, or stdin
    /// ends.
    ///
    /// For that time the application's terminal (its stdin) is in raw mode,
    /// so every key goes to the node as it is typed — Ctrl-C included, which
    /// then interrupts the node and not the application — and the node's
    /// terminal takes the application's window size. The mode is restored
    /// when this returns, on an error too. Fails with ENOTTY if stdin is not
    /// a terminal. What the node's terminal does not take at once (a node
    /// that does not read it) waits here, up to 64 KiB, beyond which keys
    /// are dropped: the detach key is always seen. What still waits when
    /// this returns is dropped too.
    ///
    /// ```no_run
    /// use process_graph_runtime::{Command, Graph};
    ///
    /// let mut graph = Graph::new();
    /// let repl = graph.node("repl", Command::new("python3").arg("-i").terminal());
    /// let mut running = graph.spawn()?;
    /// let mut terminal = running.take_terminal(repl).unwrap();
    /// println!("attached to python3; Ctrl-] comes back");
    /// let how = terminal.attach(0x1d)?; // blocks while the user types into the REPL
    /// println!("back ({how:?})");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attach(&mut self, detach: u8) -> io::Result<Detached> {
        let stdin = io::stdin();
        let stdout = io::stdout();
        let _raw = RawMode::enter(stdin.as_fd())?;
        // Written to only as far as it takes: a node that does not read its
        // terminal must not hold us in a write, deaf to the detach key.
        let _nonblocking = NonBlocking::set(self.master.as_fd())?;
        if let Ok(size) = tcgetwinsize(stdout.as_fd()) {
            let _ = tcsetwinsize(&self.master, size);
        }
        let mut buf = [0u8; 4096];
        // Typed, not yet taken by the node's terminal.
        let mut pending = Vec::new();
        loop {
            let to_node = match pending.is_empty() {
                true => PollFlags::IN,
                false => PollFlags::IN | PollFlags::OUT,
            };
            let mut fds = [
                PollFd::new(&stdin, PollFlags::IN),
                PollFd::new(&self.master, to_node),
            ];
            match poll(&mut fds, None) {
                Err(rustix::io::Errno::INTR) => continue,
                other => other?,
            };
            let (typed, node) = (fds[0].revents(), fds[1].revents());
            if node.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) {
                match read_master(&self.master, &mut buf) {
                    Ok(0) => return Ok(Detached::Closed),
                    Ok(n) => {
                        let mut out = stdout.lock();
                        out.write_all(&buf[..n])?;
                        out.flush()?;
                    }
                    Err(e)
                        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                    Err(e) => return Err(e),
                }
            }
            if node.contains(PollFlags::OUT) {
                self.write_some(&mut pending)?;
            }
            if !typed.is_empty() {
                let n = rustix::io::read(&stdin, &mut buf)?;
                if n == 0 {
                    return Ok(Detached::InputClosed);
                }
                let detached = buf[..n].iter().position(|&b| b == detach);
                let keys = &buf[..detached.unwrap_or(n)];
                // Past that, keys are dropped, as a full terminal drops them.
                let room = PENDING_MAX.saturating_sub(pending.len());
                pending.extend_from_slice(&keys[..keys.len().min(room)]);
                self.write_some(&mut pending)?;
                if detached.is_some() {
                    return Ok(Detached::Key);
                }
            }
        }
    }

    /// Writes what of `pending` the node's terminal takes now (the master
    /// is non-blocking while attached), and keeps the rest.
    fn write_some(&self, pending: &mut Vec<u8>) -> io::Result<()> {
        match rustix::io::write(&self.master, pending) {
            Ok(n) => {
                pending.drain(..n);
                Ok(())
            }
            Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

impl Read for Terminal {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_master(&self.master, buf)
    }
}

/// Reads what the node's terminal shows: EOF once no process has the
/// node's end open (the master then says `EIO`).
fn read_master(mut master: &File, buf: &mut [u8]) -> io::Result<usize> {
    match master.read(buf) {
        Err(e) if e.raw_os_error() == Some(libc::EIO) => Ok(0),
        other => other,
    }
}

impl Write for Terminal {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.master.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.master.flush()
    }
}

impl AsFd for Terminal {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.master.as_fd()
    }
}

/// A terminal in raw mode until dropped, when its mode is restored.
struct RawMode<'a> {
    fd: BorrowedFd<'a>,
    saved: rustix::termios::Termios,
}

impl<'a> RawMode<'a> {
    fn enter(fd: BorrowedFd<'a>) -> io::Result<RawMode<'a>> {
        let saved = tcgetattr(fd)?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(fd, OptionalActions::Now, &raw)?;
        Ok(RawMode { fd, saved })
    }
}

impl Drop for RawMode<'_> {
    fn drop(&mut self) {
        let _ = tcsetattr(self.fd, OptionalActions::Now, &self.saved);
    }
}

/// How much typed input `attach` holds for a node whose terminal is full:
/// a paste's worth. Beyond it keys are dropped, as the kernel drops them
/// at a full terminal in canonical mode.
const PENDING_MAX: usize = 64 * 1024;

/// `O_NONBLOCK` on an fd for as long as this lives; its flags before are
/// restored on drop.
struct NonBlocking<'a> {
    fd: BorrowedFd<'a>,
    saved: OFlags,
}

impl<'a> NonBlocking<'a> {
    fn set(fd: BorrowedFd<'a>) -> io::Result<NonBlocking<'a>> {
        let saved = fcntl_getfl(fd)?;
        fcntl_setfl(fd, saved | OFlags::NONBLOCK)?;
        Ok(NonBlocking { fd, saved })
    }
}

impl Drop for NonBlocking<'_> {
    fn drop(&mut self) {
        let _ = fcntl_setfl(self.fd, self.saved);
    }
}
