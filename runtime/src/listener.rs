//! Socket activation, the systemd way: the application binds a listening
//! socket and passes it to a node at fd 3 (and on), with `LISTEN_FDS`,
//! `LISTEN_FDNAMES` and `LISTEN_PID` in its environment
//! (`sd_listen_fds(3)`). The application keeps the socket open while the
//! node may start again, so connections made while it restarts wait in the
//! socket's backlog instead of being refused.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::Arc;

use process_graph_topology::{ListenAddress, UNIX_PATH_MAX};

use crate::dir_entry::DirEntry;

/// A listening socket for a node ([`Command::listen`](crate::Command::listen)).
///
/// Either bound now ([`Listener::bind`], or `From` a std listener) or bound
/// when the graph spawns ([`Listener::address`]; a bind failure is then
/// [`Error::Io`](crate::Error::Io) naming the node, and nothing starts). A
/// unix socket the runtime bound is removed when the graph ends.
///
/// ```
/// use process_graph_runtime::{Command, Listener};
///
/// let http = Listener::bind("tcp:127.0.0.1:0")?.named("http");
/// let server = Command::new("server").listen(http); // fd 3, LISTEN_FDNAMES=http
/// # let _ = server;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Listener {
    pub(crate) name: String,
    pub(crate) socket: Socket,
}

#[derive(Debug, Clone)]
pub(crate) enum Socket {
    /// Bound by the application already.
    Bound(Arc<BoundSocket>),
    /// To bind at spawn; checked by the graph's rules first. Shared by the
    /// listener's clones (a node's replicas), which get one socket.
    Address(Arc<str>),
}

/// A bound listening socket, and the file of a unix socket the runtime
/// bound.
#[derive(Debug)]
pub(crate) struct BoundSocket {
    pub(crate) fd: OwnedFd,
    address: String,
    pub(crate) file: Option<Arc<SocketFile>>,
}

/// A unix socket's file, removed when the last holder drops it: the
/// application's copy of the socket may be closed long before (after the
/// node's last start), while the node still serves on it. Removed from
/// the directory it was bound in, whatever the path leads to by then
/// ([`DirEntry`]).
#[derive(Debug)]
pub(crate) struct SocketFile(DirEntry);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = self.0.remove();
    }
}

/// Listening sockets get their name from `sd_listen_fds_with_names`'s
/// default when none is given.
const DEFAULT_NAME: &str = "unknown";

impl Listener {
    /// Binds `address` now and listens: `tcp:127.0.0.1:8080`,
    /// `tcp:[::1]:8080` (`SO_REUSEADDR`, as std's `TcpListener::bind`),
    /// `unix:/run/app.sock` or `unix:@name` (abstract).
    ///
    /// ```
    /// use std::net::TcpStream;
    /// use process_graph_runtime::{Command, Listener};
    ///
    /// let http = Listener::bind("tcp:127.0.0.1:0")?.named("http");
    /// let address = http.address_text().strip_prefix("tcp:").unwrap();
    /// // Listening already: this connection waits in the backlog for the server.
    /// let early = TcpStream::connect(address)?;
    /// let server = Command::new("server").listen(http);
    /// # let _ = (early, server);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(address: &str) -> io::Result<Listener> {
        let parsed: ListenAddress = address
            .parse()
            .map_err(|reason| io::Error::new(io::ErrorKind::InvalidInput, reason))?;
        Ok(Listener {
            name: DEFAULT_NAME.to_owned(),
            socket: Socket::Bound(Arc::new(bind(&parsed)?)),
        })
    }

    /// Binds `address` when the graph spawns. A malformed address is a
    /// wiring error ([`Rule::BadListenAddress`](crate::Rule::BadListenAddress)),
    /// found before anything starts.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Error, Graph, Listener};
    ///
    /// let mut graph = Graph::new();
    /// // Names are not resolved: refused before anything starts.
    /// graph.node("server", Command::new("true").listen(Listener::address("tcp:localhost:80")));
    /// assert!(matches!(graph.spawn(), Err(Error::Invalid(_))));
    /// ```
    pub fn address(address: impl Into<String>) -> Listener {
        Listener {
            name: DEFAULT_NAME.to_owned(),
            socket: Socket::Address(Arc::from(address.into())),
        }
    }

    /// The socket's name in `LISTEN_FDNAMES` (default `unknown`): 1 to 255
    /// printable ASCII characters, no `:`.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, Listener};
    ///
    /// let mut graph = Graph::new();
    /// let server = Command::new("sh").args(["-c", r#"echo "$LISTEN_FDNAMES""#])
    ///     .listen(Listener::address("tcp:127.0.0.1:0").named("http"))
    ///     .listen(Listener::address("tcp:127.0.0.1:0").named("admin"));
    /// let server = graph.node("server", server);
    /// let out = graph.pipe(server.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut names = String::new();
    /// running.take_reader(out).unwrap().read_to_string(&mut names)?;
    /// assert_eq!(names, "http:admin\n"); // fd 3 and fd 4
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn named(mut self, name: impl Into<String>) -> Listener {
        self.name = name.into();
        self
    }

    /// The address: as bound (the port the kernel chose for port 0), or
    /// as declared if it is bound at spawn.
    ///
    /// ```
    /// use process_graph_runtime::Listener;
    ///
    /// let bound = Listener::bind("tcp:127.0.0.1:0")?;
    /// assert!(!bound.address_text().ends_with(":0")); // the port the kernel chose
    /// let later = Listener::address("unix:/run/app.sock");
    /// assert_eq!(later.address_text(), "unix:/run/app.sock");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn address_text(&self) -> &str {
        match &self.socket {
            Socket::Bound(bound) => &bound.address,
            Socket::Address(address) => address,
        }
    }

    /// The bound socket, binding it now if it is not yet, or taking the
    /// one `bound_before` holds for this listener (or a clone of it).
    pub(crate) fn bound(
        &self,
        bound_before: &mut Vec<(*const u8, Arc<BoundSocket>)>,
    ) -> io::Result<Arc<BoundSocket>> {
        match &self.socket {
            Socket::Bound(bound) => Ok(Arc::clone(bound)),
            Socket::Address(address) => {
                let key = address.as_ptr();
                if let Some((_, socket)) = bound_before.iter().find(|(k, _)| *k == key) {
                    return Ok(Arc::clone(socket));
                }
                let parsed: ListenAddress = address
                    .parse()
                    .map_err(|reason| io::Error::new(io::ErrorKind::InvalidInput, reason))?;
                let socket = Arc::new(bind(&parsed)?);
                bound_before.push((key, Arc::clone(&socket)));
                Ok(socket)
            }
        }
    }
}

