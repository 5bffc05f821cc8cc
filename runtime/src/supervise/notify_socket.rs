//! A node's `NOTIFY_SOCKET`: systemd's readiness protocol, read so that
//! nobody can forge a node's readiness who could not already control it.
//!
//! Who can send what (the kernel's rules, `scm_check_creds` in
//! net/core/scm.c, and why the runtime believes what it does) is written
//! down on [`Readiness::Notify`](crate::Readiness::Notify).
//!
//! - The name: 128 random bits, so nobody can bind it first; a name that is
//!   taken all the same (`EADDRINUSE`) is replaced by a fresh one. A node
//!   with a network namespace of its own gets a socket its scope's init made
//!   there, autobound: the kernel picked a free address. Either way the
//!   address is abstract, so nothing is left to remove, however the
//!   application ends.
//! - Believed: a datagram whose `SCM_CREDENTIALS` pid is the node's main
//!   process, while that process is unreaped (its pid cannot be reused
//!   until then) — or, with `NotifyAccess::All`, a process that descends
//!   from it when the datagram is read (see `lineage`) — and, from Linux
//!   6.5, whose sender is itself unreaped when it is read, as the pidfd the
//!   kernel took of it when it sent says: a sender reaped since may have
//!   left its pid to the main process (see [`datagram`]). A truncated datagram
//!   (`MSG_TRUNC`) is dropped: its cut could read as something it did not
//!   say (`READY=10` cut after `READY=1`).
//! - Fds sent along are closed as their datagram is read: the receive
//!   buffer has room for one, closed at once; the kernel closes the rest —
//!   after every datagram before it was judged. That answers `systemd-notify`'s
//!   `BARRIER=1` (it sends a pipe's write end and waits until it is closed)
//!   as systemd would, and keeps `systemd-notify` alive, so traceable, until
//!   its `READY=1` was judged.
//! - At most [`DATAGRAMS_PER_TURN`] datagrams per socket per wake-up, no
//!   more once the `NotifyAccess::All` walks have made
//!   [`LINEAGE_READS_PER_TURN`] `/proc` reads, and none after one with a
//!   `MAINPID=` from a deeper pid namespace (which is looked up in every
//!   process's `/proc/PID/status`): the loop's `poll` is
//!   level-triggered, so the rest waits for the next turn, and a flooding
//!   node — even one sending from the far end of a deep chain of its own
//!   processes — cannot hold the loop in one socket's drain.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use rustix::process::Pid;

use super::main_pid::Claim;
use super::readiness::Notice;
use super::{datagram, lineage};
use crate::policy::NotifyAccess;

/// How many datagrams one wake-up reads from one socket, at most. A node
/// says `READY=1` once and `STATUS=` now and then; more than this in one
/// turn waits for the next.
const DATAGRAMS_PER_TURN: usize = 8;

/// How many `/proc` reads the [`NotifyAccess::All`] checks of one socket
/// may make in one wake-up before the rest waits for the next: one longest
/// walk, so a turn costs at most two.
const LINEAGE_READS_PER_TURN: usize = lineage::MAX_DEPTH;

/// The largest message read whole: systemd's own limit
/// (`NOTIFY_BUFFER_MAX`, `PIPE_BUF`). Longer ones arrive truncated and are
/// dropped.
const MESSAGE_MAX: usize = 4096;

/// How many fresh names `bind` tries when one is taken. With 128 random
/// bits a second collision means something is wrong with the randomness.
const BIND_ATTEMPTS: usize = 4;

/// A node's `NOTIFY_SOCKET`.
#[derive(Debug)]
pub(crate) struct NotifySocket {
    socket: OwnedFd,
    /// The `NOTIFY_SOCKET` value.
    address: String,
    /// The kernel attaches a pidfd of each sender (see [`datagram`]).
    pidfds: bool,
}

impl NotifySocket {
    /// Binds a fresh socket at a random abstract address, in the
    /// application's network namespace.
    pub(crate) fn bind() -> io::Result<NotifySocket> {
        let socket = datagram_socket()?;
        let name = bind_abstract(&socket, std::iter::repeat_with(random_name))?;
        NotifySocket::from_bound(socket, format!("@{name}"))
    }

