//! The prefixed sink: `[node] line` on the application's own stdout or
//! stderr, after a timestamp if asked for.
//!
//! The application's streams are often a terminal, which acts on what it
//! is sent: a node's `ESC [2K` and `CR` would erase its own prefix and
//! forge another node's line, `ESC ]0;` retitle the window, and `ESC [6n`
//! make the terminal type its answer into the application's input. So the
//! text of a prefixed line goes out with every control character but TAB
//! (C0, DEL and C1) and every byte that is not UTF-8 written as `\xNN`.
//! Lines passed on bare are a node's own stream, which it would have had
//! as its own fd (`Stdio::Inherit`), and go out as they are. Not a
//! reversible encoding: a backslash stays as it is.

use std::io::{self, Write as _};

use super::{Clock, Line, LineEnd, Stream, Timestamps, Write};

pub(crate) struct Prefixed {
    /// Without one, lines pass on unchanged (`Sink::passthrough`).
    prefix: bool,
    timestamps: Option<Timestamps>,
    clock: Clock,
    /// The batch being built, per application stream (stdout, stderr).
    out: [Vec<u8>; 2],
    /// The timestamp of this batch, taken at its first line.
    stamp: Vec<u8>,
}

impl Prefixed {
    pub(crate) fn new(timestamps: Option<Timestamps>, clock: Clock) -> Prefixed {
        Prefixed {
            prefix: true,
            timestamps,
            clock,
            out: [Vec::new(), Vec::new()],
            stamp: Vec::new(),
        }
    }
}

impl Prefixed {
    pub(crate) fn bare() -> Prefixed {
        Prefixed {
            prefix: false,
            ..Prefixed::new(None, Clock::new())
        }
    }
}

impl Write for Prefixed {
    fn line(&mut self, line: &Line<'_>) {
        if let Some(kind) = self.timestamps
            && self.stamp.is_empty()
        {
            self.clock.stamp(kind, &mut self.stamp);
        }
        let out = &mut self.out[line.stream as usize];
        out.extend_from_slice(&self.stamp);
        if self.prefix {
            out.push(b'[');
            out.extend_from_slice(line.node.as_bytes());
            // A piece of a cut line says so, so that a reader can join them.
            out.extend_from_slice(if line.continuation { b"]+ " } else { b"] " });
        }
        match self.prefix {
            true => push_escaped(out, line.text),
            false => out.extend_from_slice(line.text),
        }
        // A cut or unfinished line still ends here (unless passed through
        // bare): the application's stream is shared, and the next writer
        // must start on a new line.
        if self.prefix || line.end != LineEnd::Continued {
            out.push(b'\n');
        }
    }

    /// Writes each stream's batch in one call, so that lines of different
    /// nodes do not interleave mid-line.
    fn flush(&mut self) {
        self.stamp.clear();
        for (stream, out) in [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .zip(&mut self.out)
        {
            if out.is_empty() {
                continue;
            }
            // A closed or broken application stream drops the output; the
            // node must not suffer for it.
            let _ = match stream {
                Stream::Stdout => io::stdout().lock().write_all(out),
                Stream::Stderr => io::stderr().lock().write_all(out),
            };
            out.clear();
        }
    }
}

/// Appends `text` to `out`, each control character but TAB and each byte
/// that is not part of UTF-8 written as `\xNN` (a C1 character, two bytes
/// in UTF-8, as both). Printable text, the common case, is copied as it is.
fn push_escaped(out: &mut Vec<u8>, text: &[u8]) {
    // Without an early exit, so that it is vectorised: most lines are
    // printable ASCII, and this look is then all they cost.
    let printable = text
        .iter()
        .fold(true, |all, b| all & (b.wrapping_sub(b' ') < 0x7f - b' '));
    if printable {
        out.extend_from_slice(text);
        return;
    }
    let plain = |b: &u8| (b' '..0x7f).contains(b) || *b == b'\t';
    let first = text.iter().position(|b| !plain(b)).unwrap_or(text.len());
    out.extend_from_slice(&text[..first]);
    let escape = |out: &mut Vec<u8>, bytes: &[u8]| {
        for byte in bytes {
            // Writing to a Vec cannot fail.
            let _ = write!(out, "\\x{byte:02x}");
        }
    };
    for chunk in text[first..].utf8_chunks() {
        let mut utf8 = [0; 4];
        for c in chunk.valid().chars() {
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            match c.is_control() && c != '\t' {
                true => escape(out, bytes),
                false => out.extend_from_slice(bytes),
            }
        }
        escape(out, chunk.invalid());
    }
}

#[cfg(test)]
mod tests {
    use super::push_escaped;

    fn escaped(text: &[u8]) -> String {
        let mut out = Vec::new();
        push_escaped(&mut out, text);
        String::from_utf8(out).expect("escaped text is UTF-8")
    }

    #[test]
    fn printable_text_and_tabs_pass_as_they_are() {
        assert_eq!(escaped(b"listening on :80\tok"), "listening on :80\tok");
        assert_eq!(escaped("größe – 100 €".as_bytes()), "größe – 100 €");
    }

    #[test]
    fn terminal_controls_are_written_out() {
        assert_eq!(
            escaped(b"\x1b[2K\r[db] forged\x07\x7f"),
            "\\x1b[2K\\x0d[db] forged\\x07\\x7f"
        );
        // CSI as a C1 character (U+009B), and as a lone byte.
        assert_eq!(escaped("a\u{9b}6n".as_bytes()), "a\\xc2\\x9b6n");
        assert_eq!(escaped(b"a\x9b6n"), "a\\x9b6n");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_written_out() {
        assert_eq!(escaped(b"caf\xe9 ok"), "caf\\xe9 ok");
        // A character cut at the end of a piece of a long line.
        assert_eq!(escaped("ab€".as_bytes()[..4].as_ref()), "ab\\xe2\\x82");
    }
}
