//! Forwarded output against a hostile node: one that writes without end
//! and without a newline, one that interleaves huge and tiny lines on
//! stdout and stderr, one that closes and reopens its stdout, and one that
//! leaves a daemon writing into its pipes after it ended. The output thread
//! must keep every byte and every other node's lines whole and in order,
//! hold at most a line's worth per stream, and leave nothing behind. As
//! root and as uid 65534.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Graph, Line, LineEnd, NodeOptions, Restart, Sink, Stdio, Stream,
};

const PYTHON: &str = "/usr/bin/python3";

/// What a [`recording`] sink kept of one line: the text of short ones
/// only, so that a flood does not fill the test's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    node: String,
    stream: Stream,
    len: usize,
    text: Option<Vec<u8>>,
    end: LineEnd,
    continuation: bool,
}

type Pieces = Arc<Mutex<Vec<Piece>>>;

/// `command`, marked with `marker`, writing both its streams to `sink`.
fn into_sink(command: Command, sink: &Sink, marker: &str) -> Command {
    let command = command
        .stdout(Stdio::Sink(sink.clone()))
        .stderr(Stdio::Sink(sink.clone()));
    common::marked(command, marker)
}

/// Adds the polite node, which writes `lines` lines to each stream.
fn add_polite(graph: &mut Graph, lines: usize, sink: &Sink, marker: &str) {
    let command = Command::new(PYTHON).args(["-c", POLITE, &lines.to_string()]);
    graph.node("polite", into_sink(command, sink, marker));
}

/// A callback sink that records what it is handed, the text of lines up
/// to `keep` bytes.
fn recording(keep: usize) -> (Sink, Pieces) {
    let pieces = Pieces::default();
    let into = Arc::clone(&pieces);
    let sink = Sink::callback(move |line: &Line<'_>| {
        into.lock().unwrap().push(Piece {
            node: line.node().to_owned(),
            stream: line.stream(),
            len: line.text().len(),
            text: (line.text().len() <= keep).then(|| line.text().to_vec()),
            end: line.end(),
            continuation: line.is_continuation(),
        });
    });
    (sink, pieces)
}

/// The texts of `node`'s lines on `stream`, in order.
fn texts(pieces: &Pieces, node: &str, stream: Stream) -> Vec<(String, LineEnd)> {
    pieces
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.node == node && p.stream == stream)
        .map(|p| {
            let text = p.text.as_deref().unwrap_or(b"<long>");
            (String::from_utf8_lossy(text).into_owned(), p.end)
        })
        .collect()
}

/// Fails unless `node`'s lines on `stream` are exactly `expected`, each
/// ended by a newline, none a piece.
fn assert_whole_lines(pieces: &Pieces, node: &str, stream: Stream, expected: &[String]) {
    let got = texts(pieces, node, stream);
    let want: Vec<(String, LineEnd)> = expected
        .iter()
        .map(|t| (t.clone(), LineEnd::Newline))
        .collect();
    assert!(
        got == want,
        "{node}'s {stream:?} lines: {} of {}, first difference: {:?}",
        got.len(),
        want.len(),
        got.iter().zip(&want).find(|(a, b)| a != b)
    );
}

/// This process's resident memory, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Writes `N` lines `polite N` on stdout and `polite-err N` on stderr,
/// one every 5 ms, then sleeps.
const POLITE: &str = "import os, sys, time\n\
                      for i in range(int(sys.argv[1])):\n\
                      \x20   os.write(1, b'polite %d\\n' % i)\n\
                      \x20   os.write(2, b'polite-err %d\\n' % i)\n\
                      \x20   time.sleep(0.005)\n\
                      time.sleep(600)\n";

fn polite_lines(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} {i}")).collect()
}

/// Writes 64 KiB blocks with no newline, on stdout and stderr in turn,
/// until SIGTERM; then writes how many bytes went to each into the file
/// argv[1] and exits 0.
const ENDLESS: &str = r#"
import os, signal, sys
stop = False
def term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
block = {1: b"o" * 65536, 2: b"e" * 65536}
sent = {1: 0, 2: 0}
fd = 1
while not stop:
    sent[fd] += os.write(fd, block[fd][: 65536 - sent[fd] % 1000])
    fd = 3 - fd
open(sys.argv[1], "w").write(f"{sent[1]} {sent[2]}")
"#;

