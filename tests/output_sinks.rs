//! Forwarded output (`Stdio::Sink`): lines reach their sink whole, in
//! order, none lost, none merged — cut anywhere by the node's writes,
//! longer than the buffer, unfinished at exit, across restarts, and under a
//! writer at full speed into a rotating file.

mod common;

use std::time::Duration;

use common::{Seen, collecting};
use process_graph_runtime::{
    Command, Graph, LineEnd, NodeOptions, Restart, RotatingFile, Sink, Stdio, Stream,
};

fn texts(seen: &Seen) -> Vec<(String, LineEnd)> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|l| (l.text_lossy(), l.end))
        .collect()
}

#[test]
fn a_partial_last_line_is_delivered_at_exit_and_never_merged_with_the_next_start() {
    let (sink, seen) = collecting();
    let mut graph = Graph::new();
    graph.node_with(
        "flaky",
        Command::new("sh")
            .args(["-c", "printf 'whole\\npartial'; exit 1"])
            .stdout(Stdio::Sink(sink)),
        NodeOptions::new()
            .restart(Restart::OnFailure)
            .backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    graph.intensity(2, Duration::from_secs(60));
    // Three starts, then the restart intensity stops the graph.
    let ended = graph.spawn().unwrap().wait();
    assert!(ended.is_err(), "the intensity limit ends the graph");
    let start = [
        ("whole".to_owned(), LineEnd::Newline),
        ("partial".to_owned(), LineEnd::Eof),
    ];
    assert_eq!(texts(&seen), [start.clone(), start.clone(), start].concat());
}

#[test]
fn stdout_and_stderr_come_with_their_node_and_stream() {
    let (sink, seen) = collecting();
    let mut graph = Graph::new();
    graph.node(
        "talker",
        Command::new("sh")
            .args(["-c", "echo out; echo err >&2"])
            .stdout(Stdio::Sink(sink.clone()))
            .stderr(Stdio::Sink(sink)),
    );
    graph.node("quiet", Command::new("true"));
    assert!(graph.spawn().unwrap().wait().unwrap().success());
    let mut got: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|l| (l.node.clone(), l.stream, l.text.clone()))
        .collect();
    got.sort_by_key(|(_, s, _)| *s as u8);
    assert_eq!(
        got,
        [
            ("talker".to_owned(), Stream::Stdout, b"out".to_vec()),
            ("talker".to_owned(), Stream::Stderr, b"err".to_vec()),
        ]
    );
}

#[test]
fn a_line_longer_than_the_buffer_arrives_in_pieces_with_every_byte() {
    let (sink, seen) = collecting();
    let mut graph = Graph::new();
    // 200,000 bytes without a newline, then a short line.
    graph.node(
        "blob",
        Command::new("sh")
            .args([
                "-c",
                "head -c 200000 /dev/zero | tr '\\0' x; echo; echo next",
            ])
            .stdout(Stdio::Sink(sink)),
    );
    assert!(graph.spawn().unwrap().wait().unwrap().success());
    let seen = seen.lock().unwrap();
    let (last, pieces) = seen.split_last().unwrap();
    assert_eq!(
        (&last.text[..], last.end, last.continuation),
        (&b"next"[..], LineEnd::Newline, false)
    );
    let blob: Vec<u8> = pieces.iter().flat_map(|p| p.text.clone()).collect();
    assert_eq!(blob, vec![b'x'; 200_000]);
    assert!(pieces.len() >= 4, "cut into pieces of at most 64 KiB");
    for (i, piece) in pieces.iter().enumerate() {
        let end = if i + 1 == pieces.len() {
            LineEnd::Newline
        } else {
            LineEnd::Continued
        };
        assert_eq!((piece.end, piece.continuation), (end, i > 0), "piece {i}");
        assert!(piece.text.len() <= process_graph_runtime::Line::MAX_LINE);
    }
}

/// Rotation under a writer at full speed: `seq` writes 4 KiB blocks that
/// cut lines anywhere; every file must end on a whole line, stay within
/// its limit, and all of them together must be exactly the writer's output.
#[test]
fn rotation_under_a_writer_at_full_speed_loses_and_splits_no_line() {
    common::as_root_and_unprivileged(
        "rotation_under_a_writer_at_full_speed_loses_and_splits_no_line",
        || {
            let dir = common::TempDir::new("rotation_full_speed");
            let log = dir.path().join("seq.log");
            let max = 64 * 1024;
            let mut graph = Graph::new();
            graph.node(
                "seq",
                Command::new("seq")
                    .args(["1", "300000"])
                    .stdout(Stdio::Sink(Sink::file(
                        RotatingFile::new(&log).max_bytes(max).keep(1000),
                    ))),
            );
            assert!(graph.spawn().unwrap().wait().unwrap().success());
            let mut files: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            // Oldest first: seq.log.N, …, seq.log.1, seq.log.
            let age = |p: &std::path::PathBuf| {
                p.extension()
                    .and_then(|e| e.to_str()?.parse::<u32>().ok())
                    .unwrap_or(0)
            };
            files.sort_by_key(|p| std::cmp::Reverse(age(p)));
            assert!(files.len() > 20, "it rotated: {} files", files.len());
            let mut all = Vec::new();
            for file in &files {
                let bytes = std::fs::read(file).unwrap();
                assert!(
                    bytes.len() as u64 <= max,
                    "{} is within its limit",
                    file.display()
                );
                assert_eq!(
                    bytes.last(),
                    Some(&b'\n'),
                    "{} ends on a whole line",
                    file.display()
                );
                all.extend_from_slice(&bytes);
            }
            let expected: String = (1..=300_000).map(|n| format!("{n}\n")).collect();
            assert!(all == expected.as_bytes(), "every line once, in order");
        },
    );
}

