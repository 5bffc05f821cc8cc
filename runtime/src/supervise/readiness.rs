//! Readiness protocols: s6's notification fd and systemd's `NOTIFY_SOCKET`.
//!
//! - `Readiness::Fd(n)`: each start gets a fresh pipe whose write end is the
//!   child's fd `n`; the node is ready when a newline arrives. EOF before a
//!   newline means it will never say so (the ready timeout then applies).
//! - `Readiness::Notify`: one datagram socket per node, bound to an abstract
//!   address named in the child's `NOTIFY_SOCKET` (a socket file for nodes
//!   in a scope with its own network namespace, where the parent's abstract
//!   addresses are out of reach). `SO_PASSCRED` makes the
//!   kernel attach the sender's pid to each message, and only messages from
//!   the node's current main process are believed — no other process can
//!   make the node ready. `READY=1` marks it ready; `STATUS=…` is kept as its
//!   status text.

use std::ffi::OsString;
use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SocketAddrUnix,
    SocketFlags, SocketType,
};
use rustix::process::Pid;

/// What a readiness channel said.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Notice {
    pub(crate) ready: bool,
    pub(crate) status: Option<String>,
    /// The channel is finished (EOF on a readiness pipe).
    pub(crate) closed: bool,
}

/// Reads what arrived on a readiness pipe (non-blocking).
pub(crate) fn read_ready_pipe(pipe: &OwnedFd) -> Notice {
    let mut notice = Notice::default();
    let mut buf = [0u8; 256];
    loop {
        match rustix::io::read(pipe, &mut buf) {
            Ok(0) => {
                notice.closed = true;
                return notice;
            }
            Ok(n) => notice.ready |= buf[..n].contains(&b'\n'),
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => return notice,
            Err(_) => {
                notice.closed = true;
                return notice;
            }
        }
    }
}

/// A node's `NOTIFY_SOCKET`.
#[derive(Debug)]
pub(crate) struct NotifySocket {
    socket: OwnedFd,
    /// The `NOTIFY_SOCKET` value.
    address: String,
    /// The directory holding a filesystem socket, removed on drop.
    directory: Option<PathBuf>,
}

impl NotifySocket {
    /// Binds a fresh socket, unique to this process, graph and node.
    ///
    /// Abstract addresses belong to a network namespace, so a node in a
    /// scope with its own network gets a socket file instead, in a private
    /// directory of the temp dir.
    pub(crate) fn bind(node: &str, own_network: bool) -> std::io::Result<NotifySocket> {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let pid = rustix::process::getpid().as_raw_nonzero();
        let socket = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
            None,
        )?;
        rustix::net::sockopt::set_socket_passcred(&socket, true)?;
        if !own_network {
            let name = format!("process-graph/{pid}/{serial}/{node}");
            let address = SocketAddrUnix::new_abstract_name(name.as_bytes())?;
            rustix::net::bind(&socket, &address)?;
            return Ok(NotifySocket {
                socket,
                address: format!("@{name}"),
                directory: None,
            });
        }
        let directory = std::env::temp_dir().join(format!("process-graph-{pid}-{serial}"));
        std::fs::DirBuilder::new().mode(0o700).create(&directory)?;
        let path = directory.join("notify");
        let bound = SocketAddrUnix::new(path.as_path())
            .and_then(|address| rustix::net::bind(&socket, &address));
        if let Err(e) = bound {
            let _ = std::fs::remove_dir_all(&directory);
            return Err(e.into());
        }
        Ok(NotifySocket {
            socket,
            address: path.to_string_lossy().into_owned(),
            directory: Some(directory),
        })
    }

    /// The `NOTIFY_SOCKET` variable: `@` marks an abstract address.
    pub(crate) fn env(&self) -> (OsString, OsString) {
        ("NOTIFY_SOCKET".into(), self.address.clone().into())
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }

    /// Reads every pending message; believes only those sent by `main_pid`.
    pub(crate) fn read(&self, main_pid: Option<Pid>) -> Notice {
        let mut notice = Notice::default();
        let mut buf = [0u8; 4096];
        loop {
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmCredentials(1))];
            let mut control = RecvAncillaryBuffer::new(&mut space);
            let mut iov = [IoSliceMut::new(&mut buf)];
            let received = match rustix::net::recvmsg(
                &self.socket,
                &mut iov,
                &mut control,
                RecvFlags::DONTWAIT | RecvFlags::CMSG_CLOEXEC,
            ) {
                Ok(msg) => msg.bytes,
                Err(Errno::INTR) => continue,
                Err(_) => return notice,
            };
            let sender = control.drain().find_map(|m| match m {
                RecvAncillaryMessage::ScmCredentials(cred) => Some(cred.pid),
                _ => None,
            });
            if sender.is_none() || sender != main_pid {
                continue;
            }
            parse_notify(&buf[..received], &mut notice);
        }
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        if let Some(directory) = &self.directory {
            let _ = std::fs::remove_dir_all(directory);
        }
    }
}

/// Parses a `sd_notify` message: newline-separated `KEY=VALUE` assignments.
fn parse_notify(message: &[u8], notice: &mut Notice) {
    for line in message.split(|&b| b == b'\n') {
        if line == b"READY=1" {
            notice.ready = true;
        } else if let Some(status) = line.strip_prefix(b"STATUS=") {
            notice.status = Some(String::from_utf8_lossy(status).into_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_messages_set_ready_and_status() {
        let mut notice = Notice::default();
        parse_notify(b"STATUS=loading\nMAINPID=7", &mut notice);
        assert!(!notice.ready);
        assert_eq!(notice.status.as_deref(), Some("loading"));
        parse_notify(b"READY=1\nSTATUS=serving", &mut notice);
        assert!(notice.ready);
        assert_eq!(notice.status.as_deref(), Some("serving"));
    }
}
