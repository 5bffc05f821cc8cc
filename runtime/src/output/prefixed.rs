//! The prefixed sink: `[node] line` on the application's own stdout or
//! stderr, after a timestamp if asked for.

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
        out.extend_from_slice(line.text);
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