/// A node that floods its output does not hold up the lines of another.
#[test]
fn a_flooding_node_does_not_starve_the_others() {
    common::as_root_and_unprivileged("a_flooding_node_does_not_starve_the_others", || {
        let (sink, seen) = collecting();
        let mut graph = Graph::new();
        graph.node(
            "flood",
            Command::new("yes").stdout(Stdio::Sink(Sink::callback(|_| {}))),
        );
        graph.node(
            "polite",
            Command::new("sh")
                .args(["-c", "echo hello; sleep 1000"])
                .stdout(Stdio::Sink(sink)),
        );
        let running = graph.spawn().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while texts(&seen).is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the polite line never came"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(texts(&seen), [("hello".to_owned(), LineEnd::Newline)]);
        drop(running);
    });
}

/// What [`record`] saw.
static RECORDED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A node leaves a daemon behind (`setsid`, no cgroup to kill it) that
/// writes to the node's stdout without pause, with its pipe grown to 1 MiB.
/// The graph's end delivers what the node wrote and what the pipe holds,
/// and returns: it does not read on for as long as the daemon writes (whose
/// next write then fails with `EPIPE`). As root and as uid 65534.
#[test]
fn a_daemon_writing_on_does_not_hold_up_the_graphs_end() {
    common::as_root_and_unprivileged(
        "a_daemon_writing_on_does_not_hold_up_the_graphs_end",
        || {
            let marker = common::unique_marker("daemon-drain");
            let (sink, seen) = collecting();
            let mut graph = Graph::new();
            graph.containment(process_graph_runtime::Containment::Off);
            graph.node(
                "talker",
                common::marked(
                    Command::new("sh")
                        .args([
                            "-c",
                            "echo first; setsid python3 -c \"import fcntl, os\n\
                         fcntl.fcntl(1, fcntl.F_SETPIPE_SZ, 1 << 20)\n\
                         while True: os.write(1, b'y\\n' * 32768)\" & \
                         setsid yes & sleep 0.3",
                        ])
                        .stdout(Stdio::Sink(sink)),
                    &marker,
                ),
            );
            let mut running = graph.spawn().unwrap();
            let ended = common::within(Duration::from_secs(10), "the graph's end", move || {
                let report = running.wait();
                drop(running);
                report
            });
            let daemons = common::live_marked_processes(&marker);
            for daemon in &daemons {
                let pid = rustix::process::Pid::from_raw(daemon.pid).unwrap();
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            assert!(ended.unwrap().success());
            let seen = seen.lock().unwrap();
            assert_eq!(
                seen.first().map(|l| l.text_lossy()).as_deref(),
                Some("first")
            );
            assert!(
                seen.len() > 1,
                "the daemons wrote nothing: nothing was tried"
            );
        },
    );
}

/// Each start of a node leaves a daemon behind (`setsid`, no cgroup to kill
/// it) that keeps the node's stdout and writes to it every 50 ms. When the
/// node starts again, the earlier start's pipe is drained and closed, so
/// that daemon's next write fails (`SIGPIPE`) and it dies: restarts do not
/// pile up pipes, partial lines and daemons in the application (before the
/// fix: +1 fd and up to 64 KiB per start, unbounded). Every start's own
/// line is still delivered. As root and as uid 65534.
#[test]
fn a_restart_cuts_off_what_the_earlier_start_left_writing() {
    common::as_root_and_unprivileged(
        "a_restart_cuts_off_what_the_earlier_start_left_writing",
        || {
            const STARTS: usize = 10;
            let marker = common::unique_marker("restart-daemons");
            let (sink, seen) = collecting();
            let mut graph = Graph::new();
            graph.containment(process_graph_runtime::Containment::Off);
            let node = graph.node_with(
                "leaver",
                common::marked(
                    Command::new("sh")
                        .args([
                            "-c",
                            "echo start; setsid sh -c 'for i in $(seq 400); do \
                             echo tick; sleep 0.05; done' & sleep 0.1; exit 1",
                        ])
                        .stdout(Stdio::Sink(sink)),
                    &marker,
                ),
                NodeOptions::new()
                    .restart(Restart::Always)
                    .backoff(Duration::from_millis(10), Duration::from_millis(10)),
            );
            graph.intensity(u32::MAX, Duration::from_secs(1));
            let mut running = graph.spawn().unwrap();
            let mut starts = 0;
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            // Its processes alive at best: the node's shell and the daemons of
            // its last start or two, with their `sleep`s; without the cut,
            // two per start ever made.
            let mut fewest = usize::MAX;
            while std::time::Instant::now() < deadline && fewest >= STARTS {
                let event = running.next_event(Some(Duration::from_millis(20)));
                if let Ok(Some(process_graph_runtime::Event::Started { node: n, .. })) = event
                    && n == node
                {
                    starts += 1;
                }
                if starts > STARTS {
                    fewest = fewest.min(common::live_marked_processes(&marker).len());
                }
            }
            drop(running);
            for daemon in common::live_marked_processes(&marker) {
                let pid = rustix::process::Pid::from_raw(daemon.pid).unwrap();
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            assert!(starts > STARTS, "only {starts} starts: nothing was tried");
            assert!(
                fewest < STARTS,
                "after {starts} starts, {fewest} of their processes live on at best"
            );
            let lines = texts(&seen);
            let said = lines.iter().filter(|(text, _)| text == "start").count();
            // The last start may have been stopped before it said anything.
            assert!(said + 1 >= starts, "{said} of {starts} starts' lines came");
        },
    );
}

/// A node that puts its stdout pipe in packet mode (`O_DIRECT`: one write
/// per read) and grows it, then writes 1,000 lines, one write each, while
/// the sink is slow: every line still reaches the sink at the graph's end,
/// however many packets are left in the pipe.
#[test]
fn every_line_of_a_pipe_in_packet_mode_is_delivered_at_the_end() {
    let (record, seen) = common::collecting_callback();
    let sink = Sink::callback(move |line| {
        if line.text() == b"line 800" {
            std::thread::sleep(Duration::from_millis(500));
        }
        record(line);
    });
    let script = "import os, fcntl\n\
                  fcntl.fcntl(1, 1031, 1 << 20)  # F_SETPIPE_SZ\n\
                  fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_DIRECT)\n\
                  for i in range(1000): os.write(1, b'line %d\\n' % i)\n";
    let mut graph = Graph::new();
    graph.node(
        "packets",
        Command::new("python3")
            .args(["-c", script])
            .stdout(Stdio::Sink(sink)),
    );
    assert!(graph.spawn().unwrap().wait().unwrap().success());
    let lines = texts(&seen);
    assert_eq!(lines.len(), 1000, "last line: {:?}", lines.last());
    assert_eq!(lines[999].0, "line 999");
}

fn record(line: &process_graph::Line<'_>) {
    RECORDED
        .lock()
        .unwrap()
        .push(format!("{} {}", line.node(), line.text_lossy()));
}

/// Relative, so in this checkout (a test's working directory is its
/// package's root): a fixed path in /tmp was shared with every other
/// checkout's run of this test on the machine, which removed and rotated it
/// under this one's feet.
const MACRO_LOG: &str = "target/tmp/process-graph-test-output-sinks-macro.log";

/// The sinks as declared: `file(...)` and `callback(...)` are the values
/// the macro turns into the same `Sink`s.
#[process_graph::process_graph]
struct Declared {
    #[process(
        stdout = file("target/tmp/process-graph-test-output-sinks-macro.log", max_size = "1K", keep = 1),
        stderr = callback(record)
    )]
    talker: process_graph::Cmd,
}

#[test]
fn declared_sinks_write_the_file_and_call_the_function() {
    std::fs::create_dir_all("target/tmp").unwrap();
    let _ = std::fs::remove_file(MACRO_LOG);
    let _ = std::fs::remove_file(format!("{MACRO_LOG}.1"));
    let script = "seq 1 1000; echo done >&2";
    let graph = Declared::new(process_graph::Cmd::new("sh").args(["-c", script]));
    assert!(graph.spawn().unwrap().wait().unwrap().success());
    assert_eq!(*RECORDED.lock().unwrap(), ["talker done"]);
    let current = std::fs::read_to_string(MACRO_LOG).unwrap();
    let rotated = std::fs::read_to_string(format!("{MACRO_LOG}.1")).unwrap();
    assert!(
        current.ends_with("1000\n") && current.len() <= 1024,
        "{current}"
    );
    assert!(
        rotated.len() <= 1024 && rotated.ends_with('\n'),
        "{rotated}"
    );
    let _ = std::fs::remove_file(MACRO_LOG);
    let _ = std::fs::remove_file(format!("{MACRO_LOG}.1"));
}