/// A node writes without end and without a newline on both its streams,
/// as fast as it can, for a second, while another writes short lines on
/// both of its: the other's lines all come, whole and in order; the
/// endless ones come in pieces of exactly `Line::MAX_LINE` bytes, marked
/// continued, every byte kept (counted against what the node says it
/// wrote); the application's memory does not grow with what was written;
/// and once the node is stopped, its last piece comes as `Eof`. Nothing is
/// left. As root and as uid 65534.
#[test]
fn a_line_without_end_costs_a_bounded_buffer_and_no_other_line() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_line_without_end_costs_a_bounded_buffer_and_no_other_line",
        || {
            const POLITE_LINES: usize = 150;
            let marker = common::unique_marker("endless");
            let dir = common::TempDir::new("endless");
            let counts = dir.path().join("counts");
            let before = common::open_fds();
            let (sink, pieces) = recording(64);
            let mut graph = Graph::new();
            let endless = graph.node(
                "endless",
                into_sink(
                    Command::new(PYTHON).args(["-c", ENDLESS]).arg(&counts),
                    &sink,
                    &marker,
                ),
            );
            add_polite(&mut graph, POLITE_LINES, &sink, &marker);
            let rss_before = rss_kib();
            let mut running = graph.spawn().unwrap();
            let started = Instant::now();
            let polite_done = || {
                texts(&pieces, "polite", Stream::Stderr).len() == POLITE_LINES
                    && texts(&pieces, "polite", Stream::Stdout).len() == POLITE_LINES
            };
            while !polite_done() || started.elapsed() < Duration::from_secs(1) {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the polite node's lines did not all come within 10 s: {} and {}",
                    texts(&pieces, "polite", Stream::Stdout).len(),
                    texts(&pieces, "polite", Stream::Stderr).len()
                );
                running.next_event(Some(Duration::from_millis(10))).unwrap();
            }
            let rss_grew = rss_kib().saturating_sub(rss_before);
            running.stop(endless);
            common::run_until(&mut running, "the endless node's end", |r| {
                r.status(endless).is_some()
            });
            running.shutdown(Duration::from_secs(1)).unwrap();
            drop(running);
            assert_whole_lines(
                &pieces,
                "polite",
                Stream::Stdout,
                &polite_lines("polite", POLITE_LINES),
            );
            assert_whole_lines(
                &pieces,
                "polite",
                Stream::Stderr,
                &polite_lines("polite-err", POLITE_LINES),
            );
            let written = std::fs::read_to_string(&counts).unwrap();
            let written: Vec<usize> = written.split(' ').map(|n| n.parse().unwrap()).collect();
            let pieces = pieces.lock().unwrap();
            for (stream, written) in [(Stream::Stdout, written[0]), (Stream::Stderr, written[1])] {
                let mine: Vec<&Piece> = pieces
                    .iter()
                    .filter(|p| p.node == "endless" && p.stream == stream)
                    .collect();
                let (last, cut) = mine.split_last().unwrap();
                assert!(
                    written > 10 * Line::MAX_LINE,
                    "{stream:?}: only {written} bytes written"
                );
                for (i, piece) in cut.iter().enumerate() {
                    assert_eq!(
                        (piece.len, piece.end, piece.continuation),
                        (Line::MAX_LINE, LineEnd::Continued, i > 0),
                        "{stream:?} piece {i} of {}",
                        mine.len()
                    );
                }
                assert_eq!((last.end, last.continuation), (LineEnd::Eof, true));
                let delivered: usize = mine.iter().map(|p| p.len).sum();
                assert_eq!(delivered, written, "{stream:?}: bytes delivered, written");
            }
            assert!(
                rss_grew < 32 * 1024,
                "the application grew by {rss_grew} KiB while the node wrote {written:?} bytes"
            );
            drop(pieces);
            common::assert_nothing_left(&before, &marker, "after the endless line");
        },
    );
}

