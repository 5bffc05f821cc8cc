//! The one HTTP exchange a probe makes: `GET path HTTP/1.1` with
//! `Connection: close`, and the status code read from the first line of the
//! answer. Nothing more of HTTP is needed (RFC 9112 §3 and §4), so no client
//! crate: the status line arrives in the first bytes, and the rest of the
//! answer is never read.

use std::net::SocketAddr;

/// The most bytes of an answer read while looking for the end of its status
/// line; a longer status line is malformed (RFC 9112 recommends accepting
/// at least 8000 octets for a request line; a status line is far shorter).
pub(crate) const STATUS_LINE_MAX: usize = 1024;

/// The request: the path as the probe declares it (checked to be visible
/// ASCII), and a `Host` header naming the address probed.
pub(crate) fn request(address: SocketAddr, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: process-graph-probe\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// What the bytes of an answer received so far say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The status line has not ended yet: read on.
    Partial,
    /// The status code.
    Status(u16),
    /// Not an HTTP/1.x status line.
    Malformed,
}

impl Answer {
    /// Whether the status counts as healthy: 2xx or 3xx, as Kubernetes.
    pub(crate) fn healthy(self) -> bool {
        matches!(self, Answer::Status(200..=399))
    }
}

/// Reads `HTTP/1.x SSS reason\r\n` (RFC 9112 §4) from the start of an
/// answer.
pub(crate) fn status(received: &[u8]) -> Answer {
    let Some(end) = received.iter().position(|&b| b == b'\n') else {
        return if received.len() >= STATUS_LINE_MAX || !could_start_status(received) {
            Answer::Malformed
        } else {
            Answer::Partial
        };
    };
    let line = &received[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(rest) = line.strip_prefix(b"HTTP/1.") else {
        return Answer::Malformed;
    };
    // A minor version digit, a space, three digits, then a space or the end.
    match rest {
        [minor, b' ', a, b, c, tail @ ..]
            if minor.is_ascii_digit()
                && [a, b, c].iter().all(|d| d.is_ascii_digit())
                && (tail.is_empty() || tail[0] == b' ') =>
        {
            let digit = |d: &u8| u16::from(d - b'0');
            Answer::Status(digit(a) * 100 + digit(b) * 10 + digit(c))
        }
        _ => Answer::Malformed,
    }
}

/// Whether `partial` could still begin a status line, so that a peer
/// speaking anything else is refused at once instead of at the timeout.
fn could_start_status(partial: &[u8]) -> bool {
    const PREFIX: &[u8] = b"HTTP/1.";
    let n = partial.len().min(PREFIX.len());
    partial[..n] == PREFIX[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_one_get_that_closes() {
        let address: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        let text = String::from_utf8(request(address, "/health?x=1")).unwrap();
        assert!(text.starts_with("GET /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"));
        assert!(text.contains("\r\nConnection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert!(
            String::from_utf8(request(v6, "/"))
                .unwrap()
                .contains("Host: [::1]:80\r\n")
        );
    }

    #[test]
    fn status_lines() {
        assert_eq!(status(b"HTTP/1.1 200 OK\r\n"), Answer::Status(200));
        assert_eq!(
            status(b"HTTP/1.0 301 Moved Permanently\r\nLocation: /\r\n"),
            Answer::Status(301)
        );
        assert_eq!(status(b"HTTP/1.1 204\r\n"), Answer::Status(204));
        assert_eq!(status(b"HTTP/1.1 404 Not Found\n"), Answer::Status(404));
        assert_eq!(
            status(b"HTTP/1.1 503 Service Unavailable\r\n"),
            Answer::Status(503)
        );
    }

    #[test]
    fn healthy_is_2xx_or_3xx() {
        for (code, healthy) in [
            (199, false),
            (200, true),
            (302, true),
            (399, true),
            (400, false),
            (500, false),
        ] {
            assert_eq!(Answer::Status(code).healthy(), healthy, "{code}");
        }
        assert!(!Answer::Malformed.healthy() && !Answer::Partial.healthy());
    }

    #[test]
    fn an_unfinished_status_line_asks_for_more() {
        for partial in [&b""[..], b"H", b"HTTP/1", b"HTTP/1.1 2", b"HTTP/1.1 200 O"] {
            assert_eq!(
                status(partial),
                Answer::Partial,
                "{:?}",
                String::from_utf8_lossy(partial)
            );
        }
    }

    #[test]
    fn anything_else_is_malformed() {
        for bad in [
            &b"SSH-2.0-OpenSSH_9.6\r\n"[..],
            b"SSH",
            b"HTTP/2 200\r\n",
            b"HTTP/1.1 20\r\n",
            b"HTTP/1.1 2000 OK\r\n",
            b"HTTP/1.1 abc OK\r\n",
            b"HTTP/1.1  200 OK\r\n",
            b"http/1.1 200 OK\r\n",
            b"\r\n",
        ] {
            assert_eq!(
                status(bad),
                Answer::Malformed,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(status(&[b'H'; 3][..]), Answer::Malformed);
        let mut long = b"HTTP/1.1 200 ".to_vec();
        long.resize(STATUS_LINE_MAX, b'x');
        assert_eq!(status(&long), Answer::Malformed);
    }
}
