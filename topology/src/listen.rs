//! Listening-socket addresses, as a graph declares them:
//! `tcp:127.0.0.1:8080`, `tcp:[::1]:8080`, `unix:/run/app.sock` or
//! `unix:@name` (abstract). Parsed once, here, for the macro (at compile
//! time, at the user's token) and the runtime (which binds them).

use std::fmt;
use std::net::SocketAddr;

/// Where a listening socket listens.
///
/// ```
/// use process_graph_topology::ListenAddress;
///
/// let tcp: ListenAddress = "tcp:127.0.0.1:8080".parse()?;
/// assert_eq!(tcp.to_string(), "tcp:127.0.0.1:8080");
/// assert!("tcp:localhost:80".parse::<ListenAddress>().is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    /// A TCP stream socket on this address and port.
    Tcp(SocketAddr),
    /// A unix stream socket at this path.
    Unix(String),
    /// A unix stream socket in the abstract namespace (`unix:@name`).
    Abstract(String),
}

/// The longest unix socket path (`sun_path` holds 108 bytes with its NUL).
///
/// ```
/// use process_graph_topology::{ListenAddress, UNIX_PATH_MAX};
///
/// let longest = format!("unix:/{}", "a".repeat(UNIX_PATH_MAX - 1));
/// assert!(longest.parse::<ListenAddress>().is_ok());
/// let too_long = format!("unix:/{}", "a".repeat(UNIX_PATH_MAX));
/// assert!(too_long.parse::<ListenAddress>().is_err());
/// ```
pub const UNIX_PATH_MAX: usize = 107;

impl std::str::FromStr for ListenAddress {
    type Err = String;

    fn from_str(s: &str) -> Result<ListenAddress, String> {
        if let Some(addr) = s.strip_prefix("tcp:") {
            return addr.parse().map(ListenAddress::Tcp).map_err(|_| {
                format!(
                    "`{addr}` is not an IP address and port, e.g. `127.0.0.1:8080` or `[::1]:8080` (host names are not resolved)"
                )
            });
        }
        if let Some(path) = s.strip_prefix("unix:") {
            let (name, abstract_) = match path.strip_prefix('@') {
                Some(name) => (name, true),
                None => (path, false),
            };
            if name.is_empty() {
                return Err("a unix socket needs a path, e.g. `unix:/run/app.sock`".into());
            }
            if name.contains('\0') {
                return Err("a unix socket path cannot hold a NUL byte".into());
            }
            if name.len() > UNIX_PATH_MAX {
                return Err(format!(
                    "a unix socket path is at most {UNIX_PATH_MAX} bytes; this one is {}",
                    name.len()
                ));
            }
            if !abstract_ && !name.starts_with('/') {
                return Err(format!(
                    "`{name}` is relative; a unix socket path is absolute, e.g. `unix:/run/app.sock`"
                ));
            }
            return Ok(if abstract_ {
                ListenAddress::Abstract(name.to_owned())
            } else {
                ListenAddress::Unix(name.to_owned())
            });
        }
        Err(format!(
            "`{s}` is not a listening address; write `tcp:HOST:PORT` or `unix:/PATH`"
        ))
    }
}

impl fmt::Display for ListenAddress {
    /// As declared: `tcp:127.0.0.1:8080`, `unix:/run/app.sock`, `unix:@name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddress::Tcp(addr) => write!(f, "tcp:{addr}"),
            ListenAddress::Unix(path) => write!(f, "unix:{path}"),
            ListenAddress::Abstract(name) => write!(f, "unix:@{name}"),
        }
    }
}

/// Whether `name` can be a `LISTEN_FDNAMES` entry: 1 to 255 printable
/// ASCII characters, no `:` (sd_listen_fds_with_names' rule).
///
/// ```
/// use process_graph_topology::valid_listener_name;
///
/// assert!(valid_listener_name("http"));
/// assert!(!valid_listener_name("http:8080")); // `:` separates LISTEN_FDNAMES entries
/// assert!(!valid_listener_name("admin api")); // no spaces
/// assert!(!valid_listener_name(""));
/// ```
pub fn valid_listener_name(name: &str) -> bool {
    (1..=255).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}