/// Writes a fixed mix of lines (empty, 1 byte, a few bytes, 70,000,
/// 131,072 and 200,001 bytes) on stdout and stderr in turn, each stream's
/// bytes cut into writes of pseudo-random sizes that end anywhere, the two
/// streams' writes interleaved; keeps a copy of each stream's bytes in the
/// files argv[1].1 and argv[1].2, and ends with a partial line on each.
const INTERLEAVER: &str = r#"
import os, random, sys
rng = random.Random(7)
sizes = [0, 1, 5, 70000, 0, 131072, 3, 200001, 1, 65536, 65535, 2]
data = {1: bytearray(), 2: bytearray()}
for i in range(60):
    fd = 1 + (i * 7 // 3) % 2
    data[fd] += bytes([97 + i % 26]) * sizes[i % len(sizes)] + b"\n"
data[1] += b"partial-out"
data[2] += b"partial-err"
for fd in (1, 2):
    open(f"{sys.argv[1]}.{fd}", "wb").write(data[fd])
at = {1: 0, 2: 0}
while at[1] < len(data[1]) or at[2] < len(data[2]):
    fd = rng.choice([f for f in (1, 2) if at[f] < len(data[f])])
    n = rng.choice([1, 2, 7, 4096, 65535, 65537, 100000])
    at[fd] += os.write(fd, data[fd][at[fd]: at[fd] + n])
"#;

/// A node interleaves huge and tiny lines on stdout and stderr, cut into
/// writes that end anywhere, into one sink it shares with another node's
/// short lines: each stream's pieces, joined, are exactly the bytes it
/// wrote (a newline after each `Newline`, none after a `Continued` piece),
/// no piece is longer than `Line::MAX_LINE`, each piece's continuation mark
/// says whether its stream's previous one was cut, and the other node's
/// lines all come, whole and in order. Nothing is left. As root and as uid
/// 65534.
#[test]
fn huge_and_tiny_lines_on_both_streams_are_each_delivered_whole() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "huge_and_tiny_lines_on_both_streams_are_each_delivered_whole",
        || {
            const POLITE_LINES: usize = 100;
            let marker = common::unique_marker("interleaver");
            let dir = common::TempDir::new("interleaver");
            let copy = dir.path().join("written");
            let before = common::open_fds();
            let (sink, pieces) = recording(usize::MAX);
            let mut graph = Graph::new();
            let mixer = graph.node(
                "mixer",
                into_sink(
                    Command::new(PYTHON).args(["-c", INTERLEAVER]).arg(&copy),
                    &sink,
                    &marker,
                ),
            );
            add_polite(&mut graph, POLITE_LINES, &sink, &marker);
            let mut running = graph.spawn().unwrap();
            common::run_until(&mut running, "the mixer's end and the polite lines", |r| {
                r.status(mixer).is_some()
                    && texts(&pieces, "polite", Stream::Stderr).len() == POLITE_LINES
            });
            running.shutdown(Duration::from_secs(1)).unwrap();
            drop(running);
            assert!(
                mixer_wrote(&pieces),
                "the mixer wrote nothing: nothing was tried"
            );
            assert_whole_lines(
                &pieces,
                "polite",
                Stream::Stdout,
                &polite_lines("polite", POLITE_LINES),
            );
            assert_whole_lines(
                &pieces,
                "polite",
                Stream::Stderr,
                &polite_lines("polite-err", POLITE_LINES),
            );
            for (stream, fd) in [(Stream::Stdout, 1), (Stream::Stderr, 2)] {
                let written = std::fs::read(dir.path().join(format!("written.{fd}"))).unwrap();
                let mut joined = Vec::new();
                let mut cut = false;
                for (i, piece) in pieces
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|p| p.node == "mixer" && p.stream == stream)
                    .enumerate()
                {
                    assert!(piece.len <= Line::MAX_LINE, "{stream:?} piece {i}");
                    assert_eq!(piece.continuation, cut, "{stream:?} piece {i}'s mark");
                    joined.extend_from_slice(piece.text.as_deref().unwrap());
                    if piece.end == LineEnd::Newline {
                        joined.push(b'\n');
                    }
                    cut = piece.end == LineEnd::Continued;
                }
                assert!(
                    joined == written,
                    "{stream:?}: {} bytes delivered, {} written; first difference at {:?}",
                    joined.len(),
                    written.len(),
                    joined.iter().zip(&written).position(|(a, b)| a != b)
                );
            }
            common::assert_nothing_left(&before, &marker, "after the interleaved lines");
        },
    );
}

/// Whether the mixer's lines came at all.
fn mixer_wrote(pieces: &Pieces) -> bool {
    pieces.lock().unwrap().iter().any(|p| p.node == "mixer")
}

