//! Cutting a stream of bytes into lines, without losing or merging bytes.
//!
//! A read returns whatever the node wrote, cut anywhere: a line may arrive
//! in pieces, and a node may write a line longer than any buffer (a JSON
//! blob, a progress bar without newlines). Complete lines are handed on
//! straight from the read buffer; only the unfinished end of a read is kept,
//! and never more than [`MAX_LINE`] bytes of it: a longer line goes on in
//! pieces of that size, each marked [`LineEnd::Continued`], so memory stays
//! bounded per stream and no byte is dropped.

use super::LineEnd;

/// The longest line handed on whole.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The unfinished line of one stream.
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    pending: Vec<u8>,
    /// Whether the next line goes on from a `Continued` one.
    continuation: bool,
}

impl LineBuffer {
    /// Hands each line `data` completes to `emit` (text without newline,
    /// how it ended, whether it continues a cut line); keeps the rest.
    pub(crate) fn feed(&mut self, mut data: &[u8], emit: &mut dyn FnMut(&[u8], LineEnd, bool)) {
        while !data.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    self.push(&data[..i], true, emit);
                    data = &data[i + 1..];
                }
                None => {
                    self.push(data, false, emit);
                    data = &[];
                }
            }
        }
    }

    /// At the end of the stream: the partial last line, if any, as
    /// [`LineEnd::Eof`].
    pub(crate) fn finish(&mut self, emit: &mut dyn FnMut(&[u8], LineEnd, bool)) {
        if !self.pending.is_empty() || self.continuation {
            self.emit(&[], LineEnd::Eof, emit);
        }
    }

    /// One piece of a line, `complete` if a newline ended it.
    fn push(
        &mut self,
        mut piece: &[u8],
        complete: bool,
        emit: &mut dyn FnMut(&[u8], LineEnd, bool),
    ) {
        while self.pending.len() + piece.len() > MAX_LINE {
            let (head, tail) = piece.split_at(MAX_LINE - self.pending.len());
            self.emit(head, LineEnd::Continued, emit);
            piece = tail;
        }
        if complete {
            self.emit(piece, LineEnd::Newline, emit);
        } else {
            self.pending.extend_from_slice(piece);
        }
    }

    /// Emits what is pending followed by `tail`, copying only if something
    /// is pending.
    fn emit(&mut self, tail: &[u8], end: LineEnd, emit: &mut dyn FnMut(&[u8], LineEnd, bool)) {
        let continuation = std::mem::replace(&mut self.continuation, end == LineEnd::Continued);
        if self.pending.is_empty() {
            emit(tail, end, continuation);
        } else {
            self.pending.extend_from_slice(tail);
            emit(&self.pending, end, continuation);
            self.pending.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(reads: &[&[u8]], eof: bool) -> Vec<(Vec<u8>, LineEnd, bool)> {
        let mut out = Vec::new();
        let mut buffer = LineBuffer::default();
        let mut emit = |t: &[u8], end, cont| out.push((t.to_vec(), end, cont));
        for read in reads {
            buffer.feed(read, &mut emit);
        }
        if eof {
            buffer.finish(&mut emit);
        }
        out
    }

    #[test]
    fn lines_cut_anywhere_by_reads_come_out_whole() {
        let got = lines(&[b"one\ntw", b"o\n", b"\nthr", b"ee"], true);
        let want: Vec<(Vec<u8>, LineEnd, bool)> = vec![
            (b"one".to_vec(), LineEnd::Newline, false),
            (b"two".to_vec(), LineEnd::Newline, false),
            (b"".to_vec(), LineEnd::Newline, false),
            (b"three".to_vec(), LineEnd::Eof, false),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_partial_line_is_kept_until_eof() {
        assert!(lines(&[b"no newline"], false).is_empty());
        assert_eq!(
            lines(&[b"no newline"], true),
            [(b"no newline".to_vec(), LineEnd::Eof, false)]
        );
        assert!(lines(&[b"done\n"], true).len() == 1);
    }

    #[test]
    fn a_line_longer_than_the_buffer_comes_in_pieces_with_every_byte() {
        let long: Vec<u8> = (0..MAX_LINE * 2 + 10)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        let mut input = long.clone();
        input.extend_from_slice(b"\nnext\n");
        // Fed in odd-sized reads, so pieces straddle reads.
        let reads: Vec<&[u8]> = input.chunks(7_777).collect();
        let got = lines(&reads, true);
        let ends: Vec<(usize, LineEnd, bool)> =
            got.iter().map(|(t, e, c)| (t.len(), *e, *c)).collect();
        assert_eq!(
            ends,
            [
                (MAX_LINE, LineEnd::Continued, false),
                (MAX_LINE, LineEnd::Continued, true),
                (10, LineEnd::Newline, true),
                (4, LineEnd::Newline, false),
            ]
        );
        let joined: Vec<u8> = got[..3].iter().flat_map(|(t, _, _)| t.clone()).collect();
        assert_eq!(joined, long);
    }

    #[test]
    fn a_line_of_exactly_the_buffer_size_is_whole() {
        let mut input = vec![b'x'; MAX_LINE];
        input.push(b'\n');
        let got = lines(&[&input[..100], &input[100..]], true);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0.len(), got[0].1), (MAX_LINE, LineEnd::Newline));
    }
}