fn bind(address: &ListenAddress) -> io::Result<BoundSocket> {
    let (fd, file) = match address {
        ListenAddress::Tcp(addr) => {
            let listener = std::net::TcpListener::bind(addr)?;
            // Port 0 becomes the port the kernel chose.
            let bound = ListenAddress::Tcp(listener.local_addr()?);
            return Ok(BoundSocket {
                fd: OwnedFd::from(listener),
                address: bound.to_string(),
                file: None,
            });
        }
        ListenAddress::Unix(path) => {
            // Bound by its name in the directory held open: looked up
            // twice, the path may lead to two directories.
            let entry = DirEntry::of(Path::new(path))?;
            let listener = match entry.within(|name| UnixListener::bind(name)) {
                Ok(bound) => bound?,
                // No thread of its own to be had: through `/proc`, unless
                // that path is too long for `sun_path` (108 bytes), where
                // only the path itself is left.
                Err(_) => match entry.through_proc() {
                    via_proc if via_proc.as_os_str().len() <= UNIX_PATH_MAX => {
                        UnixListener::bind(via_proc)?
                    }
                    _ => UnixListener::bind(path)?,
                },
            };
            (OwnedFd::from(listener), Some(Arc::new(SocketFile(entry))))
        }
        ListenAddress::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            (OwnedFd::from(UnixListener::bind_addr(&addr)?), None)
        }
    };
    Ok(BoundSocket {
        fd,
        address: address.to_string(),
        file,
    })
}

/// A listener the application bound itself (its address as `tcp:` text).
impl From<std::net::TcpListener> for Listener {
    fn from(listener: std::net::TcpListener) -> Listener {
        let address = listener
            .local_addr()
            .map_or_else(|_| "tcp:?".to_owned(), |a| format!("tcp:{a}"));
        Listener::from_fd(listener, address)
    }
}

/// A unix listener the application bound itself; its file is the
/// application's to remove.
impl From<UnixListener> for Listener {
    fn from(listener: UnixListener) -> Listener {
        let address = listener
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(|p| format!("unix:{}", p.display())))
            .unwrap_or_else(|| "unix:?".to_owned());
        Listener::from_fd(listener, address)
    }
}

impl Listener {
    fn from_fd(fd: impl Into<OwnedFd>, address: String) -> Listener {
        Listener {
            name: DEFAULT_NAME.to_owned(),
            socket: Socket::Bound(Arc::new(BoundSocket {
                fd: fd.into(),
                address,
                file: None,
            })),
        }
    }
}

impl fmt::Display for Listener {
    /// `http (tcp:127.0.0.1:8080)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.address_text())
    }
}