/// Writes a line and the start of another, closes its stdout while it
/// holds a copy, finishes the line through the copy, writes one through a
/// reopening of its stdout (`/proc/self/fd/1`: a new open of the same
/// pipe), starts one more line, then closes every copy and lives on,
/// writing on stderr once it has.
const REOPENER: &str = r#"
import os, sys, time
os.write(1, b"one\npar")
saved = os.dup(1)
os.close(1)
time.sleep(0.05)
os.dup2(saved, 1)
os.write(1, b"tial\n")
again = os.open("/proc/self/fd/1", os.O_WRONLY)
os.write(again, b"reopened\n")
os.write(1, b"last")
for fd in (1, saved, again):
    os.close(fd)
os.write(2, b"closed\n")
time.sleep(600)
"#;

/// A node closes its stdout holding a copy and reopens it, then closes
/// every copy and lives on: its lines come as it wrote them (the line
/// finished through the copy is one line), its unfinished last line comes
/// as `Eof` as soon as the pipe has no writer — while the node still runs —
/// and the application closes its end of that pipe then, not at the node's
/// end. Its next start's lines are its own. Nothing is left. As root and
/// as uid 65534.
#[test]
fn a_node_that_closes_and_reopens_its_stdout_loses_and_merges_nothing() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_node_that_closes_and_reopens_its_stdout_loses_and_merges_nothing",
        || {
            let marker = common::unique_marker("reopener");
            let before = common::open_fds();
            let (sink, pieces) = recording(usize::MAX);
            let mut graph = Graph::new();
            let node = graph.node_with(
                "reopener",
                into_sink(Command::new(PYTHON).args(["-c", REOPENER]), &sink, &marker),
                NodeOptions::new()
                    .restart(Restart::Always)
                    .backoff(Duration::from_millis(1), Duration::from_millis(1)),
            );
            let mut running = graph.spawn().unwrap();
            let one_start = [
                ("one".to_owned(), LineEnd::Newline),
                ("partial".to_owned(), LineEnd::Newline),
                ("reopened".to_owned(), LineEnd::Newline),
                ("last".to_owned(), LineEnd::Eof),
            ];
            for start in 1..=2 {
                common::run_until(&mut running, "the node's stdout at EOF", |_| {
                    texts(&pieces, "reopener", Stream::Stdout).len() == 4 * start
                });
                let pid = running.pid(node).expect("the node still runs");
                assert!(
                    common::proc_stat(pid as i32).is_some_and(|p| p.is_live()),
                    "the last line came before the node ended"
                );
                // Its stdout pipe, seen from the node's stderr: the node has
                // no fd 1 left; the application none of that pipe either.
                let pipes: Vec<String> = common::open_fds()
                    .into_values()
                    .filter(|t| t.starts_with("pipe:"))
                    .collect();
                let node_fds = common::fds_of(pid);
                assert!(!node_fds.contains_key(&1), "{node_fds:?}");
                let stderr_pipe = &node_fds[&2];
                assert_eq!(
                    pipes.iter().filter(|p| *p != stderr_pipe).count(),
                    before.values().filter(|t| t.starts_with("pipe:")).count(),
                    "the application holds a pipe besides the node's stderr: {pipes:?}"
                );
                running.restart(node);
            }
            running.shutdown(Duration::from_secs(1)).unwrap();
            drop(running);
            let got = texts(&pieces, "reopener", Stream::Stdout);
            assert_eq!(got[..8], [one_start.clone(), one_start].concat());
            assert!(
                texts(&pieces, "reopener", Stream::Stderr)
                    .iter()
                    .all(|l| *l == ("closed".to_owned(), LineEnd::Newline))
            );
            common::assert_nothing_left(&before, &marker, "after the reopened stdout");
        },
    );
}

/// Left behind by a node (`setsid`): ignores SIGPIPE, grows both its pipes
/// to 1 MiB, says its pid in the file argv[1], then writes huge lines
/// without newline and tiny ones on stdout and stderr as fast as it can,
/// until a write to each has failed; then writes the errors' names to
/// argv[1].end.
const DAEMON: &str = r#"
import errno, fcntl, os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
for fd in (1, 2):
    try:
        fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ
    except OSError:
        pass