    /// A socket already bound to an abstract address the kernel chose
    /// (made by a scope's init in the scope's network namespace, where an
    /// address of the application's would not be seen).
    pub(crate) fn autobound(socket: OwnedFd) -> io::Result<NotifySocket> {
        let address = rustix::net::getsockname(&socket)?;
        let address = SocketAddrUnix::try_from(address).map_err(io::Error::from)?;
        let name = address
            .abstract_name()
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))?;
        let name = String::from_utf8(name.to_vec())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
        NotifySocket::from_bound(socket, format!("@{name}"))
    }

    /// A socket already bound at `address` (the `NOTIFY_SOCKET` value: `@`
    /// and the name for an abstract address). Turns on `SO_PASSCRED`, which
    /// every message is judged by; `socket` must be a non-blocking,
    /// close-on-exec unix datagram socket.
    ///
    /// Held as long as its node: moved above the fds spawns copy.
    fn from_bound(socket: OwnedFd, address: String) -> io::Result<NotifySocket> {
        rustix::net::sockopt::set_socket_passcred(&socket, true)?;
        let pidfds = datagram::pass_pidfds(socket.as_fd());
        let socket = crate::sys::held_high(socket);
        Ok(NotifySocket {
            socket,
            address,
            pidfds,
        })
    }

    /// The `NOTIFY_SOCKET` variable: `@` marks an abstract address.
    pub(crate) fn env(&self) -> (OsString, OsString) {
        ("NOTIFY_SOCKET".into(), self.address.clone().into())
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }

    /// Reads up to [`DATAGRAMS_PER_TURN`] pending messages, fewer once
    /// [`LINEAGE_READS_PER_TURN`] is spent; believes only whole ones sent
    /// by `main_pid`, or under [`NotifyAccess::All`] by a process
    /// descending from it. `main_pid` must be `None` unless the node's main
    /// process is unreaped.
    pub(crate) fn read(&self, main_pid: Option<Pid>, access: NotifyAccess) -> Notice {
        let mut notice = Notice::default();
        let mut buf = [0u8; MESSAGE_MAX];
        let mut lineage_reads = 0;
        for _ in 0..DATAGRAMS_PER_TURN {
            if lineage_reads >= LINEAGE_READS_PER_TURN {
                break;
            }
            let received = datagram::receive(self.socket.as_fd(), &mut buf, self.pidfds);
            let Some((sender, message)) = received else {
                break;
            };
            let believed = match (sender, main_pid) {
                (Some(sender), Some(main)) => {
                    sender == main
                        || (access == NotifyAccess::All
                            && lineage::descends_from_counting(sender, main, &mut lineage_reads))
                }
                _ => false,
            };
            if let (true, Some(sender)) = (believed, sender) {
                let claims = notice.main_pids.len();
                parse_notify(sender, message, &mut notice);
                // Looked up in every process: one such claim per turn.
                if notice.main_pids[claims..]
                    .iter()
                    .any(Claim::reads_every_process)
                {
                    break;
                }
            }
        }
        notice
    }
}

fn datagram_socket() -> io::Result<OwnedFd> {
    rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )
    .map_err(io::Error::from)
}

