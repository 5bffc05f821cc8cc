//! One TCP or HTTP probe attempt as a state machine over a non-blocking
//! socket: `connect` (`EINPROGRESS`), wait until writable and read
//! `SO_ERROR`; for HTTP, send the request and read until the status line.
//! It never blocks: each step does what the socket allows and says which
//! readiness to wait for next, in the graph's own wait set. The timeout is
//! the caller's (a timer in the same wait).

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, recv, send, socket_with, sockopt,
};

use super::ProbeResult;
use super::http::{self, Answer, STATUS_LINE_MAX};
use crate::poller::Interest;

/// A non-blocking, close-on-exec TCP socket for `address`, in the caller's
/// network namespace.
pub(crate) fn tcp_socket(address: SocketAddr) -> io::Result<OwnedFd> {
    let family = match address {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    Ok(socket_with(
        family,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )?)
}

/// What an attempt does next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Wait until the socket is ready for this, then call
    /// [`Attempt::resume`].
    Wait(Interest),
    /// The attempt is over.
    Done(ProbeResult),
}

/// One connect (and HTTP exchange) in progress.
#[derive(Debug)]
pub(crate) struct Attempt {
    socket: OwnedFd,
    address: SocketAddr,
    phase: Phase,
}

#[derive(Debug)]
enum Phase {
    Connecting { request: Option<Vec<u8>> },
    Sending { request: Vec<u8>, sent: usize },
    Receiving { received: Vec<u8> },
}

impl Attempt {
    /// Starts connecting `socket` (from [`tcp_socket`], possibly made in
    /// another network namespace) to `address`; with `http_path`, a `GET` of
    /// that path follows the connect.
    pub(crate) fn start(
        socket: OwnedFd,
        address: SocketAddr,
        http_path: Option<&str>,
    ) -> (Self, Step) {
        let request = http_path.map(|path| http::request(address, path));
        let mut attempt = Attempt {
            socket,
            address,
            phase: Phase::Connecting { request },
        };
        let step = match rustix::net::connect(&attempt.socket, &address) {
            Ok(()) => attempt.connected(),
            Err(Errno::INPROGRESS) => Step::Wait(Interest::Writable),
            Err(errno) => attempt.failed("connect", errno),
        };
        (attempt, step)
    }

    /// The socket to wait on.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }

    /// Goes on once the socket reported the readiness the last step asked
    /// for (or a hang-up or error).
    pub(crate) fn resume(&mut self) -> Step {
        match &mut self.phase {
            Phase::Connecting { .. } => match sockopt::socket_error(&self.socket) {
                Ok(Ok(())) => self.connected(),
                Ok(Err(errno)) | Err(errno) => self.failed("connect", errno),
            },
            Phase::Sending { .. } => self.send(),
            Phase::Receiving { .. } => self.receive(),
        }
    }

    fn connected(&mut self) -> Step {
        if self.connected_to_itself() {
            return Step::Done(ProbeResult::Failed(format!(
                "connect to {} reached the probe's own socket: nothing listens there",
                self.address
            )));
        }
        let Phase::Connecting { request } = &mut self.phase else {
            unreachable!("connected while connecting")
        };
        match request.take() {
            None => Step::Done(ProbeResult::Passed),
            Some(request) => {
                self.phase = Phase::Sending { request, sent: 0 };
                self.send()
            }
        }
    }

    /// Whether the connect met itself. To a port nothing listens on, the
    /// kernel may pick that very port as the socket's own (on loopback,
    /// for a port of the ephemeral range, about one connect in as many as
    /// the range has ports: 28,232 by default), and a
    /// socket whose two ends are one address is connected, to no server:
    /// a TCP probe would pass before its node listens, and hold the port
    /// its node is about to bind.
    fn connected_to_itself(&self) -> bool {
        let local = rustix::net::getsockname(&self.socket);
        let peer = rustix::net::getpeername(&self.socket);
        matches!((local, peer), (Ok(local), Ok(Some(peer))) if local == peer)
    }

    fn send(&mut self) -> Step {
        let Phase::Sending { request, sent } = &mut self.phase else {
            unreachable!("sending")
        };
        while *sent < request.len() {
            // NOSIGNAL: a peer that closed early must not SIGPIPE the
            // application.
            match send(&self.socket, &request[*sent..], SendFlags::NOSIGNAL) {
                Ok(n) => *sent += n,
                Err(Errno::AGAIN) => return Step::Wait(Interest::Writable),
                Err(Errno::INTR) => {}
                Err(errno) => return self.failed("send the request", errno),
            }
        }
        self.phase = Phase::Receiving {
            received: Vec::new(),
        };
        Step::Wait(Interest::Readable)
    }