open(sys.argv[1] + ".tmp", "w").write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
huge, tiny = b"h" * 100000, b"t\n" * 10
failed = {}
while len(failed) < 2:
    for fd in (1, 2):
        if fd in failed:
            continue
        try:
            os.write(fd, huge)
            os.write(fd, tiny)
        except OSError as e:
            failed[fd] = errno.errorcode[e.errno]
# Written whole, then renamed: the test reads it as soon as it exists.
open(sys.argv[1] + ".end.tmp", "w").write(f"{failed[1]} {failed[2]}")
os.rename(sys.argv[1] + ".end.tmp", sys.argv[1] + ".end")
"#;

/// A node leaves a daemon (no cgroup to kill it) holding both its pipes
/// and writing huge and tiny lines into them after the node ended, with
/// the pipes grown to 1 MiB: while the graph runs its lines are delivered
/// as the node's, and another node's lines still all come, whole and in
/// order; removing the ended node delivers what the pipes hold and closes
/// them, so the daemon's next write fails with `EPIPE` and the application
/// holds neither pipe. Nothing is left. As root and as uid 65534.
#[test]
fn a_daemon_writing_after_its_node_ended_is_cut_off_by_the_nodes_removal() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_daemon_writing_after_its_node_ended_is_cut_off_by_the_nodes_removal",
        || {
            const POLITE_LINES: usize = 100;
            let marker = common::unique_marker("leaver");
            let dir = common::TempDir::new("leaver");
            let said = dir.path().join("daemon");
            let before = common::open_fds();
            let (sink, pieces) = recording(64);
            let mut graph = Graph::new();
            graph.containment(Containment::Off);
            let leaver = graph.node(
                "leaver",
                into_sink(
                    Command::new("sh")
                        .args([
                            "-c",
                            // Waits for the daemon to be out of its process
                            // group, which is killed when the node ends.
                            "echo leaving; setsid \"$0\" -c \"$1\" \"$2\" & \
                             while [ ! -e \"$2\" ]; do sleep 0.01; done",
                        ])
                        .args([PYTHON, DAEMON])
                        .arg(&said),
                    &sink,
                    &marker,
                ),
            );
            add_polite(&mut graph, POLITE_LINES, &sink, &marker);
            let mut running = graph.spawn().unwrap();
            common::run_until(&mut running, "the leaver's end and its daemon", |r| {
                r.status(leaver).is_some() && said.exists()
            });
            let daemon: u32 = std::fs::read_to_string(&said).unwrap().parse().unwrap();
            let daemon_pipes: Vec<String> = [1, 2]
                .iter()
                .map(|fd| common::fds_of(daemon)[fd].clone())
                .collect();
            let delivered = |pieces: &Pieces| {
                pieces
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|p| p.node == "leaver")
                    .map(|p| p.len)
                    .sum::<usize>()
            };
            // The daemon's lines flow while the graph runs: 4 MiB of them.
            common::run_until(&mut running, "the daemon's lines", |_| {
                delivered(&pieces) > 4 << 20
                    && texts(&pieces, "polite", Stream::Stderr).len() == POLITE_LINES
            });
            let removed = Instant::now();
            running.remove([leaver]);
            let end = said.with_extension("end");
            common::run_until(&mut running, "the daemon's failed write", |_| end.exists());
            let cut_off = removed.elapsed();
            assert_eq!(std::fs::read_to_string(&end).unwrap(), "EPIPE EPIPE");
            assert!(
                cut_off < Duration::from_secs(3),
                "cut off after {cut_off:?}"
            );
            let held: Vec<String> = common::open_fds()
                .into_values()
                .filter(|t| daemon_pipes.contains(t))
                .collect();
            assert!(held.is_empty(), "the application still holds {held:?}");
            running.shutdown(Duration::from_secs(1)).unwrap();
            drop(running);
            assert_whole_lines(
                &pieces,
                "polite",
                Stream::Stdout,
                &polite_lines("polite", POLITE_LINES),
            );
            assert_whole_lines(
                &pieces,
                "polite",
                Stream::Stderr,
                &polite_lines("polite-err", POLITE_LINES),
            );
            let leaver_lines = texts(&pieces, "leaver", Stream::Stdout);
            assert_eq!(
                leaver_lines.first(),
                Some(&("leaving".to_owned(), LineEnd::Newline))
            );
            common::assert_nothing_left(&before, &marker, "after the daemon");
        },
    );
}