/// Binds `socket` at the first of `names` (abstract) that is free; returns
/// it. Gives up after [`BIND_ATTEMPTS`] taken names, or at any other error.
fn bind_abstract(
    socket: &OwnedFd,
    names: impl Iterator<Item = io::Result<String>>,
) -> io::Result<String> {
    let mut last = Errno::ADDRINUSE;
    for name in names.take(BIND_ATTEMPTS) {
        let name = name?;
        let address = SocketAddrUnix::new_abstract_name(name.as_bytes())?;
        match rustix::net::bind(socket, &address) {
            Ok(()) => return Ok(name),
            Err(Errno::ADDRINUSE) => last = Errno::ADDRINUSE,
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.into())
}

/// An abstract socket name nobody can predict.
fn random_name() -> io::Result<String> {
    Ok(format!("process-graph/{}", crate::random::random_hex()?))
}

/// Parses a `sd_notify` message from `sender`: newline-separated
/// `KEY=VALUE` assignments, in order. Unknown keys and malformed values are
/// ignored, as systemd does — but for `MAINPID=`, whose every value is a
/// claim to judge (and to report when refused); of several in one message,
/// the last.
fn parse_notify(sender: Pid, message: &[u8], notice: &mut Notice) {
    let mut claim = None;
    for line in message.split(|&b| b == b'\n') {
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        match key {
            b"READY" if value == b"1" => (notice.ready, notice.reloading) = (true, false),
            b"RELOADING" if value == b"1" => (notice.ready, notice.reloading) = (false, true),
            b"WATCHDOG" if value == b"1" => notice.watchdog = true,
            b"STOPPING" if value == b"1" => notice.stopping = true,
            b"MAINPID" => claim = Some(Claim::parse(sender, value)),
            b"STATUS" => notice.status = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {}
        }
    }
    notice.main_pids.extend(claim);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_notify(message: &[u8], notice: &mut Notice) {
        super::parse_notify(rustix::process::getpid(), message, notice);
    }

    #[test]
    fn notify_messages_set_ready_and_status() {
        let mut notice = Notice::default();
        parse_notify(b"STATUS=loading\nMAINPID=7", &mut notice);
        assert!(!notice.ready);
        assert_eq!(notice.status.as_deref(), Some("loading"));
        let seven = Pid::from_raw(7);
        let claimed: Vec<_> = notice.main_pids.iter().map(|c| c.claimed).collect();
        assert_eq!(claimed, [seven]);
        parse_notify(b"READY=1\nSTATUS=serving", &mut notice);
        assert!(notice.ready);
        assert_eq!(notice.status.as_deref(), Some("serving"));
    }

    #[test]
    fn of_ready_and_reloading_the_later_one_wins() {
        let mut notice = Notice::default();
        parse_notify(b"READY=1\nRELOADING=1", &mut notice);
        assert!(notice.reloading && !notice.ready);
        parse_notify(b"RELOADING=1", &mut notice);
        parse_notify(b"STATUS=reloaded\nREADY=1", &mut notice);
        assert!(notice.ready && !notice.reloading);
    }

    #[test]
    fn stopping_watchdog_and_malformed_lines() {
        let mut notice = Notice::default();
        parse_notify(b"WATCHDOG=1\nSTOPPING=1", &mut notice);
        assert!(notice.watchdog && notice.stopping && !notice.ready);
        let mut notice = Notice::default();
        // Values other than systemd's are ignored, as systemd ignores them.
        parse_notify(
            b"READY=0\nREADY=11\nREADY\nWATCHDOG=trigger\nSTOPPING=yes\nX_OTHER=1",
            &mut notice,
        );
        assert_eq!(notice, Notice::default());
        // A MAINPID= that names no pid is a claim all the same, to refuse.
        // One claim per message, its last; each message's is kept.
        parse_notify(b"MAINPID=x", &mut notice);
        parse_notify(b"MAINPID=5\nMAINPID=6", &mut notice);
        let claimed: Vec<_> = notice.main_pids.iter().map(|c| c.claimed).collect();
        assert_eq!(claimed, [None, Pid::from_raw(6)]);
    }

    fn own_pid() -> Option<Pid> {
        Some(rustix::process::getpid())
    }

    /// Sends `message` to `notify` from this process (its pid is attached).
    fn send(notify: &NotifySocket, message: &[u8]) -> io::Result<()> {
        let name = notify
            .address
            .strip_prefix('@')
            .expect("an abstract address");
        let to = SocketAddrUnix::new_abstract_name(name.as_bytes())?;
        let sender = datagram_socket()?;
        rustix::net::sendto(&sender, message, rustix::net::SendFlags::empty(), &to)?;
        Ok(())
    }

    #[test]
    fn a_truncated_message_is_dropped_not_parsed() {
        let notify = NotifySocket::bind().unwrap();
        // Cut at MESSAGE_MAX bytes, the last line would read `READY=1`.
        let mut message = b"STATUS=".to_vec();
        message.resize(MESSAGE_MAX - "\nREADY=1".len(), b'x');
        message.extend_from_slice(b"\nREADY=10");
        assert_eq!(message.len(), MESSAGE_MAX + 1);
        send(&notify, &message).unwrap();
        let notice = notify.read(own_pid(), NotifyAccess::Main);
        assert_eq!(notice, Notice::default(), "nothing of it is believed");

        // A whole message of the largest size is still read.
        let mut message = b"READY=1\nSTATUS=".to_vec();
        message.resize(MESSAGE_MAX, b'y');
        send(&notify, &message).unwrap();
        assert!(notify.read(own_pid(), NotifyAccess::Main).ready);
    }

    #[test]
    fn one_read_takes_a_bounded_number_of_datagrams() {
        let notify = NotifySocket::bind().unwrap();
        // The receive queue holds net.unix.max_dgram_qlen datagrams (10 by
        // default), so send until it is full, numbering each one.
        let mut sent = 0;
        while send(&notify, format!("STATUS={sent}").as_bytes()).is_ok() {
            sent += 1;
        }
        assert!(
            sent > DATAGRAMS_PER_TURN,
            "only {sent} datagrams fit the queue"
        );
        let first = notify.read(own_pid(), NotifyAccess::Main);
        let last_read = DATAGRAMS_PER_TURN - 1;
        assert_eq!(
            first.status,
            Some(last_read.to_string()),
            "one turn's worth"
        );
        let second = notify.read(own_pid(), NotifyAccess::Main);
        assert_eq!(
            second.status,
            Some((sent - 1).min(2 * DATAGRAMS_PER_TURN - 1).to_string()),
            "the rest is read the next turn"
        );
    }

    #[test]
    fn only_the_main_pid_while_unreaped_is_believed() {
        let notify = NotifySocket::bind().unwrap();
        send(&notify, b"READY=1").unwrap();
        assert!(
            !notify.read(Pid::from_raw(1), NotifyAccess::Main).ready,
            "another pid"
        );
        send(&notify, b"READY=1").unwrap();
        assert!(
            !notify.read(None, NotifyAccess::Main).ready,
            "no main process (reaped)"
        );
        send(&notify, b"READY=1").unwrap();
        assert!(notify.read(own_pid(), NotifyAccess::Main).ready);
    }

    /// The attack: a stranger's process sends, exits and is reaped, and its
    /// pid goes to the node's next main process (a stranger who cycles pids
    /// can time that). The runtime is told here that the main process has
    /// that pid.
    #[test]
    fn a_sender_reaped_since_it_sent_is_not_believed_whoever_has_its_pid_now() {
        let notify = NotifySocket::bind().unwrap();
        if !notify.pidfds {
            // Past the test harness's capture, so that the skip is seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIP: this kernel gives no pidfd of a sender (SO_PASSPIDFD, Linux 6.5)"
            );
            return;
        }
        let name = notify.address.strip_prefix('@').unwrap();
        let script = "import socket, sys\n\
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
                    s.sendto(b'READY=1', '\\0' + sys.argv[1])";
        let mut sender = std::process::Command::new("python3")
            .args(["-c", script, name])
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(sender.id() as i32);
        assert!(sender.wait().unwrap().success());
        assert!(
            !notify.read(pid, NotifyAccess::Main).ready,
            "a reaped sender"
        );
        // Unreaped, the sender is believed: its pid is still its own.
        send(&notify, b"READY=1").unwrap();
        assert!(notify.read(own_pid(), NotifyAccess::Main).ready);
    }

    #[test]
    fn all_access_believes_descendants_of_the_main_process_only() {
        let notify = NotifySocket::bind().unwrap();
        let me = rustix::process::getpid();
        // This process descends from itself and from pid 1, not from a child.
        send(&notify, b"READY=1").unwrap();
        assert!(notify.read(Pid::from_raw(1), NotifyAccess::All).ready);
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let child_pid = Pid::from_raw(child.id() as i32);
        send(&notify, b"READY=1").unwrap();
        assert!(
            !notify.read(child_pid, NotifyAccess::All).ready,
            "an ancestor is not believed"
        );
        send(&notify, b"READY=1").unwrap();
        assert!(!notify.read(Pid::from_raw(1), NotifyAccess::Main).ready);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(rustix::process::getpid(), me);
    }

    #[test]
    fn a_barrier_fd_is_closed_once_its_datagram_is_read() {
        let notify = NotifySocket::bind().unwrap();
        let (read_end, write_end) = rustix::pipe::pipe().unwrap();
        let name = notify.address.strip_prefix('@').unwrap();
        let to = SocketAddrUnix::new_abstract_name(name.as_bytes()).unwrap();
        let sender = datagram_socket().unwrap();
        let fds = [write_end.as_fd()];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = rustix::net::SendAncillaryBuffer::new(&mut space);
        assert!(control.push(rustix::net::SendAncillaryMessage::ScmRights(&fds)));
        rustix::net::sendmsg_addr(
            &sender,
            &to,
            &[std::io::IoSlice::new(b"BARRIER=1")],
            &mut control,
            rustix::net::SendFlags::empty(),
        )
        .unwrap();
        drop(write_end);
        let mut byte = [0u8; 1];
        rustix::io::ioctl_fionbio(&read_end, true).unwrap();
        assert_eq!(
            rustix::io::read(&read_end, &mut byte),
            Err(Errno::AGAIN),
            "the write end is in flight"
        );
        notify.read(own_pid(), NotifyAccess::Main);
        assert_eq!(rustix::io::read(&read_end, &mut byte), Ok(0), "EOF: closed");
    }

    #[test]
    fn a_taken_name_is_replaced_by_a_fresh_one() {
        let squatter = datagram_socket().unwrap();
        let taken = random_name().unwrap();
        bind_abstract(&squatter, [Ok(taken.clone())].into_iter()).unwrap();

        let socket = datagram_socket().unwrap();
        let fresh = random_name().unwrap();
        let names = [Ok(taken.clone()), Ok(fresh.clone())].into_iter();
        assert_eq!(bind_abstract(&socket, names).unwrap(), fresh);

        let socket = datagram_socket().unwrap();
        let all_taken = std::iter::repeat_with(|| Ok(taken.clone()));
        let error = bind_abstract(&socket, all_taken).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EADDRINUSE));
    }

    #[test]
    fn names_are_random() {
        let notify = NotifySocket::bind().unwrap();
        let (_, address) = notify.env();
        let address = address.into_string().unwrap();
        let hex = address.strip_prefix("@process-graph/").unwrap();
        assert_eq!(hex.len(), 32, "{address}");
        assert_ne!(address, NotifySocket::bind().unwrap().address);
    }
}