    fn receive(&mut self) -> Step {
        let Phase::Receiving { received } = &mut self.phase else {
            unreachable!("receiving")
        };
        loop {
            let mut buffer = [0u8; 512];
            let room = (STATUS_LINE_MAX - received.len()).min(buffer.len());
            let n = match recv(&self.socket, &mut buffer[..room], RecvFlags::empty()) {
                Ok((n, _)) => n,
                Err(Errno::AGAIN) => return Step::Wait(Interest::Readable),
                Err(Errno::INTR) => continue,
                Err(errno) => return self.failed("read the answer", errno),
            };
            received.extend_from_slice(&buffer[..n]);
            let answer = http::status(received);
            let result = match answer {
                Answer::Partial if n > 0 => continue,
                Answer::Partial => ProbeResult::Failed(format!(
                    "{} closed the connection before its status line",
                    self.address
                )),
                Answer::Status(_) if answer.healthy() => ProbeResult::Passed,
                Answer::Status(code) => {
                    ProbeResult::Failed(format!("{} answered status {code}", self.address))
                }
                Answer::Malformed => {
                    ProbeResult::Failed(format!("{} did not answer in HTTP/1.x", self.address))
                }
            };
            return Step::Done(result);
        }
    }

    fn failed(&self, step: &str, errno: Errno) -> Step {
        let error = io::Error::from(errno);
        Step::Done(ProbeResult::Failed(format!(
            "{step} {} failed: {error}",
            self.address
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;

    /// Waits until `fd` is ready for `interest`, as the wait set would.
    fn wait_one(fd: BorrowedFd<'_>, interest: Interest, timeout: Duration) -> bool {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let flags = match interest {
            Interest::Writable => PollFlags::OUT,
            _ => PollFlags::IN,
        };
        let timeout = Timespec::try_from(timeout).unwrap();
        poll(&mut [PollFd::new(&fd, flags)], Some(&timeout)).unwrap() == 1
    }

    /// Runs an attempt to its end, waiting on its socket as the graph would.
    fn run(address: SocketAddr, http_path: Option<&str>) -> ProbeResult {
        run_on(tcp_socket(address).unwrap(), address, http_path)
    }

    /// [`run`] on `socket`.
    fn run_on(socket: OwnedFd, address: SocketAddr, http_path: Option<&str>) -> ProbeResult {
        let (mut attempt, mut step) = Attempt::start(socket, address, http_path);
        loop {
            match step {
                Step::Done(result) => return result,
                Step::Wait(interest) => {
                    assert!(wait_one(attempt.fd(), interest, Duration::from_secs(5)));
                    step = attempt.resume();
                }
            }
        }
    }

    /// A server that reads a request and answers `answer` once.
    fn serve_once(answer: &'static [u8]) -> (SocketAddr, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = vec![0; 4096];
            let n = stream.read(&mut request).unwrap();
            request.truncate(n);
            stream.write_all(answer).unwrap();
            request
        });
        (address, server)
    }

    /// A socket bound to a free port of 127.0.0.1 and not listening: the
    /// port stays closed, and no other socket (a parallel test's, or a
    /// connect's own end) can take it while this is held.
    fn closed_port() -> (OwnedFd, SocketAddr) {
        let socket = tcp_socket("127.0.0.1:0".parse().unwrap()).unwrap();
        rustix::net::bind(&socket, &"127.0.0.1:0".parse::<SocketAddr>().unwrap()).unwrap();
        let address = rustix::net::getsockname(&socket).unwrap();
        (socket, SocketAddr::try_from(address).unwrap())
    }

    #[test]
    fn a_listening_port_passes_and_a_closed_one_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        assert_eq!(
            run(listener.local_addr().unwrap(), None),
            ProbeResult::Passed
        );
        let (_held, closed) = closed_port();
        let ProbeResult::Failed(why) = run(closed, None) else {
            panic!("a closed port passed");
        };
        assert!(why.contains("Connection refused"), "{why}");
    }

    /// A socket bound to the port it connects to meets itself at once: the
    /// connect succeeds, to no server. A TCP probe fails it, and an HTTP
    /// probe does not read its own request back as an answer.
    #[test]
    fn a_connect_that_meets_itself_fails() {
        for http_path in [None, Some("/")] {
            let (socket, address) = closed_port();
            let result = run_on(socket, address, http_path);
            let ProbeResult::Failed(why) = result else {
                panic!("{http_path:?}: a connect to itself passed: {result:?}");
            };
            assert!(why.contains("own socket"), "{why}");
        }
    }

    #[test]
    fn http_passes_on_2xx_and_3xx_and_fails_otherwise() {
        for (answer, passed) in [
            (&b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..], true),
            (b"HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n", true),
            (b"HTTP/1.1 503 Service Unavailable\r\n\r\n", false),
            (b"SSH-2.0-OpenSSH\r\n", false),
            (b"HTTP/1.1 20", false),
        ] {
            let (address, server) = serve_once(answer);
            let result = run(address, Some("/health"));
            assert_eq!(result == ProbeResult::Passed, passed, "{result:?}");
            let request = server.join().unwrap();
            assert!(request.starts_with(b"GET /health HTTP/1.1\r\n"));
        }
    }
}
